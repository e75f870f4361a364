/** Sentence embeddings with BERT sentence-transformers checkpoints (see encoder.ts). */
export { SentenceEncoder, type EncoderLoadOptions } from './encoder';
export { parseBertConfig, type BertSpec } from './config';
export { readSentenceModules, type SentenceModules, type PoolingMode } from './modules';
export { buildEncoderLoadPlan, bertSlots } from './weights';
