/**
 * Answer extraction and metrics of generate tasks against test/reference/generative_golden.py — the
 * harness's own Python code (RegexFilter, exact_match_hf_evaluate, minerva_math utils, code_eval's
 * pass@k estimator, the cut at `until`) run with stdlib `re` — on strings chosen to hit the corners:
 * several matches, no match, tuples with empty groups, "$" before a final newline, (?s), unicode,
 * nested braces, \boxed without braces, shorthand \frac / \sqrt, thousands separators.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  applyFilter,
  getUnnormalizedAnswer,
  minervaAnswer,
  minervaGoldAnswer,
  normalizeFinalAnswer,
} from '../../lib/eval/answer-extraction';
import { cutAtStops } from '../../lib/eval/generate-until';
import { exactMatch, passAtK, type ExactMatchOptions } from '../../lib/eval/generative-metrics';
import { aggregateGenerate } from '../../lib/eval/generative-metrics';
import { taskScoresFromEval } from '../../lib/report/results';
import { REF_PYTHON } from '../helpers/reference';

const GOLDEN = path.resolve(__dirname, '..', 'reference', 'generative_golden.py');
const python = fs.existsSync(REF_PYTHON) ? REF_PYTHON : 'python3';

const FILTER_CASES = [
  'Natalia sold 48/2 = 24 clips in May.\nSo she sold 48+24 = 72 clips.\n#### 72',
  'The answer is #### 1,234.50 and then #### 7',
  '#### -3.',
  'no numbers here',
  'just 5',
  'costs $18 in total, so $18.',
  'first 12 then 3,000 then -7 then 9',
  '####  42',
  'x = 2.5.\n\n',
  'answer: 1\u00a0000 or #### ',
  '$$ and ..',
  '#### 10\n#### 20',
  '',
];

const GSM_OPTS = { regexes_to_ignore: [',', '\\$', '(?s).*#### ', '\\.$'], ignore_case: true, ignore_punctuation: false };
const EM_CASES: Array<[string, string, Record<string, unknown>]> = [
  ['72', 'Natalia sold 48/2 = 24 clips.\n#### 72', GSM_OPTS],
  ['1,234', 'so\n#### 1234', GSM_OPTS],
  ['$18.', '#### 18', GSM_OPTS],
  ['18.\n', '#### 18', GSM_OPTS],
  ['18..', '#### 18', GSM_OPTS],
  ['[invalid]', '#### 5', GSM_OPTS],
  ['Paris!', 'paris', { ignore_case: true, ignore_punctuation: true }],
  ['Paris!', 'paris', { ignore_case: true }],
  ['ÉCOLE', 'école', { ignore_case: true }],
  ['a-b_c', 'abc', { ignore_punctuation: true }],
  ['room 101', 'room ', { ignore_numbers: true }],
  ['the cat', 'cat', { regexes_to_ignore: ['^the '] }],
  ['x\n', 'x', { regexes_to_ignore: ['\\n$'] }],
  ['18.\n', '18\n', { regexes_to_ignore: ['\\.$'] }],
  ['a]b', 'ab', { regexes_to_ignore: ['[]x]'] }],
  ['exact', 'exact', {}],
  ['exact ', 'exact', {}],
];

const MINERVA_CASES = [
  'We compute. Final Answer: The final answer is $\\frac{2}{3}$. I hope it is correct.',
  'Final Answer: The final answer is 1,000. I hope it is correct.',
  'Final Answer: The final answer is $x = 5$',
  'Final Answer: The final answer is \\boxed{\\dfrac12}.',
  'Final Answer: The final answer is $10\\text{ inches}$. I hope it is correct.',
  'Final Answer: The final answer is $\\sqrt2$.\nFinal Answer: The final answer is 4. I hope it is correct.',
  'Final Answer: The final answer is\n5. I hope it is correct.',
  'no final answer here',
  'Final Answer: The final answer is $90^\\circ$. I hope it is correct.',
  'Final Answer: The final answer is \\text{(A)}. I hope it is correct.',
  'Final Answer: The final answer is $\\fracab$ and $\\$5$ dollars. I hope it is correct.',
  'Final Answer: The final answer is 12\u00b2. I hope it is correct.',
];
const SOLUTIONS = [
  'So the answer is $\\boxed{[2,5)}$.',
  'Thus $\\boxed{\\frac{1}{\\sqrt{2}}}$ and not $\\boxed{3}$; the last one counts: $\\boxed{\\{1,2\\}}$.',
  'The total is \\boxed 10$ apples.',
  'Answer: \\fbox{7}',
  'We get $\\boxed{10,\\!000}$.',
  'no box at all',
  'unclosed \\boxed{5',
];
const PASS_CASES: Array<[number, number, number]> = [
  [10, 0, 1],
  [10, 1, 1],
  [10, 3, 1],
  [10, 3, 5],
  [10, 10, 1],
  [10, 7, 5],
  [200, 13, 10],
  [5, 2, 5],
  [1, 1, 1],
  [1, 0, 1],
];
const CUT_CASES: Array<[string, string[]]> = [
  [' 72\n\nQuestion: next', ['Question:', '</s>', '<|im_end|>', '<|endoftext|>']],
  ['a\nclass B\ndef f', ['\nclass', '\ndef', '\n#', '\nif', '\nprint']],
  ['ab', ['b', 'a']],
  ['no stop', ['\n\n']],
  ['x<|endoftext|>y', ['', '<|endoftext|>']],
];

interface Golden {
  filters: Array<Record<string, string>>;
  exact_match: number[];
  minerva: Array<{ unnormalized: string; answer: string; normalized: string }>;
  solutions: Array<string | null>;
  pass_at_k: Array<[number, number]>;
  cut: string[];
}

function golden(py = python, script = GOLDEN): Golden | null {
  const r = spawnSync(py, [script], {
    input: JSON.stringify({
      filters: FILTER_CASES,
      exact_match: EM_CASES,
      minerva: MINERVA_CASES,
      solutions: SOLUTIONS,
      pass_at_k: PASS_CASES,
      cut: CUT_CASES,
    }),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) {
    if (script !== GOLDEN) throw new Error(`${script} failed: ${r.stderr}`);
    return null;
  }
  return JSON.parse(r.stdout) as Golden;
}

const g = golden();
if (!g) console.warn(`generative golden values skipped: ${python} could not run ${GOLDEN}`);

const emOpts = (o: Record<string, unknown>): ExactMatchOptions => ({
  regexesToIgnore: o.regexes_to_ignore as string[] | undefined,
  ignoreCase: o.ignore_case as boolean | undefined,
  ignorePunctuation: o.ignore_punctuation as boolean | undefined,
  ignoreNumbers: o.ignore_numbers as boolean | undefined,
});

describe.skipIf(!g)('generate-task metrics equal the harness code (Python reference)', () => {
  it('GSM8K strict-match and flexible-extract filters', () => {
    FILTER_CASES.forEach((s, i) => {
      expect(
        { 'strict-match': applyFilter('strict-match', s), 'flexible-extract': applyFilter('flexible-extract', s) },
        JSON.stringify(s),
      ).toEqual(g!.filters[i]);
    });
    // the corpus exercises both outcomes of both filters
    expect(new Set(g!.filters.map((f) => f['strict-match'] === '[invalid]'))).toEqual(new Set([true, false]));
    expect(new Set(g!.filters.map((f) => f['flexible-extract'] === '[invalid]'))).toEqual(new Set([true, false]));
  });

  it('exact_match with regexes_to_ignore, ignore_case, ignore_punctuation, ignore_numbers', () => {
    const ours = EM_CASES.map(([p, r, o]) => exactMatch(p, r, emOpts(o)));
    expect(ours).toEqual(g!.exact_match);
    expect(new Set(ours)).toEqual(new Set([0, 1]));
  });

  it('minerva_math: get_unnormalized_answer, normalize_final_answer, gold from the last box', () => {
    MINERVA_CASES.forEach((s, i) => {
      const want = g!.minerva[i]!;
      expect(
        { unnormalized: getUnnormalizedAnswer(s), answer: minervaAnswer(s), normalized: normalizeFinalAnswer(s) },
        JSON.stringify(s),
      ).toEqual(want);
    });
    SOLUTIONS.forEach((s, i) => {
      const want = g!.solutions[i];
      if (want === null) expect(() => minervaGoldAnswer(s), JSON.stringify(s)).toThrow(/no final \\boxed/);
      else expect(minervaGoldAnswer(s), JSON.stringify(s)).toBe(want);
    });
  });

  it('unbiased pass@k (code_eval product form, equal to 1 - C(n-c,k)/C(n,k))', () => {
    PASS_CASES.forEach(([n, c, k], i) => {
      expect(passAtK(n, c, k)).toBeCloseTo(g!.pass_at_k[i]![0], 14);
      expect(passAtK(n, c, k)).toBeCloseTo(g!.pass_at_k[i]![1], 12);
    });
  });

  it('the cut at until (postprocess_generated_text)', () => {
    expect(CUT_CASES.map(([t, u]) => cutAtStops(t, u))).toEqual(g!.cut);
  });
});

// The harness itself, where a Python with lm_eval is named (e.g. a venv with `pip install --no-deps lm-eval`):
// its RegexFilter, exact_match_hf_evaluate and postprocess_generated_text on the same strings.
const HARNESS_PY = process.env.RESURFACE_HARNESS_PYTHON;
describe.skipIf(!HARNESS_PY || !g)('the Python reference equals lm-evaluation-harness itself', () => {
  it('filters, exact_match, the cut (and minerva_math when its utils import)', () => {
    const h = golden(HARNESS_PY, path.resolve(__dirname, '..', 'reference', 'harness_generative.py'))!;
    expect(h.filters).toEqual(g!.filters);
    expect(h.exact_match).toEqual(g!.exact_match);
    expect(h.cut).toEqual(g!.cut);
    if (h.minerva) expect(h.minerva).toEqual(g!.minerva);
  });
});

describe('generate reports in experiment results', () => {
  it('report their first metric (GSM8K: exact_match,strict-match) as the task score, per item', () => {
    const item = (index: number, strict: number, flex: number) => ({
      index,
      context: '',
      targets: ['x'],
      completions: [''],
      finishReasons: ['stop'],
      filtered: {},
      until: [],
      generation: { doSample: false, temperature: 0, topP: 1, maxGenToks: 8 },
      scores: { 'exact_match,strict-match': strict, 'exact_match,flexible-extract': flex },
    });
    const r = aggregateGenerate('gsm8k', 'exact_match', [item(0, 1, 1), item(1, 0, 1), item(2, 0, 0), item(3, 1, 1)]);
    const t = taskScoresFromEval(JSON.parse(JSON.stringify(r)));
    expect(t.acc).toBe(0.5);
    expect(t.acc_stderr).toBeCloseTo(Math.sqrt(1 / 3) / 2, 12);
    expect(t.indices).toEqual([0, 1, 2, 3]);
    expect(t.correct).toEqual([1, 0, 0, 1]);
  });
});
