/**
 * float32 ⇄ bfloat16 / float16 conversion on the host, for writing and reading safetensors.
 *
 * Narrowing rounds to nearest, ties to even (what torch's `.to(bfloat16/float16)` does).
 * NaN stays NaN (quiet, sign kept); float16 overflow becomes ±inf; float16 subnormals are exact.
 * Byte output is little-endian regardless of the host (safetensors is little-endian).
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Bits of a float32 (as uint32) → bits of the nearest bfloat16 (as uint16). */
export function f32BitsToBf16Bits(x: number): number {
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return ((x >>> 16) | 0x40) & 0xffff; // NaN → quiet NaN
  // Add 0x7fff plus the lowest kept bit: rounds half to even; carries correctly into the exponent (→ inf).
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Bits of a float32 (as uint32) → bits of the nearest float16 (as uint16). */
export function f32BitsToF16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0); // inf / quiet NaN
  const e = exp - 127 + 15; // float16 biased exponent
  if (e >= 31) return sign | 0x7c00; // too large even before rounding
  if (e <= 0) {
    // Subnormal float16 (or zero): value = mant24 * 2^(exp-150); keep mant24 >> (14 - e) as the 10-bit field.
    if (e < -10) return sign; // below half the smallest subnormal: rounds to ±0
    mant |= 0x800000;
    const shift = 14 - e; // 14..24
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1) !== 0)) h++; // a carry lands on the smallest normal: correct
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) !== 0)) h++; // carry may reach 0x7c00 = inf: correct
  return sign | h;
}

/** bfloat16 bits → float32 value (exact). */
export function bf16BitsToF32(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0]!;
}

/** float16 bits → float32 value (exact). */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

function bitsOf(src: Float32Array): Uint32Array {
  return new Uint32Array(src.buffer, src.byteOffset, src.length);
}

/** float32 values → bfloat16 little-endian bytes (2 per element), round-to-nearest-even. */
export function float32ToBf16Bytes(src: Float32Array): Uint8Array {
  const bits = bitsOf(src);
  const out = new Uint8Array(src.length * 2);
  for (let i = 0; i < bits.length; i++) {
    const h = f32BitsToBf16Bits(bits[i]!);
    out[2 * i] = h & 0xff;
    out[2 * i + 1] = h >>> 8;
  }
  return out;
}

/** float32 values → float16 little-endian bytes (2 per element), round-to-nearest-even. */
export function float32ToF16Bytes(src: Float32Array): Uint8Array {
  const bits = bitsOf(src);
  const out = new Uint8Array(src.length * 2);
  for (let i = 0; i < bits.length; i++) {
    const h = f32BitsToF16Bits(bits[i]!);
    out[2 * i] = h & 0xff;
    out[2 * i + 1] = h >>> 8;
  }
  return out;
}

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** float32 values → float32 little-endian bytes (a copy). */
export function float32ToF32Bytes(src: Float32Array): Uint8Array {
  if (HOST_LE) return new Uint8Array(src.buffer.slice(src.byteOffset, src.byteOffset + src.byteLength));
  const out = new Uint8Array(src.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < src.length; i++) dv.setFloat32(4 * i, src[i]!, true);
  return out;
}

/** bfloat16 little-endian bytes → float32 values. */
export function bf16BytesToFloat32(bytes: Uint8Array): Float32Array {
  const n = bytes.length >>> 1;
  const out = new Float32Array(n);
  const bits = bitsOf(out);
  for (let i = 0; i < n; i++) bits[i] = ((bytes[2 * i]! | (bytes[2 * i + 1]! << 8)) << 16) >>> 0;
  return out;
}

/** float16 little-endian bytes → float32 values. */
export function f16BytesToFloat32(bytes: Uint8Array): Float32Array {
  const n = bytes.length >>> 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = f16BitsToF32(bytes[2 * i]! | (bytes[2 * i + 1]! << 8));
  return out;
}

/** float32 little-endian bytes → float32 values. */
export function f32BytesToFloat32(bytes: Uint8Array): Float32Array {
  const n = bytes.length >>> 2;
  const out = new Float32Array(n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
  return out;
}
