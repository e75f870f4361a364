/**
 * A measure's linear trend in sampling temperature (coverage should rise, fidelity fall): the
 * ordinary least-squares slope over corpora (each temperature × seed one point), t test with
 * n − 2 degrees of freedom (seed noise and lack of fit both in the residual).
 */
import { studentTCdf, studentTQuantile } from '../stats/special';

export interface SlopeTest {
  n: number;
  slope: number;
  se: number;
  df: number;
  ci: [number, number];
  /** One-sided p of direction · slope > 0. */
  p: number | null;
  pOpposite: number | null;
  note?: string;
}

export function slopeTest(x: number[], y: number[], direction: 1 | -1, level: number): SlopeTest {
  const n = x.length;
  const distinct = new Set(x).size;
  if (n < 3 || distinct < 2)
    return {
      n,
      slope: NaN,
      se: NaN,
      df: 0,
      ci: [NaN, NaN],
      p: null,
      pOpposite: null,
      note: distinct < 2 ? 'one temperature' : 'fewer than 3 corpora',
    };
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i]! - mx) ** 2;
    sxy += (x[i]! - mx) * (y[i]! - my);
  }
  const slope = sxy / sxx;
  let rss = 0;
  for (let i = 0; i < n; i++) rss += (y[i]! - my - slope * (x[i]! - mx)) ** 2;
  const df = n - 2;
  const se = Math.sqrt(rss / df / sxx);
  const q = studentTQuantile(1 - (1 - level) / 2, df);
  const ci: [number, number] = [slope - q * se, slope + q * se];
  if (!(se > 0)) return { n, slope, se, df, ci, p: null, pOpposite: null, note: 'a perfect fit: no residual to test against' };
  const t = (direction * slope) / se;
  return { n, slope, se, df, ci, p: 1 - studentTCdf(t, df), pOpposite: studentTCdf(t, df) };
}
