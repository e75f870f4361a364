/**
 * Per-subtask scores and the harness's group aggregation (lm-evaluation-harness 0.4 `aggregate_metric_list`
 * with `weight_by_size: true`): a group's metric is the size-weighted mean of its children's, its stderr
 * `pooled_sample_stderr` of theirs, children being subtasks or groups (mmlu → its four categories →
 * subjects; minerva_math → its seven subjects). Groups are computed over the children present.
 *
 *   pooled_var = Σ (n_i - 1) · se_i² · n_i / (Σ n_i - k);  se = sqrt(pooled_var / Σ n_i)
 */
import { meanStderr } from '../stats/describe';
import { MMLU_SUBJECTS } from './mmlu-subjects';

export interface Score {
  n: number;
  /** metric → value; `${metric}_stderr` → stderr (null where undefined). */
  values: Record<string, number | null>;
}

export interface GroupDef {
  children: string[];
  metrics: string[];
  alias?: string;
}

const mmluCategory = (c: string) =>
  Object.keys(MMLU_SUBJECTS)
    .filter((s) => MMLU_SUBJECTS[s] === c)
    .map((s) => `mmlu_${s}`);

/** The harness's groups for the paper's benchmarks, keyed by group name. */
export const HARNESS_GROUPS: Record<string, GroupDef> = {
  mmlu_stem: { children: mmluCategory('stem'), metrics: ['acc'], alias: 'stem' },
  mmlu_other: { children: mmluCategory('other'), metrics: ['acc'], alias: 'other' },
  mmlu_social_sciences: { children: mmluCategory('social_sciences'), metrics: ['acc'], alias: 'social sciences' },
  mmlu_humanities: { children: mmluCategory('humanities'), metrics: ['acc'], alias: 'humanities' },
  mmlu: { children: ['mmlu_stem', 'mmlu_other', 'mmlu_social_sciences', 'mmlu_humanities'], metrics: ['acc'] },
  minerva_math: {
    children: ['algebra', 'counting_and_prob', 'geometry', 'intermediate_algebra', 'num_theory', 'prealgebra', 'precalc'].map(
      (s) => `minerva_math_${s}`,
    ),
    metrics: ['exact_match', 'math_verify'],
  },
};

/** Scores of each subtask from per-item metric values (mean and mean_stderr per metric). */
export function subtaskScores(
  rows: ReadonlyArray<{ subtask?: string | undefined; values: Record<string, number> }>,
): Record<string, Score> {
  const by = new Map<string, Array<Record<string, number>>>();
  for (const r of rows) {
    if (r.subtask === undefined) continue;
    const list = by.get(r.subtask) ?? [];
    list.push(r.values);
    by.set(r.subtask, list);
  }
  const out: Record<string, Score> = {};
  for (const [name, list] of [...by.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const values: Record<string, number | null> = {};
    for (const m of Object.keys(list[0]!)) {
      const xs = list.map((v) => v[m]!);
      values[m] = xs.reduce((a, b) => a + b, 0) / xs.length;
      const se = meanStderr(xs);
      values[`${m}_stderr`] = Number.isFinite(se) ? se : null;
    }
    out[name] = { n: list.length, values };
  }
  return out;
}

export function pooledSampleStderr(stderrs: readonly number[], sizes: readonly number[]): number {
  const total = sizes.reduce((a, b) => a + b, 0);
  const pooledVar = sizes.reduce((acc, n, i) => acc + (n - 1) * stderrs[i]! ** 2 * n, 0) / (total - sizes.length);
  return Math.sqrt(pooledVar / total);
}

/** Every known group with at least one child present, innermost first; the result maps group → score. */
export function groupScores(subtasks: Record<string, Score>, groups: Record<string, GroupDef> = HARNESS_GROUPS): Record<string, Score> {
  const done: Record<string, Score> = {};
  const scoreOf = (name: string): Score | undefined => subtasks[name] ?? done[name] ?? compute(name);
  const compute = (name: string): Score | undefined => {
    const def = groups[name];
    if (!def) return undefined;
    const kids = def.children.map(scoreOf).filter((s): s is Score => s !== undefined);
    if (kids.length === 0) return undefined;
    const n = kids.reduce((a, k) => a + k.n, 0);
    const values: Record<string, number | null> = {};
    for (const m of def.metrics) {
      const have = kids.filter((k) => typeof k.values[m] === 'number');
      if (have.length === 0) continue;
      const size = have.reduce((a, k) => a + k.n, 0);
      values[m] = have.reduce((a, k) => a + (k.values[m] as number) * k.n, 0) / size;
      const ses = have.map((k) => k.values[`${m}_stderr`]);
      values[`${m}_stderr`] =
        ses.every((s): s is number => typeof s === 'number') && size > have.length
          ? pooledSampleStderr(
              ses,
              have.map((k) => k.n),
            )
          : null;
    }
    const s = { n, values };
    done[name] = s;
    return s;
  };
  for (const g of Object.keys(groups)) scoreOf(g);
  return done;
}
