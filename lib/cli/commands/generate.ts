/**
 * `resurface generate --model DIR --out CORPUS_DIR --num-samples N --max-new-tokens L [--temperature T]
 *   [--top-k K] [--top-p P] [--min-p M] [--seed S] [--batch-size B|auto] [--start-token ID] [--resume] [--json]`
 */
import type { Argv } from 'yargs';
import { ArgumentError } from '../../errors';
import { generateCorpus } from '../../corpus/write-corpus';
import type { ModelDtype } from '../../native/types';
import { createProgress, formatDuration, withInterruptSignal } from '../../util/progress';
import { runCommand } from '../run-command';

export const command = 'generate';
export const describe = 'Sample text from the start token alone (no prompt, no filter) into a resumable corpus';

export function builder(y: Argv) {
  return y
    .option('model', { type: 'string', demandOption: true })
    .option('out', { type: 'string', demandOption: true, describe: 'corpus directory' })
    .option('num-samples', { type: 'number', demandOption: true })
    .option('max-new-tokens', { type: 'number', demandOption: true })
    .option('temperature', { type: 'number', default: 1 })
    .option('top-k', { type: 'number', default: 0 })
    .option('top-p', { type: 'number', default: 1 })
    .option('min-p', { type: 'number', default: 0 })
    .option('seed', { type: 'number', default: 0 })
    .option('batch-size', { type: 'string', default: 'auto', describe: 'a number, or auto (largest that fits memory)' })
    .option('start-token', { type: 'number', describe: 'override the start token (default: BOS, else the document separator)' })
    .option('samples-per-shard', { type: 'number', default: 1000 })
    .option('dtype', { choices: ['float32', 'bfloat16', 'float16'] as const, default: 'float32' as const })
    .option('device', { type: 'string', default: 'cpu' })
    .option('threads', { type: 'number' })
    .option('resume', { type: 'boolean', default: false })
    .option('json', { type: 'boolean', default: false });
}

interface Args {
  model: string; out: string; numSamples: number; maxNewTokens: number; temperature: number; topK: number; topP: number;
  minP: number; seed: number; batchSize: string; startToken?: number; samplesPerShard: number; dtype: ModelDtype;
  device: string; threads?: number; resume: boolean; json: boolean;
}

export function parseBatchSize(text: string): number | 'auto' {
  if (text === 'auto') return 'auto';
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new ArgumentError(`--batch-size must be a positive integer or auto, got '${text}'`);
  return n;
}

export async function handler(argv: Args) {
  await runCommand(async () => {
    const progress = createProgress('generate', {
      json: argv.json,
      render: (f) => `samples ${f.samplesDone}/${f.samplesTotal}  ${Number(f.tokensPerSecond).toFixed(0)} tok/s  ETA ${formatDuration(f.etaSeconds as number | null)}`,
    });
    const summary = await withInterruptSignal((signal) =>
      generateCorpus({
        modelDir: argv.model, outDir: argv.out, numSamples: argv.numSamples, maxNewTokens: argv.maxNewTokens,
        temperature: argv.temperature, topK: argv.topK, topP: argv.topP, minP: argv.minP, seed: argv.seed,
        batchSize: parseBatchSize(argv.batchSize), startToken: argv.startToken, samplesPerShard: argv.samplesPerShard,
        resume: argv.resume, load: { dtype: argv.dtype, device: argv.device as 'cpu', threads: argv.threads }, signal,
        onProgress: (p) => progress.update({ ...p }),
      }).catch((err) => {
        if (err?.code === 'ERR_ABORTED') err.message += `; finished shards are saved: rerun with --resume to complete ${argv.out}`;
        throw err;
      }),
    );
    progress.done({ ...summary });
    if (argv.json) return;
    process.stdout.write(
      `${summary.samples} samples, ${summary.tokens} tokens (EOS rate ${(summary.eosRate * 100).toFixed(1)}%) in ${argv.out}; ` +
        `${summary.tokensPerSecond.toFixed(0)} tok/s at batch ${summary.batchSize}, ${formatDuration(summary.elapsedSeconds)}\n`,
    );
  });
}
