/**
 * The O(V) truncated sampler (native/generate/truncated_sampler.cc: radix select, no sort) against
 * a sort-based reference: test/helpers/sampling-math.ts sorts the vocabulary by descending logit
 * (ties by ascending id, a stable sort), applies top-k → top-p → min-p by the textbook rules in
 * float64, and predicts each draw by the inverse CDF over the kept tokens in that order with the
 * Philox uniform. A wrong kept set or a wrong order shows as mispredicted draws (the checks below
 * allow rounding-level flips only: ≤ 5 per 10^4 draws).
 *
 * Ties: output-embedding rows are duplicated, so several ids share their logit exactly (the
 * forward's logits are checked to be bit-equal) — at the top, and at the top-k / top-p boundary,
 * where a cut must split the tie by id as the stable sort does.
 *
 * Draws run at batch size 1 so that every draw sees the reference's batch-1 logits: in a batched
 * GEMM each row rounds differently (its place in the kernel's tiles), and at batch 128 some rows'
 * copies no longer tie exactly (measured: 19 of 2000 top-k 7 draws took id 390, right for those
 * rows' logits, wrong for the batch-1 reference).
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../lib/generate/model-generate';
import { Model } from '../../lib/model/model';
import { buildGenModel } from '../helpers/tiny-models';
import { readTensors, writeTensors } from '../helpers/tensors';
import { argmax, inverseCdf, philoxUniform, samplingDistribution, type SamplingParams } from '../helpers/sampling-math';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

const N = 4000;
const SEED = 99173;
const VOCAB = 512;
const START = 1;

let root: string;
let model: Model;
let logits: Float32Array;
let byRank: number[];

beforeAll(async () => {
  root = makeTmpDir('resurface-trunc-');
  const dir = await buildGenModel({
    base: 'EleutherAI--pythia-70m',
    dir: path.join(root, 'tiny'),
    seed: 11,
    std: 0.3,
    edit: (c) => {
      c.bos_token_id = START;
      c.eos_token_id = 2;
    },
    shrink: { vocabSize: VOCAB },
  });
  const probe = await Model.load(dir, { threads: 1 });
  let f = await probe.forward([[START]]);
  probe.dispose();
  const first = f.logits.slice(0, VOCAB);
  const rank = Array.from({ length: VOCAB }, (_, i) => i).sort((a, b) => first[b]! - first[a]!);
  // duplicate rows: the top token onto 2 others, the 5th onto 3 others, the 12th onto 4 others
  const tensors = await readTensors(dir);
  const head = tensors.get('embed_out.weight')!;
  const H = head.shape[1]!;
  const copies: Array<[number, number[]]> = [
    [rank[0]!, [rank[300]!, rank[301]!]],
    [rank[4]!, [rank[302]!, rank[303]!, rank[304]!]],
    [rank[11]!, [rank[305]!, rank[306]!, rank[307]!, rank[308]!]],
  ];
  for (const [src, dsts] of copies) for (const d of dsts) head.values.set(head.values.subarray(src * H, (src + 1) * H), d * H);
  await writeTensors(dir, tensors);
  model = await Model.load(dir, { threads: 1 });
  f = await model.forward([[START]]);
  logits = f.logits.slice(0, VOCAB);
  byRank = Array.from({ length: VOCAB }, (_, i) => i).sort((a, b) => logits[b]! - logits[a]! || a - b);
  for (const [src, dsts] of copies) for (const d of dsts) expect(logits[d], 'duplicated rows tie exactly').toBe(logits[src]);
});

afterAll(() => {
  model?.dispose();
  if (root) removeTmpDir(root);
});

async function check(p: SamplingParams, expectAllowed?: number): Promise<void> {
  const dist = samplingDistribution(logits, p);
  if (expectAllowed !== undefined) expect(dist.allowed.length).toBe(expectAllowed);
  const r = await generate(model, {
    numSamples: N,
    maxNewTokens: 1,
    seed: SEED,
    batchSize: 1,
    temperature: p.temperature,
    topK: p.topK,
    topP: p.topP,
    minP: p.minP,
  });
  const tokens = r.samples.map((s) => s.tokens[0] ?? 2);
  const sortedOrder = p.topK || (p.topP !== undefined && p.topP < 1);
  const order = sortedOrder ? dist.allowed : Array.from({ length: VOCAB }, (_, i) => i);
  const allowed = new Set(dist.allowed);
  expect(
    tokens.filter((t) => !allowed.has(t)),
    'tokens outside the reference set',
  ).toEqual([]);
  let mismatches = 0;
  tokens.forEach((t, i) => {
    if (inverseCdf(dist.probs, order, philoxUniform(SEED, i, 0)) !== t) mismatches++;
  });
  expect(mismatches, `draws not predicted by the sort-based reference for ${JSON.stringify(p)}`).toBeLessThanOrEqual(Math.ceil(N * 5e-4));
}

describe('truncated sampler = sort-based reference (ties included)', () => {
  it('the ties are where the cuts fall', () => {
    expect(logits[byRank[0]!]).toBe(logits[byRank[2]!]); // three-way tie at the top
    expect(argmax(logits)).toBe(byRank[0]);
  });

  it.each(['float32', 'bfloat16'] as const)(
    'greedy (temperature 0) in %s takes the first id of the tie at the top, as torch.argmax',
    async (dtype) => {
      // native/generate/argmax_rows.cc: the vectorised row argmax that replaced libtorch's scalar one
      const m = dtype === 'float32' ? model : await Model.load(model.dir, { threads: 1, dtype });
      try {
        const row = (await m.forward([[START]])).logits.slice(0, VOCAB); // bf16 logits widen exactly
        const top = Math.max(...row);
        const first = row.indexOf(top);
        expect(row.filter((x) => x === top).length, 'a tie at the top').toBeGreaterThanOrEqual(3);
        const r = await generate(m, { numSamples: 4, maxNewTokens: 1, seed: SEED, batchSize: 4, temperature: 0 });
        expect(r.samples.map((s) => s.tokens[0])).toEqual([first, first, first, first]);
      } finally {
        if (m !== model) m.dispose();
      }
    },
  );

  it.each([1, 2, 4, 6, 7, 8, 20, 100])('top-k %s (a cut inside a tie keeps the lower ids)', async (k) => {
    await check({ temperature: 1, topK: k }, k);
  });

  it.each([0.3, 0.5, 0.7, 0.9, 0.95])('top-p %s', async (topP) => {
    await check({ temperature: 1, topP });
  });

  it('top-p 1 is untruncated (draws in id order)', async () => {
    await check({ temperature: 1, topP: 1 }, VOCAB);
  });

  it.each([0.05, 0.2, 0.5])('min-p %s', async (minP) => {
    await check({ temperature: 1, minP });
  });

  it('a flat distribution crowds many tokens into one histogram bin (the radix levels inside a bin run)', () => {
    // the sampler's level-0 bin: the top 11 bits of e = exp((x - max) / T) as float32
    const crowd = (T: number): number => {
      const max = Math.max(...logits);
      const bins = new Map<number, number>();
      const f = new Float32Array(1);
      const u = new Uint32Array(f.buffer);
      for (const x of logits) {
        f[0] = Math.exp((x - max) / T);
        bins.set(u[0]! >>> 21, (bins.get(u[0]! >>> 21) ?? 0) + 1);
      }
      return Math.max(...bins.values());
    };
    expect(crowd(8)).toBeGreaterThan(64);
  });

  it.each([
    { temperature: 8, topP: 0.9 },
    { temperature: 8, topK: 300 },
    { temperature: 8, topK: 400, topP: 0.5 },
    { temperature: 0.7, topK: 6, topP: 0.8 },
    { temperature: 1.3, topK: 40, minP: 0.1 },
    { temperature: 1, topP: 0.9, minP: 0.05 },
    { temperature: 0.9, topK: 100, topP: 0.95, minP: 0.02 },
  ])('combination %j', async (p) => {
    await check(p);
  });
});
