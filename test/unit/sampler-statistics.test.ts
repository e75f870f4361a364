/**
 * The native sampler, statistically: the first token sampled from the start token, over many
 * samples (maxNewTokens 1), against the distribution computed here in TypeScript from
 * Model.forward([[start]]) by the definitions (test/helpers/sampling-math.ts):
 *
 *   - temperature T: softmax(logits / T), at T = 0.5, 1, 1.5;
 *   - top-k / top-p / min-p (and all three at once): no token outside the allowed set ever
 *     appears, and within it the counts are proportional (chi-square);
 *   - temperature 0: the argmax, always;
 *   - tokens >= the tokenizer's vocabulary (Pythia pads 50277 → 50304) are never sampled, even when
 *     their logits are by far the largest.
 *
 * Chi-square at a fixed significance (p > 0.001) with a fixed seed: the samples are a pure
 * function of (seed, sample id, step) through the counter-based RNG, so the test is not flaky —
 * it either passes or fails, every run. A test that always passes proves nothing, so the same
 * machinery must reject a wrong distribution (T = 1 samples against T = 1.5 probabilities).
 *
 * Beyond the statistics, each draw is predicted exactly: the sampler takes the first candidate
 * whose cumulative probability exceeds u, with u = Philox(seed, sample, step) (ported in
 * sampling-math.ts); float32 vs float64 rounding may flip a draw that lands within ~1e-7 of a
 * CDF boundary, so a handful of mismatches per 10^4 is tolerated.
 *
 * The model: a tiny Pythia (vocab 512, no tokenizer, so every id < 512 is valid), weights drawn
 * with std 0.3 so the distribution is far from uniform (top token 0.28 / 0.13 / 0.06 at
 * T = 0.5 / 1 / 1.5; 25–270 cells with >= 5 expected counts) with a long tail; tail cells with
 * < 5 expected counts are merged for the chi-square. Measured: 0 of 10^4 draws differ from the
 * Philox + inverse-CDF prediction in every configuration.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../lib/generate/model-generate';
import { Model } from '../../lib/model/model';
import { buildGenModel, copyModelDir } from '../helpers/tiny-models';
import { readTensors, writeTensors } from '../helpers/tensors';
import {
  argmax,
  chiSquareSf,
  chiSquareTest,
  inverseCdf,
  philoxUniform,
  samplingDistribution,
  softmax,
  type SamplingParams,
} from '../helpers/sampling-math';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

const N = 10_000;
const SEED = 20240611;
const ALPHA = 1e-3;
const VOCAB = 512;
const START = 1;
const EOS = 2;

let root: string;
let model: Model;
let logits: Float32Array;

beforeAll(async () => {
  root = makeTmpDir('resurface-sampler-');
  const dir = await buildGenModel({
    base: 'EleutherAI--pythia-70m',
    dir: path.join(root, 'tiny'),
    seed: 7,
    std: 0.3,
    edit: (c) => {
      c.bos_token_id = START;
      c.eos_token_id = EOS;
    },
    shrink: { vocabSize: VOCAB },
  });
  model = await Model.load(dir, { threads: 1 });
  const f = await model.forward([[START]]);
  logits = f.logits.slice(0, f.shape[2]);
});

afterAll(() => {
  model?.dispose();
  if (root) removeTmpDir(root);
});

const cache = new Map<string, number[]>();

/** First sampled token of each sample (EOS ends a sample without a token); cached per config. */
async function firstTokens(m: Model, p: SamplingParams, n = N, seed = SEED): Promise<number[]> {
  const key = JSON.stringify([m.dir, p, n, seed]);
  if (!cache.has(key)) cache.set(key, await sampleFirstTokens(m, p, n, seed));
  return cache.get(key)!;
}

async function sampleFirstTokens(m: Model, p: SamplingParams, n: number, seed: number): Promise<number[]> {
  const r = await generate(m, {
    numSamples: n,
    maxNewTokens: 1,
    seed,
    batchSize: 256,
    temperature: p.temperature,
    topK: p.topK,
    topP: p.topP,
    minP: p.minP,
  });
  expect(r.startToken.id).toBe(START);
  return r.samples.map((s, i) => {
    expect(s.id).toBe(i);
    if (s.finishReason === 'eos') {
      expect(s.tokens).toEqual([]);
      return EOS;
    }
    expect(s.tokens).toHaveLength(1);
    return s.tokens[0]!;
  });
}

function countsOf(tokens: number[], V: number): Float64Array {
  const c = new Float64Array(V);
  for (const t of tokens) c[t]!++;
  return c;
}

/** Check one configuration: support, chi-square, exact draws. */
async function checkConfig(p: SamplingParams): Promise<void> {
  const dist = samplingDistribution(logits, p);
  // The configuration must not sit on a truncation boundary, where float32 vs float64 could
  // legitimately disagree about the allowed set.
  expect(dist.margin, 'truncation margin').toBeGreaterThan(1e-4);
  const tokens = await firstTokens(model, p);
  const counts = countsOf(tokens, VOCAB);
  const allowed = new Set(dist.allowed);
  const outside = tokens.filter((t) => !allowed.has(t));
  expect(outside, `tokens outside the allowed set (${dist.allowed.length} ids)`).toEqual([]);
  // Allowed tokens the sampler never produced although each expects >= 30 draws: a truncation
  // that cuts too much (the chi-square below fails too; this names the tokens).
  const missing = dist.allowed.filter((t) => counts[t] === 0 && dist.probs[t]! * N >= 30);
  expect(missing, `allowed tokens never sampled (expected >= 30 draws each)`).toEqual([]);
  const chi = chiSquareTest(counts, dist.probs);
  const label = JSON.stringify(p);
  console.log(
    `[sampler] ${label}: allowed ${dist.allowed.length}, top p ${dist.probs[dist.allowed[0]!]!.toFixed(3)}, chi2 ${chi.statistic.toFixed(1)} df ${chi.df} p ${chi.pValue.toExponential(2)}`,
  );
  expect(chi.df, 'enough cells for a meaningful test').toBeGreaterThanOrEqual(Math.min(5, dist.allowed.length - 1));
  expect(chi.pValue, `chi-square p-value for ${label}`).toBeGreaterThan(ALPHA);

  // Exact draws: candidates walked in id order without top-k/top-p, sorted with them.
  const sorted = [...dist.allowed].sort((a, b) => dist.probs[b]! - dist.probs[a]!);
  const order = p.topK || (p.topP !== undefined && p.topP < 1) ? sorted : Array.from({ length: VOCAB }, (_, i) => i);
  let mismatches = 0;
  tokens.forEach((t, i) => {
    if (inverseCdf(dist.probs, order, philoxUniform(SEED, i, 0)) !== t) mismatches++;
  });
  console.log(`[sampler] ${label}: ${mismatches}/${N} draws differ from the Philox + inverse-CDF prediction`);
  expect(mismatches, `draws not reproduced from Philox(seed, i, 0) + inverse CDF for ${label}`).toBeLessThanOrEqual(Math.ceil(N * 5e-4));
}

describe('chi-square machinery', () => {
  it('chiSquareSf matches tabulated critical values', () => {
    expect(chiSquareSf(3.841458820694124, 1)).toBeCloseTo(0.05, 10);
    expect(chiSquareSf(18.307038053275146, 10)).toBeCloseTo(0.05, 10);
    expect(chiSquareSf(149.44918887, 100)).toBeCloseTo(0.001, 6);
    expect(chiSquareSf(0, 4)).toBe(1);
  });

  it('the Philox port reproduces the known-answer test of Salmon et al. (Random123 kat_vectors)', async () => {
    // philox4x32_10: counter 0, key 0 -> 6627e8d5 e169c58d bc57ac4c 9b00dbd8 (Random123 kat_vectors).
    // Our counter is (a_lo, a_hi, b_lo, b_hi) and the key (seed_lo, seed_hi).
    const { philox4x32 } = await import('../helpers/sampling-math');
    const hex = (r: number[]) => r.map((x) => x.toString(16).padStart(8, '0'));
    expect(hex(philox4x32(0n, 0n, 0n))).toEqual(['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
    const ones = 0xffffffffffffffffn;
    expect(hex(philox4x32(ones, ones, ones))).toEqual(['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd']);
  });
});

describe('sampler: first-token distribution matches its definition', () => {
  it('the model is far from uniform and has a tail (so the checks below have power)', () => {
    const p = softmax(logits);
    const top = Math.max(...p);
    expect(top).toBeGreaterThan(0.1);
    expect(top).toBeLessThan(0.9);
    expect(Array.from(p).filter((x) => x * N >= 5).length).toBeGreaterThanOrEqual(10);
  });

  it.each([0.5, 1, 1.5])('temperature %s: counts follow softmax(logits / T)', async (temperature) => {
    await checkConfig({ temperature });
  });

  it('the test has power: T = 1 samples are rejected as draws from softmax(logits / 1.5)', async () => {
    const counts = countsOf(await firstTokens(model, { temperature: 1 }), VOCAB);
    const wrong = chiSquareTest(counts, samplingDistribution(logits, { temperature: 1.5 }).probs);
    expect(wrong.pValue).toBeLessThan(1e-6);
  });

  it('top-k 8: only the 8 largest logits, proportionally', async () => {
    await checkConfig({ temperature: 1, topK: 8 });
  });

  // A nucleus cut too small shows here as allowed tokens never drawn: the native top-p path takes
  // the top K (K = 64, 256, … until their mass reaches p) and must apply p to the probabilities
  // of the full distribution, not to the top-K probabilities renormalised to sum to 1.
  it.each([0.6, 0.85])('top-p %s: the smallest prefix whose mass reaches p (crossing token included), proportionally', async (topP) => {
    await checkConfig({ temperature: 1, topP });
  });

  it('min-p 0.1: tokens with p >= 0.1 · p_max, proportionally', async () => {
    await checkConfig({ temperature: 1, minP: 0.1 });
  });

  it('top-k 50 + top-p 0.9 + min-p 0.03 at T = 0.8, applied in that order', async () => {
    await checkConfig({ temperature: 0.8, topK: 50, topP: 0.9, minP: 0.03 });
  });

  it('temperature 0 is the argmax, always (top-k/top-p/min-p ignored)', async () => {
    const a = argmax(logits);
    for (const p of [{ temperature: 0 }, { temperature: 0, topK: 5, topP: 0.3, minP: 0.5 }]) {
      const tokens = await firstTokens(model, p, 300);
      expect(new Set(tokens)).toEqual(new Set([a]));
    }
  });
});

describe('sampler: padded vocabulary rows are never sampled', () => {
  // Pythia's model vocabulary is 50304, its tokenizer's 50277: rows 50277..50303 of the output
  // embedding are padding. Make their logits the largest by far (row = 40 × the hidden direction
  // the start token produces) and check that neither sampling nor greedy ever picks them.
  let dir: string;
  let noTok: string;
  let big: Model;
  const TOK_VOCAB = 50277;

  beforeAll(async () => {
    dir = await buildGenModel({
      base: 'EleutherAI--pythia-70m',
      dir: path.join(root, 'pythia-pad'),
      seed: 3,
      std: 0.1,
      tokenizer: 'pythia',
    });
    const tensors = await readTensors(dir);
    const head = tensors.get('embed_out.weight')!;
    const [V, H] = head.shape as [number, number];
    expect(V).toBe(50304);
    // a fixed direction for all padded rows: the row of the currently most likely token, scaled
    const probe = await Model.load(dir, { threads: 1 });
    const f = await probe.forward([[0]]);
    probe.dispose();
    const top = argmax(f.logits.subarray(0, V));
    for (let r = TOK_VOCAB; r < V; r++) {
      for (let h = 0; h < H; h++) head.values[r * H + h] = 40 * head.values[top * H + h]! * (1 + (r - TOK_VOCAB) / 100);
    }
    await writeTensors(dir, tensors);
    // Same weights without tokenizer.json: then the model's vocabulary is the valid one.
    noTok = copyModelDir(dir, path.join(root, 'pythia-pad-notok'), undefined, [
      'tokenizer.json',
      'tokenizer_config.json',
      'special_tokens_map.json',
    ]);
    big = await Model.load(dir, { threads: 1 });
  });

  afterAll(() => big?.dispose());

  it('the padded rows dominate the logits', async () => {
    const f = await big.forward([[0]]);
    const row = f.logits.subarray(0, f.shape[2]);
    const p = softmax(row);
    let padMass = 0;
    for (let i = TOK_VOCAB; i < row.length; i++) padMass += p[i]!;
    expect(argmax(row)).toBeGreaterThanOrEqual(TOK_VOCAB);
    expect(padMass).toBeGreaterThan(0.999);
  });

  it.each([
    { temperature: 1 },
    { temperature: 2, topK: 10 },
    { temperature: 1, topP: 0.9 },
    { temperature: 1, minP: 0.2 },
    { temperature: 0 },
  ])('never sampled: %j', async (p) => {
    const r = await generate(big, { numSamples: 32, maxNewTokens: 3, seed: 5, batchSize: 32, ...p });
    const all = r.samples.flatMap((s) => s.tokens);
    expect(all.length).toBeGreaterThan(0);
    expect(all.filter((t) => t >= TOK_VOCAB)).toEqual([]);
    if (p.temperature === 0) {
      // greedy = argmax over the valid ids
      const f = await big.forward([[0]]);
      expect(r.samples[0]!.tokens[0]).toBe(argmax(f.logits.subarray(0, TOK_VOCAB)));
    }
  });

  it('control: without a tokenizer (valid vocab = model vocab) those rows are what gets sampled', async () => {
    const m = await Model.load(noTok, { threads: 1 });
    try {
      const r = await generate(m, { numSamples: 16, maxNewTokens: 1, seed: 5, batchSize: 16 });
      expect(r.samples.every((s) => s.tokens.length === 1 && s.tokens[0]! >= TOK_VOCAB)).toBe(true);
    } finally {
      m.dispose();
    }
  });
});
