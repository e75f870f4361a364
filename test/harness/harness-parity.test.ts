/**
 * Against the real lm-evaluation-harness, where scripts/harness-venv.sh has built its venv
 * (.cache/harness-venv, or $RESURFACE_HARNESS_VENV): the harness's own task YAMLs over local rows and a
 * tiny HF-layout model. Same request strings (few-shot contexts included), same log-likelihoods (float32
 * tolerance), same per-document acc / acc_norm / mc2 and aggregate.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateTaskWithPrompts } from '../../lib/eval/evaluate';
import type { MultipleChoiceReport } from '../../lib/eval/metrics';
import { importRows } from '../../lib/eval/importers';
import { harnessSamples } from '../../lib/eval/harness-output';
import { harnessGenerateSamples } from '../../lib/eval/harness-output-generate';
import { parseTaskRecord, type TaskFile, type TaskItem } from '../../lib/eval/task-file';
import { Model } from '../../lib/model/model';
import { TextTokenizer } from '../../lib/tokenizer/tokenizer';
import { arcRows, hellaswagRows, mmluRows, truthfulqaRows } from '../helpers/harness-rows';
import { makeTmpDir, REPO_ROOT, removeTmpDir } from '../helpers/shared';
import { makeTinyModel } from '../helpers/tiny-models';

const VENV = process.env.RESURFACE_HARNESS_VENV || path.join(REPO_ROOT, '.cache', 'harness-venv');
const PY = path.join(VENV, 'bin', 'python');
const skip = fs.existsSync(PY) ? null : `no harness venv at ${VENV} (build it with scripts/harness-venv.sh)`;
const DRIVER = path.join(__dirname, 'harness_driver.py');

const dir = makeTmpDir();
let modelDir: string;
let model: Model;
let tok: TextTokenizer;

interface HarnessOut {
  samples: Array<{
    doc_id: number;
    arguments: string[][];
    lls: number[];
    is_greedy: boolean[];
    metrics: Record<string, number>;
    metric_names: string[];
    target: string;
    filter: string;
    doc_hash: string;
    prompt_hash: string;
    target_hash: string;
  }>;
  results: Record<string, number>;
}
function harness(req: Record<string, unknown>): Promise<HarnessOut> {
  return new Promise((resolve, reject) => {
    const p = execFile(
      PY,
      [DRIVER],
      { timeout: 600_000, maxBuffer: 64 << 20, env: { ...process.env, HF_HOME: path.join(dir, 'hf') } },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr.slice(-3000)}`)) : resolve(JSON.parse(stdout) as HarnessOut),
    );
    p.stdin!.end(JSON.stringify({ ...req, model: modelDir }));
  });
}
const writeRows = (name: string, rows: unknown[]) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return f;
};
const toTask = (name: string, format: string, rows: unknown[]): TaskFile => {
  const items: TaskItem[] = importRows(format, rows.map((r) => JSON.stringify(r)).join('\n'), name).map((r, i) =>
    parseTaskRecord(r, i, i + 1, name),
  );
  return { name, kind: items[0]!.kind, items };
};

async function compare(name: string, format: string, rows: unknown[], fewshotRows: unknown[] | null, k: number, ref: HarnessOut) {
  const task = toTask(name, format, rows);
  const pool = fewshotRows ? toTask(`${name}-fs`, format, fewshotRows).items : undefined;
  const { report: evaluated, prompted } = await evaluateTaskWithPrompts(model, tok, task, {
    fewshot: { numFewshot: k, ...(pool ? { pool } : {}) },
  });
  if ('perplexity' in evaluated || !('acc' in evaluated) || !('loglikelihoods' in (evaluated.items[0] ?? {})))
    throw new Error(`${name}: expected a multiple-choice report`);
  const report = evaluated as MultipleChoiceReport;
  const ours = harnessSamples(name, task.items, prompted, report).map(
    (l) => JSON.parse(l) as { arguments: Record<string, { arg_0: string; arg_1: string }> } & Record<string, never>,
  );
  expect(ours.map((s) => Object.values(s.arguments).map((a) => [a.arg_0, a.arg_1]))).toEqual(ref.samples.map((s) => s.arguments));
  // the samples file's own fields: same doc (doc_hash), prompt, target, filter, metric names
  const fields = (s: Record<string, unknown>) => [
    s['doc_id'],
    s['target'],
    s['filter'],
    s['metrics'] ?? s['metric_names'],
    s['doc_hash'],
    s['prompt_hash'],
    s['target_hash'],
  ];
  expect(ours.map((s) => fields(s))).toEqual(ref.samples.map((s) => fields({ ...s, metrics: s.metric_names })));
  report.items.forEach((it, i) => {
    it.loglikelihoods.forEach((ll, j) => expect(Math.abs(ll - ref.samples[i]!.lls[j]!)).toBeLessThan(2e-4));
    for (const [m, v] of Object.entries(ref.samples[i]!.metrics))
      expect(ours[i]![m]).toBeCloseTo(v, m === 'acc' && report.metric === 'mc2' ? 4 : 12);
  });
  expect(report.acc).toBeCloseTo(ref.results['acc,none']!, report.metric === 'mc2' ? 4 : 12);
}

describe.skipIf(skip !== null)(`the real lm-evaluation-harness${skip ? ` (skipped: ${skip})` : ''}`, () => {
  beforeAll(async () => {
    modelDir = await makeTinyModel('EleutherAI--pythia-70m', dir, 11);
    model = await Model.load(modelDir, { threads: 2 });
    tok = await TextTokenizer.load(modelDir);
  }, 300_000);
  afterAll(() => {
    model?.dispose();
    removeTmpDir(dir);
  });

  it('ARC-Challenge 3-shot from a train file', async () => {
    const test = arcRows(4, 1);
    const train = arcRows(12, 2);
    const ref = await harness({
      yaml: 'arc/arc_challenge.yaml',
      data_files: { test: writeRows('arc-test.jsonl', test), train: writeRows('arc-train.jsonl', train) },
      overrides: { validation_split: null },
      num_fewshot: 3,
    });
    await compare('arc_challenge', 'arc_challenge', test, train, 3, ref);
  }, 600_000);

  it('HellaSwag 2-shot (processed docs)', async () => {
    const val = hellaswagRows(3);
    const train = hellaswagRows(8).map((r, i) => ({ ...r, ind: 100 + i }));
    const ref = await harness({
      yaml: 'hellaswag/hellaswag.yaml',
      data_files: { validation: writeRows('hs-val.jsonl', val), train: writeRows('hs-train.jsonl', train) },
      num_fewshot: 2,
    });
    await compare('hellaswag', 'hellaswag', val, train, 2, ref);
  }, 600_000);

  it('MMLU (one subject) 2-shot from its dev rows, first_n', async () => {
    const test = mmluRows(['virology'], 3, 'test');
    const dev = mmluRows(['virology'], 4, 'dev');
    const ref = await harness({
      yaml: 'mmlu/default/mmlu_virology.yaml',
      data_files: { test: writeRows('mmlu-test.jsonl', test), dev: writeRows('mmlu-dev.jsonl', dev) },
      num_fewshot: 2,
    });
    await compare('mmlu_virology', 'mmlu', test, dev, 2, ref);
  }, 600_000);

  it('GSM8K 2-shot greedy generation: same contexts, completions, filtered answers (both filters) and exact_match', async () => {
    const q = (i: number) => ({
      question: `Tom has ${i + 2} apples and buys ${i + 3} more. How many apples does he have?`,
      answer: `He has ${i + 2} + ${i + 3} = ${2 * i + 5} apples.\n#### ${2 * i + 5}`,
    });
    const test = [0, 1, 2].map(q);
    const train = [10, 11, 12, 13, 14].map(q);
    // a short budget keeps the harness's HF generate quick; the records carry the same
    const ref = await harness({
      yaml: 'gsm8k/gsm8k.yaml',
      data_files: { test: writeRows('gsm-test.jsonl', test), train: writeRows('gsm-train.jsonl', train) },
      overrides: {
        generation_kwargs: { until: ['Question:', '</s>', '<|im_end|>'], do_sample: false, temperature: 0.0, max_gen_toks: 24 },
      },
      num_fewshot: 2,
    });
    const task = toTask('gsm8k', 'gsm8k', test);
    for (const it of task.items) it.generate!.maxGenToks = 24;
    const pool = toTask('gsm8k-fs', 'gsm8k', train).items;
    const { report } = await evaluateTaskWithPrompts(model, tok, task, {
      fewshot: { numFewshot: 2, pool, sameSplit: false, seed: 1234, name: 'gsm8k' },
      batchSize: 3,
    });
    if (!('results' in report)) throw new Error('expected a generate report');
    const ours = harnessGenerateSamples(report, task.items).map(
      (l) => JSON.parse(l) as Record<string, unknown> & { arguments: { gen_args_0: { arg_0: string } } },
    );
    const byKey = (xs: Array<Record<string, unknown>>) =>
      [...xs].sort((a, b) => String(a['filter']).localeCompare(String(b['filter'])) || Number(a['doc_id']) - Number(b['doc_id']));
    const mine = byKey(ours);
    expect(mine.map((s) => s['arguments'] as { gen_args_0: { arg_0: string } }).map((a) => a.gen_args_0.arg_0)).toEqual(
      ref.samples.map((s) => s.arguments[0]![0]),
    );
    expect(mine.map((s) => s['resps'])).toEqual(ref.samples.map((s) => (s as unknown as { resps: string[][] }).resps));
    expect(mine.map((s) => s['filtered_resps'])).toEqual(
      ref.samples.map((s) => (s as unknown as { filtered_resps: string[] }).filtered_resps),
    );
    const fields = (s: Record<string, unknown>) => [
      s['doc_id'],
      s['target'],
      s['filter'],
      s['metrics'] ?? s['metric_names'],
      s['doc_hash'],
      s['prompt_hash'],
      s['target_hash'],
      s['exact_match'],
    ];
    expect(mine.map(fields)).toEqual(
      ref.samples.map((s) => fields({ ...s, metrics: s.metric_names, exact_match: s.metrics['exact_match'] })),
    );
    for (const f of ['strict-match', 'flexible-extract'])
      expect(report.results[`exact_match,${f}`]).toBeCloseTo(ref.results[`exact_match,${f}`]!, 12);
  }, 900_000);

  it('TruthfulQA mc2 values', async () => {
    const rows = truthfulqaRows(3);
    const ref = await harness({
      yaml: 'truthfulqa/truthfulqa_mc2.yaml',
      data_files: { validation: writeRows('tqa.jsonl', rows) },
      num_fewshot: 0,
    });
    await compare('truthfulqa_mc2', 'truthfulqa_mc2', rows, null, 0, ref);
  }, 600_000);
});
