/**
 * Deterministic corpus of broken or mutated MODEL directories (config.json + weights), for
 * test/unit/model-bad-input.test.ts. Raw safetensors corruption is covered separately by
 * corrupt-safetensors.ts; here every case is a whole directory handed to Model.load.
 *
 * Four tiny base models (NeoX untied, Llama tied, Qwen2 tied with q/k/v bias, Qwen3 tied with
 * q/k norm) are built synchronously from the vendored configs; each case copies one, applies one
 * mutation and states the ResurfaceError code Model.load must reject with — or 'ok' for the
 * controls that must load (ignored buffers, tied heads stored anyway, F64 weights…).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ErrorCode } from '../../lib/errors';
import { serializeHeader } from '../../lib/io/safetensors-writer';
import type { HostTensor, SafetensorsDtype } from '../../lib/io/tensor-types';
import { hfTensorKinds, hfTensorShapes } from '../../lib/model/architectures';
import { parseConfig } from '../../lib/model/config';
import type { LoadOptions } from '../../lib/model/options';
import { shrinkConfig } from '../../lib/model/tiny';
import { mulberry32 } from './corrupt-safetensors';
import { readSharedConfig, type SharedModel } from './shared';

type Json = Record<string, any>;

export type BaseName = 'neox' | 'llama' | 'qwen2' | 'qwen3';

export interface BaseModel {
  name: BaseName;
  config: Json;
  /** F32 tensors in plan order. */
  tensors: HostTensor[];
}

export interface ModelCase {
  name: string;
  /** The code Model.load must reject with (one of several, for a few byte-level cases), or 'ok'. */
  expect: ErrorCode | ErrorCode[] | 'ok';
  /** For config cases: the field the error message must name. */
  field?: string;
  options?: LoadOptions;
  /** Writes the case under `dir` (an existing empty directory); returns the path for Model.load. */
  build: (dir: string) => string;
}

export const TINY_VOCAB = 64;

const BASE_SOURCES: Record<BaseName, SharedModel> = {
  neox: 'EleutherAI--pythia-70m',
  llama: 'meta-llama--Llama-3.2-1B',
  qwen2: 'Qwen--Qwen2.5-0.5B',
  qwen3: 'Qwen--Qwen3-0.6B',
};

function f32Bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

export function makeBase(name: BaseName): BaseModel {
  const raw = readSharedConfig(BASE_SOURCES[name]);
  if (name !== 'neox') {
    raw.bos_token_id = 1;
    raw.eos_token_id = 2;
  }
  const config = shrinkConfig(raw, { vocabSize: TINY_VOCAB, maxPositionEmbeddings: 64 });
  const spec = parseConfig(config);
  const kinds = hfTensorKinds(spec);
  const rnd = mulberry32(name.length * 1000 + name.charCodeAt(0));
  const tensors: HostTensor[] = [];
  for (const [tname, shape] of hfTensorShapes(spec)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    const centre = kinds.get(tname) === 'norm_weight' ? 1 : 0;
    for (let i = 0; i < n; i++) v[i] = centre + (rnd() - 0.5) * 0.2;
    tensors.push({ name: tname, dtype: 'F32', shape, data: f32Bytes(v) });
  }
  return { name, config, tensors };
}

/** Bytes of a safetensors file holding `tensors` (the project's header serialiser). */
export function encodeSafetensors(tensors: readonly HostTensor[], metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
  const { header, dataSize } = serializeHeader(tensors, metadata);
  const out = new Uint8Array(header.byteLength + dataSize);
  out.set(header, 0);
  let off = header.byteLength;
  for (const t of tensors) {
    out.set(t.data, off);
    off += t.data.byteLength;
  }
  return out;
}

function writeJson(file: string, value: unknown): void {
  fs.writeFileSync(file, JSON.stringify(value, null, 2));
}

function writeModel(dir: string, config: Json | string, tensors: readonly HostTensor[]): string {
  fs.writeFileSync(path.join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  fs.writeFileSync(path.join(dir, 'model.safetensors'), encodeSafetensors(tensors));
  return dir;
}

const clone = (c: Json): Json => structuredClone(c);
const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** A tensor of `dtype` and `shape` whose bytes are valid for that dtype (sizes match). */
function tensorOf(name: string, dtype: SafetensorsDtype, shape: number[], fill = 1): HostTensor {
  const sizes: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
  const data = new Uint8Array(numel(shape) * sizes[dtype]);
  if (dtype === 'F32') new Float32Array(data.buffer).fill(fill);
  else if (dtype === 'F64') new Float64Array(data.buffer).fill(fill);
  else data.fill(fill === 0 ? 0 : 1);
  return { name, dtype, shape, data };
}

/** Same values as `t`, re-encoded as F64 (a float dtype the loader accepts). */
function asF64(t: HostTensor): HostTensor {
  const f = new Float32Array(t.data.slice().buffer);
  return { ...t, dtype: 'F64', data: new Uint8Array(Float64Array.from(f).buffer) };
}

function withValue(t: HostTensor, index: number, value: number, dtype: 'F32' | 'F16' | 'BF16' | 'F64' = 'F32'): HostTensor {
  const f = new Float32Array(t.data.slice().buffer);
  f[index % f.length] = value;
  if (dtype === 'F32') return { ...t, data: new Uint8Array(f.buffer) };
  if (dtype === 'F64') return { ...t, dtype, data: new Uint8Array(Float64Array.from(f).buffer) };
  // F16 / BF16: encode by hand so NaN/Inf survive exactly.
  const out = new Uint8Array(f.length * 2);
  const dv = new DataView(out.buffer);
  const u32 = new Uint32Array(f.buffer);
  for (let i = 0; i < f.length; i++) {
    let bits: number;
    if (dtype === 'BF16')
      bits = u32[i]! >>> 16; // truncation keeps NaN (mantissa bits high) and Inf
    else if (Number.isNaN(f[i]!)) bits = 0x7e00;
    else if (f[i] === Infinity) bits = 0x7c00;
    else if (f[i] === -Infinity) bits = 0xfc00;
    else bits = 0x3c00; // 1.0; the values do not matter here
    dv.setUint16(i * 2, bits, true);
  }
  return { ...t, dtype, data: out };
}

// ---------------------------------------------------------------------------------------------

export function generateModelCases(bases: Record<BaseName, BaseModel>): ModelCase[] {
  const cases: ModelCase[] = [];
  const add = (c: ModelCase): void => {
    cases.push(c);
  };
  const tensorCase = (
    b: BaseModel,
    name: string,
    expect: ModelCase['expect'],
    edit: (ts: HostTensor[]) => HostTensor[],
    options?: LoadOptions,
  ): void => {
    add({ name: `${b.name}: ${name}`, expect, options, build: (dir) => writeModel(dir, b.config, edit(b.tensors.map((t) => ({ ...t })))) });
  };
  const configCase = (b: BaseModel, name: string, expect: ModelCase['expect'], edit: (c: Json) => void, field?: string): void => {
    add({
      name: `${b.name}: config ${name}`,
      expect,
      field,
      build: (dir) => {
        const c = clone(b.config);
        edit(c);
        return writeModel(dir, c, b.tensors);
      },
    });
  };
  const all = Object.values(bases);

  // --- controls: the unmodified bases load
  for (const b of all) tensorCase(b, 'unmodified', 'ok', (ts) => ts);

  // --- every tensor missing in turn
  for (const b of all) {
    for (const t of b.tensors) tensorCase(b, `missing ${t.name}`, 'ERR_MISSING_TENSOR', (ts) => ts.filter((x) => x.name !== t.name));
  }

  // --- wrong shapes (NeoX: transposed or one row more; Qwen3: flattened / one more dim)
  for (const t of bases.neox.tensors) {
    const s = t.shape;
    const shape = s.length === 2 && s[0] !== s[1] ? [s[1]!, s[0]!] : [s[0]! + 1, ...s.slice(1)];
    tensorCase(bases.neox, `${t.name} shape [${s}] → [${shape}]`, 'ERR_TENSOR_SHAPE', (ts) =>
      ts.map((x) => (x.name === t.name ? tensorOf(x.name, 'F32', shape, 0.01) : x)),
    );
  }
  for (const t of bases.qwen3.tensors) {
    const s = t.shape;
    const shape = s.length === 2 ? [numel(s)] : [s[0]!, 1];
    tensorCase(bases.qwen3, `${t.name} shape [${s}] → [${shape}]`, 'ERR_TENSOR_SHAPE', (ts) =>
      ts.map((x) => (x.name === t.name ? { ...x, shape } : x)),
    );
  }
  for (const b of [bases.llama, bases.qwen2]) {
    const t = b.tensors[3]!;
    tensorCase(b, `${t.name} as a scalar`, 'ERR_TENSOR_SHAPE', (ts) =>
      ts.map((x) => (x.name === t.name ? tensorOf(x.name, 'F32', []) : x)),
    );
    tensorCase(b, `${t.name} empty`, 'ERR_TENSOR_SHAPE', (ts) =>
      ts.map((x) => (x.name === t.name ? tensorOf(x.name, 'F32', [0, ...x.shape.slice(1)]) : x)),
    );
  }

  // --- unexpected extra tensors, and the extras loaders must skip
  const extra = (b: BaseModel, name: string, expect: ModelCase['expect'], t: HostTensor): void =>
    tensorCase(b, `extra tensor ${t.name} (${t.dtype})`, expect, (ts) => [...ts, t]);
  for (const b of all) {
    const p = b.name === 'neox' ? 'gpt_neox' : 'model';
    extra(
      b,
      'beyond last layer',
      'ERR_UNEXPECTED_TENSOR',
      tensorOf(`${p}.layers.2.${b.name === 'neox' ? 'mlp.dense_h_to_4h.bias' : 'mlp.up_proj.weight'}`, 'F32', [4]),
    );
    extra(b, 'unknown name', 'ERR_UNEXPECTED_TENSOR', tensorOf('foo', 'F32', [2]));
    extra(b, 'non-float unknown', 'ERR_UNEXPECTED_TENSOR', tensorOf('step', 'I64', []));
    extra(
      b,
      'embed bias',
      'ERR_UNEXPECTED_TENSOR',
      tensorOf(b.name === 'neox' ? 'gpt_neox.embed_in.bias' : 'model.embed_tokens.bias', 'F32', [b.config.hidden_size]),
    );
    extra(
      b,
      'inv_freq buffer',
      'ok',
      tensorOf(`${p}.layers.0.${b.name === 'neox' ? 'attention' : 'self_attn'}.rotary_emb.inv_freq`, 'F32', [4]),
    );
    // A NaN in a skipped buffer is not a weight: the model still loads.
    extra(
      b,
      'NaN inv_freq buffer',
      'ok',
      tensorOf(`${p}.layers.1.${b.name === 'neox' ? 'attention' : 'self_attn'}.rotary_emb.inv_freq`, 'F32', [4], Number.NaN),
    );
  }
  extra(bases.neox, '', 'ok', tensorOf('gpt_neox.layers.0.attention.bias', 'BOOL', [1, 1, 8, 8]));
  extra(bases.neox, '', 'ok', tensorOf('gpt_neox.layers.1.attention.masked_bias', 'F32', [], -1e9));
  extra(bases.neox, '', 'ERR_UNEXPECTED_TENSOR', tensorOf('lm_head.weight', 'F32', [TINY_VOCAB, 64]));
  extra(bases.neox, '', 'ERR_UNEXPECTED_TENSOR', tensorOf('embed_out.bias', 'F32', [TINY_VOCAB]));
  extra(bases.llama, '', 'ok', tensorOf('lm_head.weight', 'F32', [TINY_VOCAB, bases.llama.config.hidden_size])); // tied: re-tied, ignored
  extra(bases.llama, '', 'ERR_UNEXPECTED_TENSOR', tensorOf('model.layers.0.self_attn.q_norm.weight', 'F32', [8]));
  extra(bases.llama, '', 'ERR_UNEXPECTED_TENSOR', tensorOf('gpt_neox.layers.0.attention.bias', 'BOOL', [1, 1, 8, 8]));
  extra(bases.qwen3, '', 'ERR_UNEXPECTED_TENSOR', tensorOf('model.layers.0.self_attn.q_proj.bias', 'F32', [128]));
  extra(
    bases.qwen2,
    '',
    'ERR_UNEXPECTED_TENSOR',
    tensorOf('model.layers.0.self_attn.o_proj.bias', 'F32', [bases.qwen2.config.hidden_size]),
  );

  // --- non-float dtypes for weights (byte sizes consistent, so only the dtype is wrong)
  const badDtypes: SafetensorsDtype[] = ['I32', 'U8', 'BOOL', 'I64', 'I16', 'I8'];
  for (const b of all) {
    badDtypes.forEach((dtype, i) => {
      const t = b.tensors[(i * 5 + 1) % b.tensors.length]!;
      tensorCase(b, `${t.name} stored as ${dtype}`, 'ERR_SAFETENSORS_DTYPE', (ts) =>
        ts.map((x) => (x.name === t.name ? tensorOf(x.name, dtype, x.shape) : x)),
      );
    });
    // F64 is a float dtype: accepted and converted.
    tensorCase(b, 'all weights stored as F64', 'ok', (ts) => ts.map(asF64));
  }

  // --- non-finite weights
  const nonFinite: Array<[number, number, 'F32' | 'F16' | 'BF16' | 'F64']> = [
    [0, Number.NaN, 'F32'],
    [2, Number.POSITIVE_INFINITY, 'F32'],
    [5, Number.NEGATIVE_INFINITY, 'F32'],
    [-1, Number.NaN, 'BF16'],
    [7, Number.POSITIVE_INFINITY, 'F16'],
    [9, Number.NaN, 'F64'],
  ];
  for (const b of all) {
    for (const [ti, value, dtype] of nonFinite) {
      const t = b.tensors.at(ti)!;
      tensorCase(b, `${value} in ${t.name} (${dtype})`, 'ERR_NONFINITE_WEIGHTS', (ts) =>
        ts.map((x) => (x.name === t.name ? withValue(x, 37, value, dtype) : x)),
      );
    }
  }
  tensorCase(
    bases.qwen3,
    'NaN weight with checkFinite: false loads',
    'ok',
    (ts) => ts.map((x, i) => (i === 1 ? withValue(x, 0, Number.NaN) : x)),
    { checkFinite: false },
  );

  // --- config.json: missing required fields
  for (const b of all) {
    for (const f of ['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads']) {
      configCase(b, `without ${f}`, 'ERR_CONFIG_INVALID', (c) => delete c[f], f);
    }
    configCase(
      b,
      'without architectures and model_type',
      'ERR_CONFIG_INVALID',
      (c) => {
        delete c.architectures;
        delete c.model_type;
      },
      'architectures',
    );
    configCase(b, 'without architectures (model_type names the family)', 'ok', (c) => delete c.architectures);
  }

  // --- config.json: wrong types and ranges
  const wrong: Array<[BaseName, string, unknown]> = [
    ['llama', 'hidden_size', '64'],
    ['neox', 'hidden_size', 64.5],
    ['qwen3', 'num_hidden_layers', 2.5],
    ['qwen2', 'num_attention_heads', 0],
    ['llama', 'vocab_size', -1],
    ['neox', 'vocab_size', null],
    ['qwen3', 'tie_word_embeddings', 'yes'],
    ['llama', 'rms_norm_eps', '1e-5'],
    ['neox', 'layer_norm_eps', 0],
    ['llama', 'rope_theta', -5],
    ['qwen2', 'eos_token_id', 'two'],
    ['qwen3', 'eos_token_id', [2, -1]],
    ['neox', 'use_parallel_residual', 'false'],
    ['neox', 'rotary_pct', 0],
    ['neox', 'rotary_pct', 1.5],
    ['neox', 'attention_bias', 1],
    ['llama', 'initializer_range', -0.02],
    ['llama', 'num_key_value_heads', 0],
    ['qwen3', 'head_dim', 0],
    ['qwen3', 'head_dim', 'big'],
    ['qwen2', 'max_position_embeddings', 0],
    ['llama', 'rope_scaling', 'llama3'],
    ['qwen3', 'rope_parameters', [1, 2]],
    ['llama', 'mlp_bias', 'no'],
    ['qwen2', 'use_sliding_window', 'true'],
    ['qwen3', 'layer_types', 'full_attention'],
    ['neox', 'hidden_act', 5],
    ['llama', 'bos_token_id', 1.5],
  ];
  for (const [bn, field, value] of wrong) {
    configCase(
      bases[bn],
      `${field} = ${JSON.stringify(value)}`,
      'ERR_CONFIG_INVALID',
      (c) => {
        c[field] = value;
      },
      field,
    );
  }
  configCase(
    bases.llama,
    'architectures is a string',
    'ERR_CONFIG_INVALID',
    (c) => {
      c.architectures = 'LlamaForCausalLM';
    },
    'architectures',
  );
  configCase(
    bases.llama,
    'architectures = []',
    'ERR_CONFIG_INVALID',
    (c) => {
      c.architectures = [];
    },
    'architectures',
  );
  configCase(
    bases.qwen3,
    'architectures = [5]',
    'ERR_CONFIG_INVALID',
    (c) => {
      c.architectures = [5];
    },
    'architectures',
  );
  configCase(
    bases.qwen2,
    'model_type = 7',
    'ERR_CONFIG_INVALID',
    (c) => {
      c.model_type = 7;
    },
    'model_type',
  );

  // --- config.json: well-formed but unsupported
  for (const arch of [
    'MistralForCausalLM',
    'GPT2LMHeadModel',
    'Qwen2MoeForCausalLM',
    'LlamaForSequenceClassification',
    'GemmaForCausalLM',
    'Qwen3MoeForCausalLM',
  ]) {
    configCase(
      bases.llama,
      `architectures = ["${arch}"]`,
      'ERR_UNSUPPORTED_CONFIG',
      (c) => {
        c.architectures = [arch];
        delete c.model_type;
      },
      'architectures',
    );
  }
  configCase(
    bases.llama,
    'model_type "mistral" without architectures',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      delete c.architectures;
      c.model_type = 'mistral';
    },
    'model_type',
  );
  configCase(
    bases.llama,
    'model_type contradicts architectures',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      c.model_type = 'qwen2';
    },
    'model_type',
  );
  for (const [bn, key, dict] of [
    ['llama', 'rope_scaling', { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 32 }],
    ['llama', 'rope_scaling', { type: 'dynamic', factor: 2 }],
    ['qwen2', 'rope_scaling', { rope_type: 'dynamic', factor: 2 }],
    ['qwen3', 'rope_scaling', { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 32 }],
    ['qwen3', 'rope_scaling', { rope_type: 'longrope', short_factor: [1], long_factor: [1] }],
    ['llama', 'rope_scaling', { rope_type: 'su', factor: 2 }],
    ['neox', 'rope_scaling', { rope_type: 'dynamic', factor: 2 }],
    ['qwen3', 'rope_parameters', { rope_type: 'yarn', rope_theta: 1e6, factor: 4 }],
    ['neox', 'rope_parameters', { rope_type: 'dynamic', rope_theta: 10000, factor: 2, partial_rotary_factor: 0.25 }],
  ] as const) {
    const typeField = 'type' in dict ? 'type' : 'rope_type';
    configCase(
      bases[bn],
      `${key} ${dict[typeField as keyof typeof dict]}`,
      'ERR_UNSUPPORTED_CONFIG',
      (c) => {
        if (key === 'rope_parameters') {
          delete c.rope_scaling;
          delete c.rope_theta;
          delete c.rotary_pct;
          delete c.rotary_emb_base;
        }
        c[key] = dict;
      },
      `${key}.${typeField}`,
    );
  }
  configCase(
    bases.llama,
    'llama3 rope_scaling without low_freq_factor',
    'ERR_CONFIG_INVALID',
    (c) => {
      delete c.rope_scaling.low_freq_factor;
    },
    'rope_scaling.low_freq_factor',
  );
  configCase(
    bases.llama,
    'llama3 rope_scaling with high_freq_factor <= low_freq_factor',
    'ERR_CONFIG_INVALID',
    (c) => {
      c.rope_scaling.high_freq_factor = 1;
    },
    'rope_scaling.high_freq_factor',
  );
  configCase(
    bases.llama,
    'linear rope_scaling without factor',
    'ERR_CONFIG_INVALID',
    (c) => {
      c.rope_scaling = { rope_type: 'linear' };
    },
    'rope_scaling.factor',
  );
  configCase(
    bases.qwen2,
    'use_sliding_window true',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      c.use_sliding_window = true;
    },
    'use_sliding_window',
  );
  configCase(
    bases.qwen3,
    'use_sliding_window true',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      c.use_sliding_window = true;
      c.sliding_window = 16;
    },
    'use_sliding_window',
  );
  configCase(
    bases.qwen2,
    'use_mrope true',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      c.use_mrope = true;
    },
    'use_mrope',
  );
  configCase(
    bases.qwen3,
    'layer_types with sliding_attention',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      c.layer_types = ['full_attention', 'sliding_attention'];
    },
    'layer_types',
  );
  configCase(
    bases.qwen3,
    'layer_types of the wrong length',
    'ERR_CONFIG_INVALID',
    (c) => {
      c.layer_types = ['full_attention'];
    },
    'layer_types',
  );
  configCase(
    bases.llama,
    'num_key_value_heads 3 does not divide 8 heads',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      c.num_key_value_heads = 3;
    },
    'num_key_value_heads',
  );
  configCase(
    bases.qwen3,
    'num_key_value_heads 3 does not divide 4 heads',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      c.num_key_value_heads = 3;
    },
    'num_key_value_heads',
  );
  configCase(
    bases.qwen2,
    'num_key_value_heads 4 does not divide 14 heads',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      c.num_key_value_heads = 4;
    },
    'num_key_value_heads',
  );
  configCase(
    bases.neox,
    'rotary_pct 0.1875 gives 3 (odd) rotary dims',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      c.rotary_pct = 0.1875;
    },
    'rotary_pct',
  );
  configCase(
    bases.neox,
    'rotary_pct 0.05 gives 0 rotary dims',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      c.rotary_pct = 0.05;
    },
    'rotary_pct',
  );
  configCase(
    bases.neox,
    'partial_rotary_factor 0.3125 gives 5 rotary dims',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      delete c.rotary_pct;
      c.partial_rotary_factor = 0.3125;
    },
    'partial_rotary_factor',
  );
  configCase(
    bases.neox,
    'rotary_pct contradicts rope_parameters.partial_rotary_factor',
    'ERR_CONFIG_INVALID',
    (c) => {
      c.rope_parameters = { rope_type: 'default', rope_theta: 10000, partial_rotary_factor: 0.5 };
    },
    'rotary_pct',
  );
  configCase(
    bases.llama,
    'partial_rotary_factor 0.5 outside NeoX',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      c.partial_rotary_factor = 0.5;
    },
    'partial_rotary_factor',
  );
  configCase(
    bases.neox,
    'hidden_size 64 not divisible by 5 heads',
    'ERR_CONFIG_INVALID',
    (c) => {
      c.num_attention_heads = 5;
    },
    'hidden_size',
  );
  configCase(
    bases.qwen3,
    'odd head_dim 33',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      c.head_dim = 33;
    },
    'head_dim',
  );
  for (const act of ['swiglu', 'gelu_10', 'tanh']) {
    configCase(
      bases.qwen2,
      `hidden_act ${act}`,
      'ERR_UNSUPPORTED_CONFIG',
      (c) => {
        c.hidden_act = act;
      },
      'hidden_act',
    );
  }

  // --- config.json valid, but it does not describe these weights
  configCase(bases.neox, 'hidden_size 128 (weights are 64)', 'ERR_TENSOR_SHAPE', (c) => {
    c.hidden_size = 128;
  });
  configCase(bases.llama, 'vocab_size 65', 'ERR_TENSOR_SHAPE', (c) => {
    c.vocab_size = 65;
  });
  configCase(bases.qwen2, 'intermediate_size + 8', 'ERR_TENSOR_SHAPE', (c) => {
    c.intermediate_size += 8;
  });
  configCase(bases.qwen3, 'num_key_value_heads 4 (weights have 2)', 'ERR_TENSOR_SHAPE', (c) => {
    c.num_key_value_heads = 4;
  });
  configCase(bases.qwen3, 'head_dim 16 (weights have 32)', 'ERR_TENSOR_SHAPE', (c) => {
    c.head_dim = 16;
  });
  for (const b of all) {
    configCase(b, 'num_hidden_layers 3 (weights have 2)', 'ERR_MISSING_TENSOR', (c) => {
      c.num_hidden_layers = 3;
    });
    configCase(b, 'num_hidden_layers 1 (weights have 2)', 'ERR_UNEXPECTED_TENSOR', (c) => {
      c.num_hidden_layers = 1;
    });
  }
  configCase(bases.llama, 'tie_word_embeddings false, no lm_head stored', 'ERR_MISSING_TENSOR', (c) => {
    c.tie_word_embeddings = false;
  });
  configCase(bases.neox, 'tie_word_embeddings true, embed_out stored anyway', 'ok', (c) => {
    c.tie_word_embeddings = true;
  });
  configCase(bases.neox, 'attention_bias false, biases stored', 'ERR_UNEXPECTED_TENSOR', (c) => {
    c.attention_bias = false;
  });
  configCase(bases.llama, 'attention_bias true, no biases stored', 'ERR_MISSING_TENSOR', (c) => {
    c.attention_bias = true;
  });
  configCase(bases.llama, 'mlp_bias true, no biases stored', 'ERR_MISSING_TENSOR', (c) => {
    c.mlp_bias = true;
  });
  configCase(bases.qwen2, 'Qwen2 weights under a Qwen3 config', 'ERR_MISSING_TENSOR', (c) => {
    c.architectures = ['Qwen3ForCausalLM'];
    c.model_type = 'qwen3';
    c.head_dim = c.hidden_size / c.num_attention_heads;
  });
  configCase(bases.llama, 'Llama weights under a NeoX config', 'ERR_MISSING_TENSOR', (c) => {
    c.architectures = ['GPTNeoXForCausalLM'];
    c.model_type = 'gpt_neox';
  });

  // --- config.json: not a JSON object
  const badText: Array<[string, string]> = [
    ['empty file', ''],
    ['whitespace only', ' \n\t '],
    ['truncated JSON', '{"architectures": ["LlamaForCausalLM"], "hidden_size": 6'],
    ['trailing comma', '{"vocab_size": 64,}'],
    ['single quotes', "{'vocab_size': 64}"],
    ['NaN literal', '{"vocab_size": NaN}'],
    ['not JSON at all', 'this is not a config'],
    ['UTF-8 BOM', '\uFEFF{"architectures": ["LlamaForCausalLM"]}'],
    ['array', '[1, 2, 3]'],
    ['null', 'null'],
    ['number', '42'],
    ['string', '"LlamaForCausalLM"'],
    ['binary garbage', '\u0000\u0001\u0002\u00ff'],
  ];
  for (const [name, text] of badText) {
    add({ name: `llama: config.json ${name}`, expect: 'ERR_CONFIG_INVALID', build: (dir) => writeModel(dir, text, bases.llama.tensors) });
  }
  add({
    name: 'qwen3: config.json is a directory',
    expect: 'ERR_IO',
    build: (dir) => {
      fs.mkdirSync(path.join(dir, 'config.json'));
      fs.writeFileSync(path.join(dir, 'model.safetensors'), encodeSafetensors(bases.qwen3.tensors));
      return dir;
    },
  });

  // --- truncated / lying safetensors files
  const full = encodeSafetensors(bases.neox.tensors);
  const n = Number(new DataView(full.buffer).getBigUint64(0, true));
  const cuts: Array<[string, number, ErrorCode]> = [
    ['0 bytes', 0, 'ERR_SAFETENSORS_HEADER'],
    ['4 bytes', 4, 'ERR_SAFETENSORS_HEADER'],
    ['8 bytes (length only)', 8, 'ERR_SAFETENSORS_HEADER'],
    ['mid header', 8 + Math.floor(n / 2), 'ERR_SAFETENSORS_HEADER'],
    ['header only', 8 + n, 'ERR_SAFETENSORS_RANGE'],
    ['mid data', 8 + n + Math.floor((full.length - 8 - n) / 2), 'ERR_SAFETENSORS_RANGE'],
    ['last byte missing', full.length - 1, 'ERR_SAFETENSORS_RANGE'],
  ];
  const rawFile = (name: string, expect: ModelCase['expect'], bytes: Uint8Array): void =>
    add({
      name: `neox: model.safetensors ${name}`,
      expect,
      build: (dir) => {
        writeJson(path.join(dir, 'config.json'), bases.neox.config);
        fs.writeFileSync(path.join(dir, 'model.safetensors'), bytes);
        return dir;
      },
    });
  for (const [name, len, code] of cuts) rawFile(`truncated to ${name}`, code, full.slice(0, len));
  const withLength = (len: bigint): Uint8Array => {
    const b = full.slice();
    new DataView(b.buffer).setBigUint64(0, len, true);
    return b;
  };
  rawFile('header length 0', 'ERR_SAFETENSORS_HEADER', withLength(0n));
  rawFile('header length 2^40', 'ERR_SAFETENSORS_HEADER', withLength(2n ** 40n));
  rawFile('header length = file size', 'ERR_SAFETENSORS_HEADER', withLength(BigInt(full.length)));
  rawFile('header length − 8 (cuts the JSON)', 'ERR_SAFETENSORS_HEADER', withLength(BigInt(n - 8)));
  // One data byte read as header: bad JSON, or (if it is whitespace) every offset shifts past the end.
  rawFile('header length + 1', ['ERR_SAFETENSORS_HEADER', 'ERR_SAFETENSORS_RANGE'], withLength(BigInt(n + 1)));
  rawFile('trailing garbage after the data', 'ok', Uint8Array.from([...full, 1, 2, 3, 4, 5]));
  rawFile(
    'random bytes',
    'ERR_SAFETENSORS_HEADER',
    Uint8Array.from({ length: 256 }, (_, i) => (i * 97 + 13) & 0xff),
  );

  // --- sharded checkpoints and their index
  const q = bases.qwen3;
  const shardNames = ['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors'];
  const shardOf = (i: number): number => i % 3;
  /** Writes a 3-shard copy of Qwen3; `edit` may change the weight map and shard contents. */
  const sharded = (
    name: string,
    expect: ModelCase['expect'],
    edit: (ctx: { dir: string; map: Record<string, string>; shards: HostTensor[][] }) => string | void,
    after?: (dir: string) => void,
  ): void =>
    add({
      name: `qwen3 sharded: ${name}`,
      expect,
      build: (dir) => {
        writeJson(path.join(dir, 'config.json'), q.config);
        const shards: HostTensor[][] = [[], [], []];
        const map: Record<string, string> = {};
        q.tensors.forEach((t, i) => {
          shards[shardOf(i)]!.push(t);
          map[t.name] = shardNames[shardOf(i)]!;
        });
        const index = edit({ dir, map, shards });
        shards.forEach((ts, i) => {
          if (ts.length) fs.writeFileSync(path.join(dir, shardNames[i]!), encodeSafetensors(ts));
        });
        fs.writeFileSync(
          path.join(dir, 'model.safetensors.index.json'),
          index ?? JSON.stringify({ metadata: { total_size: 0 }, weight_map: map }),
        );
        after?.(dir);
        return dir;
      },
    });
  sharded('valid', 'ok', () => undefined);
  sharded('weight_map omits a tensor its shard holds', 'ok', ({ map }) => {
    delete map[q.tensors[4]!.name];
  });
  sharded('index points to a shard that does not exist', 'ERR_SAFETENSORS_INDEX', ({ map }) => {
    map[q.tensors[0]!.name] = 'model-00009-of-00009.safetensors';
  });
  sharded('a shard file is missing', 'ERR_SAFETENSORS_INDEX', ({ shards }) => {
    shards[1] = [];
  });
  sharded('index is not JSON', 'ERR_SAFETENSORS_INDEX', () => '{"weight_map": {');
  sharded('index is empty', 'ERR_SAFETENSORS_INDEX', () => '');
  sharded('index is an array', 'ERR_SAFETENSORS_INDEX', () => '[]');
  sharded('index without weight_map', 'ERR_SAFETENSORS_INDEX', () => '{"metadata": {}}');
  sharded('weight_map is empty', 'ERR_SAFETENSORS_INDEX', () => '{"weight_map": {}}');
  sharded('weight_map value is a number', 'ERR_SAFETENSORS_INDEX', ({ map }) =>
    JSON.stringify({ weight_map: { ...map, [q.tensors[0]!.name]: 3 } }),
  );
  sharded('shard path escapes the directory', 'ERR_SAFETENSORS_INDEX', ({ map }) => {
    map[q.tensors[0]!.name] = '../model-00001-of-00003.safetensors';
  });
  sharded('absolute shard path', 'ERR_SAFETENSORS_INDEX', ({ map }) => {
    map[q.tensors[0]!.name] = '/etc/passwd';
  });
  sharded('tensor mapped to the wrong shard', 'ERR_MISSING_TENSOR', ({ map }) => {
    map[q.tensors[0]!.name] = shardNames[1]!;
  });
  sharded('a needed tensor is in no shard', 'ERR_MISSING_TENSOR', ({ map, shards }) => {
    const t = q.tensors[2]!;
    delete map[t.name];
    shards[shardOf(2)] = shards[shardOf(2)]!.filter((x) => x.name !== t.name);
  });
  sharded('a tensor stored in two shards', 'ERR_SAFETENSORS_INDEX', ({ shards }) => {
    shards[1]!.push(q.tensors[0]!);
  });
  sharded(
    'a shard truncated',
    'ERR_SAFETENSORS_RANGE',
    () => undefined,
    (dir) => {
      const shard = path.join(dir, shardNames[2]!);
      fs.truncateSync(shard, fs.statSync(shard).size - 3);
    },
  );
  sharded('a shard with a wrong-shape tensor', 'ERR_TENSOR_SHAPE', ({ shards }) => {
    shards[0] = shards[0]!.map((t, i) => (i === 1 ? { ...t, shape: [numel(t.shape)] } : t));
  });
  add({
    name: 'qwen3 sharded: index is a directory',
    expect: 'ERR_IO',
    build: (dir) => {
      writeJson(path.join(dir, 'config.json'), q.config);
      fs.writeFileSync(path.join(dir, shardNames[0]!), encodeSafetensors(q.tensors));
      fs.mkdirSync(path.join(dir, 'model.safetensors.index.json'));
      return dir;
    },
  });

  // --- directories that are not models, and what a model directory may lack or hold extra
  add({ name: 'empty directory', expect: 'ERR_NOT_A_MODEL', build: (dir) => dir });
  add({ name: 'path does not exist', expect: 'ERR_NOT_A_MODEL', build: (dir) => path.join(dir, 'nope') });
  add({
    name: 'path is a file',
    expect: 'ERR_NOT_A_MODEL',
    build: (dir) => {
      fs.writeFileSync(path.join(dir, 'model.safetensors'), encodeSafetensors(q.tensors));
      return path.join(dir, 'model.safetensors');
    },
  });
  add({
    name: 'only tokenizer files',
    expect: 'ERR_NOT_A_MODEL',
    build: (dir) => {
      writeJson(path.join(dir, 'tokenizer.json'), { version: '1.0', model: { type: 'BPE', vocab: {}, merges: [] } });
      writeJson(path.join(dir, 'tokenizer_config.json'), {});
      return dir;
    },
  });
  add({
    name: 'only model.safetensors (no config.json)',
    expect: 'ERR_NOT_A_MODEL',
    build: (dir) => {
      fs.writeFileSync(path.join(dir, 'model.safetensors'), encodeSafetensors(q.tensors));
      return dir;
    },
  });
  add({
    name: 'config.json but no weights',
    expect: 'ERR_NOT_A_MODEL',
    build: (dir) => {
      writeJson(path.join(dir, 'config.json'), q.config);
      return dir;
    },
  });
  add({
    name: 'config.json and pytorch_model.bin only',
    expect: 'ERR_NOT_A_MODEL',
    build: (dir) => {
      writeJson(path.join(dir, 'config.json'), q.config);
      fs.writeFileSync(path.join(dir, 'pytorch_model.bin'), 'PK\u0003\u0004 not really a zip');
      return dir;
    },
  });
  add({
    name: 'model.safetensors is a directory',
    expect: 'ERR_IO',
    build: (dir) => {
      writeJson(path.join(dir, 'config.json'), q.config);
      fs.mkdirSync(path.join(dir, 'model.safetensors'));
      return dir;
    },
  });
  add({
    name: 'single file wins over a broken index',
    expect: 'ok',
    build: (dir) => {
      writeModel(dir, q.config, q.tensors);
      fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), 'not json');
      return dir;
    },
  });
  add({ name: 'tokenizer-less model directory', expect: 'ok', build: (dir) => writeModel(dir, bases.llama.config, bases.llama.tensors) });
  add({
    name: 'broken tokenizer.json does not matter for logits',
    expect: 'ok',
    build: (dir) => {
      writeModel(dir, bases.qwen2.config, bases.qwen2.tensors);
      fs.writeFileSync(path.join(dir, 'tokenizer.json'), '{ broken');
      fs.writeFileSync(path.join(dir, 'generation_config.json'), '[[[');
      return dir;
    },
  });

  return cases;
}
