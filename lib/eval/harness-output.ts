/**
 * Output in lm-evaluation-harness 0.4's own formats, so scripts written for the harness read ours:
 *
 * samples (`--log_samples`, EvaluationTracker.save_results_samples): one JSON line per document and filter,
 *   {"doc_id", "doc", "target": str, "arguments": {"gen_args_i": {"arg_0": context, "arg_1": continuation}},
 *    "resps": [[[str(ll), str(is_greedy)]], ...], "filtered_resps": [[str(ll), str(is_greedy)], ...],
 *    "filter": "none", "metrics": ["acc", ...], "doc_hash", "prompt_hash", "target_hash", "acc": ..., ...}
 *   with resps as Python's str() writes them (sanitize_list) and the hashes sha256 of
 *   json.dumps(doc, indent=2, ensure_ascii=False), of the first request's context and of str(target).
 * results (`--output_path`): {"results": {task: {"alias", "acc,none", "acc_stderr,none", ...}}, "groups",
 *   "group_subtasks", "configs", "versions", "n-shot", "higher_is_better", "n-samples", "config", "date"}.
 */
import { createHash } from 'node:crypto';
import type { Score } from './groups';
import { HARNESS_GROUPS } from './groups';
import type { GenerateReport } from './generative-metrics';
import { generateHigherIsBetter, generateResultEntry, generateTaskConfig } from './harness-output-generate';
import { itemAcc, type LoglikelihoodReport, type MultipleChoiceReport } from './metrics';
import { buildRequests } from './requests';
import type { TaskItem } from './task-file';

/** Python's str(float) / repr(float): shortest round-trip digits, exponent outside 1e-4 <= |x| < 1e16. */
export function pyFloatStr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expStr] = x.toExponential().split('e') as [string, string];
  const exp = Number(expStr);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  let body: string;
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    body = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  } else if (exp < 0) {
    body = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else if (digits.length <= exp + 1) {
    body = `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  } else {
    body = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return neg ? `-${body}` : body;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const pyBool = (b: boolean) => (b ? 'True' : 'False');

/** The harness's metric_list for the tasks it defines (which per-document metrics it logs). */
export function taskMetrics(name: string, report: MultipleChoiceReport | LoglikelihoodReport): string[] {
  if ('perplexity' in report) return ['perplexity', 'acc'];
  if (report.metric === 'mc2' || /^(mmlu|truthfulqa_mc1)/.test(name)) return ['acc'];
  return ['acc', 'acc_norm'];
}

/** The harness's doc for an item: the record's "doc", else the record's own fields. */
export function harnessDoc(item: TaskItem): unknown {
  if (item.doc !== undefined) return item.doc;
  return item.kind === 'loglikelihood'
    ? { context: item.context, continuation: item.continuation }
    : {
        context: item.context,
        choices: item.choices,
        gold: item.gold,
        ...(item.kind === 'partial' ? { continuation: item.continuation } : {}),
      };
}

/**
 * Sample lines of a log-likelihood task. `original`: the items as read (their docs); `prompted`: the
 * same items with the full prompts the requests were built from.
 */
export function harnessSamples(
  name: string,
  original: readonly TaskItem[],
  prompted: readonly TaskItem[],
  report: MultipleChoiceReport | LoglikelihoodReport,
): string[] {
  const metrics = taskMetrics(name, report);
  return prompted.map((item, i) => {
    const reqs = buildRequests(item);
    const doc = harnessDoc(original[i]!);
    let lls: number[];
    let greedy: boolean[];
    let values: Record<string, number>;
    let target: string;
    if ('perplexity' in report) {
      const r = report.items[i]!;
      lls = [r.loglikelihood];
      greedy = [r.is_greedy];
      values = { perplexity: r.loglikelihood, acc: r.is_greedy ? 1 : 0 };
      target = item.continuation;
    } else {
      const r = report.items[i]!;
      lls = r.loglikelihoods;
      greedy = r.is_greedy;
      values = { acc: itemAcc(r), acc_norm: r.pred_norm === r.gold ? 1 : 0 };
      target = String(item.gold);
    }
    const pairs = lls.map((ll, j) => [pyFloatStr(ll), pyBool(greedy[j]!)]);
    const sample: Record<string, unknown> = {
      doc_id: item.index,
      doc,
      target,
      arguments: Object.fromEntries(reqs.map((r, j) => [`gen_args_${j}`, { arg_0: r.context, arg_1: r.continuation }])),
      resps: pairs.map((p) => [p]),
      filtered_resps: pairs,
      filter: 'none',
      metrics,
      doc_hash: sha256(JSON.stringify(doc, null, 2)),
      prompt_hash: sha256(reqs[0]!.context),
      target_hash: sha256(target),
    };
    for (const m of metrics) sample[m] = values[m];
    return JSON.stringify(sample);
  });
}

/** Versions of the harness tasks these files stand for (metadata.version in their YAML). */
const TASK_VERSIONS: Record<string, number> = {
  arc_easy: 1,
  arc_challenge: 1,
  hellaswag: 1,
  piqa: 1,
  sciq: 1,
  winogrande: 1,
  lambada_openai: 1,
  truthfulqa_mc1: 2,
  truthfulqa_mc2: 3,
  gsm8k: 3,
  humaneval: 1,
  mmlu: 2,
  minerva_math: 3.1,
};

export interface ResultEntry {
  name: string;
  report: MultipleChoiceReport | LoglikelihoodReport | GenerateReport;
  numFewshot: number;
  /** Records in the task file before --limit. */
  original: number;
  fewshotSampler?: string;
}

const stderrOrNA = (x: number | null | undefined) => (typeof x === 'number' && Number.isFinite(x) ? x : 'N/A');

function scoreEntry(alias: string, s: Score): Record<string, unknown> {
  const out: Record<string, unknown> = { alias };
  for (const [k, v] of Object.entries(s.values)) {
    if (k.endsWith('_stderr')) out[`${k},none`] = stderrOrNA(v);
    else out[`${k},none`] = v;
  }
  return out;
}

export function harnessResults(entries: readonly ResultEntry[], config: Record<string, unknown>): Record<string, unknown> {
  const results: Record<string, unknown> = {};
  const groups: Record<string, unknown> = {};
  const groupSubtasks: Record<string, string[]> = {};
  const configs: Record<string, unknown> = {};
  const versions: Record<string, unknown> = {};
  const nShot: Record<string, number> = {};
  const higher: Record<string, Record<string, boolean>> = {};
  const nSamples: Record<string, { original: number; effective: number }> = {};
  for (const e of entries) {
    const r = e.report;
    if ('results' in r) {
      results[e.name] = generateResultEntry(e.name, r);
      configs[e.name] = generateTaskConfig(e.name, r, e.numFewshot);
      versions[e.name] = TASK_VERSIONS[e.name] ?? null;
      nShot[e.name] = e.numFewshot;
      higher[e.name] = generateHigherIsBetter(r);
      nSamples[e.name] = { original: e.original, effective: r.n };
      continue;
    }
    const metrics = taskMetrics(e.name, r);
    const mc = !('perplexity' in r) ? r : null;
    if (mc?.subtasks) {
      for (const [g, s] of Object.entries(mc.groups ?? {})) {
        const entry = scoreEntry(HARNESS_GROUPS[g]?.alias ?? g, s);
        results[g] = entry;
        groups[g] = entry;
        groupSubtasks[g] = (HARNESS_GROUPS[g]?.children ?? []).filter((c) => c in (mc.subtasks ?? {}) || c in (mc.groups ?? {}));
      }
      for (const [t, s] of Object.entries(mc.subtasks)) {
        results[t] = scoreEntry(` - ${t.replace(/^mmlu_|^minerva_math_/, '')}`, s);
        nSamples[t] = { original: s.n, effective: s.n };
        nShot[t] = e.numFewshot;
        versions[t] = 1;
        higher[t] = Object.fromEntries(metrics.map((m) => [m, m !== 'perplexity']));
        configs[t] = taskConfig(t, metrics, { ...e, report: r });
      }
      if (e.name in results) continue;
    }
    const entry: Record<string, unknown> = { alias: e.name };
    if ('perplexity' in r) {
      entry['perplexity,none'] = r.perplexity;
      entry['perplexity_stderr,none'] = 'N/A';
      entry['acc,none'] = r.acc;
      entry['acc_stderr,none'] = stderrOrNA(r.acc_stderr);
    } else {
      entry['acc,none'] = r.acc;
      entry['acc_stderr,none'] = stderrOrNA(r.acc_stderr);
      if (metrics.includes('acc_norm')) {
        entry['acc_norm,none'] = r.acc_norm;
        entry['acc_norm_stderr,none'] = stderrOrNA(r.acc_norm_stderr);
      }
    }
    results[e.name] = entry;
    configs[e.name] = taskConfig(e.name, metrics, { ...e, report: r });
    versions[e.name] = TASK_VERSIONS[e.name] ?? null;
    nShot[e.name] = e.numFewshot;
    higher[e.name] = Object.fromEntries(metrics.map((m) => [m, m !== 'perplexity']));
    nSamples[e.name] = { original: e.original, effective: r.n };
  }
  return {
    results,
    groups,
    group_subtasks: groupSubtasks,
    configs,
    versions,
    'n-shot': nShot,
    higher_is_better: higher,
    'n-samples': nSamples,
    config,
    date: Date.now() / 1000,
  };
}

function taskConfig(
  task: string,
  metrics: string[],
  e: ResultEntry & { report: MultipleChoiceReport | LoglikelihoodReport },
): Record<string, unknown> {
  return {
    task,
    output_type: 'perplexity' in e.report ? 'loglikelihood' : 'multiple_choice',
    num_fewshot: e.numFewshot,
    fewshot_config: { sampler: e.fewshotSampler ?? 'default' },
    target_delimiter: ' ',
    fewshot_delimiter: '\n\n',
    metric_list: metrics.map((m) => ({
      metric: m,
      aggregation: m === 'perplexity' ? 'perplexity' : 'mean',
      higher_is_better: m !== 'perplexity',
    })),
  };
}
