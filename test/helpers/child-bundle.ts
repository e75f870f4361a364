/**
 * Test children that run as plain node processes (so a test can SIGKILL them mid-step): a helper
 * script bundled with esbuild (vitest's own) into .cache/test-child/NAME.js.
 */
import * as path from 'node:path';
import { REPO_ROOT } from './shared';

/** Bundles test/helpers/NAME.ts; returns the .js file to run with `node`. */
export async function bundleChild(name: string): Promise<string> {
  const esbuild = await import('esbuild');
  const outfile = path.join(REPO_ROOT, '.cache', 'test-child', `${name}.js`);
  esbuild.buildSync({
    entryPoints: [path.join(REPO_ROOT, 'test', 'helpers', `${name}.ts`)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile,
    external: ['vega', 'vega-lite', 'tokenizers'],
    logLevel: 'error',
  });
  return outfile;
}
