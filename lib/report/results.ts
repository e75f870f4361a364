/**
 * The results of a run as plain data (what the report is computed from), read from RUN_DIR's
 * plan and cached step records through the step store (lib/experiment/store.ts). Tests build the
 * same structure by hand.
 */
import * as fs from 'node:fs';
import { headlineMetric, type HeadlineMetric } from '../eval/headline-metric';
import { openRun } from '../experiment/store';
import type { ProxyReport } from '../proxies';
import { proxyColumns } from './proxy-columns';

/** Per-item correctness on one task, paired across models by `indices`. */
export interface TaskScores {
  /** The task's score by its headline metric (`metric`: acc, acc_norm, or a generate task's first metric). */
  acc: number;
  metric?: string;
  acc_stderr?: number;
  indices: number[];
  correct: number[];
  /** Per item: the cluster its task record names (`group`), absent when the task names none. */
  groups?: Array<string | undefined>;
}

export interface ExtractScores {
  rate: number;
  indices: number[];
  exact: number[];
  /** Per item: the sequence's id (a record's "id", or the "ID:" its text starts with), when known. */
  ids?: Array<string | undefined>;
}

export interface TrainedRun {
  student: string;
  source: string;
  studentFamily: string;
  sourceFamily: string;
  /** Pretraining recipe labels (default: the family): same family and recipe = same lineage. */
  studentRecipe?: string;
  sourceRecipe?: string;
  /** A control run: the student fine-tuned on natural text instead of a model's samples. */
  control?: 'forgetting';
  /** Measures of the corpus the run was trained on (e.g. coverage, fidelity against a world's facts). */
  corpus?: Record<string, number>;
  /** Ids of held-out sequences its corpus regenerated verbatim (they are no longer held out for this run). */
  contaminated?: string[];
  temperature: number;
  seed: number;
  tasks: Record<string, TaskScores>;
  extraction: Record<string, ExtractScores>;
  proxies: Record<string, number | null>;
  trainLoss?: number | null;
}

export interface BaseModelResult {
  model: string;
  family: string;
  tasks: Record<string, TaskScores>;
  extraction: Record<string, ExtractScores>;
}

/** One trained run's accuracy on one task after an epoch (evaluation.checkpoints). */
export interface EpochPoint {
  student: string;
  source: string;
  temperature: number;
  seed: number;
  epoch: number;
  task: string;
  acc: number;
}

export interface ResultsData {
  experiment: string;
  tasks: string[];
  extraction: string[];
  /** Extraction sets that are controls (never seen by any model): reported as a sanity line only. */
  extractionControls?: string[];
  runs: TrainedRun[];
  bases: BaseModelResult[];
  statistics: StatisticsSettings;
  /** Accuracy after each epoch but the last (evaluation.checkpoints); the last is the run itself. */
  epochs?: EpochPoint[];
  /** Steps that failed or never ran, so the report can say what is missing. */
  missing: string[];
  /** Per task, the metric its scores are (lib/eval/headline-metric.ts); absent: acc. */
  taskMetrics?: Record<string, string>;
}

/** The experiment's `statistics:` block (see lib/experiment/schema.ts). */
export interface StatisticsSettings {
  resamples: number;
  level: number;
  seed: number;
  /** Non-inferiority margin δ for capability, in accuracy points (default 1). */
  non_inferiority_points?: number;
  /** |ρ| from which a proxy counts as predicting the gain (default 0.5). */
  proxy_margin?: number;
  /** The claimed relative drop of held-out extraction (default 0.95). */
  extraction_drop?: number;
}

type Json = Record<string, unknown>;

/** An eval step's result as per-item scores by `metric` (multiple choice: acc or acc_norm). */
export function taskScoresFromEval(r: Json, metric: HeadlineMetric = 'acc'): TaskScores {
  if (r.metric !== undefined && r.results && typeof r.results === 'object') {
    // a generate task (lib/eval/generative-metrics.ts): its first metric (GSM8K: exact_match,strict-match)
    const key = Object.keys(r.results as Json)[0];
    const gitems = (r.items as Array<{ index: number; scores: Record<string, number>; group?: string }>) ?? [];
    return {
      acc: key === undefined ? Number.NaN : Number((r.results as Json)[key]),
      ...(key === undefined ? {} : { metric: key }),
      acc_stderr: key === undefined || (r.stderr as Json)?.[key] === null ? undefined : Number((r.stderr as Json)[key]),
      indices: gitems.map((it) => it.index),
      correct: gitems.map((it) => (key === undefined ? 0 : (it.scores[key] ?? 0))),
      ...(gitems.some((it) => it.group !== undefined) ? { groups: gitems.map((it) => it.group) } : {}),
    };
  }
  const items = (r.items as Array<{ index: number; gold: number; pred: number; pred_norm?: number; group?: string }>) ?? [];
  const named = items.some((it) => it.group !== undefined);
  // acc_norm where the task has it (mc2 tasks and loglikelihood tasks do not: their acc stands)
  const norm = metric === 'acc_norm' && typeof r.acc_norm === 'number' && items.every((it) => it.pred_norm !== undefined);
  const stderr = norm ? r.acc_norm_stderr : r.acc_stderr;
  return {
    acc: Number(norm ? r.acc_norm : r.acc),
    metric: norm ? 'acc_norm' : 'acc',
    acc_stderr: stderr === undefined || stderr === null ? undefined : Number(stderr),
    indices: items.map((it) => it.index),
    correct: items.map((it) => ((norm ? it.pred_norm : it.pred) === it.gold ? 1 : 0)),
    ...(named ? { groups: items.map((it) => it.group) } : {}),
  };
}

export function extractScoresFromResult(r: Json): ExtractScores {
  const items = (r.items as Array<{ index: number; exact: boolean }>) ?? [];
  return { rate: Number(r.exact_match_rate), indices: items.map((it) => it.index), exact: items.map((it) => (it.exact ? 1 : 0)) };
}

/** A sequence's id: the record's "id", or the "ID:" its text starts with (the lab's "canary-007: ..."). */
const idCache = new Map<string, Array<string | undefined>>();
function sequenceIds(file: string | undefined): Array<string | undefined> {
  if (!file) return [];
  let ids = idCache.get(file);
  if (!ids) {
    ids = [];
    try {
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        const rec = JSON.parse(line) as { id?: unknown; text?: unknown };
        ids.push(rec.id !== undefined ? String(rec.id) : typeof rec.text === 'string' ? /^([\w.-]+):/.exec(rec.text)?.[1] : undefined);
      }
    } catch {
      ids = []; // a Megatron .bin or an unreadable file: no ids, nothing is excluded
    }
    idCache.set(file, ids);
  }
  return ids;
}

function withSequenceIds(x: ExtractScores, file: string | undefined): ExtractScores {
  const ids = sequenceIds(file);
  return ids.length ? { ...x, ids: x.indices.map((i) => ids[i]) } : x;
}

export function readResults(runDir: string): ResultsData {
  const { plan, store } = openRun(runDir);
  const result = (s: (typeof plan.steps)[number]): Json | null => store.result(s) as Json | null;
  const runs = new Map<string, TrainedRun>();
  const bases = new Map<string, BaseModelResult>();
  const missing: string[] = [];
  const epochs: EpochPoint[] = [];
  const runFor = (c: (typeof plan.steps)[number]['coords']): TrainedRun => {
    const k = `${c.student}|${c.source}|${c.temperature}|${c.seed}|${c.subset ?? ''}`; // one run per training subset
    let r = runs.get(k);
    if (!r) {
      r = {
        student: String(c.student),
        source: String(c.source),
        studentFamily: plan.models[String(c.student)]?.family ?? '',
        sourceFamily: plan.models[String(c.source)]?.family ?? '',
        ...(plan.models[String(c.student)]?.recipe ? { studentRecipe: plan.models[String(c.student)]!.recipe } : {}),
        ...(plan.models[String(c.source)]?.recipe ? { sourceRecipe: plan.models[String(c.source)]!.recipe } : {}),
        ...(c.control === 'forgetting' ? { control: 'forgetting' as const } : {}),
        temperature: c.temperature === undefined ? NaN : Number(c.temperature),
        seed: Number(c.seed),
        tasks: {},
        extraction: {},
        proxies: {},
      };
      runs.set(k, r);
    }
    return r;
  };
  const baseFor = (m: string): BaseModelResult => {
    let b = bases.get(m);
    if (!b) bases.set(m, (b = { model: m, family: plan.models[m]?.family ?? '', tasks: {}, extraction: {} }));
    return b;
  };
  // Corpus measures (a sample step's `measures`, e.g. coverage/fidelity in a world with known facts).
  const measures = new Map<string, Record<string, number>>();
  const regenerated = new Map<string, string[]>();
  for (const s of plan.steps) {
    if (s.kind !== 'sample') continue;
    const m = result(s)?.measures;
    if (m && typeof m === 'object') {
      const nums = Object.fromEntries(Object.entries(m as Json).filter(([, v]) => typeof v === 'number' && Number.isFinite(v))) as Record<
        string,
        number
      >;
      measures.set(`${s.coords.source}|${s.coords.temperature}|${s.coords.seed}`, nums);
    }
    const ids = result(s)?.canaries_regenerated;
    if (Array.isArray(ids)) regenerated.set(`${s.coords.source}|${s.coords.temperature}|${s.coords.seed}`, ids.map(String));
  }
  for (const s of plan.steps) {
    if (!['eval', 'extract', 'proxies', 'train'].includes(s.kind)) continue;
    const r = result(s);
    if (!r) {
      missing.push(s.id);
      continue;
    }
    const c = s.coords;
    if (s.kind === 'eval' && c.epoch !== undefined) {
      epochs.push({
        student: String(c.student),
        source: String(c.source),
        temperature: Number(c.temperature),
        seed: Number(c.seed),
        epoch: Number(c.epoch),
        task: String(c.task),
        acc: taskScoresFromEval(r, headlineMetric(String(c.task))).acc,
      });
      continue;
    }
    const target = c.stage === 'base' ? baseFor(String(c.model)) : runFor(c);
    if (s.kind === 'eval') target.tasks[String(c.task)] = taskScoresFromEval(r, headlineMetric(String(c.task)));
    else if (s.kind === 'extract')
      target.extraction[String(c.extraction)] = withSequenceIds(extractScoresFromResult(r), plan.extraction[String(c.extraction)]);
    else if (s.kind === 'proxies') (target as TrainedRun).proxies = proxyColumns(r as unknown as ProxyReport);
    else if (s.kind === 'train') (target as TrainedRun).trainLoss = typeof r.final_loss === 'number' ? r.final_loss : null;
  }
  for (const r of runs.values()) {
    const m = measures.get(`${r.source}|${r.temperature}|${r.seed}`);
    if (m) r.corpus = m;
    const g = regenerated.get(`${r.source}|${r.temperature}|${r.seed}`);
    if (g?.length) r.contaminated = g;
  }
  return {
    experiment: plan.experiment,
    tasks: Object.keys(plan.tasks),
    extraction: Object.keys(plan.extraction).filter((x) => !(plan.extractionControls ?? []).includes(x)),
    ...(plan.extractionControls?.length ? { extractionControls: plan.extractionControls } : {}),
    runs: [...runs.values()],
    bases: [...bases.values()],
    statistics: plan.statistics,
    ...(epochs.length ? { epochs } : {}),
    missing,
    taskMetrics: Object.fromEntries(Object.keys(plan.tasks).map((t) => [t, headlineMetric(t)])),
  };
}
