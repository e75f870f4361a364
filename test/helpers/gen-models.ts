/**
 * Tiny models for the generation tests, built with initRandomModel from the vendored configs.
 *
 * - Weights are drawn with a larger std than HF's 0.02 (default 0.3) so the next-token
 *   distribution is far from uniform and greedy outputs vary from step to step.
 * - `vocabSize: 512` keeps the sampler cheap (a 50k-row softmax per step dominates otherwise). With
 *   `tokenizer: 'pythia'` the model still has the real Pythia tokenizer: its special token
 *   `<|endoftext|>` is id 0 (BOS = EOS), and ids < 512 decode to real text.
 * - `perturb`: biases ~ N(0, 0.1) and norm weights 1 + N(0, 0.1) (HF init leaves them 0 / 1), so
 *   every tensor matters for parity checks.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { f32BytesToFloat32, float32ToF32Bytes } from '../../lib/io/dtype-convert';
import { openWeights, readTensorData } from '../../lib/io/safetensors';
import { writeSafetensors } from '../../lib/io/safetensors-writer';
import type { HostTensor } from '../../lib/io/tensor-types';
import { hfTensorKinds } from '../../lib/model/architectures';
import { parseConfig } from '../../lib/model/config';
import { initRandomModel, NormalRng } from '../../lib/model/init-random';
import type { ShrinkOptions } from '../../lib/model/tiny';
import { readSharedConfig, sharedTokenizerDir, type SharedModel, type SharedTokenizer } from './shared';

type Json = Record<string, unknown>;

export interface GenModelOptions {
  base: SharedModel;
  dir: string;
  seed?: number;
  std?: number;
  /** Copy this vendored tokenizer into the model directory (default: none). */
  tokenizer?: SharedTokenizer;
  /** Edits of the vendored config before shrinking. */
  edit?: (c: Json) => void;
  shrink?: ShrinkOptions;
  perturb?: boolean;
}

/** Reads every F32 tensor of DIR/model.safetensors. */
export async function readF32Tensors(dir: string): Promise<Map<string, { shape: number[]; values: Float32Array }>> {
  const index = await openWeights(dir);
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const f of index.files) {
    for (const [name, e] of f.tensors) {
      if (e.dtype !== 'F32') throw new Error(`readF32Tensors: ${name} is ${e.dtype}`);
      out.set(name, { shape: e.shape, values: f32BytesToFloat32(await readTensorData(f, e)) });
    }
  }
  return out;
}

export async function writeF32Tensors(dir: string, tensors: Map<string, { shape: number[]; values: Float32Array }>): Promise<void> {
  const host: HostTensor[] = [...tensors].map(([name, t]) => ({ name, dtype: 'F32', shape: t.shape, data: float32ToF32Bytes(t.values) }));
  await writeSafetensors(path.join(dir, 'model.safetensors'), host, { format: 'pt' });
}

export async function buildGenModel(o: GenModelOptions): Promise<string> {
  const c = readSharedConfig(o.base);
  c.initializer_range = o.std ?? 0.3;
  o.edit?.(c);
  const seed = o.seed ?? 1;
  await initRandomModel({
    configJson: c,
    outDir: o.dir,
    seed,
    tiny: { maxPositionEmbeddings: 128, ...o.shrink },
    tokenizerDir: o.tokenizer ? sharedTokenizerDir(o.tokenizer) : undefined,
  });
  if (o.perturb) {
    const config = JSON.parse(fs.readFileSync(path.join(o.dir, 'config.json'), 'utf8')) as Json;
    const kinds = hfTensorKinds(parseConfig(config));
    const tensors = await readF32Tensors(o.dir);
    for (const [name, t] of tensors) {
      const kind = kinds.get(name);
      if (kind === 'bias' || kind === 'norm_bias') new NormalRng(seed + 1, name).fillNormal(t.values, 0, 0.1);
      if (kind === 'norm_weight') new NormalRng(seed + 1, name).fillNormal(t.values, 1, 0.1);
    }
    await writeF32Tensors(o.dir, tensors);
  }
  return o.dir;
}

/**
 * A copy of a model directory with config.json edited; generation_config.json (when present)
 * gets the edited bos/eos ids too, so every source of special tokens agrees.
 */
export function copyModelDir(src: string, dst: string, edit?: (c: Json) => void, skip: string[] = []): string {
  fs.mkdirSync(dst, { recursive: true });
  for (const f of fs.readdirSync(src)) {
    if (skip.includes(f)) continue;
    fs.copyFileSync(path.join(src, f), path.join(dst, f));
  }
  if (edit) {
    const c = JSON.parse(fs.readFileSync(path.join(dst, 'config.json'), 'utf8')) as Json;
    edit(c);
    fs.writeFileSync(path.join(dst, 'config.json'), JSON.stringify(c, null, 2));
    const genFile = path.join(dst, 'generation_config.json');
    if (fs.existsSync(genFile)) {
      const g = JSON.parse(fs.readFileSync(genFile, 'utf8')) as Json;
      for (const k of ['bos_token_id', 'eos_token_id']) if (k in c) g[k] = c[k];
      fs.writeFileSync(genFile, JSON.stringify(g, null, 2));
    }
  }
  return dst;
}
