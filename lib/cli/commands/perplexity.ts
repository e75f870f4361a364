/** `resurface perplexity --model DIR --data PATH [--json]` (+ --max-length, --stride, --batch-size) */
import type { Argv } from 'yargs';
import { computePerplexity, readDocuments } from '../../eval/perplexity';
import { TextTokenizer } from '../../tokenizer/tokenizer';
import { printJson, runCommand } from '../run-command';
import { fmt, loadModel, modelOptions, progress, type ModelArgs } from './eval-common';

export const command = 'perplexity';
export const describe = 'Per-token NLL, perplexity and bits per byte of a text, JSONL or corpus directory (strided windows)';

export function builder(y: Argv) {
  return modelOptions(
    y
      .option('model', { type: 'string', demandOption: true, describe: 'Hugging Face model directory' })
      .option('data', { type: 'string', demandOption: true, describe: '.txt file, JSONL of {"text"}, or a directory of them' })
      .option('max-length', { type: 'number', describe: 'window length in tokens (default: min(max_position_embeddings, 2048))' })
      .option('stride', { type: 'number', describe: 'new tokens scored per window (default: max-length / 2)' })
      .option('batch-size', { type: 'number', default: 8, describe: 'windows per forward pass' })
      .option('json', { type: 'boolean', default: false }),
  );
}

export async function handler(argv: ModelArgs & { data: string; maxLength?: number; stride?: number; batchSize: number; json: boolean }) {
  await runCommand(async () => {
    const docs = readDocuments(argv.data);
    const tok = await TextTokenizer.load(argv.model);
    const model = await loadModel(argv);
    try {
      const r = await computePerplexity(model, tok, docs, {
        maxLength: argv.maxLength,
        stride: argv.stride,
        batchSize: argv.batchSize,
        onProgress: progress('documents', argv.json),
      });
      if (argv.json) printJson(r);
      else {
        process.stdout.write(
          `documents=${r.documents} tokens=${r.tokens} bytes=${r.bytes}  nll/token=${fmt(r.nll_per_token)}  perplexity=${fmt(r.perplexity, 3)}  bits/byte=${fmt(r.bits_per_byte)}\n`,
        );
      }
    } finally {
      model.dispose();
    }
  });
}
