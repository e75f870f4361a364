/**
 * `resurface lab pretrain`: recreate the lab's model families from the recipe, with our own
 * tokenizer trainer, init-random and trainer:
 *
 *   world (world.ts) ─ corpora ─┬─ tokenizer A, B (train-tokenizer.ts)
 *                               └─ for each model: init-random(config + tokenizer) → train() float32
 *                                  → shipped copy in ship_dtype → checkpoints/<model>/
 *   checkpoints/SHA256SUMS, checkpoints/pretrain.json
 *
 * Work happens in a temporary folder (removed at the end); each finished checkpoint folder is
 * staged as checkpoints/.staging-<model>/ and renamed into place, so an interrupted run leaves old
 * or new folders, never half-written ones — and a mix of both fails verification until a run
 * completes and rewrites SHA256SUMS, which is the point of the sums.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ResurfaceError } from '../errors';
import { writeFileAtomic } from '../io/atomic';
import { bf16BytesToFloat32, f32BytesToFloat32, float32ToBf16Bytes, float32ToF16Bytes } from '../io/dtype-convert';
import { readTensorData } from '../io/safetensors';
import { openWeights } from '../io/safetensors-index';
import { writeSafetensors } from '../io/safetensors-writer';
import type { HostTensor } from '../io/tensor-types';
import { initRandomModel } from '../model/init-random';
import { train, type TrainProgress } from '../train';
import { checkpointSums, defaultAssetsDir, folderBytes, PRESETS } from './assets';
import { paddedVocab, readRecipe, type Recipe } from './recipe';
import { trainByteLevelTokenizer } from './train-tokenizer';
import { generateWorld, writeWorld } from './world';

export type PretrainEvent =
  | { event: 'world'; dir: string }
  | { event: 'tokenizer'; name: string; vocabSize: number }
  | { event: 'model-start'; name: string; parameters: number; vocabSize: number; steps: number }
  | { event: 'train'; name: string; progress: TrainProgress }
  | { event: 'model-done'; name: string; finalLoss: number | null; seconds: number; bytes: number }
  | { event: 'done'; seconds: number; bytes: number };

export interface PretrainOptions {
  /** Where the assets go (default: the package's lab/ folder). */
  out?: string;
  /** Recipe file (default OUT/recipe.json, else the package's lab/recipe.json). */
  recipe?: string;
  /** Only these models (their tokenizers are still trained); SHA256SUMS then covers what exists. */
  models?: string[];
  threads?: number;
  signal?: AbortSignal;
  onEvent?: (e: PretrainEvent) => void;
}

export interface PretrainModelSummary {
  architecture: string;
  parameters: number;
  vocab_size: number;
  tokenizer: string;
  corpus: string;
  steps: number;
  tokens_seen: number;
  final_loss: number | null;
  seconds: number;
  bytes: number;
}

export interface PretrainSummary {
  out: string;
  seconds: number;
  bytes: number;
  tokenizers: Record<string, { vocab_size: number }>;
  models: Record<string, PretrainModelSummary>;
}

/** float32 safetensors → `dtype` safetensors (the trainer writes float32; the repo ships 2-byte weights). */
async function convertWeights(srcDir: string, dstFile: string, dtype: 'bfloat16' | 'float16'): Promise<void> {
  const index = await openWeights(srcDir);
  const tensors: HostTensor[] = [];
  for (const [name, i] of [...index.location].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const file = index.files[i]!;
    const entry = file.tensors.get(name)!;
    const bytes = await readTensorData(file, entry);
    const values = entry.dtype === 'F32' ? f32BytesToFloat32(bytes) : entry.dtype === 'BF16' ? bf16BytesToFloat32(bytes) : null;
    if (!values) throw new ResurfaceError('ERR_SAFETENSORS_DTYPE', `${file.path}: ${name} is ${entry.dtype}; expected F32 from the trainer`);
    tensors.push({ name, dtype: dtype === 'bfloat16' ? 'BF16' : 'F16', shape: entry.shape, data: dtype === 'bfloat16' ? float32ToBf16Bytes(values) : float32ToF16Bytes(values) });
  }
  await writeSafetensors(dstFile, tensors, { format: 'pt' });
}

function resolveRecipePath(out: string, recipe?: string): string {
  if (recipe) return path.resolve(recipe);
  const local = path.join(out, 'recipe.json');
  return fs.existsSync(local) ? local : path.join(defaultAssetsDir(), 'recipe.json');
}

export async function pretrainLab(opts: PretrainOptions = {}): Promise<PretrainSummary> {
  const t0 = Date.now();
  const out = path.resolve(opts.out ?? defaultAssetsDir());
  const recipeFile = resolveRecipePath(out, opts.recipe);
  const recipe: Recipe = readRecipe(recipeFile);
  const wanted = opts.models ?? Object.keys(recipe.models);
  for (const m of wanted) if (!(m in recipe.models)) throw new ResurfaceError('ERR_INVALID_ARGUMENT', `lab pretrain: "${m}" is not a model of the recipe (have: ${Object.keys(recipe.models).join(', ')})`);

  fs.mkdirSync(out, { recursive: true });
  if (path.resolve(recipeFile) !== path.join(out, 'recipe.json')) fs.copyFileSync(recipeFile, path.join(out, 'recipe.json'));
  // A folder other than the package's own also gets the presets, so `lab --assets OUT` runs on it.
  for (const preset of PRESETS) {
    const src = path.join(defaultAssetsDir(), `${preset}.yaml`);
    const dst = path.join(out, `${preset}.yaml`);
    if (!fs.existsSync(dst) && fs.existsSync(src)) fs.copyFileSync(src, dst);
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'resurface-lab-pretrain-'));
  try {
    return await pretrainIn(work, out, recipeFile, recipe, wanted, opts, t0);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function pretrainIn(work: string, out: string, recipeFile: string, recipe: Recipe, wanted: string[], opts: PretrainOptions, t0: number): Promise<PretrainSummary> {
  const emit = opts.onEvent ?? (() => undefined);

  // The world: byte-identical for equal options, so rewriting the shipped copy changes nothing.
  const world = generateWorld(recipe.world);
  const worldDir = path.join(out, 'world');
  writeWorld(world, worldDir);
  emit({ event: 'world', dir: worldDir });

  const tokenizers: PretrainSummary['tokenizers'] = {};
  const tokDirs: Record<string, string> = {};
  for (const [name, t] of Object.entries(recipe.tokenizers)) {
    if (!wanted.some((m) => recipe.models[m]!.tokenizer === name)) continue;
    const dir = path.join(work, `tokenizer-${name}`);
    const r = await trainByteLevelTokenizer({ texts: world.corpora[t.corpus], outDir: dir, splitDigits: t.splitDigits, specialToken: t.specialToken });
    tokenizers[name] = { vocab_size: r.vocabSize };
    tokDirs[name] = dir;
    emit({ event: 'tokenizer', name, vocabSize: r.vocabSize });
  }

  const checkpoints = path.join(out, 'checkpoints');
  fs.mkdirSync(checkpoints, { recursive: true });
  const summaryFile = path.join(checkpoints, 'pretrain.json');
  let previous: Partial<PretrainSummary> = {};
  try {
    previous = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
  } catch {
    /* first run */
  }
  const models: Record<string, PretrainModelSummary> = {};
  for (const name of wanted) {
    if (opts.signal?.aborted) throw new ResurfaceError('ERR_ABORTED', 'lab pretrain: interrupted');
    const m = recipe.models[name]!;
    const tm = Date.now();
    const tok = recipe.tokenizers[m.tokenizer]!;
    const tokJson = JSON.parse(fs.readFileSync(path.join(tokDirs[m.tokenizer]!, 'tokenizer.json'), 'utf8')) as { added_tokens: Array<{ id: number; content: string }> };
    const specialId = tokJson.added_tokens.find((a) => a.content === tok.specialToken)!.id;
    const vocabSize = paddedVocab(tokenizers[m.tokenizer]!.vocab_size, recipe.vocab_multiple);
    const configJson = { ...m.config, vocab_size: vocabSize, bos_token_id: specialId, eos_token_id: specialId };
    const initDir = path.join(work, `init-${name}`);
    const init = await initRandomModel({ configJson, outDir: initDir, seed: m.init_seed, dtype: 'float32', tokenizerDir: tokDirs[m.tokenizer] });
    emit({ event: 'model-start', name, parameters: init.parameterCount, vocabSize, steps: m.train.maxSteps });
    const trainedDir = path.join(work, `trained-${name}`);
    const summary = await train({
      model: initDir,
      data: path.join(worldDir, 'corpora', `${m.corpus}.jsonl`),
      out: trainedDir,
      ...m.train,
      packing: 'concat',
      dtype: 'float32',
      ...(opts.threads ? { threads: opts.threads } : {}),
      signal: opts.signal,
      onProgress: (p) => emit({ event: 'train', name, progress: p }),
    });
    if (summary.aborted) throw new ResurfaceError('ERR_ABORTED', 'lab pretrain: interrupted');

    // The shipped folder: HF files only (no trainer state, metrics or checkpoints), 2-byte weights.
    const staged = path.join(checkpoints, `.staging-${name}`);
    fs.rmSync(staged, { recursive: true, force: true });
    fs.mkdirSync(staged, { recursive: true });
    const config = JSON.parse(fs.readFileSync(path.join(trainedDir, 'config.json'), 'utf8')) as Record<string, unknown>;
    if ('dtype' in config) config['dtype'] = recipe.ship_dtype;
    config['torch_dtype'] = recipe.ship_dtype;
    await writeFileAtomic(path.join(staged, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
    for (const f of ['generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(trainedDir, f), path.join(staged, f));
    await convertWeights(trainedDir, path.join(staged, 'model.safetensors'), recipe.ship_dtype);
    const dest = path.join(checkpoints, name);
    fs.rmSync(dest, { recursive: true, force: true });
    fs.renameSync(staged, dest);
    const bytes = folderBytes(dest);
    models[name] = {
      architecture: String((m.config.architectures as string[] | undefined)?.[0] ?? m.config.model_type),
      parameters: init.parameterCount,
      vocab_size: vocabSize,
      tokenizer: m.tokenizer,
      corpus: m.corpus,
      steps: summary.steps,
      tokens_seen: summary.tokensSeen,
      final_loss: summary.finalLoss,
      seconds: (Date.now() - tm) / 1000,
      bytes,
    };
    emit({ event: 'model-done', name, finalLoss: summary.finalLoss, seconds: models[name]!.seconds, bytes });
  }

  const present = Object.keys(recipe.models).filter((n) => fs.existsSync(path.join(checkpoints, n, 'config.json')));
  await writeFileAtomic(path.join(checkpoints, 'SHA256SUMS'), checkpointSums(checkpoints, present));
  const result: PretrainSummary = {
    out,
    seconds: (Date.now() - t0) / 1000,
    bytes: present.reduce((n, m) => n + folderBytes(path.join(checkpoints, m)), 0),
    // earlier runs' entries for what this recipe still declares (a model or tokenizer it dropped is gone)
    tokenizers: Object.fromEntries(Object.entries({ ...(previous.tokenizers ?? {}), ...tokenizers }).filter(([t]) => t in recipe.tokenizers)),
    models: Object.fromEntries(Object.entries({ ...(previous.models ?? {}), ...models }).filter(([m]) => m in recipe.models)),
  };
  const { out: _o, ...recorded } = result;
  void _o;
  await writeFileAtomic(summaryFile, `${JSON.stringify({ recipe: path.basename(recipeFile), ...recorded }, null, 1)}\n`);
  emit({ event: 'done', seconds: result.seconds, bytes: result.bytes });
  return result;
}
