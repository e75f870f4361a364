/**
 * Holm's step-down adjustment (Holm 1979), as statsmodels' multipletests(method='holm'): sort the
 * m p-values ascending, adjusted p(i) = max over j ≤ i of min(1, (m − j + 1) p(j)). Rejecting where
 * the adjusted p < α controls the family-wise error rate at α under any dependence.
 * Missing p-values (null: a contrast that could not be tested) are left null and do not count in m.
 */
export function holmAdjust(pValues: ReadonlyArray<number | null>): Array<number | null> {
  const present = pValues.map((p, i) => ({ p, i })).filter((x): x is { p: number; i: number } => x.p !== null && Number.isFinite(x.p));
  for (const { p } of present) if (p < 0 || p > 1) throw new RangeError(`holmAdjust: p-values must be in [0, 1], got ${p}`);
  present.sort((a, b) => a.p - b.p || a.i - b.i);
  const m = present.length;
  const out: Array<number | null> = pValues.map(() => null);
  let running = 0;
  present.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    out[i] = running;
  });
  return out;
}
