/**
 * The paper's source roles, relative to a student:
 *   self              the student sampled from itself
 *   same-lineage      same family and pretraining recipe (e.g. Qwen2.5-7B for Qwen2.5-0.5B)
 *   different-recipe  same family, another recipe (e.g. Qwen3-8B-Base for Qwen2.5-0.5B)
 *   cross-family      another family (architecture, tokenizer, data mixture)
 *   forgetting-control natural text of the student's own pretraining distribution, same token budget
 * A model's recipe defaults to its family, so without `recipe` labels same family = same lineage.
 */
import type { TrainedRun } from '../report/results';

export type SourceRole = 'self' | 'same-lineage' | 'different-recipe' | 'cross-family' | 'forgetting-control';

/** What a role depends on: the two models' family and recipe labels, and whether the run is a control. */
export type RoleInput = Pick<
  TrainedRun,
  'student' | 'source' | 'studentFamily' | 'sourceFamily' | 'studentRecipe' | 'sourceRecipe' | 'control'
>;

export function roleOf(r: RoleInput): SourceRole {
  if (r.control === 'forgetting') return 'forgetting-control';
  if (r.student === r.source) return 'self';
  if (r.studentFamily !== r.sourceFamily) return 'cross-family';
  return (r.studentRecipe ?? r.studentFamily) === (r.sourceRecipe ?? r.sourceFamily) ? 'same-lineage' : 'different-recipe';
}

/** Display order of roles in tables. */
export const ROLE_ORDER: readonly SourceRole[] = ['self', 'same-lineage', 'different-recipe', 'cross-family', 'forgetting-control'];
