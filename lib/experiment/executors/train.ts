/**
 * `train` steps: full-parameter fine-tuning of the student on the (possibly retokenized) corpus
 * with the experiment's recipe, the final HF model written into ctx.outDir itself.
 * Resumable: checkpoints go to ctx.outDir/checkpoint-STEP/ while it runs and are removed once the
 * final model is written, so the cached step holds just the model.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ResurfaceError } from '../../errors';
import type { DeviceName } from '../../native/types';
import { train } from '../../train/train';
import type { TrainingSettings } from '../schema';
import type { StepExecutor } from '../executor';
import { throwIfAborted } from './corpus';
import { trainingData } from './natural';

type TrainSettings = TrainingSettings & { seed: number };

/**
 * Optimizer steps between checkpoints: about ten per run, but not more often than every 50 steps
 * (a checkpoint writes the weights and two AdamW moments). The total is estimated from the corpus
 * size; only the cost of a kill depends on it, never the result.
 */
export function checkpointEvery(t: TrainSettings, corpus: { samples?: unknown; tokens?: unknown }): number {
  let total = t.max_steps;
  if (total === undefined) {
    const samples = Number(corpus.samples) || 0;
    const tokens = Number(corpus.tokens) || 0;
    const rows = t.packing === 'concat' ? (tokens + 2 * samples) / t.seq_len : samples; // + start token and separator per document
    total = Math.ceil(((t.epochs ?? 1) * rows) / (t.batch_size * t.grad_accum));
  }
  return Math.max(50, Math.ceil(total / 10));
}

export const trainExecutor: StepExecutor = {
  version: 'train-1',
  resumable: true,
  async run(step, ctx) {
    const t = step.settings as unknown as TrainSettings;
    const corpus = ctx.inputs.corpus;
    const summary = await train({
      model: ctx.models.model.dir,
      data: trainingData(corpus),
      out: ctx.outDir,
      ...(t.max_steps !== undefined ? { maxSteps: t.max_steps } : { epochs: t.epochs ?? 1 }),
      lr: t.lr,
      schedule: t.schedule,
      warmup: t.warmup,
      ...(t.warmup_ratio !== undefined ? { warmupRatio: t.warmup_ratio } : {}),
      ...(t.save_every_epoch ? { saveEveryEpoch: true } : {}),
      batchSize: t.batch_size,
      gradAccum: t.grad_accum,
      seqLen: t.seq_len,
      packing: t.packing,
      weightDecay: t.weight_decay,
      gradClip: t.grad_clip,
      betas: t.betas,
      eps: t.eps,
      dtype: t.dtype,
      seed: t.seed,
      saveEvery: checkpointEvery(t, corpus.result),
      keepCheckpoints: 1,
      resume: ctx.resume,
      device: ctx.device as DeviceName,
      signal: ctx.signal,
      onProgress: (p) => {
        if (p.event === 'step' || p.event === 'start') ctx.progress(p.step, p.totalSteps, 'steps');
      },
    });
    if (summary.aborted)
      throw new ResurfaceError('ERR_ABORTED', `${step.id} was aborted at step ${summary.steps}/${summary.totalSteps}; rerun to resume`);
    throwIfAborted(ctx, step.id);
    for (const f of fs.readdirSync(ctx.outDir)) {
      if (/^\.?checkpoint-\d+/.test(f)) fs.rmSync(path.join(ctx.outDir, f), { recursive: true, force: true });
    }
    return {
      steps: summary.steps,
      tokens: summary.tokensSeen,
      final_loss: summary.finalLoss,
      rows: summary.numRows,
      targets: summary.numTargets,
      tokens_per_second: summary.tokensPerSecond,
      elapsed_seconds: summary.elapsedSeconds,
      resumed_from: summary.resumedFrom,
      peak_rss_bytes: summary.peakRssBytes,
    };
  },
};
