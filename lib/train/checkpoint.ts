/**
 * Checkpoints: `OUT/checkpoint-STEP/` is a Hugging Face model directory (config.json,
 * model.safetensors, generation_config.json, tokenizer files) plus
 *   trainer_state.json     step, settings, schedule, data position, RNG note, elapsed time
 *   optimizer.safetensors  exp_avg.NAME / exp_avg_sq.NAME (and master.NAME for bf16), float32;
 *                          per-parameter AdamW step counts in the metadata
 * A checkpoint is assembled in a hidden temp directory and renamed into place, so a directory
 * named checkpoint-STEP is always complete. The final model is written file by file (each atomic)
 * into OUT itself.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ResurfaceError } from '../errors';
import { asIoError, fsyncDir, writeFileAtomic } from '../io/atomic';
import { readSafetensorsHeader } from '../io/safetensors';
import { writeSafetensors } from '../io/safetensors-writer';
import type { HostTensor } from '../io/tensor-types';
import type { NativeExportedTensor, NativeParamState } from '../native/types';

export const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.json',
  'merges.txt',
  'tokenizer.model',
  'added_tokens.json',
];
const CHECKPOINT_RE = /^checkpoint-(\d+)$/;

export interface TrainerStateFile {
  format: 'resurface-trainer-state';
  version: 1;
  step: number;
  totalSteps: number;
  final: boolean;
  settings: Record<string, unknown>;
  schedule: { name: string; baseLr: number; warmupSteps: number; totalSteps: number; nextLr: number };
  /** Rows consumed so far (the data order is a function of seed and epoch; see shuffle.ts). */
  data: { rowsConsumed: number; numRows: number; epoch: number; indexInEpoch: number };
  /** No training randomness besides the seeded data order: there is no generator state to keep. */
  rng: { kind: 'seeded-data-order'; seed: number };
  elapsedSec: number;
  tokensSeen: number;
  lastLoss: number | null;
  sourceModel: string;
}

export interface ModelFiles {
  /** config.json text of the source model. */
  configText: string;
  /** generation_config.json text (copied, or derived from config.json). */
  generationConfigText: string;
  /** Tokenizer file name -> bytes. */
  tokenizer: Map<string, Buffer>;
}

export function readModelFiles(modelDir: string): ModelFiles {
  const configText = fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8');
  const genPath = path.join(modelDir, 'generation_config.json');
  let generationConfigText: string;
  if (fs.existsSync(genPath)) generationConfigText = fs.readFileSync(genPath, 'utf8');
  else {
    const c = JSON.parse(configText) as Record<string, unknown>;
    const g: Record<string, unknown> = { _from_model_config: true };
    for (const k of ['bos_token_id', 'eos_token_id', 'pad_token_id']) if (c[k] !== undefined && c[k] !== null) g[k] = c[k];
    generationConfigText = `${JSON.stringify(g, null, 2)}\n`;
  }
  const tokenizer = new Map<string, Buffer>();
  for (const f of TOKENIZER_FILES) {
    const p = path.join(modelDir, f);
    if (fs.existsSync(p)) tokenizer.set(f, fs.readFileSync(p));
  }
  return { configText, generationConfigText, tokenizer };
}

function weightTensors(w: NativeExportedTensor[]): HostTensor[] {
  return w.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, data: t.data }));
}

function f32Bytes(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function optimizerTensors(states: NativeParamState[]): { tensors: HostTensor[]; steps: Record<string, number> } {
  const tensors: HostTensor[] = [];
  const steps: Record<string, number> = {};
  for (const s of states) {
    steps[s.name] = s.step;
    if (s.expAvg) tensors.push({ name: `exp_avg.${s.name}`, dtype: 'F32', shape: s.shape, data: f32Bytes(s.expAvg) });
    if (s.expAvgSq) tensors.push({ name: `exp_avg_sq.${s.name}`, dtype: 'F32', shape: s.shape, data: f32Bytes(s.expAvgSq) });
    if (s.master) tensors.push({ name: `master.${s.name}`, dtype: 'F32', shape: s.shape, data: f32Bytes(s.master) });
  }
  return { tensors, steps };
}

/** Write the Hugging Face files of a model into `dir` (each file atomic). */
async function writeModelDir(dir: string, files: ModelFiles, weights: NativeExportedTensor[]): Promise<void> {
  await writeSafetensors(path.join(dir, 'model.safetensors'), weightTensors(weights), { format: 'pt' });
  await writeFileAtomic(path.join(dir, 'config.json'), files.configText);
  await writeFileAtomic(path.join(dir, 'generation_config.json'), files.generationConfigText);
  for (const [f, bytes] of files.tokenizer) await writeFileAtomic(path.join(dir, f), bytes);
}

/** Fills a temporary sibling of outDir/name and renames it into place (replacing an older one): a checkpoint is whole or absent. */
async function writeDirAtomically(outDir: string, name: string, fill: (dir: string) => Promise<void>): Promise<string> {
  const final = path.join(outDir, name);
  const tmp = path.join(outDir, `.${name}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await fsp.mkdir(tmp, { recursive: true });
    await fill(tmp);
    if (fs.existsSync(final)) await fsp.rm(final, { recursive: true, force: true });
    await fsp.rename(tmp, final);
    await fsyncDir(outDir);
  } catch (err) {
    await fsp.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw asIoError(err, `cannot write checkpoint ${final}`, final);
  }
  return final;
}

export async function writeCheckpoint(
  outDir: string,
  step: number,
  files: ModelFiles,
  weights: NativeExportedTensor[],
  states: NativeParamState[],
  state: TrainerStateFile,
): Promise<string> {
  return writeDirAtomically(outDir, `checkpoint-${step}`, async (tmp) => {
    await writeModelDir(tmp, files, weights);
    const opt = optimizerTensors(states);
    await writeSafetensors(path.join(tmp, 'optimizer.safetensors'), opt.tensors, {
      format: 'resurface-adamw',
      steps: JSON.stringify(opt.steps),
    });
    await writeFileAtomic(path.join(tmp, 'trainer_state.json'), `${JSON.stringify(state, null, 2)}\n`);
  });
}

/**
 * `--save-every-epoch`: the model after epoch N in out/checkpoint-epoch-N/ (Hugging Face layout plus
 * its trainer_state.json; no optimizer state, since these are for evaluation, not resuming). Not
 * matched by listCheckpoints, so never pruned. Written to a temp directory and renamed into place.
 */
export const EPOCH_CHECKPOINT_RE = /^checkpoint-epoch-(\d+)$/;

export async function writeEpochCheckpoint(
  outDir: string,
  epoch: number,
  files: ModelFiles,
  weights: NativeExportedTensor[],
  state: TrainerStateFile,
): Promise<string> {
  return writeDirAtomically(outDir, `checkpoint-epoch-${epoch}`, async (tmp) => {
    await writeModelDir(tmp, files, weights);
    await writeFileAtomic(path.join(tmp, 'trainer_state.json'), `${JSON.stringify({ ...state, epoch }, null, 2)}\n`);
  });
}

/** Epoch checkpoints of a run directory, in epoch order. */
export function listEpochCheckpoints(outDir: string): { epoch: number; dir: string }[] {
  if (!fs.existsSync(outDir)) return [];
  return fs
    .readdirSync(outDir)
    .map((f) => ({ m: EPOCH_CHECKPOINT_RE.exec(f), f }))
    .filter((e) => e.m && fs.existsSync(path.join(outDir, e.f, 'config.json')))
    .map((e) => ({ epoch: Number(e.m![1]), dir: path.join(outDir, e.f) }))
    .sort((a, b) => a.epoch - b.epoch);
}

/** Write the final model into `outDir` itself, with its trainer state. */
export async function writeFinal(
  outDir: string,
  files: ModelFiles,
  weights: NativeExportedTensor[],
  state: TrainerStateFile,
): Promise<void> {
  await writeModelDir(outDir, files, weights);
  await writeFileAtomic(path.join(outDir, 'trainer_state.json'), `${JSON.stringify(state, null, 2)}\n`);
}

/** Complete checkpoints in `outDir`, oldest first. */
export function listCheckpoints(outDir: string): { step: number; dir: string }[] {
  if (!fs.existsSync(outDir)) return [];
  return fs
    .readdirSync(outDir)
    .map((f) => ({ m: CHECKPOINT_RE.exec(f), f }))
    .filter((e) => e.m && fs.existsSync(path.join(outDir, e.f, 'trainer_state.json')))
    .map((e) => ({ step: Number(e.m![1]), dir: path.join(outDir, e.f) }))
    .sort((a, b) => a.step - b.step);
}

/** Remove all but the newest `keep` checkpoints, and stale temp directories of dead writers. */
export async function pruneCheckpoints(outDir: string, keep: number): Promise<void> {
  const all = listCheckpoints(outDir);
  for (const c of all.slice(0, Math.max(0, all.length - keep))) await fsp.rm(c.dir, { recursive: true, force: true });
  for (const f of fs.readdirSync(outDir)) {
    if (/^\.checkpoint-(epoch-)?\d+\.tmp-/.test(f)) await fsp.rm(path.join(outDir, f), { recursive: true, force: true });
  }
}

export function readTrainerState(dir: string): TrainerStateFile {
  const p = path.join(dir, 'trainer_state.json');
  try {
    const s = JSON.parse(fs.readFileSync(p, 'utf8')) as TrainerStateFile;
    if (s.format !== 'resurface-trainer-state') throw new Error('not a resurface trainer state');
    return s;
  } catch (err) {
    throw new ResurfaceError('ERR_RESUME_MISMATCH', `${p}: cannot read the trainer state: ${(err as Error).message}`, { path: p });
  }
}

/** Optimizer state of a checkpoint, in the addon's form. */
export async function readOptimizerState(dir: string, shapes: Map<string, number[]>): Promise<NativeParamState[]> {
  const file = path.join(dir, 'optimizer.safetensors');
  const st = await readSafetensorsHeader(file);
  const steps = JSON.parse(st.metadata['steps'] ?? '{}') as Record<string, number>;
  const fd = fs.openSync(file, 'r');
  try {
    const read = (name: string): Float32Array | undefined => {
      const e = st.tensors.get(name);
      if (!e) return undefined;
      const buf = Buffer.alloc(e.end - e.begin);
      fs.readSync(fd, buf, 0, buf.length, e.begin);
      return new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
    };
    const out: NativeParamState[] = [];
    for (const [name, shape] of shapes) {
      const s: NativeParamState = { name, shape, step: steps[name] ?? 0 };
      const a = read(`exp_avg.${name}`);
      const b = read(`exp_avg_sq.${name}`);
      const m = read(`master.${name}`);
      if (a) s.expAvg = a;
      if (b) s.expAvgSq = b;
      if (m) s.master = m;
      out.push(s);
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}
