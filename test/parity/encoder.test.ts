/**
 * Sentence-encoder parity against the independent reference (test/reference/ref_bert.py, written from
 * transformers' BertModel and sentence-transformers' Pooling / Normalize).
 *
 * Tiny random BERT encoders in the genuine HF + sentence-transformers layout (test/helpers/tiny-encoder.ts),
 * one per pooling rule; variants share their weights (same seed), so differences between them come from
 * the module files alone. Our side embeds all texts as one right-padded, length-sorted batch; the
 * reference runs each text alone (no padding at all), so agreement also shows that padding is masked.
 * float32, max |ours − ref| ≤ 1e-5 over every component.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SentenceEncoder } from '../../lib/encoder';
import { refEmbedJobs, type RefEmbedOutcome, type RefEmbedResult } from '../helpers/ref-bert';
import { hasPythonTorch, pythonTorchSkipReason } from '../helpers/reference';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';
import { tinyVocab, writeTinyEncoder, type TinyEncoderOptions } from '../helpers/tiny-encoder';

const TOL = 1e-5;
const MAX_SEQ = 24;

const TEXTS = [
  'The cat sat on the mat.',
  'What is two plus three? Five.',
  'dog',
  '',
  'Zebras, quokkas and the sun rises in the east; water boils!',
  // longer than MAX_SEQ tokens: truncated to MAX_SEQ, [SEP] last
  'which animal runs fast ? the dog runs fast , the cat sat on the mat , water boils in the east , the sun rises , two plus three equals five , what is the answer ? the model data number is two',
  '  The CAT sat  ',
  'naïve € data model',
];

const VARIANTS: Array<{ name: string; opts: TinyEncoderOptions }> = [
  { name: 'mean-normalize', opts: { pooling: 'mean', normalize: true } },
  { name: 'cls-normalize-prefixed', opts: { pooling: 'cls', normalize: true, bertPrefix: true, withPooler: true } },
  { name: 'max', opts: { pooling: 'max' } },
  { name: 'mean-sqrt-len-gelu-tanh', opts: { pooling: 'mean_sqrt_len', hiddenAct: 'gelu_new' } },
  { name: 'no-modules-json', opts: { sentenceTransformers: false } },
];

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const skip = !hasPythonTorch();
if (skip) console.warn(`encoder parity skipped: ${pythonTorchSkipReason()}`);

describe.skipIf(skip)('sentence encoder parity with the reference', () => {
  let root: string;
  const encoders = new Map<string, SentenceEncoder>();
  const tokens = new Map<string, number[][]>();
  const ref = new Map<string, RefEmbedOutcome>();
  const report: string[] = [];

  beforeAll(async () => {
    root = makeTmpDir('resurface-encoder-');
    for (const v of VARIANTS) {
      const dir = path.join(root, v.name);
      await writeTinyEncoder(dir, { seed: 7, maxSeqLength: MAX_SEQ, ...v.opts });
      // the plain BertModel directory has no sentence_bert_config.json: truncation at model_max_length / positions
      const enc = await SentenceEncoder.load(dir, { threads: 1 });
      encoders.set(v.name, enc);
      tokens.set(v.name, await enc.tokenize(TEXTS));
    }
    const jobs = VARIANTS.map((v) => ({ model: path.join(root, v.name), tokens: tokens.get(v.name)! }));
    jobs.push({ model: path.join(root, 'mean-normalize'), tokens: tokens.get('mean-normalize')!, batched: true } as (typeof jobs)[number]);
    const out = await refEmbedJobs(jobs);
    VARIANTS.forEach((v, i) => ref.set(v.name, out[i]!));
    ref.set('mean-normalize|batched', out[VARIANTS.length]!);
  }, 300_000);

  afterAll(() => {
    if (report.length) console.log(`[encoder] max |ours - ref|:\n  ${report.join('\n  ')}`);
    for (const e of encoders.values()) e.dispose();
    if (root) removeTmpDir(root);
  });

  function refFor(name: string): RefEmbedResult {
    const r = ref.get(name);
    if (!r || 'error' in r) throw new Error(`no reference for ${name}: ${r && 'error' in r ? r.error : 'not run'}`);
    return r;
  }

  it('tokenizes as sentence-transformers does: [CLS] … [SEP], lower-cased, stripped, truncated to max_seq_length', async () => {
    const vocab = new Map(tinyVocab().map((t, i) => [t, i]));
    const id = (t: string) => vocab.get(t)!;
    const ids = tokens.get('mean-normalize')!;
    expect(ids[0]).toEqual(['[CLS]', 'the', 'cat', 'sat', 'on', 'the', 'mat', '.', '[SEP]'].map(id));
    expect(ids[3]).toEqual([id('[CLS]'), id('[SEP]')]);
    expect(ids[6]).toEqual(['[CLS]', 'the', 'cat', 'sat', '[SEP]'].map(id));
    expect(ids[7]).toContain(id('[UNK]')); // € is not in the vocabulary; ï loses its accent
    expect(ids[5]!.length).toBe(MAX_SEQ);
    expect(ids[5]![MAX_SEQ - 1]).toBe(id('[SEP]'));
    // without sentence_bert_config.json: min(max_position_embeddings 40, model_max_length 512)
    expect(encoders.get('no-modules-json')!.maxSeqLength).toBe(40);
    expect(tokens.get('no-modules-json')![5]!.length).toBe(40);
  });

  it.each(VARIANTS.map((v) => v.name))('%s: float32 embeddings within 1e-5 of the reference', async (name) => {
    const enc = encoders.get(name)!;
    const r = refFor(name);
    const ours = await enc.embedTokens(tokens.get(name)!);
    expect(r.dim).toBe(enc.dim);
    let worst = 0;
    ours.forEach((v, i) => (worst = Math.max(worst, maxAbs(v, r.embeddings[i]!))));
    report.push(`${name} (${r.pooling}${r.normalize ? ', normalised' : ''}): ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(TOL);
    // not degenerate: texts get clearly different vectors
    expect(maxAbs(ours[0]!, ours[1]!)).toBeGreaterThan(100 * TOL);
  });

  it('reads the pooling and normalisation the checkpoint declares', async () => {
    const mean = encoders.get('mean-normalize')!;
    expect(mean.modules).toMatchObject({ pooling: 'mean', normalize: true, sentenceTransformers: true });
    expect(encoders.get('cls-normalize-prefixed')!.modules).toMatchObject({ pooling: 'cls', normalize: true });
    expect(encoders.get('max')!.modules).toMatchObject({ pooling: 'max', normalize: false });
    for (const v of await mean.embed(TEXTS)) expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    // same weights, other pooling: other vectors
    const [m] = await mean.embed([TEXTS[1]!]);
    const [c] = await encoders.get('cls-normalize-prefixed')!.embed([TEXTS[1]!]);
    expect(maxAbs(m!, c!)).toBeGreaterThan(0.01);
  });

  it("without modules.json: mean pooling, no normalisation, and a warning (sentence-transformers' fallback)", async () => {
    const plain = encoders.get('no-modules-json')!;
    expect(plain.modules).toMatchObject({ pooling: 'mean', normalize: false, sentenceTransformers: false });
    expect(plain.warnings.join(' ')).toMatch(/no modules\.json.*mean pooling/);
    // same weights as mean-normalize: its vectors are ours normalised (texts under 24 tokens)
    const [a] = await plain.embed([TEXTS[0]!]);
    const [b] = await encoders.get('mean-normalize')!.embed([TEXTS[0]!]);
    const n = Math.hypot(...a!);
    expect(Math.abs(n - 1)).toBeGreaterThan(0.01);
    expect(
      maxAbs(
        a!.map((x) => x / n),
        b!,
      ),
    ).toBeLessThanOrEqual(1e-6);
  });

  it('batch-invariant: a padded batch gives each text its single-text embedding', async () => {
    const enc = encoders.get('mean-normalize')!;
    const batched = await enc.embed(TEXTS);
    let worst = 0;
    for (let i = 0; i < TEXTS.length; i++) worst = Math.max(worst, maxAbs((await enc.embed([TEXTS[i]!]))[0]!, batched[i]!));
    report.push(`batched vs single (ours): ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(1e-6);
    // the reference agrees with itself padded, so padding masks are equivalent on both sides
    const refPadded = refFor('mean-normalize|batched');
    let refWorst = 0;
    refPadded.embeddings.forEach((v, i) => (refWorst = Math.max(refWorst, maxAbs(v, batched[i]!))));
    expect(refWorst).toBeLessThanOrEqual(TOL);
  });

  it('batchSize 1 and 32 agree; empty input is empty; use after dispose is ERR_DISPOSED', async () => {
    const dir = path.join(root, 'mean-normalize');
    const one = await SentenceEncoder.load(dir, { threads: 1, batchSize: 1 });
    const a = await one.embed(TEXTS);
    const b = await encoders.get('mean-normalize')!.embed(TEXTS);
    a.forEach((v, i) => expect(maxAbs(v, b[i]!)).toBeLessThanOrEqual(1e-6));
    expect(await one.embed([])).toEqual([]);
    one.dispose();
    await expect(one.embed(['x'])).rejects.toMatchObject({ code: 'ERR_DISPOSED' });
    expect(fs.existsSync(dir)).toBe(true);
  });

  it('bfloat16 on CPU: within bf16 precision of the float32 reference (cosine > 0.999); the event loop keeps ticking', async () => {
    const enc = await SentenceEncoder.load(path.join(root, 'mean-normalize'), { threads: 1, dtype: 'bfloat16' });
    const r = refFor('mean-normalize');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const ours = await enc.embedTokens(Array.from({ length: 40 }, (_, i) => tokens.get('mean-normalize')![i % TEXTS.length]!));
    clearInterval(timer);
    enc.dispose();
    let worstCos = 1;
    let worstAbs = 0;
    TEXTS.forEach((_, i) => {
      const a = ours[i]!;
      const b = r.embeddings[i]!;
      let dot = 0;
      for (let j = 0; j < a.length; j++) dot += a[j]! * b[j]!; // both unit vectors
      worstCos = Math.min(worstCos, dot);
      worstAbs = Math.max(worstAbs, maxAbs(a, b));
    });
    report.push(`bfloat16 vs float32 reference: min cosine ${worstCos.toFixed(5)}, max abs ${worstAbs.toExponential(2)}`);
    expect(worstAbs).toBeGreaterThan(0); // really ran in bf16
    expect(worstCos).toBeGreaterThan(0.999);
    expect(ticks).toBeGreaterThan(0);
  });
});
