/**
 * The MATH answer of a solution as the harness's minerva_math `process_docs` computes it
 * (lm_eval/tasks/minerva_math/utils.py): normalize_final_answer(remove_boxed(last_boxed_only_string(solution))).
 * One implementation of the harness's functions lives in answer-extraction.ts; importers use this view.
 */
import { lastBoxedOnlyString, normalizeFinalAnswer, removeBoxed } from './answer-extraction';

export { lastBoxedOnlyString, normalizeFinalAnswer, removeBoxed };

/** The harness's doc["answer"] of a MATH solution; null when the solution has no usable boxed answer. */
export function minervaAnswer(solution: string): string | null {
  const boxed = lastBoxedOnlyString(solution);
  if (boxed === null) return null;
  const inner = removeBoxed(boxed);
  return inner === null ? null : normalizeFinalAnswer(inner);
}
