/**
 * One shard `samples-NNNNN.jsonl`: a JSON record a line, ids contiguous. Written atomically; read
 * back with every line validated, so a truncated or edited shard is an error naming the line.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { ResurfaceError } from '../errors';
import { writeFileAtomic } from '../io/atomic';

export interface CorpusRecord {
  id: number;
  text: string;
  tokens: number[];
  num_tokens: number;
  finish_reason: 'eos' | 'length';
  /** `generate --logprobs`: log-probability of each generated token under the model, untempered (float32). */
  logprobs?: number[];
  /** `generate --logprobs`: −mean(logprobs), the sample's mean negative log-likelihood. */
  mean_nll?: number;
}

const recordSchema = z.object({
  id: z.number().int().min(0),
  text: z.string(),
  tokens: z.array(z.number().int().min(0)),
  num_tokens: z.number().int().min(0),
  finish_reason: z.enum(['eos', 'length']),
  logprobs: z.array(z.number()).optional(),
  mean_nll: z.number().optional(),
});

export function serializeShard(records: readonly CorpusRecord[]): string {
  if (records.length === 0) return ''; // every sample of the shard dropped by the post-filter
  return (
    records
      .map((r) => {
        const base = { id: r.id, text: r.text, tokens: r.tokens, num_tokens: r.num_tokens, finish_reason: r.finish_reason };
        return JSON.stringify(r.logprobs === undefined ? base : { ...base, logprobs: r.logprobs, mean_nll: r.mean_nll });
      })
      .join('\n') + '\n'
  );
}

/**
 * The shortest decimal that reads back (through Math.fround) as the same float32: logprobs are
 * float32 values, and their double expansion (-2.3456789255142212) would double the shard size.
 */
export function float32Shortest(v: number): number {
  const f = Math.fround(v);
  if (!Number.isFinite(f)) return f;
  for (let p = 6; p < 9; p++) {
    const c = Number(f.toPrecision(p));
    if (Math.fround(c) === f) return c;
  }
  return Number(f.toPrecision(9));
}

export function sha256(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

export async function writeShard(dir: string, file: string, records: readonly CorpusRecord[]): Promise<{ sha256: string }> {
  const text = serializeShard(records);
  await writeFileAtomic(path.join(dir, file), text);
  return { sha256: sha256(text) };
}

/** Reads and validates a shard; when `expectedSha256` is given the bytes must match it. */
export function readShard(dir: string, file: string, expectedSha256?: string): CorpusRecord[] {
  const full = path.join(dir, file);
  let text: string;
  try {
    text = fs.readFileSync(full, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ResurfaceError(
      'ERR_CORPUS',
      code === 'ENOENT' ? `shard ${full} is missing` : `cannot read shard ${full}: ${(err as Error).message}`,
      { path: full },
    );
  }
  if (expectedSha256 && sha256(text) !== expectedSha256) {
    throw new ResurfaceError('ERR_CORPUS', `shard ${full} does not match its checksum in manifest.json (truncated or modified)`, {
      path: full,
    });
  }
  if (text === '') return [];
  if (!text.endsWith('\n')) throw new ResurfaceError('ERR_CORPUS', `shard ${full} is truncated (no final newline)`, { path: full });
  const lines = text.slice(0, -1).split('\n');
  return lines.map((line, i) => {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new ResurfaceError('ERR_CORPUS', `${full}:${i + 1}: not valid JSON (truncated or corrupt line)`, { path: full, line: i + 1 });
    }
    const parsed = recordSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ResurfaceError('ERR_CORPUS', `${full}:${i + 1}: ${issue.path.join('.')}: ${issue.message}`, { path: full, line: i + 1 });
    }
    return parsed.data;
  });
}
