/**
 * A loaded causal LM: Hugging Face directory in, native libtorch decoder behind it.
 *
 *   const model = await Model.load('models/pythia-70m', { dtype: 'float32' });
 *   const { logits, shape } = await model.forward([[0, 17, 42]]);   // shape [B, T, V]
 *   model.dispose();
 *
 * Sampling lives in lib/generate (`generate(model, options)`): the model layer knows no workflow.
 */
import * as path from 'node:path';
import type { ArchSpec } from './arch-spec';
import { padBatch, type TokenBatch } from './batch';
import { readConfigJson, parseConfig } from './config';
import { buildLoadPlan } from './load-plan';
import { parseLoadOptions, type LoadOptions, type ResolvedLoadOptions } from './options';
import { chooseDtype } from './resolve-dtype';
import { fromNative, ResurfaceError } from '../errors';
import { openWeights } from '../io/safetensors-index';
import { loadNative } from '../native/loader';
import type { NativeModel, NativeModelInfo } from '../native/types';

export interface ForwardResult {
  /** Row-major [B, T, V] float32; positions beyond a row's length are zero. */
  logits: Float32Array;
  shape: [number, number, number];
}

export class Model {
  readonly dir: string;
  /** Normalised architecture. */
  readonly config: ArchSpec;
  /** config.json as found on disk. */
  readonly rawConfig: Record<string, unknown>;
  readonly options: ResolvedLoadOptions;
  private native: NativeModel | null;

  private constructor(
    dir: string,
    config: ArchSpec,
    rawConfig: Record<string, unknown>,
    options: ResolvedLoadOptions,
    native: NativeModel,
  ) {
    this.dir = dir;
    this.config = config;
    this.rawConfig = rawConfig;
    this.options = options;
    this.native = native;
  }

  static async load(dir: string, options: LoadOptions = {}): Promise<Model> {
    const parsed = parseLoadOptions(options);
    const modelDir = path.resolve(dir);
    const rawConfig = readConfigJson(modelDir);
    const config = parseConfig(rawConfig, path.join(modelDir, 'config.json'));
    const index = await openWeights(modelDir);
    const plan = buildLoadPlan(config, index, modelDir, parsed.checkFinite);
    const dtypeChoice = chooseDtype(parsed.dtype, parsed.device, config.checkpointDtype, plan);
    const resolved: ResolvedLoadOptions = { ...parsed, dtype: dtypeChoice.dtype, dtypeChoice };
    const addon = loadNative();
    const native = new addon.NativeModel();
    try {
      await native.load({ arch: config, plan, device: resolved.device, dtype: resolved.dtype, threads: resolved.threads });
    } catch (err) {
      throw fromNative(err);
    }
    return new Model(modelDir, config, rawConfig, resolved, native);
  }

  /** The native handle, for the generation / training / scoring modules. Throws once disposed. */
  nativeHandle(): NativeModel {
    if (!this.native) throw new ResurfaceError('ERR_DISPOSED', `model ${this.dir} has been disposed`);
    return this.native;
  }

  get disposed(): boolean {
    return this.native === null;
  }

  /**
   * Logits for a batch of token id lists (unequal lengths are right-padded; causal attention means
   * padding never influences real positions).
   */
  async forward(batch: TokenBatch): Promise<ForwardResult> {
    const native = this.nativeHandle();
    const { ids, lengths, B, T } = padBatch(batch, this.config.vocabSize);
    try {
      const logits = await native.forward(ids, lengths, T);
      return { logits, shape: [B, T, this.config.vocabSize] };
    } catch (err) {
      throw fromNative(err);
    }
  }

  info(): NativeModelInfo {
    return this.nativeHandle().info();
  }

  dispose(): void {
    if (this.native) {
      this.native.dispose();
      this.native = null;
    }
  }
}
