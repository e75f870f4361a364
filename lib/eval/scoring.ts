/**
 * Typed wrappers around the native scoring kernels (native/score/*): continuation log-likelihoods
 * with shared-context reuse, per-token log-probs of perplexity windows, and batched greedy
 * extraction. Token ids in, plain numbers out; all work runs off the event loop.
 */
import { fromNative } from '../errors';
import type { Model } from '../model/model';
import { loadNative } from '../native/loader';
import { flattenRagged } from './ragged';

export interface ContinuationGroup {
  /** Context token ids (at least one). */
  context: readonly number[];
  /** Continuations that all follow `context` (at least one, each at least one token). */
  continuations: ReadonlyArray<readonly number[]>;
}

export interface ContinuationScore {
  /** Sum of the continuation's token log-probs (float32 log_softmax, float64 sum). */
  logprob: number;
  /** Every continuation token is the argmax at its position. */
  isGreedy: boolean;
}

export interface ScoreOptions {
  batchSize?: number;
  /** Compute a shared context once (KV cache) and its continuations as a batch (default true). */
  shareContext?: boolean;
}

async function callNative<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fromNative(err);
  }
}

/** One score per continuation, groups flattened in order. */
export async function scoreContinuations(
  model: Model,
  groups: readonly ContinuationGroup[],
  options: ScoreOptions = {},
): Promise<ContinuationScore[][]> {
  if (groups.length === 0) return [];
  const ctx = flattenRagged(groups.map((g) => g.context));
  const conts = groups.flatMap((g) => g.continuations);
  const cont = flattenRagged(conts);
  const groupStart = new Int32Array(groups.length + 1);
  groups.forEach((g, i) => (groupStart[i + 1] = groupStart[i]! + g.continuations.length));
  const native = loadNative();
  const r = await callNative(() =>
    native.scoreContinuations(model.nativeHandle(), ctx.ids, ctx.offsets, cont.ids, cont.offsets, groupStart, {
      batchSize: options.batchSize ?? 16,
      shareContext: options.shareContext ?? true,
    }),
  );
  return groups.map((g, i) =>
    g.continuations.map((_, k) => {
      const j = groupStart[i]! + k;
      return { logprob: r.logprobs[j]!, isGreedy: r.greedy[j] === 1 };
    }),
  );
}

/** Per-token log-probs of window[scoreFrom[i]..] given the window before it, one array per window. */
export async function tokenLogprobs(
  model: Model,
  windows: ReadonlyArray<readonly number[]>,
  scoreFrom: readonly number[],
  options: { batchSize?: number } = {},
): Promise<Float32Array[]> {
  if (windows.length === 0) return [];
  const flat = flattenRagged(windows);
  const native = loadNative();
  const all = await callNative(() =>
    native.tokenLogprobs(model.nativeHandle(), flat.ids, flat.offsets, Int32Array.from(scoreFrom), { batchSize: options.batchSize ?? 8 }),
  );
  const out: Float32Array[] = [];
  let at = 0;
  windows.forEach((w, i) => {
    const n = w.length - scoreFrom[i]!;
    out.push(all.subarray(at, at + n));
    at += n;
  });
  return out;
}

/** Greedy (argmax) continuation of `suffixLen` tokens for equal-length prompts. */
export async function greedyExtract(
  model: Model,
  prompts: ReadonlyArray<readonly number[]>,
  suffixLen: number,
  options: { batchSize?: number } = {},
): Promise<Int32Array[]> {
  if (prompts.length === 0) return [];
  const P = prompts[0]!.length;
  const flat = new Int32Array(prompts.length * P);
  prompts.forEach((p, i) => flat.set(p, i * P));
  const native = loadNative();
  const gen = await callNative(() =>
    native.greedyExtract(model.nativeHandle(), flat, prompts.length, P, suffixLen, { batchSize: options.batchSize ?? 32 }),
  );
  return prompts.map((_, i) => gen.subarray(i * suffixLen, (i + 1) * suffixLen));
}
