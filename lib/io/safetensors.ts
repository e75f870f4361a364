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
import { FormatError, ResurfaceError, type ErrorCode } from '../errors';
import { asIoError } from './atomic';
import { openRegular, readExactly } from './file-read';
import { DTYPE_SIZES, type SafetensorsDtype, type SafetensorsFile, type TensorEntry } from './tensor-types';

/** Largest header we accept (the reference implementation uses the same limit). */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;
export const SINGLE_FILE_NAME = 'model.safetensors';
export const INDEX_FILE_NAME = 'model.safetensors.index.json';

export const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

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
