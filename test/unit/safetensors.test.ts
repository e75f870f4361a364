/**
 * safetensors reader/writer: round trips, exact layout, atomic writes, sharding, finiteness checks,
 * and cross-checks against an independent Python implementation (json + struct + numpy, no safetensors).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResurfaceError } from '../../lib/errors';
import { atomicWrite, writeFileAtomic } from '../../lib/io/atomic';
import { checkFinite } from '../../lib/io/finite';
import { readSafetensorsHeader, readTensorData } from '../../lib/io/safetensors';
import { openWeights } from '../../lib/io/safetensors-index';
import { planShards, writeSafetensors, writeShardedSafetensors } from '../../lib/io/safetensors-writer';
import { DTYPE_SIZES, type HostTensor, type SafetensorsDtype, type TensorEntry } from '../../lib/io/tensor-types';
import { mulberry32 } from '../helpers/prng';

const PYTHON = '/usr/bin/python3';
const REF = path.join(__dirname, '..', 'reference');
const numpyProbe = spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' });
const pythonSkipReason =
  numpyProbe.status === 0
    ? ''
    : `${PYTHON} with numpy not available (${(numpyProbe.error?.message ?? numpyProbe.stderr ?? '').trim().split('\n').pop()})`;

let tmp: string;
beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'resurface-st-'));
});
afterAll(async () => {
  if (tmp) await fsp.rm(tmp, { recursive: true, force: true });
});
const file = (name: string) => path.join(tmp, name);

const rand = mulberry32(1234);
function randomBytes(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
}
function tensor(name: string, dtype: SafetensorsDtype, shape: number[], data?: Uint8Array): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1) * DTYPE_SIZES[dtype];
  return {
    name,
    dtype,
    shape,
    data: data ?? (dtype === 'BOOL' ? Uint8Array.from({ length: n }, () => (rand() < 0.5 ? 1 : 0)) : randomBytes(n)),
  };
}
const ALL_DTYPES = Object.keys(DTYPE_SIZES) as SafetensorsDtype[];

async function errorOf(p: Promise<unknown>): Promise<ResurfaceError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ResurfaceError);
  return err as ResurfaceError;
}
async function codeOf(p: Promise<unknown>): Promise<string> {
  return (await errorOf(p)).code;
}
async function dirEntries(dir: string): Promise<string[]> {
  return (await fsp.readdir(dir)).sort();
}

/** Decode little-endian tensor bytes the way the Python checker reports them. */
function decode(dtype: SafetensorsDtype, b: Uint8Array): (number | string | boolean)[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const n = b.byteLength / DTYPE_SIZES[dtype];
  const f = (x: number) => (Number.isNaN(x) ? 'nan' : x === Infinity ? 'inf' : x === -Infinity ? '-inf' : x);
  const half = (h: number) => {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    if (e === 0) return s * m * 2 ** -24;
    if (e === 31) return m ? NaN : s * Infinity;
    return s * (1 + m / 1024) * 2 ** (e - 15);
  };
  const bf = (h: number) => new Float32Array(new Uint32Array([h << 16]).buffer)[0]!;
  return Array.from({ length: n }, (_, i) => {
    switch (dtype) {
      case 'F64':
        return f(dv.getFloat64(i * 8, true));
      case 'F32':
        return f(dv.getFloat32(i * 4, true));
      case 'F16':
        return f(half(dv.getUint16(i * 2, true)));
      case 'BF16':
        return f(bf(dv.getUint16(i * 2, true)));
      case 'I64':
        return dv.getBigInt64(i * 8, true).toString();
      case 'I32':
        return dv.getInt32(i * 4, true);
      case 'I16':
        return dv.getInt16(i * 2, true);
      case 'I8':
        return dv.getInt8(i);
      case 'U8':
        return dv.getUint8(i);
      case 'BOOL':
        return dv.getUint8(i) !== 0;
    }
  });
}

describe('writeSafetensors / readSafetensorsHeader round trip', () => {
  it('round-trips every dtype, scalars, zero-size tensors and metadata', async () => {
    const tensors: HostTensor[] = [
      ...ALL_DTYPES.map((dt, i) => tensor(`t.${dt}`, dt, [i + 1, 3])),
      tensor('scalar', 'F32', []),
      tensor('zero', 'F16', [0]),
      tensor('zero.inner', 'I64', [3, 0, 2]),
      tensor('layers.0.\u00e4\u6b0a', 'BF16', [2, 2, 2]),
      tensor('__proto__', 'U8', [5]),
    ];
    const meta = { format: 'pt', note: 'caf\u00e9 \u{1f600}', __proto__x: 'y' };
    const p = file('all.safetensors');
    await writeSafetensors(p, tensors, meta);
    const f = await readSafetensorsHeader(p);
    expect(f.headerLength % 8).toBe(0);
    expect(f.dataOffset).toBe(8 + f.headerLength);
    expect({ ...f.metadata }).toEqual(meta);
    expect([...f.tensors.keys()]).toEqual(tensors.map((t) => t.name));
    let expectedBegin = f.dataOffset;
    for (const t of tensors) {
      const e = f.tensors.get(t.name)!;
      expect(e).toMatchObject({ dtype: t.dtype, shape: t.shape, begin: expectedBegin, end: expectedBegin + t.data.byteLength });
      expectedBegin = e.end;
      expect(Buffer.from(await readTensorData(f, e)).equals(Buffer.from(t.data))).toBe(true);
    }
    expect(f.fileSize).toBe(expectedBegin);
    expect(await dirEntries(tmp)).not.toContainEqual(expect.stringContaining('.tmp-'));
  });

  it('writes the same bytes as the reference library', async () => {
    const p = file('exact.safetensors');
    await writeSafetensors(p, [tensor('a', 'F32', [2], new Uint8Array(8).fill(1)), tensor('b', 'U8', [], new Uint8Array([7]))], {
      format: 'pt',
    });
    const json =
      '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[],"data_offsets":[8,9]}}';
    const padded = json + ' '.repeat((8 - (json.length % 8)) % 8);
    const expected = Buffer.concat([Buffer.alloc(8), Buffer.from(padded), Buffer.alloc(8, 1), Buffer.from([7])]);
    expected.writeBigUInt64LE(BigInt(padded.length), 0);
    expect((await fsp.readFile(p)).equals(expected)).toBe(true);
  });

  it('writes an empty file header for no tensors', async () => {
    const p = file('none.safetensors');
    await writeSafetensors(p, []);
    const f = await readSafetensorsHeader(p);
    expect(f.tensors.size).toBe(0);
    expect((await fsp.readFile(p)).toString('latin1')).toBe('\x08\0\0\0\0\0\0\0{}      ');
  });

  it('rejects bad inputs before touching the target', async () => {
    const p = file('victim.safetensors');
    await fsp.writeFile(p, 'old');
    const bad: [string, HostTensor[], Record<string, string>?][] = [
      ['length mismatch', [tensor('a', 'F32', [2], new Uint8Array(7))]],
      ['duplicate names', [tensor('a', 'U8', [1]), tensor('a', 'U8', [1])]],
      ['reserved name', [tensor('__metadata__', 'U8', [1])]],
      ['bad dtype', [{ name: 'a', dtype: 'F8_E4M3' as SafetensorsDtype, shape: [1], data: new Uint8Array(1) }]],
      ['negative dim', [{ name: 'a', dtype: 'U8', shape: [-1], data: new Uint8Array(0) }]],
      ['float dim', [{ name: 'a', dtype: 'U8', shape: [1.5], data: new Uint8Array(1) }]],
      ['not bytes', [{ name: 'a', dtype: 'U8', shape: [1], data: [1] as unknown as Uint8Array }]],
      ['non-string metadata', [], { a: 1 as unknown as string }],
    ];
    for (const [why, tensors, meta] of bad) {
      expect(await codeOf(writeSafetensors(p, tensors, meta)), why).toBe('ERR_INVALID_ARGUMENT');
    }
    expect(await fsp.readFile(p, 'utf8')).toBe('old');
    expect((await dirEntries(tmp)).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('reads offsets beyond 4 GiB from a sparse file without reading the data', async () => {
    const big = 1_250_000_000; // 5 GB of F32, never materialised
    const header = JSON.stringify({
      huge: { dtype: 'F32', shape: [big], data_offsets: [0, big * 4] },
      tail: { dtype: 'I32', shape: [2], data_offsets: [big * 4, big * 4 + 8] },
    });
    const p = file('sparse.safetensors');
    const fh = await fsp.open(p, 'w');
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(header.length));
    await fh.write(prefix, 0, 8, 0);
    await fh.write(Buffer.from(header), 0, header.length, 8);
    const tailAt = 8 + header.length + big * 4;
    await fh.write(Buffer.from([1, 0, 0, 0, 255, 255, 255, 255]), 0, 8, tailAt);
    await fh.close();
    const t0 = Date.now();
    const f = await readSafetensorsHeader(p);
    expect(Date.now() - t0).toBeLessThan(2000);
    const tail = f.tensors.get('tail')!;
    expect(tail.begin).toBe(tailAt);
    expect(decode('I32', await readTensorData(f, tail))).toEqual([1, -1]);
    await fsp.unlink(p);
  });

  it('reports I/O problems as ERR_IO naming the file', async () => {
    const missing = file('missing.safetensors');
    const err = await errorOf(readSafetensorsHeader(missing));
    expect(err.code).toBe('ERR_IO');
    expect(err.message).toContain(missing);
    expect(await codeOf(readSafetensorsHeader(tmp))).toBe('ERR_IO');
  });

  it('notices a file that changed size after its header was read', async () => {
    const p = file('changing.safetensors');
    await writeSafetensors(p, [tensor('a', 'U8', [4])]);
    const f = await readSafetensorsHeader(p);
    await fsp.appendFile(p, 'x');
    expect(await codeOf(readTensorData(f, f.tensors.get('a')!))).toBe('ERR_IO');
  });
});

describe('atomic writes', () => {
  it('leaves the target untouched and no temp file when writing fails midway', async () => {
    const p = file('atomic.json');
    await writeFileAtomic(p, '{"v":1}\n');
    const err = await errorOf(
      atomicWrite(p, async (fh) => {
        await fh.write('{"v":2, partial');
        throw new Error('disk on fire');
      }),
    );
    expect(err.code).toBe('ERR_IO');
    expect(err.message).toContain('disk on fire');
    expect(await fsp.readFile(p, 'utf8')).toBe('{"v":1}\n');
    expect((await dirEntries(tmp)).filter((n) => n.includes('.tmp-'))).toEqual([]);
    await writeFileAtomic(p, new Uint8Array([0x32]));
    expect(await fsp.readFile(p, 'utf8')).toBe('2');
  });

  it('fails with ERR_IO when the directory does not exist', async () => {
    expect(await codeOf(writeFileAtomic(path.join(tmp, 'no', 'such', 'x.json'), 'x'))).toBe('ERR_IO');
    expect(await codeOf(writeSafetensors(path.join(tmp, 'no', 'x.safetensors'), []))).toBe('ERR_IO');
  });
});

describe('sharded checkpoints', () => {
  const tensors = [
    tensor('model.embed.weight', 'F32', [10, 4]), // 160 B
    tensor('model.layers.0.w', 'BF16', [8, 4]), // 64 B
    tensor('model.layers.0.b', 'F32', [4]), // 16 B
    tensor('model.layers.1.w', 'BF16', [8, 4]), // 64 B
    tensor('huge', 'U8', [300]), // alone: bigger than a shard
    tensor('model.norm', 'F32', [4]), // 16 B
  ];

  it('plans shards like huggingface_hub (an oversized tensor is emitted alone, at once)', () => {
    const plan = planShards(tensors, 200).map((s) => s.map((t) => t.name));
    expect(plan).toEqual([['model.embed.weight'], ['huge'], ['model.layers.0.w', 'model.layers.0.b', 'model.layers.1.w', 'model.norm']]);
  });

  it('round-trips through model-0000i-of-0000n files and the index', async () => {
    const dir = path.join(tmp, 'sharded');
    await fsp.mkdir(dir);
    // Leftovers from an earlier save must not shadow or pollute the new one.
    await writeSafetensors(path.join(dir, 'model.safetensors'), [tensor('stale', 'U8', [1])]);
    await fsp.writeFile(path.join(dir, 'model-00009-of-00009.safetensors'), 'stale');
    await fsp.writeFile(path.join(dir, 'model-00001-of-00003.safetensors'), 'overwritten');
    await fsp.writeFile(path.join(dir, 'config.json'), '{}');
    const r = await writeShardedSafetensors(dir, tensors, 200);
    const names = ['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors'];
    expect(r.shards).toEqual(names.map((n) => path.join(dir, n)));
    expect(await dirEntries(dir)).toEqual(['config.json', ...names, 'model.safetensors.index.json'].sort());
    const total = tensors.reduce((a, t) => a + t.data.byteLength, 0);
    expect(r.totalSize).toBe(total);

    const indexText = await fsp.readFile(r.indexPath, 'utf8');
    const index = JSON.parse(indexText) as { metadata: { total_size: number }; weight_map: Record<string, string> };
    expect(index.metadata.total_size).toBe(total);
    expect(Object.keys(index.weight_map)).toEqual(tensors.map((t) => t.name).sort());
    expect(index.weight_map['huge']).toBe(names[1]);
    expect(indexText.endsWith('}\n')).toBe(true);

    const w = await openWeights(dir);
    expect(w.files.map((f) => path.basename(f.path))).toEqual(names);
    for (const t of tensors) {
      const f = w.files[w.location.get(t.name)!]!;
      expect(f.metadata).toEqual({ format: 'pt' });
      expect(Buffer.from(await readTensorData(f, f.tensors.get(t.name)!)).equals(Buffer.from(t.data))).toBe(true);
    }
  });

  it('validates before writing anything', async () => {
    const dir = path.join(tmp, 'sharded-bad');
    expect(await codeOf(writeShardedSafetensors(dir, [tensor('a', 'U8', [1]), tensor('a', 'U8', [1])], 100))).toBe('ERR_INVALID_ARGUMENT');
    expect(await codeOf(writeShardedSafetensors(dir, [tensor('a', 'U8', [1])], 0))).toBe('ERR_INVALID_ARGUMENT');
    expect(await codeOf(writeShardedSafetensors(dir, [], 100))).toBe('ERR_INVALID_ARGUMENT');
    await expect(fsp.stat(dir)).rejects.toThrow();
  });

  it('opens a single-file model and prefers it over an index, as transformers does', async () => {
    const dir = path.join(tmp, 'single');
    await fsp.mkdir(dir);
    await writeSafetensors(path.join(dir, 'model.safetensors'), [tensor('x', 'F32', [2]), tensor('y', 'I8', [3])]);
    await fsp.writeFile(path.join(dir, 'model.safetensors.index.json'), 'not json');
    const w = await openWeights(dir);
    expect(w.files).toHaveLength(1);
    expect([...w.location.entries()]).toEqual([
      ['x', 0],
      ['y', 0],
    ]);
    const err = await errorOf(openWeights(path.join(tmp, 'nowhere')));
    expect(err.code).toBe('ERR_NOT_A_MODEL');
    expect(err.message).toContain('no model.safetensors or model.safetensors.index.json in');
  });
});

describe('checkFinite', () => {
  const entry = (dtype: SafetensorsDtype, shape: number[]): TensorEntry => ({ name: 'w', dtype, shape, begin: 0, end: 0 });
  const f32 = (xs: number[]) => new Uint8Array(new Float32Array(xs).buffer);

  it('accepts finite tensors and ignores integer dtypes', () => {
    expect(() => checkFinite(entry('F32', [2, 2]), f32([0, -1, 3.5, 1e38]))).not.toThrow();
    expect(() => checkFinite(entry('F16', [2]), new Uint8Array([0xff, 0x7b, 0x00, 0x80]))).not.toThrow(); // 65504, -0
    expect(() => checkFinite(entry('I32', [1]), new Uint8Array([0xff, 0xff, 0x80, 0x7f]))).not.toThrow();
    expect(() => checkFinite(entry('F32', [0]), new Uint8Array(0))).not.toThrow();
  });

  const cases: [SafetensorsDtype, number[], Uint8Array, number[], string][] = [
    ['F32', [2, 3], f32([0, 1, 2, 3, NaN, Infinity]), [1, 1], 'NaN'],
    ['F32', [3], f32([0, -Infinity, NaN]).subarray(0), [1], '-Infinity'],
    ['F64', [2], new Uint8Array(new Float64Array([1, Infinity]).buffer), [1], 'Infinity'],
    ['F16', [3], new Uint8Array([0, 0, 0, 0x7c, 0x01, 0x7e]), [1], 'Infinity'],
    ['F16', [2], new Uint8Array([0, 0, 0x01, 0xfe]), [1], 'NaN'],
    ['BF16', [2, 2], new Uint8Array([0, 0, 0, 0, 0, 0, 0x80, 0xff]), [1, 1], '-Infinity'],
    ['BF16', [1], new Uint8Array([0xc1, 0x7f]), [0], 'NaN'],
  ];
  for (const [dtype, shape, bytes, coords, value] of cases) {
    it(`reports the first ${value} in ${dtype} at [${coords.join(', ')}]`, () => {
      let err: unknown;
      try {
        checkFinite(entry(dtype, shape), bytes, 'm.safetensors');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ResurfaceError);
      const e = err as ResurfaceError;
      expect(e.code).toBe('ERR_NONFINITE_WEIGHTS');
      expect(e.details).toMatchObject({ tensor: 'w', coords, value, file: 'm.safetensors' });
      expect(e.message).toContain('"w"');
    });
  }

  it('handles unaligned F32 views', () => {
    const buf = new Uint8Array(9);
    buf.set(f32([1, NaN]), 1);
    expect(() => checkFinite(entry('F32', [2]), buf.subarray(1))).toThrow(/NaN at index \[1\]/);
  });
});

describe.skipIf(pythonSkipReason !== '')(
  `independent Python implementation${pythonSkipReason ? ` (skipped: ${pythonSkipReason})` : ''}`,
  () => {
    it('reads a file written by test/reference/write_safetensors.py', async () => {
      const p = file('from-python.safetensors');
      const expected = JSON.parse(execFileSync(PYTHON, [path.join(REF, 'write_safetensors.py'), p], { encoding: 'utf8' })) as {
        metadata: Record<string, string>;
        tensors: Record<string, { dtype: SafetensorsDtype; shape: number[]; values: unknown[] }>;
      };
      const f = await readSafetensorsHeader(p);
      expect(f.headerLength % 8).not.toBe(0); // the Python file is deliberately not 8-aligned
      expect({ ...f.metadata }).toEqual(expected.metadata);
      expect([...f.tensors.keys()].sort()).toEqual(Object.keys(expected.tensors).sort());
      for (const [name, want] of Object.entries(expected.tensors)) {
        const e = f.tensors.get(name)!;
        expect({ dtype: e.dtype, shape: e.shape }, name).toEqual({ dtype: want.dtype, shape: want.shape });
        const bytes = await readTensorData(f, e);
        expect(decode(e.dtype, bytes), name).toEqual(want.values);
        if (['F32', 'F64', 'F16', 'BF16'].includes(e.dtype)) checkFinite(e, bytes);
      }
    });

    it('writes files test/reference/read_safetensors.py accepts and decodes identically', async () => {
      const tensors: HostTensor[] = [
        ...ALL_DTYPES.map((dt, i) => tensor(`w.${dt}`, dt, [2, i + 1])), // random bits, non-finite floats included
        tensor('scalar', 'I64', []),
        tensor('empty', 'BF16', [0, 3]),
        tensor('n\u00e4me', 'F16', [3]),
      ];
      const meta = { format: 'pt', who: 'r\u00e9surface' };
      const p = file('for-python.safetensors');
      await writeSafetensors(p, tensors, meta);
      const out = execFileSync(PYTHON, [path.join(REF, 'read_safetensors.py'), p], { encoding: 'utf8' });
      const got = JSON.parse(out) as {
        header_length: number;
        order: string[];
        metadata: Record<string, string>;
        tensors: Record<string, { dtype: string; shape: number[]; values: unknown[] }>;
      };
      expect(got.header_length % 8).toBe(0);
      expect(got.order).toEqual(tensors.map((t) => t.name));
      expect(got.metadata).toEqual(meta);
      for (const t of tensors) {
        expect(got.tensors[t.name], t.name).toEqual({ dtype: t.dtype, shape: t.shape, values: decode(t.dtype, t.data) });
      }
    });
  },
);
