import { describe, expect, it } from 'vitest';
import {
  bf16BitsToF32,
  bf16BytesToFloat32,
  f16BitsToF32,
  f16BytesToFloat32,
  f32BitsToBf16Bits,
  f32BitsToF16Bits,
  f32BytesToFloat32,
  float32ToBf16Bytes,
  float32ToF16Bytes,
  float32ToF32Bytes,
} from '../../lib/io/dtype-convert';

/**
 * [float32 bits, bfloat16 bits, float16 bits] as produced by torch 1.13 (`t.to(torch.bfloat16)` /
 * `t.to(torch.float16)` on CPU): ties to even, subnormals, overflow edges, infinities.
 */
const GOLDEN: Array<[number, number, number]> = [
  [0x00000000, 0x0000, 0x0000],
  [0x80000000, 0x8000, 0x8000],
  [0x3f800000, 0x3f80, 0x3c00],
  [0xbf800000, 0xbf80, 0xbc00],
  [0x3eaaaaab, 0x3eab, 0x3555], // 1/3
  [0x40490fdb, 0x4049, 0x4248], // pi
  [0x477fe000, 0x4780, 0x7bff], // 65504 = f16 max
  [0x477fef00, 0x4780, 0x7bff], // 65519
  [0x477fefff, 0x4780, 0x7bff], // just below the f16 overflow tie
  [0x477ff000, 0x4780, 0x7c00], // 65520: tie → rounds to inf
  [0x47800000, 0x4780, 0x7c00], // 65536
  [0x322bcc77, 0x322c, 0x0000], // 1e-8 → 0 in f16
  [0x33800000, 0x3380, 0x0001], // 2^-24 = smallest f16 subnormal
  [0x33000000, 0x3300, 0x0000], // 2^-25: tie → even (0)
  [0x33000001, 0x3300, 0x0001], // just above 2^-25
  [0x33400000, 0x3340, 0x0001], // 1.5 · 2^-25
  [0x38800000, 0x3880, 0x0400], // 2^-14 = smallest f16 normal
  [0x387fe000, 0x3880, 0x0400], // subnormal tie carrying into the smallest normal
  [0x387fc000, 0x3880, 0x03ff], // largest f16 subnormal
  [0x387ba882, 0x387c, 0x03ef], // 6e-5
  [0x7149f2ca, 0x714a, 0x7c00],
  [0xf149f2ca, 0xf14a, 0xfc00], // ±1e30
  [0x7f800000, 0x7f80, 0x7c00],
  [0xff800000, 0xff80, 0xfc00], // ±inf
  [0x7f7fffff, 0x7f80, 0x7c00], // f32 max → inf in both
  [0x3f801000, 0x3f80, 0x3c00], // f16 tie, even below
  [0x3f803000, 0x3f80, 0x3c02], // f16 tie, even above
  [0x3f802000, 0x3f80, 0x3c01],
  [0x3f800fff, 0x3f80, 0x3c00],
  [0x3f808000, 0x3f80, 0x3c04], // bf16 tie, even below
  [0x3f818000, 0x3f82, 0x3c0c], // bf16 tie, even above
  [0x00010000, 0x0001, 0x0000], // f32 subnormals
  [0x000116c2, 0x0001, 0x0000],
  [0xb627c5ac, 0xb628, 0x802a], // -2.5e-6 (f16 subnormal)
  [0x4640e6b6, 0x4641, 0x7207], // 12345.678
];

const bitsToF32 = (b: number): number => new Float32Array(new Uint32Array([b]).buffer)[0]!;
const hex = (x: number, w: number): string => `0x${x.toString(16).padStart(w, '0')}`;

describe('scalar conversions match torch', () => {
  for (const [f, bf, h] of GOLDEN) {
    it(`${hex(f, 8)} → bf16 ${hex(bf, 4)}, f16 ${hex(h, 4)}`, () => {
      expect(hex(f32BitsToBf16Bits(f), 4)).toBe(hex(bf, 4));
      expect(hex(f32BitsToF16Bits(f), 4)).toBe(hex(h, 4));
    });
  }
  it('NaN stays NaN (quiet), in both formats', () => {
    for (const nan of [0x7fc00000, 0xffc00001, 0x7f800001, 0x7fffffff]) {
      expect(Number.isNaN(bf16BitsToF32(f32BitsToBf16Bits(nan)))).toBe(true);
      expect(Number.isNaN(f16BitsToF32(f32BitsToF16Bits(nan)))).toBe(true);
    }
    expect(f32BitsToF16Bits(0x7fc00000)).toBe(0x7e00);
    expect(f32BitsToF16Bits(0x7f800001)).toBe(0x7e00); // signalling NaN must not become inf
  });
});

/** Independent reference: nearest representable f16 by search over all finite f16 values, ties to even. */
function referenceF16(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  let lo = 0;
  let hi = 0x7bff;
  while (lo < hi) {
    // smallest h with value(h) >= a
    const mid = (lo + hi) >> 1;
    if (f16BitsToF32(mid) >= a) hi = mid;
    else lo = mid + 1;
  }
  if (lo === 0) return sign;
  const up = f16BitsToF32(lo);
  const down = f16BitsToF32(lo - 1);
  if (up - a < a - down) return sign | lo;
  if (a - down < up - a) return sign | (lo - 1);
  return sign | ((lo & 1) === 0 ? lo : lo - 1);
}

describe('array conversions', () => {
  it('float16 agrees with a brute-force reference on random and edge values', () => {
    const vals: number[] = [];
    let s = 12345;
    const rnd = (): number => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 20000; i++) {
      const mag = 2 ** (Math.floor(rnd() * 46) - 28); // 2^-28 .. 2^17
      vals.push((rnd() < 0.5 ? -1 : 1) * mag * (1 + rnd()));
    }
    for (let h = 0; h < 0x7bff; h += 37) vals.push(f16BitsToF32(h), (f16BitsToF32(h) + f16BitsToF32(h + 1)) / 2); // exact values and exact ties
    const src = Float32Array.from(vals);
    const bytes = float32ToF16Bytes(src);
    expect(bytes.length).toBe(src.length * 2);
    for (let i = 0; i < src.length; i++) {
      const got = bytes[2 * i]! | (bytes[2 * i + 1]! << 8);
      const want = referenceF16(src[i]!);
      if (got !== want) expect(`${src[i]} → ${hex(got, 4)}`).toBe(`${src[i]} → ${hex(want, 4)}`);
    }
  });

  it('bfloat16: little-endian bytes, RNE, round trip within half an ulp', () => {
    const src = Float32Array.from([1, -2, 1 / 3, 1e-3, 3.0e38, -0]);
    const bytes = float32ToBf16Bytes(src);
    expect(Array.from(bytes.slice(0, 4))).toEqual([0x80, 0x3f, 0x00, 0xc0]);
    const back = bf16BytesToFloat32(bytes);
    for (let i = 0; i < src.length; i++) {
      expect(Math.abs(back[i]! - src[i]!)).toBeLessThanOrEqual(Math.abs(src[i]!) * 2 ** -8);
    }
    expect(Object.is(back[5], -0)).toBe(true);
  });

  it('values already representable survive bf16/f16/f32 round trips exactly', () => {
    const exactBf = Float32Array.from([0, 1, -1.5, 2 ** -100, 3 * 2 ** 60, 0.0078125]);
    expect(Array.from(bf16BytesToFloat32(float32ToBf16Bytes(exactBf)))).toEqual(Array.from(exactBf));
    const exactF16 = Float32Array.from([0, 1, -1.5, 2 ** -24, 65504, 1 / 1024]);
    expect(Array.from(f16BytesToFloat32(float32ToF16Bytes(exactF16)))).toEqual(Array.from(exactF16));
    const any = Float32Array.from([Math.PI, -1e-30, 1e30, 7]);
    const f32 = float32ToF32Bytes(any);
    expect(f32.length).toBe(16);
    expect(new DataView(f32.buffer).getFloat32(0, true)).toBe(any[0]);
    expect(Array.from(f32BytesToFloat32(f32))).toEqual(Array.from(any));
  });

  it('works on subarray views (byteOffset ≠ 0)', () => {
    const whole = Float32Array.from([9, 1, 2, 9]);
    const view = whole.subarray(1, 3);
    expect(Array.from(bf16BytesToFloat32(float32ToBf16Bytes(view)))).toEqual([1, 2]);
    expect(Array.from(f16BytesToFloat32(float32ToF16Bytes(view)))).toEqual([1, 2]);
    expect(Array.from(f32BytesToFloat32(float32ToF32Bytes(view)))).toEqual([1, 2]);
    expect(bitsToF32(0x3f800000)).toBe(1);
  });
});
