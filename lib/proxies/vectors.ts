/** Dense-vector cosine helpers for the embedding proxy. */

export function l2normalize(v: Float32Array | Float64Array): Float64Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] * inv;
  return out;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const na = Math.sqrt(dot(a, a));
  const nb = Math.sqrt(dot(b, b));
  return na === 0 || nb === 0 ? 0 : dot(a, b) / (na * nb);
}

/** Mean of the k largest values (all of them when fewer than k). */
export function meanTopK(values: ArrayLike<number>, k: number): number {
  const sorted = Array.from(values).sort((a, b) => b - a);
  const m = Math.min(k, sorted.length);
  if (m === 0) return NaN;
  let s = 0;
  for (let i = 0; i < m; i++) s += sorted[i];
  return s / m;
}

/**
 * Centroid similarity (cosine between the mean unit vectors of the two sets) and the mean over
 * benchmark items of the average cosine to their k nearest corpus items.
 * Shapes: corpus [Nc][d], bench [Nb][d], any scale (rows are normalized here).
 */
export function setSimilarity(corpus: ArrayLike<number>[], bench: ArrayLike<number>[], k: number): { centroid: number; topK: number } {
  if (corpus.length === 0 || bench.length === 0) return { centroid: NaN, topK: NaN };
  const d = corpus[0].length;
  const c = corpus.map((v) => l2normalize(Float64Array.from(v)));
  const b = bench.map((v) => l2normalize(Float64Array.from(v)));
  const mc = new Float64Array(d);
  const mb = new Float64Array(d);
  for (const v of c) for (let i = 0; i < d; i++) mc[i] += v[i] / c.length;
  for (const v of b) for (let i = 0; i < d; i++) mb[i] += v[i] / b.length;
  let acc = 0;
  const sims = new Float64Array(c.length);
  for (const q of b) {
    for (let j = 0; j < c.length; j++) sims[j] = dot(q, c[j]);
    acc += meanTopK(sims, k);
  }
  return { centroid: cosine(mc, mb), topK: acc / b.length };
}
