/**
 * lib/stats against golden values computed independently by test/reference/stats_golden.py
 * (numpy + the Python standard library), plus properties of the seeded bootstrap.
 */
import { describe, expect, it } from 'vitest';
import {
  Rng,
  averageRanks,
  bootstrapMean,
  compareExtraction,
  correlate,
  kendallTauB,
  mean,
  meanStderr,
  normalQuantile,
  pairedDifference,
  pairedRelativeDrop,
  pearson,
  quantileSorted,
  spearman,
  unpairedDifference,
  wilsonInterval,
} from '../../lib/stats';

const x = [0.3, 1.2, 1.2, -0.7, 2.5, 0.0, 3.1, 1.2, 0.9, -1.4];
const y = [1.0, 2.0, 0.5, -1.0, 2.0, 0.1, 4.0, 2.0, 0.2, -3.0];
const acc = [1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1];

describe('PRNG', () => {
  it('matches the reference xoshiro128** / splitmix32 stream', () => {
    const r = new Rng(42);
    expect([r.nextU32(), r.nextU32(), r.nextU32(), r.nextU32(), r.nextU32()]).toEqual([
      2837322924, 544945897, 479756282, 3500138142, 339756180,
    ]);
  });
  it('is uniform enough and int() stays in range', () => {
    const r = new Rng(7);
    const counts = new Array(10).fill(0);
    let s = 0;
    let outside = 0;
    for (let i = 0; i < 50_000; i++) {
      const u = r.next();
      if (!(u >= 0 && u < 1)) outside++;
      s += u;
      counts[r.int(10)]++;
    }
    expect(outside).toBe(0);
    expect(s / 50_000).toBeCloseTo(0.5, 2);
    for (const c of counts) expect(Math.abs(c - 5000)).toBeLessThan(300);
  });
  it('different seeds give different streams', () => {
    expect(new Rng(0).nextU32()).not.toBe(new Rng(1).nextU32());
  });
});

describe('descriptive statistics', () => {
  it('mean and the harness mean_stderr', () => {
    expect(mean(x)).toBeCloseTo(0.83, 12);
    expect(meanStderr(x)).toBeCloseTo(0.42999999999999994, 12);
    expect(meanStderr(acc)).toBeCloseTo(0.14213381090374028, 12);
  });
  it('quantiles follow numpy linear interpolation', () => {
    const sorted = [...x].sort((a, b) => a - b);
    const golden: Record<string, number> = {
      '0': -1.4,
      '0.025': -1.2425,
      '0.1': -0.77,
      '0.5': 1.05,
      '0.9': 2.56,
      '0.975': 2.965,
      '1': 3.1,
    };
    for (const [q, v] of Object.entries(golden)) expect(quantileSorted(sorted, Number(q))).toBeCloseTo(v, 10);
  });
  it('normal quantile', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.9599639845400536, 8);
    expect(normalQuantile(0.995)).toBeCloseTo(2.5758293035489, 8);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
  });
  it('Wilson interval', () => {
    const a = wilsonInterval(7, 12);
    expect(a.lo).toBeCloseTo(0.3195113125495498, 8);
    expect(a.hi).toBeCloseTo(0.8067396863412434, 8);
    const b = wilsonInterval(0, 20);
    expect(b.lo).toBeCloseTo(0, 12);
    expect(b.hi).toBeCloseTo(0.1611251580528193, 8);
    const c = wilsonInterval(20, 20, 0.9);
    expect(c.lo).toBeCloseTo(0.8808421626390356, 8);
    expect(c.hi).toBeCloseTo(1, 12);
    expect(() => wilsonInterval(3, 2)).toThrow(RangeError);
  });
});

describe('correlation', () => {
  it('average ranks, Pearson, Spearman and Kendall tau-b with ties', () => {
    expect(Array.from(averageRanks(x))).toEqual([4, 7, 7, 2, 9, 3, 10, 7, 5, 1]);
    expect(pearson(x, y)).toBeCloseTo(0.9232438480650413, 12);
    expect(spearman(x, y)).toBeCloseTo(0.9254658385093167, 12);
    expect(kendallTauB(x, y)).toBeCloseTo(0.8571428571428571, 12);
  });
  it('constant input is undefined, not a number', () => {
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
  });
  it('bootstrap CIs contain the estimate and are seeded', () => {
    const r1 = correlate(x, y, { seed: 3, resamples: 500 });
    const r2 = correlate(x, y, { seed: 3, resamples: 500 });
    expect(r1).toEqual(r2);
    expect(r1.spearman.estimate).toBeCloseTo(0.9254658385093167, 12);
    expect(r1.spearman.lo).toBeLessThanOrEqual(r1.spearman.estimate);
    expect(r1.spearman.hi).toBeLessThanOrEqual(1);
    expect(r1.kendall.lo).toBeLessThan(r1.kendall.hi);
    expect(correlate(x, y, { seed: 4, resamples: 500 }).spearman.lo).not.toBe(r1.spearman.lo);
  });
});

describe('bootstrap', () => {
  // 400 Bernoulli items with p = 0.6: the percentile CI must be close to the normal-theory one.
  const rng = new Rng(11);
  const big = Array.from({ length: 400 }, () => (rng.next() < 0.6 ? 1 : 0));
  it('mean CI ≈ mean ± 1.96 · stderr for a large sample', () => {
    const ci = bootstrapMean(big, { seed: 1 });
    const m = mean(big);
    const se = meanStderr(big);
    expect(ci.estimate).toBe(m);
    expect(ci.se).toBeCloseTo(se, 2);
    expect(Math.abs(ci.lo - (m - 1.96 * se))).toBeLessThan(0.01);
    expect(Math.abs(ci.hi - (m + 1.96 * se))).toBeLessThan(0.01);
    expect(bootstrapMean(big, { seed: 1 })).toEqual(ci);
  });
  it('paired difference of identical arms is exactly zero; a shift is recovered', () => {
    const d0 = pairedDifference(big, big);
    expect([d0.lo, d0.estimate, d0.hi]).toEqual([0, 0, 0]);
    const worse = big.map((v, i) => (i % 10 === 0 ? 0 : v));
    const d = pairedDifference(big, worse);
    expect(d.estimate).toBeCloseTo(mean(big) - mean(worse), 12);
    expect(d.lo).toBeGreaterThan(0); // a paired test sees a one-sided change clearly
    const u = unpairedDifference(big, worse);
    expect(u.hi - u.lo).toBeGreaterThan(d.hi - d.lo); // pairing tightens the interval
  });
  it('relative drop, with zero-denominator resamples dropped', () => {
    const before = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0];
    const after = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const r = pairedRelativeDrop(before, after, { seed: 2 });
    expect(r.estimate).toBeCloseTo(0.75, 12);
    expect(r.lo).toBeGreaterThanOrEqual(0);
    expect(r.hi).toBeLessThanOrEqual(1);
    expect(r.dropped).toBeGreaterThan(0); // some resamples draw none of the four memorized items
  });
});

describe('extract compare', () => {
  const file = (exact: boolean[]) => ({
    n: exact.length,
    exact_match_rate: exact.filter(Boolean).length / exact.length,
    mean_score: 0,
    items: exact.map((e, i) => ({ index: i, score: e ? 1 : 0.25, exact: e })),
  });
  it('pairs by index and reports the relative drop', () => {
    const a = file([true, true, true, true, false, false, false, false]);
    const b = file([true, false, false, false, false, false, false, false]);
    b.items.reverse(); // order must not matter
    const c = compareExtraction(a, b, { seed: 0 });
    expect(c.n).toBe(8);
    expect(c.a.exact_match_rate).toBe(0.5);
    expect(c.relative_drop!.estimate).toBeCloseTo(0.75, 12);
    expect(c.exact_match_difference.estimate).toBeCloseTo(0.375, 12);
  });
  it('refuses files over different items', () => {
    const a = file([true, false]);
    const b = file([true, false, true]);
    expect(() => compareExtraction(a, b)).toThrow(/same sequences/);
  });
});
