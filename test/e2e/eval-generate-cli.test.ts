/**
 * `resurface eval` on generate task files, as a user runs it: a GSM8K-style file (both filters, with
 * per-item completions, filtered answers and scores), HumanEval-style pass@k refused without
 * --allow-code-execution and scored with it, and a bad record's coded error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyFilter } from '../../lib/eval/answer-extraction';
import { checkMathEquivalence } from '../../lib/eval/math-equivalence';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';
import { cliIn } from '../helpers/cli';
import { makeTinyModel } from '../helpers/tiny-models';

const dir = makeTmpDir();
let modelDir: string;

const cli = (args: string[]) => cliIn(dir, args, 120_000);

function writeTask(name: string, rows: unknown[]): string {
  fs.writeFileSync(path.join(dir, name), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return name;
}

beforeAll(async () => {
  modelDir = await makeTinyModel('EleutherAI--pythia-70m', dir, 5);
}, 120_000);
afterAll(() => removeTmpDir(dir));

const GSM = {
  until: ['Question:', '</s>', '<|im_end|>'],
  filter: ['strict-match', 'flexible-extract'],
  ignore_case: true,
  regexes_to_ignore: [',', '\\$', '(?s).*#### ', '\\.$'],
  max_gen_toks: 12,
};

describe('resurface eval: generate tasks', () => {
  it('scores a GSM8K-style file: exact_match per filter with stderr, per-item outputs', async () => {
    const task = writeTask('gsm.jsonl', [
      { context: 'Question: What is 2 + 3?\nAnswer:', target: '2 + 3 = 5\n#### 5', ...GSM },
      { context: 'Question: How many legs has a cat?\nAnswer:', target: 'four\n#### 4', ...GSM },
      { context: 'Question: 10 minus 7?\nAnswer:', target: '#### 3', ...GSM, group: 'arith' },
    ]);
    const r = await cli(['eval', '--model', modelDir, '--task', task, '--json', '--batch-size', '2', '--threads', '2']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.task).toBe('gsm');
    expect(j.n).toBe(3);
    expect(Object.keys(j.results).sort()).toEqual(['exact_match,flexible-extract', 'exact_match,strict-match']);
    expect(Object.keys(j.stderr).sort()).toEqual(Object.keys(j.results).sort());
    for (const it of j.items) {
      expect(it.completions).toHaveLength(1);
      expect(typeof it.completions[0]).toBe('string');
      expect(it.completions[0]).not.toContain('Question:');
      expect(it.filtered['strict-match']).toBe(applyFilter('strict-match', it.completions[0]));
      expect(it.filtered['flexible-extract']).toBe(applyFilter('flexible-extract', it.completions[0]));
      expect(['length', 'eos', 'stop']).toContain(it.finishReasons[0]);
    }
    expect(j.items[2].group).toBe('arith');
    // a random model does not write "#### 5"
    expect(j.results['exact_match,strict-match']).toBe(0);
    const text = await cli(['eval', '--model', modelDir, '--task', task, '--threads', '2']);
    expect(text.stdout).toMatch(/^gsm {2}n=3 {2}exact_match,strict-match=0\.0000 ± 0\.0000 {2}exact_match,flexible-extract=/);
    // the harness's own output formats: samples (filter-major) and results.json
    const h = await cli([
      'eval',
      '--model',
      modelDir,
      '--task',
      task,
      '--threads',
      '2',
      '--batch-size',
      '3',
      '--log-samples',
      'gsm-samples.jsonl',
      '--output-path',
      'gsm-results.json',
    ]);
    expect(h.code).toBe(0);
    expect(h.stderr).toBe('');
    const samples = fs
      .readFileSync(path.join(dir, 'gsm-samples.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(samples.map((x) => [x.filter, x.doc_id])).toEqual(
      ['strict-match', 'flexible-extract'].flatMap((f) => [0, 1, 2].map((i) => [f, i])),
    );
    samples.forEach((x, i) => {
      const item = j.items[i % 3];
      expect(x.resps).toEqual([item.completions]); // same greedy completions at another batch size
      expect(x.filtered_resps).toEqual([item.filtered[x.filter]]);
      expect(x.arguments.gen_args_0.arg_0).toBe(item.context);
      expect(x.exact_match).toBe(item.scores[`exact_match,${x.filter}`]);
    });
    const results = JSON.parse(fs.readFileSync(path.join(dir, 'gsm-results.json'), 'utf8'));
    expect(results.results.gsm).toMatchObject({
      'exact_match,strict-match': 0,
      'exact_match_stderr,strict-match': 0,
      'exact_match,flexible-extract': j.results['exact_match,flexible-extract'],
    });
    expect(results['n-samples'].gsm).toEqual({ original: 3, effective: 3 });
  }, 120_000);

  it('minerva_math: is_equiv,none beside exact_match where sympy runs (else the reason), off with --no-math-equivalence', async () => {
    const rec = (target: string) => ({
      context: 'Problem:\nWhat is 1/2?\n\nSolution:',
      target,
      until: ['Problem:'],
      metric: 'minerva_math',
      max_gen_toks: 6,
    });
    const task = writeTask('math.jsonl', [rec('\\frac{1}{2}'), rec('0.5')]);
    const probe = await checkMathEquivalence([]);
    const r = await cli(['eval', '--model', modelDir, '--task', task, '--json', '--threads', '2']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    if (probe.available) {
      expect(Object.keys(j.results).sort()).toEqual(['exact_match,none', 'is_equiv,none']);
      expect(j.mathEquivalence).toMatchObject({ backend: probe.backend, sympy: probe.sympy });
    } else {
      expect(Object.keys(j.results)).toEqual(['exact_match,none']);
      expect(j.mathEquivalence.unavailable).toBeTruthy();
    }
    const off = JSON.parse(
      (await cli(['eval', '--model', modelDir, '--task', task, '--json', '--threads', '2', '--no-math-equivalence'])).stdout,
    );
    expect(Object.keys(off.results)).toEqual(['exact_match,none']);
    expect(off.mathEquivalence).toBeUndefined();
  }, 120_000);

  it('pass@k: refused without --allow-code-execution; with it, the programs run contained', async () => {
    // the context ends in a comment and `until` holds "\n": whatever the model writes stays in the comment
    const rec = (want: number) => ({
      context: 'def f():\n    return 1  #',
      test: `def check(c):\n    assert c() == ${want}`,
      entry_point: 'f',
      until: ['\n'],
      metric: 'pass@k',
      max_gen_toks: 6,
      do_sample: true,
      temperature: 0.8,
      top_p: 0.95,
      repeats: 3,
      k: [1, 2],
    });
    const task = writeTask('he.jsonl', [rec(1), rec(2)]);
    const refused = await cli(['eval', '--model', modelDir, '--task', task, '--threads', '2']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/ERR_CODE_EXECUTION.*--allow-code-execution/);
    const r = await cli(['eval', '--model', modelDir, '--task', task, '--allow-code-execution', '--json', '--threads', '2', '--seed', '3']);
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout);
    expect(j.results).toEqual({ 'pass@1,create_test': 0.5, 'pass@2,create_test': 0.5 });
    expect(j.items.map((it: { passed: boolean[] }) => it.passed)).toEqual([
      [true, true, true],
      [false, false, false],
    ]);
    expect(j.items[1].failures[0]).toMatch(/AssertionError/);
    expect(j.items[0].filtered.create_test).toBe(
      `def f():\n    return 1  #${j.items[0].completions[0]}\ndef check(c):\n    assert c() == 1\ncheck(f)`,
    );
    expect(j.sandbox.length).toBeGreaterThan(2);
  }, 120_000);

  it('a generate record without until targets, or with an empty until, is a coded error with file:line', async () => {
    const task = writeTask('bad.jsonl', [
      { context: 'Q', target: 'a', until: ['\n'] },
      { context: 'Q', target: 'a', until: [] },
    ]);
    const r = await cli(['eval', '--model', modelDir, '--task', task]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/ERR_TASK.*bad\.jsonl:2: until is empty/);
  });
});
