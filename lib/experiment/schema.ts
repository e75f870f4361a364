/**
 * The experiment file (YAML), validated with zod. Shape and meaning:
 *
 *   name: pythia-selftrain
 *   models:                       # name → model
 *     pythia-70m: { hub: EleutherAI/pythia-70m, family: pythia }
 *     qwen3-0.6b: { path: ./models/qwen3, family: qwen, tokenizer: qwen }
 *   sampling:  { temperatures: [0.7, 1.0], num_samples: 10000, max_new_tokens: 256, … }
 *   training:  { lr: 2e-5, epochs: 1, seq_len: 256, … }
 *   evaluation:
 *     tasks: [tasks/arc_easy.jsonl, …]
 *     extraction: [{ name: canaries, data: canaries.jsonl, prefix_len: 32, suffix_len: 32 }]
 *     proxies: { enabled: true, k: 5 }
 *   grid: { students: [pythia-70m], sources: [pythia-70m, pythia-410m, qwen3-0.6b], seeds: [0, 1, 2] }
 *   audit:   { tasks: [bench/arc.jsonl, …], n: 8 }       # optional: n-gram decontamination before training
 *   subsets: { tokens: 5M, count: 3, seed: 0 }           # optional: train on token-budget subsets
 *
 * Defaults come from defaults.ts. Cross-field rules (a grid name must be a model) are refinements
 * with a path, so their errors also point at the offending line.
 */
import { z } from 'zod';
import { EXPERIMENT_DEFAULTS as D } from './defaults';
import { parseTokenCount } from '../corpus/token-count';

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, ".", "_" and "-" only');
const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();

const model = z
  .strictObject({
    /** Model directory (HF layout). Relative paths resolve against --models-dir, else the YAML's directory. */
    path: z.string().min(1).optional(),
    /** Hugging Face id, looked up in --models-dir as ORG--NAME/, models--ORG--NAME/snapshots/*, or ORG/NAME/. */
    hub: z
      .string()
      .regex(/^[^/\s]+\/[^/\s]+$/, 'expected "org/name"')
      .optional(),
    /** Family label: architecture, tokenizer and data mixture (another family = cross-family). */
    family: z.string().min(1),
    /** Pretraining recipe within the family (default: the family): same family and recipe = same lineage, same family and another recipe = different recipe. */
    recipe: z.string().min(1).optional(),
    /** Tokenizer label; models with different labels get their corpus retokenized (default: family). */
    tokenizer: z.string().min(1).optional(),
    /** Sampling context as text for this source (overrides sampling.start_text), e.g. "\n" for a tokenizer without BOS. */
    start_text: z.string().min(1).optional(),
    /** Informative: what the model is used for. */
    role: z.array(z.enum(['student', 'source'])).optional(),
  })
  .refine((m) => m.path !== undefined || m.hub !== undefined, { message: 'give "path" or "hub"' });

const sampling = z
  .strictObject({
    temperatures: z
      .array(z.number().min(0).max(10))
      .min(1)
      .default([...D.sampling.temperatures]),
    num_samples: posInt.default(D.sampling.num_samples),
    max_new_tokens: posInt.default(D.sampling.max_new_tokens),
    top_k: nonNegInt.default(D.sampling.top_k),
    top_p: z.number().gt(0).lte(1).default(D.sampling.top_p),
    min_p: z.number().min(0).lt(1).default(D.sampling.min_p),
    batch_size: z.union([posInt, z.literal('auto')]).default(D.sampling.batch_size),
    start_token: nonNegInt.optional(),
    /** The context as text instead of one start token (the reference's "\n" for tokenizers without BOS). */
    start_text: z.string().min(1).optional(),
    /** EOS and every stop token masked until this many new tokens (the reference's min_tokens = 50). */
    min_new_tokens: nonNegInt.default(0),
    /** Save each generated token's untempered log-probability and the sample's mean NLL. */
    logprobs: z.boolean().default(false),
    /** The reference's post-filter: drop empty samples and those under min_new_tokens (off: no filtering is the method). */
    drop_short: z.boolean().default(false),
    /**
     * Data-parallel sampling: each corpus is written by this many part steps (`generate --shard I/N`),
     * which `--devices` and `--emit slurm` run on different devices / nodes, then merged into exactly
     * the corpus one process writes. Needs a numeric batch_size (every part must use the same one).
     */
    shards: posInt.default(1),
  })
  .refine((s) => s.shards === 1 || typeof s.batch_size === 'number', {
    message: 'sharded sampling needs a numeric batch_size (every part must decode with the same one)',
    path: ['shards'],
  })
  .refine((s) => !(s.start_text !== undefined && s.start_token !== undefined), {
    message: 'give "start_text" or "start_token", not both',
    path: ['start_text'],
  })
  .refine((s) => s.min_new_tokens <= s.max_new_tokens, { message: 'min_new_tokens exceeds max_new_tokens', path: ['min_new_tokens'] });

const training = z
  .strictObject({
    epochs: z.number().positive().optional(),
    max_steps: posInt.optional(),
    lr: z.number().positive().default(D.training.lr),
    schedule: z.enum(['constant', 'linear', 'cosine']).default(D.training.schedule),
    warmup: nonNegInt.default(D.training.warmup),
    /** Keep the model after every epoch (checkpoint-epoch-N/), e.g. for `evaluation.checkpoints`. */
    save_every_epoch: z.boolean().optional(),
    /** Warmup as a share of the total steps (the reference's warmup_ratio 0.1); instead of `warmup`. */
    warmup_ratio: z.number().min(0).max(1).optional(),
    batch_size: posInt.default(D.training.batch_size),
    grad_accum: posInt.default(D.training.grad_accum),
    seq_len: posInt.default(D.training.seq_len),
    packing: z.enum(['concat', 'none']).default(D.training.packing),
    weight_decay: z.number().min(0).default(D.training.weight_decay),
    grad_clip: z.number().nonnegative().default(D.training.grad_clip), // 0: no clipping
    betas: z.tuple([z.number().gt(0).lt(1), z.number().gt(0).lt(1)]).default([...D.training.betas]),
    eps: z.number().positive().default(D.training.eps),
    dtype: z.enum(['auto', 'float32', 'bfloat16']).default(D.training.dtype),
  })
  .refine((t) => !(t.epochs !== undefined && t.max_steps !== undefined), {
    message: 'give either "epochs" or "max_steps", not both',
    path: ['max_steps'],
  })
  .refine((t) => !(t.warmup_ratio !== undefined && t.warmup > 0), {
    message: 'give either "warmup" (steps) or "warmup_ratio", not both',
    path: ['warmup_ratio'],
  })
  .transform((t) => ({ ...t, epochs: t.max_steps === undefined ? (t.epochs ?? D.training.epochs) : undefined }));

const extractionSet = z.strictObject({
  name,
  /** JSONL of {"text"} or {"tokens"}; relative paths resolve against --data-dir, else the YAML's directory. */
  data: z.string().min(1),
  prefix_len: posInt.default(D.evaluation.extraction.prefix_len),
  suffix_len: posInt.default(D.evaluation.extraction.suffix_len),
  offset: nonNegInt.default(D.evaluation.extraction.offset),
  /** Sequences no model ever saw (control canaries): measured as a sanity line, never pooled into the held-out set. */
  control: z.boolean().optional(),
});

const proxies = z.strictObject({
  enabled: z.boolean().default(D.evaluation.proxies.enabled),
  k: posInt.default(D.evaluation.proxies.k),
  max_n: z.number().int().min(1).max(8).default(D.evaluation.proxies.max_n),
  lexical_only: z.boolean().default(D.evaluation.proxies.lexical_only),
  max_corpus_texts: posInt.default(D.evaluation.proxies.max_corpus_texts),
  /** Model used for the embedding cosine (default: the student). */
  embed_model: name.optional(),
  /** Sentence-transformers BERT checkpoint directory for the semantic similarity (relative: to the YAML's folder). */
  embedder: z.string().min(1).optional(),
});

const evaluation = z.strictObject({
  tasks: z.array(z.string().min(1)).default([]),
  /** Also evaluate the tasks on every epoch's checkpoint of every trained run (the reference evaluates each); needs training.save_every_epoch and epochs. */
  checkpoints: z.boolean().default(false),
  limit: posInt.optional(),
  batch_size: posInt.default(D.evaluation.batch_size),
  baseline: z.boolean().default(D.evaluation.baseline),
  extraction: z.array(extractionSet).default([]),
  proxies: proxies.default(() => proxies.parse({})),
  /**
   * A world with known facts (a `resurface-world-facts` JSON, e.g. the lab's world/facts.json):
   * every sampled corpus is then measured against it (coverage, fidelity, canary regeneration).
   */
  world: z.string().min(1).optional(),
});

const grid = z.strictObject({
  students: z.array(name).min(1),
  sources: z.array(name).min(1),
  /** Default: sampling.temperatures. */
  temperatures: z.array(z.number().min(0).max(10)).min(1).optional(),
  seeds: z
    .array(nonNegInt)
    .min(1)
    .default([...D.grid.seeds]),
});

const controls = z.strictObject({
  /**
   * The forgetting control: student → natural text of its own pretraining distribution (JSONL of
   * {"text"}, canaries removed). Each student is also fine-tuned, per seed, on the same token budget
   * of this text as its self-generated corpus, to tell decoupling from ordinary forgetting.
   */
  forgetting: z.record(name, z.string().min(1)).default({}),
});

/** `corpus audit` between sampling and training (lib/corpus/audit.ts). */
const audit = z.strictObject({
  /** Task files whose text is benchmark text; relative paths resolve like evaluation.tasks. */
  tasks: z.array(z.string().min(1)).min(1),
  n: posInt.default(8),
});

/** `corpus subset`: each trained run becomes `count` runs, one per token-budget subset (lib/corpus/subset.ts). */
const subsets = z.strictObject({
  /** Tokens per subset: an integer or "5M", "200k". */
  tokens: z.union([posInt, z.string()]).transform((t, ctx) => {
    if (typeof t === 'number') return t;
    try {
      return parseTokenCount(t, 'subsets.tokens');
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  }),
  count: posInt.default(3),
  seed: nonNegInt.default(0),
});

const statistics = z.strictObject({
  resamples: posInt.default(D.statistics.resamples),
  level: z.number().gt(0).lt(1).default(D.statistics.level),
  seed: nonNegInt.default(D.statistics.seed),
  /** Non-inferiority margin δ of the decoupling claim, in accuracy points. */
  non_inferiority_points: z.number().min(0).default(D.statistics.non_inferiority_points),
  /** |ρ| from which a proxy counts as predicting the gain ("proxies fail" = every |ρ| shown below it). */
  proxy_margin: z.number().gt(0).lt(1).default(D.statistics.proxy_margin),
  /** The relative drop of held-out extraction the decoupling claim states. */
  extraction_drop: z.number().gt(0).lt(1).default(D.statistics.extraction_drop),
});

export const experimentSchema = z
  .strictObject({
    name,
    description: z.string().optional(),
    models: z.record(name, model).refine((m) => Object.keys(m).length > 0, { message: 'declare at least one model' }),
    sampling: sampling.default(() => sampling.parse({})),
    training: training.default(() => training.parse({})),
    evaluation: evaluation.default(() => evaluation.parse({})),
    grid,
    controls: controls.default(() => controls.parse({})),
    statistics: statistics.default(() => statistics.parse({})),
    audit: audit.optional(),
    subsets: subsets.optional(),
  })
  .superRefine((e, ctx) => {
    for (const role of ['students', 'sources'] as const) {
      e.grid[role].forEach((m, i) => {
        if (!(m in e.models))
          ctx.addIssue({
            code: 'custom',
            path: ['grid', role, i],
            message: `"${m}" is not a model declared under "models" (have: ${Object.keys(e.models).join(', ')})`,
          });
      });
      const dup = e.grid[role].find((m, i) => e.grid[role].indexOf(m) !== i);
      if (dup) ctx.addIssue({ code: 'custom', path: ['grid', role], message: `"${dup}" is listed twice` });
    }
    for (const student of Object.keys(e.controls.forgetting)) {
      if (!e.grid.students.includes(student))
        ctx.addIssue({ code: 'custom', path: ['controls', 'forgetting', student], message: `"${student}" is not a student of the grid` });
      else if (!e.grid.sources.includes(student))
        ctx.addIssue({
          code: 'custom',
          path: ['controls', 'forgetting', student],
          message: `"${student}" must also be a source: the control matches the token budget of its self-generated corpus`,
        });
    }
    if (
      e.evaluation.checkpoints &&
      !(e.training.save_every_epoch && e.training.epochs !== undefined && Number.isInteger(e.training.epochs))
    )
      ctx.addIssue({
        code: 'custom',
        path: ['evaluation', 'checkpoints'],
        message: 'evaluating every epoch needs training.save_every_epoch: true and a whole number of training.epochs',
      });
    const emb = e.evaluation.proxies.embed_model;
    if (emb && !(emb in e.models))
      ctx.addIssue({ code: 'custom', path: ['evaluation', 'proxies', 'embed_model'], message: `"${emb}" is not a declared model` });
    const names = e.evaluation.extraction.map((x) => x.name);
    const dupSet = names.find((n, i) => names.indexOf(n) !== i);
    if (dupSet)
      ctx.addIssue({ code: 'custom', path: ['evaluation', 'extraction'], message: `extraction set name "${dupSet}" is used twice` });
    const bases = e.evaluation.tasks.map((t) => taskName(t));
    const dupTask = bases.find((n, i) => bases.indexOf(n) !== i);
    const auditBases = (e.audit?.tasks ?? []).map((t) => taskName(t));
    const dupAudit = auditBases.find((n, i) => auditBases.indexOf(n) !== i);
    if (dupAudit) ctx.addIssue({ code: 'custom', path: ['audit', 'tasks'], message: `two audit task files are both named "${dupAudit}"` });
    if (dupTask)
      ctx.addIssue({
        code: 'custom',
        path: ['evaluation', 'tasks'],
        message: `two task files are both named "${dupTask}" (task names come from file names)`,
      });
  });

export type ExperimentInput = z.input<typeof experimentSchema>;
export type Experiment = z.output<typeof experimentSchema>;
export type ModelDecl = Experiment['models'][string];
export type SamplingSettings = Experiment['sampling'];
export type TrainingSettings = Experiment['training'];
export type ExtractionSet = Experiment['evaluation']['extraction'][number];

/** Task name = file name without directory and .jsonl. */
export function taskName(file: string): string {
  return file.replace(/^.*[\\/]/, '').replace(/\.jsonl$/, '');
}
