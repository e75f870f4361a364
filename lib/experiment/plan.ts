/**
 * Grid → DAG of steps.
 *
 *   sample(source, T, seed) ─┬─ [retokenize(→ student's tokenizer)] ─ train(student, source, T, seed) ─┬─ eval(task)
 *                            │                                                                      └─ extract(set)
 *                            └─ proxies(student, source, T, seed)
 *   eval/extract(model, base)   (before self-training, for every grid model)
 *   report ← everything
 *
 * Sampling does not depend on the student, so one corpus serves every student (and one
 * retokenized copy every student sharing a tokenizer). Each step's `key` is the sha256 of its kind,
 * semantic settings, input models' fingerprints, dependencies' keys, the software version and the
 * executor's version: equal keys mean interchangeable outputs. Settings that do not change results
 * (batch sizes for sampling/scoring) are in `runtime`, outside the key.
 */
import { parseConfig } from '../model/config';
import { parameterCount } from '../model/architectures';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXPERIMENT_DEFAULTS } from './defaults';
import { fileFingerprint, hashValue, modelFingerprint, softwareVersion } from './hash';
import type { LoadedExperiment, ResolvedModel } from './load';

export const STEP_KINDS = ['sample', 'retokenize', 'natural', 'train', 'eval', 'extract', 'proxies', 'report'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export interface StepCoords {
  student?: string;
  source?: string;
  temperature?: number;
  seed?: number;
  /** 'base' (before self-training) or 'trained'. */
  stage?: 'base' | 'trained';
  /** The evaluated model for base evaluations. */
  model?: string;
  task?: string;
  extraction?: string;
  /** Control runs: the student fine-tuned on natural text instead of a model's samples. */
  control?: 'forgetting';
}

export interface StepEstimate {
  tokens: number;
  flops: number;
  seconds: number;
}

export interface Step {
  id: string;
  kind: StepKind;
  key: string;
  deps: string[];
  /** role → id of the step whose output directory is that input (corpus, model). */
  inputs: Record<string, string>;
  /** role → model name (see plan.models). */
  models: Record<string, string>;
  /** Semantic settings (part of the key). */
  settings: Record<string, unknown>;
  /** Settings that do not change the output (batch sizes): not part of the key. */
  runtime: Record<string, unknown>;
  coords: StepCoords;
  estimate: StepEstimate;
  /** Needs a device slot (model forward/backward passes). */
  device: boolean;
  /** Outputs are cached by key (everything but the report). */
  cached: boolean;
}

export interface Plan {
  experiment: string;
  file: string;
  software: string;
  models: Record<string, { dir: string; family: string; recipe: string; tokenizer: string; exists: boolean; parameters: number | null }>;
  tasks: Record<string, string>;
  extraction: Record<string, string>;
  statistics: LoadedExperiment['experiment']['statistics'];
  steps: Step[];
}

export interface PlanOptions {
  /** Version string of the executor of each kind (from the registry); part of every key. */
  executorVersions?: Partial<Record<StepKind, string>>;
  /** Device kind, for time estimates. */
  deviceKind?: 'cpu' | 'cuda';
}

const fmtT = (t: number) => `T${t}`;

function parametersOf(m: ResolvedModel): number | null {
  try {
    return parameterCount(parseConfig(JSON.parse(fs.readFileSync(path.join(m.dir, 'config.json'), 'utf8'))));
  } catch {
    return null;
  }
}

function countLines(file: string): number | null {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').length;
  } catch {
    return null;
  }
}

export function buildPlan(loaded: LoadedExperiment, opts: PlanOptions = {}): Plan {
  const e = loaded.experiment;
  const software = softwareVersion();
  const device = opts.deviceKind ?? 'cpu';
  const speed = EXPERIMENT_DEFAULTS.estimate[device];
  const params: Record<string, number | null> = {};
  for (const [n, m] of Object.entries(loaded.models)) params[n] = parametersOf(m);
  const steps: Step[] = [];
  const byId = new Map<string, Step>();

  const add = (s: Omit<Step, 'key' | 'estimate'> & { tokens: number; flopsPerToken: number; train?: boolean }): Step => {
    const existing = byId.get(s.id);
    if (existing) return existing;
    const key = hashValue({
      kind: s.kind,
      software,
      executor: opts.executorVersions?.[s.kind] ?? 'default',
      settings: s.settings,
      models: Object.fromEntries(Object.entries(s.models).map(([role, name]) => [role, modelFingerprint(loaded.models[name].dir)])),
      deps: Object.fromEntries(Object.entries(s.inputs).map(([role, id]) => [role, byId.get(id)!.key])),
    });
    const flops = s.tokens * s.flopsPerToken;
    const seconds = s.kind === 'retokenize' ? s.tokens / 2e6 : flops / (s.train ? speed.train_flops : speed.forward_flops);
    const { tokens, flopsPerToken, train, ...rest } = s;
    void flopsPerToken;
    void train;
    const step: Step = { ...rest, key, estimate: { tokens, flops, seconds } };
    steps.push(step);
    byId.set(step.id, step);
    return step;
  };
  const P = (name: string) => params[name] ?? 0;

  const temps = e.grid.temperatures ?? e.sampling.temperatures;
  const corpusTokens = e.sampling.num_samples * e.sampling.max_new_tokens; // upper bound: every sample runs to length

  // Evaluation of one model (a base model, or the output of a train step).
  const taskTokens = (task: string) => {
    const n = countLines(loaded.tasks[task]) ?? 1000;
    return Math.min(n, e.evaluation.limit ?? Infinity) * 4 * 96; // ~4 choices × ~96 tokens per request
  };
  const evaluations = (prefix: string, coords: StepCoords, modelName: string, trainStep?: Step): Step[] => {
    const out: Step[] = [];
    for (const [task, file] of Object.entries(loaded.tasks)) {
      out.push(
        add({
          id: `eval/${prefix}/${task}`,
          kind: 'eval',
          deps: trainStep ? [trainStep.id] : [],
          inputs: trainStep ? { model: trainStep.id } : {},
          models: trainStep ? { base: modelName } : { model: modelName },
          settings: { task, task_file: fileFingerprint(file), limit: e.evaluation.limit ?? null },
          runtime: { batch_size: e.evaluation.batch_size, task_file: file },
          coords: { ...coords, task },
          device: true,
          cached: true,
          tokens: taskTokens(task),
          flopsPerToken: 2 * P(modelName),
        }),
      );
    }
    for (const set of e.evaluation.extraction) {
      const file = loaded.extraction[set.name];
      const n = countLines(file) ?? 1000;
      out.push(
        add({
          id: `extract/${prefix}/${set.name}`,
          kind: 'extract',
          deps: trainStep ? [trainStep.id] : [],
          inputs: trainStep ? { model: trainStep.id } : {},
          models: trainStep ? { base: modelName } : { model: modelName },
          settings: { extraction: set.name, data: fileFingerprint(file), prefix_len: set.prefix_len, suffix_len: set.suffix_len, offset: set.offset },
          runtime: { batch_size: e.evaluation.batch_size, data_file: file },
          coords: { ...coords, extraction: set.name },
          device: true,
          cached: true,
          tokens: n * (set.prefix_len + set.suffix_len),
          flopsPerToken: 2 * P(modelName),
        }),
      );
    }
    return out;
  };

  if (e.evaluation.baseline) {
    const gridModels = [...new Set([...e.grid.students, ...e.grid.sources])];
    for (const m of gridModels) evaluations(`${m}/base`, { stage: 'base', model: m }, m);
  }

  /** The student fine-tuned on a corpus step's output with the experiment's recipe. */
  const trainOn = (id: string, corpus: Step, student: string, seed: number, coords: StepCoords): Step => {
    const t = e.training;
    return add({
      id,
      kind: 'train',
      deps: [corpus.id],
      inputs: { corpus: corpus.id },
      models: { model: student },
      settings: { ...t, seed },
      runtime: {},
      coords,
      device: true,
      cached: true,
      tokens: t.max_steps !== undefined ? t.max_steps * t.batch_size * t.grad_accum * t.seq_len : corpusTokens * (t.epochs ?? 1),
      flopsPerToken: 6 * P(student),
      train: true,
    });
  };

  for (const source of e.grid.sources) {
    for (const T of temps) {
      for (const seed of e.grid.seeds) {
        const sample = add({
          id: `sample/${source}/${fmtT(T)}/s${seed}`,
          kind: 'sample',
          deps: [],
          inputs: {},
          models: { model: source },
          settings: {
            temperature: T,
            seed,
            num_samples: e.sampling.num_samples,
            max_new_tokens: e.sampling.max_new_tokens,
            top_k: e.sampling.top_k,
            top_p: e.sampling.top_p,
            min_p: e.sampling.min_p,
            start_token: e.sampling.start_token ?? null,
            ...(loaded.world ? { world: fileFingerprint(loaded.world) } : {}),
          },
          runtime: { batch_size: e.sampling.batch_size, ...(loaded.world ? { world_file: loaded.world } : {}) },
          coords: { source, temperature: T, seed },
          device: true,
          cached: true,
          tokens: corpusTokens,
          flopsPerToken: 2 * P(source),
        });
        for (const student of e.grid.students) {
          const coords: StepCoords = { student, source, temperature: T, seed };
          let corpus = sample;
          const stok = loaded.models[student].tokenizer;
          if (stok !== loaded.models[source].tokenizer) {
            corpus = add({
              id: `retokenize/${source}/${fmtT(T)}/s${seed}/tok-${stok}`,
              kind: 'retokenize',
              deps: [sample.id],
              inputs: { corpus: sample.id },
              models: { tokenizer: student },
              settings: { tokenizer: stok },
              runtime: {},
              coords: { source, temperature: T, seed },
              device: false,
              cached: true,
              tokens: corpusTokens,
              flopsPerToken: 0,
            });
          }
          const train = trainOn(`train/${student}/${source}/${fmtT(T)}/s${seed}`, corpus, student, seed, coords);
          evaluations(`${student}/${source}/${fmtT(T)}/s${seed}`, { ...coords, stage: 'trained' }, student, train);
          const px = e.evaluation.proxies;
          if (px.enabled) {
            const embed = px.embed_model ?? student;
            const pxModels: Record<string, string> = { student, source };
            if (!px.lexical_only) pxModels.embed = embed;
            const scored = Math.min(e.sampling.num_samples, px.max_corpus_texts) * e.sampling.max_new_tokens;
            add({
              id: `proxies/${student}/${source}/${fmtT(T)}/s${seed}`,
              kind: 'proxies',
              deps: [sample.id],
              inputs: { corpus: sample.id },
              models: pxModels,
              settings: { ...px, seed, tasks: Object.fromEntries(Object.entries(loaded.tasks).map(([n, f]) => [n, fileFingerprint(f)])) },
              runtime: { task_files: loaded.tasks },
              coords,
              device: !px.lexical_only,
              cached: true,
              tokens: px.lexical_only ? 0 : scored * 3,
              flopsPerToken: 2 * Math.max(P(student), P(source), P(embed)),
            });
          }
        }
      }
    }
  }

  // The forgetting control: per student and seed, the same token budget of natural text as the
  // self-generated corpus at the first temperature, then the same training and evaluations.
  for (const [student, file] of Object.entries(loaded.forgetting)) {
    for (const seed of e.grid.seeds) {
      const budget = byId.get(`sample/${student}/${fmtT(temps[0]!)}/s${seed}`)!;
      const natural = add({
        id: `natural/${student}/s${seed}`,
        kind: 'natural',
        deps: [budget.id],
        inputs: { budget: budget.id },
        models: { tokenizer: student },
        settings: { seed, data: fileFingerprint(file) },
        runtime: { data_file: file },
        coords: { student, seed, control: 'forgetting' },
        device: false,
        cached: true,
        tokens: corpusTokens,
        flopsPerToken: 0,
      });
      const coords: StepCoords = { student, source: `${student}:natural`, seed, control: 'forgetting' };
      const train = trainOn(`train/${student}/natural/s${seed}`, natural, student, seed, coords);
      evaluations(`${student}/natural/s${seed}`, { ...coords, stage: 'trained' }, student, train);
    }
  }

  const finals = steps.filter((s) => s.kind === 'eval' || s.kind === 'extract' || s.kind === 'proxies' || s.kind === 'train');
  add({
    id: 'report',
    kind: 'report',
    deps: finals.map((s) => s.id),
    inputs: Object.fromEntries(finals.map((s) => [s.id, s.id])),
    models: {},
    settings: { statistics: e.statistics },
    runtime: {},
    coords: {},
    device: false,
    cached: false,
    tokens: 0,
    flopsPerToken: 0,
  });

  return {
    experiment: e.name,
    file: loaded.file,
    software,
    models: Object.fromEntries(Object.entries(loaded.models).map(([n, m]) => [n, { dir: m.dir, family: m.family, recipe: m.decl.recipe ?? m.family, tokenizer: m.tokenizer, exists: m.exists, parameters: params[n] }])),
    tasks: loaded.tasks,
    extraction: loaded.extraction,
    statistics: e.statistics,
    steps,
  };
}

/** The steps selected by `--only` plus everything they need. */
export function selectSteps(plan: Plan, match: (id: string) => boolean): Step[] {
  const byId = new Map(plan.steps.map((s) => [s.id, s]));
  const keep = new Set<string>();
  const visit = (id: string) => {
    if (keep.has(id)) return;
    keep.add(id);
    for (const d of byId.get(id)!.deps) visit(d);
  };
  for (const s of plan.steps) if (match(s.id)) visit(s.id);
  return plan.steps.filter((s) => keep.has(s.id));
}
