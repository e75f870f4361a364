/** Token lists ⇄ the flat (ids, offsets) layout the native scoring kernels take. */
export interface FlatRagged {
  ids: Int32Array;
  /** [N + 1]: row i is ids[offsets[i] .. offsets[i + 1]). */
  offsets: Int32Array;
}

export function flattenRagged(rows: ReadonlyArray<ReadonlyArray<number>>): FlatRagged {
  const offsets = new Int32Array(rows.length + 1);
  for (let i = 0; i < rows.length; i++) offsets[i + 1] = offsets[i]! + rows[i]!.length;
  const ids = new Int32Array(offsets[rows.length]!);
  rows.forEach((r, i) => ids.set(r, offsets[i]!));
  return { ids, offsets };
}
