/** Shared plumbing for CLI commands: one-line errors with codes, JSON output, exit codes. */
import { ArgumentError, isResurfaceError } from '../errors';

/** Runs a command body; a ResurfaceError becomes `error CODE: message` and exit code 1. */
export async function runCommand(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    reportError(err);
    process.exitCode = isResurfaceError(err) ? 1 : 2;
  }
}

export function reportError(err: unknown): void {
  if (isResurfaceError(err)) {
    process.stderr.write(`error ${err.code}: ${err.message}\n`);
  } else if (err instanceof Error) {
    process.stderr.write(`error ERR_INTERNAL: ${err.message}\n`);
    if (process.env.RESURFACE_DEBUG) process.stderr.write(`${err.stack}\n`);
  } else {
    process.stderr.write(`error ERR_INTERNAL: ${String(err)}\n`);
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Parses "0,17,42" into token ids, with a clear error for anything else. */
export function parseIdList(text: string, what: string): number[] {
  const parts = String(text)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const ids = parts.map(Number);
  if (ids.length === 0 || ids.some((x) => !Number.isInteger(x) || x < 0)) {
    throw new ArgumentError(`${what} must be a comma-separated list of non-negative integers, got '${text}'`);
  }
  return ids;
}
