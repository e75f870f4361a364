/**
 * The proxies that need a model forward pass (embedding cosine, average log-likelihood) reach the
 * native runtime only through these two functions, so the proxy code stays testable without it.
 *
 * INTEGRATION POINT: the native runtime registers real implementations with `setNativeHooks`
 * (e.g. in lib/index.ts or the evaluate module, once mean-pooled embeddings and corpus scoring
 * exist). Until then every call fails with a clear ERR_INTERNAL "not built yet".
 */
import { ResurfaceError } from '../errors';

export interface NativeHooks {
  /** Mean-pooled last hidden states of each text under the model in `modelDir`: one vector per text. */
  embed(modelDir: string, texts: string[]): Promise<Float32Array[]>;
  /** Average per-token log-likelihood (natural log) of `texts` under the model in `modelDir`, pooled over all tokens. */
  avgLogLik(modelDir: string, texts: string[]): Promise<{ avgLogLik: number; tokens: number }>;
}

function notBuilt(what: string): never {
  throw new ResurfaceError('ERR_INTERNAL', `${what} is not built yet: the native runtime has not registered it (lib/proxies/native-hooks.ts setNativeHooks)`);
}

const unavailable: NativeHooks = {
  embed: async () => notBuilt('the native mean-pooled embedding'),
  avgLogLik: async () => notBuilt('native corpus log-likelihood scoring'),
};

let current: NativeHooks = unavailable;

export function setNativeHooks(hooks: Partial<NativeHooks>): void {
  current = { ...current, ...hooks };
}

export function resetNativeHooks(): void {
  current = unavailable;
}

export function nativeHooks(): NativeHooks {
  return current;
}
