/**
 * Verbatim extraction, the Pythia memorization protocol: for each sequence, tokens
 * [offset, offset + prefixLen) are the prompt (no BOS added), the model greedily decodes
 * suffixLen tokens, and the score is the fraction of those matching tokens
 * [offset + prefixLen, offset + prefixLen + suffixLen); exact iff all match.
 *
 * Sequences come from JSONL ({"tokens": [...]} or {"text": ...}, tokenized without special tokens)
 * or from a Megatron .bin/.idx pair, optionally restricted to `indices`.
 */
import { ResurfaceError } from '../errors';
import type { Model } from '../model/model';
import type { TextTokenizer } from '../tokenizer/tokenizer';
import { wilsonInterval } from '../stats/describe';
import { parseJsonl, readText } from '../io/jsonl';
import { isMegatronPath, MegatronDataset } from './megatron';
import { greedyExtract } from './scoring';

export interface ExtractionOptions {
  prefixLen: number;
  suffixLen: number;
  offset?: number;
  batchSize?: number;
  /** Seed of the bootstrap interval of the exact-match rate (default 0). */
  seed?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface ExtractionSequence {
  /** Index in the data set (JSONL record or Megatron sequence). */
  index: number;
  /** At least offset + prefixLen + suffixLen tokens (more are not needed). */
  tokens: number[];
}

export interface ExtractionItem {
  index: number;
  score: number;
  exact: boolean;
}

export interface ExtractionReport {
  n: number;
  exact_match_rate: number;
  exact_match_ci: [number, number];
  mean_score: number;
  items: ExtractionItem[];
}

/** Loads the sequences of `data` (JSONL or Megatron) with at least `need` tokens each, clearly failing otherwise. */
export async function loadExtractionData(
  data: string,
  need: number,
  tok: TextTokenizer | null,
  indices?: number[],
): Promise<ExtractionSequence[]> {
  if (isMegatronPath(data)) {
    const ds = MegatronDataset.open(data);
    try {
      const which = indices ?? Array.from({ length: ds.numSequences }, (_, i) => i);
      return which.map((i) => {
        const tokens = ds.get(i, need);
        if (tokens.length < need) {
          throw new ResurfaceError(
            'ERR_DATA',
            `${ds.prefix}: sequence ${i} has ${ds.size(i)} tokens; offset + prefix + suffix needs ${need}`,
          );
        }
        return { index: i, tokens };
      });
    } finally {
      ds.close();
    }
  }
  const records = parseJsonl(readText(data), data, 'ERR_DATA');
  const which = indices ?? records.map((_, i) => i);
  const out: ExtractionSequence[] = [];
  for (const i of which) {
    if (i >= records.length) throw new ResurfaceError('ERR_DATA', `${data}: index ${i} is out of range (${records.length} records)`);
    const { line, value } = records[i]!;
    const v = value as { tokens?: unknown; text?: unknown } | null;
    let tokens: number[];
    if (v && Array.isArray(v.tokens)) {
      if (v.tokens.some((t) => !Number.isInteger(t) || (t as number) < 0)) {
        throw new ResurfaceError('ERR_DATA', `${data}:${line}: "tokens" must hold non-negative integer ids`, { line });
      }
      tokens = v.tokens as number[];
    } else if (v && typeof v.text === 'string') {
      if (!tok) throw new ResurfaceError('ERR_TOKENIZER', `${data}:${line}: a "text" record needs the model's tokenizer`);
      tokens = await tok.encode(v.text, { addSpecialTokens: false });
    } else {
      throw new ResurfaceError('ERR_DATA', `${data}:${line}: expected {"tokens": [...]} or {"text": "..."}`, { line });
    }
    if (tokens.length < need) {
      throw new ResurfaceError(
        'ERR_DATA',
        `${data}:${line}: sequence has ${tokens.length} tokens; offset + prefix + suffix needs ${need}`,
        { line },
      );
    }
    out.push({ index: i, tokens: tokens.slice(0, need) });
  }
  return out;
}

/** Fraction of positions where `gen` equals `truth`. */
export function matchScore(gen: ArrayLike<number>, truth: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < truth.length; i++) if (gen[i] === truth[i]) m++;
  return m / truth.length;
}

export async function runExtraction(model: Model, seqs: ExtractionSequence[], o: ExtractionOptions): Promise<ExtractionReport> {
  const offset = o.offset ?? 0;
  const items: ExtractionItem[] = [];
  const CHUNK = 512;
  for (let s = 0; s < seqs.length; s += CHUNK) {
    const chunk = seqs.slice(s, s + CHUNK);
    const prompts = chunk.map((q) => q.tokens.slice(offset, offset + o.prefixLen));
    const gens = await greedyExtract(model, prompts, o.suffixLen, { batchSize: o.batchSize });
    chunk.forEach((q, k) => {
      const truth = q.tokens.slice(offset + o.prefixLen, offset + o.prefixLen + o.suffixLen);
      const score = matchScore(gens[k]!, truth);
      items.push({ index: q.index, score, exact: score === 1 });
    });
    o.onProgress?.(Math.min(s + CHUNK, seqs.length), seqs.length);
  }
  const k = items.filter((it) => it.exact).length;
  const n = items.length;
  // Wilson score interval: right for a proportion, and unlike a bootstrap it does not collapse to
  // [0, 0] when no sequence is extracted (the common case after self-training).
  const ci = n ? wilsonInterval(k, n, 0.95) : { lo: Number.NaN, hi: Number.NaN };
  return {
    n,
    exact_match_rate: n ? k / n : Number.NaN,
    exact_match_ci: [ci.lo, ci.hi] as [number, number],
    mean_score: n ? items.reduce((a, it) => a + it.score, 0) / n : Number.NaN,
    items,
  };
}
