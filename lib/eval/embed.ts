/**
 * Mean-pooled sentence embeddings through our own runtime: the average of the final-normed hidden
 * states over each sequence's tokens (no padding), float32 [N, H] row-major.
 *
 *   const { data, dim } = await embed(model, await tok.encodeBatch(texts));
 *   // row i: data.subarray(i * dim, (i + 1) * dim)
 */
import { ArgumentError, fromNative } from '../errors';
import type { Model } from '../model/model';
import { loadNative } from '../native/loader';
import { flattenRagged } from './ragged';

export interface Embeddings {
  /** [N * dim] float32, row-major. */
  data: Float32Array;
  n: number;
  dim: number;
}

export async function embed(
  model: Model,
  tokenLists: ReadonlyArray<readonly number[]>,
  options: { batchSize?: number } = {},
): Promise<Embeddings> {
  const dim = model.config.hiddenSize;
  if (tokenLists.length === 0) return { data: new Float32Array(0), n: 0, dim };
  tokenLists.forEach((t, i) => {
    if (t.length === 0) throw new ArgumentError(`embed: token list ${i} is empty`);
  });
  const flat = flattenRagged(tokenLists);
  try {
    const data = await loadNative().embed(model.nativeHandle(), flat.ids, flat.offsets, { batchSize: options.batchSize ?? 16 });
    return { data, n: tokenLists.length, dim };
  } catch (err) {
    throw fromNative(err);
  }
}
