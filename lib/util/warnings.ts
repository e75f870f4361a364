/**
 * Warnings with stable codes (`WARN_…`), for things that work but are not what the user wants
 * (e.g. bfloat16 on a CPU that emulates it). Each code is reported once per process: a warning
 * repeated for every model of an evaluation curve would bury the output it warns about.
 *
 * The default sink writes `warning CODE: message` to stderr (stdout stays machine-readable under
 * --json); a command or a library user can redirect warnings with setWarningSink.
 */
export type WarningCode = 'WARN_BF16_EMULATED';

export interface ResurfaceWarning {
  code: WarningCode;
  message: string;
}

export type WarningSink = (warning: ResurfaceWarning) => void;

export const stderrSink: WarningSink = (w) => {
  process.stderr.write(`warning ${w.code}: ${w.message}\n`);
};

let sink: WarningSink = stderrSink;
const reported = new Set<WarningCode>();

/** Reports `warning` unless its code was already reported in this process. */
export function warnOnce(warning: ResurfaceWarning): void {
  if (reported.has(warning.code)) return;
  reported.add(warning.code);
  sink(warning);
}

/** Replaces the sink; returns the previous one (to restore it). */
export function setWarningSink(next: WarningSink): WarningSink {
  const previous = sink;
  sink = next;
  return previous;
}

/** Forgets which codes were reported (tests). */
export function resetWarnings(): void {
  reported.clear();
}
