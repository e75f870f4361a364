/** The harness's samples / results formats: Python float strings, hashes and fields as lm_eval writes them. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { applyPrompts } from '../../lib/eval/fewshot';
import { applyFilter } from '../../lib/eval/answer-extraction';
import { harnessResults, harnessSamples, pyFloatStr } from '../../lib/eval/harness-output';
import { generateTarget, harnessGenerateSamples } from '../../lib/eval/harness-output-generate';
import { aggregateGenerate, exactMatch } from '../../lib/eval/generative-metrics';
import { importRows } from '../../lib/eval/importers';
import { aggregateMultipleChoice, scoreItem } from '../../lib/eval/metrics';
import { parseTaskRecord } from '../../lib/eval/task-file';

const python = (code: string, input?: string): unknown =>
  JSON.parse(execFileSync('/usr/bin/python3', ['-c', code], { encoding: 'utf8', ...(input ? { input } : {}) }));

describe('harness output formats', () => {
  it('pyFloatStr equals Python str(float)', () => {
    const xs = [
      -12.345678901234567, -0.0001, -0.00001234, 1e16, 9999999999999998, 1e-7, 123456789012345680000, -3, 0.1, 2.5e-5, -1.0000000000000002,
      5e-324, 1.7976931348623157e308, 0, -0, 100, 1234.5,
    ];
    const want = python(
      'import json,sys; print(json.dumps([str(float(x)) for x in json.load(sys.stdin)]))',
      JSON.stringify(xs.map((x) => (Object.is(x, -0) ? '-0.0' : x)).map(Number)),
    );
    const ours = xs.map(pyFloatStr);
    ours[14] = pyFloatStr(0); // JSON cannot carry -0; checked separately
    expect(ours).toEqual((want as string[]).map((s, i) => (i === 14 ? '0.0' : s)));
    expect(pyFloatStr(-0)).toBe('-0.0');
    expect([Number.NaN, Infinity, -Infinity].map(pyFloatStr)).toEqual(['nan', 'inf', '-inf']);
  });

  it('samples lines: arguments, resps as strings, metrics, sha256 hashes of json.dumps(doc, indent=2) / prompt / target', () => {
    const rows = [{ question: 'Which is warm? ünïcode', subject: 'virology', choices: ['a', 'b', 'c', 'd'], answer: 2 }];
    const items = importRows('mmlu', rows.map((r) => JSON.stringify(r)).join('\n'), 'm').map((r, i) => parseTaskRecord(r, i, i + 1, 'm'));
    const prompted = applyPrompts(items);
    const report = aggregateMultipleChoice('mmlu', [scoreItem(prompted[0]!, [-1.5, -0.25, -3, -2.0000001], [false, true, false, false])]);
    const [line] = harnessSamples('mmlu', items, prompted, report);
    const s = JSON.parse(line!);
    const ctx =
      'The following are multiple choice questions (with answers) about virology.\n\nWhich is warm? ünïcode\nA. a\nB. b\nC. c\nD. d\nAnswer:';
    expect(Object.keys(s)).toEqual([
      'doc_id',
      'doc',
      'target',
      'arguments',
      'resps',
      'filtered_resps',
      'filter',
      'metrics',
      'doc_hash',
      'prompt_hash',
      'target_hash',
      'acc',
    ]);
    expect(s.arguments).toEqual({
      gen_args_0: { arg_0: ctx, arg_1: ' A' },
      gen_args_1: { arg_0: ctx, arg_1: ' B' },
      gen_args_2: { arg_0: ctx, arg_1: ' C' },
      gen_args_3: { arg_0: ctx, arg_1: ' D' },
    });
    expect(s.resps).toEqual([[['-1.5', 'False']], [['-0.25', 'True']], [['-3.0', 'False']], [['-2.0000001', 'False']]]);
    expect(s.filtered_resps).toEqual([
      ['-1.5', 'False'],
      ['-0.25', 'True'],
      ['-3.0', 'False'],
      ['-2.0000001', 'False'],
    ]);
    expect([s.target, s.filter, s.metrics, s.acc]).toEqual(['2', 'none', ['acc'], 0]);
    const hashes = python(
      `import json,sys,hashlib
d=json.load(sys.stdin); h=lambda s: hashlib.sha256(s.encode("utf-8")).hexdigest()
print(json.dumps([h(json.dumps(d["doc"], indent=2, ensure_ascii=False)), h(d["ctx"]), h(str(2))]))`,
      JSON.stringify({ doc: rows[0], ctx }),
    );
    expect([s.doc_hash, s.prompt_hash, s.target_hash]).toEqual(hashes);
  });

  it('results.json: "acc,none" keys, groups with aliases, n-samples, n-shot', () => {
    const rows = ['virology', 'anatomy', 'virology'].map((subject, i) => ({
      question: `q${i}`,
      subject,
      choices: ['a', 'b', 'c', 'd'],
      answer: i % 4,
    }));
    const items = importRows('mmlu', rows.map((r) => JSON.stringify(r)).join('\n'), 'm').map((r, i) => parseTaskRecord(r, i, i + 1, 'm'));
    const report = aggregateMultipleChoice(
      'mmlu',
      items.map((it, i) =>
        scoreItem(
          it,
          [0, -1, -2, -3].map((x) => x - i),
          [true, false, false, false],
        ),
      ),
    );
    const out = harnessResults([{ name: 'mmlu', report, numFewshot: 0, original: 3 }], { model: 'resurface' }) as Record<
      string,
      Record<string, Record<string, unknown>>
    >;
    expect(out['results']!['mmlu']).toMatchObject({ alias: 'mmlu', 'acc,none': report.acc });
    expect(out['results']!['mmlu_other']).toMatchObject({ alias: 'other' });
    expect(out['results']!['mmlu_virology']).toMatchObject({ alias: ' - virology', 'acc,none': 0.5 });
    expect(out['groups']!['mmlu_stem']).toMatchObject({ 'acc,none': 0, 'acc_stderr,none': 'N/A' }); // anatomy: one item, gold 1, pred 0
    expect(out['n-samples']!['mmlu_virology']).toEqual({ original: 2, effective: 2 });
    expect(out['group_subtasks']!['mmlu']).toEqual(['mmlu_stem', 'mmlu_other']);
  });
});

describe('harness output formats: generate tasks', () => {
  const gsmItem = (index: number, completion: string, target: string) => {
    const context = `Question: q${index}?\nAnswer:`;
    const spec = { until: ['Question:', '</s>', '<|im_end|>'], targets: [target], filters: ['strict-match', 'flexible-extract'] };
    const filtered = {
      'strict-match': applyFilter('strict-match', completion),
      'flexible-extract': applyFilter('flexible-extract', completion),
    };
    const scores = {
      'exact_match,strict-match': exactMatch(filtered['strict-match'], target, GSM_OPTIONS),
      'exact_match,flexible-extract': exactMatch(filtered['flexible-extract'], target, GSM_OPTIONS),
    };
    return {
      item: {
        index,
        context,
        targets: spec.targets,
        until: spec.until,
        generation: { doSample: false, temperature: 0, topP: 1, maxGenToks: 256 },
        completions: [completion],
        finishReasons: ['stop'],
        filtered,
        scores,
      },
      doc: { question: `q${index}?`, answer: target },
    };
  };
  const GSM_OPTIONS = { ignoreCase: true, regexesToIgnore: [',', '\\$', '(?s).*#### ', '\\.$'] };

  it('samples: one line per filter and document, filter-major; gen kwargs, resps, filtered answers, metric values, hashes', () => {
    const a = gsmItem(0, ' 2 + 3 = 5\n#### 5', 'so\n#### 5');
    const b = gsmItem(1, ' it is 12 or 13', '#### 12');
    const report = aggregateGenerate('gsm8k', 'exact_match', [a.item, b.item]);
    const original = [a, b].map((x, i) => ({
      ...parseTaskRecord({ context: x.item.context, target: x.item.targets[0], until: x.item.until }, i, i + 1, 'g'),
      doc: x.doc,
    }));
    const lines = harnessGenerateSamples(report, original).map((l) => JSON.parse(l));
    expect(lines.map((s) => [s.filter, s.doc_id])).toEqual([
      ['strict-match', 0],
      ['strict-match', 1],
      ['flexible-extract', 0],
      ['flexible-extract', 1],
    ]);
    const s = lines[0];
    expect(Object.keys(s)).toEqual([
      'doc_id',
      'doc',
      'target',
      'arguments',
      'resps',
      'filtered_resps',
      'filter',
      'metrics',
      'doc_hash',
      'prompt_hash',
      'target_hash',
      'exact_match',
    ]);
    expect(s.arguments).toEqual({
      gen_args_0: {
        arg_0: 'Question: q0?\nAnswer:',
        arg_1: { until: ['Question:', '</s>', '<|im_end|>'], do_sample: false, temperature: 0 },
      },
    });
    expect([s.resps, s.filtered_resps, s.metrics, s.exact_match]).toEqual([[[' 2 + 3 = 5\n#### 5']], ['5'], ['exact_match'], 1]);
    expect([lines[1].filtered_resps, lines[1].exact_match, lines[3].filtered_resps, lines[3].exact_match]).toEqual([
      ['[invalid]'],
      0,
      ['13'],
      0,
    ]);
    const hashes = python(
      `import json,sys,hashlib
d=json.load(sys.stdin); h=lambda s: hashlib.sha256(s.encode("utf-8")).hexdigest()
print(json.dumps([h(json.dumps(d["doc"], indent=2, ensure_ascii=False)), h(d["ctx"]), h(str(d["target"]))]))`,
      JSON.stringify({ doc: a.doc, ctx: a.item.context, target: a.item.targets[0] }),
    );
    expect([s.doc_hash, s.prompt_hash, s.target_hash]).toEqual(hashes);
  });

  it('results.json: "exact_match,strict-match" with its stderr, generate_until config, n-samples', () => {
    const items = [gsmItem(0, '#### 5', '#### 5').item, gsmItem(1, '#### 4', '#### 5').item, gsmItem(2, '#### 5', '#### 5').item];
    const report = aggregateGenerate('gsm8k', 'exact_match', items);
    const out = harnessResults([{ name: 'gsm8k', report, numFewshot: 5, original: 10 }], {}) as Record<
      string,
      Record<string, Record<string, unknown>>
    >;
    const se = Math.sqrt(((2 / 3) * (1 / 3) * 3) / 2 / 3); // sample std / sqrt(n) of [1, 0, 1]
    expect(out['results']!['gsm8k']).toEqual({
      alias: 'gsm8k',
      'exact_match,strict-match': 2 / 3,
      'exact_match_stderr,strict-match': expect.closeTo(se, 12),
      'exact_match,flexible-extract': 2 / 3,
      'exact_match_stderr,flexible-extract': expect.closeTo(se, 12),
    });
    expect(out['configs']!['gsm8k']).toMatchObject({
      output_type: 'generate_until',
      num_fewshot: 5,
      filter_list: [{ name: 'strict-match' }, { name: 'flexible-extract' }],
    });
    expect(out['n-samples']!['gsm8k']).toEqual({ original: 10, effective: 3 });
    expect(out['versions']!['gsm8k']).toBe(3);
  });

  it('a document with several golds logs str(list) as its target; HumanEval logs prompt + completion per repeat', () => {
    expect(generateTarget(['a', "it's"])).toBe(
      python('import json,sys; print(json.dumps(str(json.load(sys.stdin))))', JSON.stringify(['a', "it's"])),
    );
    const item = {
      index: 0,
      context: 'def f():\n',
      targets: ['check'],
      until: ['\ndef'],
      generation: { doSample: true, temperature: 0.2, topP: 0.95, maxGenToks: 512 },
      completions: ['  return 1', '  return 2'],
      finishReasons: ['stop', 'stop'],
      filtered: {},
      scores: { 'pass@1,create_test': 0.5 },
    };
    const report = aggregateGenerate('humaneval', 'pass@k', [item]);
    const [s] = harnessGenerateSamples(report, []).map((l) => JSON.parse(l));
    expect(s.filtered_resps).toEqual([['def f():\n  return 1', 'def f():\n  return 2']]);
    expect(s.arguments.gen_args_0.arg_1).toEqual({ until: ['\ndef'], do_sample: true, temperature: 0.2, top_p: 0.95, max_gen_toks: 512 });
    expect([s.filter, s.metrics, s['pass@1']]).toEqual(['create_test', ['pass@1'], 0.5]);
  });
});
