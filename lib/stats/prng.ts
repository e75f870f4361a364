/**
 * Seeded pseudo-random numbers for every resampling in resurface.
 *
 * xoshiro128** (Blackman & Vigna) with its 128-bit state filled by splitmix32 from the seed, so
 * that nearby seeds (0, 1, 2…) give unrelated streams. 32-bit integer arithmetic only (Math.imul,
 * >>> 0), so results are identical on every platform and Node version.
 */
import { Xoshiro128 } from '../util/xoshiro128';

export class Rng extends Xoshiro128 {
  constructor(seed: number) {
    let x = (Math.floor(seed) >>> 0) ^ Math.floor(seed / 2 ** 32);
    const next = (): number => {
      // splitmix32
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    const s0 = next(),
      s1 = next(),
      s2 = next(),
      s3 = next();
    super(s0, s1, s2, s3);
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!(n > 0) || n > 2 ** 32) throw new RangeError(`Rng.int: n must be in (0, 2^32], got ${n}`);
    const limit = Math.floor(2 ** 32 / n) * n;
    for (;;) {
      const u = this.nextU32();
      if (u < limit) return u % n;
    }
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = xs[i];
      xs[i] = xs[j];
      xs[j] = t;
    }
    return xs;
  }
}
