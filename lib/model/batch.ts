/** Turning ragged token lists into the right-padded [B, T] layout the native forward takes. */
import { ArgumentError } from '../errors';

export type TokenBatch = ReadonlyArray<ReadonlyArray<number> | Int32Array>;

export interface PaddedBatch {
  ids: Int32Array; // [B * T], right-padded with 0
  lengths: Int32Array; // [B]
  B: number;
  T: number;
}

export function padBatch(batch: TokenBatch, vocabSize: number): PaddedBatch {
  if (!Array.isArray(batch) || batch.length === 0) throw new ArgumentError('batch must be a non-empty array of token id lists');
  const B = batch.length;
  let T = 0;
  batch.forEach((row, b) => {
    if (!(Array.isArray(row) || row instanceof Int32Array) || row.length === 0) {
      throw new ArgumentError(`batch row ${b} must be a non-empty array of token ids`);
    }
    T = Math.max(T, row.length);
  });
  const ids = new Int32Array(B * T);
  const lengths = new Int32Array(B);
  batch.forEach((row, b) => {
    lengths[b] = row.length;
    for (let t = 0; t < row.length; t++) {
      const id = row[t]!;
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new ArgumentError(`token id ${id} at row ${b}, position ${t} is outside the vocabulary [0, ${vocabSize})`);
      }
      ids[b * T + t] = id;
    }
  });
  return { ids, lengths, B, T };
}
