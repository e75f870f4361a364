/**
 * The training loop: data → packed rows → seeded order → micro-batches → native AdamW steps, with
 * metrics, atomic checkpoints, exact resume and an abort signal.
 *
 *   const summary = await train({ model: 'models/pythia-70m', data: 'corpus/', out: 'student/', maxSteps: 1000 },
 *                               { onProgress: (p) => console.log(p.step, p.loss), signal });
 *
 * Step k (0-based) consumes rows k·B·G … (k+1)·B·G − 1 of the data order (shuffle.ts) in G
 * micro-batches of B rows; its loss is the mean cross-entropy over every target of those rows.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArgumentError, fromNative, ResurfaceError } from '../errors';
import { asIoError, writeFileAtomic } from '../io/atomic';
import { weightPlan } from '../model/architectures';
import { configHash, parseConfig, readConfigJson } from '../model/config';
import { Model } from '../model/model';
import { chooseDtype, type DtypeChoice } from '../model/resolve-dtype';
import { openWeights } from '../io/safetensors-index';
import { buildLoadPlan } from '../model/load-plan';
import { loadNative } from '../native/loader';
import type { NativeTrainer } from '../native/types';
import {
  listCheckpoints,
  pruneCheckpoints,
  readModelFiles,
  readOptimizerState,
  readTrainerState,
  writeCheckpoint,
  writeEpochCheckpoint,
  writeFinal,
  type TrainerStateFile,
} from './checkpoint';
import { loadRows } from './load-rows';
import { resolveTrainOptions, resumeSettings, warmupSteps, type ResolvedTrainOptions, type TrainOptions } from './options';
import { gatherBatch } from './packing';
import { lrAt, type Schedule } from './schedule';
import { DataOrder } from './shuffle';
import { ensureDir } from '../io/ensure-dir';

export interface TrainProgress {
  event: 'start' | 'step' | 'checkpoint' | 'done';
  step: number;
  totalSteps: number;
  loss?: number;
  lr?: number;
  gradNorm?: number;
  tokensPerSecond?: number;
  elapsedSeconds: number;
  etaSeconds?: number;
  checkpoint?: string;
  resumedFrom?: number | null;
  numRows?: number;
  /** event 'start': sequences (batch × grad-accum) and tokens (× seq-len) per optimizer step, and the warmup. */
  effectiveBatch?: { batchSize: number; gradAccum: number; sequences: number; seqLen: number; tokens: number };
  warmupSteps?: number;
}

export interface TrainHooks {
  onProgress?: (p: TrainProgress) => void;
  signal?: AbortSignal;
}

export interface TrainSummary {
  outDir: string;
  /** Optimizer steps done (in total, including those before a resume). */
  steps: number;
  totalSteps: number;
  finalLoss: number | null;
  tokensSeen: number;
  elapsedSeconds: number;
  /** Input tokens per second of this process's steps. */
  tokensPerSecond: number;
  /** Peak resident set size of the process. */
  peakRssBytes: number;
  resumedFrom: number | null;
  aborted: boolean;
  numRows: number;
  numTargets: number;
  /** The compute dtype and why (dtype auto resolves against the starting model). */
  dtypeChoice: DtypeChoice;
}

export interface MetricsLine {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  tokens: number;
  tokensPerSecond: number;
  elapsedSeconds: number;
  epoch: number;
}

function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

function prepareOutDir(out: string): void {
  try {
    ensureDir(out);
    fs.accessSync(out, fs.constants.W_OK);
    const probe = path.join(out, `.write-probe-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.unlinkSync(probe);
  } catch (err) {
    throw asIoError(err, `output directory ${out} is not writable`, out);
  }
}

function diffSettings(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys]
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .map((k) => `${k}: checkpoint ${JSON.stringify(a[k])}, now ${JSON.stringify(b[k])}`);
}

function readMetrics(file: string, upToStep: number): string {
  if (!fs.existsSync(file)) return '';
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => {
      if (!l.trim()) return false;
      try {
        return (JSON.parse(l) as MetricsLine).step <= upToStep;
      } catch {
        return false; // a line torn by a kill
      }
    })
    .map((l) => `${l}\n`)
    .join('');
}

/**
 * The training compute dtype: as asked, or for `auto` the starting checkpoint's where the device
 * computes it natively (resolve-dtype.ts) — float16 trains in float32 (no fp16 loss scaling here).
 */
async function resolveTrainDtype(o: ResolvedTrainOptions, modelDir: string, spec: ReturnType<typeof parseConfig>): Promise<DtypeChoice> {
  const plan =
    o.dtype === 'auto' && spec.checkpointDtype === null ? buildLoadPlan(spec, await openWeights(modelDir), modelDir, false) : null;
  const choice = chooseDtype(o.dtype, o.device, spec.checkpointDtype, plan);
  if (choice.dtype !== 'float16') return choice;
  return { ...choice, dtype: 'float32', reason: `${choice.reason}; training has no float16 mode: float32` };
}

/** Train (or pretrain from scratch) a model; see the module comment. */
export async function train(options: TrainOptions & TrainHooks): Promise<TrainSummary> {
  const { onProgress, signal, ...rest } = options;
  const requested = resolveTrainOptions(rest);
  const out = path.resolve(requested.out);
  const modelDir = path.resolve(requested.model);
  const rawConfig = readConfigJson(modelDir);
  const spec = parseConfig(rawConfig, path.join(modelDir, 'config.json'));
  // resolved before the resume settings, so a resume that would train in another dtype is refused
  const dtypeChoice = await resolveTrainDtype(requested, modelDir, spec);
  const o = { ...requested, dtype: dtypeChoice.dtype as 'float32' | 'bfloat16' };
  if (o.seqLen > spec.maxPositionEmbeddings) {
    throw new ArgumentError(`--seq-len ${o.seqLen} exceeds the model's max_position_embeddings (${spec.maxPositionEmbeddings})`);
  }
  prepareOutDir(out);
  const existing = listCheckpoints(out);
  const finalStatePath = path.join(out, 'trainer_state.json');
  if (!o.resume && (existing.length > 0 || fs.existsSync(finalStatePath))) {
    throw new ArgumentError(`${out} already holds a training run; pass --resume to continue it, or choose another --out`);
  }

  const { rows, fingerprint } = await loadRows(o, spec.vocabSize, spec.eosTokenIds[0] ?? null);
  const rowsPerStep = o.batchSize * o.gradAccum;
  const totalSteps = o.maxSteps ?? Math.max(1, Math.ceil(((o.epochs ?? 1) * rows.numRows) / rowsPerStep));
  const warmup = warmupSteps(o, totalSteps);
  const settings = resumeSettings(o, {
    modelConfigHash: configHash(rawConfig),
    dataFingerprint: fingerprint,
    totalSteps,
    warmupSteps: warmup,
  });
  const schedule: Schedule = { name: o.schedule, baseLr: o.lr, warmupSteps: warmup, totalSteps };

  // --- resume ---------------------------------------------------------------------------------
  let startStep = 0;
  let elapsedBefore = 0;
  let tokensSeen = 0;
  let lastLoss: number | null = null;
  let loadDir = modelDir;
  let resumeDir: string | null = null;
  if (o.resume) {
    const candidates: { step: number; dir: string; state: TrainerStateFile }[] = existing.map((c) => ({
      ...c,
      state: readTrainerState(c.dir),
    }));
    if (fs.existsSync(finalStatePath)) candidates.push({ step: Number.MAX_SAFE_INTEGER, dir: out, state: readTrainerState(out) });
    const latest = candidates[candidates.length - 1];
    if (latest) {
      const diff = diffSettings(latest.state.settings, settings);
      if (diff.length > 0) {
        throw new ResurfaceError('ERR_RESUME_MISMATCH', `cannot resume ${latest.dir} with different settings: ${diff.join('; ')}`, {
          diff,
        });
      }
      if (latest.state.final) {
        return {
          outDir: out,
          steps: latest.state.step,
          totalSteps,
          finalLoss: latest.state.lastLoss,
          tokensSeen: latest.state.tokensSeen,
          elapsedSeconds: latest.state.elapsedSec,
          tokensPerSecond: 0,
          peakRssBytes: peakRss(),
          resumedFrom: latest.state.step,
          aborted: false,
          numRows: rows.numRows,
          numTargets: rows.numTargets,
          dtypeChoice,
        };
      }
      startStep = latest.state.step;
      elapsedBefore = latest.state.elapsedSec;
      tokensSeen = latest.state.tokensSeen;
      lastLoss = latest.state.lastLoss;
      loadDir = latest.dir;
      resumeDir = latest.dir;
    }
  }

  const files = readModelFiles(modelDir);
  const model = await Model.load(loadDir, { dtype: o.dtype, device: o.device, ...(o.threads ? { threads: o.threads } : {}) });
  let trainer: NativeTrainer | null = null;
  try {
    const addon = loadNative();
    try {
      trainer = await addon.NativeTrainer.create(model.nativeHandle(), {
        weightDecay: o.weightDecay,
        beta1: o.betas[0],
        beta2: o.betas[1],
        eps: o.eps,
        gradClip: o.gradClip,
        decayAll: o.decayAll,
        checkpointLayers: o.activationCheckpointing,
      });
      if (resumeDir) {
        const shapes = new Map(weightPlan(model.config).slots.map((s) => [s.name, s.shape] as [string, number[]]));
        await trainer.importState(await readOptimizerState(resumeDir, shapes));
      }
    } catch (err) {
      throw fromNative(err);
    }

    const metricsPath = path.join(out, 'metrics.jsonl');
    await writeFileAtomic(metricsPath, resumeDir ? readMetrics(metricsPath, startStep) : '');
    const order = new DataOrder(rows.numRows, o.seed, o.shuffle);
    const t0 = Date.now();
    let tokensThisRun = 0;
    const elapsed = () => elapsedBefore + (Date.now() - t0) / 1000;
    const stateAt = (step: number, final: boolean): TrainerStateFile => {
      const consumed = step * rowsPerStep;
      return {
        format: 'resurface-trainer-state',
        version: 1,
        step,
        totalSteps,
        final,
        settings,
        schedule: { ...schedule, nextLr: lrAt(schedule, step) },
        data: {
          rowsConsumed: consumed,
          numRows: rows.numRows,
          epoch: Math.floor(consumed / rows.numRows),
          indexInEpoch: consumed % rows.numRows,
        },
        rng: { kind: 'seeded-data-order', seed: o.seed },
        elapsedSec: elapsed(),
        tokensSeen,
        lastLoss,
        sourceModel: modelDir,
      };
    };
    const native = trainer;
    const save = async (step: number): Promise<void> => {
      try {
        const [weights, states] = [await native.exportWeights(), await native.exportState()];
        const dir = await writeCheckpoint(out, step, files, weights, states, stateAt(step, false));
        await pruneCheckpoints(out, o.keepCheckpoints);
        onProgress?.({ event: 'checkpoint', step, totalSteps, elapsedSeconds: elapsed(), checkpoint: dir });
      } catch (err) {
        throw fromNative(err);
      }
    };

    const saveEpoch = async (epoch: number, step: number): Promise<void> => {
      try {
        const dir = await writeEpochCheckpoint(out, epoch, files, await native.exportWeights(), stateAt(step, false));
        onProgress?.({ event: 'checkpoint', step, totalSteps, elapsedSeconds: elapsed(), checkpoint: dir });
      } catch (err) {
        throw fromNative(err);
      }
    };

    onProgress?.({
      event: 'start',
      step: startStep,
      totalSteps,
      elapsedSeconds: elapsed(),
      resumedFrom: resumeDir ? startStep : null,
      numRows: rows.numRows,
      effectiveBatch: {
        batchSize: o.batchSize,
        gradAccum: o.gradAccum,
        sequences: rowsPerStep,
        seqLen: o.seqLen,
        tokens: rowsPerStep * o.seqLen,
      },
      warmupSteps: warmup,
    });
    const summaryAt = (steps: number, aborted: boolean): TrainSummary => ({
      outDir: out,
      steps,
      totalSteps,
      finalLoss: lastLoss,
      tokensSeen,
      elapsedSeconds: elapsed(),
      tokensPerSecond: tokensThisRun / Math.max(1e-9, (Date.now() - t0) / 1000),
      peakRssBytes: peakRss(),
      resumedFrom: resumeDir ? startStep : null,
      aborted,
      numRows: rows.numRows,
      numTargets: rows.numTargets,
      dtypeChoice,
    });
    let step = startStep;
    for (; step < totalSteps; step++) {
      if (signal?.aborted) {
        if (step > startStep) await save(step);
        return summaryAt(step, true);
      }
      const ts = Date.now();
      const lr = lrAt(schedule, step);
      const micro = [];
      for (let g = 0; g < o.gradAccum; g++) {
        const idx: number[] = [];
        for (let b = 0; b < o.batchSize; b++) idx.push(order.rowAt(step * rowsPerStep + g * o.batchSize + b));
        micro.push(gatherBatch(rows, idx));
      }
      const normalizer = micro.reduce((n, m) => n + m.targetCount, 0);
      let loss = 0;
      let gradNorm = 0;
      let tokens = 0;
      for (let g = 0; g < micro.length; g++) {
        const m = micro[g]!;
        let r;
        try {
          r = await native.step({ ids: m.ids, targets: m.targets, B: m.B, T: m.T, lr, accumulate: g < micro.length - 1, normalizer });
        } catch (err) {
          const e = fromNative(err);
          if (e.code === 'ERR_NONFINITE_LOSS') {
            const last = listCheckpoints(out).pop();
            throw new ResurfaceError(
              'ERR_NONFINITE_LOSS',
              `step ${step + 1}: ${e.message}${last ? `; the last good checkpoint is ${last.dir}` : ''}`,
              { step: step + 1 },
            );
          }
          throw e;
        }
        loss += r.loss;
        gradNorm = r.gradNorm;
        tokens += m.inputTokens;
      }
      tokensSeen += tokens;
      tokensThisRun += tokens;
      lastLoss = loss;
      const dt = Math.max(1e-9, (Date.now() - ts) / 1000);
      const line: MetricsLine = {
        step: step + 1,
        loss,
        lr,
        gradNorm,
        tokens,
        tokensPerSecond: tokens / dt,
        elapsedSeconds: elapsed(),
        epoch: ((step + 1) * rowsPerStep) / rows.numRows,
      };
      fs.appendFileSync(metricsPath, `${JSON.stringify(line)}\n`);
      const rate = tokensThisRun / Math.max(1e-9, (Date.now() - t0) / 1000);
      const stepsDone = step + 1 - startStep;
      onProgress?.({
        event: 'step',
        step: step + 1,
        totalSteps,
        loss,
        lr,
        gradNorm,
        tokensPerSecond: rate,
        elapsedSeconds: elapsed(),
        etaSeconds: ((Date.now() - t0) / 1000 / stepsDone) * (totalSteps - step - 1),
      });
      if (o.saveEveryEpoch) {
        // epoch e ends at the step whose rows reach e · numRows (the last, partial epoch at the final step)
        const before = Math.floor((step * rowsPerStep) / rows.numRows);
        const after = Math.floor(((step + 1) * rowsPerStep) / rows.numRows);
        if (after > before) await saveEpoch(after, step + 1);
        else if (step + 1 === totalSteps) await saveEpoch(after + 1, step + 1);
      }
      if (o.saveEvery > 0 && (step + 1) % o.saveEvery === 0 && step + 1 < totalSteps) await save(step + 1);
    }

    let weights;
    try {
      weights = await native.exportWeights();
    } catch (err) {
      throw fromNative(err);
    }
    await writeFinal(out, files, weights, stateAt(totalSteps, true));
    const summary = summaryAt(totalSteps, false);
    onProgress?.({ event: 'done', step: totalSteps, totalSteps, loss: lastLoss ?? undefined, elapsedSeconds: summary.elapsedSeconds });
    return summary;
  } finally {
    trainer?.dispose();
    model.dispose();
  }
}
