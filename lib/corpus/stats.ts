/**
 * `corpus stats`: what an unconditional corpus looks like — sizes, length distribution, EOS rate,
 * distinct-n (diversity), repetition (degeneracy), most frequent tokens.
 */
import type { CorpusRecord } from './shard';

export interface CorpusStats {
  samples: number;
  tokens: number;
  emptySamples: number;
  eosRate: number;
  length: { mean: number; min: number; p10: number; p50: number; p90: number; max: number };
  /** distinct n-grams / total n-grams over the corpus, n = 1..4 */
  distinct: Record<'1' | '2' | '3' | '4', number>;
  /** mean over samples of the fraction of 4-grams that repeat an earlier 4-gram of the same sample */
  repetitionRate: number;
  topTokens: Array<{ id: number; count: number; share: number; text?: string }>;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos),
    hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function computeCorpusStats(records: Iterable<CorpusRecord>, topK = 20): CorpusStats {
  const lengths: number[] = [];
  let eos = 0,
    empty = 0,
    tokens = 0,
    repSum = 0;
  const grams = [new Set<string>(), new Set<string>(), new Set<string>(), new Set<string>()];
  const totals = [0, 0, 0, 0];
  const freq = new Map<number, number>();
  for (const r of records) {
    const t = r.tokens;
    lengths.push(t.length);
    tokens += t.length;
    if (r.finish_reason === 'eos') eos++;
    if (t.length === 0) empty++;
    for (const id of t) freq.set(id, (freq.get(id) ?? 0) + 1);
    for (let n = 1; n <= 4; n++) {
      for (let i = 0; i + n <= t.length; i++) {
        grams[n - 1]!.add(t.slice(i, i + n).join(','));
        totals[n - 1]!++;
      }
    }
    const seen = new Set<string>();
    let repeats = 0,
      count = 0;
    for (let i = 0; i + 4 <= t.length; i++) {
      const g = t.slice(i, i + 4).join(',');
      if (seen.has(g)) repeats++;
      seen.add(g);
      count++;
    }
    repSum += count > 0 ? repeats / count : 0;
  }
  const sorted = [...lengths].sort((a, b) => a - b);
  const top = [...freq.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, topK);
  const n = lengths.length;
  return {
    samples: n,
    tokens,
    emptySamples: empty,
    eosRate: n ? eos / n : 0,
    length: {
      mean: n ? tokens / n : 0,
      min: sorted[0] ?? 0,
      p10: quantile(sorted, 0.1),
      p50: quantile(sorted, 0.5),
      p90: quantile(sorted, 0.9),
      max: sorted[n - 1] ?? 0,
    },
    distinct: {
      '1': totals[0] ? grams[0]!.size / totals[0]! : 0,
      '2': totals[1] ? grams[1]!.size / totals[1]! : 0,
      '3': totals[2] ? grams[2]!.size / totals[2]! : 0,
      '4': totals[3] ? grams[3]!.size / totals[3]! : 0,
    },
    repetitionRate: n ? repSum / n : 0,
    topTokens: top.map(([id, count]) => ({ id, count, share: tokens ? count / tokens : 0 })),
  };
}
