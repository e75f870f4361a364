/**
 * `resurface eval --model DIR --task FILE.jsonl [--limit N] [--batch-size B] [--json] [--out FILE]`
 * `resurface eval --model RUN_DIR --all-checkpoints --task FILE [--task FILE ...] [--out DIR]`: the base model
 *   and every checkpoint of a training run, written as curve.json / curve.md / curve.svg (default RUN_DIR/eval-curve).
 */
import type { Argv } from 'yargs';
import * as path from 'node:path';
import { curveMarkdown, evaluateCurve, writeCurve } from '../../eval/checkpoint-curve';
import { evaluateTask } from '../../eval/evaluate';
import { Model } from '../../model/model';
import type { DeviceName } from '../../native/types';
import { readTaskFile } from '../../eval/task-file';
import { TextTokenizer } from '../../tokenizer/tokenizer';
import { ArgumentError } from '../../errors';
import { printJson, runCommand } from '../run-command';
import { fmt, loadModel, modelOptions, progress, writeJsonFile, type ModelArgs } from './eval-common';

export const command = 'eval';
export const describe = 'Score a multiple-choice / loglikelihood task file (lm-evaluation-harness v0.4 semantics): acc, acc_norm, stderr';

export function builder(y: Argv) {
  return modelOptions(
    y
      .option('model', { type: 'string', demandOption: true, describe: 'Hugging Face model directory' })
      .option('task', { type: 'string', demandOption: true, describe: 'task file (JSONL: {"context","choices","gold"} per line); repeatable with --all-checkpoints' })
      .option('all-checkpoints', { type: 'boolean', default: false, describe: '--model is a train --out: evaluate its base model and every checkpoint, write the curve' })
      .option('limit', { type: 'number', describe: 'evaluate only the first N items' })
      .option('batch-size', { type: 'number', default: 16, describe: 'requests per forward pass' })
      .option('json', { type: 'boolean', default: false, describe: 'print the full result as JSON' })
      .option('out', { type: 'string', describe: 'also write the JSON result to this file (--all-checkpoints: the curve directory)' }),
  );
}

type EvalArgs = ModelArgs & { task: string | string[]; allCheckpoints: boolean; limit?: number; batchSize: number; json: boolean; out?: string };

async function curve(argv: EvalArgs) {
  const tasks = [argv.task].flat().map((t) => readTaskFile(t, { limit: argv.limit }));
  const rows = await evaluateCurve(argv.model, tasks, (dir) => Model.load(dir, { dtype: argv.dtype, device: argv.device as DeviceName, threads: argv.threads }), {
    batchSize: argv.batchSize,
    onModel: (p, i, n) => { if (!argv.json) process.stderr.write(`[${i + 1}/${n}] ${p.label} (${p.dir})\n`); },
  });
  const files = await writeCurve(argv.out ?? path.join(argv.model, 'eval-curve'), argv.model, rows);
  if (argv.json) return printJson({ rows, files });
  process.stdout.write(`${curveMarkdown(rows)}wrote ${files.json}, ${files.markdown}, ${files.svg}\n`);
}

export async function handler(argv: EvalArgs) {
  await runCommand(async () => {
    if (argv.allCheckpoints) return curve(argv);
    if (Array.isArray(argv.task)) throw new ArgumentError('give one --task (several only with --all-checkpoints)');
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
