/** Options of `train()` / `resurface train`, validated once at the boundary (zod). */
import { z } from 'zod';
import { ArgumentError } from '../errors';
import { deviceSchema } from '../model/options';
import type { DeviceName } from '../native/types';

export const trainOptionsSchema = z.strictObject({
  /** Hugging Face model directory to start from (a trained model or one made by init-random). */
  model: z.string().min(1),
  /** Corpus directory, JSONL file or plain text file. */
  data: z.string().min(1),
  /** The final model is written here; checkpoints go to out/checkpoint-STEP/. */
  out: z.string().min(1),
  maxSteps: z.number().int().positive().optional(),
  epochs: z.number().positive().optional(),
  lr: z.number().nonnegative().default(2e-5),
  schedule: z.enum(['constant', 'linear', 'cosine']).default('linear'),
  warmup: z.number().int().nonnegative().default(0),
  /** Warmup as a share of all optimizer steps: ceil(ratio · total), as transformers' warmup_ratio. */
  warmupRatio: z.number().min(0).max(1).optional(),
  batchSize: z.number().int().positive().default(8),
  gradAccum: z.number().int().positive().default(1),
  seqLen: z.number().int().min(2).default(512),
  packing: z.enum(['concat', 'none']).default('concat'),
  weightDecay: z.number().nonnegative().default(0),
  /** Global-norm clipping; 0 disables it. */
  gradClip: z.number().nonnegative().default(1),
  betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.999]),
  eps: z.number().positive().default(1e-8),
  /** Compute dtype (float32 master weights either way); auto: resolveTrainDtype. */
  dtype: z.enum(['auto', 'float32', 'bfloat16']).default('float32'),
  /** Also decay biases and norm weights (default: they are not, as in the Hugging Face Trainer). */
  decayAll: z.boolean().default(false),
  seed: z
    .number()
    .int()
    .nonnegative()
    .max(2 ** 32 - 1)
    .default(42),
  /** Write a checkpoint every N steps (0: none). */
  saveEvery: z.number().int().nonnegative().default(0),
  /** Also write the model at the end of every epoch to out/checkpoint-epoch-N/ (never pruned). */
  saveEveryEpoch: z.boolean().default(false),
  /** How many checkpoints to keep (the newest). */
  keepCheckpoints: z.number().int().positive().default(2),
  resume: z.boolean().default(false),
  /** Recompute each layer's activations in backward (less memory, ~1/3 more compute). */
  activationCheckpointing: z.boolean().default(false),
  device: deviceSchema.default('cpu' as DeviceName),
  threads: z.number().int().min(1).max(1024).optional(),
  /** Shuffle rows each epoch (seeded). */
  shuffle: z.boolean().default(true),
});

export type TrainOptions = z.input<typeof trainOptionsSchema>;
export type ResolvedTrainOptions = z.output<typeof trainOptionsSchema>;

export function resolveTrainOptions(options: TrainOptions): ResolvedTrainOptions {
  const parsed = trainOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ArgumentError(`train: ${issue.path.join('.') || 'options'}: ${issue.message}`, { field: issue.path.join('.') });
  }
  const o = parsed.data;
  if (o.maxSteps !== undefined && o.epochs !== undefined) throw new ArgumentError('train: give --max-steps or --epochs, not both');
  if (o.warmupRatio !== undefined && o.warmup > 0) throw new ArgumentError('train: give --warmup (steps) or --warmup-ratio, not both');
  return o;
}

/**
 * The settings a resumed run must share with the run that wrote the checkpoint: everything that
 * changes which update is applied at which step. (Threads, saving and logging may change.)
 */
export function resumeSettings(
  o: ResolvedTrainOptions,
  extra: { modelConfigHash: string; dataFingerprint: string; totalSteps: number; warmupSteps?: number },
): Record<string, unknown> {
  return {
    modelConfigHash: extra.modelConfigHash,
    dataFingerprint: extra.dataFingerprint,
    totalSteps: extra.totalSteps,
    maxSteps: o.maxSteps ?? null,
    epochs: o.epochs ?? null,
    lr: o.lr,
    schedule: o.schedule,
    warmup: extra.warmupSteps ?? o.warmup,
    ...(o.warmupRatio !== undefined ? { warmupRatio: o.warmupRatio } : {}),
    batchSize: o.batchSize,
    gradAccum: o.gradAccum,
    seqLen: o.seqLen,
    packing: o.packing,
    weightDecay: o.weightDecay,
    gradClip: o.gradClip,
    betas: o.betas,
    eps: o.eps,
    dtype: o.dtype,
    decayAll: o.decayAll,
    seed: o.seed,
    shuffle: o.shuffle,
  };
}

/** Warmup steps of a run: ceil(warmupRatio · totalSteps) when a ratio is given (as transformers), else --warmup. */
export function warmupSteps(o: Pick<ResolvedTrainOptions, 'warmup' | 'warmupRatio'>, totalSteps: number): number {
  return o.warmupRatio !== undefined ? Math.ceil(o.warmupRatio * totalSteps) : o.warmup;
}
