/**
 * The sampler's definitions restated in plain TypeScript (float64), independently of
 * native/generate/sampler.cc, plus the statistics to compare empirical samples against them:
 *
 * - `samplingDistribution(logits, p)`: temperature → top-k → top-p → min-p, by the textbook
 *   definitions (transformers' logits warpers):
 *     top-k: the k largest logits;
 *     top-p: the smallest prefix of the (top-k renormalised) distribution, sorted by probability,
 *            whose mass reaches p — the token that crosses p is included;
 *     min-p: tokens with prob >= min_p · max prob, applied after top-k / top-p;
 *   tokens >= validVocab get probability 0.
 * - `philoxUniform(seed, sample, step)`: a port of native/generate/counter_rng.h (Philox4x32-10),
 *   so a test can predict which token the inverse CDF picks for sample i at step t.
 * - `chiSquareTest(counts, probs)`: Pearson's chi-square goodness of fit, tail cells merged so
 *   every cell expects >= 5 counts.
 */

export interface SamplingParams {
  temperature: number;
  topK?: number;
  topP?: number;
  minP?: number;
  /** Tokens >= validVocab are never sampled (default: all). */
  validVocab?: number;
}

export interface SamplingDistribution {
  /** Probability of every vocabulary id (0 outside the allowed set). */
  probs: Float64Array;
  /** The allowed ids, most probable first. */
  allowed: number[];
  /**
   * How far the truncation decisions are from a boundary (smaller = a float32 rounding could
   * flip the decision): for top-p, |mass before the last kept token - p| and |mass through it - p|;
   * for min-p, the smallest |p_i / p_max - min_p|. Infinity when no truncation applies.
   */
  margin: number;
}

/** Ids sorted by logit, descending (ties: lower id first). */
function argsortDesc(x: ArrayLike<number>, n: number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => x[b]! - x[a]! || a - b);
  return idx;
}

export function softmax(logits: ArrayLike<number>, temperature = 1, n = logits.length): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[i]! / temperature);
  const out = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    out[i] = Math.exp(logits[i]! / temperature - max);
    sum += out[i]!;
  }
  for (let i = 0; i < n; i++) out[i]! /= sum;
  return out;
}

/** log_softmax(row / temperature)[tok] in float64. */
export function logSoftmaxAt(row: ArrayLike<number>, tok: number, temperature = 1): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i]! / temperature);
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i]! / temperature - max);
  return row[tok]! / temperature - max - Math.log(sum);
}

export function argmax(x: ArrayLike<number>, n = x.length): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (x[i]! > x[best]!) best = i;
  return best;
}

export function samplingDistribution(logits: ArrayLike<number>, p: SamplingParams): SamplingDistribution {
  const V = logits.length;
  const Vv = Math.min(V, p.validVocab ?? V);
  const probs = new Float64Array(V);
  if (p.temperature === 0) {
    const a = argmax(logits, Vv);
    probs[a] = 1;
    return { probs, allowed: [a], margin: Infinity };
  }
  let order = argsortDesc(logits, Vv);
  if (p.topK && p.topK > 0 && p.topK < Vv) order = order.slice(0, p.topK);
  // softmax over the candidates (top-k masks the others to -inf)
  const sub = softmax(
    order.map((i) => logits[i]!),
    p.temperature,
  );
  let keep = order.length;
  let margin = Infinity;
  if (p.topP !== undefined && p.topP < 1) {
    let before = 0;
    keep = 0;
    while (keep < order.length && before < p.topP) before += sub[keep++]!;
    margin = Math.min(Math.abs(before - sub[keep - 1]! - p.topP), Math.abs(before - p.topP));
  }
  let kept = order.slice(0, keep).map((id, j) => ({ id, q: sub[j]! }));
  if (p.minP && p.minP > 0) {
    const qmax = kept[0]!.q;
    for (const k of kept) margin = Math.min(margin, Math.abs(k.q / qmax - p.minP));
    kept = kept.filter((k) => k.q >= p.minP! * qmax);
  }
  const total = kept.reduce((a, k) => a + k.q, 0);
  for (const k of kept) probs[k.id] = k.q / total;
  return { probs, allowed: kept.map((k) => k.id), margin };
}

// ---------------------------------------------------------------------------------------------
// Philox4x32-10, as native/generate/counter_rng.h.

const M0 = 0xd2511f53n;
const M1 = 0xcd9e8d57n;
const MASK32 = 0xffffffffn;

export function philox4x32(seed: bigint, a: bigint, b: bigint): [number, number, number, number] {
  let c = [a & MASK32, (a >> 32n) & MASK32, b & MASK32, (b >> 32n) & MASK32];
  let k0 = seed & MASK32;
  let k1 = (seed >> 32n) & MASK32;
  for (let i = 0; i < 10; i++) {
    const p0 = M0 * c[0]!;
    const p1 = M1 * c[2]!;
    const hi0 = p0 >> 32n,
      lo0 = p0 & MASK32;
    const hi1 = p1 >> 32n,
      lo1 = p1 & MASK32;
    c = [hi1 ^ c[1]! ^ k0, lo1, hi0 ^ c[3]! ^ k1, lo0];
    k0 = (k0 + 0x9e3779b9n) & MASK32;
    k1 = (k1 + 0xbb67ae85n) & MASK32;
  }
  return c.map(Number) as [number, number, number, number];
}

/** Uniform in [0, 1) with 53 random bits for (seed, sample, step). */
export function philoxUniform(seed: number, sample: number, step: number): number {
  const r = philox4x32(BigInt(seed), BigInt(sample), BigInt(step));
  const bits = ((BigInt(r[0]) << 21n) ^ (BigInt(r[1]) >> 11n)) & ((1n << 53n) - 1n);
  return Number(bits) / 2 ** 53;
}

/**
 * Inverse-CDF draw: the first candidate whose cumulative probability exceeds u · total, walking
 * `order` (the sampler walks the vocabulary in id order without truncation, and the sorted
 * candidates with top-k / top-p).
 */
export function inverseCdf(probs: ArrayLike<number>, order: readonly number[], u: number): number {
  let total = 0;
  for (const i of order) total += probs[i]!;
  const target = u * total;
  let cum = 0;
  let last = order[0]!;
  for (const i of order) {
    if (probs[i]! <= 0) continue;
    cum += probs[i]!;
    last = i;
    if (cum > target) return i;
  }
  return last;
}

// ---------------------------------------------------------------------------------------------
// Chi-square goodness of fit.

function logGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9), |error| < 1e-13 for x > 0.
  const g = 7;
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularised upper incomplete gamma Q(a, x) (Numerical Recipes gser / gcf). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const gln = logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a,
      del = sum,
      ap = a;
    for (let n = 0; n < 10_000; n++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * 1e-15) break;
    }
    return 1 - sum * Math.exp(-x + a * Math.log(x) - gln);
  }
  const FPMIN = 1e-300;
  let b = x + 1 - a,
    c = 1 / FPMIN,
    d = 1 / b,
    h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = b + an / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.exp(-x + a * Math.log(x) - gln) * h;
}

/** P(X >= x) for X ~ chi-square with `df` degrees of freedom. */
export function chiSquareSf(x: number, df: number): number {
  return gammaQ(df / 2, x / 2);
}

export interface ChiSquareResult {
  statistic: number;
  df: number;
  pValue: number;
  cells: number;
}

/**
 * Pearson's test of `counts` (per id) against `probs` (per id, zero outside the support; counts
 * there are the caller's business). Cells are taken in descending probability; the tail whose
 * expected counts are < `minExpected` is merged into one cell (and that cell into the previous
 * one if it is still too small).
 */
export function chiSquareTest(counts: ArrayLike<number>, probs: ArrayLike<number>, minExpected = 5): ChiSquareResult {
  const n = Array.from(counts).reduce((a, b) => a + b, 0);
  const support = Array.from({ length: probs.length }, (_, i) => i)
    .filter((i) => probs[i]! > 0)
    .sort((a, b) => probs[b]! - probs[a]!);
  const cells: Array<{ obs: number; exp: number }> = [];
  let tail = { obs: 0, exp: 0 };
  for (const i of support) {
    const e = n * probs[i]!;
    if (e >= minExpected && tail.exp === 0) cells.push({ obs: counts[i]!, exp: e });
    else tail = { obs: tail.obs + counts[i]!, exp: tail.exp + e };
  }
  if (tail.exp > 0) {
    if (tail.exp >= minExpected || cells.length === 0) cells.push(tail);
    else {
      const last = cells[cells.length - 1]!;
      last.obs += tail.obs;
      last.exp += tail.exp;
    }
  }
  const statistic = cells.reduce((a, c) => a + (c.obs - c.exp) ** 2 / c.exp, 0);
  const df = cells.length - 1;
  return { statistic, df, pValue: df > 0 ? chiSquareSf(statistic, df) : 1, cells: cells.length };
}
