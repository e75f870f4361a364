/**
 * The lab's pretraining recipe (`lab/recipe.json`): everything `resurface lab pretrain` needs to
 * recreate the shipped checkpoints — the world's options, how each tokenizer is trained, each
 * model's config, initialisation seed and training settings. Validated once here (zod); plain data
 * afterwards.
 *
 *   world       options of generateWorld (world.ts)
 *   tokenizers  name → { corpus, splitDigits, specialToken }: a byte-level BPE trained on that corpus
 *   models      name → { tokenizer, corpus, config (config.json without vocab/special ids),
 *                        init_seed, train (options of train(), in its own names) }
 *   vocab_multiple   vocab_size = tokenizer vocabulary rounded up to this multiple
 *   ship_dtype       dtype of the shipped safetensors (training runs in float32)
 */
import * as fs from 'node:fs';
import { z } from 'zod';
import { ResurfaceError } from '../errors';

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]*$/, 'use letters, digits and "-"');
const corpus = z.enum(['family-a', 'family-b']);

const trainSettings = z.strictObject({
  maxSteps: z.number().int().positive(),
  lr: z.number().positive(),
  schedule: z.enum(['constant', 'linear', 'cosine']),
  warmup: z.number().int().nonnegative(),
  batchSize: z.number().int().positive(),
  seqLen: z.number().int().min(8),
  weightDecay: z.number().nonnegative(),
  gradClip: z.number().nonnegative(),
  betas: z.tuple([z.number().gt(0).lt(1), z.number().gt(0).lt(1)]),
  seed: z.number().int().nonnegative(),
});

export const recipeSchema = z.strictObject({
  format: z.literal('resurface-lab-recipe'),
  version: z.literal(2),
  description: z.string().optional(),
  world: z.strictObject({
    seed: z.number().int().nonnegative(),
    entities: z.number().int().positive(),
    latentShare: z.number().min(0).max(1),
    canaries: z.number().int().positive(),
    canaryLength: z.number().int().positive(),
    documents: z.number().int().positive(),
    skillItems: z.number().int().positive(),
  }),
  tokenizers: z.record(name, z.strictObject({ corpus, splitDigits: z.boolean(), specialToken: z.string().min(1) })),
  vocab_multiple: z.number().int().positive(),
  ship_dtype: z.enum(['bfloat16', 'float16']),
  models: z.record(
    name,
    z.strictObject({
      description: z.string().optional(),
      tokenizer: name,
      corpus,
      config: z.record(z.string(), z.unknown()),
      init_seed: z.number().int().nonnegative(),
      train: trainSettings,
    }),
  ),
});

export type Recipe = z.output<typeof recipeSchema>;
export type RecipeModel = Recipe['models'][string];

export function parseRecipe(raw: unknown, file = 'recipe.json'): Recipe {
  const parsed = recipeSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ResurfaceError('ERR_DATA', `${file}: ${issue.path.join('.') || '(recipe)'}: ${issue.message}`, { file, field: issue.path.join('.') });
  }
  const r = parsed.data;
  for (const [m, decl] of Object.entries(r.models)) {
    if (!(decl.tokenizer in r.tokenizers)) throw new ResurfaceError('ERR_DATA', `${file}: models.${m}.tokenizer: "${decl.tokenizer}" is not a tokenizer of the recipe`, { file });
    for (const k of ['vocab_size', 'bos_token_id', 'eos_token_id']) {
      if (k in decl.config) throw new ResurfaceError('ERR_DATA', `${file}: models.${m}.config.${k}: set by the pretraining from the trained tokenizer; leave it out`, { file });
    }
  }
  return r;
}

export function readRecipe(file: string): Recipe {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ResurfaceError('ERR_DATA', `cannot read the lab recipe ${file}: ${(err as Error).message}`, { file });
  }
  return parseRecipe(raw, file);
}

/** vocab_size for a tokenizer of `n` ids: rounded up to the recipe's multiple (as Pythia pads 50277 → 50304). */
export function paddedVocab(n: number, multiple: number): number {
  return Math.ceil(n / multiple) * multiple;
}
