import { ResurfaceError } from '../errors';

/**
 * Progress for long jobs: a single updating line on a TTY (stderr), JSON lines in `--json` mode
 * (stdout), silence otherwise. Rate-limited so it never costs measurable time.
 */
export interface ProgressReporter {
  update(fields: Record<string, number | string | null>): void;
  done(summary: Record<string, unknown>): void;
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

export function createProgress(kind: string, opts: { json: boolean; intervalMs?: number; render?: (f: Record<string, number | string | null>) => string }): ProgressReporter {
  const interval = opts.intervalMs ?? 250;
  let last = 0;
  const tty = process.stderr.isTTY === true;
  return {
    update(fields) {
      const now = Date.now();
      if (now - last < interval) return;
      last = now;
      if (opts.json) process.stdout.write(`${JSON.stringify({ event: 'progress', kind, ...fields })}\n`);
      else if (tty) process.stderr.write(`\r\x1b[2K${opts.render ? opts.render(fields) : JSON.stringify(fields)}`);
    },
    done(summary) {
      if (opts.json) process.stdout.write(`${JSON.stringify({ event: 'done', kind, ...summary })}\n`);
      else if (tty) process.stderr.write('\r\x1b[2K');
    },
  };
}

/** Turns SIGINT/SIGTERM into an AbortSignal for the duration of `body`; a second signal exits at once. */
export async function withInterruptSignal<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`\n${sig}: finishing the current step and saving; press again to exit immediately\n`);
    controller.abort(new ResurfaceError('ERR_ABORTED', `interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await body(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
