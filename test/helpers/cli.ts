/** Running `node bin/resurface.js ...` from tests (async, so vitest keeps ticking). */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './shared';

export const CLI = path.join(REPO_ROOT, 'bin', 'resurface.js');

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** true when we killed it for running past `timeoutMs` */
  timedOut: boolean;
}

/** Starts the CLI; collect its output with `collect`. */
export function spawnCli(args: string[]): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Waits for a spawned CLI to exit (SIGKILL after `timeoutMs`). */
export function collect(child: ChildProcess, timeoutMs = 60_000): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, timedOut });
    });
  });
}

export function runCli(args: string[], timeoutMs = 60_000): Promise<CliResult> {
  return collect(spawnCli(args), timeoutMs);
}

/** Polls `cond` every `intervalMs` until it holds (or throws after `timeoutMs`). */
export async function waitFor(cond: () => boolean, timeoutMs = 60_000, intervalMs = 5): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The CLI runs from dist/: compile the TypeScript when any file of lib/ is newer than dist/cli/main.js. */
export function ensureDistBuilt(): void {
  const newest = (d: string): number =>
    fs
      .readdirSync(d, { withFileTypes: true })
      .reduce((m, e) => Math.max(m, e.isDirectory() ? newest(path.join(d, e.name)) : fs.statSync(path.join(d, e.name)).mtimeMs), 0);
  const main = path.join(REPO_ROOT, 'dist', 'cli', 'main.js');
  if (!fs.existsSync(main) || fs.statSync(main).mtimeMs < newest(path.join(REPO_ROOT, 'lib'))) {
    execFileSync(process.execPath, [
      path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      path.join(REPO_ROOT, 'tsconfig.json'),
    ]);
  }
}

/** Runs the CLI in `cwd` and resolves with its exit code and output (never rejects). */
export function cliIn(cwd: string, args: string[], timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, timeout: timeoutMs }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
