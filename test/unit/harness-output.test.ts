/** The harness's samples / results formats: Python float strings, hashes and fields as lm_eval writes them. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { applyPrompts } from '../../lib/eval/fewshot';
import { harnessResults, harnessSamples, pyFloatStr } from '../../lib/eval/harness-output';
import { importRows } from '../../lib/eval/importers';
import { aggregateMultipleChoice, scoreItem } from '../../lib/eval/metrics';
import { parseTaskRecord } from '../../lib/eval/task-file';

const python = (code: string, input?: string): unknown => JSON.parse(execFileSync('/usr/bin/python3', ['-c', code], { encoding: 'utf8', ...(input ? { input } : {}) }));

describe('harness output formats', () => {
  it('pyFloatStr equals Python str(float)', () => {
    const xs = [-12.345678901234567, -0.0001, -0.00001234, 1e16, 9999999999999998, 1e-7, 123456789012345680000, -3, 0.1, 2.5e-5, -1.0000000000000002, 5e-324, 1.7976931348623157e308, 0, -0, 100, 1234.5];
    const want = python('import json,sys; print(json.dumps([str(float(x)) for x in json.load(sys.stdin)]))', JSON.stringify(xs.map((x) => (Object.is(x, -0) ? '-0.0' : x)).map(Number)));
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
    const ctx = 'The following are multiple choice questions (with answers) about virology.\n\nWhich is warm? ünïcode\nA. a\nB. b\nC. c\nD. d\nAnswer:';
    expect(Object.keys(s)).toEqual(['doc_id', 'doc', 'target', 'arguments', 'resps', 'filtered_resps', 'filter', 'metrics', 'doc_hash', 'prompt_hash', 'target_hash', 'acc']);
    expect(s.arguments).toEqual({ gen_args_0: { arg_0: ctx, arg_1: ' A' }, gen_args_1: { arg_0: ctx, arg_1: ' B' }, gen_args_2: { arg_0: ctx, arg_1: ' C' }, gen_args_3: { arg_0: ctx, arg_1: ' D' } });
    expect(s.resps).toEqual([[['-1.5', 'False']], [['-0.25', 'True']], [['-3.0', 'False']], [['-2.0000001', 'False']]]);
    expect(s.filtered_resps).toEqual([['-1.5', 'False'], ['-0.25', 'True'], ['-3.0', 'False'], ['-2.0000001', 'False']]);
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
    const rows = ['virology', 'anatomy', 'virology'].map((subject, i) => ({ question: `q${i}`, subject, choices: ['a', 'b', 'c', 'd'], answer: i % 4 }));
    const items = importRows('mmlu', rows.map((r) => JSON.stringify(r)).join('\n'), 'm').map((r, i) => parseTaskRecord(r, i, i + 1, 'm'));
    const report = aggregateMultipleChoice('mmlu', items.map((it, i) => scoreItem(it, [0, -1, -2, -3].map((x) => x - i), [true, false, false, false])));
    const out = harnessResults([{ name: 'mmlu', report, numFewshot: 0, original: 3 }], { model: 'resurface' }) as Record<string, Record<string, Record<string, unknown>>>;
    expect(out['results']!['mmlu']).toMatchObject({ alias: 'mmlu', 'acc,none': report.acc });
    expect(out['results']!['mmlu_other']).toMatchObject({ alias: 'other' });
    expect(out['results']!['mmlu_virology']).toMatchObject({ alias: ' - virology', 'acc,none': 0.5 });
    expect(out['groups']!['mmlu_stem']).toMatchObject({ 'acc,none': 0, 'acc_stderr,none': 'N/A' }); // anatomy: one item, gold 1, pred 0
    expect(out['n-samples']!['mmlu_virology']).toEqual({ original: 2, effective: 2 });
    expect(out['group_subtasks']!['mmlu']).toEqual(['mmlu_stem', 'mmlu_other']);
  });
});
