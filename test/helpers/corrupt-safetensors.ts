/**
 * Deterministic corpus of broken safetensors files, for fuzz tests (sharded model directories:
 * corrupt-safetensors-index.ts).
 *
 * Every case states what the reader must do: fail with one specific code (targeted mutations), or —
 * for random byte flips — either parse into a self-consistent file or fail with a code from a small set.
 * Seeded (mulberry32), so a failure reproduces from its case name alone.
 */
import type { ErrorCode } from '../../lib/errors';
import { assemble, BASE_DATA_SIZE, baseData, baseHeader, edit, enc } from './safetensors-bytes';
import { mulberry32 } from './prng';

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
