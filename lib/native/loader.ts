/**
 * Loads the compiled addon once. When it is missing or cannot be loaded (libtorch absent, ABI
 * mismatch), the error says what to install or run instead of a bare dlopen trace.
 */
import * as path from 'node:path';
import { ResurfaceError } from '../errors';
import type { NativeAddon } from './types';

let cached: NativeAddon | null = null;

export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');

/**
 * libgomp reads its settings once, when the addon pulls it in. Unless the user chose otherwise,
 * idle OpenMP threads sleep instead of spinning: native calls run on several libuv worker threads,
 * each with its own OpenMP team, and spinning teams steal the cores the active one needs (decoding
 * measured 10-25% faster on an idle 2-core machine, several times faster on a loaded one).
 */
export function defaultOpenMpEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  if (env.OMP_WAIT_POLICY === undefined && env.GOMP_SPINCOUNT === undefined) env.OMP_WAIT_POLICY = 'PASSIVE';
}

/**
 * RESURFACE_NATIVE_ADDON names one compiled addon file to load instead of the default build, e.g. a
 * build against another libtorch (scripts/libtorch-variant.js builds them under .cache/variants/).
 */
export const ADDON_OVERRIDE_ENV = 'RESURFACE_NATIVE_ADDON';

let loadedFrom: string | null = null;

/** The file the addon was loaded from: the override, or what node-gyp-build resolved. */
export function nativeAddonPath(): string | null {
  return loadedFrom;
}

export function loadNative(): NativeAddon {
  if (cached) return cached;
  defaultOpenMpEnvironment();
  const override = process.env[ADDON_OVERRIDE_ENV];
  try {
    if (override) {
      const file = path.resolve(override);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      cached = require(file) as NativeAddon;
      loadedFrom = file;
      return cached;
    }
    // node-gyp-build looks in prebuilds/<platform>-<arch>/ and build/Release/ (cmake-js or node-gyp)
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeGypBuild = require('node-gyp-build') as ((dir: string) => unknown) & { resolve(dir: string): string };
    cached = nodeGypBuild(PACKAGE_ROOT) as NativeAddon;
    loadedFrom = nodeGypBuild.resolve(PACKAGE_ROOT);
    return cached;
  } catch (err) {
    const where = override ? ` (${ADDON_OVERRIDE_ENV}=${override})` : '';
    throw new ResurfaceError('ERR_NATIVE_LOAD', explainLoadFailure(err, where), { cause: String(err), override }, { cause: err });
  }
}

function explainLoadFailure(err: unknown, where: string): string {
  const msg = err instanceof Error ? err.message : String(err);
  const lines = [`the native addon${where} could not be loaded: ${msg.split('\n')[0]}`, 'Possible solutions:'];
  if (where) lines.push(`  - check the file exists, or unset ${ADDON_OVERRIDE_ENV} to load the default build`);
  if (/No native build was found/i.test(msg)) {
    lines.push('  - build it: `npm run build:native` (or simply `npm test` / `npm start`, which build it when missing)');
  }
  if (/libtorch|libc10|libopenblas|cannot open shared object/i.test(msg)) {
    lines.push('  - install libtorch and the OpenMP OpenBLAS: `apt-get install libtorch-dev libopenblas0-openmp` (as root)');
    lines.push('  - or point RESURFACE_TORCH_DIR at a libtorch whose TorchConfig.cmake you built against, then rebuild');
  }
  if (/undefined symbol|version `GLIBCXX|NODE_MODULE_VERSION/i.test(msg)) {
    lines.push('  - the addon was built against another libtorch or Node.js: rebuild with `npm run build:native`');
  }
  lines.push('  - then check with `npx resurface doctor`');
  return lines.join('\n');
}
