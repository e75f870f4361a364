/** Deterministic corpus of broken sharded model directories (model.safetensors.index.json + shards), for fuzz tests. */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { ErrorCode } from '../../lib/errors';
import { assemble } from './safetensors-bytes';

export interface IndexCase {
  name: string;
  /** Populate `dir` (an empty directory that exists, unless the case removes it). */
  setup: (dir: string) => Promise<void>;
  expect: ErrorCode;
}

/** A tiny valid shard holding the named F32 [2] tensors. */
export function shardBytes(names: string[]): Uint8Array {
  const header: Record<string, unknown> = {};
  names.forEach((n, i) => {
    header[n] = { dtype: 'F32', shape: [2], data_offsets: [8 * i, 8 * i + 8] };
  });
  return assemble(JSON.stringify(header), new Uint8Array(8 * names.length), { padTo8: true });
}

const S1 = 'model-00001-of-00002.safetensors';
const S2 = 'model-00002-of-00002.safetensors';
export const VALID_WEIGHT_MAP: Record<string, string> = { a: S1, b: S1, c: S2 };

async function writeDir(
  dir: string,
  opts: { index?: string | Uint8Array; s1?: string[] | null; s2?: string[] | null } = {},
): Promise<void> {
  const index = opts.index ?? JSON.stringify({ metadata: { total_size: 24 }, weight_map: VALID_WEIGHT_MAP });
  await fsp.writeFile(path.join(dir, 'model.safetensors.index.json'), index);
  if (opts.s1 !== null) await fsp.writeFile(path.join(dir, S1), shardBytes(opts.s1 ?? ['a', 'b']));
  if (opts.s2 !== null) await fsp.writeFile(path.join(dir, S2), shardBytes(opts.s2 ?? ['c']));
}

const withMap = (wm: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ metadata: { total_size: 24 }, ...extra, weight_map: wm });

export function generateIndexCases(): IndexCase[] {
  const I: ErrorCode = 'ERR_SAFETENSORS_INDEX';
  const cases: IndexCase[] = [
    { name: 'missing shard file', setup: (d) => writeDir(d, { s2: null }), expect: I },
    { name: 'tensor missing from its shard', setup: (d) => writeDir(d, { s1: ['a'] }), expect: 'ERR_MISSING_TENSOR' },
    {
      name: 'weight_map names a tensor no shard has',
      setup: (d) => writeDir(d, { index: withMap({ ...VALID_WEIGHT_MAP, ghost: S2 }) }),
      expect: 'ERR_MISSING_TENSOR',
    },
    {
      name: 'tensor mapped to the wrong shard',
      setup: (d) => writeDir(d, { index: withMap({ a: S2, b: S1, c: S2 }) }),
      expect: 'ERR_MISSING_TENSOR',
    },
    { name: 'tensor stored in two shards', setup: (d) => writeDir(d, { s2: ['c', 'a'] }), expect: I },
    {
      name: 'duplicate key in weight_map',
      setup: (d) => writeDir(d, { index: withMap(VALID_WEIGHT_MAP).replace('"b":', '"a":') }),
      expect: I,
    },
    { name: 'bad JSON', setup: (d) => writeDir(d, { index: '{"weight_map": {' }), expect: I },
    { name: 'empty index file', setup: (d) => writeDir(d, { index: '' }), expect: I },
    { name: 'index not UTF-8', setup: (d) => writeDir(d, { index: new Uint8Array([0x7b, 0xff, 0x7d]) }), expect: I },
    { name: 'index is an array', setup: (d) => writeDir(d, { index: '[]' }), expect: I },
    { name: 'index is null', setup: (d) => writeDir(d, { index: 'null' }), expect: I },
    { name: 'weight_map missing', setup: (d) => writeDir(d, { index: '{"metadata": {}}' }), expect: I },
    { name: 'weight_map empty', setup: (d) => writeDir(d, { index: withMap({}) }), expect: I },
    { name: 'metadata is a string', setup: (d) => writeDir(d, { index: withMap(VALID_WEIGHT_MAP, { metadata: 'x' }) }), expect: I },
    {
      name: 'shard escapes the directory',
      setup: (d) => writeDir(d, { index: withMap({ ...VALID_WEIGHT_MAP, c: '../' + S2 }) }),
      expect: I,
    },
    {
      name: 'shard is an absolute path',
      setup: (d) => writeDir(d, { index: withMap({ ...VALID_WEIGHT_MAP, c: path.join(d, S2) }) }),
      expect: I,
    },
    { name: 'shard in a subdirectory', setup: (d) => writeDir(d, { index: withMap({ ...VALID_WEIGHT_MAP, c: 'sub/' + S2 }) }), expect: I },
    { name: 'shard name empty', setup: (d) => writeDir(d, { index: withMap({ ...VALID_WEIGHT_MAP, c: '' }) }), expect: I },
    { name: 'shard name is ..', setup: (d) => writeDir(d, { index: withMap({ ...VALID_WEIGHT_MAP, c: '..' }) }), expect: I },
    {
      name: 'corrupt shard header',
      setup: async (d) => {
        await writeDir(d);
        await fsp.writeFile(path.join(d, S2), new Uint8Array([1, 2, 3]));
      },
      expect: 'ERR_SAFETENSORS_HEADER',
    },
    {
      name: 'shard is a directory',
      setup: async (d) => {
        await writeDir(d, { s2: null });
        await fsp.mkdir(path.join(d, S2));
      },
      expect: 'ERR_IO',
    },
    { name: 'index is a directory', setup: (d) => fsp.mkdir(path.join(d, 'model.safetensors.index.json')), expect: 'ERR_IO' },
    { name: 'empty directory', setup: async () => undefined, expect: 'ERR_NOT_A_MODEL' },
    { name: 'only unrelated files', setup: (d) => fsp.writeFile(path.join(d, 'pytorch_model.bin'), 'x'), expect: 'ERR_NOT_A_MODEL' },
    { name: 'directory does not exist', setup: (d) => fsp.rmdir(d), expect: 'ERR_NOT_A_MODEL' },
  ];
  for (const v of [[], 'x', null, 5, true])
    cases.push({ name: `weight_map is ${JSON.stringify(v)}`, setup: (d) => writeDir(d, { index: withMap(v) }), expect: I });
  for (const v of [1, null, [], {}])
    cases.push({
      name: `weight_map value ${JSON.stringify(v)}`,
      setup: (d) => writeDir(d, { index: withMap({ ...VALID_WEIGHT_MAP, c: v }) }),
      expect: I,
    });
  return cases;
}

/** Write a valid sharded directory (for the positive control). */
export const writeValidShardedDir = (dir: string) => writeDir(dir);
