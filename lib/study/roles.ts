/**
 * The paper's source roles, relative to a student:
 *   self              the student sampled from itself
 *   same-lineage      same family and pretraining recipe (e.g. Qwen2.5-7B for Qwen2.5-0.5B)
 *   different-recipe  same family, another recipe (e.g. Qwen3-8B-Base for Qwen2.5-0.5B)
 *   cross-family      another family (architecture, tokenizer, data mixture)
 *   forgetting-control natural text of the student's own pretraining distribution, same token budget
 * A model's recipe defaults to its family, so without `recipe` labels same family = same lineage.
 */
export type SourceRole = 'self' | 'same-lineage' | 'different-recipe' | 'cross-family' | 'forgetting-control';

export interface RoleInput {
  student: string;
  source: string;
  studentFamily: string;
  sourceFamily: string;
  studentRecipe?: string;
  sourceRecipe?: string;
  /** Set for control runs: the source is a natural-text corpus, not a model. */
  control?: 'forgetting';
}

export function roleOf(r: RoleInput): SourceRole {
  if (r.control === 'forgetting') return 'forgetting-control';
  if (r.student === r.source) return 'self';
  if (r.studentFamily !== r.sourceFamily) return 'cross-family';
  return (r.studentRecipe ?? r.studentFamily) === (r.sourceRecipe ?? r.sourceFamily) ? 'same-lineage' : 'different-recipe';
}

/** Display order of roles in tables. */
export const ROLE_ORDER: readonly SourceRole[] = ['self', 'same-lineage', 'different-recipe', 'cross-family', 'forgetting-control'];
