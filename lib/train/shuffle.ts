/**
 * Deterministic data order. Rows are visited epoch by epoch, each epoch in its own permutation
 * derived only from (seed, epoch) — so the data position is one number, the count of rows consumed
 * so far, and restoring it needs no generator state.
 */
import { NormalRng } from '../model/init-random';

/** Fisher–Yates permutation of 0…n−1 from a xoshiro128** stream named after the epoch. */
export function epochPermutation(n: number, seed: number, epoch: number): Uint32Array {
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const rng = new NormalRng(seed, `train-shuffle-epoch-${epoch}`);
  for (let i = n - 1; i > 0; i--) {
    const j = boundedRandom(rng, i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return perm;
}

/** Unbiased integer in [0, bound) (rejection on the top remainder of 2^32). */
function boundedRandom(rng: NormalRng, bound: number): number {
  const limit = 2 ** 32 - (2 ** 32 % bound);
  for (;;) {
    const x = rng.nextU32();
    if (x < limit) return x % bound;
  }
}

export class DataOrder {
  private epoch = -1;
  private perm: Uint32Array = new Uint32Array(0);

  constructor(
    readonly numRows: number,
    readonly seed: number,
    readonly shuffle = true,
  ) {}

  /** Row index of the `position`-th row consumed (0-based, across epochs). */
  rowAt(position: number): number {
    const epoch = Math.floor(position / this.numRows);
    const i = position % this.numRows;
    if (!this.shuffle) return i;
    if (epoch !== this.epoch) {
      this.perm = epochPermutation(this.numRows, this.seed, epoch);
      this.epoch = epoch;
    }
    return this.perm[i]!;
  }
}
