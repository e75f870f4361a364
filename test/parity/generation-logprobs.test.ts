/**
 * `generate --logprobs` / `generate(model, { logprobs: true })`: every stored log-probability is
 * log_softmax of the model's RAW logits at the sampled token — untempered, untruncated and
 * unmasked — so it must equal an independent full forward pass of the PyTorch reference
 * (test/reference/ref_model.py, no KV cache) at that position, within 1e-4 in float32.
 *
 * NeoX (parallel residual) and Llama 3 tiny models (vocab 512, weights std 0.3, perturbed), sampled
 * at temperature 0.8 with top-p 0.8 (so tempered or truncated log-probs would be far off — checked:
 * the test has power), min-new-tokens 4 and an EOS that is sampled often (its logprob is the last
 * entry of an EOS-finished sample), batch 3 with rows refilled at different steps.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../lib/generate/model-generate';
import { Model } from '../../lib/model/model';
import { buildParityGenModel, copyModelDir, type GenModelOptions } from '../helpers/tiny-models';
import { hasPythonTorch, logitsAt, pythonTorchSkipReason, refLogits } from '../helpers/reference';
import { argmax, logSoftmaxAt } from '../helpers/sampling-math';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

const VOCAB = 512;
const BOS = 1;
const N = 12;
const MAX_NEW = 20;
const MIN_NEW = 4;
const T = 0.8;
const TOP_P = 0.8;
const TOL = 1e-4;

type Json = Record<string, unknown>;
const special = (c: Json): void => {
  c.bos_token_id = BOS;
  c.eos_token_id = 2;
  if ('pad_token_id' in c) c.pad_token_id = null;
};
const TINY_LLAMA3 = { factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: 64, rope_type: 'llama3' };
const ARCHS: Array<{ name: string; model: Omit<GenModelOptions, 'dir'> }> = [
  { name: 'neox', model: { base: 'EleutherAI--pythia-70m', seed: 31, edit: special } },
  // hidden 40: rows that are not a multiple of the 16-lane vector (the decode-step layer norm's masked tail)
  { name: 'neox-h40', model: { base: 'EleutherAI--pythia-70m', seed: 35, edit: special, shrink: { hiddenSize: 40 } } },
  {
    name: 'llama3',
    model: {
      base: 'meta-llama--Llama-3.2-1B',
      seed: 33,
      edit: (c) => {
        special(c);
        c.rope_scaling = { ...TINY_LLAMA3 };
      },
      shrink: { hiddenSize: 128 },
    },
  },
];

const skipRef = !hasPythonTorch();
if (skipRef) console.warn(`logprob parity skipped: ${pythonTorchSkipReason()}`);

describe.skipIf(skipRef)('generate logprobs equal the reference full forward log_softmax (untempered)', () => {
  let root: string;
  beforeAll(() => {
    root = makeTmpDir('resurface-logprobs-');
  });
  afterAll(() => {
    if (root) removeTmpDir(root);
  });

  it.each(ARCHS)(
    '$name: max |ours − reference| < 1e-4 at T=0.8, top-p 0.8, min-new-tokens 4',
    async (a) => {
      const base = await buildParityGenModel(root, a, VOCAB);
      // EOS := the token found in most samples of a probe run (after step MIN_NEW), so samples end with EOS at many steps
      const probeModel = await Model.load(base, { threads: 1 });
      const counts = new Float64Array(VOCAB);
      try {
        const probe = await generate(probeModel, {
          numSamples: N,
          maxNewTokens: MAX_NEW,
          temperature: T,
          topP: TOP_P,
          batchSize: 3,
          seed: 11,
        });
        for (const s of probe.samples) for (const t of new Set(s.tokens.slice(MIN_NEW))) counts[t]! += 1;
      } finally {
        probeModel.dispose();
      }
      const eos = argmax(counts);
      const dir = copyModelDir(base, path.join(root, `${a.name}-eos`), (c) => {
        c.eos_token_id = eos;
      });
      const m = await Model.load(dir, { threads: 1 });
      let r;
      try {
        r = await generate(m, {
          numSamples: N,
          maxNewTokens: MAX_NEW,
          minNewTokens: MIN_NEW,
          temperature: T,
          topP: TOP_P,
          batchSize: 3,
          seed: 11,
          logprobs: true,
        });
      } finally {
        m.dispose();
      }
      const eosEnded = r.samples.filter((s) => s.finishReason === 'eos');
      expect(eosEnded.length, 'samples ending in EOS').toBeGreaterThanOrEqual(2);
      const rows = r.samples.map((s) => [BOS, ...s.tokens, ...(s.finishReason === 'eos' ? [eos] : [])]);
      const ref = await refLogits(dir, rows, 'float32', { threads: 1 });
      let maxErr = 0;
      let maxTempered = 0;
      let checked = 0;
      r.samples.forEach((s, b) => {
        const emitted = rows[b]!.slice(1);
        expect(s.logprobs, `sample ${s.id}`).toBeDefined();
        expect(s.logprobs!.length, `sample ${s.id}: one logprob per token, plus the EOS one`).toBe(emitted.length);
        if (s.finishReason === 'eos') expect(s.tokens.length).toBeGreaterThanOrEqual(MIN_NEW);
        emitted.forEach((tok, t) => {
          const row = logitsAt(ref, b, t);
          const expected = logSoftmaxAt(row, tok);
          maxErr = Math.max(maxErr, Math.abs(s.logprobs![t]! - expected));
          maxTempered = Math.max(maxTempered, Math.abs(s.logprobs![t]! - logSoftmaxAt(row, tok, T)));
          checked++;
        });
        const mean = -s.logprobs!.reduce((x, y) => x + y, 0) / s.logprobs!.length;
        expect(Number.isFinite(mean)).toBe(true);
      });
      console.log(
        `[logprobs] ${a.name}: ${checked} tokens, max |ours - reference log_softmax| = ${maxErr.toExponential(2)}; vs the tempered one: ${maxTempered.toFixed(3)}`,
      );
      expect(checked).toBeGreaterThan(60);
      expect(maxErr).toBeLessThan(TOL);
      // power: the tempered log-probability is far from what we store
      expect(maxTempered).toBeGreaterThan(100 * TOL);
    },
    240_000,
  );
});
