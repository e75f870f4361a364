/**
 * One AdamW step of the native trainer against torch.optim.AdamW on the independent PyTorch
 * reference (test/reference/ref_model.py adamw-step), for every architecture: loss, gradient norm,
 * every gradient (recovered from the first moment: exp_avg = (1 − β1)·clipped grad) and every
 * updated weight. Also: activation checkpointing gives the same step, so does the head's fused
 * cross-entropy cut into many small chunks (ragged last chunk, padded rows inside chunks), and
 * exported weights reload through Model.load with the same logits as the live trained model.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { weightPlan } from '../../lib/model/architectures';
import { initRandomModel } from '../../lib/model/init-random';
import { Model } from '../../lib/model/model';
import { writeSafetensors } from '../../lib/io/safetensors-writer';
import { loadNative } from '../../lib/native/loader';
import type { NativeTrainerOptions } from '../../lib/native/types';
import { hasPythonTorch, pythonTorchSkipReason, refAdamwStep } from '../helpers/reference';
import { makeTmpDir, readSharedConfig, removeTmpDir, type SharedModel } from '../helpers/shared';

const ARCHS: [string, SharedModel, Record<string, unknown>][] = [
  ['gpt-neox parallel residual', 'EleutherAI--pythia-70m', {}],
  ['gpt-neox sequential residual', 'EleutherAI--pythia-70m', { use_parallel_residual: false }],
  ['llama (llama3 rope)', 'meta-llama--Llama-3.2-1B', {}],
  ['qwen2 (qkv bias)', 'Qwen--Qwen2.5-0.5B', {}],
  ['qwen3 (q/k norm)', 'Qwen--Qwen3-0.6B', {}],
];

// special ids inside the shrunk 512-token vocabulary
const SMALL_VOCAB_IDS = { bos_token_id: 1, eos_token_id: 2, pad_token_id: null };
const LR = 1e-3;
const CLIP = 0.5;
const OPTS: NativeTrainerOptions = {
  weightDecay: 0.1,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  gradClip: CLIP,
  decayAll: false,
  checkpointLayers: false,
};
const ROWS = [
  [5, 17, 42, 99, 3, 250, 7, 7, 8, 301, 12, 44, 45, 46],
  [1, 2, 3, 4, 5, 6, 480, 11],
  [9, 9, 100, 200, 300, 400, 500, 10, 20, 30, 40],
];

function batch(rows: number[][]): { ids: Int32Array; targets: Int32Array; B: number; T: number } {
  const B = rows.length;
  const T = Math.max(...rows.map((r) => r.length));
  const ids = new Int32Array(B * T);
  const targets = new Int32Array(B * T).fill(-100);
  rows.forEach((r, b) =>
    r.forEach((x, t) => {
      ids[b * T + t] = x;
      if (t + 1 < r.length) targets[b * T + t] = r[t + 1]!;
    }),
  );
  return { ids, targets, B, T };
}

/** HF tensors of an internal parameter (inverse of the load op), as in native export_slot. */
function toHf(op: string, shape: number[], sourceShapes: number[][], data: Float32Array, nh: number): Float32Array[] {
  if (op === 'copy') return [data];
  const inner = shape.slice(1).reduce((a, b) => a * b, 1);
  if (op === 'concat0') {
    let off = 0;
    return sourceShapes.map((s) => {
      const n = s[0]! * inner;
      const part = data.slice(off, off + n);
      off += n;
      return part;
    });
  }
  // neox_qkv: internal rows (j, h, d) = q|k|v blocks; HF rows (h, j, d)
  const hd = shape[0]! / (3 * nh);
  const out = new Float32Array(data.length);
  for (let j = 0; j < 3; j++)
    for (let h = 0; h < nh; h++)
      for (let d = 0; d < hd; d++) {
        const src = ((j * nh + h) * hd + d) * inner;
        const dst = ((h * 3 + j) * hd + d) * inner;
        out.set(data.subarray(src, src + inner), dst);
      }
  return [out];
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const f32 = (u: Uint8Array): Float32Array => new Float32Array(u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength));

/** Each HF tensor's clipped gradient, recovered from the first moment after one step: exp_avg = (1 − β1)·g. */
function clippedGradients(
  state: { name: string; expAvg?: Float32Array }[],
  plan: ReturnType<typeof weightPlan>,
  numHeads: number,
): Map<string, Float32Array> {
  const byName = new Map(state.map((s) => [s.name, s]));
  const out = new Map<string, Float32Array>();
  for (const slot of plan.slots) {
    const grad = byName.get(slot.name)!.expAvg!.map((x) => x / (1 - OPTS.beta1));
    const parts = toHf(slot.op, slot.shape, slot.sourceShapes, grad, numHeads);
    slot.sources.forEach((hf, i) => out.set(hf, parts[i]!));
  }
  return out;
}

/** Float rounding allowed on a weight after one step, beyond what the gradients explain. */
const ADAM_ROUNDING = 2e-5;

/**
 * Per-element bound on |w_a − w_b| after one AdamW step from the same weights with clipped gradients
 * g_a and g_b. Bias-corrected first-step moments are m̂ = g and √v̂ = |g|, so each weight moves by
 * lr·u(g) with u(g) = g / (|g| + ε) (plus the same decay): the updates differ by lr·|u(g_a) − u(g_b)|.
 * That is tiny where |g| ≫ ε but up to 2·lr where a gradient is within float noise of zero (key-
 * projection biases, whose true gradient is zero because softmax is shift-invariant per query; any
 * element whose gradient cancels), so the gradients, held to their own tolerance, set the bound.
 */
function adamStepTolerance(gA: Float32Array, gB: Float32Array): Float32Array {
  const u = (g: number) => g / (Math.abs(g) + OPTS.eps);
  return gA.map((g, i) => ADAM_ROUNDING + LR * Math.abs(u(g) - u(gB[i]!)));
}

/** Every element of a within its own tolerance of b; a failure names the worst element. */
function expectWithin(a: Float32Array, b: Float32Array, tol: Float32Array, label: string): void {
  expect(a.length, label).toBe(b.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.length; i++) {
    const excess = Math.abs(a[i]! - b[i]!) - tol[i]!;
    if (excess > worstExcess) [worst, worstExcess] = [i, excess];
  }
  if (worst >= 0) expect.fail(`${label}: element ${worst} is ${a[worst]}, expected ${b[worst]} ± ${tol[worst]}`);
}

const tmp: string[] = [];
afterAll(() => tmp.forEach(removeTmpDir));

describe.skipIf(!hasPythonTorch())(`AdamW step parity with torch.optim.AdamW ${pythonTorchSkipReason() ?? ''}`, () => {
  for (const [label, shared, patch] of ARCHS) {
    it(label, async () => {
      const dir = makeTmpDir();
      tmp.push(dir);
      const { spec } = await initRandomModel({
        configJson: { ...readSharedConfig(shared), ...SMALL_VOCAB_IDS, ...patch },
        outDir: dir,
        seed: 7,
        tiny: { vocabSize: 512 },
      });
      const ref = await refAdamwStep(dir, ROWS, { lr: LR, weightDecay: 0.1, gradClip: CLIP, threads: 2 });

      const addon = loadNative();
      const run = async (checkpointLayers: boolean, lossChunkRows = 0) => {
        const model = await Model.load(dir, { threads: 2 });
        const trainer = await addon.NativeTrainer.create(model.nativeHandle(), { ...OPTS, checkpointLayers, lossChunkRows });
        const r = await trainer.step({ ...batch(ROWS), lr: LR, accumulate: false, normalizer: 0 });
        const weights = await trainer.exportWeights();
        const state = await trainer.exportState();
        return { model, trainer, r, weights, state };
      };
      const a = await run(false);
      expect(a.r.applied).toBe(true);
      expect(a.r.tokens).toBe(ref.nTokens);
      expect(Math.abs(a.r.loss - ref.loss)).toBeLessThan(1e-5 * Math.max(1, ref.loss));
      expect(Math.abs(a.r.gradNorm - ref.gradNorm) / ref.gradNorm).toBeLessThan(1e-4);

      // gradients: exp_avg / (1 − β1) = the clipped gradient
      const coef = Math.min(1, CLIP / (ref.gradNorm + 1e-6));
      let maxG = 0;
      for (const g of ref.grads.values()) for (const x of g.values) maxG = Math.max(maxG, Math.abs(x));
      const gradTol = 1e-5 * maxG * coef + 1e-9;
      const plan = weightPlan(spec);
      for (const s of a.state) expect(s.step, s.name).toBe(1);
      const refGrads = new Map([...ref.grads].map(([name, g]) => [name, g.values.map((x) => x * coef)]));
      const grads = clippedGradients(a.state, plan, spec.numHeads);
      for (const [name, g] of refGrads) expect(maxAbsDiff(grads.get(name)!, g), `grad ${name}`).toBeLessThan(gradTol);

      // weights: every HF tensor the reference has, each element within what the two gradients explain
      // (see adamStepTolerance)
      const w = new Map(a.weights.map((t) => [t.name, f32(t.data)]));
      expect([...w.keys()].sort()).toEqual([...ref.params.keys()].sort());
      for (const [name, t] of ref.params)
        expectWithin(w.get(name)!, t.values, adamStepTolerance(grads.get(name)!, refGrads.get(name)!), name);

      // activation checkpointing: same loss, same update
      const b = await run(true);
      expect(b.r.loss).toBe(a.r.loss);
      for (const t of b.weights) expect(maxAbsDiff(f32(t.data), w.get(t.name)!), `checkpointed ${t.name}`).toBeLessThan(1e-6);
      b.trainer.dispose();
      b.model.dispose();

      // the head's cross-entropy in chunks of 5 rows (42 rows: 9 chunks, the last of 2): the same
      // step up to summation order, held to the tolerances used against the reference above
      const c = await run(false, 5);
      expect(Math.abs(c.r.loss - a.r.loss)).toBeLessThan(1e-6 * Math.max(1, a.r.loss));
      expect(Math.abs(c.r.gradNorm - a.r.gradNorm) / a.r.gradNorm).toBeLessThan(1e-5);
      const cGrads = clippedGradients(c.state, plan, spec.numHeads);
      for (const [name, g] of grads) expect(maxAbsDiff(cGrads.get(name)!, g), `chunked gradient ${name}`).toBeLessThan(gradTol);
      for (const t of c.weights) {
        const tol = adamStepTolerance(cGrads.get(t.name)!, grads.get(t.name)!);
        expectWithin(f32(t.data), w.get(t.name)!, tol, `chunked ${t.name}`);
      }
      c.trainer.dispose();
      c.model.dispose();

      // exported weights reload with the logits of the live trained model
      const outDir = makeTmpDir();
      tmp.push(outDir);
      await writeSafetensors(
        path.join(outDir, 'model.safetensors'),
        a.weights.map((t) => ({ ...t })),
        { format: 'pt' },
      );
      fs.copyFileSync(path.join(dir, 'config.json'), path.join(outDir, 'config.json'));
      const live = await a.model.forward(ROWS);
      const reloaded = await Model.load(outDir, { threads: 2 });
      const again = await reloaded.forward(ROWS);
      expect(maxAbsDiff(again.logits, live.logits)).toBe(0);
      reloaded.dispose();
      a.trainer.dispose();
      a.model.dispose();
    });
  }
});

/** Norm of a − b relative to the norm of b. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

// bfloat16 training keeps float32 masters and moments; its gradients must be the float32 run's up to
// bf16 rounding of weights and activations (~1% here), also with the head's loss cut into chunks
// (its low-precision branch). No Python needed: the float32 run is held to the reference above.
describe('bfloat16 training with float32 masters', () => {
  for (const [label, shared, patch] of ARCHS) {
    it(label, async () => {
      const dir = makeTmpDir();
      tmp.push(dir);
      await initRandomModel({
        configJson: { ...readSharedConfig(shared), ...SMALL_VOCAB_IDS, ...patch },
        outDir: dir,
        seed: 7,
        tiny: { vocabSize: 512 },
      });
      const addon = loadNative();
      const run = async (dtype: 'float32' | 'bfloat16', lossChunkRows = 0) => {
        const model = await Model.load(dir, { threads: 2, dtype });
        const trainer = await addon.NativeTrainer.create(model.nativeHandle(), { ...OPTS, lossChunkRows });
        try {
          const r = await trainer.step({ ...batch(ROWS), lr: LR, accumulate: false, normalizer: 0 });
          return { r, state: new Map((await trainer.exportState()).map((s) => [s.name, s])) };
        } finally {
          trainer.dispose();
          model.dispose();
        }
      };
      const full = await run('float32');
      for (const chunk of [0, 5]) {
        const half = await run('bfloat16', chunk);
        expect(half.r.applied).toBe(true);
        expect(Math.abs(half.r.loss - full.r.loss) / full.r.loss, `loss, chunk ${chunk}`).toBeLessThan(0.02);
        for (const [name, s] of full.state) {
          const h = half.state.get(name)!;
          expect(h.master, `${name} has a float32 master`).toBeDefined();
          let norm = 0;
          for (const x of s.expAvg!) norm += x * x;
          // key-projection biases have a zero gradient in exact arithmetic: only rounding noise to compare
          if (/k_proj|qkv/.test(name) && name.endsWith('bias')) continue;
          if (Math.sqrt(norm) < 1e-8) continue;
          expect(relativeError(h.expAvg!, s.expAvg!), `gradient ${name}, chunk ${chunk}`).toBeLessThan(0.05);
        }
      }
    });
  }
});
