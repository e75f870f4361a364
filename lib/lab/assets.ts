/**
 * The lab's shipped assets (the top-level `lab/` folder of the package):
 *
 *   lab/recipe.json                      the pretraining recipe (recipe.ts)
 *   lab/quick.yaml, lab/full.yaml        the self-training study as experiment files (presets)
 *   lab/world/                           the synthetic world (world.ts): tasks, extraction sets,
 *                                        pretraining corpora, world.json with each file's sha256
 *   lab/checkpoints/{a,b}-{small,large}  pretrained HF checkpoints (bfloat16) with tokenizers
 *   lab/checkpoints/SHA256SUMS           `sha256sum`-format sums of every checkpoint file
 *   lab/checkpoints/pretrain.json        what the pretraining measured (losses, times); not summed
 *
 * `verifyAssets` checks the sums and the world, so `resurface lab` never runs on damaged or
 * half-regenerated assets and never needs to pretrain.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ResurfaceError } from '../errors';

export const LAB_MODELS = ['a-small', 'a-large', 'a-alt', 'b-small', 'b-large'] as const;
export const PRESETS = ['quick', 'full'] as const;
export type Preset = (typeof PRESETS)[number];

/** The lab/ folder of this package (dist/lab/assets.js and lib/lab/assets.ts are both two levels down). */
export function defaultAssetsDir(): string {
  return path.resolve(__dirname, '..', '..', 'lab');
}

export function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function listFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, base));
    else if (e.isFile()) out.push(path.relative(base, p).split(path.sep).join('/'));
  }
  return out;
}

/** SHA256SUMS text (`<hex>  <path>` lines, as `sha256sum` writes) over every file of the model folders. */
export function checkpointSums(checkpointsDir: string, models: readonly string[] = LAB_MODELS): string {
  const lines: string[] = [];
  for (const m of models) for (const f of listFiles(path.join(checkpointsDir, m))) lines.push(`${sha256File(path.join(checkpointsDir, m, f))}  ${m}/${f}`);
  return lines.join('\n') + '\n';
}

export interface AssetProblem {
  file: string;
  problem: 'missing' | 'mismatch' | 'unlisted';
}

export interface AssetCheck {
  dir: string;
  ok: boolean;
  files: number;
  problems: AssetProblem[];
}

/** Checks lab/checkpoints against SHA256SUMS and lab/world against world.json. */
export function verifyAssets(dir: string): AssetCheck {
  const problems: AssetProblem[] = [];
  let files = 0;
  const ck = path.join(dir, 'checkpoints');
  const sumsFile = path.join(ck, 'SHA256SUMS');
  if (!fs.existsSync(sumsFile)) problems.push({ file: 'checkpoints/SHA256SUMS', problem: 'missing' });
  else {
    const listed = new Set<string>();
    for (const line of fs.readFileSync(sumsFile, 'utf8').split('\n')) {
      const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line.trim());
      if (!m) continue;
      const rel = m[2];
      listed.add(rel);
      files++;
      const p = path.join(ck, rel);
      if (!fs.existsSync(p)) problems.push({ file: `checkpoints/${rel}`, problem: 'missing' });
      else if (sha256File(p) !== m[1]) problems.push({ file: `checkpoints/${rel}`, problem: 'mismatch' });
    }
    for (const m of LAB_MODELS) {
      const d = path.join(ck, m);
      if (!fs.existsSync(d)) {
        if (![...listed].some((f) => f.startsWith(`${m}/`))) problems.push({ file: `checkpoints/${m}/`, problem: 'missing' });
        continue;
      }
      for (const f of listFiles(d)) if (!listed.has(`${m}/${f}`)) problems.push({ file: `checkpoints/${m}/${f}`, problem: 'unlisted' });
    }
  }
  const worldJson = path.join(dir, 'world', 'world.json');
  if (!fs.existsSync(worldJson)) problems.push({ file: 'world/world.json', problem: 'missing' });
  else {
    const manifest = JSON.parse(fs.readFileSync(worldJson, 'utf8')) as { files: Record<string, { sha256: string }> };
    for (const [rel, { sha256 }] of Object.entries(manifest.files)) {
      files++;
      const p = path.join(dir, 'world', rel);
      if (!fs.existsSync(p)) problems.push({ file: `world/${rel}`, problem: 'missing' });
      else if (sha256File(p) !== sha256) problems.push({ file: `world/${rel}`, problem: 'mismatch' });
    }
  }
  return { dir, ok: problems.length === 0, files, problems };
}

/** Throws a clear error that offers `lab pretrain` when the assets are damaged or missing. */
export function assertAssets(dir: string): AssetCheck {
  const check = verifyAssets(dir);
  if (!check.ok) {
    const shown = check.problems.slice(0, 4).map((p) => `${p.file} (${p.problem})`).join(', ');
    const more = check.problems.length > 4 ? ` and ${check.problems.length - 4} more` : '';
    const outArg = path.resolve(dir) === defaultAssetsDir() ? '' : ` --out ${dir}`;
    throw new ResurfaceError(
      'ERR_DATA',
      `the lab's pretrained checkpoints in ${dir} do not match their checksums: ${shown}${more}. ` +
        `Recreate them with \`npx resurface lab pretrain${outArg}\` (a few minutes on 2 cores; it rewrites checkpoints/ and SHA256SUMS).`,
      { dir, problems: check.problems },
    );
  }
  return check;
}

/** Total bytes under `dir`. */
export function folderBytes(dir: string): number {
  return listFiles(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
}
