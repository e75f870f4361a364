/**
 * Linear contrasts of accuracy with every source of noise in their standard error.
 *
 * A contrast is Σ_k coef_k · Ā_k + baseCoef · A_base, where Ā_k is stratum k's accuracy (macro
 * average over the chosen tasks) averaged over its runs (seeds) and A_base the untrained student's.
 * Examples: the gain of a source–student pair = mean over its temperature strata − base; self −
 * cross-family = difference of two such cell means (the base cancels).
 *
 * Its variance has two parts (a two-stage, "hierarchical" design: runs within strata, items
 * within clusters), estimated separately and added:
 *   seeds   Σ_k coef_k² s_k² / R_k, with s_k² the sample variance of stratum k's run accuracies
 *           (n − 1 divisor). This is the expectation of the seed-level bootstrap with deviations
 *           rescaled by √(R/(R − 1)), in closed form, which is exact for a linear contrast. A
 *           stratum with one run borrows the student's pooled within-stratum variance; a student
 *           with no replicated stratum has no estimate of seed noise and nothing is tested.
 *   items   a cluster bootstrap: clusters resampled with replacement within each task, the same
 *           resample for every model (paired across the conditions compared), seeded; its
 *           variance, per task, is scaled by C/(C − 1) (the bootstrap's own small-sample bias).
 * Adding both counts the run × item interaction twice (Owen's "pigeonhole" bound): conservative.
 *
 * Inference is a t test with Welch–Satterthwaite degrees of freedom from the components' own
 * degrees of freedom (R_k − 1 per stratum, C_t − 1 per task): with 3 seeds a percentile bootstrap
 * interval would be too narrow (the bootstrap variance of a mean of 3 is 2/3 of the unbiased one,
 * and its tails are normal, not t with 2 degrees of freedom) — the calibration tests show both.
 */
import { Rng } from '../stats/prng';
import { studentTCdf, studentTQuantile } from '../stats/special';
import { runAccuracy, type StudentTable } from './table';

export interface LinearContrast {
  name: string;
  student: string;
  terms: Array<{ stratum: number; coef: number }>;
  baseCoef: number;
  /** Task indices into the table (default: every task). */
  tasks?: number[];
  /** The claim is `direction · (contrast − margin) > 0`. */
  margin: number;
  direction: 1 | -1;
}

export interface TestedContrast {
  name: string;
  student: string;
  estimate: number;
  se: number;
  df: number;
  /** Two-sided interval at the study's level (estimate ± t · se). */
  ci: [number, number];
  /** One-sided p of the claim (H0: the claim's direction does not hold beyond the margin). Null: not testable. */
  p: number | null;
  /** One-sided p of the opposite direction (used for "contradicted"). */
  pOpposite: number | null;
  margin: number;
  direction: 1 | -1;
  /** Components of the variance, for the report's method notes. */
  varSeeds: number;
  varItems: number;
  note?: string;
}

/** Per task, per bootstrap replicate: every stratum's and the base's accuracy on that resample. */
export interface ClusterReplicates {
  resamples: number;
  /** [T][B * (K + 1)]: replicate b, stratum k at b*(K+1)+k, base at b*(K+1)+K. */
  acc: Float64Array[];
}

/**
 * Draws `resamples` cluster resamples per task (tasks in order, clusters with replacement, one
 * Rng stream) and evaluates every stratum's run-averaged accuracy and the base's on each.
 */
export function clusterReplicates(table: StudentTable, resamples: number, seed: number): ClusterReplicates {
  const rng = new Rng(seed);
  const K = table.strata.length;
  const acc = table.tasks.map(() => new Float64Array(resamples * (K + 1)));
  // Run-averaged cluster sums per stratum: [T][K][C].
  const mean = table.tasks.map((task, t) =>
    table.strata.map((s) => {
      const m = new Float64Array(task.sizes.length);
      for (const run of s.sums[t]!) for (let c = 0; c < m.length; c++) m[c]! += run[c]! / s.runs.length;
      return m;
    }),
  );
  const w = table.tasks.map((task) => new Float64Array(task.sizes.length));
  // Rng.int(C) without its per-call set-up: the same rejection rule, so the same stream.
  const limits = table.tasks.map((task) => Math.floor(2 ** 32 / task.sizes.length) * task.sizes.length);
  for (let b = 0; b < resamples; b++) {
    for (let t = 0; t < table.tasks.length; t++) {
      const wt = w[t]!;
      wt.fill(0);
      const C = wt.length;
      const limit = limits[t]!;
      for (let j = 0; j < C; j++) {
        let u = rng.nextU32();
        while (u >= limit) u = rng.nextU32();
        wt[u % C]! += 1;
      }
    }
    for (let t = 0; t < table.tasks.length; t++) {
      const wt = w[t]!;
      const sizes = table.tasks[t]!.sizes;
      let den = 0;
      for (let c = 0; c < wt.length; c++) den += wt[c]! * sizes[c]!;
      const row = b * (K + 1);
      for (let k = 0; k < K; k++) {
        const m = mean[t]![k]!;
        let num = 0;
        for (let c = 0; c < wt.length; c++) num += wt[c]! * m[c]!;
        acc[t]![row + k] = num / den;
      }
      let nb = 0;
      const bs = table.base[t]!;
      for (let c = 0; c < wt.length; c++) nb += wt[c]! * bs[c]!;
      acc[t]![row + K] = nb / den;
    }
  }
  return { resamples, acc };
}

function sampleVariance(xs: ArrayLike<number>): number {
  const n = xs.length;
  if (n < 2) return NaN;
  let m = 0;
  for (let i = 0; i < n; i++) m += xs[i]!;
  m /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (xs[i]! - m) ** 2;
  return ss / (n - 1);
}

/** Estimate, seed and item variances, Satterthwaite df, t test and interval of one contrast. */
export function testContrast(table: StudentTable, reps: ClusterReplicates, c: LinearContrast, level: number): TestedContrast {
  const tasks = c.tasks ?? table.tasks.map((_, i) => i);
  const K = table.strata.length;
  // Point estimate on all items.
  let estimate = 0;
  const accCache = new Map<number, number[]>();
  const runAcc = (k: number): number[] => {
    let xs = accCache.get(k);
    if (!xs) accCache.set(k, (xs = table.strata[k]!.runs.map((_, r) => runAccuracy(table, table.strata[k]!, r, tasks))));
    return xs;
  };
  for (const { stratum, coef } of c.terms) estimate += coef * (runAcc(stratum).reduce((a, b) => a + b, 0) / runAcc(stratum).length);
  if (c.baseCoef !== 0) {
    let s = 0;
    for (const t of tasks) s += table.base[t]!.reduce((a, b) => a + b, 0) / table.tasks[t]!.items;
    estimate += (c.baseCoef * s) / tasks.length;
  }
  // Seeds: per-stratum variance where replicated, else the student's pooled within-stratum variance.
  let pooledSS = 0;
  let pooledDf = 0;
  if (c.terms.some((t) => table.strata[t.stratum]!.runs.length < 2))
    table.strata.forEach((st, k) => {
      if (st.runs.length >= 2) {
        pooledSS += sampleVariance(runAcc(k)) * (st.runs.length - 1);
        pooledDf += st.runs.length - 1;
      }
    });
  const pooled = pooledDf > 0 ? pooledSS / pooledDf : NaN;
  let varSeeds = 0;
  let satNum = 0; // Σ v_i²/df_i over components
  let pooledPart = 0;
  let untestable: string | undefined;
  for (const { stratum, coef } of c.terms) {
    const xs = runAcc(stratum);
    if (coef === 0) continue;
    if (xs.length >= 2) {
      const v = (coef * coef * sampleVariance(xs)) / xs.length;
      varSeeds += v;
      satNum += (v * v) / (xs.length - 1);
    } else if (pooledDf > 0) pooledPart += (coef * coef * pooled) / xs.length;
    else untestable = 'one run per cell: seed-to-seed variance cannot be estimated, so nothing is tested (run ≥ 2 seeds)';
  }
  varSeeds += pooledPart;
  if (pooledPart > 0) satNum += (pooledPart * pooledPart) / pooledDf;
  // Items: per task, the bootstrap variance of that task's share of the contrast.
  let varItems = 0;
  for (const t of tasks) {
    const a = reps.acc[t]!;
    const vals = new Float64Array(reps.resamples);
    for (let b = 0; b < reps.resamples; b++) {
      let v = c.baseCoef * a[b * (K + 1) + K]!;
      for (const { stratum, coef } of c.terms) v += coef * a[b * (K + 1) + stratum]!;
      vals[b] = v / tasks.length;
    }
    const C = table.tasks[t]!.sizes.length;
    if (C < 2) {
      untestable ??= `task ${table.tasks[t]!.name} has a single item cluster: item variance cannot be estimated`;
      continue;
    }
    const v = (sampleVariance(vals) * C) / (C - 1);
    varItems += v;
    satNum += (v * v) / (C - 1);
  }
  const variance = varSeeds + varItems;
  const se = Math.sqrt(variance);
  const df = satNum > 0 ? (variance * variance) / satNum : Infinity;
  const tq = studentTQuantile(1 - (1 - level) / 2, df);
  const base = {
    name: c.name,
    student: c.student,
    estimate,
    se,
    df,
    ci: [estimate - tq * se, estimate + tq * se] as [number, number],
    margin: c.margin,
    direction: c.direction,
    varSeeds,
    varItems,
  };
  if (untestable || !(se > 0)) return { ...base, p: null, pOpposite: null, note: untestable ?? 'no variation at all: nothing to test' };
  const tStat = (c.direction * (estimate - c.margin)) / se;
  return { ...base, p: 1 - studentTCdf(tStat, df), pOpposite: studentTCdf(tStat, df) };
}

/**
 * Smallest effect (beyond the margin, in the claim's direction) this contrast would detect with
 * the given power at one-sided level `alpha`, holding its standard error: (t_{1−α} + t_{power}) · se.
 */
export function minimumDetectableEffect(se: number, df: number, alpha: number, power = 0.8): number {
  if (!(se > 0) || !(df > 0)) return NaN;
  return (studentTQuantile(1 - alpha, df) + studentTQuantile(power, df)) * se;
}
