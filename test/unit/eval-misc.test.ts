/** --indices parsing, strided perplexity windows and the two statistics. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { matchScore } from '../../lib/eval/extraction';
import { parseRange, readIndices } from '../../lib/eval/indices';
import { stridedWindows } from '../../lib/eval/perplexity';
import { meanStderr, wilsonInterval } from '../../lib/stats/describe';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

const dir = makeTmpDir();
afterAll(() => removeTmpDir(dir));

describe('--indices', () => {
  it('parses ranges and lists', () => {
    expect(parseRange('0:3')).toEqual([0, 1, 2]);
    expect(parseRange('5,7,10-12')).toEqual([5, 7, 10, 11, 12]);
    expect(() => parseRange('a:b')).toThrow(/neither an index/);
    expect(() => parseRange('5:3')).toThrow(/ends before it starts/);
  });
  it('reads files of indices', () => {
    const f = path.join(dir, 'idx.txt');
    fs.writeFileSync(f, '3\n1, 4\n');
    expect(readIndices(f)).toEqual([3, 1, 4]);
    fs.writeFileSync(f, '[2, 0]');
    expect(readIndices(f)).toEqual([2, 0]);
    fs.writeFileSync(f, '1\nx\n');
    expect(() => readIndices(f)).toThrow(/entry 2 \("x"\) is not a non-negative integer/);
  });
});

describe('strided windows', () => {
  it('score every target exactly once with at most maxLength + 1 tokens per window', () => {
    for (const [n, L, S] of [
      [1, 4, 2],
      [3, 4, 2],
      [10, 4, 2],
      [10, 4, 4],
      [17, 8, 3],
      [5, 8, 8],
    ] as const) {
      const seq = Array.from({ length: n + 1 }, (_, i) => i);
      const ws = stridedWindows(seq, L, S);
      const scored: number[] = [];
      for (const w of ws) {
        expect(w.tokens.length).toBeLessThanOrEqual(L + 1);
        expect(w.scoreFrom).toBeGreaterThanOrEqual(1);
        scored.push(...w.tokens.slice(w.scoreFrom));
      }
      expect(scored).toEqual(seq.slice(1));
    }
    // 10 targets, L = 4, S = 2: first window [0..4] scores 1..4; then [2..6] scores 5..6, ...
    expect(
      stridedWindows(
        Array.from({ length: 11 }, (_, i) => i),
        4,
        2,
      ).map((w) => [w.tokens[0], w.tokens.length, w.scoreFrom]),
    ).toEqual([
      [0, 5, 1],
      [2, 5, 3],
      [4, 5, 3],
      [6, 5, 3],
    ]);
  });
});

describe('statistics', () => {
  it('meanStderr is the sample std over sqrt(n)', () => {
    // [2, 4, 4, 4, 5, 5, 7, 9]: mean 5, sum of squares 32, sample var 32/7
    expect(meanStderr([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7) / Math.sqrt(8), 12);
  });
  it('exact-match CI is the Wilson interval, which stays informative at zero matches', () => {
    // k = 0, n = 40: Wilson upper bound = z^2 / (n + z^2) = 3.8415 / 43.8415 = 0.08762
    const w = wilsonInterval(0, 40);
    expect(w.lo).toBe(0);
    expect(w.hi).toBeCloseTo(3.841459 / 43.841459, 5);
  });
  it('matchScore counts matching positions', () => {
    expect(matchScore([1, 2, 3, 4], [1, 9, 3, 4])).toBe(0.75);
  });
});
