/** Megatron .bin/.idx: our writer's files read back; malformed files rejected with clear errors. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isMegatronPath, MegatronDataset, writeMegatron, type MegatronDtype } from '../../lib/eval/megatron';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

const dir = makeTmpDir();
afterAll(() => removeTmpDir(dir));

const seqs = [[1, 2, 3], [65535, 0], [], [7, 8, 9, 10, 11]];

describe('Megatron .bin/.idx', () => {
  it('round-trips every integer dtype', async () => {
    const cases: Array<[MegatronDtype, number[][]]> = [
      ['uint16', seqs],
      ['int32', [[-5, 100000], [3]]],
      ['int64', [[2 ** 40, 1]]],
      ['uint8', [[255, 0, 1]]],
      ['int16', [[-32768, 32767]]],
      ['int8', [[-128, 127]]],
    ];
    for (const [dtype, data] of cases) {
      const prefix = path.join(dir, `rt-${dtype}`);
      await writeMegatron(prefix, data, dtype);
      expect(isMegatronPath(`${prefix}.idx`)).toBe(true);
      const ds = MegatronDataset.open(`${prefix}.bin`);
      expect([ds.dtype, ds.numSequences, ds.numDocuments]).toEqual([dtype, data.length, data.length + 1]);
      expect(data.map((_, i) => ds.get(i))).toEqual(data);
      ds.close();
    }
    const ds = MegatronDataset.open(path.join(dir, 'rt-uint16'));
    expect(ds.get(3, 2)).toEqual([7, 8]);
    expect(ds.size(3)).toBe(5);
    expect(() => ds.get(4)).toThrow(/sequence index 4 is out of range \[0, 4\)/);
    ds.close();
  });

  it('matches the layout byte for byte (header, sizes, pointers, doc index)', async () => {
    const prefix = path.join(dir, 'layout');
    await writeMegatron(prefix, [[1, 2], [3]], 'uint16');
    const idx = fs.readFileSync(`${prefix}.idx`);
    expect(idx.subarray(0, 9).toString('latin1')).toBe('MMIDIDX\x00\x00');
    expect(idx.readBigUInt64LE(9)).toBe(1n);
    expect(idx.readUInt8(17)).toBe(8);
    expect([idx.readBigUInt64LE(18), idx.readBigUInt64LE(26)]).toEqual([2n, 3n]);
    expect([idx.readInt32LE(34), idx.readInt32LE(38)]).toEqual([2, 1]);
    expect([idx.readBigInt64LE(42), idx.readBigInt64LE(50)]).toEqual([0n, 4n]);
    expect(idx.length).toBe(34 + 2 * 12 + 3 * 8);
    expect([...fs.readFileSync(`${prefix}.bin`)]).toEqual([1, 0, 2, 0, 3, 0]);
  });

  it('rejects malformed files', async () => {
    const prefix = path.join(dir, 'bad');
    const fresh = async () => {
      await writeMegatron(prefix, [[1, 2, 3], [4]], 'uint16');
      return fs.readFileSync(`${prefix}.idx`);
    };
    const expectBad = (re: RegExp) => {
      let e: { code?: string; message?: string } = {};
      try {
        MegatronDataset.open(prefix).close();
      } catch (err) {
        e = err as typeof e;
      }
      expect(e.code).toBe('ERR_DATA');
      expect(e.message).toMatch(re);
    };
    let idx = await fresh();
    idx.write('XXIDIDX', 0, 'latin1');
    fs.writeFileSync(`${prefix}.idx`, idx);
    expectBad(/does not start with MMIDIDX/);
    idx = await fresh();
    idx.writeBigUInt64LE(2n, 9);
    fs.writeFileSync(`${prefix}.idx`, idx);
    expectBad(/version 2 is not supported/);
    idx = await fresh();
    idx.writeUInt8(42, 17);
    fs.writeFileSync(`${prefix}.idx`, idx);
    expectBad(/unknown dtype code 42/);
    idx = await fresh();
    idx.writeUInt8(7, 17);
    fs.writeFileSync(`${prefix}.idx`, idx);
    expectBad(/float32 cannot hold token ids/);
    idx = await fresh();
    fs.writeFileSync(`${prefix}.idx`, idx.subarray(0, idx.length - 3));
    expectBad(/does not match its header.*truncated or corrupt/);
    fs.writeFileSync(`${prefix}.idx`, idx.subarray(0, 10));
    expectBad(/too short/);
    await fresh();
    fs.writeFileSync(`${prefix}.bin`, Buffer.alloc(4)); // sequence 0 needs 6 bytes
    const ds = MegatronDataset.open(prefix);
    expect(() => ds.get(0)).toThrow(/sequence 0 \(3 tokens at byte 0\) lies outside the 4-byte file/);
    ds.close();
    fs.rmSync(`${prefix}.bin`);
    expect(() => MegatronDataset.open(prefix)).toThrow(expect.objectContaining({ code: 'ERR_IO' }));
  });
});
