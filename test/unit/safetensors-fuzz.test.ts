/**
 * Hostile-input tests for the safetensors reader: a seeded corpus of broken files and sharded
 * directories (test/helpers/corrupt-safetensors.ts). Every input must end in a valid, self-consistent
 * parse or a ResurfaceError with the expected code — never another exception, never a hang.
 */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResurfaceError } from '../../lib/errors';
import { byteLength, readSafetensorsHeader } from '../../lib/io/safetensors';
import { openWeights } from '../../lib/io/safetensors-index';
import type { SafetensorsFile } from '../../lib/io/tensor-types';
import { generateIndexCases, writeValidShardedDir } from '../helpers/corrupt-safetensors-index';
import { generateCorruptCases, type CorruptCase } from '../helpers/corrupt-safetensors';

let tmp: string;
beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'resurface-st-fuzz-'));
});
afterAll(async () => {
  if (tmp) await fsp.rm(tmp, { recursive: true, force: true });
});

/** Invariants any accepted file must satisfy, whatever bytes produced it. */
function assertConsistent(f: SafetensorsFile): void {
  expect(f.dataOffset).toBe(8 + f.headerLength);
  expect(f.dataOffset).toBeLessThanOrEqual(f.fileSize);
  const ranges: [number, number][] = [];
  for (const [name, t] of f.tensors) {
    expect(t.name).toBe(name);
    expect(t.begin).toBeGreaterThanOrEqual(f.dataOffset);
    expect(t.end).toBeLessThanOrEqual(f.fileSize);
    expect(BigInt(t.end - t.begin)).toBe(byteLength(t.dtype, t.shape));
    if (t.end > t.begin) ranges.push([t.begin, t.end]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBeGreaterThanOrEqual(ranges[i - 1]![1]);
  for (const v of Object.values(f.metadata)) expect(typeof v).toBe('string');
}

async function outcome(file: string): Promise<{ ok: SafetensorsFile } | { err: unknown }> {
  try {
    return { ok: await readSafetensorsHeader(file) };
  } catch (err) {
    return { err };
  }
}

describe('corrupted safetensors corpus', () => {
  const cases = generateCorruptCases();

  it('is large, deterministic and covers every class', () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
    const again = generateCorruptCases();
    expect(again.map((c) => c.name)).toEqual(cases.map((c) => c.name));
    expect(again.every((c, i) => Buffer.from(c.bytes).equals(Buffer.from(cases[i]!.bytes)))).toBe(true);
    const codes = new Set(cases.flatMap((c) => (c.expect.kind === 'code' ? [c.expect.code] : [])));
    expect([...codes].sort()).toEqual(['ERR_SAFETENSORS_DTYPE', 'ERR_SAFETENSORS_HEADER', 'ERR_SAFETENSORS_RANGE']);
  });

  it('every case yields its expected outcome', async () => {
    const failures: string[] = [];
    const check = async (c: CorruptCase, i: number) => {
      const file = path.join(tmp, `case-${i}.safetensors`);
      await fsp.writeFile(file, c.bytes);
      const r = await outcome(file);
      const e = c.expect;
      if ('ok' in r) {
        if (e.kind === 'code') failures.push(`${c.name}: parsed, expected ${e.code}`);
        else assertConsistent(r.ok);
        return;
      }
      const err = r.err;
      if (!(err instanceof ResurfaceError)) {
        failures.push(`${c.name}: threw non-ResurfaceError ${String(err)}`);
        return;
      }
      if (e.kind === 'valid') failures.push(`${c.name}: expected a valid parse, got ${err.code}: ${err.message}`);
      else if (e.kind === 'code' && err.code !== e.code) failures.push(`${c.name}: expected ${e.code}, got ${err.code}: ${err.message}`);
      else if (e.kind === 'valid-or' && !e.codes.includes(err.code))
        failures.push(`${c.name}: unexpected code ${err.code}: ${err.message}`);
      // Messages name the file so users can find it.
      else if (!err.message.includes(file)) failures.push(`${c.name}: message does not name the file: ${err.message}`);
    };
    for (let i = 0; i < cases.length; i++) await check(cases[i]!, i);
    expect(failures).toEqual([]);
  });

  it('names the offending tensor in targeted errors', async () => {
    const pick = (name: string) => cases.find((c) => c.name === name)!;
    const expectations: [string, string][] = [
      ['dtype "F8_E4M3"', 'layers.0.w'],
      ['shape [2,-3]', 'layers.0.w'],
      ['offsets [0.5,24.5]', 'layers.0.w'],
      ['overlap: partial', 'layers.0.b'],
      ['offsets past data end', 'layers.0.b'],
    ];
    for (const [name, tensor] of expectations) {
      const c = pick(name);
      const file = path.join(tmp, 'named.safetensors');
      await fsp.writeFile(file, c.bytes);
      const err = await readSafetensorsHeader(file).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(ResurfaceError);
      expect((err as ResurfaceError).message, name).toContain(JSON.stringify(tensor));
      expect((err as ResurfaceError).details.tensor, name).toBe(tensor);
    }
  });

  it('keeps "__proto__" as an ordinary name', async () => {
    const c = cases.find((x) => x.name.startsWith('valid: __proto__'))!;
    const file = path.join(tmp, 'proto.safetensors');
    await fsp.writeFile(file, c.bytes);
    const f = await readSafetensorsHeader(file);
    expect(f.tensors.get('__proto__')?.dtype).toBe('I64');
    expect(Object.getPrototypeOf(f.metadata)).toBe(null);
    expect(f.metadata['__proto__']).toBe('x');
    expect(f.metadata['constructor']).toBe('y');
    expect(Object.keys(f.metadata).sort()).toEqual(['__proto__', 'constructor']);
  });
});

describe('corrupted sharded model directories', () => {
  it('the valid control opens', async () => {
    const dir = path.join(tmp, 'index-valid');
    await fsp.mkdir(dir);
    await writeValidShardedDir(dir);
    const w = await openWeights(dir);
    expect([...w.location.keys()].sort()).toEqual(['a', 'b', 'c']);
    expect(w.files.map((f) => path.basename(f.path))).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
  });

  for (const [i, c] of generateIndexCases().entries()) {
    it(`${c.name} -> ${c.expect}`, async () => {
      const dir = path.join(tmp, `index-${i}`);
      await fsp.mkdir(dir);
      await c.setup(dir);
      const err = await openWeights(dir).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ResurfaceError);
      expect((err as ResurfaceError).code, (err as Error).message).toBe(c.expect);
    });
  }
});
