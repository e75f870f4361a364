/**
 * From results to the paper's tables and verdicts. The verdicts and every interval come from
 * lib/study (pre-specified contrasts, seed and clustered-item variance, Holm, three verdicts);
 * this file arranges them into the report's tables and the per-run results.csv.
 */
import type { Cell } from './csv';
import type { BaseModelResult, ExtractScores, ResultsData, TaskScores } from './results';
import { mean } from '../stats';
import {
  cellsOf,
  extractionRates,
  proxyPoints,
  rankCorrelationTest,
  relativeDropTest,
  roleOf,
  studentStudies,
  studyFindings,
  studySettings,
  testContrast,
  type Finding,
  type SourceRole,
} from '../study';
import type { Interval } from '../study/findings';

export type { Finding } from '../study';

export interface UtilityCell {
  student: string;
  source: string;
  relation: SourceRole;
  runs: number;
  items: number;
  gain: Interval | null;
}

export interface TemperaturePoint {
  student: string;
  source: string;
  temperature: number;
  gain: Interval | null;
}

export interface ProxyCorrelation {
  proxy: string;
  student: string;
  task: string | null;
  n: number;
  clusters: number;
  spearman: Interval | null;
  points: Array<{ x: number; y: number; student: string; source: string; temperature: number }>;
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
  relation: SourceRole;
  n: number;
  /** Held-out sequences the cell's corpora regenerated verbatim, left out of n. */
  contaminated: number;
  before: number;
  after: number;
  drop: Interval | null;
}

/** Mean accuracy (macro over tasks) of a cell's runs after each epoch; epoch 0 is the untrained student. */
export interface EpochCurvePoint {
  student: string;
  source: string;
  epoch: number;
  accuracy: number;
  runs: number;
}

/** Control sequences (never in any corpus): what a model extracts of them is the measure's false-positive rate (expected 0). */
export interface ControlExtraction {
  model: string;
  stage: 'before' | 'after';
  source: string | null;
  n: number;
  rate: number;
}

export interface CorpusMeasurePoint {
  source: string;
  temperature: number;
  corpora: number;
  measures: Record<string, number>;
}

export interface Analysis {
  columns: string[];
  rows: Record<string, Cell>[];
  utility: UtilityCell[];
  temperature: TemperaturePoint[];
  proxies: ProxyCorrelation[];
  capability: CapabilityPoint[];
  extraction: ExtractionChange[];
  corpusMeasures: CorpusMeasurePoint[];
  epochCurve: EpochCurvePoint[];
  controlExtraction: ControlExtraction[];
  findings: Finding[];
  level: number;
}

/** Macro average over tasks of accuracy (or of the exact-match rate, pooled over extraction sets). */
function macroAccuracy(scores: Record<string, TaskScores>, names: string[]): number | null {
  const accs = names.filter((n) => scores[n]).map((n) => mean(scores[n]!.correct));
  return accs.length ? mean(accs) : null;
}

function pooledExtraction(scores: Record<string, ExtractScores>, names: string[]): number | null {
  let s = 0;
  let n = 0;
  for (const name of names) {
    const x = scores[name];
    if (!x) continue;
    for (const c of x.exact) s += c;
    n += x.exact.length;
  }
  return n ? s / n : null;
}

const uniq = <T>(xs: T[]) => [...new Set(xs)];

export function analyze(data: ResultsData): Analysis {
  const settings = studySettings(data);
  const { level } = settings;
  const studies = studentStudies(data, settings);
  const baseOf = new Map<string, BaseModelResult>(data.bases.map((b) => [b.model, b]));
  const proxyNames = uniq(data.runs.flatMap((r) => Object.keys(r.proxies))).sort();

  // results.csv: one row per model evaluated (base models, then trained runs).
  const columns = ['stage', 'student', 'source', 'relation', 'temperature', 'seed', 'accuracy', 'gain'];
  // a task's score column is named by its metric (acc:piqa, acc_norm:arc_easy)
  const scoreColumn = (t: string) => `${data.taskMetrics?.[t] ?? 'acc'}:${t}`;
  for (const t of data.tasks) columns.push(scoreColumn(t), `gain:${t}`);
  columns.push('extraction');
  // every extraction set gets its columns, the control sets too (the pooled `extraction` column is held-out only)
  const allSets = [...data.extraction, ...(data.extractionControls ?? [])];
  for (const x of allSets) columns.push(`extract:${x}`, `extract_drop:${x}`);
  const measureNames = uniq(data.runs.flatMap((r) => Object.keys(r.corpus ?? {}))).sort();
  columns.push('train_loss', ...measureNames.map((m) => `corpus:${m}`), ...proxyNames);
  const rows: Record<string, Cell>[] = [];
  for (const b of data.bases) {
    const row: Record<string, Cell> = {
      stage: 'base',
      student: b.model,
      accuracy: macroAccuracy(b.tasks, data.tasks),
      extraction: pooledExtraction(b.extraction, data.extraction),
    };
    for (const t of data.tasks) row[scoreColumn(t)] = b.tasks[t]?.acc ?? null;
    for (const x of allSets) row[`extract:${x}`] = b.extraction[x]?.rate ?? null;
    rows.push(row);
  }
  for (const r of data.runs) {
    const base = baseOf.get(r.student);
    const acc = macroAccuracy(r.tasks, data.tasks);
    const baseAcc = base ? macroAccuracy(base.tasks, data.tasks) : null;
    const row: Record<string, Cell> = {
      stage: 'trained',
      student: r.student,
      source: r.source,
      relation: roleOf(r),
      temperature: Number.isFinite(r.temperature) ? r.temperature : null,
      seed: r.seed,
      accuracy: acc,
      gain: acc !== null && baseAcc !== null ? acc - baseAcc : null,
      extraction: pooledExtraction(r.extraction, data.extraction),
      train_loss: r.trainLoss ?? null,
    };
    for (const t of data.tasks) {
      row[scoreColumn(t)] = r.tasks[t]?.acc ?? null;
      const bt = base?.tasks[t];
      row[`gain:${t}`] = r.tasks[t] && bt ? r.tasks[t].acc - bt.acc : null;
    }
    for (const x of allSets) {
      row[`extract:${x}`] = r.extraction[x]?.rate ?? null;
      const bx = base?.extraction[x];
      row[`extract_drop:${x}`] = r.extraction[x] && bx && bx.rate > 0 ? (bx.rate - r.extraction[x].rate) / bx.rate : null;
    }
    for (const m of measureNames) row[`corpus:${m}`] = r.corpus?.[m] ?? null;
    for (const p of proxyNames) row[p] = r.proxies[p] ?? null;
    rows.push(row);
  }

  const interval = (tc: { estimate: number; ci: [number, number] }): Interval => ({
    estimate: tc.estimate,
    lo: tc.ci[0],
    hi: tc.ci[1],
    level,
  });
  const utility: UtilityCell[] = [];
  const temperature: TemperaturePoint[] = [];
  const extraction: ExtractionChange[] = [];
  const capability: CapabilityPoint[] = [];
  for (const { table, reps } of studies) {
    const base = baseOf.get(table.student)!;
    const items = table.tasks.reduce((a, t) => a + t.items, 0);
    const ba = macroAccuracy(base.tasks, data.tasks);
    const bx = pooledExtraction(base.extraction, data.extraction);
    if (ba !== null && bx !== null)
      capability.push({
        label: `${table.student} (before)`,
        student: table.student,
        source: null,
        stage: 'before',
        accuracy: ba,
        extraction: bx,
      });
    for (const cell of cellsOf(table)) {
      const runs = cell.strata.flatMap((k) => table.strata[k]!.runs);
      const gain = testContrast(
        table,
        reps,
        {
          name: 'gain',
          student: table.student,
          terms: cell.strata.map((k) => ({ stratum: k, coef: 1 / cell.strata.length })),
          baseCoef: -1,
          margin: 0,
          direction: 1,
        },
        level,
      );
      utility.push({
        student: table.student,
        source: cell.source,
        relation: cell.role,
        runs: runs.length,
        items,
        gain: Number.isFinite(gain.se) ? interval(gain) : null,
      });
      for (const k of cell.strata) {
        const g = testContrast(
          table,
          reps,
          { name: 'gain', student: table.student, terms: [{ stratum: k, coef: 1 }], baseCoef: -1, margin: 0, direction: 1 },
          level,
        );
        temperature.push({
          student: table.student,
          source: cell.source,
          temperature: table.strata[k]!.temperature,
          gain: Number.isFinite(g.se) ? interval(g) : null,
        });
      }
      const rates = extractionRates(base.extraction, runs, data.extraction);
      if (rates) {
        const d = relativeDropTest(rates.before, rates.after, rates.n, settings.extractionDrop, level);
        extraction.push({
          student: table.student,
          source: cell.source,
          relation: cell.role,
          n: rates.n,
          contaminated: rates.excluded,
          before: rates.before,
          after: rates.after,
          drop: d ? { estimate: d.estimate, lo: d.ci[0], hi: d.ci[1], level } : null,
        });
      }
      const accs = runs.map((r) => macroAccuracy(r.tasks, data.tasks)).filter((v): v is number => v !== null);
      const exs = runs.map((r) => pooledExtraction(r.extraction, data.extraction)).filter((v): v is number => v !== null);
      if (accs.length && exs.length)
        capability.push({
          label: `${table.student} ← ${cell.source}`,
          student: table.student,
          source: cell.source,
          stage: 'after',
          accuracy: mean(accs),
          extraction: mean(exs),
        });
    }
  }

  const proxies: ProxyCorrelation[] = proxyPoints(data, studies).map((pp) => {
    const r = rankCorrelationTest(
      pp.points.map((p) => p.x),
      pp.points.map((p) => p.y),
      pp.points.map((p) => p.source),
      settings.proxyMargin,
      level,
    );
    return {
      proxy: pp.proxy,
      student: pp.student,
      task: pp.task,
      n: r.n,
      clusters: r.clusters,
      spearman: Number.isFinite(r.rho) ? { estimate: r.rho, lo: r.ci[0], hi: r.ci[1], level } : null,
      points: pp.points.map((p) => ({ x: p.x, y: p.y, student: pp.student, source: p.source, temperature: p.temperature })),
    };
  });

  const corpusMeasures: CorpusMeasurePoint[] = [];
  for (const source of uniq(data.runs.filter((r) => r.corpus).map((r) => r.source)))
    for (const T of uniq(data.runs.filter((r) => r.source === source && r.corpus).map((r) => r.temperature)).sort((a, b) => a - b)) {
      const corpora = new Map(
        data.runs.filter((r) => r.source === source && r.temperature === T && r.corpus).map((r) => [r.seed, r.corpus!]),
      );
      const measures: Record<string, number> = {};
      for (const m of measureNames) {
        const vs = [...corpora.values()].map((c) => c[m]).filter((v): v is number => typeof v === 'number');
        if (vs.length) measures[m] = mean(vs);
      }
      corpusMeasures.push({ source, temperature: T, corpora: corpora.size, measures });
    }

  const epochCurve = epochCurveOf(data, baseOf);
  const controls = data.extractionControls ?? [];
  const controlExtraction: ControlExtraction[] = [];
  if (controls.length) {
    for (const b of data.bases) {
      const r = pooledExtraction(b.extraction, controls);
      const n = controls.reduce((a, x) => a + (b.extraction[x]?.exact.length ?? 0), 0);
      if (r !== null) controlExtraction.push({ model: b.model, stage: 'before', source: null, n, rate: r });
    }
    for (const student of uniq(data.runs.map((r) => r.student)))
      for (const source of uniq(data.runs.filter((r) => r.student === student).map((r) => r.source))) {
        const rates = data.runs
          .filter((r) => r.student === student && r.source === source)
          .map((r) => pooledExtraction(r.extraction, controls))
          .filter((v): v is number => v !== null);
        const n = controls.reduce(
          (a, x) => a + (data.runs.find((r) => r.student === student && r.source === source)?.extraction[x]?.exact.length ?? 0),
          0,
        );
        if (rates.length) controlExtraction.push({ model: student, stage: 'after', source, n, rate: mean(rates) });
      }
  }
  const findings = studyFindings(data, settings, studies);
  if (data.missing.length) {
    for (const f of findings) f.text += ` (${data.missing.length} step(s) have no result and are left out.)`;
  }
  return {
    columns,
    rows,
    utility,
    temperature,
    proxies,
    capability,
    extraction,
    corpusMeasures,
    epochCurve,
    controlExtraction,
    findings,
    level,
  };
}

/** The learning curve of each cell: base (epoch 0), every evaluated epoch, and the trained run (the last epoch). */
function epochCurveOf(data: ResultsData, baseOf: Map<string, BaseModelResult>): EpochCurvePoint[] {
  if (!data.epochs?.length) return [];
  const out: EpochCurvePoint[] = [];
  const lastEpoch = Math.max(...data.epochs.map((p) => p.epoch)) + 1;
  for (const student of uniq(data.epochs.map((p) => p.student))) {
    const b = baseOf.get(student);
    for (const source of uniq(data.epochs.filter((p) => p.student === student).map((p) => p.source))) {
      const runs = data.runs.filter((r) => r.student === student && r.source === source);
      const ba = b ? macroAccuracy(b.tasks, data.tasks) : null;
      if (ba !== null) out.push({ student, source, epoch: 0, accuracy: ba, runs: 1 });
      for (const epoch of uniq(data.epochs.map((p) => p.epoch)).sort((x, y) => x - y)) {
        const pts = data.epochs.filter((p) => p.student === student && p.source === source && p.epoch === epoch);
        const perRun = new Map<string, number[]>();
        for (const p of pts) perRun.set(`${p.temperature}|${p.seed}`, [...(perRun.get(`${p.temperature}|${p.seed}`) ?? []), p.acc]);
        if (perRun.size) out.push({ student, source, epoch, accuracy: mean([...perRun.values()].map(mean)), runs: perRun.size });
      }
      const finals = runs.map((r) => macroAccuracy(r.tasks, data.tasks)).filter((v): v is number => v !== null);
      if (finals.length) out.push({ student, source, epoch: lastEpoch, accuracy: mean(finals), runs: finals.length });
    }
  }
  return out;
}
