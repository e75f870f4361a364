/**
 * The architecture variants of the logits parity test (test/parity/logits.test.ts): each a vendored
 * config with edits, shrunk to a tiny model, and the row lengths of its right-padded batch.
 * Weights are drawn with std 0.15 (STD) so logits spread over several units.
 */
import { shrinkConfig, type ShrinkOptions } from '../../lib/model/tiny';
import { mulberry32 } from './prng';
import { readSharedConfig, type SharedModel } from './shared';

export const STD = 0.15;
export const VOCAB = 512;
export const SEED = 11;

export type Json = Record<string, unknown>;

export interface Variant {
  name: string;
  base: SharedModel;
  /** Edits of the vendored config before shrinking. */
  edit?: (c: Json) => void;
  shrink?: ShrinkOptions;
  /** Row lengths of the batch (right-padded to the longest). */
  lengths: number[];
}

/** llama3 rope scaling squeezed into a tiny context: with head_dim 16 and theta 5e5 the
 * wavelengths are 6.3 (kept), 32.5 (smoothed band [16, 64]) and ≥ 168 (divided by factor 8). */
const TINY_LLAMA3 = { factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: 64, rope_type: 'llama3' };

export const VARIANTS: Variant[] = [
  { name: 'neox-parallel', base: 'EleutherAI--pythia-70m', lengths: [40, 23, 7] },
  {
    name: 'neox-sequential',
    base: 'EleutherAI--pythia-160m',
    edit: (c) => {
      c.use_parallel_residual = false;
    },
    lengths: [40, 23, 7],
  },
  {
    name: 'neox-tied-gelu-tanh',
    base: 'EleutherAI--pythia-1b',
    edit: (c) => {
      c.tie_word_embeddings = true;
      c.hidden_act = 'gelu_new';
    },
    lengths: [33, 40, 1],
  },
  {
    name: 'neox-no-attention-bias',
    base: 'EleutherAI--pythia-410m',
    edit: (c) => {
      c.attention_bias = false;
    },
    lengths: [40, 2, 26],
  },
  {
    name: 'llama3-scaled',
    base: 'meta-llama--Llama-3.2-1B',
    edit: (c) => {
      c.rope_scaling = { ...TINY_LLAMA3 };
    },
    shrink: { hiddenSize: 128, maxPositionEmbeddings: 128 },
    lengths: [100, 64, 9],
  },
  {
    name: 'llama-gqa1-untied',
    base: 'meta-llama--Llama-3.2-1B',
    edit: (c) => {
      c.tie_word_embeddings = false;
    },
    shrink: { numKvHeads: 1 },
    lengths: [40, 23, 7],
  },
  {
    name: 'llama-biases',
    base: 'meta-llama--Llama-3.2-1B',
    edit: (c) => {
      c.attention_bias = true;
      c.mlp_bias = true;
      c.rope_scaling = null;
    },
    lengths: [17, 40, 30],
  },
  {
    name: 'llama-linear-rope',
    base: 'meta-llama--Llama-3.2-1B',
    edit: (c) => {
      c.rope_scaling = { rope_type: 'linear', factor: 4.0 };
    },
    lengths: [40, 23, 7],
  },
  { name: 'qwen2.5-tied-bias', base: 'Qwen--Qwen2.5-0.5B', lengths: [40, 23, 7] },
  {
    name: 'qwen2.5-untied',
    base: 'Qwen--Qwen2.5-1.5B',
    edit: (c) => {
      c.tie_word_embeddings = false;
    },
    lengths: [12, 40, 39],
  },
  { name: 'qwen3-qknorm-headdim', base: 'Qwen--Qwen3-0.6B', lengths: [40, 23, 7] },
  {
    name: 'qwen3-untied-gqa1',
    base: 'Qwen--Qwen3-0.6B',
    edit: (c) => {
      c.tie_word_embeddings = false;
    },
    shrink: { numKvHeads: 1 },
    lengths: [5, 40, 21],
  },
  {
    name: 'v5-neox',
    base: 'EleutherAI--pythia-70m',
    edit: (c) => {
      delete c.rotary_pct;
      delete c.rotary_emb_base;
      delete c.torch_dtype;
      c.dtype = 'float32';
      c.rope_parameters = { rope_type: 'default', rope_theta: 10000, partial_rotary_factor: 0.25 };
      c.transformers_version = '5.0.0';
    },
    lengths: [40, 23, 7],
  },
  {
    name: 'v5-llama3',
    base: 'meta-llama--Llama-3.2-1B',
    edit: (c) => {
      delete c.rope_scaling;
      delete c.rope_theta;
      delete c.torch_dtype;
      c.dtype = 'float32';
      c.rope_parameters = { ...TINY_LLAMA3, rope_theta: 500000.0 };
      c.transformers_version = '5.0.0';
    },
    shrink: { hiddenSize: 128, maxPositionEmbeddings: 128 },
    lengths: [100, 64, 9],
  },
  {
    name: 'v5-qwen3',
    base: 'Qwen--Qwen3-0.6B',
    edit: (c) => {
      delete c.rope_scaling;
      delete c.rope_theta;
      c.rope_parameters = { rope_type: 'default', rope_theta: 1000000 };
      c.layer_types = Array.from({ length: 28 }, () => 'full_attention');
      c.transformers_version = '5.0.0';
    },
    lengths: [40, 23, 7],
  },
];

export function tinyConfig(v: Variant): Json {
  const c = readSharedConfig(v.base);
  // Special tokens must fit the tiny vocabulary; their values do not matter for logits.
  c.bos_token_id = 1;
  c.eos_token_id = 2;
  if ('pad_token_id' in c) c.pad_token_id = null;
  c.initializer_range = STD;
  v.edit?.(c);
  return shrinkConfig(c, { vocabSize: VOCAB, ...v.shrink });
}

export function tokensFor(v: Variant, seed: number): number[][] {
  const rnd = mulberry32(seed);
  return v.lengths.map((n) => Array.from({ length: n }, () => Math.floor(rnd() * VOCAB)));
}
