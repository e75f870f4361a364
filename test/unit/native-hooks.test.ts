/**
 * The built-in proxy hooks over our runtime: mean-pooled embeddings and the pooled average
 * log-likelihood agree with the eval modules they wrap, each model is loaded once per hook set,
 * empty texts are fine, and registered hooks take precedence over the built-in ones.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { embed } from '../../lib/eval/embed';
import { computePerplexity } from '../../lib/eval/perplexity';
import { Model } from '../../lib/model/model';
import { nativeHooks, runtimeNativeHooks, scopedNativeHooks, setNativeHooks, useRuntimeNativeHooks } from '../../lib/proxies/native-hooks';
import { TextTokenizer } from '../../lib/tokenizer/tokenizer';
import { makeTinyModel } from '../helpers/tiny-models';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

const tmp = makeTmpDir('resurface-hooks-');
afterAll(() => removeTmpDir(tmp));

const TEXTS = [
  'The river ran past the stone wall.',
  '',
  'seven three seven three',
  'A much longer sentence about a quiet garden and a tall window in summer.',
];

describe('runtime native hooks', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await makeTinyModel('EleutherAI--pythia-70m', path.join(tmp, 'models'), 5);
  });

  it('embed: one mean-pooled vector per text, as lib/eval/embed computes it', async () => {
    const hooks = runtimeNativeHooks();
    try {
      const vecs = await hooks.embed(dir, TEXTS);
      const model = await Model.load(dir);
      const tok = await TextTokenizer.load(dir);
      try {
        expect(vecs).toHaveLength(TEXTS.length);
        for (const v of vecs) expect(v.length).toBe(model.config.hiddenSize);
        const lists = await tok.encodeBatch([TEXTS[0]!, TEXTS[3]!], { addSpecialTokens: false });
        const ref = await embed(model, lists);
        expect(Array.from(vecs[0]!)).toEqual(Array.from(ref.data.subarray(0, ref.dim)).map((x) => expect.closeTo(x, 5)));
        expect(Array.from(vecs[3]!)).toEqual(Array.from(ref.data.subarray(ref.dim)).map((x) => expect.closeTo(x, 5)));
        expect(vecs[1]!.every(Number.isFinite)).toBe(true); // the empty text: embedded as the prefix token
      } finally {
        model.dispose();
      }
    } finally {
      await hooks.dispose();
    }
  });

  it('avgLogLik: minus the pooled per-token NLL of lib/eval/perplexity; each model loaded once', async () => {
    const load = vi.spyOn(Model, 'load');
    const hooks = runtimeNativeHooks();
    try {
      const a = await hooks.avgLogLik(dir, TEXTS);
      const b = await hooks.avgLogLik(dir, TEXTS.slice(0, 2));
      await hooks.embed(dir, TEXTS);
      expect(load).toHaveBeenCalledTimes(1);
      load.mockRestore();
      const model = await Model.load(dir);
      try {
        const ref = await computePerplexity(
          model,
          await TextTokenizer.load(dir),
          TEXTS.map((text, i) => ({ source: String(i), text })),
        );
        expect(a.tokens).toBe(ref.tokens);
        expect(a.avgLogLik).toBeCloseTo(-ref.nll / ref.tokens, 5);
        expect(a.avgLogLik).toBeLessThan(0);
        expect(b.tokens).toBeLessThan(a.tokens);
      } finally {
        model.dispose();
      }
    } finally {
      load.mockRestore();
      await hooks.dispose();
    }
  });

  it('scoped hooks defer to hooks registered with setNativeHooks', async () => {
    const fake = {
      embed: async (_m: string, t: string[]) => t.map(() => Float32Array.of(1, 0)),
      avgLogLik: async () => ({ avgLogLik: -1, tokens: 3 }),
    };
    setNativeHooks(fake);
    try {
      const scoped = scopedNativeHooks();
      expect(await scoped.avgLogLik('nowhere', ['x'])).toEqual({ avgLogLik: -1, tokens: 3 });
      await scoped.dispose();
    } finally {
      useRuntimeNativeHooks();
    }
    expect((await nativeHooks().avgLogLik(dir, ['the river'])).tokens).toBeGreaterThan(0);
  });
});
