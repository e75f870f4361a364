/**
 * The harness-style evaluation end to end: import → eval with few-shot, MMLU groups, mc2, suites,
 * --log-samples and --output-path, compared with the stdlib reference of the harness's prompts.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTmpDir, removeTmpDir, REPO_ROOT } from '../helpers/shared';
import { cliIn } from '../helpers/cli';
import { makeTinyModel } from '../helpers/tiny-models';
import { arcRows, hellaswagRows, mmluRows, truthfulqaRows } from '../helpers/harness-rows';

const dir = makeTmpDir();
let modelDir: string;
const REF = path.join(REPO_ROOT, 'test', 'reference', 'harness_prompts.py');

const cli = (args: string[]) => cliIn(dir, args, 180_000);
const write = (name: string, rows: unknown[]) =>
  fs.writeFileSync(path.join(dir, name), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
const readJsonl = (name: string) =>
  fs
    .readFileSync(path.join(dir, name), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
const reference = (req: unknown) =>
  (
    JSON.parse(execFileSync('/usr/bin/python3', [REF], { input: JSON.stringify(req), encoding: 'utf8' })) as {
      docs: Array<{ requests: string[][]; mc2?: number }>;
    }
  ).docs;

beforeAll(async () => {
  modelDir = await makeTinyModel('EleutherAI--pythia-70m', dir, 5);
}, 300_000);
afterAll(() => removeTmpDir(dir));

describe("eval with the harness's prompts, few-shot and output formats", () => {
  it('MMLU 2-shot from a dev file: samples carry the reference contexts, results.json the groups', async () => {
    const test = mmluRows(['virology', 'abstract_algebra'], 2, 'test');
    const dev = mmluRows(['abstract_algebra', 'virology'], 3, 'dev');
    write('mmlu-rows.jsonl', test);
    write('mmlu-dev-rows.jsonl', dev);
    expect((await cli(['task', 'import', '--format', 'mmlu', 'mmlu-rows.jsonl', 'mmlu.jsonl'])).code).toBe(0);
    expect((await cli(['task', 'import', '--format', 'mmlu', 'mmlu-dev-rows.jsonl', 'mmlu_dev.jsonl'])).code).toBe(0);
    const r = await cli([
      'eval',
      '--model',
      modelDir,
      '--task',
      'mmlu.jsonl',
      '--num-fewshot',
      '2',
      '--fewshot-task',
      'mmlu_dev.jsonl',
      '--log-samples',
      's.jsonl',
      '--output-path',
      'results.json',
      '--json',
      '--threads',
      '2',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    const samples = readJsonl('s.jsonl');
    const ref = reference({ task: 'mmlu', rows: test, fewshot_rows: dev, num_fewshot: 2 });
    expect(
      samples.map((s) => Object.values(s.arguments).map((a) => [(a as { arg_0: string }).arg_0, (a as { arg_1: string }).arg_1])),
    ).toEqual(ref.map((d) => d.requests));
    expect(samples.map((s) => s.acc)).toEqual(report.items.map((it: { pred: number; gold: number }) => (it.pred === it.gold ? 1 : 0)));
    expect(samples[0].resps[0][0][0]).toBe(String(report.items[0].loglikelihoods[0]).replace(/^(-?\d+)$/, '$1.0'));
    const res = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
    expect(res.results.mmlu['acc,none']).toBeCloseTo(report.acc, 12);
    expect(Object.keys(res.groups).sort()).toEqual(['mmlu', 'mmlu_other', 'mmlu_stem']);
    expect(res['n-shot']['mmlu_virology']).toBe(2);
  });

  it('TruthfulQA mc2: acc is the reference process_results_mc2 of our log-likelihoods', async () => {
    const rows = truthfulqaRows(3);
    write('tqa-rows.jsonl', rows);
    await cli(['task', 'import', '--format', 'truthfulqa_mc2', 'tqa-rows.jsonl', 'truthfulqa_mc2.jsonl']);
    const r = await cli(['eval', '--model', modelDir, '--task', 'truthfulqa_mc2.jsonl', '--json', '--threads', '2']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.metric).toBe('mc2');
    expect(report.acc_norm).toBeNull();
    const ref = reference({
      task: 'truthfulqa_mc2',
      rows,
      fewshot_rows: null,
      num_fewshot: 0,
      lls: report.items.map((it: { loglikelihoods: number[] }) => it.loglikelihoods),
    });
    const mean = ref.reduce((a, d) => a + d.mc2!, 0) / ref.length;
    expect(report.acc).toBeCloseTo(mean, 12);
  });

  it('--suite paper-b runs the chosen tasks with their shots and seed 42; missing files are named', async () => {
    const suiteDir = path.join(dir, 'tasks');
    fs.mkdirSync(suiteDir);
    const imp = async (format: string, rows: unknown[], out: string) => {
      write(`${out}.rows.jsonl`, rows);
      expect((await cli(['task', 'import', '--format', format, `${out}.rows.jsonl`, path.join('tasks', out)])).code).toBe(0);
    };
    await imp('arc_challenge', arcRows(2, 1), 'arc_challenge.jsonl');
    await imp('arc_challenge', arcRows(26, 2), 'arc_challenge_train.jsonl');
    await imp('hellaswag', hellaswagRows(2), 'hellaswag.jsonl');
    await imp('hellaswag', hellaswagRows(6), 'hellaswag_train.jsonl');
    const r = await cli([
      'eval',
      '--model',
      modelDir,
      '--suite',
      'paper-b',
      '--tasks-dir',
      'tasks',
      '--suite-tasks',
      'arc_challenge,hellaswag',
      '--log-samples',
      'samples',
      '--output-path',
      'suite.json',
      '--threads',
      '2',
      '--batch-size',
      '4',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^arc_challenge {2}n=2 .*\nhellaswag {2}n=2 /);
    const arc = readJsonl('samples/samples_arc_challenge.jsonl');
    const ref = reference({ task: 'arc_challenge', rows: arcRows(2, 1), fewshot_rows: arcRows(26, 2), num_fewshot: 25, seed: 42 });
    expect(arc.map((s) => Object.values(s.arguments).map((a) => [(a as { arg_0: string }).arg_0, (a as { arg_1: string }).arg_1]))).toEqual(
      ref.map((d) => d.requests),
    );
    const res = JSON.parse(fs.readFileSync(path.join(dir, 'suite.json'), 'utf8'));
    expect(res['n-shot']).toEqual({ arc_challenge: 25, hellaswag: 5 });
    expect(res.results.hellaswag).toHaveProperty(['acc_norm,none']);

    const missing = await cli(['eval', '--model', modelDir, '--suite', 'paper-a', '--tasks-dir', 'tasks']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^error ERR_IO: suite paper-a: missing task files in tasks: mmlu\.jsonl, truthfulqa_mc2\.jsonl, gsm8k\.jsonl, minerva_math\.jsonl, humaneval\.jsonl/,
    );
    const tooMany = await cli(['eval', '--model', modelDir, '--task', 'tasks/hellaswag.jsonl', '--num-fewshot', '2']);
    expect(tooMany.stderr).toMatch(/^error ERR_FEWSHOT: .*2-shot needs 2 few-shot examples but the few-shot split offers 1/);
  });
});
