/**
 * Word n-grams as 64-bit hashes (two independent 32-bit lanes), so the audit never stores n-gram
 * strings: a benchmark n-gram costs 12 bytes in `NgramHashSet` whatever its length.
 *
 * Collision bound. Treat the 64-bit hash as uniform. A corpus n-gram that is in no benchmark is
 * wrongly reported as present only if its hash equals one of the M stored hashes: probability
 * ≤ M / 2^64 per look-up, so over Q look-ups P(any false flag) ≤ Q·M / 2^64. For the paper's audit
 * (M ≈ 2·10^7 distinct benchmark 8-grams, Q ≈ 2·10^7 corpus 8-grams) that is ≤ 2.2·10^-5 for the
 * whole audit. Misses are impossible: equal n-grams always hash equally. test/unit/corpus-audit.test.ts
 * checks the uniformity this bound assumes by truncating the hash to 16 and 20 bits, where false
 * positives are frequent enough to count, and comparing their rate with M / 2^bits.
 */

const M1 = 0xcc9e2d51;
const M2 = 0x1b873593;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** murmur3-style 32-bit hash of a word's UTF-16 code units. */
function hashWord(w: string, seed: number): number {
  let h = seed ^ w.length;
  for (let i = 0; i < w.length; i++) {
    let k = Math.imul(w.charCodeAt(i), M1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, M2);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  return fmix32(h);
}

/** The two lanes of every word, hashed once. */
export function hashWords(words: readonly string[]): { a: Uint32Array; b: Uint32Array } {
  const a = new Uint32Array(words.length);
  const b = new Uint32Array(words.length);
  for (let i = 0; i < words.length; i++) {
    a[i] = hashWord(words[i]!, 0x9747b28c);
    b[i] = hashWord(words[i]!, 0x1b56c4e9);
  }
  return { a, b };
}

/**
 * Hash of the n-gram words[start, start + n) from its words' hashes: an order-sensitive mix, one
 * lane per word lane. Returns [hi, lo] via `out` to avoid allocating per n-gram.
 */
export function ngramHash(wa: Uint32Array, wb: Uint32Array, start: number, n: number, out: Uint32Array): void {
  let h1 = 0x243f6a88 ^ n;
  let h2 = 0x85a308d3 ^ n;
  for (let k = start; k < start + n; k++) {
    h1 = Math.imul(((h1 ^ wa[k]!) << 13) | ((h1 ^ wa[k]!) >>> 19), 0x9e3779b1) + 0x7f4a7c15;
    h2 = Math.imul(((h2 ^ wb[k]!) << 17) | ((h2 ^ wb[k]!) >>> 15), 0xc2b2ae3d) + 0x27d4eb2f;
  }
  out[0] = fmix32(h1);
  out[1] = fmix32(h2 ^ 0x165667b1);
}

/**
 * Open-addressing (linear probing) set of 64-bit hashes, each with a bit per group (benchmark file)
 * that contains it. Grows by doubling past load 0.7 (linear probing stays short: ~4 probes a miss at 0.63). (0, 0) marks an empty slot, so a key that hashes
 * to it is stored as (0, 1): one more hash value shared, negligible in the bound above.
 */
export class NgramHashSet {
  /** [hi, lo] of slot s at 2s, 2s + 1: one cache line holds a key and its probe neighbours. */
  private keys: Uint32Array;
  private masks: Uint32Array;
  private readonly words: number;
  private mask: number;
  size = 0;

  constructor(
    readonly groups: number,
    initialCapacity = 1 << 16,
  ) {
    if (!(groups >= 1)) throw new RangeError('NgramHashSet needs at least one group');
    this.words = Math.ceil(groups / 32);
    let cap = 1 << 4;
    while (cap < initialCapacity) cap *= 2;
    this.keys = new Uint32Array(2 * cap);
    this.masks = new Uint32Array(cap * this.words);
    this.mask = cap - 1;
  }

  get capacity(): number {
    return this.mask + 1;
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.keys.byteLength + this.masks.byteLength;
  }

  /** Adds (hi, lo) to `group`; true when the group did not hold it yet. */
  add(hi: number, lo: number, group: number): boolean {
    if (hi === 0 && lo === 0) lo = 1;
    if ((this.size + 1) * 10 > this.capacity * 7) this.grow();
    const keys = this.keys;
    let s = hi & this.mask;
    for (;;) {
      const h = keys[2 * s]!,
        l = keys[2 * s + 1]!;
      if (h === 0 && l === 0) {
        keys[2 * s] = hi;
        keys[2 * s + 1] = lo;
        this.size++;
        break;
      }
      if (h === hi && l === lo) break;
      s = (s + 1) & this.mask;
    }
    const w = s * this.words + (group >>> 5);
    const bit = 1 << (group & 31);
    const had = (this.masks[w]! & bit) !== 0;
    this.masks[w] = this.masks[w]! | bit;
    return !had;
  }

  /** Slot of (hi, lo), or -1. */
  find(hi: number, lo: number): number {
    if (hi === 0 && lo === 0) lo = 1;
    const keys = this.keys;
    let s = hi & this.mask;
    for (;;) {
      const h = keys[2 * s]!,
        l = keys[2 * s + 1]!;
      if (h === hi && l === lo) return s;
      if (h === 0 && l === 0) return -1;
      s = (s + 1) & this.mask;
    }
  }

  /** ORs the group bits of `slot` into `acc` (length ceil(groups / 32)). */
  orGroups(slot: number, acc: Uint32Array): void {
    for (let w = 0; w < this.words; w++) acc[w] = acc[w]! | this.masks[slot * this.words + w]!;
  }

  private grow(): void {
    const { keys, masks, words } = this;
    const oldCap = this.capacity;
    const cap = oldCap * 2;
    this.keys = new Uint32Array(2 * cap);
    this.masks = new Uint32Array(cap * words);
    this.mask = cap - 1;
    for (let s = 0; s < oldCap; s++) {
      const h = keys[2 * s]!,
        l = keys[2 * s + 1]!;
      if (h === 0 && l === 0) continue;
      let t = h & this.mask;
      while (this.keys[2 * t] !== 0 || this.keys[2 * t + 1] !== 0) t = (t + 1) & this.mask;
      this.keys[2 * t] = h;
      this.keys[2 * t + 1] = l;
      for (let w = 0; w < words; w++) this.masks[t * words + w] = masks[s * words + w]!;
    }
  }
}
