/**
 * N-gram overlap between a corpus and a benchmark, for n = 1..maxN, over word n-grams (default) or
 * token-id n-grams (pass arrays of ids). Counted over distinct n-grams (types):
 *   benchInCorpus[n] = |G_n(bench) ∩ G_n(corpus)| / |G_n(bench)|  (how much of the benchmark the corpus "covers"),
 *   corpusInBench[n] = |G_n(bench) ∩ G_n(corpus)| / |G_n(corpus)|.
 * N-grams never cross document boundaries.
 */
import { words } from './text';

export interface NgramOverlap {
  n: number;
  benchNgrams: number;
  corpusNgrams: number;
  shared: number;
  benchInCorpus: number;
  corpusInBench: number;
}

export type Units = ReadonlyArray<string | number>;

function ngramSet(docs: Units[], n: number): Set<string> {
  const s = new Set<string>();
  for (const d of docs) for (let i = 0; i + n <= d.length; i++) s.add(d.slice(i, i + n).join('\u0001'));
  return s;
}

export function ngramOverlapUnits(corpus: Units[], bench: Units[], maxN = 4): NgramOverlap[] {
  const out: NgramOverlap[] = [];
  for (let n = 1; n <= maxN; n++) {
    const c = ngramSet(corpus, n);
    const b = ngramSet(bench, n);
    let shared = 0;
    for (const g of b) if (c.has(g)) shared++;
    out.push({
      n,
      benchNgrams: b.size,
      corpusNgrams: c.size,
      shared,
      benchInCorpus: b.size ? shared / b.size : NaN,
      corpusInBench: c.size ? shared / c.size : NaN,
    });
  }
  return out;
}

/** Word n-gram overlap of two sets of texts. */
export function ngramOverlap(corpus: string[], bench: string[], maxN = 4, tokenize: (t: string) => string[] = words): NgramOverlap[] {
  return ngramOverlapUnits(corpus.map(tokenize), bench.map(tokenize), maxN);
}
