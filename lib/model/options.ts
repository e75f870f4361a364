/** Options of Model.load, validated once at the boundary. */
import * as os from 'node:os';
import { z } from 'zod';
import { ArgumentError } from '../errors';
import type { DtypeChoice, DtypeRequest } from './resolve-dtype';
import type { DeviceName, ModelDtype } from '../native/types';

export const deviceSchema = z
  .string()
  .regex(/^(cpu|cuda|cuda:\d+)$/, 'device must be cpu, cuda or cuda:N') as unknown as z.ZodType<DeviceName>;
/** `auto`: the checkpoint's own dtype where the device computes it natively, else float32 (resolve-dtype.ts). */
export const DTYPE_CHOICES = ['auto', 'float32', 'bfloat16', 'float16'] as const;
export const dtypeSchema = z.enum(DTYPE_CHOICES);

export const loadOptionsSchema = z
  .object({
    device: deviceSchema.default('cpu' as DeviceName),
    dtype: dtypeSchema.default('float32'),
    threads: z.number().int().min(1).max(1024).optional(),
    checkFinite: z.boolean().default(true),
  })
  .strict();

export interface LoadOptions {
  device?: DeviceName;
  /** Default float32; `auto` picks the checkpoint's dtype where the device computes it natively. */
  dtype?: DtypeRequest;
  /** Intra-op threads; default: all cores (libtorch alone would use one on Debian). */
  threads?: number;
  /** Scan weights for NaN/Inf while loading (default true). */
  checkFinite?: boolean;
}

/** Validated options; dtype may still be `auto` (resolved once the checkpoint is read). */
export interface ParsedLoadOptions {
  device: DeviceName;
  dtype: DtypeRequest;
  threads: number;
  checkFinite: boolean;
}

export interface ResolvedLoadOptions extends ParsedLoadOptions {
  dtype: ModelDtype;
  /** How dtype was chosen (what was asked, and why this). */
  dtypeChoice: DtypeChoice;
}

export function defaultThreads(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

export function parseLoadOptions(options: LoadOptions = {}): ParsedLoadOptions {
  const parsed = loadOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ArgumentError(`invalid load option ${issue.path.join('.') || '(options)'}: ${issue.message}`);
  }
  const o = parsed.data;
  if (o.dtype === 'float16' && o.device === 'cpu') {
    throw new ArgumentError('dtype float16 is supported on CUDA only; use float32 or bfloat16 on CPU');
  }
  return { device: o.device, dtype: o.dtype, threads: o.threads ?? defaultThreads(), checkFinite: o.checkFinite };
}
