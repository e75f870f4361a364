/** The paper-benchmark importers (MMLU, TruthfulQA, GSM8K, MATH, HumanEval): records, fields, errors. */
import { describe, expect, it } from 'vitest';
import { importRows } from '../../lib/eval/importers';
import { pyStrip } from '../../lib/eval/importers-harness';
import { minervaAnswer, normalizeFinalAnswer } from '../../lib/eval/minerva-answer';
import { parseTaskRecord } from '../../lib/eval/task-file';

const rows = (...r: unknown[]) => r.map((x) => JSON.stringify(x)).join('\n');

describe('paper-benchmark importers', () => {
  it('MMLU: stripped question, lettered choices, description and subtask per subject', () => {
    const [rec] = importRows(
      'mmlu',
      rows({ question: ' 2+2?\n', subject: 'high_school_us_history', choices: ['1', '2', '3', '4'], answer: 3 }),
      'm',
    ) as Array<Record<string, unknown>>;
    expect(rec).toMatchObject({
      context: '2+2?\nA. 1\nB. 2\nC. 3\nD. 4\nAnswer:',
      choices: ['A', 'B', 'C', 'D'],
      gold: 3,
      description: 'The following are multiple choice questions (with answers) about high school us history.\n\n',
      subtask: 'mmlu_high_school_us_history',
      fewshot_sampler: 'first_n',
    });
    expect(parseTaskRecord(rec, 0, 1, 'm').subtask).toBe('mmlu_high_school_us_history');
    expect(() =>
      importRows('mmlu', rows({ question: 'q', subject: 'astrology', choices: ['a', 'b', 'c', 'd'], answer: 0 }), 'm.jsonl'),
    ).toThrow(/m\.jsonl:1: mmlu: subject "astrology"/);
    expect(() => importRows('mmlu', rows({ question: 'q', subject: 'virology', choices: ['a', 'b', 'c'], answer: 0 }), 'm')).toThrow(
      /4 options/,
    );
  });

  it('TruthfulQA mc2 records carry labels and metric "mc2"; bad labels are rejected', () => {
    const row = {
      question: 'Q?',
      mc1_targets: { choices: ['t', 'f'], labels: [1, 0] },
      mc2_targets: { choices: ['t1', 't2', 'f'], labels: [1, 1, 0] },
    };
    const [mc2] = importRows('truthfulqa_mc2', rows(row), 't') as Array<Record<string, unknown>>;
    expect(mc2).toMatchObject({ choices: ['t1', 't2', 'f'], gold: 0, labels: [1, 1, 0], metric: 'mc2' });
    expect(parseTaskRecord(mc2, 0, 1, 't')).toMatchObject({ metric: 'mc2', labels: [1, 1, 0] });
    expect(() => parseTaskRecord({ ...mc2, labels: [1, 0] }, 0, 1, 't.jsonl:1')).toThrow(/labels has 2 entries for 3 choices/);
    expect(() => parseTaskRecord({ ...mc2, labels: [0, 0, 0] }, 0, 1, 't')).toThrow(/marks no choice as true/);
    expect(() => parseTaskRecord({ ...mc2, metric: 'bleu' }, 0, 1, 't')).toThrow(expect.objectContaining({ code: 'ERR_TASK' }));
    expect(() => parseTaskRecord({ context: 'c', choices: ['a'], gold: 0, metric: 'mc2' }, 0, 1, 't')).toThrow(/needs "labels"/);
  });

  it("GSM8K, MATH and HumanEval become generate records with the harness's stop strings", () => {
    expect(importRows('gsm8k', rows({ question: 'How many?', answer: 'Two.\n#### 2' }), 'g')).toEqual([
      {
        context: 'Question: How many?\nAnswer:',
        target: 'Two.\n#### 2',
        until: ['Question:', '</s>', '<|im_end|>'],
        filter: ['strict-match', 'flexible-extract'],
        ignore_case: true,
        ignore_punctuation: false,
        regexes_to_ignore: [',', '\\$', '(?s).*#### ', '\\.$'], // gsm8k.yaml's, as Python re sources
        doc: { question: 'How many?', answer: 'Two.\n#### 2' },
      },
    ]);
    const [m] = importRows(
      'minerva_math',
      rows({ problem: 'P', level: 'Level 1', type: 'Number Theory', solution: 'so $\\boxed{\\frac12}$.' }),
      'x',
    ) as Array<Record<string, unknown>>;
    expect(m).toMatchObject({
      context: 'Problem:\nP\n\nSolution:',
      target: '\\frac{1}{2}',
      until: ['Problem:'],
      metric: 'minerva_math',
      subtask: 'minerva_math_num_theory',
      fewshot_target: 'so $\\boxed{\\frac12}$.',
    });
    expect(() => importRows('minerva_math', rows({ problem: 'P', solution: 'no box' }), 'x')).toThrow(/no \\boxed/);
    const [h] = importRows(
      'humaneval',
      rows({ task_id: 'H/0', prompt: 'def f():\n', canonical_solution: '  pass', test: 'def check(c): pass', entry_point: 'f' }),
      'h',
    ) as Array<Record<string, unknown>>;
    expect(h).toMatchObject({
      context: 'def f():\n',
      target: 'def check(c): pass\ncheck(f)',
      until: ['\nclass', '\ndef', '\n#', '\nif', '\nprint'],
      max_gen_toks: 1024,
      metric: 'pass@k',
      k: [1],
    });
  });

  it('normalize_final_answer and Python strip on edge cases', () => {
    expect(normalizeFinalAnswer('x = 1,000')).toBe('1000');
    expect(normalizeFinalAnswer('\\text{(A)}')).toBe('(A)');
    expect(normalizeFinalAnswer('5\\text{ cm}')).toBe('5');
    expect(normalizeFinalAnswer('\\sqrt2')).toBe('\\sqrt{2}');
    expect(minervaAnswer('a \\boxed 7$ b')).toBe('7');
    expect(minervaAnswer('\\fbox{3}')).toBeNull(); // the harness's remove_boxed asserts on \fbox
    expect(pyStrip('\u001f x \u0085')).toBe('x');
    expect(pyStrip('\ufeffx')).toBe('\ufeffx'); // not whitespace to Python
  });
});
