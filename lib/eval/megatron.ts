/**
 * Megatron-LM / GPT-NeoX pretokenized datasets (`MMapIndexedDataset`), the format of Pythia's
 * preshuffled training data: PREFIX.idx + PREFIX.bin.
 *
 * .idx (little-endian):  "MMIDIDX\0\0" (9 bytes) | u64 version = 1 | u8 dtype code |
 *                        u64 sequence count N | u64 document count D |
 *                        i32 sizes[N] (tokens per sequence) | i64 pointers[N] (byte offset in .bin) |
 *                        i64 document index[D]
 * .bin: the raw tokens of every sequence, back to back, in the dtype.
 * dtype codes: 1 uint8, 2 int8, 3 int16, 4 int32, 5 int64, 6 float64, 7 float32, 8 uint16 (Pythia).
 *
 * The reader never loads the files whole (Pythia's are hundreds of GB): it reads the header, then
 * each requested sequence's size, pointer and tokens with positioned reads.
 */
import * as fs from 'node:fs';
import { ResurfaceError } from '../errors';
import { writeFileAtomic } from '../io/atomic';

const MAGIC = Buffer.from('MMIDIDX\x00\x00', 'latin1');
const HEADER_BYTES = 9 + 8 + 1 + 8 + 8;

export type MegatronDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint16';
const CODES: Record<number, { name: MegatronDtype | 'float64' | 'float32'; bytes: number }> = {
  1: { name: 'uint8', bytes: 1 },
  2: { name: 'int8', bytes: 1 },
  3: { name: 'int16', bytes: 2 },
  4: { name: 'int32', bytes: 4 },
  5: { name: 'int64', bytes: 8 },
  6: { name: 'float64', bytes: 8 },
  7: { name: 'float32', bytes: 4 },
  8: { name: 'uint16', bytes: 2 },
};
const CODE_OF: Record<MegatronDtype, number> = { uint8: 1, int8: 2, int16: 3, int32: 4, int64: 5, uint16: 8 };

/** "data/train.idx", "data/train.bin" or "data/train" → "data/train". */
export function megatronPrefix(p: string): string {
  return p.replace(/\.(idx|bin)$/, '');
}

export function isMegatronPath(p: string): boolean {
  const prefix = megatronPrefix(p);
  return /\.(idx|bin)$/.test(p) || (fs.existsSync(`${prefix}.idx`) && fs.existsSync(`${prefix}.bin`));
}

function bad(file: string, msg: string): never {
  throw new ResurfaceError('ERR_DATA', `${file}: ${msg}`, { path: file });
}

export class MegatronDataset {
  readonly prefix: string;
  readonly dtype: MegatronDtype;
  readonly itemBytes: number;
  readonly numSequences: number;
  readonly numDocuments: number;
  private readonly idxFd: number;
  private readonly binFd: number;
  private readonly binSize: number;

  private constructor(
    prefix: string,
    dtype: MegatronDtype,
    itemBytes: number,
    n: number,
    d: number,
    idxFd: number,
    binFd: number,
    binSize: number,
  ) {
    this.prefix = prefix;
    this.dtype = dtype;
    this.itemBytes = itemBytes;
    this.numSequences = n;
    this.numDocuments = d;
    this.idxFd = idxFd;
    this.binFd = binFd;
    this.binSize = binSize;
  }

  static open(pathOrPrefix: string): MegatronDataset {
    const prefix = megatronPrefix(pathOrPrefix);
    const idx = `${prefix}.idx`;
    const bin = `${prefix}.bin`;
    let idxFd = -1;
    let binFd = -1;
    try {
      try {
        idxFd = fs.openSync(idx, 'r');
        binFd = fs.openSync(bin, 'r');
      } catch (err) {
        throw new ResurfaceError('ERR_IO', `cannot open ${(err as NodeJS.ErrnoException).path ?? prefix}: ${(err as Error).message}`, {
          path: prefix,
        });
      }
      const idxSize = fs.fstatSync(idxFd).size;
      const binSize = fs.fstatSync(binFd).size;
      if (idxSize < HEADER_BYTES) bad(idx, `too short (${idxSize} bytes) for a Megatron index header`);
      const h = Buffer.alloc(HEADER_BYTES);
      fs.readSync(idxFd, h, 0, HEADER_BYTES, 0);
      if (!h.subarray(0, 9).equals(MAGIC)) bad(idx, 'not a Megatron index: it does not start with MMIDIDX\\x00\\x00');
      const version = h.readBigUInt64LE(9);
      if (version !== 1n) bad(idx, `index version ${version} is not supported (only 1)`);
      const code = h.readUInt8(17);
      const dt = CODES[code];
      if (!dt) bad(idx, `unknown dtype code ${code}`);
      if (dt.name === 'float32' || dt.name === 'float64') bad(idx, `dtype ${dt.name} cannot hold token ids`);
      const n = h.readBigUInt64LE(18);
      const d = h.readBigUInt64LE(26);
      const expected = BigInt(HEADER_BYTES) + n * 12n + d * 8n;
      if (expected !== BigInt(idxSize)) {
        bad(
          idx,
          `size ${idxSize} bytes does not match its header (${n} sequences, ${d} documents: ${expected} bytes); truncated or corrupt`,
        );
      }
      const ds = new MegatronDataset(prefix, dt.name as MegatronDtype, dt.bytes, Number(n), Number(d), idxFd, binFd, binSize);
      return ds;
    } catch (err) {
      if (idxFd >= 0) fs.closeSync(idxFd);
      if (binFd >= 0) fs.closeSync(binFd);
      throw err;
    }
  }

  private readIdx(offset: number, bytes: number): Buffer {
    const b = Buffer.alloc(bytes);
    const got = fs.readSync(this.idxFd, b, 0, bytes, offset);
    if (got !== bytes) bad(`${this.prefix}.idx`, `short read at byte ${offset}`);
    return b;
  }

  /** Token count of sequence i. */
  size(i: number): number {
    this.checkIndex(i);
    return this.readIdx(HEADER_BYTES + 4 * i, 4).readInt32LE(0);
  }

  private checkIndex(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.numSequences) {
      throw new ResurfaceError('ERR_DATA', `${this.prefix}: sequence index ${i} is out of range [0, ${this.numSequences})`);
    }
  }

  /** Tokens of sequence i (or its first `limit` tokens). */
  get(i: number, limit?: number): number[] {
    const size = this.size(i);
    const ptr = Number(this.readIdx(HEADER_BYTES + 4 * this.numSequences + 8 * i, 8).readBigInt64LE(0));
    if (size < 0 || ptr < 0 || ptr + size * this.itemBytes > this.binSize) {
      bad(`${this.prefix}.bin`, `sequence ${i} (${size} tokens at byte ${ptr}) lies outside the ${this.binSize}-byte file`);
    }
    const n = limit === undefined ? size : Math.min(size, limit);
    const buf = Buffer.alloc(n * this.itemBytes);
    if (n > 0) fs.readSync(this.binFd, buf, 0, buf.length, ptr);
    const out = new Array<number>(n);
    for (let k = 0; k < n; k++) {
      const o = k * this.itemBytes;
      switch (this.dtype) {
        case 'uint8':
          out[k] = buf.readUInt8(o);
          break;
        case 'int8':
          out[k] = buf.readInt8(o);
          break;
        case 'uint16':
          out[k] = buf.readUInt16LE(o);
          break;
        case 'int16':
          out[k] = buf.readInt16LE(o);
          break;
        case 'int32':
          out[k] = buf.readInt32LE(o);
          break;
        case 'int64':
          out[k] = Number(buf.readBigInt64LE(o));
          break;
      }
    }
    return out;
  }

  close(): void {
    fs.closeSync(this.idxFd);
    fs.closeSync(this.binFd);
  }
}

/** Writes PREFIX.bin / PREFIX.idx holding `sequences` (one document per sequence unless `docIndex` is given). */
export async function writeMegatron(
  prefix: string,
  sequences: ReadonlyArray<readonly number[]>,
  dtype: MegatronDtype = 'uint16',
  docIndex?: number[],
): Promise<void> {
  const bytes = CODES[CODE_OF[dtype]]!.bytes;
  const total = sequences.reduce((a, s) => a + s.length, 0);
  const bin = Buffer.alloc(total * bytes);
  let at = 0;
  for (const s of sequences) {
    for (const t of s) {
      switch (dtype) {
        case 'uint8':
          bin.writeUInt8(t, at);
          break;
        case 'int8':
          bin.writeInt8(t, at);
          break;
        case 'uint16':
          bin.writeUInt16LE(t, at);
          break;
        case 'int16':
          bin.writeInt16LE(t, at);
          break;
        case 'int32':
          bin.writeInt32LE(t, at);
          break;
        case 'int64':
          bin.writeBigInt64LE(BigInt(t), at);
          break;
      }
      at += bytes;
    }
  }
  const docs = docIndex ?? Array.from({ length: sequences.length + 1 }, (_, i) => i);
  const n = sequences.length;
  const idx = Buffer.alloc(HEADER_BYTES + n * 12 + docs.length * 8);
  MAGIC.copy(idx, 0);
  idx.writeBigUInt64LE(1n, 9);
  idx.writeUInt8(CODE_OF[dtype], 17);
  idx.writeBigUInt64LE(BigInt(n), 18);
  idx.writeBigUInt64LE(BigInt(docs.length), 26);
  let ptr = 0;
  sequences.forEach((s, i) => {
    idx.writeInt32LE(s.length, HEADER_BYTES + 4 * i);
    idx.writeBigInt64LE(BigInt(ptr), HEADER_BYTES + 4 * n + 8 * i);
    ptr += s.length * bytes;
  });
  docs.forEach((d, i) => idx.writeBigInt64LE(BigInt(d), HEADER_BYTES + 12 * n + 8 * i));
  await writeFileAtomic(`${prefix}.bin`, bin);
  await writeFileAtomic(`${prefix}.idx`, idx);
}
