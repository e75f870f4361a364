/** Model cases whose weights are wrong: missing, misshapen, extra, of a non-float dtype, or not finite (for corrupt-models.ts). */
import type { HostTensor, SafetensorsDtype } from '../../lib/io/tensor-types';
import { asF64, numel, tensorOf, TINY_VOCAB, withValue, type BaseModel, type CaseBuilder, type ModelCase } from './corrupt-model-base';

/** Controls, then every way the tensors of a base can be wrong. */
export function weightCases(builder: CaseBuilder): void {
  const { bases, all, tensorCase } = builder;
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
}
