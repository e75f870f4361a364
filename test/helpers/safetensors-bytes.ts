/** Hand-assembled safetensors bytes: the small valid base file that the corrupt cases mutate. */

export const enc = new TextEncoder();

/** Assemble [u64 LE length][header][data]. `length` overrides the declared header length. */
export function assemble(header: string | Uint8Array, data: Uint8Array, opts: { length?: bigint; padTo8?: boolean } = {}): Uint8Array {
  let h = typeof header === 'string' ? enc.encode(header) : header;
  if (opts.padTo8 && h.byteLength % 8 !== 0) {
    const p = new Uint8Array(Math.ceil(h.byteLength / 8) * 8).fill(0x20);
    p.set(h);
    h = p;
  }
  const out = new Uint8Array(8 + h.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, opts.length ?? BigInt(h.byteLength), true);
  out.set(h, 8);
  out.set(data, 8 + h.byteLength);
  return out;
}

/** The valid base file: four tensors (one scalar, one empty) and metadata; 40 data bytes. */
export const BASE_DATA_SIZE = 40;
export function baseHeader(): Record<string, unknown> {
  return {
    __metadata__: { format: 'pt' },
    'layers.0.w': { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
    'layers.0.b': { dtype: 'F16', shape: [4], data_offsets: [24, 32] },
    step: { dtype: 'I64', shape: [], data_offsets: [32, 40] },
    empty: { dtype: 'U8', shape: [0], data_offsets: [40, 40] },
  };
}
/** Data bytes are ASCII letters: never JSON whitespace, so a header length that is too long always breaks the JSON. */
export function baseData(): Uint8Array {
  return Uint8Array.from({ length: BASE_DATA_SIZE }, (_, i) => 0x41 + (i % 26));
}

/** Base header with one edit applied to a deep copy. */
export function edit(fn: (h: Record<string, any>) => void): string {
  const h = JSON.parse(JSON.stringify(baseHeader())) as Record<string, any>;
  fn(h);
  return JSON.stringify(h);
}
