/**
 * Every failure a user can cause or meet is a `ResurfaceError` with a stable `code`.
 * Scripts switch on `err.code`; the CLI prints `code: message` on one line and exits non-zero.
 * Native errors arrive as plain Errors carrying `.code` and are re-wrapped by `fromNative`.
 */
export type ErrorCode =
  // files and formats
  | 'ERR_SAFETENSORS_HEADER'
  | 'ERR_SAFETENSORS_DTYPE'
  | 'ERR_SAFETENSORS_RANGE'
  | 'ERR_SAFETENSORS_INDEX'
  | 'ERR_MISSING_TENSOR'
  | 'ERR_UNEXPECTED_TENSOR'
  | 'ERR_TENSOR_SHAPE'
  | 'ERR_NONFINITE_WEIGHTS'
  | 'ERR_CONFIG_INVALID'
  | 'ERR_UNSUPPORTED_CONFIG'
  | 'ERR_NOT_A_MODEL'
  | 'ERR_TOKENIZER'
  | 'ERR_IO'
  // runtime
  | 'ERR_NATIVE_LOAD'
  | 'ERR_DISPOSED'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_DEVICE'
  | 'ERR_OUT_OF_MEMORY'
  | 'ERR_ABORTED'
  | 'ERR_TORCH'
  | 'ERR_NONFINITE_LOSS'
  // corpora, training, evaluation, experiments
  | 'ERR_CORPUS'
  | 'ERR_CORPUS_MISMATCH'
  | 'ERR_DATA'
  | 'ERR_RESUME_MISMATCH'
  // data-parallel sampling: `generate --shard I/N`, `corpus merge`
  | 'ERR_INVALID_SHARD'
  | 'ERR_MERGE_MISMATCH'
  | 'ERR_MERGE_MISSING_PART'
  | 'ERR_MERGE_OVERLAP'
  | 'ERR_TASK'
  | 'ERR_FEWSHOT'
  /** Generated code: execution not allowed (--allow-code-execution) or the sandbox cannot start. */
  | 'ERR_CODE_EXECUTION'
  | 'ERR_EXPERIMENT'
  | 'ERR_INTERNAL';

export class ResurfaceError extends Error {
  readonly code: ErrorCode;
  /** Extra machine-readable context (file, field, line…). */
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ResurfaceError';
    this.code = code;
    this.details = details;
  }
}

/** Thrown when a file does not hold what its format promises. */
export class FormatError extends ResurfaceError {
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
    this.name = 'FormatError';
  }
}

/** Thrown when a config.json is malformed or asks for something we do not implement. */
export class ConfigError extends ResurfaceError {
  constructor(code: 'ERR_CONFIG_INVALID' | 'ERR_UNSUPPORTED_CONFIG', message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
    this.name = 'ConfigError';
  }
}

/** Thrown for bad options passed to the library or CLI. */
export class ArgumentError extends ResurfaceError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('ERR_INVALID_ARGUMENT', message, details);
    this.name = 'ArgumentError';
  }
}

const KNOWN_NATIVE_CODES = new Set<string>([
  'ERR_SAFETENSORS_HEADER',
  'ERR_SAFETENSORS_DTYPE',
  'ERR_SAFETENSORS_RANGE',
  'ERR_MISSING_TENSOR',
  'ERR_TENSOR_SHAPE',
  'ERR_NONFINITE_WEIGHTS',
  'ERR_IO',
  'ERR_DISPOSED',
  'ERR_INVALID_ARGUMENT',
  'ERR_DEVICE',
  'ERR_OUT_OF_MEMORY',
  'ERR_ABORTED',
  'ERR_TORCH',
  'ERR_NONFINITE_LOSS',
  'ERR_INTERNAL',
  'ERR_UNSUPPORTED_CONFIG',
  'ERR_DATA',
  'ERR_RESUME_MISMATCH',
]);

/** Re-wrap an error thrown by the native addon so callers always see a ResurfaceError. */
export function fromNative(err: unknown): ResurfaceError {
  if (err instanceof ResurfaceError) return err;
  const e = err as { code?: string; message?: string };
  const code = (e && typeof e.code === 'string' && KNOWN_NATIVE_CODES.has(e.code) ? e.code : 'ERR_TORCH') as ErrorCode;
  const message = (e && e.message) || String(err);
  return new ResurfaceError(code, firstLine(message), { nativeMessage: message });
}

/** libtorch messages carry C++ backtraces after the first line; users need the first line. */
function firstLine(message: string): string {
  const idx = message.indexOf('\nException raised from');
  const trimmed = idx >= 0 ? message.slice(0, idx) : message;
  return trimmed.trim();
}

export function isResurfaceError(err: unknown): err is ResurfaceError {
  return err instanceof ResurfaceError;
}
