/** Statistics for trusting a difference: one module, seeded resampling everywhere. */
export { Rng } from './prng';
export { mean, sampleStd, meanStderr, quantileSorted, normalQuantile, wilsonInterval, type Interval } from './describe';
export {
  bootstrap,
  bootstrapMean,
  pairedDifference,
  pairedRelativeDrop,
  unpairedDifference,
  BOOTSTRAP_DEFAULTS,
  type BootstrapOptions,
  type BootstrapInterval,
} from './bootstrap';
export { averageRanks, pearson, spearman, kendallTauB, correlate, type CorrelationResult } from './correlation';
export { compareExtraction, type ExtractResultFile, type ExtractComparison } from './extraction';
