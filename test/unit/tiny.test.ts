import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../lib/errors';
import { parameterCount } from '../../lib/model/architectures';
import { parseConfig } from '../../lib/model/config';
import { shrinkConfig } from '../../lib/model/tiny';
import { readSharedConfig, SHARED_MODELS } from '../helpers/shared';

/** Fields that describe the architecture rather than its size: shrinking must keep them. */
const FEATURES = [
  'architecture',
  'family',
  'norm',
  'normEps',
  'mlp',
  'activation',
  'qkvBias',
  'attnOutBias',
  'mlpBias',
  'qkNorm',
  'tieWordEmbeddings',
  'parallelResidual',
  'ropeTheta',
  'ropeScaling',
  'vocabSize',
  'bosTokenId',
  'eosTokenIds',
  'padTokenId',
  'maxPositionEmbeddings',
  'initializerRange',
] as const;

describe('shrinkConfig', () => {
  for (const model of SHARED_MODELS) {
    it(`${model}: same keys, same features, tiny sizes`, () => {
      const src = readSharedConfig(model);
      const before = JSON.stringify(src);
      const tiny = shrinkConfig(src);
      expect(JSON.stringify(src)).toBe(before); // input untouched
      const added = Object.keys(tiny).filter((k) => !(k in src));
      expect(added).toEqual([]);
      for (const k of Object.keys(src)) {
        if (typeof src[k] !== 'number') expect(tiny[k], k).toEqual(src[k]); // only numbers change
      }
      const a = parseConfig(src);
      const b = parseConfig(tiny);
      for (const f of FEATURES) expect(b[f], f).toEqual(a[f]);
      expect(b.numLayers).toBe(2);
      expect(b.hiddenSize).toBeLessThanOrEqual(128);
      expect(b.intermediateSize).toBe(2 * b.hiddenSize);
      expect(b.numHeads / b.numKvHeads).toBe(a.numHeads / a.numKvHeads); // GQA ratio
      expect(b.rotaryDim / b.headDim).toBe(a.rotaryDim / a.headDim); // partial rotary fraction
      expect((b.headDim * b.numHeads) / b.hiddenSize).toBe((a.headDim * a.numHeads) / a.hiddenSize); // head_dim vs hidden/heads
      expect(b.rotaryDim % 2).toBe(0);
      // parameters are dominated by the (kept) vocabulary: V·H, or 2·V·H when untied
      expect(parameterCount(b)).toBeLessThan(b.vocabSize * b.hiddenSize * (b.tieWordEmbeddings ? 1 : 2) * 1.2);
    });
  }

  it('examples: pythia 4 heads × 16 (4 rotary); Qwen3 hidden 64, 4 heads, head_dim 32; Llama 8/2 heads; Qwen2.5 14/2', () => {
    expect(parseConfig(shrinkConfig(readSharedConfig('EleutherAI--pythia-70m')))).toMatchObject({
      hiddenSize: 64,
      numHeads: 4,
      headDim: 16,
      rotaryDim: 4,
    });
    expect(parseConfig(shrinkConfig(readSharedConfig('Qwen--Qwen3-0.6B')))).toMatchObject({
      hiddenSize: 64,
      numHeads: 4,
      numKvHeads: 2,
      headDim: 32,
    });
    expect(parseConfig(shrinkConfig(readSharedConfig('meta-llama--Llama-3.2-1B')))).toMatchObject({
      hiddenSize: 64,
      numHeads: 8,
      numKvHeads: 2,
      headDim: 8,
    });
    expect(parseConfig(shrinkConfig(readSharedConfig('Qwen--Qwen2.5-0.5B')))).toMatchObject({
      numHeads: 14,
      numKvHeads: 2,
      headDim: 8,
      hiddenSize: 112,
    });
  });

  it('options: vocabSize, layers, hidden, intermediate, kv heads', () => {
    const t = parseConfig(
      shrinkConfig(readSharedConfig('meta-llama--Llama-3.2-1B'), {
        vocabSize: 128256 + 0,
        numLayers: 3,
        hiddenSize: 128,
        intermediateSize: 200,
        numKvHeads: 1,
      }),
    );
    expect(t).toMatchObject({ numLayers: 3, hiddenSize: 128, intermediateSize: 200, numHeads: 4, numKvHeads: 1, headDim: 32 });
    const p = parseConfig(shrinkConfig(readSharedConfig('EleutherAI--pythia-70m'), { vocabSize: 1000, maxPositionEmbeddings: 256 }));
    expect([p.vocabSize, p.maxPositionEmbeddings]).toEqual([1000, 256]);
  });

  it('keeps transformers-5 per-layer lists consistent and rejects bad options', () => {
    const c = readSharedConfig('Qwen--Qwen3-0.6B');
    c['layer_types'] = Array.from({ length: 28 }, () => 'full_attention');
    const tiny = shrinkConfig(c, { numLayers: 3 });
    expect(tiny['layer_types']).toHaveLength(3);
    expect(tiny['max_window_layers']).toBe(3);
    expect(() => shrinkConfig(readSharedConfig('Qwen--Qwen2.5-0.5B'), { vocabSize: 1000 })).toThrow(ArgumentError); // eos 151643 would not fit
    expect(() => shrinkConfig(readSharedConfig('Qwen--Qwen2.5-0.5B'), { numLayers: 0 })).toThrow(ArgumentError);
    expect(() => shrinkConfig(readSharedConfig('Qwen--Qwen2.5-0.5B'), { bogus: 1 } as never)).toThrow(ArgumentError);
    expect(() => shrinkConfig({ architectures: ['BertModel'] })).toThrow(expect.objectContaining({ code: 'ERR_UNSUPPORTED_CONFIG' }));
  });
});
