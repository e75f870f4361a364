/**
 * The study as arrays: for each student, its tasks' items aligned across the untrained student and
 * every trained run, grouped into clusters (a task record's `group`: entity, passage, template; an
 * item without one is its own cluster), and the runs grouped into strata — one stratum per
 * (student, source, temperature), whose runs differ only by seed.
 *
 * Everything the contrasts need is a cluster sum: for stratum k, run r, task t, cluster c,
 * sums[t][r][c] = number of correct items of cluster c. Accuracy on a resample of clusters with
 * multiplicities w is Σ_c w_c sums_c / Σ_c w_c sizes_c.
 */
import type { BaseModelResult, ResultsData, TaskScores, TrainedRun } from '../report/results';
import { roleOf, type SourceRole } from './roles';

export interface TaskLayout {
  name: string;
  /** Items per cluster. [C] */
  sizes: Float64Array;
  items: number;
}

export interface Stratum {
  student: string;
  source: string;
  role: SourceRole;
  temperature: number;
  runs: TrainedRun[];
  /** Per task: per run: correct items per cluster. [T][R][C_t] */
  sums: Float64Array[][];
}

export interface StudentTable {
  student: string;
  tasks: TaskLayout[];
  /** Per task: the untrained student's correct items per cluster. [T][C_t] */
  base: Float64Array[];
  strata: Stratum[];
  /** Runs left out because they lack a task the others have (a failed or missing step). */
  dropped: TrainedRun[];
}

function scoreMap(x: TaskScores): Map<number, { v: number; g: string | undefined }> {
  return new Map(x.indices.map((idx, i) => [idx, { v: x.correct[i]!, g: x.groups?.[i] }]));
}

/** Aligns one student's base and runs; null when the base model has no task results. */
export function studentTable(data: ResultsData, student: string, base: BaseModelResult | undefined): StudentTable | null {
  if (!base) return null;
  const allRuns = data.runs.filter((r) => r.student === student);
  const taskNames = data.tasks.filter((t) => base.tasks[t] && allRuns.some((r) => r.tasks[t]));
  if (taskNames.length === 0) return null;
  const runs = allRuns.filter((r) => taskNames.every((t) => r.tasks[t]));
  const dropped = allRuns.filter((r) => !runs.includes(r));
  const tasks: TaskLayout[] = [];
  const baseSums: Float64Array[] = [];
  const runSums = new Map<TrainedRun, Float64Array[]>(runs.map((r) => [r, []]));
  for (const t of taskNames) {
    const b = scoreMap(base.tasks[t]!);
    const maps = runs.map((r) => scoreMap(r.tasks[t]!));
    // Items every model scored, in the base's order; clusters numbered in order of first appearance.
    const items = [...b.keys()].filter((idx) => maps.every((m) => m.has(idx)));
    if (items.length === 0) continue;
    const clusterId = new Map<string, number>();
    const clusterOf = items.map((idx) => {
      const key = b.get(idx)!.g ?? `#item:${idx}`;
      let c = clusterId.get(key);
      if (c === undefined) clusterId.set(key, (c = clusterId.size));
      return c;
    });
    const C = clusterId.size;
    const sizes = new Float64Array(C);
    const bs = new Float64Array(C);
    items.forEach((idx, i) => {
      sizes[clusterOf[i]!]! += 1;
      bs[clusterOf[i]!]! += b.get(idx)!.v;
    });
    runs.forEach((r, j) => {
      const s = new Float64Array(C);
      items.forEach((idx, i) => (s[clusterOf[i]!]! += maps[j]!.get(idx)!.v));
      runSums.get(r)!.push(s);
    });
    tasks.push({ name: t, sizes, items: items.length });
    baseSums.push(bs);
  }
  const strata: Stratum[] = [];
  for (const r of runs) {
    const role = roleOf(r);
    let s = strata.find((x) => x.source === r.source && Object.is(x.temperature, r.temperature)); // NaN: a control, no temperature
    if (!s) strata.push((s = { student, source: r.source, role, temperature: r.temperature, runs: [], sums: tasks.map(() => []) }));
    s.runs.push(r);
    runSums.get(r)!.forEach((v, t) => s!.sums[t]!.push(v));
  }
  strata.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.temperature - b.temperature));
  if (tasks.length === 0) return null;
  return { student, tasks, base: baseSums, strata, dropped };
}

/** A run's accuracy averaged over tasks (macro average, the paper's "average over benchmarks") on all items. */
export function runAccuracy(table: StudentTable, stratum: Stratum, run: number, tasks: readonly number[]): number {
  let s = 0;
  for (const t of tasks) {
    const sums = stratum.sums[t]![run]!;
    let k = 0;
    for (let c = 0; c < sums.length; c++) k += sums[c]!;
    s += k / table.tasks[t]!.items;
  }
  return s / tasks.length;
}
