/**
 * Whether a corpus depends on the batch size it was sampled at, by sampler setting, for manifests.
 * No setting is batch-invariant by construction: a row's float32 logits depend on the batch's size
 * (GEMM blocking), which can flip a draw that lies near a truncation threshold or a CDF boundary.
 * How often that happens was measured (README, "Reproducing the paper": `scripts/batch-invariance.js`,
 * 224 samples × 40 new tokens, batch 7 vs 16): greedy, temperature 1 untruncated and top-k 50 gave
 * identical corpora, top-p 0.95 differed in 17.9% of samples (O(V) sampler; 22.8% with the
 * earlier sort). Hence resume and `corpus merge` keep the batch size the corpus was started with.
 */
import type { ResolvedSampling } from './options';

export interface BatchInvariance {
  batchInvariant: false;
  batchInvarianceNote: string;
}

export function batchInvariance(s: Pick<ResolvedSampling, 'temperature' | 'topK' | 'topP' | 'minP'>): BatchInvariance {
  const why = "a row's float32 logits depend on the batch size";
  if (s.temperature > 0 && s.topP < 1)
    return {
      batchInvariant: false,
      batchInvarianceNote: `truncated top-p: ${why}, which moves tokens across the nucleus boundary; measured with top-p 0.95, 17.9% of samples differ between batch 7 and 16`,
    };
  if (s.temperature > 0 && s.minP > 0)
    return { batchInvariant: false, batchInvarianceNote: `min-p: ${why}, so draws near the threshold can differ (rate not measured)` };
  return {
    batchInvariant: false,
    batchInvarianceNote: `${why}; greedy, untruncated and top-k 50 samples were identical between batch 7 and 16 when measured, but that is not guaranteed`,
  };
}
