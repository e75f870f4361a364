/** `resurface task import --format FORMAT IN OUT`: benchmark rows (JSONL) → task file. */
import type { Argv } from 'yargs';
import { FEWSHOT_SAMPLE_SETS, importTaskFile, TASK_FORMATS, writeFewshotSamples } from '../../eval/importers';
import { printJson, runCommand } from '../run-command';

export const command = 'task <action>';
export const describe =
  'Task files: import benchmark rows (ARC, PIQA, SciQ, HellaSwag, WinoGrande, LAMBADA, MMLU, TruthfulQA, GSM8K, MATH, HumanEval)';

export function builder(y: Argv) {
  return y
    .command(
      'import <in> <out>',
      'convert Hugging Face / lm-evaluation-harness rows (JSONL or Parquet) into a resurface task file',
      (c: Argv) =>
        c
          .positional('in', { type: 'string', demandOption: true, describe: 'input rows (JSONL or .parquet)' })
          .positional('out', { type: 'string', demandOption: true, describe: 'task file to write' })
          .option('format', { type: 'string', demandOption: true, describe: `one of ${TASK_FORMATS.join(', ')}` })
          .option('json', { type: 'boolean', default: false }),
      async (args) => {
        const argv = args as unknown as { in: string; out: string; format: string; json: boolean };
        await runCommand(async () => {
          const r = await importTaskFile(argv.format, argv.in, argv.out);
          if (argv.json) printJson({ format: argv.format, n: r.n, out: argv.out });
          else process.stdout.write(`wrote ${r.n} ${argv.format} items to ${argv.out}\n`);
        });
      },
    )
    .command(
      'fewshot-samples <format> <out>',
      "write the few-shot examples the harness fixes in code for a task (minerva_math's four) as a task file for --fewshot-task",
      (c: Argv) =>
        c
          .positional('format', { type: 'string', demandOption: true, describe: Object.keys(FEWSHOT_SAMPLE_SETS).join(', ') })
          .positional('out', { type: 'string', demandOption: true, describe: 'task file to write' })
          .option('json', { type: 'boolean', default: false }),
      async (args) => {
        const argv = args as unknown as { format: string; out: string; json: boolean };
        await runCommand(async () => {
          const r = await writeFewshotSamples(argv.format, argv.out);
          if (argv.json) printJson({ format: argv.format, n: r.n, out: argv.out });
          else process.stdout.write(`wrote ${r.n} ${argv.format} few-shot examples to ${argv.out}\n`);
        });
      },
    )
    .demandCommand(1, 'name a task action (import, fewshot-samples)');
}

export function handler() {}
