/**
 * TF-IDF cosine between a corpus and a benchmark's texts.
 *
 * The vocabulary and document frequencies are fitted on both sets together; weights follow
 * scikit-learn's TfidfVectorizer defaults (raw term counts × smooth idf = ln((1 + N) / (1 + df)) + 1,
 * rows L2-normalized), so values are comparable with what users compute there on the same words.
 * Reports the centroid cosine and the mean over benchmark texts of the average cosine to their k
 * most similar corpus texts (sparse dot products through an inverted index).
 */
import { words } from './text';

export interface TfidfOptions {
  /** Neighbours averaged per benchmark text (default 5). */
  k?: number;
  /** Word tokenizer (default: lowercase letter/digit runs). */
  tokenize?: (text: string) => string[];
}

export interface SetSimilarity {
  centroid: number;
  topK: number;
  k: number;
}

type SparseVec = Map<number, number>;

export function tfidfVectors(docs: string[], tokenize: (t: string) => string[] = words): { vectors: SparseVec[]; vocabSize: number } {
  const vocab = new Map<string, number>();
  const counts: SparseVec[] = docs.map((doc) => {
    const m: SparseVec = new Map();
    for (const w of tokenize(doc)) {
      let id = vocab.get(w);
      if (id === undefined) {
        id = vocab.size;
        vocab.set(w, id);
      }
      m.set(id, (m.get(id) ?? 0) + 1);
    }
    return m;
  });
  const df = new Float64Array(vocab.size);
  for (const m of counts) for (const id of m.keys()) df[id]++;
  const n = docs.length;
  const idf = df.map((d) => Math.log((1 + n) / (1 + d)) + 1);
  const vectors = counts.map((m) => {
    let ss = 0;
    for (const [id, c] of m) {
      const w = c * idf[id];
      m.set(id, w);
      ss += w * w;
    }
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (const [id, w] of m) m.set(id, w * inv);
    return m;
  });
  return { vectors, vocabSize: vocab.size };
}

export function tfidfSimilarity(corpus: string[], bench: string[], opts: TfidfOptions = {}): SetSimilarity {
  const k = opts.k ?? 5;
  if (corpus.length === 0 || bench.length === 0) return { centroid: NaN, topK: NaN, k };
  const { vectors } = tfidfVectors([...corpus, ...bench], opts.tokenize);
  const cv = vectors.slice(0, corpus.length);
  const bv = vectors.slice(corpus.length);
  const centroid = (vs: SparseVec[]) => {
    const m: SparseVec = new Map();
    for (const v of vs) for (const [id, w] of v) m.set(id, (m.get(id) ?? 0) + w / vs.length);
    return m;
  };
  const mc = centroid(cv);
  const mb = centroid(bv);
  let dotc = 0;
  for (const [id, w] of mb) dotc += w * (mc.get(id) ?? 0);
  const norm = (m: SparseVec) => Math.sqrt([...m.values()].reduce((s, w) => s + w * w, 0));
  const denom = norm(mc) * norm(mb);
  // Inverted index over the corpus: term → [(doc, weight)].
  const postings = new Map<number, Array<[number, number]>>();
  cv.forEach((v, j) => {
    for (const [id, w] of v) {
      let list = postings.get(id);
      if (!list) postings.set(id, (list = []));
      list.push([j, w]);
    }
  });
  const sims = new Float64Array(cv.length);
  let acc = 0;
  for (const q of bv) {
    sims.fill(0);
    for (const [id, w] of q) for (const [j, wc] of postings.get(id) ?? []) sims[j] += w * wc;
    const sorted = Array.from(sims).sort((a, b) => b - a);
    const m = Math.min(k, sorted.length);
    let s = 0;
    for (let i = 0; i < m; i++) s += sorted[i];
    acc += s / m;
  }
  return { centroid: denom === 0 ? 0 : dotc / denom, topK: acc / bv.length, k };
}
