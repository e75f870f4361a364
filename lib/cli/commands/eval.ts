/** `resurface eval --model DIR --task FILE.jsonl [--limit N] [--batch-size B] [--json] [--out FILE]` */
import type { Argv } from 'yargs';
import { evaluateTask } from '../../eval/evaluate';
import { readTaskFile } from '../../eval/task-file';
import { TextTokenizer } from '../../tokenizer/tokenizer';
import { printJson, runCommand } from '../run-command';
import { fmt, loadModel, modelOptions, progress, writeJsonFile, type ModelArgs } from './eval-common';

export const command = 'eval';
export const describe = 'Score a task file (lm-evaluation-harness v0.4 semantics): multiple choice / loglikelihood (acc, acc_norm) or generate (exact_match per filter, pass@k), with stderr';

export function builder(y: Argv) {
  return modelOptions(
    y
      .option('model', { type: 'string', demandOption: true, describe: 'Hugging Face model directory' })
      .option('task', { type: 'string', demandOption: true, describe: 'task file (JSONL: {"context","choices","gold"} per line)' })
      .option('limit', { type: 'number', describe: 'evaluate only the first N items' })
      .option('batch-size', { type: 'number', default: 16, describe: 'requests per forward pass' })
      .option('json', { type: 'boolean', default: false, describe: 'print the full result as JSON' })
      .option('out', { type: 'string', describe: 'also write the JSON result to this file' })
      // generate tasks (lib/eval/generate-spec.ts): these override every record's settings
      .option('seed', { type: 'number', default: 0, describe: 'generate tasks: counter-RNG seed of sampled completions' })
      .option('temperature', { type: 'number', describe: 'generate tasks: sampling temperature (0 = greedy)' })
      .option('top-p', { type: 'number', describe: 'generate tasks: nucleus top-p' })
      .option('repeats', { type: 'number', describe: 'generate tasks: completions per item (pass@k n)' })
      .option('max-gen-toks', { type: 'number', describe: 'generate tasks: token budget per completion' })
      .option('allow-code-execution', { type: 'boolean', default: false, describe: 'pass@k tasks: run the model-written programs, contained (see README)' })
      .option('code-timeout', { type: 'number', default: 3, describe: 'pass@k tasks: wall-clock seconds per program' }),
  );
}

interface GenerateArgs {
  seed: number;
  temperature?: number;
  topP?: number;
  repeats?: number;
  maxGenToks?: number;
  allowCodeExecution: boolean;
  codeTimeout: number;
}

export async function handler(argv: ModelArgs & GenerateArgs & { task: string; limit?: number; batchSize: number; json: boolean; out?: string }) {
  await runCommand(async () => {
    const task = readTaskFile(argv.task, { limit: argv.limit });
    const tok = await TextTokenizer.load(argv.model);
    const model = await loadModel(argv);
    try {
      const report = await evaluateTask(model, tok, task, {
        batchSize: argv.batchSize,
        onProgress: progress('items', argv.json),
        seed: argv.seed,
        overrides: { temperature: argv.temperature, topP: argv.topP, repeats: argv.repeats, maxGenToks: argv.maxGenToks },
        allowCodeExecution: argv.allowCodeExecution,
        sandbox: { timeoutMs: argv.codeTimeout * 1000 },
      });
      if (argv.out) await writeJsonFile(argv.out, report);
      if (argv.json) {
        printJson(report);
      } else if ('metric' in report) {
        const scores = Object.keys(report.results).map((k) => `${k}=${fmt(report.results[k]!)} ± ${fmt(report.stderr[k] ?? null)}`);
        process.stdout.write(`${report.task}  n=${report.n}  ${scores.join('  ')}\n`);
        for (const note of report.sandbox ?? []) process.stdout.write(`  sandbox: ${note}\n`);
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
