/**
 * From results to the paper's tables, with confidence intervals.
 *
 * Gains are paired on benchmark items: for a (student, source) cell, each item's correctness is
 * averaged over the cell's runs (temperatures × seeds) and compared with the untrained student on
 * the same item; items of all tasks are pooled (larger tasks weigh more) and the mean difference
 * gets a paired bootstrap CI. This captures item sampling noise, not seed-to-seed training noise;
 * the seeds enter through the average. Proxy correlations resample runs (pairs bootstrap).
 */
import type { Cell } from './csv';
import type { BaseModelResult, ExtractScores, ResultsData, TaskScores, TrainedRun } from './results';
import { correlate, mean, pairedDifference, pairedRelativeDrop, type BootstrapInterval } from '../stats';

export type Relation = 'self' | 'same-family' | 'cross-family';

export interface UtilityCell {
  student: string;
  source: string;
  relation: Relation;
  runs: number;
  items: number;
  gain: BootstrapInterval | null;
}

export interface TemperaturePoint {
  student: string;
  source: string;
  temperature: number;
  gain: BootstrapInterval | null;
}

export interface ProxyCorrelation {
  proxy: string;
  n: number;
  spearman: BootstrapInterval | null;
  kendall: BootstrapInterval | null;
  points: Array<{ x: number; y: number; student: string; source: string; temperature: number; seed: number }>;
}

export interface CapabilityPoint {
  label: string;
  student: string;
  source: string | null;
  stage: 'before' | 'after';
  accuracy: number;
  extraction: number;
}

export interface ExtractionChange {
  student: string;
  source: string;
  before: number;
  after: number;
  drop: BootstrapInterval | null;
}

export type Verdict = 'supported' | 'not supported' | 'inconclusive';

export interface Finding {
  id: string;
  claim: string;
  verdict: Verdict;
  text: string;
}

export interface Analysis {
  columns: string[];
  rows: Record<string, Cell>[];
  utility: UtilityCell[];
  temperature: TemperaturePoint[];
  proxies: ProxyCorrelation[];
  capability: CapabilityPoint[];
  extraction: ExtractionChange[];
  findings: Finding[];
  level: number;
}

export function relationOf(run: Pick<TrainedRun, 'student' | 'source' | 'studentFamily' | 'sourceFamily'>): Relation {
  if (run.student === run.source) return 'self';
  return run.studentFamily === run.sourceFamily ? 'same-family' : 'cross-family';
}

/** Pooled per-item vectors (trained averaged over runs, and the base) over the items every run and the base share. */
function pairedItems(runs: TrainedRun[], base: BaseModelResult | undefined, pick: 'tasks' | 'extraction', names: string[]): { after: number[]; before: number[] } {
  const after: number[] = [];
  const before: number[] = [];
  if (!base || runs.length === 0) return { after, before };
  for (const name of names) {
    const get = (x: TaskScores | ExtractScores | undefined): Map<number, number> | null => {
      if (!x) return null;
      const v = 'correct' in x ? x.correct : x.exact;
      return new Map(x.indices.map((idx, i) => [idx, v[i]]));
    };
    const b = get(pick === 'tasks' ? base.tasks[name] : base.extraction[name]);
    const rs = runs.map((r) => get(pick === 'tasks' ? r.tasks[name] : r.extraction[name]));
    if (!b || rs.some((m) => !m)) continue;
    for (const [idx, bv] of b) {
      let s = 0;
      let ok = true;
      for (const m of rs) {
        const v = m!.get(idx);
        if (v === undefined) {
          ok = false;
          break;
        }
        s += v;
      }
      if (!ok) continue;
      after.push(s / rs.length);
      before.push(bv);
    }
  }
  return { after, before };
}

function pooledAccuracy(scores: Record<string, TaskScores | ExtractScores>, names: string[]): number | null {
  let s = 0;
  let n = 0;
  for (const name of names) {
    const x = scores[name];
    if (!x) continue;
    const v = 'correct' in x ? x.correct : x.exact;
    for (const c of v) s += c;
    n += v.length;
  }
  return n ? s / n : null;
}

const uniq = <T>(xs: T[]) => [...new Set(xs)];

export function analyze(data: ResultsData): Analysis {
  const { level } = data.statistics;
  const bopts = data.statistics;
  const baseOf = new Map(data.bases.map((b) => [b.model, b]));
  const proxyNames = uniq(data.runs.flatMap((r) => Object.keys(r.proxies))).sort();

  // results.csv: one row per model evaluated (base models, then trained runs).
  const columns = ['stage', 'student', 'source', 'relation', 'temperature', 'seed', 'accuracy', 'gain'];
  for (const t of data.tasks) columns.push(`acc:${t}`, `gain:${t}`);
  columns.push('extraction');
  for (const x of data.extraction) columns.push(`extract:${x}`, `extract_drop:${x}`);
  columns.push('train_loss', ...proxyNames);
  const rows: Record<string, Cell>[] = [];
  for (const b of data.bases) {
    const row: Record<string, Cell> = { stage: 'base', student: b.model, accuracy: pooledAccuracy(b.tasks, data.tasks), extraction: pooledAccuracy(b.extraction, data.extraction) };
    for (const t of data.tasks) row[`acc:${t}`] = b.tasks[t]?.acc ?? null;
    for (const x of data.extraction) row[`extract:${x}`] = b.extraction[x]?.rate ?? null;
    rows.push(row);
  }
  for (const r of data.runs) {
    const base = baseOf.get(r.student);
    const acc = pooledAccuracy(r.tasks, data.tasks);
    const baseAcc = base ? pooledAccuracy(base.tasks, data.tasks) : null;
    const row: Record<string, Cell> = {
      stage: 'trained',
      student: r.student,
      source: r.source,
      relation: relationOf(r),
      temperature: r.temperature,
      seed: r.seed,
      accuracy: acc,
      gain: acc !== null && baseAcc !== null ? acc - baseAcc : null,
      extraction: pooledAccuracy(r.extraction, data.extraction),
      train_loss: r.trainLoss ?? null,
    };
    for (const t of data.tasks) {
      row[`acc:${t}`] = r.tasks[t]?.acc ?? null;
      const bt = base?.tasks[t];
      row[`gain:${t}`] = r.tasks[t] && bt ? r.tasks[t].acc - bt.acc : null;
    }
    for (const x of data.extraction) {
      row[`extract:${x}`] = r.extraction[x]?.rate ?? null;
      const bx = base?.extraction[x];
      row[`extract_drop:${x}`] = r.extraction[x] && bx && bx.rate > 0 ? (bx.rate - r.extraction[x].rate) / bx.rate : null;
    }
    for (const p of proxyNames) row[p] = r.proxies[p] ?? null;
    rows.push(row);
  }

  const cellRuns = (student: string, source: string) => data.runs.filter((r) => r.student === student && r.source === source);
  const students = uniq(data.runs.map((r) => r.student));
  const sources = uniq(data.runs.map((r) => r.source));

  const utility: UtilityCell[] = [];
  const extraction: ExtractionChange[] = [];
  for (const student of students) {
    for (const source of sources) {
      const runs = cellRuns(student, source);
      if (runs.length === 0) continue;
      const { after, before } = pairedItems(runs, baseOf.get(student), 'tasks', data.tasks);
      utility.push({ student, source, relation: relationOf(runs[0]), runs: runs.length, items: after.length, gain: after.length ? pairedDifference(after, before, bopts) : null });
      const ex = pairedItems(runs, baseOf.get(student), 'extraction', data.extraction);
      if (ex.after.length) {
        const b = mean(ex.before);
        extraction.push({ student, source, before: b, after: mean(ex.after), drop: b > 0 ? pairedRelativeDrop(ex.before, ex.after, bopts) : null });
      }
    }
  }

  const temperature: TemperaturePoint[] = [];
  for (const student of students)
    for (const source of sources)
      for (const T of uniq(cellRuns(student, source).map((r) => r.temperature)).sort((a, b) => a - b)) {
        const runs = cellRuns(student, source).filter((r) => r.temperature === T);
        const { after, before } = pairedItems(runs, baseOf.get(student), 'tasks', data.tasks);
        temperature.push({ student, source, temperature: T, gain: after.length ? pairedDifference(after, before, bopts) : null });
      }

  const gainOf = new Map(data.runs.map((r, i) => [r, rows[data.bases.length + i].gain as number | null]));
  const proxies: ProxyCorrelation[] = proxyNames.map((proxy) => {
    const points = data.runs
      .map((r) => ({ x: r.proxies[proxy], y: gainOf.get(r), student: r.student, source: r.source, temperature: r.temperature, seed: r.seed }))
      .filter((p): p is ProxyCorrelation['points'][number] => typeof p.x === 'number' && Number.isFinite(p.x) && typeof p.y === 'number' && Number.isFinite(p.y));
    const c = points.length >= 3 ? correlate(points.map((p) => p.x), points.map((p) => p.y), bopts) : null;
    return { proxy, n: points.length, spearman: c?.spearman ?? null, kendall: c?.kendall ?? null, points };
  });

  const capability: CapabilityPoint[] = [];
  for (const student of students) {
    const b = baseOf.get(student);
    const ba = b ? pooledAccuracy(b.tasks, data.tasks) : null;
    const bx = b ? pooledAccuracy(b.extraction, data.extraction) : null;
    if (ba !== null && bx !== null) capability.push({ label: `${student} (before)`, student, source: null, stage: 'before', accuracy: ba, extraction: bx });
    for (const source of sources) {
      const runs = cellRuns(student, source);
      const accs = runs.map((r) => pooledAccuracy(r.tasks, data.tasks)).filter((v): v is number => v !== null);
      const exs = runs.map((r) => pooledAccuracy(r.extraction, data.extraction)).filter((v): v is number => v !== null);
      if (accs.length && exs.length) capability.push({ label: `${student} ← ${source}`, student, source, stage: 'after', accuracy: mean(accs), extraction: mean(exs) });
    }
  }

  const analysis: Analysis = { columns, rows, utility, temperature, proxies, capability, extraction, findings: [], level };
  analysis.findings = findings(analysis, data);
  return analysis;
}

const pct = (v: number) => `${(v * 100).toFixed(1)}`;
const pp = (i: BootstrapInterval) => `${i.estimate >= 0 ? '+' : ''}${pct(i.estimate)} points [${pct(i.lo)}, ${pct(i.hi)}]`;
const rho = (i: BootstrapInterval) => `${i.estimate.toFixed(2)} [${i.lo.toFixed(2)}, ${i.hi.toFixed(2)}]`;

export function findings(a: Analysis, data: ResultsData): Finding[] {
  const L = Math.round(a.level * 100);
  const out: Finding[] = [];
  const cells = a.utility.filter((c) => c.gain);

  // 1. Self-training helps.
  {
    const claim = 'Prompt-free self-training improves the student on downstream benchmarks.';
    if (cells.length === 0) out.push({ id: 'utility', claim, verdict: 'inconclusive', text: 'No benchmark results for trained students and their baselines: nothing to judge.' });
    else {
      const best = [...cells].sort((x, y) => y.gain!.estimate - x.gain!.estimate)[0];
      const pos = cells.filter((c) => c.gain!.lo > 0);
      const neg = cells.filter((c) => c.gain!.hi < 0);
      const verdict: Verdict = pos.length > 0 ? 'supported' : neg.length === cells.length ? 'not supported' : 'inconclusive';
      out.push({
        id: 'utility',
        claim,
        verdict,
        text:
          `Best pair ${best.student} ← ${best.source} (${best.relation}): gain ${pp(best.gain!)} (${L}% CI, ${best.items} paired items). ` +
          `${pos.length} of ${cells.length} source–student pairs have a CI above zero, ${neg.length} below.` +
          (verdict === 'inconclusive' ? ' The intervals include zero: the data do not show a reliable gain.' : ''),
      });
    }
  }

  // 2. Utility is relational.
  {
    const claim = 'The utility of synthetic data is relational: the same corpus helps some students and not others, and the best source depends on the student.';
    const perStudent = new Map<string, typeof cells>();
    for (const c of cells) perStudent.set(c.student, [...(perStudent.get(c.student) ?? []), c]);
    const parts: string[] = [];
    let separated = 0;
    let compared = 0;
    for (const [student, cs] of perStudent) {
      if (cs.length < 2) continue;
      compared++;
      const sorted = [...cs].sort((x, y) => y.gain!.estimate - x.gain!.estimate);
      const best = sorted[0];
      const worst = sorted[sorted.length - 1];
      const runsB = data.runs.filter((r) => r.student === student && r.source === best.source);
      const runsW = data.runs.filter((r) => r.student === student && r.source === worst.source);
      const base = data.bases.find((b) => b.model === student);
      const pb = pairedItems(runsB, base, 'tasks', data.tasks);
      const pw = pairedItems(runsW, base, 'tasks', data.tasks);
      if (pb.after.length !== pw.after.length || pb.after.length === 0) continue;
      const d = pairedDifference(pb.after, pw.after, data.statistics);
      if (d.lo > 0) separated++;
      parts.push(`for ${student}, ${best.source} beats ${worst.source} by ${pp(d)}`);
    }
    const bestSources = new Set([...perStudent.values()].filter((cs) => cs.length >= 2).map((cs) => [...cs].sort((x, y) => y.gain!.estimate - x.gain!.estimate)[0].source));
    if (compared === 0) out.push({ id: 'relational', claim, verdict: 'inconclusive', text: 'Each student was trained on only one source: the grid cannot show whether utility depends on the pair.' });
    else
      out.push({
        id: 'relational',
        claim,
        verdict: separated > 0 ? 'supported' : 'inconclusive',
        text:
          `${parts.join('; ')} (${L}% CIs).` +
          (perStudent.size > 1 ? ` Best source per student: ${bestSources.size > 1 ? 'differs between students' : 'the same for every student'}.` : '') +
          (separated === 0 ? ' No difference between sources is outside its interval: the data do not separate the sources.' : ''),
      });
  }

  // 3. Extraction drops.
  {
    const claim = 'Self-training reduces verbatim extraction of memorized held-out sequences.';
    const xs = a.extraction.filter((x) => x.drop);
    if (xs.length === 0)
      out.push({ id: 'extraction', claim, verdict: 'inconclusive', text: a.extraction.length ? 'The untrained students extract no sequence exactly, so there is nothing that could drop.' : 'No extraction results for both the untrained and the trained students.' });
    else {
      const pos = xs.filter((x) => x.drop!.lo > 0);
      const neg = xs.filter((x) => x.drop!.hi < 0);
      const parts = xs.map((x) => `${x.student} ← ${x.source}: ${pct(x.before)}% → ${pct(x.after)}%, relative drop ${pct(x.drop!.estimate)}% [${pct(x.drop!.lo)}, ${pct(x.drop!.hi)}]`);
      out.push({
        id: 'extraction',
        claim,
        verdict: pos.length === xs.length ? 'supported' : neg.length > 0 ? 'not supported' : pos.length > 0 ? 'supported' : 'inconclusive',
        text: `${parts.join('; ')} (${L}% CIs). ${pos.length} of ${xs.length} pairs drop reliably${neg.length ? `, ${neg.length} rise` : ''}.`,
      });
    }
  }

  // 4. Proxies fail.
  {
    const claim = 'Intrinsic proxies (likelihood, embedding / TF-IDF / n-gram similarity to the benchmark) do not reliably predict the gain.';
    const usable = a.proxies.filter((p) => p.spearman && p.n >= 4);
    if (usable.length === 0) out.push({ id: 'proxies', claim, verdict: 'inconclusive', text: `Too few runs with both a proxy and a gain to correlate (need at least 4; have ${Math.max(0, ...a.proxies.map((p) => p.n))}).` });
    else {
      const predictive = usable.filter((p) => p.spearman!.lo > 0 || p.spearman!.hi < 0);
      const shown = [...usable].sort((x, y) => Math.abs(y.spearman!.estimate) - Math.abs(x.spearman!.estimate)).slice(0, 4);
      out.push({
        id: 'proxies',
        claim,
        verdict: predictive.length === 0 ? 'supported' : 'not supported',
        text:
          `Spearman rho with the gain over ${usable[0].n} runs: ${shown.map((p) => `${p.proxy} ${rho(p.spearman!)}`).join('; ')} (${L}% CIs).` +
          (predictive.length === 0
            ? ` None of ${usable.length} proxies has a CI excluding zero${usable[0].n < 10 ? ' — with this few runs the intervals are wide, so this is weak evidence of failure' : ''}.`
            : ` ${predictive.map((p) => p.proxy).join(', ')} ${predictive.length === 1 ? 'has' : 'have'} a CI excluding zero: in these data ${predictive.length === 1 ? 'that proxy does' : 'those proxies do'} predict the gain.`),
      });
    }
  }

  // 5. Temperature.
  {
    const claim = 'The gain depends on the sampling temperature.';
    const temps = uniq(a.temperature.map((t) => t.temperature));
    const pts = a.temperature.filter((t) => t.gain);
    if (temps.length < 2 || pts.length === 0) out.push({ id: 'temperature', claim, verdict: 'inconclusive', text: 'Only one temperature was run.' });
    else {
      const byT = temps
        .sort((x, y) => x - y)
        .map((T) => {
          const g = pts.filter((p) => p.temperature === T).map((p) => p.gain!.estimate);
          return `T=${T}: ${g.length ? `${(mean(g) >= 0 ? '+' : '') + pct(mean(g))} points` : '—'}`;
        });
      const c = pts.length >= 3 ? correlate(pts.map((p) => p.temperature), pts.map((p) => p.gain!.estimate), data.statistics) : null;
      const sep = c && (c.spearman.lo > 0 || c.spearman.hi < 0);
      out.push({
        id: 'temperature',
        claim,
        verdict: sep ? 'supported' : 'inconclusive',
        text: `Mean gain by temperature: ${byT.join(', ')}.` + (c ? ` Spearman rho(T, gain) over ${pts.length} cells ${rho(c.spearman)}.` : '') + (sep ? '' : ' The data do not show a reliable trend.'),
      });
    }
  }
  if (data.missing.length) out.push({ id: 'missing', claim: 'Completeness', verdict: 'inconclusive', text: `${data.missing.length} step(s) have no result (failed or not run), e.g. ${data.missing.slice(0, 3).join(', ')}; the numbers above leave them out.` });
  return out;
}
