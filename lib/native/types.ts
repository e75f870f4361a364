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
}

export interface NativeGenerationChunk {
  samples: Array<{ id: number; tokens: Int32Array; eos: boolean }>;
  done: boolean;
  tokensGenerated: number;
  remaining: number;
}

export interface NativeGenerator {
  /** Advance up to maxSteps decoding steps (stop early once minFinished samples finished). */
  run(maxSteps: number, minFinished: number): Promise<NativeGenerationChunk>;
  dispose(): void;
}

export interface RuntimeInfo {
  torchVersion: string;
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  defaultThreads: number;
  libraries: string[];
  parallelInfo: string;
}

export interface NativeAddon {
  NativeModel: new () => NativeModel;
  NativeGenerator: new (model: NativeModel, options: NativeGeneratorOptions, sampleIds: number[]) => NativeGenerator;
  runtimeInfo(): RuntimeInfo;
  /** Free/total bytes of a CUDA device; null for CPU or a build without CUDA. */
  deviceMemory(device: DeviceName): { free: number; total: number } | null;
}
