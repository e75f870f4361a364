/**
 * Exact types of the native addon (native/bindings/*). TypeScript never sees `any` from C++:
 * every binding is declared here and loaded once by `loader.ts`.
 */
import type { ArchSpec } from '../model/arch-spec';

export interface NativeSourceTensor {
  file: number;
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

export interface NativeWeightSlot {
  name: string;
  shape: number[];
  op: 'copy' | 'concat0' | 'neox_qkv';
  kind: string;
  sources: NativeSourceTensor[];
}

export interface NativeLoadPlan {
  files: string[];
  slots: NativeWeightSlot[];
  neoxHeads: number;
  checkFinite: boolean;
}

export type DeviceName = 'cpu' | 'cuda' | `cuda:${number}`;
export type ModelDtype = 'float32' | 'bfloat16' | 'float16';

export interface NativeLoadOptions {
  arch: ArchSpec;
  plan: NativeLoadPlan;
  device: DeviceName;
  dtype: ModelDtype;
  threads: number;
}

export interface NativeModelInfo {
  numParameters: number;
  parameterBytes: number;
  device: string;
  dtype: ModelDtype;
  threads: number;
}

export interface NativeModel {
  load(options: NativeLoadOptions): Promise<void>;
  /** ids: right-padded [B*T]; lengths: [B]; returns logits [B*T*V] (float32, padding rows zero). */
  forward(ids: Int32Array, lengths: Int32Array, T: number): Promise<Float32Array>;
  info(): NativeModelInfo;
  setThreads(threads: number): void;
  dispose(): void;
}

export interface NativeGeneratorOptions {
  seed: number;
  maxNewTokens: number;
  batchSize: number;
  startToken: number;
  eosIds: number[];
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  validVocab: number;
  /** The context every sample starts from (default [startToken]). */
  context?: number[];
  /** Stop tokens are masked until a sample has this many tokens (default 0). */
  minNewTokens?: number;
  /** Return each sampled token's untempered log-probability (default false). */
  logprobs?: boolean;
}

export interface NativeGenerationChunk {
  /** logprobs (when asked): one per token, then the stop token's when eos. */
  samples: Array<{ id: number; tokens: Int32Array; eos: boolean; logprobs?: Float32Array }>;
  done: boolean;
  tokensGenerated: number;
  remaining: number;
}

export interface NativeGenerator {
  /** Advance up to maxSteps decoding steps (stop early once minFinished samples finished). */
  run(maxSteps: number, minFinished: number): Promise<NativeGenerationChunk>;
  dispose(): void;
}

export interface NativeTrainerOptions {
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Global L2 norm limit; <= 0: no clipping (the norm is still reported). */
  gradClip: number;
  /** Also decay biases and norm weights. */
  decayAll: boolean;
  /** Activation checkpointing: recompute each layer in backward. */
  checkpointLayers: boolean;
  /**
   * Rows per chunk of the vocabulary head's fused cross-entropy (the [N, V] logits are never
   * materialised at once); 0 or absent = about 128 MB of logits per chunk.
   */
  lossChunkRows?: number;
}

export interface NativeStepInput {
  /** Input ids, row-major [B*T]. */
  ids: Int32Array;
  /** Next-token targets [B*T]; -100 = no target. */
  targets: Int32Array;
  B: number;
  T: number;
  lr: number;
  /** true: only accumulate gradients; the next call with false applies the update. */
  accumulate: boolean;
  /** Target tokens of the whole optimizer step (all micro-batches); 0 = this batch's count. */
  normalizer: number;
}

export interface NativeStepResult {
  /** This micro-batch's summed cross-entropy / normalizer. */
  loss: number;
  /** Global gradient L2 norm before clipping (0 when not applied). */
  gradNorm: number;
  tokens: number;
  applied: boolean;
}

export interface NativeExportedTensor {
  /** Hugging Face tensor name. */
  name: string;
  dtype: 'F32' | 'BF16' | 'F16';
  shape: number[];
  data: Uint8Array;
}

export interface NativeParamState {
  /** Internal parameter name (layers.0.qkv.weight …). */
  name: string;
  shape: number[];
  /** AdamW step count of this parameter (0: no state yet). */
  step: number;
  expAvg?: Float32Array;
  expAvgSq?: Float32Array;
  /** float32 master weights (bfloat16 / float16 training only). */
  master?: Float32Array;
}

export interface NativeTrainer {
  step(input: NativeStepInput): Promise<NativeStepResult>;
  exportWeights(): Promise<NativeExportedTensor[]>;
  exportState(): Promise<NativeParamState[]>;
  importState(states: NativeParamState[]): Promise<void>;
  dispose(): void;
}

export interface RuntimeInfo {
  torchVersion: string;
  /** Built against a CUDA libtorch with the CUDA code enabled (RESURFACE_WITH_CUDA), whether or not a GPU is present. */
  cudaCompiled: boolean;
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  defaultThreads: number;
  libraries: string[];
  parallelInfo: string;
  /** The caching allocator for large CPU tensors (native/common/cpu_block_cache.h). */
  cpuBlockCache: { installed: boolean; limitBytes: number; idleBytes: number; liveBytes: number; hits: number; misses: number };
  /** What this CPU computes natively, from cpuid + xgetbv (native/common/cpu_features.h). */
  cpu: CpuInfo;
}

/** GFLOP/s of all threads together; null where this CPU (or build) has no kernel for the dtype. */
export interface MeasuredPeakFlops {
  threads: number;
  seconds: number;
  float32: { isa: string; gflops: number } | null;
  bfloat16: { isa: string; gflops: number } | null;
}

export interface CpuInfo {
  vendor: string;
  brand: string;
  /** /proc/cpuinfo spellings: avx2, fma, avx512f, avx512bw, avx512vl, avx512_vnni, avx512_bf16, amx_tile, amx_bf16. */
  features: string[];
  /** bf16 GEMMs run on native bf16 dot products (avx512_bf16 or amx_bf16); without them bf16 is ~47x slower than float32. */
  nativeBf16: boolean;
}

export interface NativeAddon extends NativeScoringAddon {
  NativeModel: new () => NativeModel;
  NativeGenerator: new (model: NativeModel, options: NativeGeneratorOptions, sampleIds: number[]) => NativeGenerator;
  /** Built on the worker: it copies every parameter (float32 masters for bfloat16/float16 models). */
  NativeTrainer: { create(model: NativeModel, options: NativeTrainerOptions): Promise<NativeTrainer> };
  NativeEncoder: new () => NativeEncoder;
  runtimeInfo(): RuntimeInfo;
  /** The sustained multiply-add rate of this CPU's widest units, measured on `threads` threads (native/common/peak_flops.h). */
  measurePeakFlops(threads: number, seconds: number): Promise<MeasuredPeakFlops>;
  /** Free/total bytes of a CUDA device; null for CPU or a build without CUDA. */
  deviceMemory(device: DeviceName): { free: number; total: number } | null;
}

// --- scoring kernels (native/score/*) -------------------------------------------------------

export interface NativeScoreOptions {
  /** Requests (rows) per forward pass (default 16). */
  batchSize?: number;
  /** Run a shared context once and its continuations from copies of its KV cache (default true). */
  shareContext?: boolean;
}

export interface NativeScoreResult {
  /** [R] float64 sum of each continuation's token log-probs. */
  logprobs: Float64Array;
  /** [R] 1 when every continuation token is the argmax at its position. */
  greedy: Uint8Array;
}

export interface NativeBatchOptions {
  batchSize?: number;
}

export interface NativeScoringAddon {
  /**
   * Log-likelihoods of continuations. Contexts are ragged rows (ids + offsets [G+1]); continuations
   * too (offsets [R+1]); context g owns continuations groupStart[g] .. groupStart[g+1]-1.
   */
  scoreContinuations(
    model: NativeModel,
    ctxIds: Int32Array,
    ctxOffsets: Int32Array,
    contIds: Int32Array,
    contOffsets: Int32Array,
    groupStart: Int32Array,
    options?: NativeScoreOptions,
  ): Promise<NativeScoreResult>;
  /** Per-token log-probs of window[scoreFrom_i ..] given the window before it; concatenated in row order. */
  tokenLogprobs(
    model: NativeModel,
    ids: Int32Array,
    offsets: Int32Array,
    scoreFrom: Int32Array,
    options?: NativeBatchOptions,
  ): Promise<Float32Array>;
  /** Greedy continuation of N equal-length prompts [N * P]: returns [N * suffixLen] ids. */
  greedyExtract(
    model: NativeModel,
    prompts: Int32Array,
    n: number,
    prefixLen: number,
    suffixLen: number,
    options?: NativeBatchOptions,
  ): Promise<Int32Array>;
  /** Mean-pooled final hidden states over each row's tokens: [N * H] float32. */
  embed(model: NativeModel, ids: Int32Array, offsets: Int32Array, options?: NativeBatchOptions): Promise<Float32Array>;
  /** The decoded bytes of every token id (offsets [V+1]), built once per tokenizer (native/bindings/generate_until.cc). */
  tokenBytes(bytes: Uint8Array, offsets: Int32Array, stripLeadingSpace: boolean): NativeTokenBytes;
  /** Prompted generation until a stop string / EOS / max_gen_toks, continuous batching (native/generate/until_generation.h). */
  generateUntil(model: NativeModel, tokenBytes: NativeTokenBytes, request: NativeGenerateUntilRequest): Promise<NativeGenerateUntilResult>;
}

/** Opaque handle of a token byte table. */
export interface NativeTokenBytes {
  readonly __tokenBytes: unique symbol;
}

export interface NativeGenerateUntilRequest {
  /** Contexts, ragged: ids and offsets [N+1]. */
  contextIds: Int32Array;
  contextOffsets: Int32Array;
  /** UTF-8 stop strings, ragged (offsets [S+1]); item i owns stops stopStart[i] .. stopStart[i+1]-1. */
  stopBytes: Uint8Array;
  stopOffsets: Int32Array;
  stopStart: Int32Array;
  /** [N] token budget per item. */
  maxGenToks: Int32Array;
  /** [N] counter-RNG id of an item's first completion (repeat r uses base + r). */
  sampleBase: Float64Array;
  repeats: number;
  batchSize: number;
  seed: number;
  /** 0: greedy (argmax). */
  temperature: number;
  topP: number;
  topK?: number;
  /** Ids >= validVocab are never produced (padded embedding rows); 0 = all. */
  validVocab: number;
  eosIds: number[];
}

export interface NativeGenerateUntilResult {
  /** Completions item-major (item i, repeat r at i * repeats + r), ragged. */
  tokens: Int32Array;
  offsets: Int32Array;
  /** 0: length (max_gen_toks), 1: EOS, 2: a stop string. */
  reasons: Int32Array;
}

// --- sentence encoder (native/encoder/*, native/bindings/native_encoder.cc) ------------------

export interface NativeEncoderLoadOptions {
  config: import('../encoder/config').BertSpec;
  plan: NativeLoadPlan;
  pooling: 'mean' | 'cls' | 'max' | 'mean_sqrt_len';
  normalize: boolean;
  device: DeviceName;
  dtype: ModelDtype;
  threads: number;
}

export interface NativeEncoderInfo {
  numParameters: number;
  hiddenSize: number;
  device: string;
  dtype: ModelDtype;
  threads: number;
}

export interface NativeEncoder {
  load(options: NativeEncoderLoadOptions): Promise<void>;
  /** Ragged rows (ids + offsets [N+1], special tokens included) → pooled embeddings [N * H] float32. */
  embed(ids: Int32Array, offsets: Int32Array, options?: NativeBatchOptions): Promise<Float32Array>;
  info(): NativeEncoderInfo;
  dispose(): void;
}
