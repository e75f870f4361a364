/** Finding the first NaN or Inf in a tensor's little-endian bytes, named by its coordinates. */
import { ResurfaceError } from '../errors';
import { elementCount } from './safetensors';
import { DTYPE_SIZES, type TensorEntry } from './tensor-types';

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Throw ERR_NONFINITE_WEIGHTS naming the first NaN/Inf element of a floating-point tensor
 * (F64, F32, F16, BF16; little-endian bytes). Other dtypes are always finite.
 */
export function checkFinite(entry: TensorEntry, bytes: Uint8Array, file?: string): void {
  const size = DTYPE_SIZES[entry.dtype];
  const count = Number(elementCount(entry.shape));
  if (bytes.byteLength !== count * size) {
    throw new ResurfaceError(
      'ERR_INVALID_ARGUMENT',
      `checkFinite: tensor ${JSON.stringify(entry.name)} has ${bytes.byteLength} bytes, expected ${count * size}`,
      { tensor: entry.name },
    );
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let bad = -1;
  let value = 0;
  switch (entry.dtype) {
    case 'F64':
      for (let i = 0; i < count && bad < 0; i++) if (!Number.isFinite(dv.getFloat64(i * 8, true))) bad = i;
      if (bad >= 0) value = dv.getFloat64(bad * 8, true);
      break;
    case 'F32':
      if (LITTLE_ENDIAN_HOST && bytes.byteOffset % 4 === 0) {
        const f = new Float32Array(bytes.buffer, bytes.byteOffset, count); // fast path, no per-element DataView call
        for (let i = 0; i < count; i++)
          if (!Number.isFinite(f[i]!)) {
            bad = i;
            break;
          }
      } else {
        for (let i = 0; i < count && bad < 0; i++) if (!Number.isFinite(dv.getFloat32(i * 4, true))) bad = i;
      }
      if (bad >= 0) value = dv.getFloat32(bad * 4, true);
      break;
    case 'F16': // exponent bits 0x7c00 all set: Inf (mantissa 0) or NaN
    case 'BF16': {
      // exponent bits 0x7f80 all set
      const mask = entry.dtype === 'F16' ? 0x7c00 : 0x7f80;
      for (let i = 0; i < count && bad < 0; i++) if ((dv.getUint16(i * 2, true) & mask) === mask) bad = i;
      if (bad >= 0) {
        const bits = dv.getUint16(bad * 2, true);
        const nan = (bits & (mask === 0x7c00 ? 0x03ff : 0x007f)) !== 0;
        value = nan ? NaN : bits & 0x8000 ? -Infinity : Infinity;
      }
      break;
    }
    default:
      return;
  }
  if (bad < 0) return;
  const coords = unravel(bad, entry.shape);
  const where = file ? `${file}: ` : '';
  throw new ResurfaceError(
    'ERR_NONFINITE_WEIGHTS',
    `${where}tensor ${JSON.stringify(entry.name)} has ${value} at index [${coords.join(', ')}] (flat ${bad})`,
    {
      ...(file ? { file } : {}),
      tensor: entry.name,
      index: bad,
      coords,
      value: String(value),
    },
  );
}

/** Flat row-major index -> coordinates for `shape`. */
function unravel(flat: number, shape: readonly number[]): number[] {
  const coords = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    coords[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return coords;
}
