/**
 * Documents (token id lists) → fixed-length training rows with next-token targets.
 *
 * `concat`: documents joined with EOS between them (doc0 EOS doc1 EOS doc2) into one stream, cut
 *   into blocks of seqLen tokens. The target of position t is the stream's next token, so the last
 *   position of a block predicts the first token of the next block and no target is lost; the
 *   final, shorter block is right-padded (padding and the stream's last token have no target).
 * `none`: one document per row, truncated to seqLen and right-padded; targets are the document's
 *   next tokens (its last token has none); padding is masked.
 * Masked targets are −100 (cross-entropy's ignore_index). Rows without any target are dropped.
 */
export type PackingMode = 'concat' | 'none';

export const IGNORE = -100;

export interface PackedRows {
  seqLen: number;
  /** Row-major [numRows, seqLen] input ids (padding = padId). */
  ids: Int32Array;
  /** Row-major [numRows, seqLen] targets (−100 = none). */
  targets: Int32Array;
  /** Real (unpadded) length of each row. */
  lengths: Int32Array;
  numRows: number;
  /** Targets over all rows. */
  numTargets: number;
}

export interface PackOptions {
  seqLen: number;
  mode: PackingMode;
  eosId: number;
  padId: number;
}

export function packDocuments(docs: readonly (readonly number[] | Int32Array)[], o: PackOptions): PackedRows {
  const rows: { ids: ArrayLike<number>; targets: ArrayLike<number> }[] = [];
  if (o.mode === 'concat') {
    let total = 0;
    docs.forEach((d, i) => (total += d.length + (i > 0 ? 1 : 0)));
    const stream = new Int32Array(total);
    let p = 0;
    docs.forEach((d, i) => {
      if (i > 0) stream[p++] = o.eosId;
      stream.set(d, p);
      p += d.length;
    });
    for (let start = 0; start < total; start += o.seqLen) {
      const end = Math.min(start + o.seqLen, total);
      const ids = stream.subarray(start, end);
      const targets = new Int32Array(end - start);
      for (let t = 0; t < targets.length; t++) targets[t] = start + t + 1 < total ? stream[start + t + 1]! : IGNORE;
      rows.push({ ids, targets });
    }
  } else {
    for (const d of docs) {
      const n = Math.min(d.length, o.seqLen);
      const ids = Int32Array.from(d.slice(0, n) as ArrayLike<number>);
      const targets = new Int32Array(n);
      for (let t = 0; t < n; t++) targets[t] = t + 1 < d.length && t + 1 < n ? d[t + 1]! : IGNORE;
      rows.push({ ids, targets });
    }
  }
  const kept = rows.filter((r) => Array.prototype.some.call(r.targets, (x: number) => x !== IGNORE));
  const out: PackedRows = {
    seqLen: o.seqLen,
    ids: new Int32Array(kept.length * o.seqLen).fill(o.padId),
    targets: new Int32Array(kept.length * o.seqLen).fill(IGNORE),
    lengths: new Int32Array(kept.length),
    numRows: kept.length,
    numTargets: 0,
  };
  kept.forEach((r, i) => {
    out.ids.set(r.ids, i * o.seqLen);
    out.targets.set(r.targets, i * o.seqLen);
    out.lengths[i] = r.ids.length;
    for (let t = 0; t < r.targets.length; t++) if (r.targets[t] !== IGNORE) out.numTargets++;
  });
  return out;
}

/** Gather rows into a [B, T] batch, T = the longest row (padding beyond it is dropped). */
export function gatherBatch(
  rows: PackedRows,
  indices: readonly number[],
): { ids: Int32Array; targets: Int32Array; B: number; T: number; targetCount: number; inputTokens: number } {
  const B = indices.length;
  let T = 1;
  for (const r of indices) T = Math.max(T, rows.lengths[r]!);
  const ids = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  let targetCount = 0;
  let inputTokens = 0;
  indices.forEach((r, b) => {
    ids.set(rows.ids.subarray(r * rows.seqLen, r * rows.seqLen + T), b * T);
    const tg = rows.targets.subarray(r * rows.seqLen, r * rows.seqLen + T);
    targets.set(tg, b * T);
    for (let t = 0; t < T; t++) if (tg[t] !== IGNORE) targetCount++;
    inputTokens += rows.lengths[r]!;
  });
  return { ids, targets, B, T, targetCount, inputTokens };
}
