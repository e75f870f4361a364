/**
 * Optional fields any task record may carry beside its kind's own, for the harness's prompt assembly,
 * few-shot sampling, per-subtask scores and multi-label metrics:
 *
 *   "description": str          text before the few-shot examples and the question (MMLU's
 *                               "The following are multiple choice questions (with answers) about X.\n\n")
 *   "subtask": str              the harness task the record belongs to (mmlu_abstract_algebra): scores are
 *                               reported per subtask, few-shot examples come from the same subtask, and
 *                               known groups (mmlu) are aggregated as the harness does
 *   "fewshot_sampler": "default" | "first_n"   the task's few-shot sampler (seeded random.sample, or the
 *                               first n rows of the few-shot split as MMLU and MATH use)
 *   "fewshot_target": str       the answer text when this record is a few-shot example (default: the gold
 *                               choice, or the generation target)
 *   "fewshot_excludes_doc": true  the harness hands the evaluated document to its sampler even when the
 *                               examples come from another split: its `fewshot_split == test_split` holds as
 *                               None == None for tasks with neither (HellaSwag, PIQA, WinoGrande, TruthfulQA),
 *                               so it draws k + 1 examples and drops copies of the document
 *   "labels": [0|1, ...], "metric": "mc2"   TruthfulQA mc2: one label per choice, 1 for a true answer;
 *                               acc = probability mass of the true answers
 *   "doc": {...}                the harness's document (after its process_docs), logged with --log-samples
 */
import { z } from 'zod';

export type FewshotSampler = 'default' | 'first_n';

export interface TaskExtras {
  description?: string;
  subtask?: string;
  fewshotSampler?: FewshotSampler;
  fewshotTarget?: string;
  /** Draw k + 1 and drop the evaluated document even from a separate few-shot split (see above). */
  fewshotExcludesDoc?: boolean;
  /** mc2: per-choice truth labels (1 = true answer). */
  labels?: number[];
  metric?: 'mc2';
  doc?: unknown;
}

const extrasSchema = z.object({
  description: z.string({ error: 'description must be a string' }).optional(),
  subtask: z.string({ error: 'subtask must be a string' }).min(1, { error: 'subtask is empty' }).optional(),
  fewshot_sampler: z.enum(['default', 'first_n'], { error: 'fewshot_sampler must be "default" or "first_n"' }).optional(),
  fewshot_target: z.string({ error: 'fewshot_target must be a string' }).optional(),
  fewshot_excludes_doc: z.boolean({ error: 'fewshot_excludes_doc must be true or false' }).optional(),
  labels: z
    .array(z.union([z.literal(0), z.literal(1)], { error: 'every label must be 0 or 1' }), { error: 'labels must be an array of 0/1' })
    .optional(),
  metric: z.unknown().optional(),
  doc: z.unknown().optional(),
});

/** Validates the optional fields; returns an error message or the parsed extras. `nChoices`: null when the kind has none. */
export function parseTaskExtras(v: Record<string, unknown>, nChoices: number | null): TaskExtras | string {
  const r = extrasSchema.safeParse(v);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    return issue.message.startsWith('Invalid') ? `${issue.path.join('.')}: missing or of the wrong type` : issue.message;
  }
  const d = r.data;
  // `metric` of other record kinds (generation metrics) is theirs to validate
  if (nChoices === null && d.metric !== undefined && d.metric !== 'mc2') d.metric = undefined;
  if (nChoices !== null && d.metric !== undefined && d.metric !== 'mc2')
    return `metric must be "mc2" (the only per-record metric of multiple-choice records), got ${JSON.stringify(d.metric)}`;
  if (d.metric === 'mc2' || d.labels !== undefined) {
    if (nChoices === null) return 'labels / metric "mc2" need a multiple-choice record';
    if (d.labels === undefined) return 'metric "mc2" needs "labels" (1 for each true choice, 0 for each false one)';
    if (d.metric !== 'mc2') return '"labels" is only read with "metric": "mc2"';
    if (d.labels.length !== nChoices) return `labels has ${d.labels.length} entries for ${nChoices} choices`;
    if (!d.labels.includes(1)) return 'labels marks no choice as true';
  }
  const out: TaskExtras = {};
  if (d.description !== undefined) out.description = d.description;
  if (d.subtask !== undefined) out.subtask = d.subtask;
  if (d.fewshot_sampler !== undefined) out.fewshotSampler = d.fewshot_sampler;
  if (d.fewshot_target !== undefined) out.fewshotTarget = d.fewshot_target;
  if (d.fewshot_excludes_doc === true) out.fewshotExcludesDoc = true;
  if (d.labels !== undefined) out.labels = d.labels;
  if (d.metric === 'mc2') out.metric = 'mc2';
  if (d.doc !== undefined) out.doc = d.doc;
  return out;
}
