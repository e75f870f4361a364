/** Fine-tuning and pretraining: `train()` and the pieces it is made of. */
export { train, type TrainHooks, type TrainProgress, type TrainSummary, type MetricsLine } from './train';
export { trainOptionsSchema, type TrainOptions } from './options';
export { packDocuments, gatherBatch, type PackedRows, type PackingMode } from './packing';
export { lrAt, lrLambda, type Schedule, type ScheduleName } from './schedule';
export { DataOrder, epochPermutation } from './shuffle';
export { readDataSource, tokenizeDocuments, type DataSource } from './data-source';
