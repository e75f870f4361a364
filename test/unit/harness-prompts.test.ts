/**
 * Prompts, few-shot contexts and mc2 against test/reference/harness_prompts.py — an independent
 * stdlib-Python transcription of the harness's task files and few-shot samplers (its own `random`).
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyPrompts } from '../../lib/eval/fewshot';
import { importRows } from '../../lib/eval/importers';
import { minervaFewshotRecords } from '../../lib/eval/importers-harness';
import { mc2Score } from '../../lib/eval/mc2';
import { buildRequests } from '../../lib/eval/requests';
import { parseTaskRecord, type TaskItem } from '../../lib/eval/task-file';
import { arcRows, gsm8kRows, hellaswagRows, humanevalRows, mathRows, mmluRows, truthfulqaRows } from '../helpers/harness-rows';

const REF = path.join(__dirname, '..', 'reference', 'harness_prompts.py');
interface RefDoc {
  requests: string[][];
  target: unknown;
  mc2?: number;
}
function reference(req: Record<string, unknown>): RefDoc[] {
  return (JSON.parse(execFileSync('/usr/bin/python3', [REF], { input: JSON.stringify(req), encoding: 'utf8' })) as { docs: RefDoc[] }).docs;
}

const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n');

/** Task records → items; generate records (parsed by the generate kind elsewhere) as loose items. */
function items(format: string, rows: unknown[]): TaskItem[] {
  return importRows(format, jsonl(rows), `${format}.jsonl`).map((rec, i) => toItem(rec as Record<string, unknown>, i));
}
function toItem(rec: Record<string, unknown>, i: number): TaskItem {
  if ('until' in rec) {
    const base = parseTaskRecord({ context: rec['context'], continuation: 'x', ...pick(rec) }, i, i + 1, 'gen');
    return { ...base, kind: 'generate' as never, continuation: '', target: rec['target'] } as TaskItem;
  }
  return parseTaskRecord(rec, i, i + 1, 'test');
}
function pick(rec: Record<string, unknown>) {
  const out: Record<string, unknown> = {};
  for (const k of ['description', 'subtask', 'fewshot_sampler', 'fewshot_target', 'doc']) if (k in rec) out[k] = rec[k];
  return out;
}
/** Our requests as [context, continuation] pairs ([context] for generation). */
function ours(prompted: TaskItem[]): string[][][] {
  return prompted.map((it) =>
    (it.kind as string) === 'generate' ? [[it.context]] : buildRequests(it).map((r) => [r.context, r.continuation]),
  );
}

describe('harness prompts and few-shot contexts equal the reference transcription', () => {
  it('ARC-Challenge 25-shot from a separate train split, and 3-shot from the evaluated split itself', () => {
    const test = arcRows(12, 1);
    const train = arcRows(40, 2);
    const k25 = applyPrompts(items('arc_challenge', test), { numFewshot: 25, pool: items('arc_challenge', train) });
    expect(ours(k25)).toEqual(
      reference({ task: 'arc_challenge', rows: test, fewshot_rows: train, num_fewshot: 25 }).map((d) => d.requests),
    );
    const same = applyPrompts(items('arc_challenge', test), { numFewshot: 3 });
    expect(ours(same)).toEqual(reference({ task: 'arc_challenge', rows: test, fewshot_rows: null, num_fewshot: 3 }).map((d) => d.requests));
  });

  it('HellaSwag 5-shot (processed docs, bracket and " [title]" cleaning) and zero-shot', () => {
    const val = hellaswagRows(9);
    const train = hellaswagRows(14).map((r, i) => ({ ...r, ind: 100 + i, ctx_a: `${r['ctx_a'] as string} train` }));
    for (const [k, pool] of [
      [0, undefined],
      [5, train],
    ] as const) {
      const got = applyPrompts(items('hellaswag', val), { numFewshot: k, ...(pool ? { pool: items('hellaswag', pool) } : {}) });
      expect(ours(got)).toEqual(
        reference({ task: 'hellaswag', rows: val, fewshot_rows: pool ?? null, num_fewshot: k }).map((d) => d.requests),
      );
    }
  });

  it("MMLU: description per subject, first_n few-shot from the same subject's dev rows, zero-shot", () => {
    const test = mmluRows(['abstract_algebra', 'high_school_us_history', 'virology'], 3, 'test');
    const dev = mmluRows(['virology', 'abstract_algebra', 'high_school_us_history'], 5, 'dev');
    for (const k of [0, 5]) {
      const got = applyPrompts(items('mmlu', test), { numFewshot: k, pool: items('mmlu', dev) });
      expect(ours(got)).toEqual(reference({ task: 'mmlu', rows: test, fewshot_rows: dev, num_fewshot: k }).map((d) => d.requests));
    }
  });

  it('TruthfulQA mc1 and mc2 prompts; mc2 = true-answer probability mass (process_results_mc2)', () => {
    const rows = truthfulqaRows(4);
    for (const task of ['truthfulqa_mc1', 'truthfulqa_mc2']) {
      const got = applyPrompts(items(task, rows));
      expect(ours(got)).toEqual(reference({ task, rows, fewshot_rows: null, num_fewshot: 0 }).map((d) => d.requests));
    }
    const its = items('truthfulqa_mc2', rows);
    const lls = its.map((it, i) => it.choices.map((_, j) => -3.5 * (j + 1) + 0.7 * i - (j === 1 ? 40 : 0)));
    const ref = reference({ task: 'truthfulqa_mc2', rows, fewshot_rows: null, num_fewshot: 0, lls });
    its.forEach((it, i) => expect(mc2Score(lls[i]!, it.labels!)).toBeCloseTo(ref[i]!.mc2!, 13));
  });

  it('GSM8K 8-shot from train (default sampler, seed 1234), MATH 4-shot from the fixed examples, HumanEval', () => {
    const test = gsm8kRows(10, 'test');
    const train = gsm8kRows(30, 'train');
    const g = applyPrompts(items('gsm8k', test), { numFewshot: 8, pool: items('gsm8k', train) });
    const gref = reference({ task: 'gsm8k', rows: test, fewshot_rows: train, num_fewshot: 8 });
    expect(ours(g)).toEqual(gref.map((d) => d.requests));
    expect(g.map((it) => (it as unknown as { target: string }).target)).toEqual(gref.map((d) => d.target));

    const m = applyPrompts(items('minerva_math', mathRows()), { numFewshot: 4, pool: minervaFewshotRecords().map((r, i) => toItem(r, i)) });
    const mref = reference({ task: 'minerva_math', rows: mathRows(), fewshot_rows: [], builtin_fewshot: true, num_fewshot: 4 });
    expect(ours(m)).toEqual(mref.map((d) => d.requests));
    expect(m.map((it) => (it as unknown as { target: string }).target)).toEqual(mref.map((d) => d.target));

    const h = items('humaneval', humanevalRows());
    const href = reference({ task: 'humaneval', rows: humanevalRows(), fewshot_rows: null, num_fewshot: 0 });
    expect(ours(applyPrompts(h))).toEqual(href.map((d) => d.requests));
    expect((h[0] as unknown as { target: string }).target).toBe(href[0]!.target);
  });

  it('--limit keeps the whole split as the few-shot pool: the first N prompts are those of the full run', () => {
    const all = items('arc_challenge', arcRows(10, 3));
    const full = applyPrompts(all, { numFewshot: 3 });
    expect(applyPrompts(all.slice(0, 4), { numFewshot: 3, pool: all, sameSplit: true })).toEqual(full.slice(0, 4));
  });

  it('a few-shot count larger than the split is ERR_FEWSHOT', () => {
    const test = items('arc_easy', arcRows(3));
    expect(() => applyPrompts(test, { numFewshot: 3 })).toThrow(expect.objectContaining({ code: 'ERR_FEWSHOT' }));
    expect(() => applyPrompts(test, { numFewshot: 5, pool: items('arc_easy', arcRows(4, 9)) })).toThrow(
      /5-shot needs 5 few-shot examples but the few-shot split offers 4/,
    );
    expect(applyPrompts(test, { numFewshot: 4, pool: items('arc_easy', arcRows(4, 9)) })).toHaveLength(3);
  });
});
