/**
 * lm-evaluation-harness 0.4 output formats for generate tasks (generate_until: GSM8K, MATH, HumanEval),
 * beside harness-output.ts's log-likelihood ones.
 *
 * samples: one JSON line per filter and document, filter-major (all documents of the first filter, then the
 *   next), as the evaluator logs them:
 *   {"doc_id", "doc", "target": str(doc_to_target), "arguments": {"gen_args_0": {"arg_0": context,
 *    "arg_1": gen_kwargs}}, "resps": [[completion, ...]], "filtered_resps": [answer] (HumanEval's
 *    create_test: [[prompt + completion, ...]]), "filter", "metrics": [names], "doc_hash", "prompt_hash",
 *    "target_hash", <metric>: value}
 *   gen_kwargs is what ran: until, do_sample, temperature, top_p when sampled, max_gen_toks when it is not
 *   the harness's default (256). The harness passes its YAML's generation_kwargs, so a key the YAML leaves
 *   out (HumanEval's temperature) may appear here.
 * results: `"exact_match,strict-match"`, `"exact_match_stderr,strict-match"`, `"pass@1,create_test"`, …
 *
 * minerva_math: the harness logs exact_match (its sympy is_equiv) and math_verify; we log exact_match (the
 * string equality of the normalised answers) and, where sympy ran, is_equiv — the harness's exact_match.
 */
import { createHash } from 'node:crypto';
import type { GenerateItemResult, GenerateReport } from './generative-metrics';
import type { TaskItem } from './task-file';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const HARNESS_DEFAULT_MAX_GEN_TOKS = 256;

/** Python's str() of a list of strings (the harness's str(target) when a document has several golds). */
function pyStrList(xs: readonly string[]): string {
  const repr = (s: string) => {
    const q = s.includes("'") && !s.includes('"') ? '"' : "'";
    const body = s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
    return q + (q === "'" ? body.replace(/'/g, "\\'") : body) + q;
  };
  return `[${xs.map(repr).join(', ')}]`;
}

/** The harness's target string of a generate item. */
export function generateTarget(targets: readonly string[]): string {
  return targets.length === 1 ? targets[0]! : pyStrList(targets);
}

/** Filter names in the order the report's metric keys first name them ("exact_match,strict-match" -> strict-match). */
export function reportFilters(report: GenerateReport): string[] {
  const keys = Object.keys(report.results).length ? Object.keys(report.results) : report.items.flatMap((it) => Object.keys(it.scores));
  return [...new Set(keys.map((k) => k.slice(k.indexOf(',') + 1)))];
}

/** Metric names scored under one filter ("pass@1", "exact_match", "is_equiv"). */
function metricsOf(report: GenerateReport, filter: string): string[] {
  return [
    ...new Set(
      Object.keys(report.results)
        .filter((k) => k.endsWith(`,${filter}`))
        .map((k) => k.slice(0, k.indexOf(','))),
    ),
  ];
}

/** The generation kwargs of one item's request, as the harness logs them (arg_1). */
export function generationKwargs(item: GenerateItemResult): Record<string, unknown> {
  const g = item.generation;
  const out: Record<string, unknown> = { until: item.until, do_sample: g.doSample, temperature: g.temperature };
  if (g.doSample) out.top_p = g.topP;
  if (g.maxGenToks !== HARNESS_DEFAULT_MAX_GEN_TOKS) out.max_gen_toks = g.maxGenToks;
  return out;
}

function filteredResponse(item: GenerateItemResult, filter: string): unknown {
  if (filter === 'create_test') return item.completions.map((c) => item.context + c);
  return item.filtered[filter] ?? '';
}

/**
 * Sample lines of a generate task. `original`: the items as read (their docs), in the report's order.
 */
export function harnessGenerateSamples(report: GenerateReport, original: readonly TaskItem[]): string[] {
  const lines: string[] = [];
  const docs = new Map(original.map((it) => [it.index, it]));
  for (const filter of reportFilters(report)) {
    const metrics = metricsOf(report, filter);
    for (const item of report.items) {
      const src = docs.get(item.index);
      const doc = src?.doc !== undefined ? src.doc : { context: src?.context ?? item.context, targets: item.targets };
      const target = generateTarget(item.targets);
      const sample: Record<string, unknown> = {
        doc_id: item.index,
        doc,
        target,
        arguments: { gen_args_0: { arg_0: item.context, arg_1: generationKwargs(item) } },
        resps: [item.completions],
        filtered_resps: [filteredResponse(item, filter)],
        filter,
        metrics,
        doc_hash: sha256(JSON.stringify(doc, null, 2)),
        prompt_hash: sha256(item.context),
        target_hash: sha256(target),
      };
      for (const m of metrics) sample[m] = item.scores[`${m},${filter}`] ?? 0;
      lines.push(JSON.stringify(sample));
    }
  }
  return lines;
}

const stderrOrNA = (x: number | null | undefined) => (typeof x === 'number' && Number.isFinite(x) ? x : 'N/A');

/** The task's entry in results.json's "results": every metric,filter with its stderr. */
export function generateResultEntry(name: string, report: GenerateReport): Record<string, unknown> {
  const entry: Record<string, unknown> = { alias: name };
  for (const [key, v] of Object.entries(report.results)) {
    const comma = key.indexOf(',');
    entry[key] = v;
    entry[`${key.slice(0, comma)}_stderr${key.slice(comma)}`] = stderrOrNA(report.stderr[key]);
  }
  return entry;
}

/** The task's "configs" entry (the parts of its TaskConfig a reader compares). */
export function generateTaskConfig(name: string, report: GenerateReport, numFewshot: number): Record<string, unknown> {
  const filters = reportFilters(report);
  const metrics = [...new Set(filters.flatMap((f) => metricsOf(report, f)))];
  const first = report.items[0];
  return {
    task: name,
    output_type: 'generate_until',
    num_fewshot: numFewshot,
    repeats: first?.completions.length ?? 1,
    generation_kwargs: first ? generationKwargs(first) : {},
    target_delimiter: ' ',
    fewshot_delimiter: '\n\n',
    filter_list: filters.map((f) => ({ name: f })),
    metric_list: metrics.map((m) => ({ metric: m, aggregation: 'mean', higher_is_better: true })),
  };
}

/** higher_is_better of the task's metrics (all of them: accuracies and pass rates). */
export function generateHigherIsBetter(report: GenerateReport): Record<string, boolean> {
  return Object.fromEntries(
    reportFilters(report)
      .flatMap((f) => metricsOf(report, f))
      .map((m) => [m, true]),
  );
}
