/**
 * Rank correlation of a proxy with the gain across corpora, with clustering respected.
 *
 * Corpora that share a source (its temperatures) are not independent: a source that is simply
 * better moves every one of its points together. With S sources, the data hold at least S and at
 * most S·T independent pieces of evidence; the interval takes the worst case, n_eff = S (one
 * observation per source cluster, the design effect at intra-cluster correlation 1), in the Fisher
 * z interval of Spearman's ρ with Bonett & Wright's (2000) variance (1 + ρ²/2) / (n_eff − 3).
 * Why not resample sources? A percentile bootstrap over 3–8 clusters is badly anti-conservative
 * and often degenerate (every resample from one source). Why not permute? A permutation test
 * answers ρ = 0, but "proxies fail" is an equivalence claim (|ρ| < margin), which needs an interval.
 *
 * Tests (two one-sided tests for the equivalence, Schuirmann 1987):
 *   p       of "|ρ| < margin" = max(P(z ≥ atanh(margin)), P(z ≤ −atanh(margin))) under the observed z
 *   pOpp    of "|ρ| ≥ margin" = the proxy predicts the gain: min over the two signs, doubled (Bonferroni)
 */
import { normalCdf } from '../stats/special';
import { normalQuantile } from '../stats/describe';
import { spearman } from '../stats/correlation';

export interface RankCorrelationTest {
  n: number;
  clusters: number;
  rho: number;
  ci: [number, number];
  p: number | null;
  pOpposite: number | null;
  note?: string;
}

/**
 * Minimum number of source clusters for an interval. The Fisher z approximation needs n_eff − 3 > 0,
 * but its tails are what Holm uses (a family of 35 proxies tests at α/35): with 5 sources and one
 * corpus each, ρ̂ = ±1 has probability ~4% at the boundary |ρ| = 0.5 and gets p ≈ 0, so a family of
 * noise proxies was "contradicted" 15% of the time (found by `stats power` on the lab). From 8
 * clusters the tails hold (P(p < 0.001) ≤ 0.001 at the boundary; the calibration test checks it).
 */
export const MIN_CLUSTERS = 8;

export function rankCorrelationTest(x: number[], y: number[], clusterOf: string[], margin: number, level: number): RankCorrelationTest {
  const n = x.length;
  const clusters = new Set(clusterOf).size;
  const rho = n >= 3 ? spearman(x, y) : NaN;
  if (!Number.isFinite(rho))
    return {
      n,
      clusters,
      rho,
      ci: [-1, 1],
      p: null,
      pOpposite: null,
      note: n < 3 ? 'fewer than 3 corpora' : 'a constant proxy or gain: no ranks to correlate',
    };
  if (clusters < MIN_CLUSTERS)
    return {
      n,
      clusters,
      rho,
      ci: [-1, 1],
      p: null,
      pOpposite: null,
      note: `${clusters} independent source clusters: an interval needs at least ${MIN_CLUSTERS}`,
    };
  const r = Math.max(-0.999999, Math.min(0.999999, rho));
  const z = Math.atanh(r);
  const se = Math.sqrt((1 + (r * r) / 2) / (clusters - 3));
  const q = normalQuantile(1 - (1 - level) / 2);
  const zm = Math.atanh(margin);
  const pBelow = normalCdf((z - zm) / se); // evidence ρ < margin
  const pAbove = 1 - normalCdf((z + zm) / se); // evidence ρ > −margin
  const pEquiv = Math.max(pBelow, pAbove);
  const pPos = 1 - normalCdf((z - zm) / se); // evidence ρ > margin
  const pNeg = normalCdf((z + zm) / se); // evidence ρ < −margin
  return {
    n,
    clusters,
    rho,
    ci: [Math.tanh(z - q * se), Math.tanh(z + q * se)],
    p: pEquiv,
    pOpposite: Math.min(1, 2 * Math.min(pPos, pNeg)),
  };
}

/** The smallest equivalence margin this many clusters could establish at ρ = 0 with the given power. */
export function equivalenceMarginDetectable(clusters: number, alpha: number, power = 0.8): number {
  if (clusters < MIN_CLUSTERS) return NaN;
  return Math.tanh((normalQuantile(1 - alpha) + normalQuantile(1 - (1 - power) / 2)) / Math.sqrt(clusters - 3));
}
