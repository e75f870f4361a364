/**
 * Shrink a real config.json to a tiny model of the same architecture, for fast tests and
 * random-init experiments.
 *
 * Only numbers change; every key of the input is kept and every architectural feature survives:
 * GQA ratio (and at least two kv heads where the original has two, so kv-head grouping stays
 * observable), NeoX partial rotary (rotaryDim stays even and > 0), q/k norm, Qwen3's head_dim ≠
 * hidden/heads (ratio kept), tied embeddings, biases, parallel residual, RoPE theta and scaling.
 * The vocabulary is kept by default so the real tokenizer still works.
 */
import { z } from 'zod';
import { ArgumentError } from '../errors';
import { parseConfig } from './config';

export const shrinkOptionsSchema = z.strictObject({
  /** Target hidden size (default 64). Raised to a multiple of the head count when needed. */
  hiddenSize: z.number().int().positive().optional(),
  numLayers: z.number().int().positive().default(2),
  /** Default: 2 × hidden size. */
  intermediateSize: z.number().int().positive().optional(),
  /** Default: keep the real vocabulary. */
  vocabSize: z.number().int().positive().optional(),
  /** kv heads of the tiny model (default min(real kv heads, 2); MHA models: heads = min(real, 4)). */
  numKvHeads: z.number().int().positive().optional(),
  maxPositionEmbeddings: z.number().int().positive().optional(),
});
export type ShrinkOptions = z.input<typeof shrinkOptionsSchema>;

const DEFAULT_HIDDEN = 64;
const MIN_HEAD_DIM = 8;

/** Smallest even number ≥ x. */
function evenCeil(x: number): number {
  const n = Math.ceil(x);
  return n % 2 === 0 ? n : n + 1;
}

/** Return a new config object: `configJson` scaled down (see module comment). */
export function shrinkConfig(configJson: unknown, opts: ShrinkOptions = {}): Record<string, unknown> {
  const parsedOpts = shrinkOptionsSchema.safeParse(opts);
  if (!parsedOpts.success) {
    const issue = parsedOpts.error.issues[0]!;
    throw new ArgumentError(`shrinkConfig: ${issue.path.join('.') || 'options'}: ${issue.message}`);
  }
  const o = parsedOpts.data;
  const spec = parseConfig(configJson);
  const src = configJson as Record<string, unknown>;
  const out = structuredClone(src);

  // Heads: keep the query/kv ratio.
  const ratio = spec.numHeads / spec.numKvHeads;
  let nkv: number;
  let nh: number;
  if (spec.family === 'gpt_neox') {
    if (o.numKvHeads !== undefined) throw new ArgumentError('shrinkConfig: numKvHeads does not apply to GPT-NeoX (no GQA)');
    nh = Math.min(spec.numHeads, 4);
    nkv = nh;
  } else {
    nkv = o.numKvHeads ?? (ratio === 1 ? Math.min(spec.numKvHeads, 4) : Math.min(spec.numKvHeads, 2));
    nh = nkv * ratio;
  }

  // Head dim: `hdRatio` = head_dim / (hidden/heads) of the original (Qwen3-0.6B: 128 / 64 = 2).
  const hasHeadDimKey = typeof src['head_dim'] === 'number';
  const implied = spec.hiddenSize / spec.numHeads;
  const hdRatio = hasHeadDimKey && spec.headDim !== implied ? spec.headDim / implied : 1;
  const pct = spec.rotaryDim / spec.headDim;
  const rotaryPct = (src['rotary_pct'] ??
    (src['rope_parameters'] as Record<string, unknown> | undefined)?.['partial_rotary_factor'] ??
    src['partial_rotary_factor']) as number | undefined;
  let base = Math.max(MIN_HEAD_DIM, evenCeil((o.hiddenSize ?? DEFAULT_HIDDEN) / nh)); // hidden / heads
  if (o.hiddenSize !== undefined && o.hiddenSize % nh === 0 && (o.hiddenSize / nh) % 2 === 0) base = o.hiddenSize / nh;
  const rotaryOk = (hd: number): boolean => {
    if (spec.family !== 'gpt_neox') return true;
    const r = Math.floor(hd * (rotaryPct ?? pct));
    return r > 0 && r % 2 === 0;
  };
  while (!Number.isInteger(base * hdRatio) || (base * hdRatio) % 2 !== 0 || !rotaryOk(base * hdRatio)) base += 2;
  const hidden = base * nh;
  const headDim = base * hdRatio;

  const setNum = (key: string, value: number): void => {
    out[key] = value;
  };
  setNum('hidden_size', hidden);
  setNum('num_attention_heads', nh);
  // An absent num_key_value_heads means MHA, and then nkv === nh: nothing to write.
  if (typeof src['num_key_value_heads'] === 'number') setNum('num_key_value_heads', nkv);
  // Qwen3Config defaults head_dim to 128 when absent, so a tiny Qwen3 must state it.
  if (hasHeadDimKey || spec.family === 'qwen3') setNum('head_dim', headDim);
  setNum('intermediate_size', o.intermediateSize ?? 2 * hidden);
  setNum('num_hidden_layers', o.numLayers);
  if (o.maxPositionEmbeddings !== undefined) setNum('max_position_embeddings', o.maxPositionEmbeddings);
  if (o.vocabSize !== undefined) {
    const ids = [spec.bosTokenId, spec.padTokenId, ...spec.eosTokenIds].filter((x): x is number => x !== null);
    const maxId = Math.max(-1, ...ids);
    if (o.vocabSize <= maxId) {
      throw new ArgumentError(`shrinkConfig: vocabSize ${o.vocabSize} does not contain special token id ${maxId}`);
    }
    setNum('vocab_size', o.vocabSize);
  }
  // Per-layer lists and counts tied to the layer count.
  if (Array.isArray(src['layer_types'])) out['layer_types'] = (src['layer_types'] as unknown[]).slice(0, o.numLayers);
  if (typeof src['max_window_layers'] === 'number') setNum('max_window_layers', Math.min(src['max_window_layers'] as number, o.numLayers));

  // The result must describe the same architecture, only smaller.
  const tiny = parseConfig(out, 'shrinkConfig result');
  const same: Array<keyof typeof tiny> = [
    'architecture',
    'family',
    'norm',
    'mlp',
    'activation',
    'qkvBias',
    'attnOutBias',
    'mlpBias',
    'qkNorm',
    'tieWordEmbeddings',
    'parallelResidual',
    'ropeTheta',
    'normEps',
  ];
  for (const k of same) {
    if (tiny[k] !== spec[k]) throw new Error(`internal: shrinkConfig changed ${k}`);
  }
  if (JSON.stringify(tiny.ropeScaling) !== JSON.stringify(spec.ropeScaling)) throw new Error('internal: shrinkConfig changed ropeScaling');
  return out;
}
