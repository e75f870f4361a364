/**
 * Clopper–Pearson ("exact") binomial bounds: the interval stays honest at the boundary, where a
 * rate of 0 of n or n of n would give a bootstrap or Wald interval of zero width.
 *   lower(k, n, α) = Beta quantile α     of Beta(k, n − k + 1)   (0 when k = 0)
 *   upper(k, n, α) = Beta quantile 1 − α of Beta(k + 1, n − k)   (1 when k = n)
 * `alpha` is the one-sided error of that bound; a two-sided interval at level L uses α = (1 − L) / 2.
 */
import { betaQuantile } from './special';

function check(k: number, n: number, alpha: number): void {
  if (!(Number.isInteger(n) && n > 0)) throw new RangeError(`Clopper–Pearson: n must be a positive integer, got ${n}`);
  if (!(Number.isInteger(k) && k >= 0 && k <= n)) throw new RangeError(`Clopper–Pearson: k must be an integer in [0, n], got ${k} of ${n}`);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`Clopper–Pearson: alpha must be in (0, 1), got ${alpha}`);
}

/** One-sided lower confidence bound on the success probability (error ≤ alpha). */
export function clopperPearsonLower(k: number, n: number, alpha: number): number {
  check(k, n, alpha);
  return k === 0 ? 0 : betaQuantile(alpha, k, n - k + 1);
}

/** One-sided upper confidence bound on the success probability (error ≤ alpha). */
export function clopperPearsonUpper(k: number, n: number, alpha: number): number {
  check(k, n, alpha);
  return k === n ? 1 : betaQuantile(1 - alpha, k + 1, n - k);
}
