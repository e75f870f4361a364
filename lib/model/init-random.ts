/**
 * Write a randomly initialised Hugging Face model directory (config.json, model.safetensors,
 * generation_config.json, tokenizer files) that transformers loads unchanged.
 *
 * Initialisation follows transformers' `_init_weights` for these families: Linear and Embedding
 * weights ~ Normal(0, initializer_range), biases 0, norm weights 1, norm biases 0; Llama/Qwen
 * embeddings zero the `pad_token_id` row (nn.Embedding padding_idx).
 *
 * Randomness is our own, seeded and deterministic (not torch's stream): every HF tensor gets an
 * independent xoshiro128** generator seeded from (seed, tensor name), so a tensor's values do not
 * depend on which other tensors exist or on their order.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { ArgumentError, ResurfaceError } from '../errors';
import { writeFileAtomic } from '../io/atomic';
import { float32ToBf16Bytes, float32ToF16Bytes, float32ToF32Bytes } from '../io/dtype-convert';
import { writeSafetensors } from '../io/safetensors-writer';
import type { HostTensor, SafetensorsDtype } from '../io/tensor-types';
import type { ArchSpec } from './arch-spec';
import { parameterCount, weightPlan } from './architectures';
import { parseConfig } from './config';
import { shrinkConfig, shrinkOptionsSchema } from './tiny';
import { ensureDir } from '../io/ensure-dir';
import { rotl, Xoshiro128 } from '../util/xoshiro128';

// ---------------------------------------------------------------------------------------------
// PRNG: xoshiro128** (32-bit ops only, fast in JS) seeded through a murmur3-style mixer.

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over the UTF-16 code units of `s`. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Deterministic normal sampler. `seed` is a non-negative safe integer; `stream` names the tensor. */
export class NormalRng extends Xoshiro128 {
  constructor(seed: number, stream = '') {
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 2 ** 32) >>> 0;
    const h = fnv1a(stream);
    super(
      fmix32(lo ^ 0x9e3779b9),
      fmix32(hi ^ fmix32(h) ^ 0x7f4a7c15),
      fmix32(h ^ 0x243f6a88 ^ Math.imul(lo, 0x2545f491)),
      fmix32(fmix32(lo + h) ^ hi ^ 0xb7e15162),
    );
    for (let i = 0; i < 8; i++) this.nextU32(); // decorrelate nearby seeds
  }

  /**
   * Fill `out` with Normal(mean, std) samples: Marsaglia's polar method (Box–Muller without
   * sin/cos; both outputs of each accepted pair are used).
   */
  fillNormal(out: Float32Array, mean = 0, std = 1): Float32Array {
    // Same stream as nextU32(), inlined on locals: this loop fills ~10^8 values for a full-size model.
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    const n = out.length;
    let i = 0;
    while (i < n) {
      let r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
      let t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
      const u = r * 4.656612873077393e-10 - 1; // uniform in [-1, 1): r · 2^-31 - 1
      r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
      t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
      const v = r * 4.656612873077393e-10 - 1;
      // Keep points strictly inside the unit circle (accepted with probability pi/4).
      const q = u * u + v * v;
      if (q >= 1 || q === 0) continue;
      const f = std * Math.sqrt((-2 * Math.log(q)) / q);
      out[i++] = mean + u * f;
      if (i < n) out[i++] = mean + v * f;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
    return out;
  }
}

// ---------------------------------------------------------------------------------------------

export type InitDtype = 'float32' | 'bfloat16' | 'float16';

const SAFETENSORS_DTYPE: Record<InitDtype, SafetensorsDtype> = { float32: 'F32', bfloat16: 'BF16', float16: 'F16' };

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'] as const;

export const initRandomOptionsSchema = z.strictObject({
  /** A parsed config.json (transformers 4 or 5 style). */
  configJson: z.record(z.string(), z.unknown()),
  outDir: z.string().min(1),
  seed: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  dtype: z.enum(['float32', 'bfloat16', 'float16']).default('float32'),
  /** true: shrink with default options; an object: shrink with these options; false: full size. */
  tiny: z.union([z.boolean(), shrinkOptionsSchema]).default(false),
  /** Copy tokenizer.json, tokenizer_config.json and special_tokens_map.json (when present) from here. */
  tokenizerDir: z.string().min(1).optional(),
});
export type InitRandomOptions = z.input<typeof initRandomOptionsSchema>;

export interface InitRandomResult {
  outDir: string;
  spec: ArchSpec;
  /** The config.json written. */
  config: Record<string, unknown>;
  parameterCount: number;
  /** Files written, relative to outDir. */
  files: string[];
}

/** Values of one HF tensor, as transformers' `_init_weights` would set them (in distribution). */
export function initTensorValues(spec: ArchSpec, name: string, kind: string, shape: number[], seed: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  switch (kind) {
    case 'embedding':
    case 'linear_weight':
      new NormalRng(seed, name).fillNormal(out, 0, spec.initializerRange);
      if (kind === 'embedding' && spec.family !== 'gpt_neox' && spec.padTokenId !== null && spec.padTokenId < spec.vocabSize) {
        const cols = shape[1]!;
        out.fill(0, spec.padTokenId * cols, (spec.padTokenId + 1) * cols);
      }
      break;
    case 'norm_weight':
      out.fill(1);
      break;
    case 'bias':
    case 'norm_bias':
      break; // zeros
    default:
      throw new Error(`internal: unknown parameter kind ${kind}`);
  }
  return out;
}

function toBytes(values: Float32Array, dtype: InitDtype): Uint8Array {
  if (dtype === 'bfloat16') return float32ToBf16Bytes(values);
  if (dtype === 'float16') return float32ToF16Bytes(values);
  return float32ToF32Bytes(values);
}

/** transformers' GenerationConfig.from_model_config: the special token ids of the model config. */
function generationConfigFor(config: Record<string, unknown>): Record<string, unknown> {
  const g: Record<string, unknown> = { _from_model_config: true };
  for (const k of ['bos_token_id', 'eos_token_id', 'pad_token_id'] as const) {
    if (config[k] !== undefined && config[k] !== null) g[k] = config[k];
  }
  if (typeof config['transformers_version'] === 'string') g['transformers_version'] = config['transformers_version'];
  return g;
}

/** Create `outDir` holding a freshly initialised model. Overwrites the files it writes. */
export async function initRandomModel(options: InitRandomOptions): Promise<InitRandomResult> {
  const parsed = initRandomOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ArgumentError(`initRandomModel: ${issue.path.join('.') || 'options'}: ${issue.message}`, { field: issue.path.join('.') });
  }
  const o = parsed.data;
  parseConfig(o.configJson); // fail on an unsupported config before shrinking or writing anything
  const config = o.tiny === false ? structuredClone(o.configJson) : shrinkConfig(o.configJson, o.tiny === true ? {} : o.tiny);
  // transformers 5 writes `dtype`, 4 writes `torch_dtype`: update whichever the config uses (both if both).
  if ('dtype' in config) config['dtype'] = o.dtype;
  if ('torch_dtype' in config || !('dtype' in config)) config['torch_dtype'] = o.dtype;
  const spec = parseConfig(config);

  const tokenizerFiles: string[] = [];
  if (o.tokenizerDir !== undefined) {
    for (const f of TOKENIZER_FILES) {
      try {
        await fsp.access(path.join(o.tokenizerDir, f));
        tokenizerFiles.push(f);
      } catch {
        if (f === 'tokenizer.json') {
          throw new ResurfaceError('ERR_TOKENIZER', `${path.join(o.tokenizerDir, f)} not found`, { path: path.join(o.tokenizerDir, f) });
        }
      }
    }
  }

  ensureDir(o.outDir);
  const tensors: HostTensor[] = [];
  for (const slot of weightPlan(spec).slots) {
    slot.sources.forEach((name, i) => {
      const shape = slot.sourceShapes[i]!;
      const values = initTensorValues(spec, name, slot.kind, shape, o.seed);
      tensors.push({ name, dtype: SAFETENSORS_DTYPE[o.dtype], shape, data: toBytes(values, o.dtype) });
    });
  }
  // transformers refuses safetensors files whose metadata lacks format=pt.
  await writeSafetensors(path.join(o.outDir, 'model.safetensors'), tensors, {
    format: 'pt',
    'resurface.init': `normal(0,${spec.initializerRange}) seed=${o.seed}`,
  });
  await writeFileAtomic(path.join(o.outDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  await writeFileAtomic(path.join(o.outDir, 'generation_config.json'), `${JSON.stringify(generationConfigFor(config), null, 2)}\n`);
  for (const f of tokenizerFiles) {
    await writeFileAtomic(path.join(o.outDir, f), await fsp.readFile(path.join(o.tokenizerDir!, f)));
  }
  return {
    outDir: o.outDir,
    spec,
    config,
    parameterCount: parameterCount(spec),
    files: ['config.json', 'generation_config.json', 'model.safetensors', ...tokenizerFiles],
  };
}
