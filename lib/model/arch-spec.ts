/**
 * The canonical, normalised description of a decoder-only transformer.
 *
 * `config.json` (transformers 4 or 5 style, any supported family) is parsed and validated in
 * `config.ts` and reduced to this plain record; the native decoder reads nothing else.
 * One decoder implementation is parameterised by these fields — there is no per-family code path
 * beyond what these switches express.
 */
export type Family = 'gpt_neox' | 'llama' | 'qwen2' | 'qwen3';

export type RopeScaling =
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositionEmbeddings: number }
  | { type: 'linear'; factor: number };

export interface ArchSpec {
  /** HF `architectures[0]`, e.g. `GPTNeoXForCausalLM`. */
  architecture: string;
  family: Family;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /** Number of leading dims of each head that are rotated (NeoX partial rotary); equals headDim otherwise. Always even. */
  rotaryDim: number;
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  maxPositionEmbeddings: number;
  norm: 'layernorm' | 'rmsnorm';
  normEps: number;
  /** NeoX `use_parallel_residual`: x + attn(ln1(x)) + mlp(ln2(x)). */
  parallelResidual: boolean;
  /** `gelu_mlp`: down(act(up(x))); `gated_mlp`: down(act(gate(x)) * up(x)). */
  mlp: 'gelu_mlp' | 'gated_mlp';
  /** HF activation name: `gelu` (erf), `gelu_new`/`gelu_pytorch_tanh` (tanh approx), `silu`, `relu`. */
  activation: 'gelu' | 'gelu_tanh' | 'silu' | 'relu';
  qkvBias: boolean;
  attnOutBias: boolean;
  mlpBias: boolean;
  /** Qwen3: per-head RMSNorm on q and k (over headDim) before RoPE. */
  qkNorm: boolean;
  tieWordEmbeddings: boolean;
  initializerRange: number;
  /** Special token ids from config.json (may be refined by generation/tokenizer configs). */
  bosTokenId: number | null;
  eosTokenIds: number[];
  padTokenId: number | null;
  /** dtype the checkpoint declares (`torch_dtype` / `dtype`), informational. */
  checkpointDtype: string | null;
}

/**
 * How one internal parameter is assembled from Hugging Face tensors.
 * - `copy`: one source, same shape.
 * - `concat0`: sources concatenated along dim 0 (q|k|v, gate|up).
 * - `neox_qkv`: one fused NeoX `query_key_value` tensor, laid out per head as [nh, 3, hd, ...];
 *   re-ordered to q|k|v blocks. Its inverse is applied on export.
 */
export type WeightOp = 'copy' | 'concat0' | 'neox_qkv';

export interface WeightSlot {
  /** Internal name, e.g. `layers.3.qkv.weight`. */
  name: string;
  /** Internal shape. */
  shape: number[];
  op: WeightOp;
  /** HF tensor names, in order. */
  sources: string[];
  /** Shapes of each HF source tensor (validated at load time). */
  sourceShapes: number[][];
  /** Parameter kind, used for weight-decay groups and init. */
  kind: 'embedding' | 'linear_weight' | 'bias' | 'norm_weight' | 'norm_bias';
}

export interface WeightPlan {
  slots: WeightSlot[];
  /** HF tensor names that are known non-weight buffers and are skipped (NeoX `attention.bias`, `inv_freq`, …). */
  ignorePatterns: string[];
}
