/** A model directory's weights: one `model.safetensors`, or the shards of `model.safetensors.index.json`. */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { FormatError, ResurfaceError } from '../errors';
import { asIoError } from './atomic';
import { openRegular, readExactly } from './file-read';
import { findDuplicateKey, INDEX_FILE_NAME, readSafetensorsHeader, SINGLE_FILE_NAME, utf8 } from './safetensors';
import type { WeightIndex } from './tensor-types';

/** Largest index file we read (real ones are well under 1 MB). */
const MAX_INDEX_BYTES = 100 * 1024 * 1024;

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
