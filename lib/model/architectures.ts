/**
 * The architecture table: which Hugging Face tensors make up each internal parameter.
 *
 * Internal names are what the native decoder expects (one decoder for all families):
 *   embed                      [V, H]
 *   layers.i.ln1.weight/bias   [H]
 *   layers.i.qkv.weight        [(nh + 2*nkv) * hd, H]   rows: q heads | k heads | v heads
 *   layers.i.qkv.bias          [(nh + 2*nkv) * hd]
 *   layers.i.q_norm.weight     [hd]                     (Qwen3)
 *   layers.i.k_norm.weight     [hd]                     (Qwen3)
 *   layers.i.o.weight          [H, nh * hd]   (+ o.bias [H])
 *   layers.i.ln2.weight/bias   [H]
 *   layers.i.up.weight         gelu_mlp: [F, H]; gated_mlp: [2F, H] = gate rows | up rows
 *   layers.i.up.bias           [F] or [2F]
 *   layers.i.down.weight       [H, F]         (+ down.bias [H])
 *   final_norm.weight/bias     [H]
 *   lm_head                    [V, H]         only when embeddings are not tied
 * Optional parts (biases, q/k norm, lm_head) are present exactly when the ArchSpec says so.
 */
import type { ArchSpec, WeightPlan, WeightSlot } from './arch-spec';

type Kind = WeightSlot['kind'];

function slot(
  name: string,
  shape: number[],
  kind: Kind,
  sources: string[],
  sourceShapes: number[][],
  op: WeightSlot['op'] = 'copy',
): WeightSlot {
  return { name, shape, op, sources, sourceShapes, kind };
}

/** Same shape, one HF tensor. */
function copy(name: string, shape: number[], kind: Kind, source: string): WeightSlot {
  return slot(name, shape, kind, [source], [shape]);
}

/** Rows of several HF tensors stacked along dim 0. */
function concat0(name: string, kind: Kind, parts: Array<[source: string, shape: number[]]>): WeightSlot {
  const rows = parts.reduce((n, [, s]) => n + s[0]!, 0);
  const shape = [rows, ...parts[0]![1].slice(1)];
  return slot(
    name,
    shape,
    kind,
    parts.map((p) => p[0]),
    parts.map((p) => p[1]),
    'concat0',
  );
}

/**
 * HF names that are buffers, not parameters. Each entry is a regular-expression source
 * (match with `new RegExp(p)`, see `isIgnoredTensor`), anchored where that matters.
 */
const INV_FREQ = String.raw`(^|\.)rotary_emb\.inv_freq$`;
const NEOX_IGNORE = [
  String.raw`^gpt_neox\.layers\.\d+\.attention\.bias$`, // causal-mask buffer of old checkpoints
  String.raw`^gpt_neox\.layers\.\d+\.attention\.masked_bias$`,
  INV_FREQ,
];

function neoxPlan(s: ArchSpec): WeightPlan {
  const { hiddenSize: H, intermediateSize: F, vocabSize: V, numHeads: nh, headDim: hd } = s;
  const slots: WeightSlot[] = [copy('embed', [V, H], 'embedding', 'gpt_neox.embed_in.weight')];
  const ln = (name: string, hf: string): void => {
    slots.push(copy(`${name}.weight`, [H], 'norm_weight', `${hf}.weight`));
    slots.push(copy(`${name}.bias`, [H], 'norm_bias', `${hf}.bias`));
  };
  for (let i = 0; i < s.numLayers; i++) {
    const p = `layers.${i}`;
    const hf = `gpt_neox.layers.${i}`;
    ln(`${p}.ln1`, `${hf}.input_layernorm`);
    // NeoX fuses q,k,v per head: rows laid out [nh, 3, hd]; the loader reorders to q|k|v.
    slots.push(
      slot(
        `${p}.qkv.weight`,
        [3 * nh * hd, H],
        'linear_weight',
        [`${hf}.attention.query_key_value.weight`],
        [[3 * nh * hd, H]],
        'neox_qkv',
      ),
    );
    if (s.qkvBias) {
      slots.push(slot(`${p}.qkv.bias`, [3 * nh * hd], 'bias', [`${hf}.attention.query_key_value.bias`], [[3 * nh * hd]], 'neox_qkv'));
    }
    slots.push(copy(`${p}.o.weight`, [H, nh * hd], 'linear_weight', `${hf}.attention.dense.weight`));
    if (s.attnOutBias) slots.push(copy(`${p}.o.bias`, [H], 'bias', `${hf}.attention.dense.bias`));
    ln(`${p}.ln2`, `${hf}.post_attention_layernorm`);
    slots.push(copy(`${p}.up.weight`, [F, H], 'linear_weight', `${hf}.mlp.dense_h_to_4h.weight`));
    if (s.mlpBias) slots.push(copy(`${p}.up.bias`, [F], 'bias', `${hf}.mlp.dense_h_to_4h.bias`));
    slots.push(copy(`${p}.down.weight`, [H, F], 'linear_weight', `${hf}.mlp.dense_4h_to_h.weight`));
    if (s.mlpBias) slots.push(copy(`${p}.down.bias`, [H], 'bias', `${hf}.mlp.dense_4h_to_h.bias`));
  }
  ln('final_norm', 'gpt_neox.final_layer_norm');
  const ignorePatterns = [...NEOX_IGNORE];
  if (s.tieWordEmbeddings)
    ignorePatterns.push(String.raw`^embed_out\.weight$`); // transformers re-ties it
  else slots.push(copy('lm_head', [V, H], 'linear_weight', 'embed_out.weight'));
  return { slots, ignorePatterns };
}

function llamaPlan(s: ArchSpec): WeightPlan {
  const { hiddenSize: H, intermediateSize: F, vocabSize: V, numHeads: nh, numKvHeads: nkv, headDim: hd } = s;
  const slots: WeightSlot[] = [copy('embed', [V, H], 'embedding', 'model.embed_tokens.weight')];
  for (let i = 0; i < s.numLayers; i++) {
    const p = `layers.${i}`;
    const hf = `model.layers.${i}`;
    const a = `${hf}.self_attn`;
    slots.push(copy(`${p}.ln1.weight`, [H], 'norm_weight', `${hf}.input_layernorm.weight`));
    slots.push(
      concat0(`${p}.qkv.weight`, 'linear_weight', [
        [`${a}.q_proj.weight`, [nh * hd, H]],
        [`${a}.k_proj.weight`, [nkv * hd, H]],
        [`${a}.v_proj.weight`, [nkv * hd, H]],
      ]),
    );
    if (s.qkvBias) {
      slots.push(
        concat0(`${p}.qkv.bias`, 'bias', [
          [`${a}.q_proj.bias`, [nh * hd]],
          [`${a}.k_proj.bias`, [nkv * hd]],
          [`${a}.v_proj.bias`, [nkv * hd]],
        ]),
      );
    }
    if (s.qkNorm) {
      slots.push(copy(`${p}.q_norm.weight`, [hd], 'norm_weight', `${a}.q_norm.weight`));
      slots.push(copy(`${p}.k_norm.weight`, [hd], 'norm_weight', `${a}.k_norm.weight`));
    }
    slots.push(copy(`${p}.o.weight`, [H, nh * hd], 'linear_weight', `${a}.o_proj.weight`));
    if (s.attnOutBias) slots.push(copy(`${p}.o.bias`, [H], 'bias', `${a}.o_proj.bias`));
    slots.push(copy(`${p}.ln2.weight`, [H], 'norm_weight', `${hf}.post_attention_layernorm.weight`));
    slots.push(
      concat0(`${p}.up.weight`, 'linear_weight', [
        [`${hf}.mlp.gate_proj.weight`, [F, H]],
        [`${hf}.mlp.up_proj.weight`, [F, H]],
      ]),
    );
    if (s.mlpBias) {
      slots.push(
        concat0(`${p}.up.bias`, 'bias', [
          [`${hf}.mlp.gate_proj.bias`, [F]],
          [`${hf}.mlp.up_proj.bias`, [F]],
        ]),
      );
    }
    slots.push(copy(`${p}.down.weight`, [H, F], 'linear_weight', `${hf}.mlp.down_proj.weight`));
    if (s.mlpBias) slots.push(copy(`${p}.down.bias`, [H], 'bias', `${hf}.mlp.down_proj.bias`));
  }
  slots.push(copy('final_norm.weight', [H], 'norm_weight', 'model.norm.weight'));
  const ignorePatterns = [INV_FREQ];
  if (s.tieWordEmbeddings)
    ignorePatterns.push(String.raw`^lm_head\.weight$`); // transformers re-ties it
  else slots.push(copy('lm_head', [V, H], 'linear_weight', 'lm_head.weight'));
  return { slots, ignorePatterns };
}

/** The weight plan of a model: every internal parameter, its shape, and its HF sources. */
export function weightPlan(spec: ArchSpec): WeightPlan {
  switch (spec.family) {
    case 'gpt_neox':
      return neoxPlan(spec);
    case 'llama':
    case 'qwen2':
    case 'qwen3':
      return llamaPlan(spec);
  }
}

/** HF tensor name → shape, in plan order: what a checkpoint of this spec must contain. */
export function hfTensorShapes(spec: ArchSpec): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const s of weightPlan(spec).slots) {
    s.sources.forEach((name, i) => out.set(name, s.sourceShapes[i]!));
  }
  return out;
}

/** HF tensor name → the kind of parameter it feeds (for init and weight-decay groups). */
export function hfTensorKinds(spec: ArchSpec): Map<string, WeightSlot['kind']> {
  const out = new Map<string, WeightSlot['kind']>();
  for (const s of weightPlan(spec).slots) for (const name of s.sources) out.set(name, s.kind);
  return out;
}

/** Whether an HF tensor name is a known non-parameter (or re-tied) tensor the loader skips. */
export function isIgnoredTensor(plan: WeightPlan, name: string): boolean {
  return plan.ignorePatterns.some((p) => new RegExp(p).test(name));
}

/** Total number of parameters (tied embeddings counted once). */
export function parameterCount(spec: ArchSpec): number {
  let n = 0;
  for (const s of weightPlan(spec).slots) n += s.shape.reduce((a, b) => a * b, 1);
  return n;
}
