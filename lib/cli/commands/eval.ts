/**
 * `resurface eval --model DIR --task FILE.jsonl [--num-fewshot K [--fewshot-task FILE]] [--limit N]
 *  [--batch-size B] [--log-samples FILE] [--output-path results.json] [--json] [--out FILE]`
 * `resurface eval --model DIR --suite paper-a|paper-b --tasks-dir DIR [--suite-tasks a,b] ...`
 * `resurface eval --model RUN_DIR --all-checkpoints --task FILE [--task FILE ...] [--out DIR]`: the base model
 *   and every checkpoint of a training run, written as curve.json / curve.md / curve.svg (default RUN_DIR/eval-curve).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv } from 'yargs';
import { ResurfaceError } from '../../errors';
import { writeFileAtomic } from '../../io/atomic';
import { evaluateTaskWithPrompts, type EvaluateOptions, type TaskReport } from '../../eval/evaluate';
import { DEFAULT_FEWSHOT_SEED } from '../../eval/fewshot';
import { harnessResults, harnessSamples, type ResultEntry } from '../../eval/harness-output';
import { harnessGenerateSamples } from '../../eval/harness-output-generate';
import { PAPER_FEWSHOT_SEED, resolveSuite, SUITES, type SuiteTask } from '../../eval/suites';
import { curveMarkdown, evaluateCurve, writeCurve } from '../../eval/checkpoint-curve';
import { readTaskFile } from '../../eval/task-file';
import { TextTokenizer } from '../../tokenizer/tokenizer';
import { Model } from '../../model/model';
import type { DeviceName } from '../../native/types';
import { printJson, runCommand } from '../run-command';
import { fmt, loadModel, modelOptions, progress, writeJsonFile, type ModelArgs } from './eval-common';

export const command = 'eval';
export const describe =
  'Score task files or a paper suite (lm-evaluation-harness v0.4 semantics): multiple choice / loglikelihood (acc, acc_norm, mc2) or generate (exact_match per filter, pass@k), with stderr';

export function builder(y: Argv) {
  return modelOptions(
    y
      .option('model', { type: 'string', demandOption: true, describe: 'Hugging Face model directory' })
      .option('task', {
        type: 'string',
        describe: 'task file (JSONL: {"context","choices","gold"} per line); repeatable with --all-checkpoints',
      })
      .option('all-checkpoints', {
        type: 'boolean',
        default: false,
        describe: '--model is a train --out: evaluate its base model and every checkpoint, write the curve',
      })
      .option('suite', { type: 'string', describe: `run a suite of task files from --tasks-dir: ${Object.keys(SUITES).join(', ')}` })
      .option('tasks-dir', { type: 'string', describe: "directory holding the suite's task files (arc_challenge.jsonl, mmlu.jsonl, ...)" })
      .option('suite-tasks', { type: 'string', describe: "comma-separated subset of the suite's tasks" })
      .option('num-fewshot', { type: 'number', default: 0, describe: 'few-shot examples per prompt (harness --num_fewshot)' })
      .option('fewshot-task', { type: 'string', describe: 'few-shot split (task file of training rows); default: the task file itself' })
      .option('fewshot-seed', {
        type: 'number',
        describe: `few-shot sampler seed (harness fewshot_random_seed; default ${DEFAULT_FEWSHOT_SEED}, suites ${PAPER_FEWSHOT_SEED})`,
      })
      .option('limit', { type: 'number', describe: 'evaluate only the first N items' })
      .option('batch-size', { type: 'number', default: 16, describe: 'requests per forward pass' })
      .option('log-samples', {
        type: 'string',
        describe: "write per-document samples in the harness's samples format (a JSONL file; a directory with --suite)",
      })
      .option('output-path', { type: 'string', describe: "write results in the harness's results.json shape" })
      .option('json', { type: 'boolean', default: false, describe: 'print the full result as JSON' })
      .option('out', { type: 'string', describe: 'also write the JSON result to this file' })
      // generate tasks (lib/eval/generate-spec.ts): these override every record's settings
      .option('seed', { type: 'number', default: 0, describe: 'generate tasks: counter-RNG seed of sampled completions' })
      .option('temperature', { type: 'number', describe: 'generate tasks: sampling temperature (0 = greedy)' })
      .option('top-p', { type: 'number', describe: 'generate tasks: nucleus top-p' })
      .option('repeats', { type: 'number', describe: 'generate tasks: completions per item (pass@k n)' })
      .option('max-gen-toks', { type: 'number', describe: 'generate tasks: token budget per completion' })
      .option('allow-code-execution', {
        type: 'boolean',
        default: false,
        describe: 'pass@k tasks: run the model-written programs, contained (see README)',
      })
      .option('code-timeout', { type: 'number', default: 3, describe: 'pass@k tasks: wall-clock seconds per program' })
      .option('math-equivalence', {
        type: 'boolean',
        default: true,
        describe: "minerva_math: also report is_equiv,none (the harness's sympy check) where a Python with sympy runs",
      })
      .option('math-python', {
        type: 'string',
        describe: 'minerva_math: the Python for is_equiv (default: $RESURFACE_MATH_PYTHON, .cache/math-venv, python3)',
      }),
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
  mathEquivalence: boolean;
  mathPython?: string;
}

interface EvalArgs extends ModelArgs, GenerateArgs {
  task?: string | string[];
  allCheckpoints?: boolean;
  suite?: string;
  tasksDir?: string;
  suiteTasks?: string;
  numFewshot: number;
  fewshotTask?: string;
  fewshotSeed?: number;
  limit?: number;
  batchSize: number;
  logSamples?: string;
  outputPath?: string;
  json: boolean;
  out?: string;
}

interface Job {
  name: string;
  path: string;
  numFewshot: number;
  fewshotPath?: string;
  seed: number;
  /** Suite generation settings (generate tasks). */
  generation?: SuiteTask['generation'];
}

function plan(argv: EvalArgs): Job[] {
  if ((argv.task === undefined) === (argv.suite === undefined)) {
    throw new ResurfaceError('ERR_INVALID_ARGUMENT', 'name either --task FILE or --suite NAME (with --tasks-dir DIR)');
  }
  if (argv.suite !== undefined) {
    if (!argv.tasksDir)
      throw new ResurfaceError(
        'ERR_INVALID_ARGUMENT',
        `--suite ${argv.suite} needs --tasks-dir DIR (the directory of imported task files)`,
      );
    const only = argv.suiteTasks
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    return resolveSuite(argv.suite, argv.tasksDir, only).map((t) => ({
      name: t.task,
      path: t.path,
      numFewshot: t.numFewshot,
      ...(t.fewshotPath ? { fewshotPath: t.fewshotPath } : {}),
      ...(t.generation ? { generation: t.generation } : {}),
      seed: argv.fewshotSeed ?? PAPER_FEWSHOT_SEED,
    }));
  }
  if (argv.fewshotTask !== undefined && !(argv.numFewshot > 0)) {
    throw new ResurfaceError('ERR_FEWSHOT', '--fewshot-task needs --num-fewshot K > 0');
  }
  return [
    {
      name: path.basename(argv.task as string).replace(/\.jsonl?$/i, ''),
      path: argv.task as string,
      numFewshot: argv.numFewshot,
      ...(argv.fewshotTask ? { fewshotPath: argv.fewshotTask } : {}),
      seed: argv.fewshotSeed ?? DEFAULT_FEWSHOT_SEED,
    },
  ];
}

/** The few-shot split is the evaluated one when no file is named or both name the same file. */
function sameFile(a: string, b: string): boolean {
  try {
    return fs.realpathSync(a) === fs.realpathSync(b);
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
}

async function runJob(model: Model, tok: TextTokenizer, job: Job, argv: EvalArgs) {
  const whole = readTaskFile(job.path);
  const task = { ...whole, name: job.name, items: argv.limit !== undefined ? whole.items.slice(0, argv.limit) : whole.items };
  const total = whole.items.length;
  // few-shot examples come from the whole split even when --limit evaluates only its first N documents
  const same = !job.fewshotPath || sameFile(job.fewshotPath, job.path);
  const pool = same ? whole.items : readTaskFile(job.fewshotPath!).items;
  // `overrides`: the generate kind's generation settings (read by its evaluator; ignored by log-likelihood tasks)
  const options: EvaluateOptions & { overrides?: SuiteTask['generation'] } = {
    batchSize: argv.batchSize,
    onProgress: progress(`${job.name} items`, argv.json),
    fewshot: { numFewshot: job.numFewshot, seed: job.seed, name: job.path, pool, sameSplit: same },
    seed: argv.seed,
    // suite generation settings, then what the command line sets (it wins)
    overrides: {
      ...job.generation,
      ...definedOnly({ temperature: argv.temperature, topP: argv.topP, repeats: argv.repeats, maxGenToks: argv.maxGenToks }),
    },
    allowCodeExecution: argv.allowCodeExecution,
    sandbox: { timeoutMs: argv.codeTimeout * 1000 },
    mathEquivalence: argv.mathEquivalence ? (argv.mathPython ? { python: argv.mathPython } : true) : false,
  };
  const { report, prompted } = await evaluateTaskWithPrompts(model, tok, task, options);
  return { task, total, report, prompted };
}

const definedOnly = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

function summary(report: TaskReport): string {
  if ('results' in report) {
    const scores = Object.keys(report.results).map((k) => `${k}=${fmt(report.results[k]!)} ± ${fmt(report.stderr[k] ?? null)}`);
    const eq = report.mathEquivalence;
    const eqNote = !eq
      ? ''
      : 'unavailable' in eq
        ? `  is_equiv: not computed (${eq.unavailable})\n`
        : `  is_equiv: sympy ${eq.sympy}, ${eq.backend} parser${eq.backend === 'antlr' ? '' : ' (the harness uses antlr: may differ on some answers)'}\n`;
    return (
      `${report.task}  n=${report.n}  ${scores.join('  ')}\n` +
      (report.sandbox ?? []).map((note) => `  sandbox: ${note}\n`).join('') +
      eqNote
    );
  }
  if ('perplexity' in report)
    return `${report.task}  n=${report.n}  acc=${fmt(report.acc)} ± ${fmt(report.acc_stderr)}  perplexity=${fmt(report.perplexity)}\n`;
  let line = `${report.task}  n=${report.n}  acc=${fmt(report.acc)} ± ${fmt(report.acc_stderr)}`;
  if (report.acc_norm !== null) line += `  acc_norm=${fmt(report.acc_norm)} ± ${fmt(report.acc_norm_stderr)}`;
  if (report.metric === 'mc2') line += '  (mc2)';
  line += '\n';
  for (const [g, s] of Object.entries(report.groups ?? {}))
    line += `  ${g}  n=${s.n}  acc=${fmt(s.values['acc'] ?? null)} ± ${fmt(s.values['acc_stderr'] ?? null)}\n`;
  return line;
}

/** `--all-checkpoints`: the learning curve of a training run (base model, every checkpoint, final model). */
async function curve(argv: EvalArgs) {
  if (argv.task === undefined) throw new ResurfaceError('ERR_INVALID_ARGUMENT', '--all-checkpoints needs --task FILE (repeatable)');
  const tasks = [argv.task].flat().map((t) => readTaskFile(t, { limit: argv.limit }));
  const rows = await evaluateCurve(
    argv.model,
    tasks,
    (dir) => Model.load(dir, { dtype: argv.dtype, device: argv.device as DeviceName, threads: argv.threads }),
    {
      batchSize: argv.batchSize,
      onModel: (p, i, n) => {
        if (!argv.json) process.stderr.write(`[${i + 1}/${n}] ${p.label} (${p.dir})\n`);
      },
    },
  );
  const files = await writeCurve(argv.out ?? path.join(argv.model, 'eval-curve'), argv.model, rows);
  if (argv.json) return printJson({ rows, files });
  process.stdout.write(`${curveMarkdown(rows)}wrote ${files.json}, ${files.markdown}, ${files.svg}\n`);
}

export async function handler(argv: EvalArgs) {
  await runCommand(async () => {
    if (argv.allCheckpoints) return curve(argv);
    if (Array.isArray(argv.task)) throw new ResurfaceError('ERR_INVALID_ARGUMENT', 'give one --task (several only with --all-checkpoints)');
    const jobs = plan(argv);
    const tok = await TextTokenizer.load(argv.model);
    const model = await loadModel(argv);
    const entries: ResultEntry[] = [];
    const reports: TaskReport[] = [];
    try {
      for (const job of jobs) {
        const { task, total, report, prompted } = await runJob(model, tok, job, argv);
        reports.push(report);
        entries.push({
          name: job.name,
          report,
          numFewshot: job.numFewshot,
          original: total,
          ...(task.items[0]?.fewshotSampler ? { fewshotSampler: task.items[0].fewshotSampler } : {}),
        });
        if (argv.logSamples) {
          const file = argv.suite ? path.join(argv.logSamples, `samples_${job.name}.jsonl`) : argv.logSamples;
          if (argv.suite) fs.mkdirSync(argv.logSamples, { recursive: true });
          const lines =
            'results' in report ? harnessGenerateSamples(report, task.items) : harnessSamples(job.name, task.items, prompted, report);
          await writeFileAtomic(file, lines.join('\n') + '\n');
        }
        if (!argv.json) process.stdout.write(summary(report));
      }
      if (argv.outputPath) {
        const config = {
          model: 'resurface',
          model_args: `pretrained=${argv.model},dtype=${model.options.dtype}`,
          batch_size: argv.batchSize,
          device: argv.device,
          limit: argv.limit ?? null,
          fewshot_seed: jobs[0]!.seed,
        };
        await writeJsonFile(argv.outputPath, harnessResults(entries, config));
      }
      const result = jobs.length === 1 && !argv.suite ? reports[0]! : { suite: argv.suite, tasks: reports };
      if (argv.out) await writeJsonFile(argv.out, result);
      if (argv.json) printJson(result);
    } finally {
      model.dispose();
    }
  });
}
