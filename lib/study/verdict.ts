/**
 * Three verdicts, never more, decided from a family of pre-specified contrasts:
 *   supported     every claim contrast holds in the paper's direction at the Holm-adjusted level
 *   contradicted  some claim contrast holds significantly in the opposite direction (Holm-adjusted)
 *   not shown     neither: the data do not decide (absence of evidence is never "supported")
 * Holm's step-down runs over the whole family printed (claim and secondary contrasts), once for the
 * claim's direction and once for the opposite one. Requiring every claim contrast (an
 * intersection–union test) keeps "supported" at level α without any correction; Holm on top is
 * conservative for it and is what keeps "contradicted" (a union) at α.
 */
import { holmAdjust } from '../stats/holm';

export type Verdict = 'supported' | 'contradicted' | 'not shown';

export interface StudyContrast {
  name: string;
  student: string | null;
  /** claim: part of the paper's claim; secondary: printed and corrected for, not deciding. */
  role: 'claim' | 'secondary';
  estimate: number;
  ci: [number, number];
  /** What `estimate` is measured in: accuracy points, a share (relative drop), ρ, slope per unit temperature. */
  unit: 'points' | 'share' | 'rho' | 'slope';
  /** The claim: direction · (estimate − margin) > 0. */
  margin: number;
  direction: 1 | -1;
  p: number | null;
  p_opposite: number | null;
  p_adjusted: number | null;
  p_opposite_adjusted: number | null;
  method: string;
  /** Smallest effect beyond the margin detectable with 80% power (in `unit`), where computable. */
  mde?: number | null;
  note?: string;
}

export function adjustFamily(contrasts: StudyContrast[]): StudyContrast[] {
  const pa = holmAdjust(contrasts.map((c) => c.p));
  const po = holmAdjust(contrasts.map((c) => c.p_opposite));
  return contrasts.map((c, i) => ({ ...c, p_adjusted: pa[i]!, p_opposite_adjusted: po[i]! }));
}

export function decide(contrasts: StudyContrast[], alpha: number): Verdict {
  const claim = contrasts.filter((c) => c.role === 'claim');
  if (claim.some((c) => c.p_opposite_adjusted !== null && c.p_opposite_adjusted < alpha)) return 'contradicted';
  if (claim.length > 0 && claim.every((c) => c.p_adjusted !== null && c.p_adjusted < alpha)) return 'supported';
  return 'not shown';
}
