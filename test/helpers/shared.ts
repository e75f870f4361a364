/**
 * Paths to the shared, read-only fixtures (real HF config.json files and tokenizers) and small
 * helpers around them. The shared directory is `../shared` next to the repository root, or
 * $RESURFACE_SHARED when set.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export function sharedDir(): string {
  return process.env.RESURFACE_SHARED ? path.resolve(process.env.RESURFACE_SHARED) : path.resolve(REPO_ROOT, '..', 'shared');
}

/** Hub ids of the vendored configs, as directory names (`/` → `--`). */
export const SHARED_MODELS = [
  'EleutherAI--pythia-70m',
  'EleutherAI--pythia-160m',
  'EleutherAI--pythia-410m',
  'EleutherAI--pythia-1b',
  'Qwen--Qwen2.5-0.5B',
  'Qwen--Qwen2.5-1.5B',
  'Qwen--Qwen3-0.6B',
  'meta-llama--Llama-3.2-1B',
] as const;
export type SharedModel = (typeof SHARED_MODELS)[number];

export function sharedConfigDir(model: SharedModel): string {
  return path.join(sharedDir(), 'configs', model);
}

/** A fresh parsed copy of a vendored config.json. */
export function readSharedConfig(model: SharedModel): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(sharedConfigDir(model), 'config.json'), 'utf8')) as Record<string, unknown>;
}

export type SharedTokenizer = 'pythia' | 'llama3' | 'qwen3';

export function sharedTokenizerDir(name: SharedTokenizer): string {
  return path.join(sharedDir(), 'tokenizers', name);
}

/** The vendored tokenizer that belongs to a model. */
export function tokenizerFor(model: SharedModel): SharedTokenizer {
  if (model.startsWith('EleutherAI')) return 'pythia';
  if (model.startsWith('meta-llama')) return 'llama3';
  return 'qwen3';
}

/** A new empty temporary directory; remove it with `removeTmpDir`. */
export function makeTmpDir(prefix = 'resurface-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeTmpDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * A model directory built from a vendored config and tokenizer (copied, so tests may add
 * generation_config.json etc.).
 */
export function makeModelDir(model: SharedModel, extra: Record<string, unknown> = {}): string {
  const dir = makeTmpDir();
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(readSharedConfig(model), null, 2));
  const tokDir = sharedTokenizerDir(tokenizerFor(model));
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
    if (fs.existsSync(path.join(tokDir, f))) fs.copyFileSync(path.join(tokDir, f), path.join(dir, f));
  }
  for (const [name, json] of Object.entries(extra)) fs.writeFileSync(path.join(dir, name), JSON.stringify(json));
  return dir;
}

/** Writes `lines` as a JSON-lines file (strings as they are, so tests can write broken lines); returns `file`. */
export function writeJsonLines(file: string, lines: unknown[]): string {
  fs.writeFileSync(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return file;
}

/** The error `fn` throws (a test failure when it throws none). */
export function thrownBy(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('expected an error');
}
