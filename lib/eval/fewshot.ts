/**
 * Prompt assembly with few-shot examples, as lm-evaluation-harness 0.4 `ConfigurableTask.fewshot_context`
 * builds it for plain-text (non-chat) models:
 *
 *   context = description + Σ_examples (doc_to_text(ex) + target_delimiter + answer(ex) + fewshot_delimiter) + doc_to_text(doc)
 *
 * with fewshot_delimiter "\n\n", target_delimiter " " (the evaluated item's), answer(ex) the gold choice
 * (multiple choice), the continuation (partial scoring: the example's text is its gold-filled context),
 * or the target (generation; `fewshot_target` overrides). Examples come from the few-shot split — a second
 * task file — or from the task file itself, drawn per task (each `subtask` its own task) by the harness's
 * samplers:
 *
 *   default   one `random.Random(seed)` per task (seed 1234, `--fewshot_random_seed`), advanced document by
 *             document in file order: `sample(pool, k)`; from the evaluated split itself (or for records marked
 *             `fewshot_excludes_doc`, as the harness treats HellaSwag/PIQA/WinoGrande/TruthfulQA) `sample(pool, k + 1)`
 *             with copies of the current document removed, first k kept (a resample without it if too few)
 *   first_n   the first k rows of the pool (MMLU's dev split, MATH's four fixed examples), the current
 *             document removed when the pool is the evaluated split
 *
 * A few-shot pool whose records name no subtask serves every subtask. k larger than what the pool can
 * give is an error (ERR_FEWSHOT), as the harness's `random.sample` / assertion refuses it.
 */
import { ResurfaceError } from '../errors';
import { PythonRandom } from '../util/python-random';
import type { TaskItem } from './task-file';

export const FEWSHOT_DELIMITER = '\n\n';
export const DEFAULT_FEWSHOT_SEED = 1234;

export interface FewshotOptions {
  /** Examples per prompt (0: zero-shot; the description still applies). */
  numFewshot: number;
  /** The few-shot split's items; absent: the evaluated items themselves (same split). */
  pool?: readonly TaskItem[];
  /** The pool is the evaluated split (e.g. the whole file when only its first N items are evaluated). */
  sameSplit?: boolean;
  /** The harness's fewshot_random_seed (default 1234). */
  seed?: number;
  /** Name for messages (the task file). */
  name?: string;
}

type Loose = TaskItem & { target?: unknown; targets?: unknown; generate?: { targets?: unknown } };

/** The answer text of an item used as a few-shot example. */
export function fewshotAnswer(item: TaskItem): string {
  if (item.fewshotTarget !== undefined) return item.fewshotTarget;
  const loose = item as Loose;
  if (typeof loose.target === 'string') return loose.target;
  if (Array.isArray(loose.targets) && typeof loose.targets[0] === 'string') return loose.targets[0];
  const gen = loose.generate?.targets; // generate records (the generate kind's parsed spec)
  if (Array.isArray(gen) && typeof gen[0] === 'string') return gen[0];
  if (item.kind === 'partial' || item.kind === 'loglikelihood') return item.continuation;
  return item.choices[item.gold]!;
}

/** The text of one few-shot example, delimiters included. */
export function fewshotExample(example: TaskItem, targetDelimiter: string): string {
  switch (example.kind) {
    case 'partial':
      return `${example.context}${example.choices[example.gold]!}${targetDelimiter}${fewshotAnswer(example)}${FEWSHOT_DELIMITER}`;
    case 'loglikelihood':
      return `${example.context}${fewshotAnswer(example)}${FEWSHOT_DELIMITER}`; // the continuation carries its own space
    default:
      return `${example.context}${targetDelimiter}${fewshotAnswer(example)}${FEWSHOT_DELIMITER}`;
  }
}

/** What the harness compares (`x != doc`) when it removes the current document from its draws. */
function docKey(item: TaskItem): string {
  const loose = item as Loose;
  return JSON.stringify(
    item.doc !== undefined
      ? item.doc
      : [
          item.kind,
          item.context,
          item.choices,
          item.gold,
          item.continuation,
          loose.target ?? null,
          loose.targets ?? null,
          loose.generate?.targets ?? null,
        ],
  );
}

class TaskSampler {
  private readonly rnd: PythonRandom;
  private readonly keys: string[];

  constructor(
    private readonly pool: readonly TaskItem[],
    private readonly kind: 'default' | 'first_n',
    seed: number,
    private readonly where: string,
  ) {
    this.rnd = new PythonRandom(seed);
    this.keys = pool.map(docKey);
  }

  sample(k: number, evalDoc: TaskItem | null): TaskItem[] {
    if (k === 0) return [];
    const evalKey = evalDoc ? docKey(evalDoc) : null;
    const idx = this.pool.map((_, i) => i);
    if (this.kind === 'first_n') {
      const usable = evalKey === null ? idx : idx.filter((i) => this.keys[i] !== evalKey);
      if (k > usable.length) this.tooFew(k, usable.length);
      return usable.slice(0, k).map((i) => this.pool[i]!);
    }
    if (evalKey === null) {
      if (k > idx.length) this.tooFew(k, idx.length);
      return this.rnd.sample(idx, k).map((i) => this.pool[i]!);
    }
    if (k + 1 > idx.length)
      this.tooFew(k, idx.length - 1, ' (drawn from the evaluated split itself: k + 1 rows are sampled and the current one removed)');
    let res = this.rnd
      .sample(idx, k + 1)
      .filter((i) => this.keys[i] !== evalKey)
      .slice(0, k);
    if (res.length < k) {
      const others = idx.filter((i) => this.keys[i] !== evalKey);
      if (k > others.length) this.tooFew(k, others.length);
      res = this.rnd.sample(others, k);
    }
    return res.map((i) => this.pool[i]!);
  }

  private tooFew(k: number, have: number, why = ''): never {
    throw new ResurfaceError(
      'ERR_FEWSHOT',
      `${this.where}: ${k}-shot needs ${k} few-shot examples but the few-shot split offers ${Math.max(have, 0)}${why}`,
      {
        numFewshot: k,
        available: Math.max(have, 0),
      },
    );
  }
}

/**
 * Items whose context is the full harness prompt (description, examples, question); the description is
 * folded in. Zero-shot items only get their description prepended.
 */
export function applyPrompts(items: readonly TaskItem[], options: FewshotOptions = { numFewshot: 0 }): TaskItem[] {
  const k = options.numFewshot;
  if (!Number.isInteger(k) || k < 0) throw new ResurfaceError('ERR_FEWSHOT', `num_fewshot must be a non-negative integer, got ${k}`);
  const sameSplit = options.pool === undefined || options.sameSplit === true;
  const pool = options.pool ?? items;
  const where = options.name ?? 'task';
  if (k > 0 && pool.length === 0) throw new ResurfaceError('ERR_FEWSHOT', `${where}: ${k}-shot needs a few-shot split, and it is empty`);
  const poolBySubtask = pool.some((p) => p.subtask !== undefined);
  const samplers = new Map<string, TaskSampler>();
  const samplerFor = (item: TaskItem): TaskSampler => {
    const key = item.subtask ?? '';
    let s = samplers.get(key);
    if (!s) {
      const mine = poolBySubtask ? pool.filter((p) => (p.subtask ?? '') === key) : pool;
      s = new TaskSampler(
        mine,
        item.fewshotSampler ?? 'default',
        options.seed ?? DEFAULT_FEWSHOT_SEED,
        item.subtask ? `${where} (${item.subtask})` : where,
      );
      samplers.set(key, s);
    }
    return s;
  };
  return items.map((item) => {
    const examples = k > 0 ? samplerFor(item).sample(k, sameSplit || item.fewshotExcludesDoc ? item : null) : [];
    const prefix = (item.description ?? '') + examples.map((e) => fewshotExample(e, item.targetDelimiter)).join('');
    const { description: _d, ...rest } = item;
    return prefix === '' ? { ...rest } : { ...rest, context: prefix + item.context };
  });
}
