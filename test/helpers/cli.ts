/** Running `node bin/resurface.js ...` from tests (async, so vitest keeps ticking). */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
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

/** Runs the CLI in `cwd` and resolves with its exit code and output (never rejects). */
export function cliIn(cwd: string, args: string[], timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, timeout: timeoutMs }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
