/**
 * Writing safetensors files that the reference implementation (and so transformers) loads unchanged.
 *
 * Layout as in the Python/Rust library: tensors in the given order with contiguous data_offsets starting
 * at 0, `__metadata__` first when given, compact JSON header padded with spaces so that N % 8 == 0
 * (data then starts 8-byte aligned). Data is streamed tensor by tensor — never concatenated — and the
 * file appears atomically (see atomic.ts). Bad inputs are ERR_INVALID_ARGUMENT; file system failures ERR_IO.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ArgumentError } from '../errors';
import { asIoError, atomicWrite, writeFileAtomic, writeFully } from './atomic';
import { byteLength, INDEX_FILE_NAME, isSafetensorsDtype, SINGLE_FILE_NAME } from './safetensors';
import type { HostTensor } from './tensor-types';
import { ensureDir } from './ensure-dir';

/** Validate tensors and metadata, then build the padded header. Returns header bytes and data size. */
export function serializeHeader(
  tensors: readonly HostTensor[],
  metadata?: Record<string, string>,
): { header: Uint8Array; dataSize: number } {
  const parts: string[] = [];
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
      throw new ArgumentError('safetensors metadata must be an object of strings');
    const kv: string[] = [];
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string')
        throw new ArgumentError(`safetensors metadata[${JSON.stringify(k)}] must be a string, got ${typeof v}`, { key: k });
      kv.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`);
    }
    parts.push(`"__metadata__":{${kv.join(',')}}`);
  }
  const seen = new Set<string>();
  let offset = 0;
  for (const t of tensors) {
    const name = t?.name;
    if (typeof name !== 'string') throw new ArgumentError('tensor name must be a string');
    if (name === '__metadata__') throw new ArgumentError('"__metadata__" is reserved and cannot name a tensor', { tensor: name });
    if (seen.has(name)) throw new ArgumentError(`duplicate tensor name ${JSON.stringify(name)}`, { tensor: name });
    seen.add(name);
    if (!isSafetensorsDtype(t.dtype))
      throw new ArgumentError(`tensor ${JSON.stringify(name)}: unsupported dtype ${JSON.stringify(t.dtype)}`, { tensor: name });
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new ArgumentError(`tensor ${JSON.stringify(name)}: shape must be non-negative integers, got ${JSON.stringify(t.shape)}`, {
        tensor: name,
      });
    }
    if (!(t.data instanceof Uint8Array))
      throw new ArgumentError(`tensor ${JSON.stringify(name)}: data must be a Uint8Array`, { tensor: name });
    const expected = byteLength(t.dtype, t.shape);
    if (BigInt(t.data.byteLength) !== expected) {
      throw new ArgumentError(
        `tensor ${JSON.stringify(name)}: ${t.dtype} ${JSON.stringify(t.shape)} needs ${expected} bytes, got ${t.data.byteLength}`,
        { tensor: name },
      );
    }
    const end = offset + t.data.byteLength;
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"${t.dtype}","shape":[${t.shape.map((d) => d + 0).join(',')}],"data_offsets":[${offset},${end}]}`,
    );
    offset = end;
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const header = new Uint8Array(8 + padded).fill(0x20);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(json, 8);
  return { header, dataSize: offset };
}

/** Write one safetensors file atomically. Validates everything before creating any file. */
export async function writeSafetensors(file: string, tensors: HostTensor[], metadata?: Record<string, string>): Promise<void> {
  const { header } = serializeHeader(tensors, metadata);
  await atomicWrite(file, async (fh) => {
    await writeFully(fh, header);
    for (const t of tensors) await writeFully(fh, t.data);
  });
}

/** transformers' shard naming: model-00001-of-00003.safetensors. */
export function shardFileName(index: number, count: number): string {
  const pad = (n: number) => String(n).padStart(5, '0');
  return `model-${pad(index + 1)}-of-${pad(count)}.safetensors`;
}

/**
 * Split tensors into shards of at most `maxShardBytes` data bytes exactly as huggingface_hub's
 * `split_state_dict_into_shards_factory` does: tensors fill the current shard in order; a tensor
 * larger than the limit is emitted at once as a shard of its own (so it may precede the shard
 * that was still filling).
 */
export function planShards(tensors: readonly HostTensor[], maxShardBytes: number): HostTensor[][] {
  const shards: HostTensor[][] = [];
  let cur: HostTensor[] = [];
  let curBytes = 0;
  for (const t of tensors) {
    const size = t.data.byteLength;
    if (size > maxShardBytes) {
      shards.push([t]);
      continue;
    }
    if (cur.length > 0 && curBytes + size > maxShardBytes) {
      shards.push(cur);
      cur = [];
      curBytes = 0;
    }
    cur.push(t);
    curBytes += size;
  }
  if (cur.length > 0) shards.push(cur);
  return shards;
}

export interface ShardedWriteResult {
  /** Shard file paths in order. */
  shards: string[];
  indexPath: string;
  /** Sum of tensor data bytes (the index's metadata.total_size). */
  totalSize: number;
}

const SHARD_RE = /^model-\d{5}-of-\d{5}\.safetensors$/;

/**
 * Write `model-0000i-of-0000n.safetensors` shards plus `model.safetensors.index.json` into `dir`
 * (created if needed). Each file is atomic; the index is written last, so a crash leaves the old
 * index (or none) in charge. Afterwards stale `model.safetensors` and `model-*-of-*.safetensors`
 * files from earlier saves are removed, as transformers' save_pretrained does — otherwise a
 * leftover `model.safetensors` would shadow the new index. Shards carry `{"format": "pt"}`
 * metadata by default, which transformers checks for.
 */
export async function writeShardedSafetensors(
  dir: string,
  tensors: HostTensor[],
  maxShardBytes: number,
  metadata: Record<string, string> = { format: 'pt' },
): Promise<ShardedWriteResult> {
  if (!Number.isSafeInteger(maxShardBytes) || maxShardBytes <= 0)
    throw new ArgumentError(`maxShardBytes must be a positive integer, got ${maxShardBytes}`);
  if (tensors.length === 0) throw new ArgumentError('writeShardedSafetensors: no tensors to write');
  serializeHeader(tensors, metadata); // validate everything (names unique across shards too) before touching the disk
  const plan = planShards(tensors, maxShardBytes);
  try {
    ensureDir(dir);
  } catch (err) {
    throw asIoError(err, `cannot create ${dir}`, dir);
  }
  const names = plan.map((_, i) => shardFileName(i, plan.length));
  const weightMap: [string, string][] = [];
  let totalSize = 0;
  for (let i = 0; i < plan.length; i++) {
    await writeSafetensors(path.join(dir, names[i]!), plan[i]!, metadata);
    for (const t of plan[i]!) {
      weightMap.push([t.name, names[i]!]);
      totalSize += t.data.byteLength;
    }
  }
  // transformers writes json.dumps(index, indent=2, sort_keys=True) + "\n"; UTF-8 byte order = code point order, as Python sorts.
  weightMap.sort((a, b) => Buffer.compare(Buffer.from(a[0], 'utf8'), Buffer.from(b[0], 'utf8')));
  const lines = weightMap.map(([n, f]) => `    ${JSON.stringify(n)}: ${JSON.stringify(f)}`);
  const index = `{\n  "metadata": {\n    "total_size": ${totalSize}\n  },\n  "weight_map": {\n${lines.join(',\n')}\n  }\n}\n`;
  const indexPath = path.join(dir, INDEX_FILE_NAME);
  await writeFileAtomic(indexPath, index);

  const keep = new Set(names);
  let entries: string[] = [];
  try {
    entries = await fsp.readdir(dir);
  } catch (err) {
    throw asIoError(err, `cannot list ${dir}`, dir);
  }
  for (const e of entries) {
    if ((e === SINGLE_FILE_NAME || SHARD_RE.test(e)) && !keep.has(e)) {
      await fsp.unlink(path.join(dir, e)).catch((err: unknown) => {
        throw asIoError(err, `cannot remove stale weights file ${e}`, path.join(dir, e));
      });
    }
  }
  return { shards: names.map((n) => path.join(dir, n)), indexPath, totalSize };
}
