/**
 * Benchmark-level semantic similarity between a corpus and a benchmark, from sentence-encoder
 * embeddings (lib/encoder): the paper's "semantic similarity" instrument.
 *
 *   centroidCosine   cosine between the mean corpus embedding and the mean benchmark embedding
 *   nnCosine         for each benchmark item, the largest cosine to any corpus text; averaged over items
 *                    (how well the corpus covers the benchmark)
 *   nnCosineReverse  for each corpus text, the largest cosine to any benchmark item; averaged over texts
 *                    (how benchmark-like the corpus is)
 *
 * Cosines of single pairs are scale-free; the centroid uses the embeddings as the encoder returns
 * them (unit vectors for checkpoints with a Normalize module). O(Nc · Nb · d) multiply-adds.
 */
export interface SemanticSimilarity {
  centroidCosine: number;
  nnCosine: number;
  nnCosineReverse: number;
}

function unit(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! * inv;
  return out;
}

function mean(rows: readonly Float32Array[], d: number): Float64Array {
  const m = new Float64Array(d);
  for (const r of rows) for (let i = 0; i < d; i++) m[i] += r[i]! / rows.length;
  return m;
}

function cosine64(a: Float64Array, b: Float64Array): number {
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
}

/** corpus [Nc][d], bench [Nb][d]. NaN for an empty side. */
export function semanticSimilarity(corpus: readonly Float32Array[], bench: readonly Float32Array[]): SemanticSimilarity {
  if (corpus.length === 0 || bench.length === 0) return { centroidCosine: NaN, nnCosine: NaN, nnCosineReverse: NaN };
  const d = corpus[0]!.length;
  const c = corpus.map(unit);
  const b = bench.map(unit);
  const bestForCorpus = new Float64Array(c.length).fill(-Infinity);
  let nn = 0;
  for (const q of b) {
    let best = -Infinity;
    for (let j = 0; j < c.length; j++) {
      const v = c[j]!;
      let s = 0;
      for (let i = 0; i < d; i++) s += q[i]! * v[i]!;
      if (s > best) best = s;
      if (s > bestForCorpus[j]!) bestForCorpus[j] = s;
    }
    nn += best;
  }
  let rev = 0;
  for (const s of bestForCorpus) rev += s;
  return { centroidCosine: cosine64(mean(corpus, d), mean(bench, d)), nnCosine: nn / b.length, nnCosineReverse: rev / c.length };
}
