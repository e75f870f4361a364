/**
 * Grid → DAG of steps.
 *
 *   sample(source, T, seed) ─┬─ [retokenize(→ student's tokenizer)] ─ train(student, source, T, seed) ─┬─ eval(task)
 *                            │                                                                      └─ extract(set)
 *                            └─ proxies(student, source, T, seed)
 *   with `audit` / `subsets`:  sample ─ audit ─ [retokenize] ─ subset(k) ─ train(…, subset k) ─ …  for k < subsets.count
 *   (the audit is on text, so one serves every student; subsets count the student's tokens)
 *   eval/extract(model, base)   (before self-training, for every grid model)
 *   report ← everything
 *
 * Sampling does not depend on the student, so one corpus serves every student (and one
 * retokenized copy every student sharing a tokenizer). Each step's `key` is the sha256 of its kind,
 * semantic settings, input models' fingerprints, dependencies' keys, the software version and the
 * executor's version: equal keys mean interchangeable outputs. Settings that do not change results
 * (batch sizes for sampling/scoring) are in `runtime`, outside the key.
 */
import { EXPERIMENT_DEFAULTS } from './defaults';
import { NOMINAL_PARAMETERS } from './gpu-hours';
import { fileFingerprint, hashValue, modelFingerprint, softwareVersion } from './hash';
import type { LoadedExperiment } from './load';
import { countLines, embedderOf, parametersOf } from './plan-inputs';
import type { Plan, PlanOptions, Step, StepCoords, StepKind } from './step';
const fmtT = (t: number) => `T${t}`;
/** Corpus-file steps on one CPU core, tokens/s; bench/results/audit-cpu.md measured the audit at 0.64M (2-core VM, loaded). */
const CPU_CORPUS_TOKENS_PER_SECOND = 2e6;
const CPU_AUDIT_TOKENS_PER_SECOND = 5e5;
export function buildPlan(loaded: LoadedExperiment, opts: PlanOptions = {}): Plan {
  const e = loaded.experiment;
  const software = softwareVersion();
  const device = opts.deviceKind ?? 'cpu';
  const speed = EXPERIMENT_DEFAULTS.estimate[device];
  const params: Record<string, number | null> = {};
  for (const [n, m] of Object.entries(loaded.models))
    params[n] = parametersOf(m) ?? (m.decl.hub ? (NOMINAL_PARAMETERS[m.decl.hub] ?? null) : null);
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
    const seconds =
      s.kind === 'audit'
        ? s.tokens / CPU_AUDIT_TOKENS_PER_SECOND
        : s.kind === 'retokenize' || s.kind === 'subset' || s.kind === 'merge'
          ? s.tokens / CPU_CORPUS_TOKENS_PER_SECOND
          : flops / (s.train ? speed.train_flops : speed.forward_flops);
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
    // Every epoch's checkpoint but the last (the last is the trained model itself).
    if (trainStep && e.evaluation.checkpoints)
      for (let epoch = 1; epoch < (e.training.epochs ?? 1); epoch++)
        for (const [task, file] of Object.entries(loaded.tasks))
          out.push(
            add({
              id: `eval/${prefix}/epoch${epoch}/${task}`,
              kind: 'eval',
              deps: [trainStep.id],
              inputs: { model: trainStep.id },
              models: { base: modelName },
              settings: {
                task,
                task_file: fileFingerprint(file),
                limit: e.evaluation.limit ?? null,
                checkpoint: `checkpoint-epoch-${epoch}`,
              },
              runtime: { batch_size: e.evaluation.batch_size, task_file: file },
              coords: { ...coords, task, epoch },
              device: true,
              cached: true,
              tokens: taskTokens(task),
              flopsPerToken: 2 * P(modelName),
            }),
          );
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
          settings: {
            extraction: set.name,
            data: fileFingerprint(file),
            prefix_len: set.prefix_len,
            suffix_len: set.suffix_len,
            offset: set.offset,
          },
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

  /** A CPU step that turns corpora into a corpus (merge, audit, retokenize, subset): cached, no device. */
  const corpusStep = (
    id: string,
    kind: StepKind,
    inputs: Record<string, string>,
    coords: StepCoords,
    settings: Record<string, unknown>,
    extra: { models?: Record<string, string>; runtime?: Record<string, unknown> } = {},
  ): Step =>
    add({
      id,
      kind,
      deps: Object.values(inputs),
      inputs,
      models: extra.models ?? {},
      settings,
      runtime: extra.runtime ?? {},
      coords,
      device: false,
      cached: true,
      tokens: corpusTokens,
      flopsPerToken: 0,
    });

  /** The student fine-tuned on a corpus step's output with the experiment's recipe. */
  const trainOn = (id: string, corpus: Step, student: string, seed: number, coords: StepCoords, dataTokens = corpusTokens): Step => {
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
      tokens: t.max_steps !== undefined ? t.max_steps * t.batch_size * t.grad_accum * t.seq_len : dataTokens * (t.epochs ?? 1),
      flopsPerToken: 6 * P(student),
      train: true,
    });
  };

  for (const source of e.grid.sources) {
    for (const T of temps) {
      for (const seed of e.grid.seeds) {
        const sampleSettings = {
          temperature: T,
          seed,
          num_samples: e.sampling.num_samples,
          max_new_tokens: e.sampling.max_new_tokens,
          top_k: e.sampling.top_k,
          top_p: e.sampling.top_p,
          min_p: e.sampling.min_p,
          start_token: e.sampling.start_token ?? null,
          // The protocol settings enter the key only when used, so caches of older runs stay valid.
          ...((loaded.models[source].decl.start_text ?? e.sampling.start_text) !== undefined
            ? { start_text: loaded.models[source].decl.start_text ?? e.sampling.start_text }
            : {}),
          ...(e.sampling.min_new_tokens ? { min_new_tokens: e.sampling.min_new_tokens } : {}),
          ...(e.sampling.logprobs ? { logprobs: true } : {}),
          ...(e.sampling.drop_short ? { drop_short: true } : {}),
          // evaluation.world: the sample step also measures its corpus against the world's facts
          ...(loaded.world ? { world: fileFingerprint(loaded.world) } : {}),
        };
        const sampleId = `sample/${source}/${fmtT(T)}/s${seed}`;
        const sampleStep = (id: string, settings: Record<string, unknown>, tokens: number) =>
          add({
            id,
            kind: 'sample',
            deps: [],
            inputs: {},
            models: { model: source },
            settings,
            runtime: { batch_size: e.sampling.batch_size, ...(loaded.world ? { world_file: loaded.world } : {}) },
            coords: { source, temperature: T, seed },
            device: true,
            cached: true,
            tokens,
            flopsPerToken: 2 * P(source),
          });
        const N = e.sampling.shards;
        // Sharded: N part steps (device steps, run in parallel) and a merge whose output is exactly the
        // single-process corpus; it takes the corpus's id, so everything downstream is the same.
        const parts =
          N > 1
            ? Array.from({ length: N }, (_, i) =>
                sampleStep(`${sampleId}/part${i}of${N}`, { ...sampleSettings, part: { index: i, count: N } }, corpusTokens / N),
              )
            : [];
        const corpusCoords: StepCoords = { source, temperature: T, seed };
        const sample =
          N > 1
            ? corpusStep(sampleId, 'merge', Object.fromEntries(parts.map((p, i) => [`part${i}`, p.id])), corpusCoords, { parts: N })
            : sampleStep(sampleId, sampleSettings, corpusTokens);
        let clean: Step = sample;
        if (e.audit) {
          const tasks = Object.fromEntries(Object.entries(loaded.auditTasks ?? {}).map(([n, f]) => [n, fileFingerprint(f)]));
          clean = corpusStep(
            `audit/${source}/${fmtT(T)}/s${seed}`,
            'audit',
            { corpus: sample.id },
            corpusCoords,
            { n: e.audit.n, tasks },
            { runtime: { task_files: loaded.auditTasks ?? {} } },
          );
        }
        for (const student of e.grid.students) {
          const coords: StepCoords = { student, source, temperature: T, seed };
          let corpus = clean;
          const stok = loaded.models[student].tokenizer;
          if (stok !== loaded.models[source].tokenizer) {
            corpus = corpusStep(
              `retokenize/${source}/${fmtT(T)}/s${seed}/tok-${stok}`,
              'retokenize',
              { corpus: clean.id },
              corpusCoords,
              { tokenizer: stok },
              { models: { tokenizer: student } },
            );
          }
          const subsets = e.subsets;
          const runs: Array<{ corpus: Step; suffix: string; coords: StepCoords; corpusTokens: number }> = subsets
            ? Array.from({ length: subsets.count }, (_, k) => ({
                corpus: corpusStep(
                  `subset/${source}/${fmtT(T)}/s${seed}/tok-${stok}/k${k}`,
                  'subset',
                  { corpus: corpus.id },
                  { ...corpusCoords, subset: k },
                  { tokens: subsets.tokens, seed: subsets.seed, index: k },
                ),
                suffix: `/k${k}`,
                coords: { ...coords, subset: k },
                corpusTokens: subsets.tokens,
              }))
            : [{ corpus, suffix: '', coords, corpusTokens }];
          for (const run of runs) {
            const train = trainOn(
              `train/${student}/${source}/${fmtT(T)}/s${seed}${run.suffix}`,
              run.corpus,
              student,
              seed,
              run.coords,
              run.corpusTokens,
            );
            evaluations(`${student}/${source}/${fmtT(T)}/s${seed}${run.suffix}`, { ...run.coords, stage: 'trained' }, student, train);
          }
          const px = e.evaluation.proxies;
          if (px.enabled) {
            const embed = px.embed_model ?? student;
            const pxModels: Record<string, string> = { student, source };
            if (!px.lexical_only) pxModels.embed = embed;
            const embedder = embedderOf(px.embedder, loaded.file);
            const scored = Math.min(e.sampling.num_samples, px.max_corpus_texts) * e.sampling.max_new_tokens;
            add({
              id: `proxies/${student}/${source}/${fmtT(T)}/s${seed}`,
              kind: 'proxies',
              deps: [sample.id],
              inputs: { corpus: sample.id },
              models: pxModels,
              // the embedder enters the key by content, not by where it lives
              settings: {
                ...px,
                ...(embedder ? { embedder: embedder.fingerprint } : {}),
                seed,
                tasks: Object.fromEntries(Object.entries(loaded.tasks).map(([n, f]) => [n, fileFingerprint(f)])),
              },
              runtime: { task_files: loaded.tasks, ...(embedder ? { embedder_dir: embedder.dir } : {}) },
              coords,
              device: !px.lexical_only || embedder !== null,
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
  // student trains on when self-training — a subset's budget, or else the self-generated corpus's
  // size at the first temperature — then the same training and evaluations.
  for (const [student, file] of Object.entries(loaded.forgetting)) {
    for (const seed of e.grid.seeds) {
      const budget = byId.get(`sample/${student}/${fmtT(temps[0]!)}/s${seed}`)!;
      const natural = add({
        id: `natural/${student}/s${seed}`,
        kind: 'natural',
        deps: e.subsets ? [] : [budget.id],
        inputs: e.subsets ? {} : { budget: budget.id },
        models: { tokenizer: student },
        settings: { seed, data: fileFingerprint(file), ...(e.subsets ? { budget: e.subsets.tokens } : {}) },
        runtime: { data_file: file },
        coords: { student, seed, control: 'forgetting' },
        device: false,
        cached: true,
        tokens: corpusTokens,
        flopsPerToken: 0,
      });
      const coords: StepCoords = { student, source: `${student}:natural`, seed, control: 'forgetting' };
      const train = trainOn(`train/${student}/natural/s${seed}`, natural, student, seed, coords, e.subsets?.tokens);
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
    models: Object.fromEntries(
      Object.entries(loaded.models).map(([n, m]) => [
        n,
        {
          dir: m.dir,
          family: m.family,
          recipe: m.decl.recipe ?? m.family,
          tokenizer: m.tokenizer,
          exists: m.exists,
          parameters: params[n],
        },
      ]),
    ),
    tasks: loaded.tasks,
    extraction: loaded.extraction,
    ...(e.evaluation.extraction.some((x) => x.control)
      ? { extractionControls: e.evaluation.extraction.filter((x) => x.control).map((x) => x.name) }
      : {}),
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
