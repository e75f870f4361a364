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
 *
 * This file holds what the families share (settings, claims, a family's verdict and summary text);
 * each family is built in its own file: gain-findings.ts (utility, relational), decoupling.ts,
 * proxies-finding.ts, temperature-finding.ts.
 */
import type { ResultsData } from '../report/results';
import { clusterReplicates, minimumDetectableEffect, type ClusterReplicates, type LinearContrast, type TestedContrast } from './contrast';
import { formatDrop } from './relative-drop';
import { ROLE_ORDER, type SourceRole } from './roles';
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

export const T_METHOD =
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
export function cellContrast(name: string, t: StudentTable, a: number[], b: number[] | 'base', margin: number): LinearContrast {
  const terms = a.map((k) => ({ stratum: k, coef: 1 / a.length }));
  if (b !== 'base') terms.push(...b.map((k) => ({ stratum: k, coef: -1 / b.length })));
  return { name, student: t.student, terms, baseCoef: b === 'base' ? -1 : 0, margin, direction: 1 };
}

export function fromT(tc: TestedContrast, role: StudyContrast['role'], alpha: number, m: number, method = T_METHOD): StudyContrast {
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

export function finalize(
  id: FindingId,
  contrasts: StudyContrast[],
  alpha: number,
  method: string,
  emptyReason: string,
  mdeUnit: string,
): Finding {
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
