/**
 * Per-item and aggregate metrics, as lm-evaluation-harness v0.4 ConfigurableTask.process_results:
 * acc = [argmax loglikelihood == gold]; acc_norm = [argmax loglikelihood / len(choice) == gold]
 * with len in characters (code points) of the choice text — for partial scoring the harness divides
 * by the length of the context filler (its doc_to_choice), and so do we; argmax takes the first
 * maximum (numpy). Loglikelihood items: acc = is_greedy, perplexity = exp(-mean loglikelihood).
 * Standard errors: mean_stderr (sample std / sqrt(n)).
 */
import { meanStderr } from '../stats/describe';
import { groupScores, subtaskScores, type Score } from './groups';
import { mc2Score } from './mc2';
import { pyLen } from './requests';
import type { TaskItem } from './task-file';

/** First index of the maximum (numpy argmax). NaN never wins. */
export function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]! || Number.isNaN(xs[best]!)) best = i;
  return best;
}

export interface ItemResult {
  index: number;
  gold: number;
  pred: number;
  pred_norm: number;
  loglikelihoods: number[];
  is_greedy: boolean[];
  /** The item's cluster, copied from the task record when it names one. */
  group?: string;
  /** The harness subtask (MMLU subject) the item belongs to, when the record names one. */
  subtask?: string;
  /** TruthfulQA mc2 items: the probability mass on the true answers (the item's acc). */
  mc2?: number;
}

export function scoreItem(item: TaskItem, loglikelihoods: number[], isGreedy: boolean[]): ItemResult {
  const norm = loglikelihoods.map((ll, i) => ll / pyLen(item.choices[i]!));
  return {
    index: item.index,
    gold: item.gold,
    pred: argmax(loglikelihoods),
    pred_norm: argmax(norm),
    loglikelihoods,
    is_greedy: isGreedy,
    ...(item.group !== undefined ? { group: item.group } : {}),
    ...(item.subtask !== undefined ? { subtask: item.subtask } : {}),
    ...(item.metric === 'mc2' ? { mc2: mc2Score(loglikelihoods, item.labels!) } : {}),
  };
}

export interface MultipleChoiceReport {
  task: string;
  n: number;
  /** mc2 tasks: the mean probability mass on the true answers (the harness's truthfulqa_mc2 `acc`). */
  acc: number;
  acc_stderr: number | null;
  /** Not defined for mc2 tasks (the harness reports only acc there): null. */
  acc_norm: number | null;
  acc_norm_stderr: number | null;
  /** Set for TruthfulQA mc2 tasks. */
  metric?: 'mc2';
  /** Items naming a subtask (MMLU subjects): each subtask's scores, and the harness groups they form. */
  subtasks?: Record<string, Score>;
  groups?: Record<string, Score>;
  items: ItemResult[];
}

/** Per-subtask and group scores when items name subtasks. */
function withSubtasks(report: MultipleChoiceReport): MultipleChoiceReport {
  if (!report.items.some((r) => r.subtask !== undefined)) return report;
  const subtasks = subtaskScores(
    report.items.map((r) => ({
      subtask: r.subtask,
      values: (r.mc2 !== undefined ? { acc: r.mc2 } : { acc: itemAcc(r), acc_norm: r.pred_norm === r.gold ? 1 : 0 }) as Record<
        string,
        number
      >,
    })),
  );
  return { ...report, subtasks, groups: groupScores(subtasks) };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null);

/** Per-item acc as the harness logs it: mc2 mass, or [argmax == gold]. */
export const itemAcc = (r: ItemResult): number => (r.mc2 !== undefined ? r.mc2 : r.pred === r.gold ? 1 : 0);

export function aggregateMultipleChoice(task: string, items: ItemResult[]): MultipleChoiceReport {
  const acc = items.map(itemAcc);
  if (items.some((r) => r.mc2 !== undefined)) {
    return withSubtasks({
      task,
      n: items.length,
      acc: mean(acc),
      acc_stderr: finiteOrNull(meanStderr(acc)),
      acc_norm: null,
      acc_norm_stderr: null,
      metric: 'mc2',
      items,
    });
  }
  const accNorm = items.map((r) => (r.pred_norm === r.gold ? 1 : 0));
  return withSubtasks({
    task,
    n: items.length,
    acc: mean(acc),
    acc_stderr: finiteOrNull(meanStderr(acc)),
    acc_norm: mean(accNorm),
    acc_norm_stderr: finiteOrNull(meanStderr(accNorm)),
    items,
  });
}

export interface LoglikelihoodItem {
  index: number;
  loglikelihood: number;
  is_greedy: boolean;
  group?: string;
}

export interface LoglikelihoodReport {
  task: string;
  n: number;
  /** Fraction of items whose continuation is the greedy one (LAMBADA last-word accuracy). */
  acc: number;
  acc_stderr: number | null;
  /** exp(-mean loglikelihood) over items (the harness's `perplexity` aggregation). */
  perplexity: number;
  items: LoglikelihoodItem[];
}

export function aggregateLoglikelihood(task: string, items: LoglikelihoodItem[]): LoglikelihoodReport {
  const acc = items.map((r) => (r.is_greedy ? 1 : 0));
  return {
    task,
    n: items.length,
    acc: mean(acc),
    acc_stderr: finiteOrNull(meanStderr(acc)),
    perplexity: Math.exp(-mean(items.map((r) => r.loglikelihood))),
    items,
  };
}
