/**
 * Generation for evaluation (generate_until) equals greedy decoding by the independent PyTorch
 * reference (test/reference/ref_model.py: a full forward per step, no KV cache), on tiny models with
 * the real Pythia tokenizer (vocab 512: ids < 512 decode to real text):
 *
 *   (a) contexts of different lengths, batch size 2 < items (rows refilled with new contexts while
 *       others decode), no stop string met: the ids equal the reference's (EOS excluded);
 *   (b) stop strings taken from the reference's own text, spanning token boundaries: generation
 *       stops at the first token whose text completes one, and the text is the reference text cut as
 *       the harness cuts it (split on each `until`, keep the part before);
 *   (c) per-item max_gen_toks, EOS handling, and repeats sharing one prefill;
 *   (d) sampled completions (repeats, temperature 1, top-p) are a function of (seed, item, repeat)
 *       only: the same for batch sizes 1 and 5, different across repeats and seeds.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cutAtStops, encodeContext, generateUntil, type Completion } from '../../lib/eval/generate-until';
import { Model } from '../../lib/model/model';
import { TextTokenizer } from '../../lib/tokenizer/tokenizer';
import { buildGenModel } from '../helpers/tiny-models';
import { refGreedyBatch } from '../helpers/ref-greedy-batch';
import { hasPythonTorch, pythonTorchSkipReason } from '../helpers/reference';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

const VOCAB = 512;
const MAX_NEW = 20;
const EOS = 0;
const NEVER = ['\u0001\u0002\u0003'];

const ARCHS = [
  { name: 'neox', base: 'EleutherAI--pythia-70m' as const, seed: 31 },
  { name: 'qwen3', base: 'Qwen--Qwen3-0.6B' as const, seed: 32 },
];

const skipRef = !hasPythonTorch();
if (skipRef) console.warn(`generate_until reference comparison skipped: ${pythonTorchSkipReason()}`);

/** Context texts whose encoding stays inside the tiny vocabulary, of varied lengths (deterministic). */
async function contextTexts(tok: TextTokenizer, n: number): Promise<string[]> {
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const out: string[] = [];
  while (out.length < n) {
    const len = 3 + Math.floor(rnd() * 25);
    const text = await tok.decode(Array.from({ length: len }, () => 2 + Math.floor(rnd() * 400)));
    const ids = await tok.encode(text);
    if (text.includes('\ufffd') || ids.length === 0 || ids.some((i) => i >= VOCAB)) continue;
    out.push(text);
  }
  return out;
}

describe.skipIf(skipRef)('generate_until equals the PyTorch reference greedy decode', () => {
  let root: string;
  const fixtures = new Map<string, { dir: string; contexts: string[]; ids: number[][]; ref: number[][] }>();

  beforeAll(async () => {
    root = makeTmpDir('resurface-genuntil-');
    const jobs = [];
    for (const a of ARCHS) {
      const dir = await buildGenModel({
        base: a.base,
        dir: path.join(root, a.name),
        seed: a.seed,
        tokenizer: 'pythia',
        perturb: true,
        edit: (c) => {
          c.bos_token_id = EOS;
          c.eos_token_id = EOS;
        },
        shrink: { vocabSize: VOCAB },
      });
      const tok = await TextTokenizer.load(dir);
      const contexts = await contextTexts(tok, 7);
      const ids = await Promise.all(contexts.map((c) => encodeContext(tok, c, 1000)));
      fixtures.set(a.name, { dir, contexts, ids, ref: [] });
      jobs.push({ model: dir, tokens: ids, maxNewTokens: MAX_NEW, eos: [EOS] });
    }
    const res = await refGreedyBatch(jobs);
    ARCHS.forEach((a, i) => {
      const r = res[i]!;
      if ('error' in r) throw new Error(`reference failed: ${r.error}`);
      fixtures.get(a.name)!.ref = r;
    });
  }, 300_000);

  afterAll(() => {
    if (root) removeTmpDir(root);
  });

  describe.each(ARCHS)('$name', (a) => {
    const withModel = async (fn: (m: Model, tok: TextTokenizer) => Promise<void>) => {
      const f = fixtures.get(a.name)!;
      const m = await Model.load(f.dir, { threads: 1 });
      try {
        await fn(m, await TextTokenizer.load(f.dir));
      } finally {
        m.dispose();
      }
    };
    const refTokens = (ids: number[]) => (ids.includes(EOS) ? ids.slice(0, ids.indexOf(EOS)) : ids);

    it('(a) ids equal the reference with continuous batching over contexts of different lengths', async () => {
      const f = fixtures.get(a.name)!;
      expect(new Set(f.ids.map((x) => x.length)).size, 'context lengths vary').toBeGreaterThanOrEqual(4);
      expect(new Set(f.ref.flat()).size, 'outputs vary').toBeGreaterThan(20);
      await withModel(async (m, tok) => {
        for (const batchSize of [2, 7]) {
          const out = await generateUntil(
            m,
            tok,
            f.contexts.map((c) => ({ context: c, until: NEVER, maxGenToks: MAX_NEW })),
            { batchSize },
          );
          out.forEach((row, i) => {
            const want = f.ref[i]!;
            expect(row[0]!.tokens, `item ${i}, batch ${batchSize}`).toEqual(refTokens(want));
            expect(row[0]!.finishReason).toBe(want.includes(EOS) ? 'eos' : 'length');
          });
        }
      });
    });

    it('(b) stops at the first token whose text completes a stop string, and cuts as the harness does', async () => {
      const f = fixtures.get(a.name)!;
      await withModel(async (m, tok) => {
        const eosText = await tok.decode([EOS]);
        const reqs = [];
        const expected: Array<{ tokens: number[]; text: string; reason: string }> = [];
        for (const [i, full] of f.ref.entries()) {
          const ref = refTokens(full);
          if (ref.length < 12) continue;
          // a stop string spanning the boundary of tokens 7 and 8 of the reference text
          const before = await tok.decode(ref.slice(0, 8), { skipSpecialTokens: true });
          const whole = await tok.decode(ref, { skipSpecialTokens: true });
          const stop = whole.slice(Math.max(0, before.length - 2), before.length + 2);
          if (stop.length < 2) continue;
          let j = 0;
          while (!(await tok.decode(ref.slice(0, j + 1), { skipSpecialTokens: true })).includes(stop)) j++;
          reqs.push({ context: f.contexts[i]!, until: ['\u0001never', stop], maxGenToks: MAX_NEW });
          // a stop string holding U+FFFD (the decoder's replacement of invalid bytes) still cuts, but
          // cannot stop generation early: the row runs to its budget or EOS
          const early = !stop.includes('\ufffd');
          expected.push({
            tokens: early ? ref.slice(0, j + 1) : ref,
            text: cutAtStops(whole, ['\u0001never', stop, eosText]),
            reason: early ? 'stop' : full.includes(EOS) ? 'eos' : 'length',
          });
        }
        expect(reqs.length).toBeGreaterThanOrEqual(3);
        expect(expected.filter((e) => e.reason === 'stop').length).toBeGreaterThanOrEqual(2);
        const out = await generateUntil(m, tok, reqs, { batchSize: 3 });
        out.forEach((row, k) => {
          expect({ tokens: row[0]!.tokens, text: row[0]!.text, reason: row[0]!.finishReason }).toEqual(expected[k]);
        });
      });
    });

    it('(c) per-item max_gen_toks; repeats of greedy decoding share a prefill and agree', async () => {
      const f = fixtures.get(a.name)!;
      await withModel(async (m, tok) => {
        const budgets = f.contexts.map((_, i) => 1 + ((i * 5) % MAX_NEW));
        const out = await generateUntil(
          m,
          tok,
          f.contexts.map((c, i) => ({ context: c, until: NEVER, maxGenToks: budgets[i]! })),
          { batchSize: 3, repeats: 2 },
        );
        out.forEach((row, i) => {
          const want = refTokens(f.ref[i]!).slice(0, budgets[i]!);
          expect(row).toHaveLength(2);
          for (const c of row) expect(c.tokens, `item ${i}`).toEqual(want);
        });
        // every row finishing at its first token (max_gen_toks 1), with items still waiting
        const one = await generateUntil(
          m,
          tok,
          f.contexts.map((c) => ({ context: c, until: NEVER, maxGenToks: 1 })),
          { batchSize: 2 },
        );
        expect(one.map((r) => r[0]!.tokens)).toEqual(f.ref.map((r) => r.slice(0, 1).filter((t) => t !== EOS)));
      });
    });

    it('(d) sampled repeats depend only on (seed, item, repeat)', async () => {
      const f = fixtures.get(a.name)!;
      await withModel(async (m, tok) => {
        const reqs = f.contexts.slice(0, 4).map((c) => ({ context: c, until: NEVER, maxGenToks: 12 }));
        const run = (batchSize: number, seed: number): Promise<Completion[][]> =>
          generateUntil(m, tok, reqs, { batchSize, repeats: 3, temperature: 1, topP: 0.95, seed });
        const a1 = await run(1, 5);
        const a5 = await run(5, 5);
        const b = await run(5, 6);
        const toks = (x: Completion[][]) => x.map((r) => r.map((c) => c.tokens));
        expect(toks(a5)).toEqual(toks(a1));
        expect(toks(b)).not.toEqual(toks(a1));
        for (const r of a1) expect(new Set(r.map((c) => c.tokens.join(','))).size, 'repeats differ').toBeGreaterThan(1);
      });
    });
  });
});
