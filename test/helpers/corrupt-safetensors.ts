/**
 * Deterministic corpus of broken safetensors files and sharded model directories, for fuzz tests.
 *
 * Every case states what the reader must do: fail with one specific code (targeted mutations), or —
 * for random byte flips — either parse into a self-consistent file or fail with a code from a small set.
 * Seeded (mulberry32), so a failure reproduces from its case name alone.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { ErrorCode } from '../../lib/errors';

export type Expectation =
  | { kind: 'code'; code: ErrorCode }
  | { kind: 'valid' }
  /** Random mutation: a valid parse or one of these codes. */
  | { kind: 'valid-or'; codes: ErrorCode[] };

export interface CorruptCase {
  name: string;
  bytes: Uint8Array;
  expect: Expectation;
}

/** Small fast seeded PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const enc = new TextEncoder();

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
function edit(fn: (h: Record<string, any>) => void): string {
  const h = JSON.parse(JSON.stringify(baseHeader())) as Record<string, any>;
  fn(h);
  return JSON.stringify(h);
}

const code = (c: ErrorCode): Expectation => ({ kind: 'code', code: c });
const H = code('ERR_SAFETENSORS_HEADER');
const D = code('ERR_SAFETENSORS_DTYPE');
const R = code('ERR_SAFETENSORS_RANGE');
const RANDOM_CODES: ErrorCode[] = ['ERR_SAFETENSORS_HEADER', 'ERR_SAFETENSORS_DTYPE', 'ERR_SAFETENSORS_RANGE'];

export function generateCorruptCases(seed = 0x5afe7e45): CorruptCase[] {
  const rand = mulberry32(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const cases: CorruptCase[] = [];
  const add = (name: string, bytes: Uint8Array, expect: Expectation) => cases.push({ name, bytes, expect });
  const data = baseData();
  const tight = JSON.stringify(baseHeader()); // no padding: any shorter length cuts the JSON
  const base = assemble(tight, data, { padTo8: true });
  const hdrLen = Number(new DataView(base.buffer).getBigUint64(0, true));

  add('valid base', base, { kind: 'valid' });
  add('valid unpadded', assemble(tight, data), { kind: 'valid' });
  add('valid with trailing bytes', assemble(tight, new Uint8Array([...data, 1, 2, 3])), { kind: 'valid' });

  // --- truncation: inside the length prefix, the header, the data
  for (let t = 0; t < 8; t++) add(`truncated at ${t} (length prefix)`, base.slice(0, t), H);
  for (let t = 8; t < 8 + hdrLen; t += 5) add(`truncated at ${t} (header)`, base.slice(0, t), H);
  add(`truncated at ${7 + hdrLen} (last header byte)`, base.slice(0, 7 + hdrLen), H);
  for (let t = 8 + hdrLen; t < base.length; t++) add(`truncated at ${t} (data)`, base.slice(0, t), R);

  // --- header length lying
  const lie = (name: string, length: bigint, expect = H) => add(`length ${name}`, assemble(tight, data, { length }), expect);
  lie('zero', 0n);
  for (const k of [1, 2, 7, 20, 40]) lie(`+${k}`, BigInt(tight.length + k)); // into the data: JSON breaks, or past EOF
  for (const k of [1, 2, 5, tight.length - 1]) lie(`-${k}`, BigInt(tight.length - k));
  lie('2^63', 1n << 63n);
  lie('2^64-1', (1n << 64n) - 1n);
  lie('2^32+small', (1n << 32n) + BigInt(tight.length));
  lie('100MB+1', 100n * 1024n * 1024n + 1n);
  lie('2^53+1', (1n << 53n) + 1n);

  // --- not JSON / not an object / not UTF-8
  const texts: [string, string][] = [
    ['empty header', ' '],
    ['brace', '{'],
    ['mismatched', '{]'],
    ['nul', 'nul'],
    ['array', '[1,2]'],
    ['null', 'null'],
    ['number', '123'],
    ['string', '"str"'],
    ['true', 'true'],
    ['trailing garbage', '{} x'],
    ['two objects', '{}{}'],
    ['single quotes', "{'a':1}"],
    ['trailing comma', '{"a":1,}'],
    ['NaN literal', '{"x":NaN}'],
  ];
  for (const [name, t] of texts) add(`json: ${name}`, assemble(t, data), H);
  add('json: NUL padding', assemble(new Uint8Array([...enc.encode(tight), 0, 0, 0]), data), H);
  add('json: BOM', assemble(new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode(tight)]), data), H);
  const badUtf8: [string, number[]][] = [
    ['0xff', [0xff]],
    ['lone continuation', [0x80]],
    ['truncated 2-byte', [0xc3]],
    ['overlong /', [0xc0, 0xaf]],
    ['surrogate', [0xed, 0xa0, 0x80]],
    ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['bad continuation', [0xe2, 0x28, 0xa1]],
  ];
  for (const [name, seq] of badUtf8) {
    const [pre, post] = tight.split('layers.0.b');
    add(`utf8: ${name} in a tensor name`, assemble(new Uint8Array([...enc.encode(pre!), ...seq, ...enc.encode(post!)]), data), H);
  }
  add('duplicate tensor key', assemble(tight.replace('"step"', '"layers.0.w"'), data), H);
  add('duplicate metadata key', assemble(tight.replace('{"format":"pt"}', '{"format":"pt","format":"np"}'), data), H);
  add('duplicate field in entry', assemble(tight.replace('"dtype":"F16"', '"dtype":"F16","dtype":"F16"'), data), H);

  // --- dtype
  for (const dt of ['f32', 'FLOAT32', 'F8_E4M3', 'F8_E5M2', 'U16', 'U32', 'U64', 'C64', '', ' F32', 'F32 ', 'toString', '__proto__']) {
    add(
      `dtype ${JSON.stringify(dt)}`,
      assemble(
        edit((h) => {
          h['layers.0.w'].dtype = dt;
        }),
        data,
      ),
      D,
    );
  }
  for (const dt of [32, null, ['F32'], { F32: 1 }, true])
    add(
      `dtype ${JSON.stringify(dt)}`,
      assemble(
        edit((h) => {
          h['layers.0.w'].dtype = dt;
        }),
        data,
      ),
      D,
    );

  // --- entry structure
  for (const field of ['dtype', 'shape', 'data_offsets'])
    add(
      `missing ${field}`,
      assemble(
        edit((h) => {
          delete h['layers.0.b'][field];
        }),
        data,
      ),
      H,
    );
  for (const v of [5, 'x', null, [], true])
    add(
      `entry is ${JSON.stringify(v)}`,
      assemble(
        edit((h) => {
          h.step = v;
        }),
        data,
      ),
      H,
    );

  // --- shape
  const badShapes: unknown[] = [
    null,
    6,
    '2,3',
    { 0: 2 },
    [2, -3],
    [2, 1.5],
    [2, '3'],
    [2, null],
    [[2, 3]],
    [2, 3e300],
    [2 ** 53, 1],
    [2, true],
  ];
  for (const s of badShapes)
    add(
      `shape ${JSON.stringify(s)}`,
      assemble(
        edit((h) => {
          h['layers.0.w'].shape = s;
        }),
        data,
      ),
      H,
    );
  for (const s of [[3, 3], [6, 1, 2], [], [0], [24]])
    add(
      `shape mismatch ${JSON.stringify(s)}`,
      assemble(
        edit((h) => {
          h['layers.0.w'].shape = s;
        }),
        data,
      ),
      R,
    );
  add(
    'shape product overflows 2^64',
    assemble(
      edit((h) => {
        h['layers.0.w'].shape = [2 ** 52, 2 ** 52, 2 ** 52];
      }),
      data,
    ),
    R,
  );

  // --- data_offsets
  const badOffsets: unknown[] = [
    null,
    24,
    '0,24',
    [0],
    [0, 24, 48],
    [-8, 16],
    [0, -24],
    [0.5, 24.5],
    ['0', '24'],
    [0, null],
    [1e20, 1e20 + 24],
    [2 ** 53, 2 ** 53 + 24],
    { begin: 0, end: 24 },
  ];
  for (const o of badOffsets)
    add(
      `offsets ${JSON.stringify(o)}`,
      assemble(
        edit((h) => {
          h['layers.0.w'].data_offsets = o;
        }),
        data,
      ),
      H,
    );
  add(
    'offsets begin > end',
    assemble(
      edit((h) => {
        h.empty.data_offsets = [40, 32];
        h.empty.shape = [0];
      }),
      data,
    ),
    R,
  );
  add(
    'offsets begin > end (sized)',
    assemble(
      edit((h) => {
        h['layers.0.w'].data_offsets = [24, 0];
      }),
      data,
    ),
    R,
  );
  add(
    'offsets past data end',
    assemble(
      edit((h) => {
        h['layers.0.b'].data_offsets = [36, 44];
      }),
      data,
    ),
    R,
  );
  add(
    'offsets far past data end',
    assemble(
      edit((h) => {
        h['layers.0.b'].data_offsets = [2 ** 40, 2 ** 40 + 8];
      }),
      data,
    ),
    R,
  );
  add(
    'empty tensor past data end',
    assemble(
      edit((h) => {
        h.empty.data_offsets = [41, 41];
      }),
      data,
    ),
    R,
  );
  add(
    'overlap: identical ranges',
    assemble(
      edit((h) => {
        h['layers.0.b'].data_offsets = [0, 8];
      }),
      data,
    ),
    R,
  );
  add(
    'overlap: partial',
    assemble(
      edit((h) => {
        h['layers.0.b'].data_offsets = [20, 28];
      }),
      data,
    ),
    R,
  );
  add(
    'overlap: contained',
    assemble(
      edit((h) => {
        h.step.data_offsets = [8, 16];
      }),
      data,
    ),
    R,
  );
  add(
    'overlap: header order differs from data order',
    assemble(
      edit((h) => {
        h['layers.0.w'].data_offsets = [16, 40];
        h.step.data_offsets = [0, 8];
        h['layers.0.b'].data_offsets = [12, 20];
      }),
      data,
    ),
    R,
  );
  add(
    'valid: header order differs from data order',
    assemble(
      edit((h) => {
        h['layers.0.w'].data_offsets = [16, 40];
        h.step.data_offsets = [0, 8];
        h['layers.0.b'].data_offsets = [8, 16];
      }),
      data,
    ),
    { kind: 'valid' },
  );
  add(
    'valid: gap between tensors',
    assemble(
      edit((h) => {
        h['layers.0.b'].data_offsets = [26, 34];
        h.step.data_offsets = [32 + 2, 42];
      }),
      new Uint8Array([...data, 0x41, 0x41]),
    ),
    { kind: 'valid' },
  );
  add(
    'valid: empty tensor inside another range',
    assemble(
      edit((h) => {
        h.empty.data_offsets = [4, 4];
      }),
      data,
    ),
    { kind: 'valid' },
  );

  // --- metadata
  for (const v of [1, null, {}, [], true])
    add(
      `metadata value ${JSON.stringify(v)}`,
      assemble(
        edit((h) => {
          h.__metadata__.format = v;
        }),
        data,
      ),
      H,
    );
  for (const v of ['pt', 5, [], [['format', 'pt']]])
    add(
      `metadata is ${JSON.stringify(v)}`,
      assemble(
        edit((h) => {
          h.__metadata__ = v;
        }),
        data,
      ),
      H,
    );
  add(
    'valid: metadata null',
    assemble(
      edit((h) => {
        h.__metadata__ = null;
      }),
      data,
    ),
    { kind: 'valid' },
  );
  add(
    'valid: __proto__ tensor and metadata key',
    assemble(tight.replace('"step"', '"__proto__"').replace('{"format":"pt"}', '{"__proto__":"x","constructor":"y"}'), data),
    { kind: 'valid' },
  );

  // --- random byte flips: header, length prefix, data; random garbage
  for (let i = 0; i < 120; i++) {
    const b = base.slice();
    const flips = 1 + int(3);
    for (let f = 0; f < flips; f++) b[8 + int(hdrLen)]! ^= 1 << int(8);
    add(`random header flip #${i}`, b, { kind: 'valid-or', codes: RANDOM_CODES });
  }
  for (let i = 0; i < 24; i++) {
    const b = base.slice();
    b[int(8)]! ^= 1 << int(8);
    add(`random length flip #${i}`, b, { kind: 'valid-or', codes: RANDOM_CODES });
  }
  for (let i = 0; i < 8; i++) {
    const b = base.slice();
    b[8 + hdrLen + int(BASE_DATA_SIZE)]! ^= 1 << int(8);
    add(`random data flip #${i}`, b, { kind: 'valid' });
  }
  for (let i = 0; i < 16; i++) {
    const b = Uint8Array.from({ length: int(64) }, () => int(256));
    add(`random garbage #${i}`, b, { kind: 'valid-or', codes: RANDOM_CODES });
  }
  for (let i = 0; i < 16; i++) {
    // Random in-place overwrite of a header token with another plausible token.
    const tokens = ['0', '-1', '1e3', '0.5', '"F32"', 'null', '[]', '{}', '"x"', '99999999999999999999', ','];
    const text = tight.replace(/\d+/g, (m) => (rand() < 0.15 ? tokens[int(tokens.length)]! : m));
    add(`random token swap #${i}`, assemble(text, data), { kind: 'valid-or', codes: RANDOM_CODES });
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// Sharded model directories

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
