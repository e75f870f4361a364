/**
 * `resurface generate --model DIR --out CORPUS_DIR --num-samples N --max-new-tokens L [--temperature T]
 *   [--top-k K] [--top-p P] [--min-p M] [--seed S] [--batch-size B|auto] [--start-token ID | --start-text TEXT]
 *   [--min-new-tokens N] [--logprobs] [--drop-short] [--shard I/N] [--resume] [--json]`
 */
import type { Argv } from 'yargs';
import { ArgumentError } from '../../errors';
import { generateCorpus, parsePart } from '../../corpus/write-corpus';
import type { DtypeRequest } from '../../model/resolve-dtype';
import { dtypeOption } from '../dtype-option';
import { formatDuration } from '../../util/duration';
import { createProgress, withInterruptSignal } from '../../util/progress';
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
    .option('start-text', {
      type: 'string',
      describe: 'start from the tokens of this text instead (e.g. "\\n" for tokenizers without BOS)',
    })
    .option('min-new-tokens', {
      type: 'number',
      default: 0,
      describe: 'mask EOS and every other stop token until a sample has this many tokens',
    })
    .option('logprobs', {
      type: 'boolean',
      default: false,
      describe: "store each token's untempered log-probability and the sample's mean NLL",
    })
    .option('drop-short', {
      type: 'boolean',
      default: false,
      describe: 'the reference post-filter: drop empty samples and those under --min-new-tokens (off: no filtering)',
    })
    .option('shard', {
      type: 'string',
      describe: 'I/N: write only the part of the corpus that process I of N owns (join with corpus merge)',
    })
    .option('samples-per-shard', { type: 'number', default: 1000 })
    .option('dtype', dtypeOption)
    .option('device', { type: 'string', default: 'cpu' })
    .option('threads', { type: 'number' })
    .option('resume', { type: 'boolean', default: false })
    .option('json', { type: 'boolean', default: false });
}

interface Args {
  model: string;
  out: string;
  numSamples: number;
  maxNewTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  seed: number;
  batchSize: string;
  startToken?: number;
  startText?: string;
  minNewTokens: number;
  logprobs: boolean;
  dropShort: boolean;
  shard?: string;
  samplesPerShard: number;
  dtype: DtypeRequest;
  device: string;
  threads?: number;
  resume: boolean;
  json: boolean;
}

export function parseBatchSize(text: string): number | 'auto' {
  if (text === 'auto') return 'auto';
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new ArgumentError(`--batch-size must be a positive integer or auto, got '${text}'`);
  return n;
}

export async function handler(argv: Args) {
  await runCommand(async () => {
    if (argv.startText !== undefined && argv.startToken !== undefined)
      throw new ArgumentError('--start-text and --start-token are alternatives: give one of them');
    const part = argv.shard !== undefined ? parsePart(argv.shard) : undefined;
    const progress = createProgress('generate', {
      json: argv.json,
      render: (f) =>
        `samples ${f.samplesDone}/${f.samplesTotal}  ${Number(f.tokensPerSecond).toFixed(0)} tok/s  ETA ${formatDuration(f.etaSeconds as number | null)}`,
    });
    const summary = await withInterruptSignal((signal) =>
      generateCorpus({
        modelDir: argv.model,
        outDir: argv.out,
        numSamples: argv.numSamples,
        maxNewTokens: argv.maxNewTokens,
        temperature: argv.temperature,
        topK: argv.topK,
        topP: argv.topP,
        minP: argv.minP,
        seed: argv.seed,
        batchSize: parseBatchSize(argv.batchSize),
        startToken: argv.startToken,
        startText: argv.startText,
        minNewTokens: argv.minNewTokens,
        logprobs: argv.logprobs,
        dropShort: argv.dropShort,
        part,
        samplesPerShard: argv.samplesPerShard,
        resume: argv.resume,
        load: { dtype: argv.dtype, device: argv.device as 'cpu', threads: argv.threads },
        signal,
        onProgress: (p) => progress.update({ ...p }),
      }).catch((err) => {
        if (err?.code === 'ERR_ABORTED') err.message += `; finished shards are saved: rerun with --resume to complete ${argv.out}`;
        if (err?.code === 'ERR_INVALID_ARGUMENT' && typeof err.message === 'string')
          err.message = err.message.replace(/\bminNewTokens\b/g, '--min-new-tokens').replace(/\bmaxNewTokens\b/g, '--max-new-tokens');
        throw err;
      }),
    );
    progress.done({ ...summary });
    if (argv.json) return;
    process.stdout.write(
      `${part ? `part ${part.index}/${part.count}: ` : ''}${summary.samples} samples, ${summary.tokens} tokens (EOS rate ${(summary.eosRate * 100).toFixed(1)}%) in ${argv.out}; ` +
        `${summary.tokensPerSecond.toFixed(0)} tok/s at batch ${summary.batchSize} in ${summary.compute.dtype} (${summary.compute.reason}), ${formatDuration(summary.elapsedSeconds)}\n`,
    );
  });
}
