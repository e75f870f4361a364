/**
 * Shared pieces of the parity tests: building perturbed random checkpoints (tiny-models.ts) and
 * comparing our logits with the reference's (test/reference/README.md conventions: right padding, NaN at the reference's padded positions).
 */
import { expect } from 'vitest';
import { initRandomModel } from '../../lib/model/init-random';
import { Model, type ForwardResult } from '../../lib/model/model';
import type { RefLogits } from './reference';
import { perturbNormsAndBiases } from './tiny-models';

/**
 * initRandomModel (HF init: normal(0, initializer_range), biases 0, norms 1), then biases and norm
 * biases ~ N(0, 0.1) and norm weights 1 + N(0, 0.1), so a parity test exercises every tensor.
 */
export async function buildPerturbedRandomModel(config: Record<string, unknown>, outDir: string, seed: number): Promise<void> {
  await initRandomModel({ configJson: config, outDir, seed });
  await perturbNormsAndBiases(outDir, seed);
}

export interface Diff {
  maxAbs: number;
  /** max |ref| over real positions */
  scale: number;
  /** std of the reference logits over real positions */
  std: number;
}

/**
 * Max abs difference over real positions (t < lengths[b]). Our padded positions must be exactly 0
 * and the reference's NaN.
 */
export function compare(ours: { logits: Float32Array; shape: [number, number, number] }, ref: RefLogits, lengths: number[]): Diff {
  expect(ours.shape).toEqual(ref.shape);
  const [B, T, V] = ref.shape;
  let maxAbs = 0;
  let scale = 0;
  let s = 0;
  let s2 = 0;
  let n = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const off = (b * T + t) * V;
      if (t >= lengths[b]!) {
        for (let v = 0; v < V; v++) {
          if (ours.logits[off + v] !== 0) throw new Error(`padded position [${b}, ${t}] holds ${ours.logits[off + v]}, expected 0`);
          if (!Number.isNaN(ref.data[off + v]!)) throw new Error(`reference padded position [${b}, ${t}] is not NaN`);
        }
        continue;
      }
      for (let v = 0; v < V; v++) {
        const r = ref.data[off + v]!;
        const d = Math.abs(ours.logits[off + v]! - r);
        if (!(d <= maxAbs)) maxAbs = Number.isNaN(d) ? Infinity : d;
        scale = Math.max(scale, Math.abs(r));
        s += r;
        s2 += r * r;
        n++;
      }
    }
  }
  const mean = s / n;
  return { maxAbs, scale, std: Math.sqrt(s2 / n - mean * mean) };
}

/** Max abs elementwise difference (Infinity when either side has a NaN the other lacks). */
export function maxAbsBetween(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** Load, forward one batch, dispose. */
export async function ourLogits(dir: string, tokens: number[][], dtype: 'float32' | 'bfloat16' = 'float32'): Promise<ForwardResult> {
  const model = await Model.load(dir, { dtype });
  try {
    return await model.forward(tokens);
  } finally {
    model.dispose();
  }
}
