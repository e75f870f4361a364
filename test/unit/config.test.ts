import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ResurfaceError } from '../../lib/errors';
import type { ArchSpec } from '../../lib/model/arch-spec';
import { canonicalJson, configHash, parseConfig, readModelConfig } from '../../lib/model/config';
import { makeTmpDir, readSharedConfig, removeTmpDir, SHARED_MODELS, sharedConfigDir, type SharedModel } from '../helpers/shared';

const neoxCommon = {
  architecture: 'GPTNeoXForCausalLM',
  family: 'gpt_neox',
  vocabSize: 50304,
  ropeTheta: 10000,
  ropeScaling: null,
  maxPositionEmbeddings: 2048,
  norm: 'layernorm',
  normEps: 1e-5,
  parallelResidual: true,
  mlp: 'gelu_mlp',
  activation: 'gelu',
  qkvBias: true,
  attnOutBias: true,
  mlpBias: true,
  qkNorm: false,
  tieWordEmbeddings: false,
  initializerRange: 0.02,
  bosTokenId: 0,
  eosTokenIds: [0],
  padTokenId: null,
  checkpointDtype: 'float16',
} as const;
const qwenCommon = {
  vocabSize: 151936,
  ropeTheta: 1_000_000,
  ropeScaling: null,
  norm: 'rmsnorm',
  normEps: 1e-6,
  parallelResidual: false,
  mlp: 'gated_mlp',
  activation: 'silu',
  mlpBias: false,
  tieWordEmbeddings: true,
  initializerRange: 0.02,
  bosTokenId: 151643,
  padTokenId: null,
  checkpointDtype: 'bfloat16',
} as const;

/** The numbers each vendored config must parse to (from the hub model cards / config files). */
const EXPECTED: Record<SharedModel, ArchSpec> = {
  // head_dim 512/8 = 64; rotary_pct 0.25 → 16 rotated dims
  'EleutherAI--pythia-70m': {
    ...neoxCommon,
    hiddenSize: 512,
    intermediateSize: 2048,
    numLayers: 6,
    numHeads: 8,
    numKvHeads: 8,
    headDim: 64,
    rotaryDim: 16,
    eosTokenIds: [0],
  },
  'EleutherAI--pythia-160m': {
    ...neoxCommon,
    hiddenSize: 768,
    intermediateSize: 3072,
    numLayers: 12,
    numHeads: 12,
    numKvHeads: 12,
    headDim: 64,
    rotaryDim: 16,
    eosTokenIds: [0],
  },
  'EleutherAI--pythia-410m': {
    ...neoxCommon,
    hiddenSize: 1024,
    intermediateSize: 4096,
    numLayers: 24,
    numHeads: 16,
    numKvHeads: 16,
    headDim: 64,
    rotaryDim: 16,
    eosTokenIds: [0],
  },
  // 2048/8 = 256-dim heads, 64 rotated
  'EleutherAI--pythia-1b': {
    ...neoxCommon,
    hiddenSize: 2048,
    intermediateSize: 8192,
    numLayers: 16,
    numHeads: 8,
    numKvHeads: 8,
    headDim: 256,
    rotaryDim: 64,
    eosTokenIds: [0],
  },
  'Qwen--Qwen2.5-0.5B': {
    ...qwenCommon,
    architecture: 'Qwen2ForCausalLM',
    family: 'qwen2',
    hiddenSize: 896,
    intermediateSize: 4864,
    numLayers: 24,
    numHeads: 14,
    numKvHeads: 2,
    headDim: 64,
    rotaryDim: 64,
    maxPositionEmbeddings: 32768,
    qkvBias: true,
    attnOutBias: false,
    qkNorm: false,
    eosTokenIds: [151643],
  },
  'Qwen--Qwen2.5-1.5B': {
    ...qwenCommon,
    architecture: 'Qwen2ForCausalLM',
    family: 'qwen2',
    hiddenSize: 1536,
    intermediateSize: 8960,
    numLayers: 28,
    numHeads: 12,
    numKvHeads: 2,
    headDim: 128,
    rotaryDim: 128,
    maxPositionEmbeddings: 131072,
    qkvBias: true,
    attnOutBias: false,
    qkNorm: false,
    eosTokenIds: [151643],
  },
  // head_dim 128 although 1024/16 = 64
  'Qwen--Qwen3-0.6B': {
    ...qwenCommon,
    architecture: 'Qwen3ForCausalLM',
    family: 'qwen3',
    hiddenSize: 1024,
    intermediateSize: 3072,
    numLayers: 28,
    numHeads: 16,
    numKvHeads: 8,
    headDim: 128,
    rotaryDim: 128,
    maxPositionEmbeddings: 40960,
    qkvBias: false,
    attnOutBias: false,
    qkNorm: true,
    eosTokenIds: [151645],
  },
  'meta-llama--Llama-3.2-1B': {
    architecture: 'LlamaForCausalLM',
    family: 'llama',
    vocabSize: 128256,
    hiddenSize: 2048,
    intermediateSize: 8192,
    numLayers: 16,
    numHeads: 32,
    numKvHeads: 8,
    headDim: 64,
    rotaryDim: 64,
    ropeTheta: 500000,
    ropeScaling: { type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 },
    maxPositionEmbeddings: 131072,
    norm: 'rmsnorm',
    normEps: 1e-5,
    parallelResidual: false,
    mlp: 'gated_mlp',
    activation: 'silu',
    qkvBias: false,
    attnOutBias: false,
    mlpBias: false,
    qkNorm: false,
    tieWordEmbeddings: true,
    initializerRange: 0.02,
    bosTokenId: 128000,
    eosTokenIds: [128001],
    padTokenId: null,
    checkpointDtype: 'bfloat16',
  },
};

/** Rewrite a transformers-4 config the way transformers 5 serialises it (RoPE in rope_parameters, `dtype`, layer_types). */
function toTransformers5(c: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...c, transformers_version: '5.0.0' };
  out['dtype'] = out['torch_dtype'];
  delete out['torch_dtype'];
  if (out['model_type'] === 'gpt_neox') {
    out['rope_parameters'] = { rope_type: 'default', rope_theta: out['rotary_emb_base'], partial_rotary_factor: out['rotary_pct'] };
    delete out['rotary_emb_base'];
    delete out['rotary_pct'];
  } else {
    const scaling = (out['rope_scaling'] ?? null) as Record<string, unknown> | null;
    out['rope_parameters'] = { rope_type: 'default', ...(scaling ?? {}), rope_theta: out['rope_theta'] };
    delete out['rope_theta'];
    delete out['rope_scaling'];
    if (out['model_type'] !== 'llama') {
      out['layer_types'] = Array.from({ length: out['num_hidden_layers'] as number }, () => 'full_attention');
    }
  }
  return out;
}

describe('parseConfig on the vendored hub configs', () => {
  for (const model of SHARED_MODELS) {
    it(`${model} parses to the expected ArchSpec`, () => {
      expect(parseConfig(readSharedConfig(model))).toEqual(EXPECTED[model]);
    });
    it(`${model}: transformers-5 style gives the identical ArchSpec`, () => {
      const v5 = toTransformers5(readSharedConfig(model));
      expect(v5['rope_parameters']).toBeDefined();
      expect(v5['rope_theta'] ?? v5['rotary_pct'] ?? v5['torch_dtype']).toBeUndefined();
      expect(parseConfig(v5)).toEqual(EXPECTED[model]);
    });
  }

  it('readModelConfig reads DIR/config.json', () => {
    expect(readModelConfig(sharedConfigDir('Qwen--Qwen3-0.6B'))).toEqual(EXPECTED['Qwen--Qwen3-0.6B']);
  });
});

describe('parseConfig: variants that are supported', () => {
  it('Llama: head_dim absent → hidden/heads; biases from attention_bias / mlp_bias', () => {
    const c = readSharedConfig('meta-llama--Llama-3.2-1B');
    delete c['head_dim'];
    c['attention_bias'] = true;
    c['mlp_bias'] = true;
    const s = parseConfig(c);
    expect(s.headDim).toBe(64);
    expect([s.qkvBias, s.attnOutBias, s.mlpBias]).toEqual([true, true, true]);
  });
  it('Llama: num_key_value_heads absent → MHA; legacy rope_scaling.type and linear scaling', () => {
    const c = readSharedConfig('meta-llama--Llama-3.2-1B');
    delete c['num_key_value_heads'];
    c['rope_scaling'] = { type: 'linear', factor: 4 };
    const s = parseConfig(c);
    expect(s.numKvHeads).toBe(32);
    expect(s.ropeScaling).toEqual({ type: 'linear', factor: 4 });
    c['rope_scaling'] = { type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 };
    expect(parseConfig(c).ropeScaling).toMatchObject({ type: 'llama3', factor: 8 });
    c['rope_scaling'] = { rope_type: 'default' };
    expect(parseConfig(c).ropeScaling).toBeNull();
  });
  it('Qwen2: a sliding_window value with use_sliding_window false is fine; Qwen3 head_dim defaults to 128', () => {
    const q2 = readSharedConfig('Qwen--Qwen2.5-0.5B');
    q2['sliding_window'] = 4096;
    expect(parseConfig(q2).headDim).toBe(64);
    const q3 = readSharedConfig('Qwen--Qwen3-0.6B');
    delete q3['head_dim'];
    expect(parseConfig(q3).headDim).toBe(128);
    q3['attention_bias'] = true;
    expect([parseConfig(q3).qkvBias, parseConfig(q3).attnOutBias]).toEqual([true, true]);
  });
  it('eos_token_id: int or list (deduplicated) or null; negative pad means none', () => {
    const c = readSharedConfig('meta-llama--Llama-3.2-1B');
    c['eos_token_id'] = [128001, 128008, 128009, 128001];
    c['pad_token_id'] = -1;
    const s = parseConfig(c);
    expect(s.eosTokenIds).toEqual([128001, 128008, 128009]);
    expect(s.padTokenId).toBeNull();
    c['eos_token_id'] = null;
    expect(parseConfig(c).eosTokenIds).toEqual([]);
  });
  it('NeoX: hidden_act gelu_new → gelu_tanh; parallel residual off; attention_bias false; tied', () => {
    const c = readSharedConfig('EleutherAI--pythia-70m');
    Object.assign(c, { hidden_act: 'gelu_new', use_parallel_residual: false, attention_bias: false, tie_word_embeddings: true });
    const s = parseConfig(c);
    expect([s.activation, s.parallelResidual, s.qkvBias, s.attnOutBias, s.mlpBias, s.tieWordEmbeddings]).toEqual([
      'gelu_tanh',
      false,
      false,
      false,
      true,
      true,
    ]);
    c['hidden_act'] = 'gelu_pytorch_tanh';
    expect(parseConfig(c).activation).toBe('gelu_tanh');
  });
  it('architectures may be absent when model_type names the family; unknown keys are fine', () => {
    const c = readSharedConfig('Qwen--Qwen2.5-0.5B');
    delete c['architectures'];
    c['some_future_key'] = { nested: [1, 2] };
    expect(parseConfig(c)).toEqual(EXPECTED['Qwen--Qwen2.5-0.5B']);
  });
});

describe('readModelConfig errors', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(removeTmpDir));

  it('missing config.json → ERR_NOT_A_MODEL naming the path', () => {
    const dir = makeTmpDir();
    dirs.push(dir);
    const file = path.join(dir, 'config.json');
    expect(() => readModelConfig(dir)).toThrow(ResurfaceError);
    try {
      readModelConfig(dir);
    } catch (err) {
      expect((err as ResurfaceError).code).toBe('ERR_NOT_A_MODEL');
      expect((err as ResurfaceError).message).toContain(file);
    }
  });
  it('bad JSON → ERR_CONFIG_INVALID; errors name the file', () => {
    const dir = makeTmpDir();
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'config.json'), '{"architectures": [');
    expect(() => readModelConfig(dir)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'] }));
    expect(() => readModelConfig(dir)).toThrow(path.join(dir, 'config.json'));
  });
});

describe('configHash', () => {
  it('ignores key order and whitespace, sees every value', () => {
    const c = readSharedConfig('Qwen--Qwen3-0.6B');
    const reordered = Object.fromEntries(Object.entries(c).reverse());
    expect(configHash(reordered)).toBe(configHash(c));
    expect(configHash(JSON.parse(JSON.stringify(c, null, 4)))).toBe(configHash(c));
    expect(configHash(c)).toMatch(/^[0-9a-f]{64}$/);
    expect(configHash({ ...c, rope_theta: 10000 })).not.toBe(configHash(c));
  });
  it('canonical JSON sorts nested keys', () => {
    expect(canonicalJson({ b: [1, { d: 1, c: null }], a: 'x' })).toBe('{"a":"x","b":[1,{"c":null,"d":1}]}');
  });
});
