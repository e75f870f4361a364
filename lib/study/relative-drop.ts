/**
 * "Held-out exact-match extraction drops by more than 95%": a bound on the relative drop
 * D = 1 − after / before of two exact-match rates on the same n sequences, exact at the boundary.
 *
 * Lower bound (the claim's side):  D_lo(α) = 1 − CP_upper(k_after, n; α/2) / CP_lower(k_before, n; α/2)
 * Upper bound (the opposite side): D_hi(α) = 1 − CP_lower(k_after, n; α/2) / CP_upper(k_before, n; α/2)
 * Each rate gets a one-sided Clopper–Pearson bound at α/2 and Bonferroni joins them, which is
 * valid whatever the dependence between the two rates (they are paired on the same sequences).
 * So 0 of n extracted after training still leaves an upper bound of ≈ 3.7 / n on the after-rate —
 * the interval never collapses to [100%, 100%].
 *
 * An after-rate averaged over several runs (seeds, temperatures) is mean k / n with k possibly
 * fractional: it is rounded up for the claim's bound and down for the opposite one (conservative),
 * and the bound treats it as one run of n sequences (a mean over runs varies less than one run).
 * The one-sided p-value of "D > threshold" is the smallest α at which D_lo(α) > threshold.
 */
import { clopperPearsonLower, clopperPearsonUpper } from '../stats/clopper-pearson';

/** A relative drop as a percentage; bounds below −100% (a tiny reference rate) print as "< −100%". */
export function formatDrop(v: number): string {
  if (v === -Infinity || (Number.isFinite(v) && v < -1)) return '< −100%';
  return Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '—';
}

export interface DropTest {
  before: number;
  after: number;
  n: number;
  estimate: number;
  /** Two-sided interval at the level asked for. */
  ci: [number, number];
  p: number;
  pOpposite: number;
}

function lowerBound(kBefore: number, kAfter: number, n: number, alpha: number): number {
  const lo = clopperPearsonLower(kBefore, n, alpha / 2);
  return lo <= 0 ? -Infinity : 1 - clopperPearsonUpper(kAfter, n, alpha / 2) / lo;
}

function upperBound(kBefore: number, kAfter: number, n: number, alpha: number): number {
  return 1 - clopperPearsonLower(kAfter, n, alpha / 2) / clopperPearsonUpper(kBefore, n, alpha / 2);
}

/** Smallest α in (0, 1) with holds(α) true, for a condition monotone in α; 1 when none. */
function smallestAlpha(holds: (alpha: number) => boolean): number {
  if (!holds(0.999999)) return 1;
  let lo = 1e-12;
  let hi = 0.999999;
  if (holds(lo)) return lo;
  for (let i = 0; i < 60; i++) {
    const mid = Math.sqrt(lo * hi);
    if (holds(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * `beforeRate` and `afterRate` are exact-match rates on the same n sequences; `threshold` the claimed
 * drop (0.95). Returns null when the reference rate is 0 (nothing to drop from).
 */
export function relativeDropTest(beforeRate: number, afterRate: number, n: number, threshold: number, level: number): DropTest | null {
  const kbUp = Math.min(n, Math.ceil(beforeRate * n - 1e-9));
  const kbDown = Math.max(0, Math.floor(beforeRate * n + 1e-9));
  const kaUp = Math.min(n, Math.ceil(afterRate * n - 1e-9));
  const kaDown = Math.max(0, Math.floor(afterRate * n + 1e-9));
  if (kbUp === 0) return null;
  const a = 1 - level;
  return {
    before: beforeRate,
    after: afterRate,
    n,
    estimate: 1 - afterRate / beforeRate,
    ci: [lowerBound(kbDown, kaUp, n, a / 2), upperBound(kbUp, kaDown, n, a / 2)],
    p: smallestAlpha((al) => lowerBound(kbDown, kaUp, n, al) > threshold),
    pOpposite: smallestAlpha((al) => upperBound(kbUp, kaDown, n, al) < threshold),
  };
}

/** The best lower bound a design of n sequences can reach (nothing extracted after), and the n it would need. */
export function dropDesignLimit(
  beforeRate: number,
  n: number,
  threshold: number,
  alpha: number,
): { bestLowerBound: number; sequencesNeeded: number | null } {
  const kb = Math.max(0, Math.floor(beforeRate * n + 1e-9));
  const best = kb === 0 ? -Infinity : lowerBound(kb, 0, n, alpha);
  let needed: number | null = null;
  for (let m = n; m <= 100000; m = Math.ceil(m * 1.1)) {
    if (lowerBound(Math.floor(beforeRate * m + 1e-9), 0, m, alpha) > threshold) {
      needed = m;
      break;
    }
  }
  return { bestLowerBound: best, sequencesNeeded: needed };
}
