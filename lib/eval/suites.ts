/**
 * The paper's benchmark suites as its reference pipeline runs them (VITA-Group/latent-capability-resurfacing
 * evaluate.sh: `lm_eval --tasks T --num_fewshot K --seed 42 --gen_kwargs ...`): a table of
 * (task → task file expected in --tasks-dir, few-shot file, num_fewshot, headline metric, generation settings).
 * `--seed 42` is one integer, which lm_eval spreads over all four seeds, so the few-shot sampler's seed is 42.
 *
 *   paper-a (zero-shot): arc_challenge acc_norm, mmlu acc, truthfulqa_mc2 acc, hellaswag acc_norm,
 *            gsm8k exact_match,strict-match, minerva_math exact_match, humaneval pass@1
 *            (sampled: T 0.2, top-p 0.95, n 10, 512 new tokens)
 *   paper-b (few-shot): arc_challenge 25-shot, gsm8k 8-shot, hellaswag 5-shot, minerva_math 4-shot
 *
 * Files come from `resurface task import --format <task>` (few-shot splits: the train rows imported the
 * same way; minerva_math's from `resurface task fewshot-samples minerva_math`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ResurfaceError } from '../errors';

export interface SuiteTask {
  task: string;
  /** Task file name inside --tasks-dir. */
  file: string;
  numFewshot: number;
  /** Few-shot split file inside --tasks-dir (absent: zero-shot). */
  fewshotFile?: string;
  /** The harness results key the paper reports, e.g. "acc_norm,none". */
  metric: string;
  /**
   * Generation settings for generate tasks (lm_eval --gen_kwargs), overriding the records' (the generate
   * kind's GenerationOverrides: temperature 0 = greedy, repeats = n of pass@k).
   */
  generation?: { temperature?: number; topP?: number; repeats?: number; maxGenToks?: number };
}

export const PAPER_FEWSHOT_SEED = 42;

const GREEDY = { temperature: 0, topP: 1 }; // evaluate.sh: --gen_kwargs temperature=0,top_p=1.0

export const SUITES: Record<string, SuiteTask[]> = {
  'paper-a': [
    { task: 'arc_challenge', file: 'arc_challenge.jsonl', numFewshot: 0, metric: 'acc_norm,none' },
    { task: 'mmlu', file: 'mmlu.jsonl', numFewshot: 0, metric: 'acc,none' },
    { task: 'truthfulqa_mc2', file: 'truthfulqa_mc2.jsonl', numFewshot: 0, metric: 'acc,none' },
    { task: 'hellaswag', file: 'hellaswag.jsonl', numFewshot: 0, metric: 'acc_norm,none' },
    { task: 'gsm8k', file: 'gsm8k.jsonl', numFewshot: 0, metric: 'exact_match,strict-match', generation: GREEDY },
    { task: 'minerva_math', file: 'minerva_math.jsonl', numFewshot: 0, metric: 'exact_match,none', generation: GREEDY },
    {
      task: 'humaneval',
      file: 'humaneval.jsonl',
      numFewshot: 0,
      metric: 'pass@1,create_test',
      generation: { temperature: 0.2, topP: 0.95, repeats: 10, maxGenToks: 512 },
    },
  ],
  'paper-b': [
    {
      task: 'arc_challenge',
      file: 'arc_challenge.jsonl',
      numFewshot: 25,
      fewshotFile: 'arc_challenge_train.jsonl',
      metric: 'acc_norm,none',
    },
    {
      task: 'gsm8k',
      file: 'gsm8k.jsonl',
      numFewshot: 8,
      fewshotFile: 'gsm8k_train.jsonl',
      metric: 'exact_match,strict-match',
      generation: GREEDY,
    },
    { task: 'hellaswag', file: 'hellaswag.jsonl', numFewshot: 5, fewshotFile: 'hellaswag_train.jsonl', metric: 'acc_norm,none' },
    {
      task: 'minerva_math',
      file: 'minerva_math.jsonl',
      numFewshot: 4,
      fewshotFile: 'minerva_math_fewshot.jsonl',
      metric: 'exact_match,none',
      generation: GREEDY,
    },
  ],
};

export interface ResolvedSuiteTask extends SuiteTask {
  path: string;
  fewshotPath?: string;
}

/** The suite's tasks with their files resolved in `dir`; every missing file is named in one error. */
export function resolveSuite(name: string, dir: string, only?: readonly string[]): ResolvedSuiteTask[] {
  const suite = SUITES[name];
  if (!suite) throw new ResurfaceError('ERR_INVALID_ARGUMENT', `unknown suite "${name}"; known suites: ${Object.keys(SUITES).join(', ')}`);
  const unknown = (only ?? []).filter((t) => !suite.some((s) => s.task === t));
  if (unknown.length)
    throw new ResurfaceError(
      'ERR_INVALID_ARGUMENT',
      `suite ${name} has no task ${unknown.join(', ')}; its tasks: ${suite.map((s) => s.task).join(', ')}`,
    );
  const chosen = only && only.length ? suite.filter((s) => only.includes(s.task)) : suite;
  const resolved = chosen.map((s) => ({
    ...s,
    path: path.join(dir, s.file),
    ...(s.fewshotFile ? { fewshotPath: path.join(dir, s.fewshotFile) } : {}),
  }));
  const missing = resolved.flatMap((s) => [s.path, ...(s.fewshotPath ? [s.fewshotPath] : [])]).filter((p) => !fs.existsSync(p));
  if (missing.length) {
    throw new ResurfaceError(
      'ERR_IO',
      `suite ${name}: missing task files in ${dir}: ${missing.map((p) => path.basename(p)).join(', ')} (make them with \`resurface task import\`)`,
      {
        missing,
      },
    );
  }
  return resolved;
}
