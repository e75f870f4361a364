/**
 * bfloat16 KV-cached decoding against the PyTorch reference (test/reference/ref_model.py, full
 * forward, no cache). Decoding a few rows in bf16 takes our own kernels on a CPU with AVX512_BF16
 * (model/bf16_small_linear.cc: ≤ 4 rows per linear; model/small_query_attention.cc with a bf16
 * cache); more rows take libtorch's (oneDNN) GEMM. Batch 1 and 3 exercise the first, batch 8 the
 * second; the same bounds hold for both.
 *
 * Every stored log-probability is log_softmax of the raw logits at the sampled token, so each can be
 * checked against the reference's float32 forward at that position. bf16 agrees only to bf16
 * precision, so the bound is relative to what the reference's own bf16 forward (HF semantics)
 * achieves on the same rows, as in logits.test.ts:
 *   max |ours_bf16 − ref_f32| ≤ 2 · max |ref_bf16 − ref_f32| + 0.05 nats,
 * and the average error must be no worse than 2× the reference's average + 0.01. Power: the log-probs
 * spread over several nats (a wrong column, head or position is off by ~1 nat), the reference's own
 * bf16 error is not zero (the bound is not vacuous), and the hidden and MLP widths (64 / 200, 128 / 136)
 * leave the kernel a K tail that is not a multiple of its 32-lane step. Llama 3 adds grouped KV heads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../lib/generate/model-generate';
import { Model } from '../../lib/model/model';
import { buildParityGenModel, type GenModelOptions } from '../helpers/tiny-models';
import { hasPythonTorch, logitsAt, pythonTorchSkipReason, refLogits } from '../helpers/reference';
import { logSoftmaxAt } from '../helpers/sampling-math';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

const VOCAB = 512;
const BOS = 1;
const EOS = 2;
const N = 8;
const MAX_NEW = 24;
const BATCHES = [1, 3, 8];

type Json = Record<string, unknown>;
const special = (c: Json): void => {
  c.bos_token_id = BOS;
  c.eos_token_id = EOS;
  if ('pad_token_id' in c) c.pad_token_id = null;
};
const ARCHS: Array<{ name: string; model: Omit<GenModelOptions, 'dir'> }> = [
  { name: 'neox', model: { base: 'EleutherAI--pythia-70m', seed: 41, edit: special, shrink: { intermediateSize: 200 } } },
  // hidden 40: rows that are not a multiple of the 16-lane vector (the decode-step layer norm's masked tail)
  {
    name: 'neox-h40',
    model: { base: 'EleutherAI--pythia-70m', seed: 45, edit: special, shrink: { hiddenSize: 40, intermediateSize: 104 } },
  },
  {
    name: 'llama3',
    model: { base: 'meta-llama--Llama-3.2-1B', seed: 43, edit: special, shrink: { hiddenSize: 128, intermediateSize: 136 } },
  },
];

const skipRef = !hasPythonTorch();
if (skipRef) console.warn(`bf16 decoding parity skipped: ${pythonTorchSkipReason()}`);

describe.skipIf(skipRef)('bfloat16 KV-cached decoding: log-probs within bf16 precision of the reference', () => {
  let root: string;
  beforeAll(() => {
    root = makeTmpDir('resurface-bf16-decode-');
  });
  afterAll(() => {
    if (root) removeTmpDir(root);
  });

  it.each(ARCHS)(
    '$name: batch 1, 3 (our bf16 kernels) and 8 (oneDNN) against float32 and bf16 reference forwards',
    async (a) => {
      const dir = await buildParityGenModel(root, a, VOCAB);
      const m = await Model.load(dir, { threads: 2, dtype: 'bfloat16' });
      const runs: Array<{ batch: number; rows: number[][]; logprobs: number[][] }> = [];
      try {
        expect(m.options.dtype).toBe('bfloat16');
        for (const batch of BATCHES) {
          const r = await generate(m, {
            numSamples: N,
            maxNewTokens: MAX_NEW,
            temperature: 0.8,
            batchSize: batch,
            seed: 5 + batch,
            logprobs: true,
          });
          runs.push({
            batch,
            rows: r.samples.map((s) => [BOS, ...s.tokens, ...(s.finishReason === 'eos' ? [EOS] : [])]),
            logprobs: r.samples.map((s) => s.logprobs!),
          });
        }
      } finally {
        m.dispose();
      }
      for (const run of runs) {
        const [f32, bf16] = await Promise.all([
          refLogits(dir, run.rows, 'float32', { threads: 1 }),
          refLogits(dir, run.rows, 'bfloat16', { threads: 1 }),
        ]);
        let maxOurs = 0;
        let maxRef = 0;
        let sumOurs = 0;
        let sumRef = 0;
        const lps: number[] = [];
        run.rows.forEach((row, b) => {
          const emitted = row.slice(1);
          expect(run.logprobs[b]!.length).toBe(emitted.length);
          emitted.forEach((tok, t) => {
            const exact = logSoftmaxAt(logitsAt(f32, b, t), tok);
            const ours = Math.abs(run.logprobs[b]![t]! - exact);
            const ref = Math.abs(logSoftmaxAt(logitsAt(bf16, b, t), tok) - exact);
            maxOurs = Math.max(maxOurs, ours);
            maxRef = Math.max(maxRef, ref);
            sumOurs += ours;
            sumRef += ref;
            lps.push(exact);
          });
        });
        const n = lps.length;
        const mean = lps.reduce((x, y) => x + y, 0) / n;
        const sd = Math.sqrt(lps.reduce((x, y) => x + (y - mean) ** 2, 0) / n);
        console.log(
          `[bf16 decode] ${a.name} batch ${run.batch}: ${n} tokens; |ours - ref f32| max ${maxOurs.toFixed(4)} mean ${(sumOurs / n).toFixed(4)}; ` +
            `reference bf16 max ${maxRef.toFixed(4)} mean ${(sumRef / n).toFixed(4)}; log-prob sd ${sd.toFixed(2)}`,
        );
        expect(n).toBeGreaterThan(100);
        expect(sd, 'log-probs spread (power)').toBeGreaterThan(1);
        expect(maxRef, "the reference's own bf16 error (the bound is not vacuous)").toBeGreaterThan(0);
        expect(maxOurs).toBeLessThanOrEqual(2 * maxRef + 0.05);
        expect(sumOurs / n).toBeLessThanOrEqual((2 * sumRef) / n + 0.01);
      }
    },
    300_000,
  );
});
