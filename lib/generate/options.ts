/** Options of prompt-free generation, validated once at the boundary (library and CLI). */
import { z } from 'zod';
import { ArgumentError } from '../errors';

export const samplingSchema = z
  .object({
    /** 0 = greedy. */
    temperature: z.number().min(0, 'temperature must be >= 0').max(100).default(1),
    /** 0 = off. */
    topK: z.number().int().min(0, 'topK must be >= 0').default(0),
    /** 1 = off. */
    topP: z.number().gt(0, 'topP must be in (0, 1]').max(1, 'topP must be in (0, 1]').default(1),
    /** 0 = off. */
    minP: z.number().min(0, 'minP must be in [0, 1)').lt(1, 'minP must be in [0, 1)').default(0),
  })
  .strict();

export type SamplingOptions = z.input<typeof samplingSchema>;
export type ResolvedSampling = z.output<typeof samplingSchema>;

export const generateSchema = samplingSchema.extend({
  numSamples: z.number().int().min(1, 'numSamples must be >= 1'),
  maxNewTokens: z.number().int().min(1, 'maxNewTokens must be >= 1'),
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  batchSize: z.union([z.number().int().min(1, 'batchSize must be >= 1'), z.literal('auto')]).default('auto'),
  /** Overrides the start-token rule (BOS, else the document separator). */
  startToken: z.number().int().min(0).optional(),
  /** Alternative to startToken: this text, tokenized (special tokens in it recognised), is the context. */
  startText: z.string().min(1, 'startText must not be empty').optional(),
  /** EOS and every other stop token are masked until a sample has this many tokens (vLLM min_tokens). */
  minNewTokens: z.number().int().min(0, 'minNewTokens must be >= 0').default(0),
  /** Return the untempered log-probability of every generated token (and of the stop token). */
  logprobs: z.boolean().default(false),
});

export type GenerateOptions = z.input<typeof generateSchema> & {
  onProgress?: (p: GenerationProgress) => void;
  signal?: AbortSignal;
};
export type ResolvedGenerateOptions = z.output<typeof generateSchema>;

export interface GenerationProgress {
  samplesDone: number;
  samplesTotal: number;
  tokensGenerated: number;
  tokensPerSecond: number;
  elapsedSeconds: number;
  etaSeconds: number | null;
}

/** Validates the generation fields of `options` (other keys — callbacks, corpus settings — are ignored). */
export function resolveGenerateOptions(options: unknown): ResolvedGenerateOptions {
  const all = (options ?? {}) as Record<string, unknown>;
  const fields = Object.fromEntries(
    Object.keys(generateSchema.shape)
      .filter((k) => all[k] !== undefined)
      .map((k) => [k, all[k]]),
  );
  const parsed = generateSchema.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ArgumentError(`invalid generation option ${issue.path.join('.') || '(options)'}: ${issue.message}`, {
      field: issue.path.join('.'),
    });
  }
  const o = parsed.data;
  if (o.minNewTokens > o.maxNewTokens) {
    throw new ArgumentError(`minNewTokens ${o.minNewTokens} exceeds maxNewTokens ${o.maxNewTokens}`, { field: 'minNewTokens' });
  }
  if (o.startText !== undefined && o.startToken !== undefined) {
    throw new ArgumentError('startText and startToken are alternatives: give one of them', { field: 'startText' });
  }
  return o;
}
