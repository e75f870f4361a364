/**
 * Prompt-free sampling from a loaded model: yields finished samples (in completion order) while the
 * native engine keeps its batch full. Sample i depends only on (seed, i).
 */
import { autoBatchSize } from './batch-size';
import type { GenerationProgress, ResolvedGenerateOptions } from './options';
import { contextIds, type StartToken } from './start-token';
import { fromNative, ResurfaceError } from '../errors';
import type { Model } from '../model/model';
import { loadNative } from '../native/loader';

export interface GeneratedSample {
  id: number;
  tokens: Int32Array;
  finishReason: 'eos' | 'length';
  /** With options.logprobs: untempered log-probability of each token, then of the stop token when finishReason is 'eos'. */
  logprobs?: Float32Array;
}

export interface GenerationRun {
  sampleIds: number[];
  options: ResolvedGenerateOptions;
  startToken: StartToken;
  eosIds: number[];
  /** Tokens >= validVocab (padding rows of the embedding) are never sampled. */
  validVocab: number;
  onProgress?: (p: GenerationProgress) => void;
  signal?: AbortSignal;
  /** Use exactly this batch size (default: options.batchSize clamped to the number of samples). */
  batchSize?: number;
}

export function effectiveBatchSize(model: Model, options: ResolvedGenerateOptions, count: number): number {
  if (options.batchSize !== 'auto') return Math.min(options.batchSize, Math.max(1, count));
  const gpu = model.options.device === 'cpu' ? null : loadNative().deviceMemory(model.options.device);
  return autoBatchSize(model.config, model.options.dtype, options.maxNewTokens, Math.max(1, count), gpu ? gpu.free : undefined);
}

/** Steps per native call: large enough to amortise the thread hop, small enough to react to aborts. */
const STEPS_PER_CALL = 16;

export async function* generateSamples(model: Model, run: GenerationRun): AsyncGenerator<GeneratedSample> {
  const { options } = run;
  if (run.sampleIds.length === 0) return;
  const batchSize = run.batchSize ?? effectiveBatchSize(model, options, run.sampleIds.length);
  const addon = loadNative();
  let generator;
  try {
    generator = new addon.NativeGenerator(
      model.nativeHandle(),
      {
        seed: options.seed,
        maxNewTokens: options.maxNewTokens,
        batchSize,
        startToken: run.startToken.id,
        context: contextIds(run.startToken),
        eosIds: run.eosIds,
        minNewTokens: options.minNewTokens,
        logprobs: options.logprobs,
        temperature: options.temperature,
        topK: options.topK,
        topP: options.topP,
        minP: options.minP,
        validVocab: run.validVocab,
      },
      run.sampleIds,
    );
  } catch (err) {
    throw fromNative(err);
  }
  const started = Date.now();
  let done = 0;
  try {
    for (;;) {
      if (run.signal?.aborted) throw new ResurfaceError('ERR_ABORTED', 'generation was aborted');
      let chunk;
      try {
        chunk = await generator.run(STEPS_PER_CALL, 0);
      } catch (err) {
        const e = fromNative(err);
        if (e.code === 'ERR_OUT_OF_MEMORY') {
          throw new ResurfaceError(
            'ERR_OUT_OF_MEMORY',
            `out of memory at batch size ${batchSize}: try --batch-size ${Math.max(1, Math.floor(batchSize / 2))}`,
            { batchSize },
          );
        }
        throw e;
      }
      for (const s of chunk.samples) {
        done++;
        yield { id: s.id, tokens: s.tokens, finishReason: s.eos ? 'eos' : 'length', ...(s.logprobs ? { logprobs: s.logprobs } : {}) };
      }
      if (run.onProgress) {
        const elapsed = (Date.now() - started) / 1000;
        const rate = elapsed > 0 ? chunk.tokensGenerated / elapsed : 0;
        const total = run.sampleIds.length;
        run.onProgress({
          samplesDone: done,
          samplesTotal: total,
          tokensGenerated: chunk.tokensGenerated,
          tokensPerSecond: rate,
          elapsedSeconds: elapsed,
          etaSeconds: done > 0 ? (elapsed / done) * (total - done) : null,
        });
      }
      if (chunk.done) break;
    }
  } finally {
    generator.dispose();
  }
}
