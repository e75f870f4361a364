/**
 * Rank correlations for "does this proxy predict the gain?": Spearman's rho (Pearson correlation
 * of average ranks, as scipy.stats.spearmanr) and Kendall's tau-b (ties corrected, as
 * scipy.stats.kendalltau's default), each with a seeded pairs-bootstrap percentile CI.
 */
import { bootstrap, type BootstrapInterval, type BootstrapOptions } from './bootstrap';

/** 1-based ranks, ties get the average of the ranks they span. */
export function averageRanks(xs: ArrayLike<number>): Float64Array {
  const n = xs.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => xs[i] - xs[j]);
  const ranks = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && xs[order[j + 1]] === xs[order[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = r;
    i = j + 1;
  }
  return ranks;
}

export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n !== y.length) throw new RangeError('pearson: arrays differ in length');
  if (n < 2) return NaN;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  return sxy / Math.sqrt(sxx * syy);
}

export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new RangeError('spearman: arrays differ in length');
  return pearson(averageRanks(x), averageRanks(y));
}

/** Kendall's tau-b: (concordant − discordant) / sqrt((n0 − n1)(n0 − n2)). O(n²), fine for result tables. */
export function kendallTauB(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n !== y.length) throw new RangeError('kendallTauB: arrays differ in length');
  let s = 0;
  let tiesX = 0; // pairs tied in x (including those tied in both)
  let tiesY = 0;
  const n0 = (n * (n - 1)) / 2;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign(x[i] - x[j]);
      const dy = Math.sign(y[i] - y[j]);
      if (dx === 0) tiesX++;
      if (dy === 0) tiesY++;
      s += dx * dy;
    }
  }
  const denom = Math.sqrt((n0 - tiesX) * (n0 - tiesY));
  return denom === 0 ? NaN : s / denom;
}

export interface CorrelationResult {
  n: number;
  spearman: BootstrapInterval;
  kendall: BootstrapInterval;
}

/** Spearman and Kendall tau-b with pairs-bootstrap CIs (the same seed for both). */
export function correlate(x: ArrayLike<number>, y: ArrayLike<number>, opts: BootstrapOptions = {}): CorrelationResult {
  if (x.length !== y.length) throw new RangeError(`correlate: x has ${x.length} values and y ${y.length}`);
  if (x.length < 3) throw new RangeError(`correlate: need at least 3 pairs, got ${x.length}`);
  const pick = (idx: Uint32Array) => {
    const xs = new Float64Array(idx.length);
    const ys = new Float64Array(idx.length);
    for (let i = 0; i < idx.length; i++) {
      xs[i] = x[idx[i]];
      ys[i] = y[idx[i]];
    }
    return [xs, ys] as const;
  };
  return {
    n: x.length,
    spearman: bootstrap(x.length, (idx) => spearman(...pick(idx)), opts),
    kendall: bootstrap(x.length, (idx) => kendallTauB(...pick(idx)), opts),
  };
}
