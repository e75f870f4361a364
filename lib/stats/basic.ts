/**
 * The two statistics evaluation needs: the harness's standard error of a mean and a seeded
 * percentile bootstrap interval of a mean. Deterministic: the same seed gives the same interval.
 *
 *   meanStderr([1, 0, 1, 1])                      // sample std / sqrt(n), lm-eval's mean_stderr
 *   bootstrapCI(scores, { seed: 0 })              // [lo, hi] at 95%
 */

/** Sample standard deviation (n - 1) over sqrt(n), as lm-evaluation-harness `mean_stderr`. NaN when n < 2. */
export function meanStderr(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) return Number.NaN;
  let mu = 0;
  for (let i = 0; i < n; i++) mu += values[i]!;
  mu /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i]! - mu) ** 2;
  return Math.sqrt(ss / (n - 1)) / Math.sqrt(n);
}

export interface BootstrapOptions {
  /** Seed of the resampling stream (default 0). */
  seed?: number;
  /** Resamples (default 1000). */
  iterations?: number;
  /** 1 - confidence level (default 0.05: a 95% interval). */
  alpha?: number;
}

/** mulberry32: a small, fast, seedable 32-bit generator (uniform in [0, 1)). */
export function seededUniform(seed: number): () => number {
  let a = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Linear-interpolated quantile of sorted values (numpy's default method). */
function quantileSorted(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Percentile bootstrap confidence interval of the mean of `values`: [lo, hi]. [NaN, NaN] when empty. */
export function bootstrapCI(values: ArrayLike<number>, options: BootstrapOptions = {}): [number, number] {
  const n = values.length;
  const iterations = options.iterations ?? 1000;
  const alpha = options.alpha ?? 0.05;
  if (n === 0) return [Number.NaN, Number.NaN];
  if (!(iterations >= 1) || !(alpha > 0 && alpha < 1)) throw new RangeError('bootstrapCI: iterations >= 1 and 0 < alpha < 1');
  const rand = seededUniform(options.seed ?? 0);
  const means = new Float64Array(iterations);
  for (let b = 0; b < iterations; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[Math.floor(rand() * n)]!;
    means[b] = s / n;
  }
  means.sort();
  return [quantileSorted(means, alpha / 2), quantileSorted(means, 1 - alpha / 2)];
}
