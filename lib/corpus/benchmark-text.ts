/**
 * The text of a benchmark item that the decontamination audit fingerprints. The reference
 * (VITA-Group/latent-capability-resurfacing, src/audit.py, `load_*`) joins an item's fields with
 * single spaces and fingerprints the whole string, so n-grams DO cross field boundaries:
 *   ARC        question + " " + " ".join(choices.text)
 *   GSM8K      question + " " + answer
 *   HellaSwag  activity_label + " " + ctx + " " + " ".join(endings)
 *   MMLU       question + " " + " ".join(choices)
 *   TruthfulQA question + " " + " ".join(mc1_targets.choices)
 *   MATH       problem + " " + solution
 *   HumanEval  prompt + " " + canonical_solution
 * Our task files hold those fields as context / choices / continuation, so the same join is made
 * from them. One difference: an imported context may carry the harness's prompt template
 * ("Question: … Answer:"), whose few template words then also enter n-grams (see README,
 * "Reproducing the paper").
 */
import type { TaskItem } from '../eval/task-file';

/** Every text field of a task item, in reading order, joined by " " (a new task kind adds its fields here). */
export function benchmarkItemText(item: TaskItem): string {
  switch (item.kind) {
    case 'multiple_choice':
      return [item.context, ...item.choices].join(' ');
    case 'partial':
      return [item.context, ...item.choices, item.continuation].join(' ');
    case 'loglikelihood':
      return [item.context, item.continuation].join(' ');
    case 'generate':
      // the question and its reference answers (pass@k: the test program, as the reference audits
      // HumanEval's prompt + canonical solution only when the task file carries it as a target)
      return [item.context, ...(item.generate?.targets ?? [])].join(' ');
    default: {
      const never: never = item.kind;
      throw new Error(`benchmarkItemText: unknown task kind ${String(never)}`);
    }
  }
}
