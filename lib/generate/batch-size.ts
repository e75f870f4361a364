/**
 * `--batch-size auto`: the largest batch whose static KV cache and per-step activations fit in a
 * share of the device's free memory. The KV cache is allocated up front, so this is decided once.
 */
import * as os from 'node:os';
import type { ArchSpec } from '../model/arch-spec';
import type { ModelDtype } from '../native/types';

const BYTES: Record<ModelDtype, number> = { float32: 4, bfloat16: 2, float16: 2 };
export const MAX_AUTO_BATCH = 256;

/** Bytes one sequence needs: its KV cache plus ~4 float32 vocabulary-sized rows for logits/sampling. */
export function bytesPerSequence(spec: ArchSpec, dtype: ModelDtype, maxNewTokens: number): number {
  const kv = 2 * spec.numLayers * spec.numKvHeads * spec.headDim * BYTES[dtype] * maxNewTokens;
  const logits = 4 * spec.vocabSize * 4;
  const activations = 8 * (spec.hiddenSize + spec.intermediateSize * 2) * BYTES[dtype];
  return kv + logits + activations;
}

export function autoBatchSize(
  spec: ArchSpec,
  dtype: ModelDtype,
  maxNewTokens: number,
  numSamples: number,
  freeBytes = os.freemem(),
): number {
  const budget = freeBytes * 0.5;
  const fit = Math.floor(budget / bytesPerSequence(spec, dtype, maxNewTokens));
  return Math.max(1, Math.min(MAX_AUTO_BATCH, numSamples, fit));
}
