/** `task import` reads Parquet rows as users download them, with the same result as JSONL rows. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importTaskFile } from '../../lib/eval/importers';
import { loadEsm } from '../../lib/io/esm';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

const dir = makeTmpDir('parquet-import-');
afterAll(() => removeTmpDir(dir));

// Two SciQ rows: nested data is flat here, so the Parquet columns are plain strings.
const rows = [
  {
    question: 'What gas do plants absorb?',
    distractor1: 'oxygen',
    distractor2: 'helium',
    distractor3: 'neon',
    correct_answer: 'carbon dioxide',
    support: 'Plants take in carbon dioxide.',
  },
  { question: 'What is H2O?', distractor1: 'salt', distractor2: 'sugar', distractor3: 'iron', correct_answer: 'water', support: '' },
];

describe('task import from Parquet', () => {
  it('gives the same task file as the JSONL rows', async () => {
    const { parquetWriteBuffer } = await loadEsm<typeof import('hyparquet-writer')>('hyparquet-writer');
    const columns = Object.keys(rows[0]!);
    const buf: ArrayBuffer = parquetWriteBuffer({
      columnData: columns.map((name) => ({ name, data: rows.map((r) => (r as Record<string, string>)[name]), type: 'STRING' })),
    });
    const pq = path.join(dir, 'sciq.parquet');
    fs.writeFileSync(pq, new Uint8Array(buf));
    const jl = path.join(dir, 'sciq.jsonl');
    fs.writeFileSync(jl, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');

    const a = await importTaskFile('sciq', pq, path.join(dir, 'from-parquet.jsonl'));
    const b = await importTaskFile('sciq', jl, path.join(dir, 'from-jsonl.jsonl'));
    expect(a.n).toBe(2);
    expect(b.n).toBe(2);
    const pqText = fs.readFileSync(path.join(dir, 'from-parquet.jsonl'), 'utf8');
    expect(pqText).toBe(fs.readFileSync(path.join(dir, 'from-jsonl.jsonl'), 'utf8'));
    // the gold answer is the correct_answer, placed among the choices
    const first = JSON.parse(pqText.split('\n')[0]!);
    expect(first.choices[first.gold]).toBe('carbon dioxide');
  });

  it('a file that is not Parquet is an ERR_TASK naming it', async () => {
    const bad = path.join(dir, 'bad.parquet');
    fs.writeFileSync(bad, 'definitely not parquet');
    await expect(importTaskFile('sciq', bad, path.join(dir, 'x.jsonl'))).rejects.toMatchObject({
      code: 'ERR_TASK',
      message: expect.stringContaining('bad.parquet'),
    });
  });
});
