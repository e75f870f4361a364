/**
 * `manifest.json` of a corpus directory: what made the corpus (model, tokenizer, start token, every
 * sampling parameter, seed, software version) and which shards are complete, with checksums.
 * It is rewritten atomically after each shard, so it always describes shards that exist.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { ResurfaceError } from '../errors';
import { writeFileAtomic } from '../io/atomic';

export const MANIFEST_FILE = 'manifest.json';
export const CORPUS_FORMAT = 'resurface-corpus';

const shardSchema = z.object({
  file: z.string().regex(/^samples-\d{5}\.jsonl$/),
  index: z.number().int().min(0),
  firstId: z.number().int().min(0),
  /** Records in the file (samples dropped by the post-filter are not). */
  count: z.number().int().min(0),
  tokens: z.number().int().min(0),
  eos: z.number().int().min(0),
  /** `generate --drop-short`: samples of this shard's id range that the post-filter dropped. */
  dropped: z.number().int().min(0).optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export const generationParamsSchema = z.object({
  numSamples: z.number().int().min(1),
  maxNewTokens: z.number().int().min(1),
  temperature: z.number().min(0),
  topK: z.number().int().min(0),
  topP: z.number(),
  minP: z.number(),
  seed: z.number().int().min(0),
  samplesPerShard: z.number().int().min(1),
  dtype: z.string(),
  /** Absent in corpora written before these settings existed: 0 / false / false. */
  minNewTokens: z.number().int().min(0).optional(),
  logprobs: z.boolean().optional(),
  /** The reference pipeline's post-filter (drop empty samples and those under minNewTokens tokens). */
  dropShort: z.boolean().optional(),
});

/**
 * What ran: the compute dtype and why, the device, threads and CPU. Not part of a run's identity
 * (runFingerprint): parts sampled on different machines may merge, a corpus may resume elsewhere —
 * the dtype itself, which changes the samples, is compared through params.dtype.
 */
export const computeSchema = z.object({
  dtype: z.string(),
  /** What was asked for: `auto` or an explicit dtype. */
  requested: z.string(),
  reason: z.string(),
  device: z.string(),
  threads: z.number().int().min(1),
  /** Short CPU summary: model; features; native bf16 or not. */
  cpu: z.string(),
});
export type ComputeRecord = z.infer<typeof computeSchema>;

/** The batch the sampler ran at and whether the samples depend on it (lib/generate/batch-invariance.ts). */
export const batchingSchema = z.object({
  batchSize: z.number().int().min(1),
  batchInvariant: z.boolean(),
  batchInvarianceNote: z.string(),
});
export type BatchingRecord = z.infer<typeof batchingSchema>;

const derivedFromSchema = z.object({ kind: z.enum(['audit', 'subset']), path: z.string(), sourceIds: z.array(z.number().int().min(0)) });
const auditManifestSchema = z.object({
  n: z.number().int().min(1),
  sourceSamples: z.number().int().min(0),
  flaggedIds: z.array(z.number().int().min(0)),
  benchmarks: z.array(
    z.object({
      file: z.string(),
      name: z.string(),
      sha256: z.string(),
      items: z.number().int(),
      flaggedIds: z.array(z.number().int().min(0)),
    }),
  ),
});
const subsetManifestSchema = z.object({
  index: z.number().int().min(0),
  seed: z.number().int().min(0),
  tokenBudget: z.number().int().min(1),
  tokens: z.number().int().min(0),
  /** The reference's estimate of the same draw, Σ floor(chars / 4) (code points, as Python's len). */
  tokensEstimatedChars4: z.number().int().min(0),
});
/** Data-parallel sampling: this directory holds the shards k with k % count === index. */
export const partSchema = z.object({ index: z.number().int().min(0), count: z.number().int().min(1) });
export type CorpusPart = z.infer<typeof partSchema>;

export const manifestSchema = z.object({
  format: z.literal(CORPUS_FORMAT),
  version: z.literal(1),
  software: z.object({ name: z.string(), version: z.string() }),
  model: z.object({
    path: z.string(),
    architecture: z.string(),
    configHash: z.string(),
    /** Cheap fingerprint of the weight files (sizes, headers, first/last bytes): refuses resuming with other weights. */
    weights: z.string().optional(),
  }),
  tokenizer: z.object({ path: z.string(), sha256: z.string() }).nullable(),
  startToken: z.object({
    id: z.number().int(),
    rule: z.enum(['bos', 'document_separator', 'override', 'text']),
    /** The start token as text, or (rule 'text') the --start-text given. */
    text: z.string().nullable(),
    /** rule 'text': the context's token ids. */
    ids: z.array(z.number().int()).optional(),
  }),
  eosIds: z.array(z.number().int()),
  params: generationParamsSchema,
  /** The run that started the corpus (absent in corpora written before it was recorded). */
  compute: computeSchema.optional(),
  /** Absent in corpora written before it was recorded (they do not know their batch size). */
  batching: batchingSchema.optional(),
  /** Other compute settings that wrote shards of this corpus (a resume elsewhere, merged parts), when they differ from compute. */
  computeHistory: z.array(computeSchema).optional(),
  /** Set on one part of a data-parallel run (`generate --shard I/N`); `corpus merge` joins the parts. */
  part: partSchema.optional(),
  /** Set by `corpus retokenize`: the corpus this one was re-encoded from. */
  retokenizedFrom: z.object({ path: z.string(), tokenizer: z.string().nullable() }).optional(),
  /** Set by `corpus audit` / `corpus subset`: record i of this corpus is record sourceIds[i] of the source. */
  derivedFrom: derivedFromSchema.optional(),
  /** Set by `corpus audit`: the decontamination audit that made this corpus (see lib/corpus/audit.ts). */
  audit: auditManifestSchema.optional(),
  /** Set by `corpus subset`: the token-budget draw that made this corpus (see lib/corpus/subset.ts). */
  subset: subsetManifestSchema.optional(),
  shards: z.array(shardSchema),
  counts: z.object({ samples: z.number().int(), tokens: z.number().int(), eos: z.number().int(), dropped: z.number().int().optional() }),
  complete: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export type CorpusManifest = z.infer<typeof manifestSchema>;
export type ShardInfo = z.infer<typeof shardSchema>;
export type GenerationParams = z.infer<typeof generationParamsSchema>;

export function shardFileName(index: number): string {
  return `samples-${String(index).padStart(5, '0')}.jsonl`;
}

export function readManifest(dir: string): CorpusManifest {
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new ResurfaceError('ERR_CORPUS', `${dir} is not a corpus: ${MANIFEST_FILE} not found`, { path: file });
    throw new ResurfaceError('ERR_IO', `cannot read ${file}: ${(err as Error).message}`, { path: file });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ResurfaceError('ERR_CORPUS', `${file} is corrupt (not valid JSON: ${(err as Error).message})`, { path: file });
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ResurfaceError('ERR_CORPUS', `${file} is corrupt: ${issue.path.join('.') || '(root)'}: ${issue.message}`, {
      path: file,
      field: issue.path.join('.'),
    });
  }
  return parsed.data;
}

export async function writeManifest(dir: string, manifest: CorpusManifest): Promise<void> {
  await writeFileAtomic(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Fields that must match for `--resume` to continue a corpus (everything that changes its content). */
export function resumeFingerprint(m: Pick<CorpusManifest, 'params' | 'model' | 'startToken' | 'eosIds' | 'part'>): Record<string, unknown> {
  return { ...runFingerprint(m), part: m.part ?? null };
}

/** What makes two corpora (or two parts of one data-parallel run) samples of the same run. */
export function runFingerprint(m: Pick<CorpusManifest, 'params' | 'model' | 'startToken' | 'eosIds'>): Record<string, unknown> {
  const params = {
    ...m.params,
    minNewTokens: m.params.minNewTokens ?? 0,
    logprobs: m.params.logprobs ?? false,
    dropShort: m.params.dropShort ?? false,
  };
  return {
    ...params,
    configHash: m.model.configHash,
    weights: m.model.weights ?? null,
    startToken: m.startToken.id,
    context: m.startToken.ids ?? [m.startToken.id],
    eosIds: m.eosIds,
  };
}

/** `history` plus `next` unless `next` equals `first` or is already in it (compute records compared as JSON). */
export function addComputeHistory(
  first: ComputeRecord | undefined,
  history: ComputeRecord[] | undefined,
  next: ComputeRecord,
): ComputeRecord[] | undefined {
  const key = (c: ComputeRecord) => JSON.stringify(c, Object.keys(c).sort());
  const seen = new Set([...(first ? [key(first)] : []), ...(history ?? []).map(key)]);
  return seen.has(key(next)) ? history : [...(history ?? []), next];
}

/**
 * The batch-size clash between two runs of one corpus, or null: only when the first says its
 * samples depend on the batch size and the batch sizes differ (runs that did not record it pass).
 */
export function batchSizeClash(a: BatchingRecord | undefined, b: BatchingRecord | undefined): string | null {
  if (!a || !b || a.batchSize === b.batchSize || (a.batchInvariant && b.batchInvariant)) return null;
  return `batch size ${a.batchSize} vs ${b.batchSize} (decoding is not batch-invariant: ${a.batchInvarianceNote})`;
}

/** Corpus totals from its shard list (`dropped` only for corpora written with the post-filter). */
export function countShards(shards: CorpusManifest['shards'], withDropped: boolean): CorpusManifest['counts'] {
  return {
    samples: shards.reduce((a, s) => a + s.count, 0),
    tokens: shards.reduce((a, s) => a + s.tokens, 0),
    eos: shards.reduce((a, s) => a + s.eos, 0),
    ...(withDropped ? { dropped: shards.reduce((a, s) => a + (s.dropped ?? 0), 0) } : {}),
  };
}
