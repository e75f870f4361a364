/**
 * Seeded nonparametric bootstrap with percentile intervals.
 *
 * Every function resamples item indices with replacement (paired designs resample the same index
 * for both arms) using `Rng`, so a (data, seed, resamples) triple always gives the same interval.
 * Resamples where the statistic is undefined (e.g. a ratio over a zero denominator, a correlation
 * of a constant) are dropped and counted in `dropped`.
 */
import { mean, quantileSorted, type Interval } from './describe';
import { Rng } from './prng';

export interface BootstrapOptions {
  /** Number of resamples (default 2000). */
  resamples?: number;
  /** Confidence level (default 0.95). */
  level?: number;
  /** PRNG seed (default 0). */
  seed?: number;
}

export interface BootstrapInterval extends Interval {
  /** Standard deviation of the bootstrap distribution. */
  se: number;
  resamples: number;
  /** Resamples where the statistic was not finite and was left out. */
  dropped: number;
  seed: number;
}

export const BOOTSTRAP_DEFAULTS = { resamples: 2000, level: 0.95, seed: 0 } as const;

/**
 * Bootstrap a statistic of n items. `stat(idx)` gets the resampled indices (length n) and returns
 * the statistic for that resample; `stat(identity)` is the point estimate.
 */
export function bootstrap(n: number, stat: (idx: Uint32Array) => number, opts: BootstrapOptions = {}): BootstrapInterval {
  const resamples = opts.resamples ?? BOOTSTRAP_DEFAULTS.resamples;
  const level = opts.level ?? BOOTSTRAP_DEFAULTS.level;
  const seed = opts.seed ?? BOOTSTRAP_DEFAULTS.seed;
  if (!(n > 0)) throw new RangeError('bootstrap: need at least one item');
  if (!(level > 0 && level < 1)) throw new RangeError(`bootstrap: level must be in (0, 1), got ${level}`);
  const identity = new Uint32Array(n);
  for (let i = 0; i < n; i++) identity[i] = i;
  const estimate = stat(identity);
  const rng = new Rng(seed);
  const idx = new Uint32Array(n);
  const values: number[] = [];
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) idx[i] = rng.int(n);
    const v = stat(idx);
    if (Number.isFinite(v)) values.push(v);
  }
  values.sort((a, b) => a - b);
  const alpha = (1 - level) / 2;
  const m = mean(values);
  let ss = 0;
  for (const v of values) ss += (v - m) ** 2;
  return {
    estimate,
    lo: quantileSorted(values, alpha),
    hi: quantileSorted(values, 1 - alpha),
    level,
    se: values.length > 1 ? Math.sqrt(ss / (values.length - 1)) : NaN,
    resamples,
    dropped: resamples - values.length,
    seed,
  };
}

function meanAt(xs: ArrayLike<number>, idx: Uint32Array): number {
  let s = 0;
  for (let i = 0; i < idx.length; i++) s += xs[idx[i]];
  return s / idx.length;
}

/** Percentile bootstrap CI for the mean of xs. */
export function bootstrapMean(xs: ArrayLike<number>, opts: BootstrapOptions = {}): BootstrapInterval {
  return bootstrap(xs.length, (idx) => meanAt(xs, idx), opts);
}

function checkPaired(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) throw new RangeError(`${what}: paired arrays differ in length (${a.length} vs ${b.length})`);
  if (a.length === 0) throw new RangeError(`${what}: no items`);
}

/**
 * Paired bootstrap CI for mean(a) − mean(b), where a[i] and b[i] are two models' scores on the same
 * item i (accuracies 0/1, extraction exact-match 0/1, or any per-item score).
 */
export function pairedDifference(a: ArrayLike<number>, b: ArrayLike<number>, opts: BootstrapOptions = {}): BootstrapInterval {
  checkPaired(a, b, 'pairedDifference');
  return bootstrap(a.length, (idx) => meanAt(a, idx) - meanAt(b, idx), opts);
}

/**
 * Paired bootstrap CI for the relative drop (mean(a) − mean(b)) / mean(a), e.g. how much of the
 * extraction rate of model a (before) is gone in model b (after). Undefined when mean(a) = 0.
 */
export function pairedRelativeDrop(a: ArrayLike<number>, b: ArrayLike<number>, opts: BootstrapOptions = {}): BootstrapInterval {
  checkPaired(a, b, 'pairedRelativeDrop');
  return bootstrap(
    a.length,
    (idx) => {
      const ma = meanAt(a, idx);
      return ma === 0 ? NaN : (ma - meanAt(b, idx)) / ma;
    },
    opts,
  );
}

/**
 * Unpaired bootstrap for mean(a) − mean(b) when the two samples are independent (different items):
 * each arm is resampled on its own.
 */
export function unpairedDifference(a: ArrayLike<number>, b: ArrayLike<number>, opts: BootstrapOptions = {}): BootstrapInterval {
  if (a.length === 0 || b.length === 0) throw new RangeError('unpairedDifference: both samples need items');
  const resamples = opts.resamples ?? BOOTSTRAP_DEFAULTS.resamples;
  const level = opts.level ?? BOOTSTRAP_DEFAULTS.level;
  const seed = opts.seed ?? BOOTSTRAP_DEFAULTS.seed;
  const rng = new Rng(seed);
  const values: number[] = [];
  for (let r = 0; r < resamples; r++) {
    let sa = 0;
    for (let i = 0; i < a.length; i++) sa += a[rng.int(a.length)];
    let sb = 0;
    for (let i = 0; i < b.length; i++) sb += b[rng.int(b.length)];
    values.push(sa / a.length - sb / b.length);
  }
  values.sort((x, y) => x - y);
  const alpha = (1 - level) / 2;
  const m = mean(values);
  let ss = 0;
  for (const v of values) ss += (v - m) ** 2;
  return {
    estimate: mean(a) - mean(b),
    lo: quantileSorted(values, alpha),
    hi: quantileSorted(values, 1 - alpha),
    level,
    se: Math.sqrt(ss / (values.length - 1)),
    resamples,
    dropped: 0,
    seed,
  };
}
