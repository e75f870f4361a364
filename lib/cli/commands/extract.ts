/**
 * `resurface extract --model DIR --data PATH --prefix-len 32 --suffix-len 32 [--offset 0] [--batch-size B] [--indices FILE|RANGE] [--json]`
 * `--model` / `--data` are checked in the handler (not demanded by yargs) so that subcommands such
 * as `extract compare A.json B.json` can live under this command.
 */
import type { Argv } from 'yargs';
import { ArgumentError } from '../../errors';
import { loadExtractionData, runExtraction } from '../../eval/extraction';
import { readIndices } from '../../eval/indices';
import { isMegatronPath } from '../../eval/megatron';
import { TextTokenizer } from '../../tokenizer/tokenizer';
import { printJson, runCommand } from '../run-command';
import { fmt, loadModel, modelOptions, progress, type ModelArgs } from './eval-common';
import * as extractCompare from './extract-compare';

export const command = 'extract';
export const describe = 'Verbatim extraction (Pythia memorization protocol): greedy suffix match rate of a prefix';

export function builder(y: Argv) {
  return modelOptions(
    y
      .command(extractCompare as never)
      .option('model', { type: 'string', describe: 'Hugging Face model directory' })
      .option('data', { type: 'string', describe: 'JSONL of {"tokens"} / {"text"}, or a Megatron .bin/.idx prefix' })
      .option('prefix-len', { type: 'number', default: 32 })
      .option('suffix-len', { type: 'number', default: 32 })
      .option('offset', { type: 'number', default: 0, describe: 'first token of the prefix within each sequence' })
      .option('batch-size', { type: 'number', default: 32 })
      .option('indices', { type: 'string', describe: 'sequences to use: a file of indices, or a range like 0:1000 / 5,7,10-12' })
      .option('json', { type: 'boolean', default: false }),
  );
}

function positiveInt(v: number, name: string, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new ArgumentError(`--${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

export async function handler(
  argv: Partial<ModelArgs> & {
    data?: string;
    prefixLen: number;
    suffixLen: number;
    offset: number;
    batchSize: number;
    indices?: string;
    json: boolean;
  },
) {
  await runCommand(async () => {
    if (!argv.model) throw new ArgumentError('--model is required');
    if (!argv.data) throw new ArgumentError('--data is required');
    const prefixLen = positiveInt(argv.prefixLen, 'prefix-len', 1);
    const suffixLen = positiveInt(argv.suffixLen, 'suffix-len', 1);
    const offset = positiveInt(argv.offset, 'offset', 0);
    positiveInt(argv.batchSize, 'batch-size', 1);
    const indices = argv.indices !== undefined ? readIndices(argv.indices) : undefined;
    const tok = isMegatronPath(argv.data) ? null : await TextTokenizer.load(argv.model).catch(() => null);
    const seqs = await loadExtractionData(argv.data, offset + prefixLen + suffixLen, tok, indices);
    const model = await loadModel(argv as ModelArgs);
    try {
      const r = await runExtraction(model, seqs, {
        prefixLen,
        suffixLen,
        offset,
        batchSize: argv.batchSize,
        onProgress: progress('sequences', argv.json),
      });
      if (argv.json) printJson(r);
      else {
        process.stdout.write(
          `n=${r.n}  exact_match_rate=${fmt(r.exact_match_rate)} [${fmt(r.exact_match_ci[0])}, ${fmt(r.exact_match_ci[1])}]  mean_score=${fmt(r.mean_score)}\n`,
        );
      }
    } finally {
      model.dispose();
    }
  });
}
