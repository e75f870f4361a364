/**
 * Reading safetensors files (https://github.com/huggingface/safetensors) without trusting them.
 *
 * Layout: [u64 LE N][N bytes UTF-8 JSON header, maybe space-padded][data section].
 * Header: { name: { dtype, shape, data_offsets: [begin, end) relative to the data section }, __metadata__?: {str: str} }.
 *
 * We read only the 8 + N header bytes and validate everything before anyone uses an offset.
 * Error codes by failure class:
 *   ERR_SAFETENSORS_HEADER  file < 8 bytes; N = 0, N > 100 MB or 8 + N > file size; bad UTF-8; bad JSON;
 *                           JSON not an object; duplicate keys; entry not an object; missing field;
 *                           shape / data_offsets not arrays of non-negative safe integers (offsets: exactly 2);
 *                           __metadata__ not an object of strings.
 *   ERR_SAFETENSORS_DTYPE   dtype present but not one of DTYPE_SIZES (includes safetensors dtypes we do not support).
 *   ERR_SAFETENSORS_RANGE   begin > end; (product of shape) x element size != end - begin; data beyond the
 *                           end of the file; two tensors' byte ranges overlap.
 *   ERR_IO                  the file cannot be opened/read, is not a regular file, or changed under us.
 * Deliberately accepted (as the reference reader does or harmlessly): gaps between tensors and trailing
 * bytes after the last one; unknown extra fields in an entry; `"__metadata__": null`.
 */
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { FormatError, ResurfaceError, type ErrorCode } from '../errors';
import { asIoError } from './atomic';
import { DTYPE_SIZES, type SafetensorsDtype, type SafetensorsFile, type TensorEntry, type WeightIndex } from './tensor-types';

/** Largest header we accept (the reference implementation uses the same limit). */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;
export const SINGLE_FILE_NAME = 'model.safetensors';
export const INDEX_FILE_NAME = 'model.safetensors.index.json';
/** Largest index file we read (real ones are well under 1 MB). */
const MAX_INDEX_BYTES = 100 * 1024 * 1024;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function isSafetensorsDtype(x: unknown): x is SafetensorsDtype {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_SIZES, x);
}

/** Number of elements of `shape`, exact (BigInt), so huge dims cannot round or overflow. */
export function elementCount(shape: readonly number[]): bigint {
  let n = 1n;
  for (const d of shape) n *= BigInt(d);
  return n;
}

/** Byte size of a tensor with this dtype and shape, as an exact BigInt. */
export function byteLength(dtype: SafetensorsDtype, shape: readonly number[]): bigint {
  return elementCount(shape) * BigInt(DTYPE_SIZES[dtype]);
}

function isNonNegSafeInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function fail(code: ErrorCode, file: string, message: string, tensor?: string): never {
  const where = tensor === undefined ? file : `${file}: tensor ${JSON.stringify(tensor)}`;
  throw new FormatError(code, `${where}: ${message}`, tensor === undefined ? { file } : { file, tensor });
}

/** Read exactly `length` bytes at `position` (fh.read may return less than asked). */
async function readExactly(fh: FileHandle, position: number, length: number): Promise<Uint8Array | null> {
  const buf = new Uint8Array(length);
  let off = 0;
  while (off < length) {
    const { bytesRead } = await fh.read(buf, off, length - off, position + off);
    if (bytesRead === 0) return null;
    off += bytesRead;
  }
  return buf;
}

/** Open a regular file for reading; system errors become ERR_IO naming the file. */
async function openRegular(file: string): Promise<{ fh: FileHandle; size: number }> {
  let fh: FileHandle | undefined;
  try {
    fh = await fsp.open(file, 'r');
    const st = await fh.stat();
    if (!st.isFile()) throw new ResurfaceError('ERR_IO', `${file}: not a regular file`, { file });
    return { fh, size: st.size };
  } catch (err) {
    if (fh) await fh.close().catch(() => undefined);
    throw asIoError(err, `cannot open ${file}`, file);
  }
}

/** Read and validate a safetensors header. Reads only the first 8 + N bytes of the file. */
export async function readSafetensorsHeader(file: string): Promise<SafetensorsFile> {
  const { fh, size } = await openRegular(file);
  try {
    let prefix: Uint8Array | null;
    let header: Uint8Array | null;
    try {
      prefix = size >= 8 ? await readExactly(fh, 0, 8) : null;
      if (!prefix) fail('ERR_SAFETENSORS_HEADER', file, `file is ${size} bytes, shorter than the 8-byte header length`);
      const n = checkHeaderLength(file, prefix, size);
      header = await readExactly(fh, 8, n);
    } catch (err) {
      throw asIoError(err, `cannot read ${file}`, file);
    }
    if (!header) throw new ResurfaceError('ERR_IO', `${file}: file shrank while reading its header`, { file });
    return parseSafetensorsHeader(file, header, size);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Validate the 8-byte little-endian header length against the file size; returns N. */
export function checkHeaderLength(file: string, prefix: Uint8Array, fileSize: number): number {
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n === 0n) fail('ERR_SAFETENSORS_HEADER', file, 'header length is 0');
  if (n > BigInt(MAX_HEADER_BYTES)) fail('ERR_SAFETENSORS_HEADER', file, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (8n + n > BigInt(fileSize)) fail('ERR_SAFETENSORS_HEADER', file, `header length ${n} runs past the end of the ${fileSize}-byte file`);
  return Number(n);
}

/**
 * Validate header bytes (the N bytes after the length prefix) of a file of `fileSize` bytes.
 * Pure: no I/O. Exposed for tools that already hold the bytes.
 */
export function parseSafetensorsHeader(file: string, header: Uint8Array, fileSize: number): SafetensorsFile {
  const headerLength = header.byteLength;
  const dataOffset = 8 + headerLength;
  const dataSize = fileSize - dataOffset;
  if (dataSize < 0) fail('ERR_SAFETENSORS_HEADER', file, `header length ${headerLength} runs past the end of the ${fileSize}-byte file`);

  let text: string;
  try {
    text = utf8.decode(header);
  } catch {
    fail('ERR_SAFETENSORS_HEADER', file, 'header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    fail('ERR_SAFETENSORS_HEADER', file, `header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    fail(
      'ERR_SAFETENSORS_HEADER',
      file,
      `header must be a JSON object, got ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json}`,
    );
  }
  const dup = findDuplicateKey(text);
  if (dup !== undefined) fail('ERR_SAFETENSORS_HEADER', file, `header has duplicate key ${JSON.stringify(dup)}`);

  const metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  const tensors = new Map<string, TensorEntry>();
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      readMetadata(file, raw, metadata);
      continue;
    }
    tensors.set(name, readEntry(file, name, raw, dataOffset, dataSize));
  }
  checkNoOverlap(file, tensors);
  return { path: file, headerLength, dataOffset, fileSize, metadata, tensors };
}

function readMetadata(file: string, raw: unknown, into: Record<string, string>): void {
  if (raw === null) return; // serde's Option<HashMap> in the reference reader accepts null
  if (typeof raw !== 'object' || Array.isArray(raw)) fail('ERR_SAFETENSORS_HEADER', file, '__metadata__ must be an object of strings');
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v !== 'string')
      fail('ERR_SAFETENSORS_HEADER', file, `__metadata__[${JSON.stringify(k)}] must be a string, got ${v === null ? 'null' : typeof v}`);
    into[k] = v;
  }
}

function readEntry(file: string, name: string, raw: unknown, dataOffset: number, dataSize: number): TensorEntry {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    fail('ERR_SAFETENSORS_HEADER', file, 'entry must be an object {dtype, shape, data_offsets}', name);
  const e = raw as Record<string, unknown>;
  for (const field of ['dtype', 'shape', 'data_offsets']) {
    if (!Object.prototype.hasOwnProperty.call(e, field)) fail('ERR_SAFETENSORS_HEADER', file, `missing "${field}"`, name);
  }
  const { dtype, shape, data_offsets: offsets } = e;
  if (!isSafetensorsDtype(dtype)) {
    fail(
      'ERR_SAFETENSORS_DTYPE',
      file,
      `unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(DTYPE_SIZES).join(', ')})`,
      name,
    );
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegSafeInt)) {
    fail('ERR_SAFETENSORS_HEADER', file, `shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`, name);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegSafeInt)) {
    fail(
      'ERR_SAFETENSORS_HEADER',
      file,
      `data_offsets must be [begin, end] of non-negative integers, got ${JSON.stringify(offsets)}`,
      name,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) fail('ERR_SAFETENSORS_RANGE', file, `data_offsets begin ${begin} > end ${end}`, name);
  const expected = byteLength(dtype, shape as number[]);
  if (expected !== BigInt(end - begin)) {
    fail(
      'ERR_SAFETENSORS_RANGE',
      file,
      `${dtype} ${JSON.stringify(shape)} needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
      name,
    );
  }
  if (end > dataSize) {
    fail(
      'ERR_SAFETENSORS_RANGE',
      file,
      `data_offsets end ${end} is past the end of the ${dataSize}-byte data section (file truncated?)`,
      name,
    );
  }
  return { name, dtype, shape: (shape as number[]).map((d) => d + 0), begin: dataOffset + begin, end: dataOffset + end };
}

function checkNoOverlap(file: string, tensors: Map<string, TensorEntry>): void {
  // Empty ranges occupy no bytes and cannot overlap anything.
  const ranges = [...tensors.values()].filter((t) => t.end > t.begin).sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < ranges.length; i++) {
    const prev = ranges[i - 1]!;
    const cur = ranges[i]!;
    // Sorted by begin and pairwise disjoint so far, so prev.end is the furthest byte used.
    if (cur.begin < prev.end) {
      fail(
        'ERR_SAFETENSORS_RANGE',
        file,
        `bytes overlap tensor ${JSON.stringify(prev.name)} ([${prev.begin}, ${prev.end}) vs [${cur.begin}, ${cur.end}) absolute)`,
        cur.name,
      );
    }
  }
}

/**
 * First key repeated within one JSON object, if any. `text` must already be valid JSON.
 * JSON.parse silently keeps the last duplicate; another reader (the native one) might keep the first,
 * so a file with duplicates means different things to different readers and is rejected.
 */
export function findDuplicateKey(text: string): string | undefined {
  const stack: (Set<string> | null)[] = []; // one Set per open object, null per open array
  const isWs = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let j = i + 1;
      let escaped = false;
      while (j < text.length && text.charCodeAt(j) !== 0x22) {
        if (text.charCodeAt(j) === 0x5c) {
          escaped = true;
          j += 2;
        } else j += 1;
      }
      const keys = stack[stack.length - 1];
      if (keys) {
        let k = j + 1;
        while (isWs(text.charCodeAt(k))) k++;
        if (text.charCodeAt(k) === 0x3a) {
          const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
          if (keys.has(key)) return key;
          keys.add(key);
        }
      }
      i = j + 1;
    } else {
      if (c === 0x7b) stack.push(new Set());
      else if (c === 0x5b) stack.push(null);
      else if (c === 0x7d || c === 0x5d) stack.pop();
      i++;
    }
  }
  return undefined;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.stat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Open a Hugging Face model directory's weights: `model.safetensors`, else the shards listed by
 * `model.safetensors.index.json` (transformers also prefers the single file when both exist).
 * Index failures: ERR_SAFETENSORS_INDEX (bad JSON, bad weight_map, missing/unsafe shard file, a tensor
 * stored in two shards); ERR_MISSING_TENSOR (weight_map names a tensor its shard does not hold).
 * Tensors present in a shard but absent from weight_map are still indexed (transformers loads whole shards).
 */
export async function openWeights(modelDir: string): Promise<WeightIndex> {
  const single = path.join(modelDir, SINGLE_FILE_NAME);
  const indexPath = path.join(modelDir, INDEX_FILE_NAME);
  if (await exists(single)) {
    const file = await readSafetensorsHeader(single);
    const location = new Map<string, number>();
    for (const name of file.tensors.keys()) location.set(name, 0);
    return { files: [file], location };
  }
  if (!(await exists(indexPath))) {
    throw new ResurfaceError('ERR_NOT_A_MODEL', `no ${SINGLE_FILE_NAME} or ${INDEX_FILE_NAME} in ${modelDir}`, { dir: modelDir });
  }
  const weightMap = await readIndex(indexPath);
  const shardNames = [...new Set(weightMap.values())].sort();
  for (const shard of shardNames) {
    if (!(await exists(path.join(modelDir, shard)))) {
      throw new FormatError('ERR_SAFETENSORS_INDEX', `${indexPath}: shard "${shard}" does not exist in ${modelDir}`, {
        file: indexPath,
        shard,
      });
    }
  }
  const files = await Promise.all(shardNames.map((s) => readSafetensorsHeader(path.join(modelDir, s))));
  const shardIndex = new Map(shardNames.map((s, i) => [s, i] as const));

  const location = new Map<string, number>();
  files.forEach((f, i) => {
    for (const name of f.tensors.keys()) {
      const other = location.get(name);
      if (other !== undefined) {
        throw new FormatError(
          'ERR_SAFETENSORS_INDEX',
          `${indexPath}: tensor ${JSON.stringify(name)} is stored in both ${files[other]!.path} and ${f.path}`,
          { file: indexPath, tensor: name },
        );
      }
      location.set(name, i);
    }
  });
  for (const [name, shard] of weightMap) {
    const i = shardIndex.get(shard)!;
    if (location.get(name) !== i) {
      throw new FormatError(
        'ERR_MISSING_TENSOR',
        `${indexPath}: tensor ${JSON.stringify(name)} is mapped to ${shard} but ${files[i]!.path} does not contain it`,
        { file: indexPath, tensor: name, shard },
      );
    }
  }
  return { files, location };
}

/** Parse and validate an index file; returns tensor name -> shard file name. */
async function readIndex(indexPath: string): Promise<Map<string, string>> {
  // Explicitly typed so TypeScript narrows after calls (control flow needs an annotated `never`).
  const bad: (message: string, extra?: Record<string, unknown>) => never = (message, extra = {}) => {
    throw new FormatError('ERR_SAFETENSORS_INDEX', `${indexPath}: ${message}`, { file: indexPath, ...extra });
  };
  const { fh, size } = await openRegular(indexPath);
  let bytes: Uint8Array | null;
  try {
    if (size > MAX_INDEX_BYTES) bad(`index is ${size} bytes, over the ${MAX_INDEX_BYTES}-byte limit`);
    bytes = await readExactly(fh, 0, size);
  } catch (err) {
    throw asIoError(err, `cannot read ${indexPath}`, indexPath);
  } finally {
    await fh.close().catch(() => undefined);
  }
  if (!bytes) throw new ResurfaceError('ERR_IO', `${indexPath}: file shrank while reading`, { file: indexPath });
  let text = '';
  let json: unknown;
  try {
    text = utf8.decode(bytes);
    json = JSON.parse(text);
  } catch (err) {
    bad(`not valid UTF-8 JSON (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) bad('index must be a JSON object');
  const dup = findDuplicateKey(text);
  if (dup !== undefined) bad(`duplicate key ${JSON.stringify(dup)}`, { tensor: dup });
  const obj = json as Record<string, unknown>;
  if (
    Object.prototype.hasOwnProperty.call(obj, 'metadata') &&
    obj.metadata !== null &&
    (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata))
  ) {
    bad('"metadata" must be an object');
  }
  const wm = Object.prototype.hasOwnProperty.call(obj, 'weight_map') ? obj.weight_map : undefined;
  if (typeof wm !== 'object' || wm === null || Array.isArray(wm)) bad('"weight_map" must be an object {tensor name: shard file}');
  const map = new Map<string, string>();
  for (const [name, shard] of Object.entries(wm as Record<string, unknown>)) {
    if (typeof shard !== 'string') bad(`weight_map[${JSON.stringify(name)}] must be a file name string`, { tensor: name });
    // Shards live next to the index: a path could escape the model directory.
    if (shard === '' || shard === '.' || shard === '..' || /[/\\\0]/.test(shard) || path.isAbsolute(shard)) {
      bad(`weight_map[${JSON.stringify(name)}] = ${JSON.stringify(shard)} is not a plain file name`, { tensor: name });
    }
    map.set(name, shard);
  }
  if (map.size === 0) bad('weight_map is empty');
  return map;
}

/** Read one tensor's bytes (a copy). For tests and tools: loads the whole tensor into memory. */
export async function readTensorData(file: SafetensorsFile, entry: TensorEntry): Promise<Uint8Array> {
  if (!(entry.begin >= file.dataOffset && entry.begin <= entry.end && entry.end <= file.fileSize)) {
    throw new ResurfaceError(
      'ERR_INVALID_ARGUMENT',
      `${file.path}: tensor ${JSON.stringify(entry.name)} range [${entry.begin}, ${entry.end}) is not inside this file`,
      { file: file.path, tensor: entry.name },
    );
  }
  const { fh, size } = await openRegular(file.path);
  try {
    if (size !== file.fileSize) {
      throw new ResurfaceError('ERR_IO', `${file.path}: file size changed from ${file.fileSize} to ${size} since its header was read`, {
        file: file.path,
        tensor: entry.name,
      });
    }
    const bytes = await readExactly(fh, entry.begin, entry.end - entry.begin);
    if (!bytes)
      throw new ResurfaceError('ERR_IO', `${file.path}: short read for tensor ${JSON.stringify(entry.name)}`, {
        file: file.path,
        tensor: entry.name,
      });
    return bytes;
  } catch (err) {
    throw asIoError(err, `cannot read tensor ${JSON.stringify(entry.name)} from ${file.path}`, file.path);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * Throw ERR_NONFINITE_WEIGHTS naming the first NaN/Inf element of a floating-point tensor
 * (F64, F32, F16, BF16; little-endian bytes). Other dtypes are always finite.
 */
export function checkFinite(entry: TensorEntry, bytes: Uint8Array, file?: string): void {
  const size = DTYPE_SIZES[entry.dtype];
  const count = Number(elementCount(entry.shape));
  if (bytes.byteLength !== count * size) {
    throw new ResurfaceError(
      'ERR_INVALID_ARGUMENT',
      `checkFinite: tensor ${JSON.stringify(entry.name)} has ${bytes.byteLength} bytes, expected ${count * size}`,
      { tensor: entry.name },
    );
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let bad = -1;
  let value = 0;
  switch (entry.dtype) {
    case 'F64':
      for (let i = 0; i < count && bad < 0; i++) if (!Number.isFinite(dv.getFloat64(i * 8, true))) bad = i;
      if (bad >= 0) value = dv.getFloat64(bad * 8, true);
      break;
    case 'F32':
      if (LITTLE_ENDIAN_HOST && bytes.byteOffset % 4 === 0) {
        const f = new Float32Array(bytes.buffer, bytes.byteOffset, count); // fast path, no per-element DataView call
        for (let i = 0; i < count; i++)
          if (!Number.isFinite(f[i]!)) {
            bad = i;
            break;
          }
      } else {
        for (let i = 0; i < count && bad < 0; i++) if (!Number.isFinite(dv.getFloat32(i * 4, true))) bad = i;
      }
      if (bad >= 0) value = dv.getFloat32(bad * 4, true);
      break;
    case 'F16': // exponent bits 0x7c00 all set: Inf (mantissa 0) or NaN
    case 'BF16': {
      // exponent bits 0x7f80 all set
      const mask = entry.dtype === 'F16' ? 0x7c00 : 0x7f80;
      for (let i = 0; i < count && bad < 0; i++) if ((dv.getUint16(i * 2, true) & mask) === mask) bad = i;
      if (bad >= 0) {
        const bits = dv.getUint16(bad * 2, true);
        const nan = (bits & (mask === 0x7c00 ? 0x03ff : 0x007f)) !== 0;
        value = nan ? NaN : bits & 0x8000 ? -Infinity : Infinity;
      }
      break;
    }
    default:
      return;
  }
  if (bad < 0) return;
  const coords = unravel(bad, entry.shape);
  const where = file ? `${file}: ` : '';
  throw new ResurfaceError(
    'ERR_NONFINITE_WEIGHTS',
    `${where}tensor ${JSON.stringify(entry.name)} has ${value} at index [${coords.join(', ')}] (flat ${bad})`,
    {
      ...(file ? { file } : {}),
      tensor: entry.name,
      index: bad,
      coords,
      value: String(value),
    },
  );
}

/** Flat row-major index -> coordinates for `shape`. */
function unravel(flat: number, shape: readonly number[]): number[] {
  const coords = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    coords[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return coords;
}
