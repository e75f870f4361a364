/**
 * The results of a run as plain data (what the report is computed from), read from RUN_DIR's
 * plan.json and the cached step records. Tests build the same structure by hand.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ResurfaceError } from '../errors';

/** Per-item correctness on one task, paired across models by `indices`. */
export interface TaskScores {
  acc: number;
  acc_stderr?: number;
  indices: number[];
  correct: number[];
}

export interface ExtractScores {
  rate: number;
  indices: number[];
  exact: number[];
}

export interface TrainedRun {
  student: string;
  source: string;
  studentFamily: string;
  sourceFamily: string;
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

export interface ResultsData {
  experiment: string;
  tasks: string[];
  extraction: string[];
  runs: TrainedRun[];
  bases: BaseModelResult[];
  statistics: { resamples: number; level: number; seed: number };
  /** Steps that failed or never ran, so the report can say what is missing. */
  missing: string[];
}

interface PlanFile {
  experiment: string;
  cacheDir: string;
  models: Record<string, { family: string }>;
  tasks: Record<string, string>;
  extraction: Record<string, string>;
  statistics: ResultsData['statistics'];
  steps: Array<{ id: string; kind: string; key: string; coords: Record<string, unknown> }>;
}

type Json = Record<string, unknown>;

export function taskScoresFromEval(r: Json): TaskScores {
  if (r.metric !== undefined && r.results && typeof r.results === 'object') {
    // a generate task (lib/eval/generative-metrics.ts): its first metric (GSM8K: exact_match,strict-match)
    const key = Object.keys(r.results as Json)[0];
    const gitems = (r.items as Array<{ index: number; scores: Record<string, number> }>) ?? [];
    return {
      acc: key === undefined ? Number.NaN : Number((r.results as Json)[key]),
      acc_stderr: key === undefined || (r.stderr as Json)?.[key] === null ? undefined : Number((r.stderr as Json)[key]),
      indices: gitems.map((it) => it.index),
      correct: gitems.map((it) => (key === undefined ? 0 : it.scores[key] ?? 0)),
    };
  }
  const items = (r.items as Array<{ index: number; gold: number; pred: number }>) ?? [];
  return {
    acc: Number(r.acc),
    acc_stderr: r.acc_stderr === undefined ? undefined : Number(r.acc_stderr),
    indices: items.map((it) => it.index),
    correct: items.map((it) => (it.pred === it.gold ? 1 : 0)),
  };
}

export function extractScoresFromResult(r: Json): ExtractScores {
  const items = (r.items as Array<{ index: number; exact: boolean }>) ?? [];
  return { rate: Number(r.exact_match_rate), indices: items.map((it) => it.index), exact: items.map((it) => (it.exact ? 1 : 0)) };
}

export function readResults(runDir: string): ResultsData {
  const planFile = path.join(runDir, 'plan.json');
  let plan: PlanFile;
  try {
    plan = JSON.parse(fs.readFileSync(planFile, 'utf8'));
  } catch (err) {
    throw new ResurfaceError('ERR_EXPERIMENT', `${runDir} is not a run directory (cannot read plan.json: ${(err as Error).message})`, { runDir });
  }
  const result = (s: { kind: string; key: string }): Json | null => {
    try {
      const rec = JSON.parse(fs.readFileSync(path.join(plan.cacheDir, s.kind, s.key, 'step.json'), 'utf8'));
      return rec.key === s.key ? (rec.result as Json) : null;
    } catch {
      return null;
    }
  };
  const runs = new Map<string, TrainedRun>();
  const bases = new Map<string, BaseModelResult>();
  const missing: string[] = [];
  const runFor = (c: Record<string, unknown>): TrainedRun => {
    const k = `${c.student}|${c.source}|${c.temperature}|${c.seed}`;
    let r = runs.get(k);
    if (!r) {
      r = {
        student: String(c.student),
        source: String(c.source),
        studentFamily: plan.models[String(c.student)]?.family ?? '',
        sourceFamily: plan.models[String(c.source)]?.family ?? '',
        temperature: Number(c.temperature),
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
  for (const s of plan.steps) {
    if (!['eval', 'extract', 'proxies', 'train'].includes(s.kind)) continue;
    const r = result(s);
    if (!r) {
      missing.push(s.id);
      continue;
    }
    const c = s.coords;
    const target = c.stage === 'base' ? baseFor(String(c.model)) : runFor(c);
    if (s.kind === 'eval') target.tasks[String(c.task)] = taskScoresFromEval(r);
    else if (s.kind === 'extract') target.extraction[String(c.extraction)] = extractScoresFromResult(r);
    else if (s.kind === 'proxies') (target as TrainedRun).proxies = { ...((r.summary as Record<string, number | null>) ?? {}) };
    else if (s.kind === 'train') (target as TrainedRun).trainLoss = typeof r.final_loss === 'number' ? r.final_loss : null;
  }
  return {
    experiment: plan.experiment,
    tasks: Object.keys(plan.tasks),
    extraction: Object.keys(plan.extraction),
    runs: [...runs.values()],
    bases: [...bases.values()],
    statistics: plan.statistics,
    missing,
  };
}
