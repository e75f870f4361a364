/**
 * Vitest global setup: the CLI (bin/resurface.js) runs from dist/, so compile lib/ once before any
 * test file of a project that spawns it. Unit and e2e both list this file; the environment flag
 * keeps a run of several projects (`npm test`) at one compile, since each project calls its setup.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const DONE = 'RESURFACE_TEST_DIST_BUILT';

export default function buildDist(): void {
  if (process.env[DONE] === '1') return;
  process.stderr.write('[test setup] compiling lib/ into dist/ for the CLI\n');
  execFileSync(
    process.execPath,
    [path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(REPO_ROOT, 'tsconfig.json')],
    {
      cwd: REPO_ROOT,
      stdio: 'inherit',
    },
  );
  process.env[DONE] = '1';
}
