/** Public library API of resurface. */
export * from './errors';
export { Model, type ForwardResult } from './model/model';
export type { LoadOptions } from './model/options';
export type { ArchSpec, Family, RopeScaling } from './model/arch-spec';
export { parseConfig, readModelConfig, configHash } from './model/config';
export { initRandomModel, type InitRandomOptions } from './model/init-random';
export { shrinkConfig } from './model/tiny';
export { TextTokenizer } from './tokenizer/tokenizer';
export { readSafetensorsHeader, openWeights } from './io/safetensors';
export { writeSafetensors, writeShardedSafetensors } from './io/safetensors-writer';
export { loadNative } from './native/loader';
export type { RuntimeInfo, DeviceName, ModelDtype } from './native/types';
export { train, type TrainHooks, type TrainProgress, type TrainSummary, type TrainOptions } from './train/index';
