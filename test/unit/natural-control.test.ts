/** The forgetting control's data step: natural text up to exactly the self corpus's token budget, seeded order, bad input. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { naturalExecutor, trainingData } from '../../lib/experiment/executors/natural';
import type { Step } from '../../lib/experiment';
import type { StepContext } from '../../lib/experiment/executor';
import { TextTokenizer } from '../../lib/tokenizer/tokenizer';
import { makeTmpDir, removeTmpDir, sharedTokenizerDir } from '../helpers/shared';

const tmp = makeTmpDir();
afterAll(() => removeTmpDir(tmp));
const tokDir = sharedTokenizerDir('pythia');

function run(name: string, lines: string[], budget: number, seed = 0) {
  const data = path.join(tmp, `${name}.jsonl`);
  fs.writeFileSync(data, lines.join('\n') + '\n');
  const outDir = path.join(tmp, name);
  fs.mkdirSync(outDir, { recursive: true });
  const step = { id: `natural/s/s${seed}`, settings: { seed }, runtime: { data_file: data } } as unknown as Step;
  const ctx = {
    outDir,
    signal: new AbortController().signal,
    models: { tokenizer: { dir: tokDir } },
    inputs: { budget: { dir: '', result: { tokens: budget } } },
  } as unknown as StepContext;
  return { outDir, promise: naturalExecutor.run(step, ctx) };
}

const read = (dir: string) =>
  fs
    .readFileSync(path.join(dir, 'natural.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).tokens as number[]);

describe('natural (forgetting control) data', () => {
  const texts = Array.from({ length: 12 }, (_, i) =>
    JSON.stringify({ text: `Document number ${i} says that the river runs north of the town.` }),
  );

  it('writes exactly the budget in tokens of the student tokenizer, cycling when the text is short', async () => {
    const { outDir, promise } = run('exact', texts, 500);
    const r = await promise;
    const docs = read(outDir);
    expect(docs.flat()).toHaveLength(500);
    expect(r).toMatchObject({ tokens: 500, budget: 500, data: 'natural.jsonl' });
    expect(r.passes).toBeGreaterThan(1); // 12 short documents hold fewer than 500 tokens
    // Every document is its text's encoding (the last one cut at the budget).
    const tok = await TextTokenizer.load(tokDir);
    const all = await Promise.all(texts.map((t) => tok.encode(JSON.parse(t).text, { addSpecialTokens: false })));
    for (const d of docs.slice(0, -1)) expect(all.some((ids) => JSON.stringify(ids) === JSON.stringify(d))).toBe(true);
    expect(trainingData({ dir: outDir, result: r as Record<string, unknown> })).toBe(path.join(outDir, 'natural.jsonl'));
  });

  it('the order depends on the seed and only on it', async () => {
    const docs = async (name: string, seed: number) => {
      const r = run(name, texts, 60, seed);
      await r.promise;
      return read(r.outDir);
    };
    const [a, b, c] = [await docs('s1a', 1), await docs('s1b', 1), await docs('s2', 2)];
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('a record without text, an empty file or a budget of zero is a coded error', async () => {
    await expect(run('bad', ['{"txt": "x"}'], 10).promise).rejects.toMatchObject({
      code: 'ERR_DATA',
      message: expect.stringMatching(/bad\.jsonl:1: a natural-text record is \{"text": string\}/),
    });
    await expect(run('empty', [''], 10).promise).rejects.toMatchObject({ code: 'ERR_DATA', message: expect.stringMatching(/no texts/) });
    await expect(run('zero', texts, 0).promise).rejects.toMatchObject({
      code: 'ERR_DATA',
      message: expect.stringMatching(/no tokens to match/),
    });
    await expect(run('blank', [JSON.stringify({ text: '' })], 10).promise).rejects.toMatchObject({
      code: 'ERR_DATA',
      message: expect.stringMatching(/encode to no tokens/),
    });
  });
});
