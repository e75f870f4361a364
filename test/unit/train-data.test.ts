/** Packing and masking, batches, lr schedules, data order and data sources (no native code). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDataSource } from '../../lib/train/data-source';
import { gatherBatch, IGNORE, packDocuments } from '../../lib/train/packing';
import { lrAt } from '../../lib/train/schedule';
import { DataOrder, epochPermutation } from '../../lib/train/shuffle';
import { record, writeCorpusFixture } from '../helpers/corpus-fixture';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

const X = IGNORE;
const rowsOf = (a: Int32Array, n: number, T: number) => Array.from({ length: n }, (_, i) => Array.from(a.subarray(i * T, (i + 1) * T)));

describe('packing', () => {
  it('concat: EOS between documents, blocks of seqLen, targets continue across blocks, last block padded', () => {
    // stream: 1 2 3 E 4 5 E 6 7 8 9   (E = 0), seqLen 4
    const p = packDocuments(
      [
        [1, 2, 3],
        [4, 5],
        [6, 7, 8, 9],
      ],
      { seqLen: 4, mode: 'concat', eosId: 0, padId: 99 },
    );
    expect(p.numRows).toBe(3);
    expect(rowsOf(p.ids, 3, 4)).toEqual([
      [1, 2, 3, 0],
      [4, 5, 0, 6],
      [7, 8, 9, 99],
    ]);
    expect(rowsOf(p.targets, 3, 4)).toEqual([
      [2, 3, 0, 4],
      [5, 0, 6, 7],
      [8, 9, X, X],
    ]);
    expect(Array.from(p.lengths)).toEqual([4, 4, 3]);
    expect(p.numTargets).toBe(10); // every token but the last has a target
  });

  it('none: one document per row, truncated and right-padded, padding and last token masked', () => {
    const p = packDocuments([[1, 2, 3], [4], [5, 6, 7, 8, 9, 10]], { seqLen: 4, mode: 'none', eosId: 0, padId: 99 });
    // [4] has no target: dropped
    expect(p.numRows).toBe(2);
    expect(rowsOf(p.ids, 2, 4)).toEqual([
      [1, 2, 3, 99],
      [5, 6, 7, 8],
    ]);
    expect(rowsOf(p.targets, 2, 4)).toEqual([
      [2, 3, X, X],
      [6, 7, 8, X],
    ]);
    expect(p.numTargets).toBe(5);
  });

  it('gatherBatch trims to the longest row and counts targets', () => {
    const p = packDocuments(
      [
        [1, 2, 3],
        [5, 6],
      ],
      { seqLen: 8, mode: 'none', eosId: 0, padId: 0 },
    );
    const b = gatherBatch(p, [1, 0]);
    expect(b.T).toBe(3);
    expect(Array.from(b.ids)).toEqual([5, 6, 0, 1, 2, 3]);
    expect(Array.from(b.targets)).toEqual([6, X, X, 2, 3, X]);
    expect(b.targetCount).toBe(3);
    expect(b.inputTokens).toBe(5);
  });
});

describe('lr schedules (transformers get_*_schedule_with_warmup)', () => {
  const s = (name: 'constant' | 'linear' | 'cosine', warmupSteps: number) => ({ name, baseLr: 1, warmupSteps, totalSteps: 10 });
  it('warmup starts at 0 and ramps linearly', () => {
    expect([0, 1, 2, 3].map((k) => lrAt(s('linear', 4), k))).toEqual([0, 0.25, 0.5, 0.75]);
    expect(lrAt(s('constant', 4), 2)).toBe(0.5);
  });
  it('linear decays to 0 at totalSteps', () => {
    expect(lrAt(s('linear', 0), 0)).toBe(1);
    expect(lrAt(s('linear', 0), 5)).toBe(0.5);
    expect(lrAt(s('linear', 2), 6)).toBe(0.5);
    expect(lrAt(s('linear', 0), 10)).toBe(0);
  });
  it('cosine: half a cosine after warmup', () => {
    expect(lrAt(s('cosine', 0), 0)).toBe(1);
    expect(lrAt(s('cosine', 0), 5)).toBeCloseTo(0.5, 12);
    expect(lrAt(s('cosine', 2), 6)).toBeCloseTo(0.5, 12);
    expect(lrAt(s('cosine', 0), 10)).toBeCloseTo(0, 12);
  });
  it('constant without warmup is 1', () => expect(lrAt(s('constant', 0), 7)).toBe(1));
});

describe('data order', () => {
  it('is a permutation per epoch, determined by (seed, epoch)', () => {
    const p = epochPermutation(100, 3, 0);
    expect([...p].sort((a, b) => a - b)).toEqual([...Array(100).keys()]);
    expect(Array.from(epochPermutation(100, 3, 0))).toEqual(Array.from(p));
    expect(Array.from(epochPermutation(100, 3, 1))).not.toEqual(Array.from(p));
    expect(Array.from(epochPermutation(100, 4, 0))).not.toEqual(Array.from(p));
  });
  it('a restored position continues the same sequence', () => {
    const a = new DataOrder(7, 1);
    const seq = Array.from({ length: 30 }, (_, i) => a.rowAt(i));
    const b = new DataOrder(7, 1);
    expect(Array.from({ length: 12 }, (_, i) => b.rowAt(18 + i))).toEqual(seq.slice(18));
  });
});

describe('data sources', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(removeTmpDir));
  const tmp = () => {
    const d = makeTmpDir();
    dirs.push(d);
    return d;
  };

  it('reads JSONL text and token records, and plain text', () => {
    const d = tmp();
    fs.writeFileSync(path.join(d, 'a.jsonl'), '{"text":"hello"}\n\n{"tokens":[1,2,3]}\n');
    expect(readDataSource(path.join(d, 'a.jsonl')).documents).toEqual([{ text: 'hello' }, { tokens: [1, 2, 3] }]);
    fs.writeFileSync(path.join(d, 'b.txt'), 'some text\nmore\n');
    expect(readDataSource(path.join(d, 'b.txt')).documents).toEqual([{ text: 'some text\nmore\n' }]);
  });

  it('reads a corpus directory and prepends its start token to token records', async () => {
    const d = tmp();
    await writeCorpusFixture(d, [[record(0, [5, 6], 'a', 'eos')], [record(1, [7], 'b')]], 0);
    const src = readDataSource(d);
    expect(src.kind).toBe('corpus');
    expect(src.startToken).toBe(0);
    expect(src.documents).toEqual([{ tokens: [5, 6] }, { tokens: [7] }]);
  });

  it('errors: missing path, empty data, bad JSON, missing shards', async () => {
    const d = tmp();
    expect(() => readDataSource(path.join(d, 'nope.jsonl'))).toThrow(expect.objectContaining({ code: 'ERR_DATA' }));
    fs.writeFileSync(path.join(d, 'empty.txt'), '');
    expect(() => readDataSource(path.join(d, 'empty.txt'))).toThrow(expect.objectContaining({ code: 'ERR_DATA' }));
    fs.writeFileSync(path.join(d, 'bad.jsonl'), '{"text":"ok"}\n{oops\n');
    expect(() => readDataSource(path.join(d, 'bad.jsonl'))).toThrow(/bad\.jsonl:2/);
    const c = tmp(); // a shard listed in the manifest is gone
    await writeCorpusFixture(c, [[record(0, [1])], [record(1, [2])]]);
    fs.rmSync(path.join(c, 'samples-00001.jsonl'));
    expect(() => readDataSource(c)).toThrow(
      expect.objectContaining({ code: 'ERR_CORPUS', message: expect.stringContaining('samples-00001.jsonl') }),
    );
    const t = tmp(); // a shard truncated after the manifest recorded its checksum
    await writeCorpusFixture(t, [[record(0, [1]), record(1, [2, 3])]]);
    const shard = path.join(t, 'samples-00000.jsonl');
    fs.writeFileSync(shard, fs.readFileSync(shard, 'utf8').slice(0, 20));
    expect(() => readDataSource(t)).toThrow(expect.objectContaining({ code: 'ERR_CORPUS', message: expect.stringContaining('checksum') }));
    const g = tmp(); // a manifest that is not a corpus manifest
    fs.writeFileSync(path.join(g, 'manifest.json'), '{}');
    expect(() => readDataSource(g)).toThrow(expect.objectContaining({ code: 'ERR_CORPUS' }));
  });
});
