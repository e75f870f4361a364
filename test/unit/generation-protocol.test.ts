/**
 * The reference pipeline's generation settings:
 *   - min-new-tokens: EOS *and every other stop token* are masked until a sample has N tokens
 *     (each row its own count under continuous batching); every token is still the inverse-CDF
 *     draw at u = Philox(seed, sample, step), of softmax(logits) with the stop tokens removed
 *     before step N and of the full softmax after — checked against full forward passes;
 *   - start-text: the tokens of a text are the context (one token: the same corpus as
 *     --start-token with that id; several: each token reproduces from a full forward pass);
 *     the manifest records the rule, the text and the ids;
 *   - logprobs in the corpus: float32 values (shortest decimals), one per token plus the stop
 *     token's, mean_nll = −mean; the settings are part of the resume fingerprint;
 *   - drop-short: the reference post-filter, off by default, recorded in the manifest;
 *   - manifests written before these settings existed still read and resume.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANIFEST_FILE, readManifest } from '../../lib/corpus/manifest';
import { corpusRecords, openCorpus } from '../../lib/corpus/read-corpus';
import type { CorpusRecord } from '../../lib/corpus/shard';
import { generateCorpus, isShortSample, type CorpusGenerateOptions } from '../../lib/corpus/write-corpus';
import { generate } from '../../lib/generate/model-generate';
import { Model } from '../../lib/model/model';
import { TextTokenizer } from '../../lib/tokenizer/tokenizer';
import { buildGenModel, copyModelDir } from '../helpers/tiny-models';
import { argmax, inverseCdf, philoxUniform, softmax } from '../helpers/sampling-math';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

const VOCAB = 512;
const MAX_NEW = 20;
const MIN_NEW = 8;
const N = 24;

let root: string;
let bare: string; // no tokenizer; BOS 1, stop tokens = two frequent tokens
let stops: number[];
let withTok: string; // Pythia tokenizer; EOS (<|endoftext|> = 0) plus a frequent token as stop
let k = 0;
const out = (name: string) => path.join(root, `${name}-${k++}`);

async function frequentTokens(dir: string, n: number): Promise<number[]> {
  const m = await Model.load(dir, { threads: 1 });
  try {
    const r = await generate(m, { numSamples: N, maxNewTokens: MAX_NEW, temperature: 1, batchSize: 4, seed: 1 });
    const counts = new Float64Array(VOCAB);
    for (const s of r.samples) for (const t of new Set(s.tokens)) counts[t]! += 1;
    const picked: number[] = [];
    for (let i = 0; i < n; i++) {
      const a = argmax(counts);
      picked.push(a);
      counts[a] = -1;
    }
    return picked;
  } finally {
    m.dispose();
  }
}

beforeAll(async () => {
  root = makeTmpDir('resurface-protocol-');
  const b = await buildGenModel({
    base: 'EleutherAI--pythia-70m',
    dir: path.join(root, 'bare'),
    seed: 41,
    std: 0.3,
    edit: (c) => {
      c.bos_token_id = 1;
      c.eos_token_id = 2;
    },
    shrink: { vocabSize: VOCAB },
  });
  stops = await frequentTokens(b, 2);
  bare = copyModelDir(b, path.join(root, 'bare-stops'), (c) => {
    c.eos_token_id = stops;
  });
  const t = await buildGenModel({
    base: 'EleutherAI--pythia-70m',
    dir: path.join(root, 'tok'),
    seed: 42,
    std: 0.3,
    tokenizer: 'pythia',
    shrink: { vocabSize: VOCAB },
  });
  const [f] = await frequentTokens(t, 1);
  withTok = copyModelDir(t, path.join(root, 'tok-eos'), (c) => {
    c.eos_token_id = [0, f!];
  });
}, 120_000);

afterAll(() => {
  if (root) removeTmpDir(root);
});

/**
 * Every generated token re-drawn from a full forward pass (stop ids given by `masked(step)` removed);
 * for samples that ended with a stop token, the draw after their last token must be one of `stopIds`.
 */
async function redraw(
  m: Model,
  context: number[],
  samples: Array<{ id: number; tokens: number[]; finishReason: string }>,
  seed: number,
  masked: (t: number) => number[],
  stopIds: number[] = [],
): Promise<{ checked: number; mismatches: string[] }> {
  const f = await m.forward(samples.map((s) => [...context, ...s.tokens]));
  const [, T, V] = f.shape;
  const order = Array.from({ length: V }, (_, i) => i);
  const mismatches: string[] = [];
  let checked = 0;
  samples.forEach((s, b) => {
    const steps = s.finishReason === 'eos' ? s.tokens.length + 1 : s.tokens.length;
    for (let t = 0; t < steps; t++) {
      const row = Float32Array.from(f.logits.subarray((b * T + context.length - 1 + t) * V, (b * T + context.length + t) * V));
      for (const id of masked(t)) row[id] = -Infinity;
      const predicted = inverseCdf(softmax(row), order, philoxUniform(seed, s.id, t));
      checked++;
      if (t < s.tokens.length ? predicted !== s.tokens[t] : !stopIds.includes(predicted)) {
        mismatches.push(`sample ${s.id} step ${t}: generated ${s.tokens[t] ?? 'a stop token'}, forward predicts ${predicted}`);
      }
    }
  });
  return { checked, mismatches };
}

describe('min-new-tokens', () => {
  it('without it, samples stop early (the test has power); with it, no stop token before step N, each row its own count', async () => {
    const m = await Model.load(bare, { threads: 1 });
    try {
      const free = await generate(m, { numSamples: N, maxNewTokens: MAX_NEW, temperature: 1, batchSize: 5, seed: 9 });
      const early = free.samples.filter((s) => s.finishReason === 'eos' && s.tokens.length < MIN_NEW);
      expect(early.length, 'samples that end before MIN_NEW without the mask').toBeGreaterThanOrEqual(3);
      const r = await generate(m, { numSamples: N, maxNewTokens: MAX_NEW, minNewTokens: MIN_NEW, temperature: 1, batchSize: 5, seed: 9 });
      for (const s of r.samples) {
        expect(s.tokens.length, `sample ${s.id}`).toBeGreaterThanOrEqual(MIN_NEW);
        for (const id of stops) expect(s.tokens.includes(id)).toBe(false);
      }
      expect(
        new Set(r.samples.filter((s) => s.finishReason === 'eos').map((s) => s.tokens.length)).size,
        'rows finish at different steps',
      ).toBeGreaterThanOrEqual(3);
      // every draw: inverse CDF at Philox(seed, sample, step) of the stop-masked softmax before MIN_NEW;
      // where a sample ended with a stop token, the draw at that step must be one (from the full softmax)
      const withStop = r.samples.map((s) => ({ ...s, stop: undefined as number | undefined }));
      const { checked, mismatches } = await redraw(m, [1], withStop, 9, (t) => (t < MIN_NEW ? stops : []), stops);
      expect(checked).toBeGreaterThan(200);
      expect(mismatches.length, mismatches.slice(0, 5).join('\n')).toBeLessThanOrEqual(1);
    } finally {
      m.dispose();
    }
  }, 120_000);

  it('minNewTokens > maxNewTokens is ERR_INVALID_ARGUMENT, before anything is written', async () => {
    const dir = out('bad-min');
    await expect(generateCorpus({ modelDir: withTok, outDir: dir, numSamples: 2, maxNewTokens: 4, minNewTokens: 5 })).rejects.toMatchObject(
      { code: 'ERR_INVALID_ARGUMENT' },
    );
    expect(fs.existsSync(dir)).toBe(false);
    const m = await Model.load(bare, { threads: 1 });
    try {
      await expect(generate(m, { numSamples: 1, maxNewTokens: 4, minNewTokens: 5 })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
      await expect(generate(m, { numSamples: 1, maxNewTokens: 4, minNewTokens: -1 })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
    } finally {
      m.dispose();
    }
  });
});

async function corpus(opts: Partial<CorpusGenerateOptions>): Promise<{ dir: string; records: CorpusRecord[] }> {
  const dir = out('corpus');
  await generateCorpus({
    modelDir: withTok,
    outDir: dir,
    numSamples: 12,
    maxNewTokens: 12,
    batchSize: 4,
    seed: 3,
    load: { threads: 1 },
    ...opts,
  });
  return { dir, records: [...corpusRecords(openCorpus(dir, { requireComplete: true }))] };
}

describe('start-text', () => {
  it('one token: the corpus of --start-token with that id; the manifest records rule, text and ids', async () => {
    const tok = await TextTokenizer.load(withTok);
    const ids = await tok.encode('\n', { addSpecialTokens: false });
    expect(ids.length).toBe(1);
    const a = await corpus({ startText: '\n' });
    const b = await corpus({ startToken: ids[0]! });
    expect(a.records).toEqual(b.records);
    expect(readManifest(a.dir).startToken).toEqual({ id: ids[0], rule: 'text', text: '\n', ids });
    expect(readManifest(b.dir).startToken.rule).toBe('override');
  });

  it('several tokens: the context is fed whole; each token reproduces from a full forward pass', async () => {
    const tok = await TextTokenizer.load(withTok);
    const text = 'a!b';
    const ids = await tok.encode(text, { addSpecialTokens: false });
    expect(ids.length).toBeGreaterThanOrEqual(2);
    for (const id of ids) expect(id).toBeLessThan(VOCAB);
    const m = await Model.load(withTok, { threads: 1 });
    try {
      const r = await generate(m, { numSamples: 10, maxNewTokens: 12, temperature: 1, batchSize: 3, seed: 5, startText: text });
      expect(r.startToken).toEqual({ id: ids[0], rule: 'text', text, ids });
      const plain = await generate(m, {
        numSamples: 10,
        maxNewTokens: 12,
        temperature: 1,
        batchSize: 3,
        seed: 5,
        startToken: ids[ids.length - 1],
      });
      expect(r.samples.map((s) => s.tokens)).not.toEqual(plain.samples.map((s) => s.tokens)); // the whole context matters
      const lengthOnly = r.samples.filter((s) => s.finishReason === 'length').map((s) => ({ ...s }));
      expect(lengthOnly.length).toBeGreaterThanOrEqual(3);
      const { checked, mismatches } = await redraw(m, ids, lengthOnly, 5, () => []);
      expect(checked).toBeGreaterThan(30);
      expect(mismatches.length, mismatches.slice(0, 5).join('\n')).toBeLessThanOrEqual(1);
    } finally {
      m.dispose();
    }
  });

  it('start-text with start-token is ERR_INVALID_ARGUMENT', async () => {
    const dir = out('both');
    await expect(
      generateCorpus({ modelDir: withTok, outDir: dir, numSamples: 2, maxNewTokens: 4, startText: '\n', startToken: 0 }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(fs.existsSync(dir)).toBe(false);
  });
});

describe('logprobs, drop-short and the manifest', () => {
  it('records carry float32 logprobs (token count + the stop token) and mean_nll; they match generate(model)', async () => {
    const c = await corpus({ logprobs: true, temperature: 1 });
    const m = await Model.load(withTok, { threads: 1 });
    let g;
    try {
      g = await generate(m, { numSamples: 12, maxNewTokens: 12, batchSize: 4, seed: 3, logprobs: true, temperature: 1 });
    } finally {
      m.dispose();
    }
    expect(c.records.some((r) => r.finish_reason === 'eos')).toBe(true);
    for (const r of c.records) {
      const lp = r.logprobs!;
      expect(lp.length).toBe(r.num_tokens + (r.finish_reason === 'eos' ? 1 : 0));
      const ref = g.samples[r.id]!.logprobs!;
      expect(lp.map((v) => Math.fround(v))).toEqual(ref.map((v) => Math.fround(v)));
      for (const v of lp) expect(v).toBeLessThanOrEqual(0);
      expect(r.mean_nll!).toBeCloseTo(-lp.reduce((a, v) => a + v, 0) / lp.length, 6);
    }
    expect(readManifest(c.dir).params).toMatchObject({ logprobs: true, minNewTokens: 0, dropShort: false });
    // shortest float32 decimals (at most 9 significant digits), not double expansions
    for (const r of c.records)
      for (const v of r.logprobs!) expect(String(v).replace(/[-.]/g, '').replace(/^0+/, '').length).toBeLessThanOrEqual(9);
  });

  it('settings are part of the resume fingerprint: resuming with other logprobs / min-new-tokens is ERR_RESUME_MISMATCH', async () => {
    const c = await corpus({ minNewTokens: 2 });
    await expect(
      generateCorpus({
        modelDir: withTok,
        outDir: c.dir,
        numSamples: 12,
        maxNewTokens: 12,
        batchSize: 4,
        seed: 3,
        minNewTokens: 3,
        resume: true,
      }),
    ).rejects.toMatchObject({ code: 'ERR_RESUME_MISMATCH' });
    await expect(
      generateCorpus({
        modelDir: withTok,
        outDir: c.dir,
        numSamples: 12,
        maxNewTokens: 12,
        batchSize: 4,
        seed: 3,
        minNewTokens: 2,
        logprobs: true,
        resume: true,
      }),
    ).rejects.toMatchObject({ code: 'ERR_RESUME_MISMATCH' });
    const same = await generateCorpus({
      modelDir: withTok,
      outDir: c.dir,
      numSamples: 12,
      maxNewTokens: 12,
      batchSize: 4,
      seed: 3,
      minNewTokens: 2,
      resume: true,
    });
    expect(same.shardsReused).toBeGreaterThan(0);
  });

  it('a manifest from before these settings reads and resumes with the defaults', async () => {
    const c = await corpus({ samplesPerShard: 5 });
    const file = path.join(c.dir, MANIFEST_FILE);
    const m = JSON.parse(fs.readFileSync(file, 'utf8'));
    delete m.params.minNewTokens;
    delete m.params.logprobs;
    delete m.params.dropShort;
    m.shards = m.shards.slice(0, 1); // as if killed after the first shard
    fs.writeFileSync(file, JSON.stringify(m));
    expect(readManifest(c.dir).params.minNewTokens).toBeUndefined();
    const s = await generateCorpus({
      modelDir: withTok,
      outDir: c.dir,
      numSamples: 12,
      maxNewTokens: 12,
      batchSize: 4,
      seed: 3,
      samplesPerShard: 5,
      resume: true,
    });
    expect(s).toMatchObject({ shardsReused: 1, complete: true });
    expect([...corpusRecords(openCorpus(c.dir))]).toEqual(c.records);
  });

  it('drop-short (off by default) drops exactly the empty samples and those under min-new-tokens, and says so in the manifest', async () => {
    const all = await corpus({ numSamples: 30, temperature: 1 });
    const empty = all.records.filter((r) => r.text.trim() === '');
    expect(empty.length, 'the default keeps empty samples').toBeGreaterThanOrEqual(1);
    const kept = await corpus({ numSamples: 30, temperature: 1, dropShort: true });
    expect(kept.records).toEqual(all.records.filter((r) => r.text.trim() !== ''));
    const m = readManifest(kept.dir);
    expect(m.params.dropShort).toBe(true);
    expect(m.counts).toMatchObject({ samples: 30 - empty.length, dropped: empty.length });
    expect(m.complete).toBe(true);
    expect(readManifest(all.dir).counts.dropped).toBeUndefined();
    const rec = (text: string, n: number): CorpusRecord => ({ id: 0, text, tokens: [], num_tokens: n, finish_reason: 'eos' });
    expect(isShortSample(rec(' \n', 60), 50)).toBe(true);
    expect(isShortSample(rec('abc', 49), 50)).toBe(true);
    expect(isShortSample(rec('abc', 50), 50)).toBe(false);
  });
});
