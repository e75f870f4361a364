/**
 * The proxies that need a model forward pass (embedding cosine, average log-likelihood) reach the
 * native runtime only through these two functions, so the proxy code stays testable without it.
 *
 * The built-in implementation (`runtimeNativeHooks`) runs our own runtime:
 *   embed:      mean of the final-normed hidden states over each text's tokens (lib/eval/embed.ts);
 *               texts are encoded without special tokens and cut to the model's positions; an
 *               empty text is embedded as the prefix token alone (BOS, else EOS).
 *   avgLogLik:  Σ log p(token) / Σ tokens over all texts (lib/eval/perplexity.ts: each text after
 *               the prefix token, long texts in strided windows) — the negative of the pooled
 *               per-token NLL.
 * Each model directory is loaded once per hook set and kept until `dispose()`: computeProxies asks
 * for the same model many times (student, source, batches of corpus and benchmark texts); a
 * log-likelihood asked twice (student = source in self-training) is computed once.
 *
 * It is registered by default (device cpu); its cache is released after `idleMs` without calls so
 * that library users need not dispose anything. `setNativeHooks` replaces it (tests, other
 * devices); `resetNativeHooks` unregisters everything, after which model-based proxies fail clearly.
 * `scopedNativeHooks` gives a step its own cache on its own device (lib/experiment/executors.ts).
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { ResurfaceError } from '../errors';
import { embed as embedTokens } from '../eval/embed';
import { computePerplexity } from '../eval/perplexity';
import { prefixTokenId } from '../eval/requests';
import { Model } from '../model/model';
import type { DeviceName, ModelDtype } from '../native/types';
import { TextTokenizer } from '../tokenizer/tokenizer';
import { SentenceEncoder } from '../encoder/encoder';

export interface NativeHooks {
  /** Mean-pooled last hidden states of each text under the model in `modelDir`: one vector per text. */
  embed(modelDir: string, texts: string[]): Promise<Float32Array[]>;
  /** Average per-token log-likelihood (natural log) of `texts` under the model in `modelDir`, pooled over all tokens. */
  avgLogLik(modelDir: string, texts: string[]): Promise<{ avgLogLik: number; tokens: number }>;
  /**
   * Sentence-encoder embeddings (a sentence-transformers BERT checkpoint, lib/encoder) with the
   * checkpoint's pooling and normalisation, and how the checkpoint was read. Optional: hook sets
   * without it get the built-in encoder (computeProxies).
   */
  sentenceEmbed?(encoderDir: string, texts: string[]): Promise<SentenceEmbedding>;
}

export interface SentenceEmbedding {
  vectors: Float32Array[];
  encoder: EncoderSummary;
}

/** How an encoder checkpoint was read (recorded in proxy reports). */
export interface EncoderSummary {
  dir: string;
  pooling: string;
  normalize: boolean;
  maxSeqLength: number;
  dim: number;
  warnings: string[];
}

/** Hooks that hold loaded models: call `dispose()` when done. */
export interface DisposableNativeHooks extends NativeHooks {
  dispose(): Promise<void>;
}

export interface RuntimeHookOptions {
  device?: DeviceName;
  dtype?: ModelDtype;
  threads?: number;
  /** Rows per forward pass (default 16 for embeddings, 8 for log-likelihood windows). */
  batchSize?: number;
  /** Release every loaded model after this many ms without a call (default: keep until dispose()). */
  idleMs?: number;
}

interface Loaded {
  model: Model;
  tok: TextTokenizer;
}

/** The built-in hooks over our runtime, with a per-instance model cache (see the module comment). */
export function runtimeNativeHooks(opts: RuntimeHookOptions = {}): DisposableNativeHooks {
  const cache = new Map<string, Promise<Loaded>>();
  const encoders = new Map<string, Promise<SentenceEncoder>>();
  // computeProxies scores the corpus under the student and the source: one model in self-training
  const likelihoods = new Map<string, Promise<{ avgLogLik: number; tokens: number }>>();
  let inFlight = 0;
  let idleTimer: NodeJS.Timeout | null = null;

  const release = async (): Promise<void> => {
    const all = [...cache.values()];
    const encs = [...encoders.values()];
    cache.clear();
    encoders.clear();
    likelihoods.clear();
    for (const p of encs) {
      try {
        (await p).dispose();
      } catch {
        /* a load that failed has nothing to dispose */
      }
    }
    for (const p of all) {
      try {
        (await p).model.dispose();
      } catch {
        /* a load that failed has nothing to dispose */
      }
    }
  };
  const load = (modelDir: string): Promise<Loaded> => {
    const dir = path.resolve(modelDir);
    let p = cache.get(dir);
    if (!p) {
      p = (async () => {
        const tok = await TextTokenizer.load(dir); // shared by TextTokenizer's own cache
        const model = await Model.load(dir, {
          device: opts.device ?? 'cpu',
          dtype: opts.dtype ?? 'float32',
          ...(opts.threads ? { threads: opts.threads } : {}),
        });
        return { model, tok };
      })();
      cache.set(dir, p);
      p.catch(() => cache.delete(dir));
    }
    return p;
  };
  // Counts calls in flight so that the idle release never disposes a model in use.
  const tracked = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = null;
    inFlight++;
    try {
      return await fn();
    } finally {
      inFlight--;
      if (inFlight === 0 && opts.idleMs !== undefined) {
        idleTimer = setTimeout(() => void release(), opts.idleMs);
        idleTimer.unref();
      }
    }
  };

  return {
    embed: (modelDir, texts) =>
      tracked(async () => {
        if (texts.length === 0) return [];
        const { model, tok } = await load(modelDir);
        const maxLen = model.config.maxPositionEmbeddings;
        const enc = await tok.encodeBatch(texts, { addSpecialTokens: false });
        const lists = enc.map((ids) => (ids.length === 0 ? [prefixTokenId(tok)] : ids.slice(0, maxLen)));
        const { data, dim } = await embedTokens(model, lists, { batchSize: opts.batchSize ?? 16 });
        return lists.map((_, i) => data.slice(i * dim, (i + 1) * dim)); // [N][H]
      }),
    avgLogLik: (modelDir, texts) =>
      tracked(() => {
        const key = createHash('sha256').update(path.resolve(modelDir)).update(JSON.stringify(texts)).digest('hex');
        let p = likelihoods.get(key);
        if (!p) {
          p = (async () => {
            const { model, tok } = await load(modelDir);
            const docs = texts.map((text, i) => ({ source: String(i), text }));
            const r = await computePerplexity(model, tok, docs, { batchSize: opts.batchSize ?? 8 });
            return { avgLogLik: r.tokens > 0 ? -r.nll / r.tokens : Number.NaN, tokens: r.tokens };
          })();
          likelihoods.set(key, p);
          p.catch(() => likelihoods.delete(key));
        }
        return p;
      }),
    sentenceEmbed: (encoderDir, texts) =>
      tracked(async () => {
        const dir = path.resolve(encoderDir);
        let p = encoders.get(dir);
        if (!p) {
          p = SentenceEncoder.load(dir, {
            device: opts.device ?? 'cpu',
            dtype: opts.dtype ?? 'float32',
            ...(opts.threads ? { threads: opts.threads } : {}),
          });
          encoders.set(dir, p);
          p.catch(() => encoders.delete(dir));
        }
        const enc = await p;
        const vectors = await enc.embed(texts);
        return {
          vectors,
          encoder: {
            dir,
            pooling: enc.modules.pooling,
            normalize: enc.modules.normalize,
            maxSeqLength: enc.maxSeqLength,
            dim: enc.dim,
            warnings: [...enc.warnings],
          },
        };
      }),
    dispose: async () => {
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = null;
      await release();
    },
  };
}

function notBuilt(what: string): never {
  throw new ResurfaceError(
    'ERR_INTERNAL',
    `${what} is not built yet: the native runtime has not registered it (lib/proxies/native-hooks.ts setNativeHooks)`,
  );
}

const unavailable: NativeHooks = {
  embed: async () => notBuilt('the native mean-pooled embedding'),
  avgLogLik: async () => notBuilt('native corpus log-likelihood scoring'),
};

const builtin = runtimeNativeHooks({ idleMs: 2000 });
let current: NativeHooks = builtin;

export function setNativeHooks(hooks: Partial<NativeHooks>): void {
  current = { ...current, ...hooks };
}

/** Unregister every hook: model-based proxies then fail with ERR_INTERNAL. */
export function resetNativeHooks(): void {
  current = unavailable;
}

/** Restore the built-in runtime hooks (device cpu). */
export function useRuntimeNativeHooks(): void {
  current = builtin;
}

/** The built-in sentence-encoder hook, for hook sets that do not bring their own. */
export function builtinSentenceEmbed(): NonNullable<NativeHooks['sentenceEmbed']> {
  return builtin.sentenceEmbed!;
}

export function nativeHooks(): NativeHooks {
  return current;
}

/**
 * Hooks for one unit of work (an experiment step): a private model cache on `opts.device`, released
 * by `dispose()`. When hooks other than the built-in ones are registered (setNativeHooks), those are
 * used as they are and `dispose()` does nothing.
 */
export function scopedNativeHooks(opts: RuntimeHookOptions = {}): DisposableNativeHooks {
  if (current !== builtin) {
    const registered = current;
    return {
      embed: (m, t) => registered.embed(m, t),
      avgLogLik: (m, t) => registered.avgLogLik(m, t),
      ...(registered.sentenceEmbed ? { sentenceEmbed: registered.sentenceEmbed.bind(registered) } : {}),
      dispose: async () => undefined,
    };
  }
  return runtimeNativeHooks(opts);
}
