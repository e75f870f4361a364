/** Content addresses: canonical JSON → sha256, and cheap fingerprints of models and data files. */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** JSON with object keys sorted at every level, so equal values hash equally. */
export function stableStringify(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

export function hashValue(value: unknown): string {
  return sha256(stableStringify(value));
}

/** sha256 of a file's bytes, or a marker naming the path when it does not exist (dry runs). */
export function fileFingerprint(file: string): string {
  try {
    return sha256(fs.readFileSync(file));
  } catch {
    return `missing:${file}`;
  }
}

const fingerprintCache = new Map<string, string>();

/**
 * Fingerprint of a model directory without reading its weights: config.json and tokenizer.json
 * content plus the names and sizes of the weight files. Rewriting weights in place with identical
 * sizes is not detected; give such a model a new directory.
 */
export function modelFingerprint(dir: string): string {
  const cached = fingerprintCache.get(dir);
  if (cached) return cached;
  if (!fs.existsSync(path.join(dir, 'config.json'))) return `missing:${dir}`;
  const weights = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.safetensors') || f === 'model.safetensors.index.json')
    .sort()
    .map((f) => [f, fs.statSync(path.join(dir, f)).size]);
  const fp = hashValue({
    config: fileFingerprint(path.join(dir, 'config.json')),
    tokenizer: fileFingerprint(path.join(dir, 'tokenizer.json')),
    weights,
  });
  fingerprintCache.set(dir, fp);
  return fp;
}

/** Our package version; part of every step's address so a new release does not reuse old outputs blindly. */
export function softwareVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, rel), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'resurface' && pkg.version) return pkg.version;
    } catch {
      /* try the next location */
    }
  }
  return '0.0.0-unknown';
}
