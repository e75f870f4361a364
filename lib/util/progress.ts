import { ResurfaceError } from '../errors';
import { Screen } from './screen';

/**
 * Progress for long jobs: a single updating line on a TTY (stderr, through Screen), JSON lines in
 * `--json` mode (stdout), silence otherwise. Rate-limited so it never costs measurable time.
 *
 * The JSON-lines schema of every `--json` command: one object a line, each with a string `event`
 * naming it (`progress`, a step's `start`/`done`/…, `plan`, …); the last line is
 * `{"event":"summary", …}` with the command's result.
 */
export interface ProgressReporter {
  update(fields: Record<string, number | string | null>): void;
  done(summary: Record<string, unknown>): void;
}

export function createProgress(
  kind: string,
  opts: { json: boolean; intervalMs?: number; render?: (f: Record<string, number | string | null>) => string },
): ProgressReporter {
  const interval = opts.intervalMs ?? 250;
  let last = 0;
  const screen = new Screen();
  return {
    update(fields) {
      const now = Date.now();
      if (now - last < interval) return;
      last = now;
      if (opts.json) process.stdout.write(`${JSON.stringify({ event: 'progress', kind, ...fields })}\n`);
      else screen.status(opts.render ? opts.render(fields) : JSON.stringify(fields));
    },
    done(summary) {
      if (opts.json) process.stdout.write(`${JSON.stringify({ event: 'summary', kind, ...summary })}\n`);
      else screen.clear();
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
