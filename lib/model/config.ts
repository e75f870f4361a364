/**
 * `config.json` → `ArchSpec`.
 *
 * Hugging Face configs are the contract (see STYLE.md). We accept both serialisations in use:
 * - transformers 4: `rope_theta`, `rope_scaling` ({rope_type|type, factor, …}), NeoX `rotary_pct` and
 *   `rotary_emb_base`, `torch_dtype`;
 * - transformers 5: everything RoPE inside `rope_parameters` ({rope_type, rope_theta, factor, …,
 *   NeoX `partial_rotary_factor`}), `dtype`, and per-layer `layer_types`.
 * Both reduce to the same ArchSpec. Unknown extra keys are fine (schemas are loose).
 *
 * Errors: a value of the wrong type/range is ERR_CONFIG_INVALID; a well-formed value asking for
 * something the decoder does not implement is ERR_UNSUPPORTED_CONFIG. Both name the field.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { ConfigError, ResurfaceError } from '../errors';
import type { ArchSpec, Family } from './arch-spec';
import { invalid, parseWith, posInt, posNum, unsupported } from './config-fields';
import { parseRope, ropeDict } from './rope-config';

/** HF `architectures[0]` → family, and the `model_type` each family must carry if it carries one. */
export const SUPPORTED_ARCHITECTURES: Readonly<Record<string, Family>> = {
  GPTNeoXForCausalLM: 'gpt_neox',
  LlamaForCausalLM: 'llama',
  Qwen2ForCausalLM: 'qwen2',
  Qwen3ForCausalLM: 'qwen3',
};

const MODEL_TYPE_FAMILY: Readonly<Record<string, Family>> = {
  gpt_neox: 'gpt_neox',
  llama: 'llama',
  qwen2: 'qwen2',
  qwen3: 'qwen3',
};

/** HF `hidden_act` names (transformers ACT2FN) → our activation. */
const ACTIVATIONS: Readonly<Record<string, ArchSpec['activation']>> = {
  gelu: 'gelu',
  gelu_new: 'gelu_tanh',
  gelu_fast: 'gelu_tanh',
  gelu_pytorch_tanh: 'gelu_tanh',
  silu: 'silu',
  swish: 'silu',
  relu: 'relu',
};

// ---------------------------------------------------------------------------------------------
// Schemas. Defaults are the transformers `*Config.__init__` defaults of each family.

const tokenId = z.number().int().nonnegative();

const common = {
  architectures: z.array(z.string()).min(1).optional(),
  model_type: z.string().optional(),
  vocab_size: posInt,
  hidden_size: posInt,
  intermediate_size: posInt,
  num_hidden_layers: posInt,
  num_attention_heads: posInt,
  initializer_range: posNum.default(0.02),
  hidden_act: z.string().optional(),
  tie_word_embeddings: z.boolean().default(false),
  bos_token_id: tokenId.nullish(),
  eos_token_id: z.union([tokenId, z.array(tokenId)]).nullish(),
  // Old llama configs use -1 for "no pad token"; any negative value means none.
  pad_token_id: z.number().int().nullish(),
  torch_dtype: z.string().nullish(),
  dtype: z.string().nullish(),
  rope_theta: posNum.optional(),
  rope_scaling: ropeDict.nullish(),
  rope_parameters: z.record(z.string(), z.unknown()).nullish(),
  partial_rotary_factor: z.number().gt(0).lte(1).nullish(),
  layer_types: z.array(z.string()).nullish(),
};

const neoxSchema = z.looseObject({
  ...common,
  max_position_embeddings: posInt.default(2048),
  layer_norm_eps: posNum.default(1e-5),
  use_parallel_residual: z.boolean().default(true),
  attention_bias: z.boolean().default(true),
  rotary_pct: z.number().gt(0).lte(1).optional(),
  rotary_emb_base: posNum.optional(),
});

const llamaLikeCommon = {
  ...common,
  num_key_value_heads: posInt.nullish(),
  head_dim: posInt.nullish(),
  rms_norm_eps: posNum.default(1e-6),
};

const llamaSchema = z.looseObject({
  ...llamaLikeCommon,
  max_position_embeddings: posInt.default(2048),
  attention_bias: z.boolean().default(false),
  mlp_bias: z.boolean().default(false),
});

const qwenCommon = {
  ...llamaLikeCommon,
  max_position_embeddings: posInt.default(32768),
  use_sliding_window: z.boolean().default(false),
  // Only consulted when use_sliding_window is true, which we reject anyway.
  sliding_window: z.number().int().nullish(),
  use_mrope: z.boolean().default(false),
};

const qwen2Schema = z.looseObject({ ...qwenCommon });

const qwen3Schema = z.looseObject({
  ...qwenCommon,
  attention_bias: z.boolean().default(false),
});

// ---------------------------------------------------------------------------------------------

function familyOf(obj: Record<string, unknown>, source: string): { architecture: string; family: Family } {
  const archs = obj['architectures'];
  const modelType = obj['model_type'];
  if (archs !== undefined && (!Array.isArray(archs) || archs.length === 0 || typeof archs[0] !== 'string')) {
    throw invalid(source, 'architectures', 'expected a non-empty array of strings');
  }
  if (modelType !== undefined && typeof modelType !== 'string') {
    throw invalid(source, 'model_type', 'expected a string');
  }
  let architecture: string;
  let family: Family;
  if (Array.isArray(archs)) {
    architecture = archs[0] as string;
    const f = SUPPORTED_ARCHITECTURES[architecture];
    if (!f) {
      throw unsupported(
        source,
        'architectures',
        `"${architecture}" is not supported (supported: ${Object.keys(SUPPORTED_ARCHITECTURES).join(', ')})`,
      );
    }
    family = f;
  } else if (typeof modelType === 'string') {
    // Some re-saved configs lack `architectures`; model_type still names the family.
    const f = MODEL_TYPE_FAMILY[modelType];
    if (!f) throw unsupported(source, 'model_type', `"${modelType}" is not supported`);
    family = f;
    architecture = Object.keys(SUPPORTED_ARCHITECTURES).find((a) => SUPPORTED_ARCHITECTURES[a] === f)!;
  } else {
    throw invalid(source, 'architectures', 'missing (and no model_type either)');
  }
  if (typeof modelType === 'string' && MODEL_TYPE_FAMILY[modelType] !== family) {
    throw unsupported(source, 'model_type', `"${modelType}" contradicts architectures[0] "${architecture}"`);
  }
  return { architecture, family };
}

function activationOf(name: string, source: string): ArchSpec['activation'] {
  const a = ACTIVATIONS[name];
  if (!a) throw unsupported(source, 'hidden_act', `"${name}" is not supported (supported: ${Object.keys(ACTIVATIONS).join(', ')})`);
  return a;
}

function normaliseEos(v: number | number[] | null | undefined): number[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return [...new Set(list)];
}

function checkLayerTypes(layerTypes: string[] | null | undefined, numLayers: number, source: string): void {
  if (!layerTypes) return;
  if (layerTypes.length !== numLayers) {
    throw invalid(source, 'layer_types', `has ${layerTypes.length} entries, num_hidden_layers is ${numLayers}`);
  }
  const i = layerTypes.findIndex((t) => t !== 'full_attention');
  if (i >= 0) throw unsupported(source, `layer_types.${i}`, `"${layerTypes[i]}" is not supported (only full_attention)`);
}

/**
 * Validate a parsed config.json and reduce it to an ArchSpec.
 * `source` names the file in error messages.
 */
export function parseConfig(json: unknown, source = 'config.json'): ArchSpec {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw invalid(source, '(root)', 'expected a JSON object');
  }
  const obj = json as Record<string, unknown>;
  const { architecture, family } = familyOf(obj, source);

  if (family === 'gpt_neox') {
    const c = parseWith(neoxSchema, obj, source);
    const rope = parseRope(c, { rotary_emb_base: c.rotary_emb_base, rotary_pct: c.rotary_pct }, source);
    if (c.hidden_size % c.num_attention_heads !== 0) {
      throw invalid(source, 'hidden_size', `${c.hidden_size} is not divisible by num_attention_heads ${c.num_attention_heads}`);
    }
    checkLayerTypes(c.layer_types, c.num_hidden_layers, source);
    const headDim = c.hidden_size / c.num_attention_heads;
    const pct = rope.partialFactor ?? 0.25; // GPTNeoXConfig default rotary_pct
    // transformers: rotary_ndims = int(head_size * rotary_pct)
    const rotaryDim = Math.floor(headDim * pct);
    const pctField = c.rotary_pct !== undefined ? 'rotary_pct' : 'partial_rotary_factor';
    if (rotaryDim === 0 || rotaryDim % 2 !== 0) {
      throw unsupported(source, pctField, `gives ${rotaryDim} rotary dims of head_dim ${headDim}; need a positive even number`);
    }
    return {
      architecture,
      family,
      vocabSize: c.vocab_size,
      hiddenSize: c.hidden_size,
      intermediateSize: c.intermediate_size,
      numLayers: c.num_hidden_layers,
      numHeads: c.num_attention_heads,
      numKvHeads: c.num_attention_heads,
      headDim,
      rotaryDim,
      ropeTheta: rope.theta,
      ropeScaling: rope.scaling,
      maxPositionEmbeddings: c.max_position_embeddings,
      norm: 'layernorm',
      normEps: c.layer_norm_eps,
      parallelResidual: c.use_parallel_residual,
      mlp: 'gelu_mlp',
      activation: activationOf(c.hidden_act ?? 'gelu', source),
      qkvBias: c.attention_bias,
      attnOutBias: c.attention_bias,
      mlpBias: true,
      qkNorm: false,
      tieWordEmbeddings: c.tie_word_embeddings,
      initializerRange: c.initializer_range,
      bosTokenId: c.bos_token_id ?? null,
      eosTokenIds: normaliseEos(c.eos_token_id),
      padTokenId: c.pad_token_id !== undefined && c.pad_token_id !== null && c.pad_token_id >= 0 ? c.pad_token_id : null,
      checkpointDtype: c.dtype ?? c.torch_dtype ?? null,
    };
  }

  // llama, qwen2, qwen3: one shape of decoder (pre-norm RMSNorm, gated MLP, GQA).
  const schema = family === 'llama' ? llamaSchema : family === 'qwen2' ? qwen2Schema : qwen3Schema;
  const c = parseWith(schema, obj, source) as z.infer<typeof llamaSchema> & Partial<z.infer<typeof qwen3Schema>>;
  const rope = parseRope(c, {}, source);
  if (rope.partialFactor !== undefined && rope.partialFactor !== 1) {
    const field = c.partial_rotary_factor != null ? 'partial_rotary_factor' : 'rope_parameters.partial_rotary_factor';
    throw unsupported(source, field, `partial rotary (${rope.partialFactor}) is only supported for GPT-NeoX`);
  }
  if (family !== 'llama') {
    if (c.use_sliding_window) throw unsupported(source, 'use_sliding_window', 'sliding-window attention is not supported');
    if (c.use_mrope) throw unsupported(source, 'use_mrope', 'multimodal RoPE is not supported');
  }
  checkLayerTypes(c.layer_types, c.num_hidden_layers, source);

  const numHeads = c.num_attention_heads;
  const numKvHeads = c.num_key_value_heads ?? numHeads;
  if (numHeads % numKvHeads !== 0) {
    throw unsupported(
      source,
      'num_key_value_heads',
      `num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}`,
    );
  }
  // Qwen3Config defaults head_dim to 128; Llama/Qwen2 fall back to hidden/heads.
  let headDim = c.head_dim ?? (family === 'qwen3' ? 128 : undefined);
  if (headDim === undefined) {
    if (c.hidden_size % numHeads !== 0) {
      throw invalid(source, 'hidden_size', `${c.hidden_size} is not divisible by num_attention_heads ${numHeads} and no head_dim is given`);
    }
    headDim = c.hidden_size / numHeads;
  }
  if (headDim % 2 !== 0) throw unsupported(source, 'head_dim', `${headDim} is odd; RoPE needs an even head dim`);

  const attnBias = family === 'qwen2' ? null : (c.attention_bias ?? false);
  return {
    architecture,
    family,
    vocabSize: c.vocab_size,
    hiddenSize: c.hidden_size,
    intermediateSize: c.intermediate_size,
    numLayers: c.num_hidden_layers,
    numHeads,
    numKvHeads,
    headDim,
    rotaryDim: headDim,
    ropeTheta: rope.theta,
    ropeScaling: rope.scaling,
    maxPositionEmbeddings: c.max_position_embeddings,
    norm: 'rmsnorm',
    normEps: c.rms_norm_eps,
    parallelResidual: false,
    mlp: 'gated_mlp',
    activation: activationOf(c.hidden_act ?? 'silu', source),
    // Qwen2 hard-codes q/k/v bias on and o_proj bias off (it has no attention_bias field).
    qkvBias: attnBias ?? true,
    attnOutBias: attnBias ?? false,
    mlpBias: family === 'llama' ? c.mlp_bias : false,
    qkNorm: family === 'qwen3',
    tieWordEmbeddings: c.tie_word_embeddings,
    initializerRange: c.initializer_range,
    bosTokenId: c.bos_token_id ?? null,
    eosTokenIds: normaliseEos(c.eos_token_id),
    padTokenId: c.pad_token_id !== undefined && c.pad_token_id !== null && c.pad_token_id >= 0 ? c.pad_token_id : null,
    checkpointDtype: c.dtype ?? c.torch_dtype ?? null,
  };
}

/** Read and parse `DIR/config.json`. */
export function readModelConfig(dir: string): ArchSpec {
  return parseConfig(readConfigJson(dir), path.join(dir, 'config.json'));
}

/** Read `DIR/config.json` as raw JSON (for manifests and re-export), with our error codes. */
export function readConfigJson(dir: string): Record<string, unknown> {
  const file = path.join(dir, 'config.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ResurfaceError('ERR_NOT_A_MODEL', `${file} not found: not a Hugging Face model directory`, { path: file });
    }
    throw new ResurfaceError('ERR_IO', `cannot read ${file}: ${(err as Error).message}`, { path: file }, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('ERR_CONFIG_INVALID', `${file}: not valid JSON: ${(err as Error).message}`, { source: file });
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ConfigError('ERR_CONFIG_INVALID', `${file}: (root): expected a JSON object`, { source: file, field: '(root)' });
  }
  return json as Record<string, unknown>;
}

/** JSON with object keys sorted recursively and no whitespace: equal configs give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** sha256 (hex) of the canonical JSON of a config, for manifests. Key order and whitespace do not matter. */
export function configHash(json: unknown): string {
  return createHash('sha256').update(canonicalJson(json)).digest('hex');
}
