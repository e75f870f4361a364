/**
 * Runs a task file against a model: builds the harness requests, tokenises them, scores every
 * continuation natively (shared contexts computed once), and aggregates acc / acc_norm / stderr.
 *
 *   const report = await evaluateTask(model, tokenizer, readTaskFile('arc_easy.jsonl'), { batchSize: 16 });
 */
import type { Model } from '../model/model';
import type { TextTokenizer } from '../tokenizer/tokenizer';
import { ResurfaceError } from '../errors';
import { aggregateLoglikelihood, aggregateMultipleChoice, scoreItem, type LoglikelihoodReport, type MultipleChoiceReport } from './metrics';
import { evaluateGenerateTask, type GenerateTaskOptions, type GenerateTaskReport } from './generate-task';
import { buildRequests, encodeRequest, type EncodedRequest } from './requests';
import { scoreContinuations, type ContinuationGroup } from './scoring';
import type { TaskFile, TaskItem } from './task-file';
import { applyPrompts, type FewshotOptions } from './fewshot';

export interface EvaluateOptions extends Pick<
  GenerateTaskOptions,
  'seed' | 'overrides' | 'allowCodeExecution' | 'sandbox' | 'mathEquivalence'
> {
  batchSize?: number;
  /** Reuse an item's shared context (default true; false scores every request as its own row). */
  shareContext?: boolean;
  /** Harness max_length (default: the model's max_position_embeddings). */
  maxLength?: number;
  /** Few-shot examples and the harness's prompt assembly (descriptions apply even at 0-shot). */
  fewshot?: FewshotOptions;
  /** Called after each chunk of items with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

export type TaskReport = MultipleChoiceReport | LoglikelihoodReport | GenerateTaskReport;

/** Groups an item's encoded requests by identical context tokens (the shared-context unit). */
export function groupRequests(reqs: EncodedRequest[]): { groups: ContinuationGroup[]; where: Array<[number, number]> } {
  const groups: { context: number[]; continuations: number[][] }[] = [];
  const where: Array<[number, number]> = [];
  const key = new Map<string, number>();
  for (const r of reqs) {
    const k = r.context.join(',');
    let g = key.get(k);
    if (g === undefined) {
      g = groups.length;
      key.set(k, g);
      groups.push({ context: r.context, continuations: [] });
    }
    where.push([g, groups[g]!.continuations.length]);
    groups[g]!.continuations.push(r.continuation);
  }
  return { groups, where };
}

export async function encodeItem(tok: TextTokenizer, item: TaskItem, maxLength: number): Promise<EncodedRequest[]> {
  try {
    return await Promise.all(buildRequests(item).map((r) => encodeRequest(tok, r, maxLength)));
  } catch (err) {
    if (err instanceof ResurfaceError && err.code === 'ERR_TASK') {
      throw new ResurfaceError('ERR_TASK', `line ${item.line}: ${err.message}`, { line: item.line });
    }
    throw err;
  }
}

/** Log-likelihood and is_greedy of every request of every item, [item][request]. */
export async function scoreItems(
  model: Model,
  tok: TextTokenizer,
  items: readonly TaskItem[],
  options: EvaluateOptions = {},
): Promise<Array<{ loglikelihoods: number[]; isGreedy: boolean[] }>> {
  const maxLength = options.maxLength ?? model.config.maxPositionEmbeddings;
  const out: Array<{ loglikelihoods: number[]; isGreedy: boolean[] }> = [];
  const CHUNK = 256; // items tokenised and scored together: bounded memory, sorted batches within
  for (let s = 0; s < items.length; s += CHUNK) {
    const chunk = items.slice(s, s + CHUNK);
    const encoded = await Promise.all(chunk.map((it) => encodeItem(tok, it, maxLength)));
    const grouped = encoded.map(groupRequests);
    const flat = grouped.flatMap((g) => g.groups);
    const scores = await scoreContinuations(model, flat, { batchSize: options.batchSize, shareContext: options.shareContext });
    let base = 0;
    for (const g of grouped) {
      const mine = scores.slice(base, base + g.groups.length);
      base += g.groups.length;
      const lls = g.where.map(([gi, ci]) => mine[gi]![ci]!);
      out.push({ loglikelihoods: lls.map((x) => x.logprob), isGreedy: lls.map((x) => x.isGreedy) });
    }
    options.onProgress?.(Math.min(s + CHUNK, items.length), items.length);
  }
  return out;
}

export async function evaluateTask(model: Model, tok: TextTokenizer, task: TaskFile, options: EvaluateOptions = {}): Promise<TaskReport> {
  return (await evaluateTaskWithPrompts(model, tok, task, options)).report;
}

/** evaluateTask, also returning the items with the full prompts their requests were built from (for --log-samples). */
export async function evaluateTaskWithPrompts(
  model: Model,
  tok: TextTokenizer,
  task: TaskFile,
  options: EvaluateOptions = {},
): Promise<{ report: TaskReport; prompted: TaskItem[] }> {
  const items = applyPrompts(task.items, { name: task.name, ...(options.fewshot ?? { numFewshot: 0 }) });
  return { report: await scorePrompted(model, tok, task.name, task.kind, items, options), prompted: items };
}

async function scorePrompted(
  model: Model,
  tok: TextTokenizer,
  name: string,
  kind: TaskFile['kind'],
  items: TaskItem[],
  options: EvaluateOptions,
): Promise<TaskReport> {
  if (kind === 'generate') return evaluateGenerateTask(model, tok, { name, kind, items }, options);
  const scored = await scoreItems(model, tok, items, options);
  if (kind === 'loglikelihood') {
    return aggregateLoglikelihood(
      name,
      items.map((it, i) => ({
        index: it.index,
        loglikelihood: scored[i]!.loglikelihoods[0]!,
        is_greedy: scored[i]!.isGreedy[0]!,
        ...(it.group !== undefined ? { group: it.group } : {}),
      })),
    );
  }
  return aggregateMultipleChoice(
    name,
    items.map((it, i) => scoreItem(it, scored[i]!.loglikelihoods, scored[i]!.isGreedy)),
  );
}
