/** `resurface eval --model DIR --task FILE.jsonl [--limit N] [--batch-size B] [--json] [--out FILE]` */
import type { Argv } from 'yargs';
import { evaluateTask } from '../../eval/evaluate';
import { readTaskFile } from '../../eval/task-file';
import { TextTokenizer } from '../../tokenizer/tokenizer';
import { printJson, runCommand } from '../run-command';
import { fmt, loadModel, modelOptions, progress, writeJsonFile, type ModelArgs } from './eval-common';

export const command = 'eval';
export const describe = 'Score a multiple-choice / loglikelihood task file (lm-evaluation-harness v0.4 semantics): acc, acc_norm, stderr';

export function builder(y: Argv) {
  return modelOptions(
    y
      .option('model', { type: 'string', demandOption: true, describe: 'Hugging Face model directory' })
      .option('task', { type: 'string', demandOption: true, describe: 'task file (JSONL: {"context","choices","gold"} per line)' })
      .option('limit', { type: 'number', describe: 'evaluate only the first N items' })
      .option('batch-size', { type: 'number', default: 16, describe: 'requests per forward pass' })
      .option('json', { type: 'boolean', default: false, describe: 'print the full result as JSON' })
      .option('out', { type: 'string', describe: 'also write the JSON result to this file' }),
  );
}

export async function handler(argv: ModelArgs & { task: string; limit?: number; batchSize: number; json: boolean; out?: string }) {
  await runCommand(async () => {
    const task = readTaskFile(argv.task, { limit: argv.limit });
    const tok = await TextTokenizer.load(argv.model);
    const model = await loadModel(argv);
    try {
      const report = await evaluateTask(model, tok, task, { batchSize: argv.batchSize, onProgress: progress('items', argv.json) });
      if (argv.out) await writeJsonFile(argv.out, report);
      if (argv.json) {
        printJson(report);
      } else if ('acc_norm' in report) {
        process.stdout.write(
          `${report.task}  n=${report.n}  acc=${fmt(report.acc)} ± ${fmt(report.acc_stderr)}  acc_norm=${fmt(report.acc_norm)} ± ${fmt(report.acc_norm_stderr)}\n`,
        );
      } else {
        process.stdout.write(`${report.task}  n=${report.n}  acc=${fmt(report.acc)} ± ${fmt(report.acc_stderr)}  perplexity=${fmt(report.perplexity)}\n`);
      }
    } finally {
      model.dispose();
    }
  });
}
