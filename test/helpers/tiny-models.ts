/**
 * The one way the tests build a tiny model: initRandomModel from a vendored config, shrunk
 * (lib/model/tiny.ts keeps every architectural feature), optionally with a vendored tokenizer.
 *
 * - `makeTinyModel(model, dir)`: the family's own init, the model's real tokenizer.
 * - `buildGenModel(o)`, for the generation tests: weights drawn with a larger std than HF's 0.02
 *   (default 0.3) so the next-token distribution is far from uniform and greedy outputs vary from
 *   step to step, and 128 positions. `vocabSize: 512` (shrink) keeps the sampler cheap; with
 *   `tokenizer: 'pythia'` the model still has the real Pythia tokenizer (`<|endoftext|>` = 0).
 * - `perturb`: biases ~ N(0, 0.1) and norm weights 1 + N(0, 0.1) (HF init leaves them 0 / 1), so
 *   every tensor matters for parity checks (also `perturbNormsAndBiases` for a full-size model).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hfTensorKinds } from '../../lib/model/architectures';
import { parseConfig } from '../../lib/model/config';
import { initRandomModel, NormalRng } from '../../lib/model/init-random';
import type { ShrinkOptions } from '../../lib/model/tiny';
import { readSharedConfig, sharedTokenizerDir, tokenizerFor, type SharedModel, type SharedTokenizer } from './shared';
import { readTensors, writeTensors } from './tensors';

type Json = Record<string, unknown>;

export interface TinyModelOptions {
  base: SharedModel;
  dir: string;
  seed?: number;
  /** Weight std (initializer_range); default the config's own. */
  std?: number;
  /** Copy this vendored tokenizer into the model directory (default: none). */
  tokenizer?: SharedTokenizer;
  /** Edits of the vendored config before shrinking. */
  edit?: (c: Json) => void;
  shrink?: ShrinkOptions;
  perturb?: boolean;
}

export async function buildTinyModel(o: TinyModelOptions): Promise<string> {
  const c = readSharedConfig(o.base);
  if (o.std !== undefined) c.initializer_range = o.std;
  o.edit?.(c);
  const seed = o.seed ?? 1;
  await initRandomModel({
    configJson: c,
    outDir: o.dir,
    seed,
    tiny: { ...o.shrink },
    tokenizerDir: o.tokenizer ? sharedTokenizerDir(o.tokenizer) : undefined,
  });
  if (o.perturb) await perturbNormsAndBiases(o.dir, seed);
  return o.dir;
}

/** A tiny `model` in OUT_DIR/<model> with its real tokenizer. */
export async function makeTinyModel(model: SharedModel, outDir: string, seed = 1): Promise<string> {
  return buildTinyModel({ base: model, dir: path.join(outDir, model), seed, tokenizer: tokenizerFor(model) });
}

export type GenModelOptions = TinyModelOptions;

/** A tiny model for the generation tests: std 0.3 unless given, 128 positions. */
export async function buildGenModel(o: GenModelOptions): Promise<string> {
  return buildTinyModel({ ...o, std: o.std ?? 0.3, shrink: { maxPositionEmbeddings: 128, ...o.shrink } });
}

/** The generation parity tests' model: `arch.model` in ROOT/<arch.name>, norms and biases perturbed, a `vocabSize` vocabulary. */
export async function buildParityGenModel(
  root: string,
  arch: { name: string; model: Omit<GenModelOptions, 'dir'> },
  vocabSize: number,
): Promise<string> {
  return buildGenModel({ ...arch.model, dir: path.join(root, arch.name), perturb: true, shrink: { vocabSize, ...arch.model.shrink } });
}

/** Biases and norm biases ~ N(0, 0.1), norm weights 1 + N(0, 0.1), seeded by (seed + 1, name). */
export async function perturbNormsAndBiases(dir: string, seed: number): Promise<void> {
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Json;
  const kinds = hfTensorKinds(parseConfig(config));
  const tensors = await readTensors(dir);
  for (const [name, t] of tensors) {
    const kind = kinds.get(name);
    if (kind === 'bias' || kind === 'norm_bias') new NormalRng(seed + 1, name).fillNormal(t.values, 0, 0.1);
    if (kind === 'norm_weight') new NormalRng(seed + 1, name).fillNormal(t.values, 1, 0.1);
  }
  await writeTensors(dir, tensors);
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
