/**
 * The study's pre-specified contrasts, one family per finding of the paper, fixed by the design
 * (students, source roles, temperatures) before any result is looked at, then tested and decided.
 *
 *   utility      per student: gain of each source–student pair over the untrained student
 *                (claim: the self pair > 0; the others are secondary)
 *   relational   per student: self − same-lineage, same-lineage − cross-family, self − cross-family,
 *                same-lineage − different-recipe (each > 0, where the design has both roles)
 *   decoupling   per student: relative drop of held-out exact-match extraction after self-training
 *                > 95%, jointly with non-inferior capability (self gain > −δ), and the drop
 *                measured against the forgetting control (> 95%) where the design has one
 *   proxies      per student and proxy: Spearman ρ with the gain *of the task it was computed for*
 *                across corpora; claim: |ρ| < margin for every proxy (an equivalence)
 *   temperature  per source: coverage rises and fidelity falls with temperature
 */
import type { ExtractScores, ResultsData, TrainedRun } from '../report/results';
import {
  clusterReplicates,
  minimumDetectableEffect,
  testContrast,
  type ClusterReplicates,
  type LinearContrast,
  type TestedContrast,
} from './contrast';
import { dropDesignLimit, formatDrop, relativeDropTest } from './relative-drop';
import { equivalenceMarginDetectable, rankCorrelationTest } from './rank-correlation';
import { ROLE_ORDER, type SourceRole } from './roles';
import { slopeTest } from './slope';
import { studentTable, type StudentTable } from './table';
import { adjustFamily, decide, type StudyContrast, type Verdict } from './verdict';

export interface StudySettings {
  level: number;
  resamples: number;
  seed: number;
  /** Non-inferiority margin for capability, in accuracy points. */
  nonInferiorityPoints: number;
  /** |ρ| at or above which a proxy counts as predictive. */
  proxyMargin: number;
  /** The claimed relative drop of extraction. */
  extractionDrop: number;
}

export const STUDY_DEFAULTS = { nonInferiorityPoints: 1, proxyMargin: 0.5, extractionDrop: 0.95 } as const;

export type FindingId = 'utility' | 'relational' | 'decoupling' | 'proxies' | 'temperature';

export interface Finding {
  id: FindingId;
  claim: string;
  verdict: Verdict;
  contrasts: StudyContrast[];
  /** When not shown: the smallest effect this design could detect with 80% power. */
  mde?: { value: number | null; unit: string; text: string };
  /** How every number of this finding was computed. */
  method: string;
  /** One paragraph for the terminal and the report's summary. */
  text: string;
}

export interface Interval {
  estimate: number;
  lo: number;
  hi: number;
  level: number;
}

export interface StudentStudy {
  student: string;
  table: StudentTable;
  reps: ClusterReplicates;
}

const CLAIMS: Record<FindingId, string> = {
  utility:
    'Prompt-free self-training — fine-tuning the student on text it sampled from the start token alone — improves its benchmark accuracy.',
  relational:
    'Utility is relational: self-generated data helps most, a same-lineage source beats cross-family (and differently trained) sources, cross-family transfer is weak.',
  decoupling:
    'Capability and verbatim memorization decouple: benchmark accuracy holds or rises while held-out exact-match extraction drops by more than 95% (and by more than ordinary fine-tuning on natural text causes).',
  proxies:
    'Intrinsic proxies (likelihood under the student, semantic and lexical similarity to the benchmark) do not predict which corpora help.',
  temperature:
    'Sampling temperature trades coverage against fidelity: hotter corpora state more of what the model knows, and state it less faithfully.',
};

const T_METHOD =
  'two-stage variance (seeds within cells in closed form; item clusters by paired cluster bootstrap), t test with Welch–Satterthwaite df';

/** Builds each student's aligned table and its cluster-bootstrap replicates (seeded per student). */
export function studentStudies(data: ResultsData, s: StudySettings): StudentStudy[] {
  const students = [...new Set(data.runs.map((r) => r.student))];
  const out: StudentStudy[] = [];
  students.forEach((student, i) => {
    const table = studentTable(
      data,
      student,
      data.bases.find((b) => b.model === student),
    );
    if (table) out.push({ student, table, reps: clusterReplicates(table, s.resamples, s.seed + 7919 * i) });
  });
  return out;
}

/** Stratum indices of each source of a student, grouped by source (a cell = its temperatures). */
export function cellsOf(t: StudentTable): Array<{ source: string; role: SourceRole; strata: number[] }> {
  const cells: Array<{ source: string; role: SourceRole; strata: number[] }> = [];
  t.strata.forEach((s, k) => {
    let c = cells.find((x) => x.source === s.source);
    if (!c) cells.push((c = { source: s.source, role: s.role, strata: [] }));
    c.strata.push(k);
  });
  return cells.sort(
    (a, b) => ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role) || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0),
  );
}

/** Cell mean over its temperature strata (equal weights) minus `minus`'s (or the base's). */
function cellContrast(name: string, t: StudentTable, a: number[], b: number[] | 'base', margin: number): LinearContrast {
  const terms = a.map((k) => ({ stratum: k, coef: 1 / a.length }));
  if (b !== 'base') terms.push(...b.map((k) => ({ stratum: k, coef: -1 / b.length })));
  return { name, student: t.student, terms, baseCoef: b === 'base' ? -1 : 0, margin, direction: 1 };
}

function fromT(tc: TestedContrast, role: StudyContrast['role'], alpha: number, m: number, method = T_METHOD): StudyContrast {
  return {
    name: tc.name,
    student: tc.student,
    role,
    estimate: tc.estimate * 100,
    ci: [tc.ci[0] * 100, tc.ci[1] * 100],
    unit: 'points',
    margin: tc.margin * 100,
    direction: tc.direction,
    p: tc.p,
    p_opposite: tc.pOpposite,
    p_adjusted: null,
    p_opposite_adjusted: null,
    method: `${method}; ${tc.df === Infinity ? '∞' : tc.df.toFixed(1)} df`,
    mde: tc.p === null ? null : minimumDetectableEffect(tc.se, tc.df, alpha / Math.max(1, m)) * 100,
    ...(tc.note ? { note: tc.note } : {}),
  };
}

function finalize(id: FindingId, contrasts: StudyContrast[], alpha: number, method: string, emptyReason: string, mdeUnit: string): Finding {
  const adjusted = adjustFamily(contrasts);
  const verdict = decide(adjusted, alpha);
  const claim = adjusted.filter((c) => c.role === 'claim');
  const f: Finding = { id, claim: CLAIMS[id], verdict, contrasts: adjusted, method, text: '' };
  if (verdict === 'not shown') {
    const mdes = claim.map((c) => c.mde).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    const untestable = claim.filter((c) => c.p === null);
    const value = claim.length && mdes.length === claim.length ? Math.max(...mdes) : null;
    f.mde = {
      value,
      unit: mdeUnit,
      text:
        claim.length === 0
          ? emptyReason
          : value !== null
            ? `with 80% power this design detects effects of about ${fmtUnit(value, mdeUnit)} beyond the margin per contrast (Holm level α/${claim.length})`
            : `${untestable.length} of ${claim.length} claim contrasts cannot be tested: ${[...new Set(untestable.map((c) => c.note ?? 'not testable'))].join('; ')}`,
    };
  }
  f.text = summarize(f, alpha);
  return f;
}

const fmtUnit = (v: number, unit: string) =>
  unit === 'points'
    ? `${v.toFixed(1)} points`
    : unit === 'share'
      ? `${(v * 100).toFixed(1)}%`
      : unit === 'rho'
        ? `|ρ| ${v.toFixed(2)}`
        : v.toPrecision(2);

const fmtP = (p: number) => (p < 0.001 ? '<0.001' : p.toFixed(3));

function fmtContrast(c: StudyContrast, opposite = false): string {
  const e = (v: number) =>
    c.unit === 'share'
      ? formatDrop(v)
      : !Number.isFinite(v)
        ? '—'
        : c.unit === 'points'
          ? `${v >= 0 ? '+' : ''}${v.toFixed(1)}`
          : v.toFixed(2);
  const p = opposite
    ? `opposite direction, p_adj ${fmtP(c.p_opposite_adjusted!)}`
    : c.p_adjusted === null
      ? 'not testable'
      : `p_adj ${fmtP(c.p_adjusted)}`;
  return `${c.name} ${e(c.estimate)} [${e(c.ci[0])}, ${e(c.ci[1])}] (${p})`;
}

function summarize(f: Finding, alpha: number): string {
  const claim = f.contrasts.filter((c) => c.role === 'claim');
  const held = claim.filter((c) => c.p_adjusted !== null && c.p_adjusted < alpha).length;
  const against = claim.filter((c) => c.p_opposite_adjusted !== null && c.p_opposite_adjusted < alpha);
  const ordered = f.verdict === 'contradicted' ? [...against, ...claim.filter((c) => !against.includes(c))] : claim;
  const shown = ordered
    .slice(0, 4)
    .map((c) => fmtContrast(c, against.includes(c)))
    .join('; ');
  const more = claim.length > 4 ? `; … ${claim.length - 4} more in the report` : '';
  if (claim.length === 0) return f.mde?.text ?? 'nothing to test';
  const head =
    f.verdict === 'supported'
      ? `All ${claim.length} claim contrasts hold.`
      : f.verdict === 'contradicted'
        ? 'A claim contrast holds significantly in the opposite direction.'
        : `${held} of ${claim.length} claim contrasts hold.`;
  return `${head} ${shown}${more}.${f.verdict === 'not shown' && f.mde ? ` Not shown: ${f.mde.text}.` : ''}`;
}

export function utilityFinding(studies: StudentStudy[], s: StudySettings): Finding {
  const alpha = 1 - s.level;
  const tested: Array<{ tc: TestedContrast; role: StudyContrast['role'] }> = [];
  for (const { table, reps } of studies)
    for (const cell of cellsOf(table))
      tested.push({
        tc: testContrast(
          table,
          reps,
          cellContrast(`gain ${table.student} ← ${cell.source} (${cell.role})`, table, cell.strata, 'base', 0),
          s.level,
        ),
        role: cell.role === 'self' ? 'claim' : 'secondary',
      });
  const m = tested.filter((x) => x.role === 'claim').length;
  return finalize(
    'utility',
    tested.map((x) => fromT(x.tc, x.role, alpha, m)),
    alpha,
    `Gain = cell accuracy (macro average over tasks, mean over temperatures and seeds) − the untrained student's, paired on items; ${T_METHOD}; one-sided, Holm over the family.`,
    'no student was trained on its own samples (no self pair)',
    'points',
  );
}

const RELATIONAL_PAIRS: Array<[SourceRole, SourceRole]> = [
  ['self', 'same-lineage'],
  ['same-lineage', 'cross-family'],
  ['self', 'cross-family'],
  ['same-lineage', 'different-recipe'],
];

export function relationalFinding(studies: StudentStudy[], s: StudySettings): Finding {
  const alpha = 1 - s.level;
  const tested: TestedContrast[] = [];
  for (const { table, reps } of studies) {
    const cells = cellsOf(table);
    for (const [ra, rb] of RELATIONAL_PAIRS)
      for (const a of cells.filter((c) => c.role === ra))
        for (const b of cells.filter((c) => c.role === rb))
          tested.push(
            testContrast(
              table,
              reps,
              cellContrast(`${table.student}: ${a.source} (${ra}) − ${b.source} (${rb})`, table, a.strata, b.strata, 0),
              s.level,
            ),
          );
  }
  return finalize(
    'relational',
    tested.map((tc) => fromT(tc, 'claim', alpha, tested.length)),
    alpha,
    `Differences of cell accuracies for the same student, paired on items; ${T_METHOD}; one-sided in the paper's order, Holm over the family.`,
    'no student has two sources of different roles (self, same-lineage, different-recipe, cross-family) to compare',
    'points',
  );
}

/**
 * Pooled exact-match over the held-out extraction sets, aligned by index: base rate and the mean over
 * runs. A sequence that a run's corpus regenerated verbatim (`contaminated`) is no longer held out for
 * that cell: it leaves the clean set for the base and every run of the cell, and is counted.
 */
export function extractionRates(
  base: Record<string, ExtractScores>,
  runs: TrainedRun[],
  sets: string[],
): { n: number; before: number; after: number; excluded: number } | null {
  let n = 0;
  let kb = 0;
  let ka = 0;
  let excluded = 0;
  const contaminated = new Set(runs.flatMap((r) => r.contaminated ?? []));
  for (const set of sets) {
    const b = base[set];
    if (!b || runs.some((r) => !r.extraction[set])) continue;
    const maps = runs.map((r) => new Map(r.extraction[set]!.indices.map((idx, i) => [idx, r.extraction[set]!.exact[i]!])));
    b.indices.forEach((idx, i) => {
      if (!maps.every((m) => m.has(idx))) return;
      const id = b.ids?.[i];
      if (id !== undefined && contaminated.has(id)) {
        excluded++;
        return;
      }
      n++;
      kb += b.exact[i]!;
      ka += maps.reduce((acc, m) => acc + m.get(idx)!, 0) / maps.length;
    });
  }
  return n && runs.length ? { n, before: kb / n, after: ka / n, excluded } : null;
}

function dropContrast(name: string, student: string, before: number, after: number, n: number, s: StudySettings): StudyContrast {
  const alpha = 1 - s.level;
  const d = relativeDropTest(before, after, n, s.extractionDrop, s.level);
  const limit = dropDesignLimit(before, n, s.extractionDrop, alpha);
  const method = `relative drop 1 − after/before on ${n} sequences; Clopper–Pearson bounds on each rate joined by Bonferroni`;
  if (!d)
    return {
      name,
      student,
      role: 'claim',
      estimate: NaN,
      ci: [NaN, NaN],
      unit: 'share',
      margin: s.extractionDrop,
      direction: 1,
      p: null,
      p_opposite: null,
      p_adjusted: null,
      p_opposite_adjusted: null,
      method,
      mde: null,
      note: 'the reference extracts nothing: there is nothing to drop from',
    };
  const note =
    limit.bestLowerBound <= s.extractionDrop
      ? `even with nothing extracted after training the lower bound is ${formatDrop(limit.bestLowerBound)}: ${limit.sequencesNeeded ? `≥ ${limit.sequencesNeeded} held-out sequences` : 'far more held-out sequences'} would be needed to show a ${Math.round(s.extractionDrop * 100)}% drop`
      : undefined;
  return {
    name,
    student,
    role: 'claim',
    estimate: d.estimate,
    ci: d.ci,
    unit: 'share',
    margin: s.extractionDrop,
    direction: 1,
    p: d.p,
    p_opposite: d.pOpposite,
    p_adjusted: null,
    p_opposite_adjusted: null,
    method,
    mde: null,
    ...(note ? { note } : {}),
  };
}

export function decouplingFinding(data: ResultsData, studies: StudentStudy[], s: StudySettings): Finding {
  const alpha = 1 - s.level;
  const contrasts: StudyContrast[] = [];
  for (const { table, reps } of studies) {
    const cells = cellsOf(table);
    const self = cells.find((c) => c.role === 'self');
    if (!self) continue;
    const base = data.bases.find((b) => b.model === table.student)!;
    const selfRuns = self.strata.flatMap((k) => table.strata[k]!.runs);
    const rates = extractionRates(base.extraction, selfRuns, data.extraction);
    if (rates) {
      const c = dropContrast(`${table.student}: extraction drop after self-training`, table.student, rates.before, rates.after, rates.n, s);
      if (rates.excluded)
        c.note = `${rates.excluded} sequence(s) regenerated by the self corpora left out of the held-out set${c.note ? `; ${c.note}` : ''}`;
      contrasts.push(c);
    }
    const gain = testContrast(
      table,
      reps,
      cellContrast(
        `${table.student}: capability after self-training (non-inferiority, δ = ${s.nonInferiorityPoints} point)`,
        table,
        self.strata,
        'base',
        -s.nonInferiorityPoints / 100,
      ),
      s.level,
    );
    contrasts.push(fromT(gain, 'claim', alpha, 1));
    const control = cells.find((c) => c.role === 'forgetting-control');
    if (control && rates) {
      const ctrlRuns = control.strata.flatMap((k) => table.strata[k]!.runs);
      const both = extractionRates(
        Object.fromEntries(data.extraction.map((x) => [x, meanScores(ctrlRuns, x)]).filter(([, v]) => v)) as Record<string, ExtractScores>,
        selfRuns,
        data.extraction,
      );
      if (both)
        contrasts.push(
          dropContrast(
            `${table.student}: extraction drop, self-training vs the forgetting control`,
            table.student,
            both.before,
            both.after,
            both.n,
            s,
          ),
        );
    }
  }
  return finalize(
    'decoupling',
    contrasts,
    alpha,
    `Extraction: pooled exact-match over the held-out sets, relative drop with Clopper–Pearson bounds (Bonferroni-joined); capability: self gain > −δ (δ = ${s.nonInferiorityPoints} point), ${T_METHOD}. All contrasts must hold; Holm over the family.`,
    'no student was self-trained and measured for extraction',
    'share',
  );
}

/** The runs' mean exact-match per item, as one ExtractScores (used as the reference rate of the control). */
function meanScores(runs: TrainedRun[], set: string): ExtractScores | null {
  if (runs.length === 0 || runs.some((r) => !r.extraction[set])) return null;
  const first = runs[0]!.extraction[set]!;
  const maps = runs.map((r) => new Map(r.extraction[set]!.indices.map((idx, i) => [idx, r.extraction[set]!.exact[i]!])));
  const indices = first.indices.filter((idx) => maps.every((m) => m.has(idx)));
  const exact = indices.map((idx) => maps.reduce((a, m) => a + m.get(idx)!, 0) / maps.length);
  // keep the sequence ids, so the contaminated canaries leave this reference's clean set too
  const idOf = first.ids ? new Map(first.indices.map((idx, i) => [idx, first.ids![i]])) : null;
  return {
    rate: exact.reduce((a, b) => a + b, 0) / Math.max(1, exact.length),
    indices,
    exact,
    ...(idOf ? { ids: indices.map((idx) => idOf.get(idx)) } : {}),
  };
}

export interface ProxyPoints {
  student: string;
  proxy: string;
  /** The task whose gain the proxy is correlated with (null: the macro average over tasks). */
  task: string | null;
  points: Array<{ source: string; temperature: number; x: number; y: number }>;
}

/** Per student and proxy: one point per corpus (stratum: source × temperature), seeds averaged. */
export function proxyPoints(data: ResultsData, studies: StudentStudy[]): ProxyPoints[] {
  const names = [...new Set(data.runs.flatMap((r) => Object.keys(r.proxies)))].sort();
  const out: ProxyPoints[] = [];
  for (const { table } of studies) {
    for (const proxy of names) {
      const suffix = proxy.includes(':') ? proxy.slice(proxy.lastIndexOf(':') + 1) : null;
      const ti = suffix === null ? -1 : table.tasks.findIndex((t) => t.name === suffix);
      const tasks = ti >= 0 ? [ti] : table.tasks.map((_, i) => i);
      const points: ProxyPoints['points'] = [];
      table.strata.forEach((st, k) => {
        if (st.role === 'forgetting-control') return;
        const xs = st.runs.map((r) => r.proxies[proxy]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
        if (xs.length === 0) return;
        const tc = cellGain(table, k, tasks);
        points.push({ source: st.source, temperature: st.temperature, x: xs.reduce((a, b) => a + b, 0) / xs.length, y: tc });
      });
      out.push({ student: table.student, proxy, task: ti >= 0 ? suffix : null, points });
    }
  }
  return out;
}

function cellGain(t: StudentTable, k: number, tasks: number[]): number {
  const st = t.strata[k]!;
  let s = 0;
  for (const ti of tasks) {
    const n = t.tasks[ti]!.items;
    const b = t.base[ti]!.reduce((a, v) => a + v, 0) / n;
    const a = st.sums[ti]!.reduce((acc, run) => acc + run.reduce((x, v) => x + v, 0) / n, 0) / st.runs.length;
    s += a - b;
  }
  return s / tasks.length;
}

export function proxiesFinding(points: ProxyPoints[], s: StudySettings): Finding {
  const alpha = 1 - s.level;
  const contrasts: StudyContrast[] = points.map((pp) => {
    const r = rankCorrelationTest(
      pp.points.map((p) => p.x),
      pp.points.map((p) => p.y),
      pp.points.map((p) => p.source),
      s.proxyMargin,
      s.level,
    );
    const mde = equivalenceMarginDetectable(r.clusters, alpha / Math.max(1, points.length));
    return {
      name: `${pp.student}: ${pp.proxy} vs gain${pp.task ? ` on ${pp.task}` : ''}`,
      student: pp.student,
      role: 'claim',
      estimate: r.rho,
      ci: r.ci,
      unit: 'rho',
      margin: s.proxyMargin,
      direction: -1,
      p: r.p,
      p_opposite: r.pOpposite,
      p_adjusted: null,
      p_opposite_adjusted: null,
      method: `Spearman ρ over ${r.n} corpora; Fisher z interval with n_eff = ${r.clusters} source clusters (Bonett–Wright variance); equivalence by two one-sided tests`,
      mde: Number.isFinite(mde) ? mde : null,
      ...(r.note ? { note: r.note } : {}),
    };
  });
  return finalize(
    'proxies',
    contrasts,
    alpha,
    `Per student and proxy, Spearman ρ across corpora (source × temperature, seeds averaged) with the gain on the proxy's own task (the macro average for task-free proxies); cluster-aware Fisher z interval (n_eff = number of sources); "fail" means |ρ| < ${s.proxyMargin} shown by two one-sided tests; Holm over the family.`,
    'no proxies were computed',
    'rho',
  );
}

export const MEASURE_DIRECTIONS: Record<string, 1 | -1> = { coverage: 1, fidelity: -1 };

export function temperatureFinding(data: ResultsData, s: StudySettings): Finding {
  const alpha = 1 - s.level;
  const contrasts: StudyContrast[] = [];
  const sources = [...new Set(data.runs.filter((r) => !r.control).map((r) => r.source))];
  for (const source of sources) {
    // One point per corpus: (source, temperature, seed) — shared by every student trained on it.
    const corpora = new Map<string, TrainedRun>();
    for (const r of data.runs) if (r.source === source && !r.control && r.corpus) corpora.set(`${r.temperature}|${r.seed}`, r);
    for (const [measure, direction] of Object.entries(MEASURE_DIRECTIONS)) {
      const pts = [...corpora.values()].filter((r) => typeof r.corpus?.[measure] === 'number');
      if (pts.length === 0) continue;
      const t = slopeTest(
        pts.map((r) => r.temperature),
        pts.map((r) => r.corpus![measure]!),
        direction,
        s.level,
      );
      contrasts.push({
        name: `${source}: ${measure} ${direction > 0 ? 'rises' : 'falls'} with temperature`,
        student: null,
        role: 'claim',
        estimate: t.slope,
        ci: t.ci,
        unit: 'slope',
        margin: 0,
        direction,
        p: t.p,
        p_opposite: t.pOpposite,
        p_adjusted: null,
        p_opposite_adjusted: null,
        method: `OLS slope of the corpus measure on temperature over ${t.n} corpora, t test with ${t.df} df`,
        mde: t.p === null ? null : minimumDetectableEffect(t.se, t.df, alpha / 2),
        ...(t.note ? { note: t.note } : {}),
      });
    }
  }
  return finalize(
    'temperature',
    contrasts,
    alpha,
    "Per source, slopes of corpus coverage (share of the world's facts stated) and fidelity (share of stated facts that are true) against temperature; one-sided, Holm over the family. Gain by temperature is in the table (descriptive).",
    "no corpus has coverage/fidelity measures (they need a world with known facts, such as the miniature lab's)",
    'slope',
  );
}
