/**
 * Task files: one item a line, lm-evaluation-harness semantics as data.
 *
 *   multiple choice   {"context": str, "choices": [str, ...], "gold": int, "target_delimiter"?: str}
 *                     request i = (context, delimiter + choices[i])
 *   partial scoring   {"context"?: str, "choices": [str, ...], "continuation": str, "gold": int, "target_delimiter"?: str}
 *                     (WinoGrande) request i = (context + choices[i], delimiter + continuation)
 *   loglikelihood     {"context": str, "continuation": str}
 *                     (LAMBADA) one request (context, continuation); acc = is_greedy, perplexity
 *   generate          {"context": str, "until": [str, ...], "target": str | "targets": [str, ...], ...}
 *                     (GSM8K, MATH, HumanEval: the harness's generate_until) detected by the `until` key;
 *                     fields in generate-spec.ts (GENERATE_RECORD_FIELDS), documented there in full.
 *
 * The default delimiter is " ". Any record may name its cluster, `"group": str` (the entity, passage or
 * template it shares with other items), which the report's clustered bootstrap resamples as a unit.
 * Optional prompt / few-shot / mc2 fields any record may carry are described in task-extras.ts.
 * Extra keys (ids, metadata) are kept out of the way. All records of a file must be of one kind.
 * Every error names the file and line (ERR_TASK).
 */
import * as path from 'node:path';
import { z } from 'zod';
import { ResurfaceError } from '../errors';
import { parseJsonl, readText } from '../io/jsonl';
import { parseTaskExtras, type TaskExtras } from './task-extras';
import { aggregationKey, parseGenerateSpec, type GenerateSpec } from './generate-spec';

export type TaskKind = 'multiple_choice' | 'partial' | 'loglikelihood' | 'generate';

export interface TaskItem extends TaskExtras {
  /** 0-based position in the file's records. */
  index: number;
  line: number;
  kind: TaskKind;
  context: string;
  choices: string[];
  /** Partial scoring and loglikelihood: the scored text. */
  continuation: string;
  gold: number;
  targetDelimiter: string;
  /** The item's cluster (entity, passage, template) for clustered statistics; absent when not named. */
  group?: string;
  /** Generate records only: stop strings, targets, generation and metric settings. */
  generate?: GenerateSpec;
}

export interface TaskFile {
  name: string;
  kind: TaskKind;
  items: TaskItem[];
}

const choicesSchema = z
  .array(z.string({ error: 'every choice must be a string' }), { error: 'choices must be an array of strings' })
  .min(1, { error: 'choices is empty' })
  .superRefine((cs, ctx) => {
    cs.forEach((c, i) => {
      if (c.length === 0)
        ctx.addIssue({ code: 'custom', message: `choice ${i} is the empty string (acc_norm divides by its length)`, path: [i] });
    });
  });
const goldSchema = z
  .number({ error: 'gold must be an integer' })
  .int({ error: 'gold must be an integer' })
  .nonnegative({ error: 'gold must be >= 0' });
const delimSchema = z.string({ error: 'target_delimiter must be a string' }).optional();
const groupSchema = z.union([z.string(), z.number()], { error: 'group must be a string or a number' }).optional();

const mcSchema = z.object({
  context: z.string({ error: 'context must be a string' }),
  choices: choicesSchema,
  gold: goldSchema,
  target_delimiter: delimSchema,
  group: groupSchema,
});
const partialSchema = z.object({
  context: z.string({ error: 'context must be a string' }).optional(),
  choices: choicesSchema,
  continuation: z.string({ error: 'continuation must be a string' }).min(1, { error: 'continuation is empty' }),
  gold: goldSchema,
  target_delimiter: delimSchema,
  group: groupSchema,
});
const llSchema = z.object({
  context: z.string({ error: 'context must be a string' }),
  continuation: z.string({ error: 'continuation must be a string' }).min(1, { error: 'continuation is empty' }),
  group: groupSchema,
});

function kindOf(v: Record<string, unknown>): TaskKind | null {
  if ('until' in v) return 'generate';
  if ('choices' in v || 'gold' in v) return 'continuation' in v ? 'partial' : 'multiple_choice';
  if ('continuation' in v) return 'loglikelihood';
  return null;
}

/** Validates one parsed record. `where` is "file:line" for messages. */
export function parseTaskRecord(value: unknown, index: number, line: number, where: string): TaskItem {
  const fail = (msg: string): never => {
    throw new ResurfaceError('ERR_TASK', `${where}: ${msg}`, { line });
  };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail('a task record must be a JSON object');
  const v = value as Record<string, unknown>;
  const found = kindOf(v);
  if (found === null) {
    return fail(
      'not a task record: expected {"context", "choices", "gold"} (multiple choice), {"choices", "continuation", "gold"} (partial scoring) ' +
        'or {"context", "continuation"} (loglikelihood) or {"context", "until", "target"} (generate). Raw benchmark rows are converted with `resurface task import --format ...`',
    );
  }
  const kind: TaskKind = found;
  if (kind === 'generate') {
    const context = v.context;
    if (typeof context !== 'string') fail('context: missing or of the wrong type (a generate record needs a string context)');
    const group = v.group;
    if (group !== undefined && typeof group !== 'string' && typeof group !== 'number') fail('group must be a string or a number');
    const generate = parseGenerateSpec(v, fail);
    return {
      index,
      line,
      kind,
      context: context as string,
      choices: [],
      continuation: '',
      gold: 0,
      targetDelimiter: ' ',
      ...(group !== undefined ? { group: String(group) } : {}),
      ...(v.doc !== undefined ? { doc: v.doc } : {}), // the harness's document, for --log-samples
      generate,
    };
  }
  const schema = kind === 'multiple_choice' ? mcSchema : kind === 'partial' ? partialSchema : llSchema;
  const r = schema.safeParse(v);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const field = issue.path.length ? issue.path.join('.') : '';
    const msg =
      issue.code === 'invalid_type' && issue.message.startsWith('Invalid') ? `${field}: missing or of the wrong type` : issue.message;
    fail(field && !msg.startsWith(field.split('.')[0]!) ? `${field}: ${msg}` : msg);
  }
  const d = r.data as {
    context?: string;
    choices?: string[];
    continuation?: string;
    gold?: number;
    target_delimiter?: string;
    group?: string | number;
  };
  const choices = d.choices ?? [];
  const gold = d.gold ?? 0;
  if (kind !== 'loglikelihood' && gold >= choices.length) fail(`gold ${gold} is out of range for ${choices.length} choices`);
  const extras = parseTaskExtras(v, kind === 'multiple_choice' ? choices.length : null);
  if (typeof extras === 'string') fail(extras);
  return {
    ...(extras as TaskExtras),
    index,
    line,
    kind,
    context: d.context ?? '',
    choices,
    continuation: d.continuation ?? '',
    gold,
    targetDelimiter: d.target_delimiter ?? ' ',
    ...(d.group !== undefined ? { group: String(d.group) } : {}),
  };
}

/** Reads and validates a task file (JSONL). `limit`: keep the first N items. */
export function readTaskFile(file: string, options: { limit?: number } = {}): TaskFile {
  const records = parseJsonl(readText(file), file, 'ERR_TASK');
  if (records.length === 0) throw new ResurfaceError('ERR_TASK', `${file}: no task records`, { path: file });
  const items: TaskItem[] = [];
  const n = options.limit !== undefined ? Math.min(options.limit, records.length) : records.length;
  for (let i = 0; i < n; i++) {
    const { line, value } = records[i]!;
    const item = parseTaskRecord(value, i, line, `${file}:${line}`);
    if (items.length > 0 && item.kind !== items[0]!.kind) {
      throw new ResurfaceError(
        'ERR_TASK',
        `${file}:${line}: a ${item.kind} record in a ${items[0]!.kind} task file (line ${items[0]!.line}); one kind per file`,
        { line },
      );
    }
    if (item.generate && items.length > 0 && aggregationKey(item.generate) !== aggregationKey(items[0]!.generate!)) {
      throw new ResurfaceError(
        'ERR_TASK',
        `${file}:${line}: metric, filter and k differ from line ${items[0]!.line}; the records of a file are scored together`,
        { line },
      );
    }
    items.push(item);
  }
  return { name: path.basename(file).replace(/\.jsonl?$/i, ''), kind: items[0]!.kind, items };
}
