/**
 * `resurface train --model DIR --data PATH --out DIR [--max-steps N | --epochs E] [--lr 2e-5]
 *   [--schedule constant|linear|cosine] [--warmup STEPS] [--batch-size B] [--grad-accum G]
 *   [--seq-len T] [--packing concat|none] [--weight-decay W] [--grad-clip C] [--betas 0.9,0.999]
 *   [--eps 1e-8] [--dtype float32|bfloat16|auto] [--seed S] [--save-every N] [--warmup-ratio R] [--save-every-epoch]
 *   [--resume] [--json]`
 */
import type { Argv } from 'yargs';
import { ArgumentError } from '../../errors';
import { train, type TrainProgress } from '../../train/train';
import { formatDuration } from '../../util/duration';
import { withInterruptSignal } from '../../util/progress';
import { Screen } from '../../util/screen';
import { printJson, runCommand } from '../run-command';

export const command = 'train';
export const describe = 'Fine-tune or pretrain a model (full parameters, AdamW), with exact resume';

export function builder(y: Argv) {
  return y
    .option('model', { type: 'string', demandOption: true, describe: 'Hugging Face model directory to start from' })
    .option('data', { type: 'string', demandOption: true, describe: 'corpus directory, JSONL file ({"text"} or {"tokens"}) or text file' })
    .option('out', { type: 'string', demandOption: true, describe: 'output directory (final model; checkpoints in checkpoint-STEP/)' })
    .option('max-steps', { type: 'number', describe: 'optimizer steps (default: one epoch)' })
    .option('epochs', { type: 'number', describe: 'passes over the data (instead of --max-steps)' })
    .option('lr', { type: 'number', default: 2e-5 })
    .option('schedule', { choices: ['constant', 'linear', 'cosine'] as const, default: 'linear' as const })
    .option('warmup', { type: 'number', default: 0, describe: 'warmup steps' })
    .option('warmup-ratio', {
      type: 'number',
      describe: 'warmup as a share of all steps: ceil(R × total), as transformers (instead of --warmup)',
    })
    .option('batch-size', { type: 'number', default: 8 })
    .option('grad-accum', { type: 'number', default: 1 })
    .option('seq-len', { type: 'number', default: 512 })
    .option('packing', { choices: ['concat', 'none'] as const, default: 'concat' as const })
    .option('weight-decay', { type: 'number', default: 0 })
    .option('decay-all', { type: 'boolean', default: false, describe: 'also decay biases and norm weights' })
    .option('grad-clip', { type: 'number', default: 1, describe: 'global gradient norm limit (0: off)' })
    .option('betas', { type: 'string', default: '0.9,0.999' })
    .option('eps', { type: 'number', default: 1e-8 })
    .option('dtype', {
      choices: ['auto', 'float32', 'bfloat16'] as const,
      default: 'float32' as const,
      describe: "compute dtype (float32 master weights either way); auto: the model's own where the device computes it natively",
    })
    .option('seed', { type: 'number', default: 42 })
    .option('save-every', { type: 'number', default: 0, describe: 'checkpoint every N steps' })
    .option('save-every-epoch', {
      type: 'boolean',
      default: false,
      describe: 'also save the model after every epoch in checkpoint-epoch-N/ (for eval --all-checkpoints)',
    })
    .option('keep-checkpoints', { type: 'number', default: 2, describe: 'checkpoints kept (newest)' })
    .option('resume', { type: 'boolean', default: false, describe: 'continue from the newest checkpoint in --out' })
    .option('activation-checkpointing', { type: 'boolean', default: false, describe: 'recompute activations in backward (less memory)' })
    .option('device', { type: 'string', default: 'cpu' })
    .option('threads', { type: 'number' })
    .option('json', { type: 'boolean', default: false, describe: 'JSON progress lines and summary on stdout' });
}

interface Args {
  model: string;
  data: string;
  out: string;
  maxSteps?: number;
  epochs?: number;
  lr: number;
  schedule: 'constant' | 'linear' | 'cosine';
  warmup: number;
  warmupRatio?: number;
  saveEveryEpoch: boolean;
  batchSize: number;
  gradAccum: number;
  seqLen: number;
  packing: 'concat' | 'none';
  weightDecay: number;
  decayAll: boolean;
  gradClip: number;
  betas: string;
  eps: number;
  dtype: 'auto' | 'float32' | 'bfloat16';
  seed: number;
  saveEvery: number;
  keepCheckpoints: number;
  resume: boolean;
  activationCheckpointing: boolean;
  device: string;
  threads?: number;
  json: boolean;
}

function parseBetas(s: string): [number, number] {
  const parts = String(s).split(',').map(Number);
  if (parts.length !== 2 || parts.some((x) => !Number.isFinite(x)))
    throw new ArgumentError(`--betas must be two numbers like 0.9,0.999, got '${s}'`);
  return [parts[0]!, parts[1]!];
}

/** One-line progress bar on a TTY (stderr). */
function bar(p: TrainProgress): string {
  const width = 24;
  const filled = Math.round((p.step / Math.max(1, p.totalSteps)) * width);
  const loss = p.loss !== undefined ? p.loss.toFixed(4) : '-';
  return (
    `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.step}/${p.totalSteps} loss ${loss} lr ${p.lr?.toExponential(2) ?? '-'} ` +
    `${Math.round(p.tokensPerSecond ?? 0)} tok/s eta ${formatDuration(p.etaSeconds)}`
  );
}

export async function handler(argv: Args) {
  await runCommand(() =>
    withInterruptSignal(async (signal) => {
      const screen = new Screen(!argv.json && process.stderr.isTTY === true);
      const summary = await train({
        model: argv.model,
        data: argv.data,
        out: argv.out,
        maxSteps: argv.maxSteps,
        epochs: argv.epochs,
        lr: argv.lr,
        schedule: argv.schedule,
        warmup: argv.warmup,
        ...(argv.warmupRatio !== undefined ? { warmupRatio: argv.warmupRatio } : {}),
        saveEveryEpoch: argv.saveEveryEpoch,
        batchSize: argv.batchSize,
        gradAccum: argv.gradAccum,
        seqLen: argv.seqLen,
        packing: argv.packing,
        weightDecay: argv.weightDecay,
        decayAll: argv.decayAll,
        gradClip: argv.gradClip,
        betas: parseBetas(argv.betas),
        eps: argv.eps,
        dtype: argv.dtype,
        seed: argv.seed,
        saveEvery: argv.saveEvery,
        keepCheckpoints: argv.keepCheckpoints,
        resume: argv.resume,
        activationCheckpointing: argv.activationCheckpointing,
        device: argv.device as never,
        ...(argv.threads ? { threads: argv.threads } : {}),
        signal,
        onProgress: (p) => {
          if (argv.json) printJson(p);
          else if (p.event === 'step') screen.status(bar(p));
          else if (p.event === 'checkpoint') screen.line(`saved ${p.checkpoint}`);
          else if (p.event === 'start') {
            const e = p.effectiveBatch!;
            screen.line(
              `effective batch: ${e.batchSize} × ${e.gradAccum} = ${e.sequences} sequences × ${e.seqLen} tokens = ${e.tokens} tokens per step; ` +
                `${p.totalSteps} steps, warmup ${p.warmupSteps}`,
            );
            if (p.resumedFrom) screen.line(`resuming at step ${p.resumedFrom}`);
          }
        },
      });
      screen.clear();
      if (argv.json) printJson({ event: 'summary', ...summary });
      else if (summary.aborted) process.stdout.write(`stopped at step ${summary.steps}/${summary.totalSteps}; continue with --resume\n`);
      else {
        process.stdout.write(
          `trained ${summary.steps} steps (loss ${summary.finalLoss?.toFixed(4) ?? '-'}, ${Math.round(summary.tokensPerSecond)} tok/s, ` +
            `peak RSS ${(summary.peakRssBytes / 2 ** 20).toFixed(0)} MiB) into ${summary.outDir}\n`,
        );
      }
      if (summary.aborted) process.exitCode = 130;
    }),
  );
}
