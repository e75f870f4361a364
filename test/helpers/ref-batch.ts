/**
 * Many reference jobs (make_tiny_model + ref_model logits) in ONE Python process: each process
 * pays ~2 s to import torch, so a parity file with 30 models would otherwise spend a minute
 * importing. See test/helpers/ref_batch.py for the job format; conventions are those of
 * test/reference/README.md (right padding, NaN at padded positions, bf16 logits converted exactly).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runReference, withTmp, type RefDtype, type RefLogits, type RefTinyModelOptions } from './reference';

export const REF_BATCH_SCRIPT = path.join(__dirname, 'ref_batch.py');

export interface RefMakeJob {
  /** config.json or a directory holding one. */
  config: string;
  out: string;
  seed?: number;
  set?: Record<string, unknown>;
  init?: RefTinyModelOptions['init'];
  std?: number;
  dtype?: RefTinyModelOptions['dtype'];
  withBuffers?: boolean;
  shards?: number;
}

export interface RefLogitsJob {
  model: string;
  tokens: number[][];
  dtype?: RefDtype;
  /** Unexpected checkpoint tensors are an error (ref_model --strict). */
  strict?: boolean;
}

export interface RefBatchResult {
  /** null when the job succeeded, else the reference's error message. */
  make: (string | null)[];
  logits: (RefLogits | { error: string })[];
}

export function isRefError(r: RefLogits | { error: string }): r is { error: string } {
  return (r as { error?: string }).error !== undefined;
}

/** Runs every make job, then every logits job, in one reference process. */
export async function refBatch(
  jobs: { make?: RefMakeJob[]; logits?: RefLogitsJob[] },
  opts: { threads?: number; timeoutMs?: number } = {},
): Promise<RefBatchResult> {
  return withTmp(async (dir) => {
    const logitsJobs = (jobs.logits ?? []).map((j, i) => ({
      model: j.model,
      tokens: j.tokens,
      dtype: j.dtype ?? 'float32',
      strict: j.strict ?? false,
      out_bin: path.join(dir, `logits-${i}.bin`),
    }));
    const makeJobs = (jobs.make ?? []).map((j) => ({
      config: j.config,
      out: j.out,
      seed: j.seed ?? 0,
      set: j.set ?? {},
      init: j.init ?? 'perturbed',
      std: j.std ?? null,
      dtype: j.dtype ?? 'float32',
      with_buffers: j.withBuffers ?? false,
      shards: j.shards ?? 1,
    }));
    const jobFile = path.join(dir, 'jobs.json');
    fs.writeFileSync(jobFile, JSON.stringify({ threads: opts.threads ?? null, make: makeJobs, logits: logitsJobs }));
    const stdout = await runReference(REF_BATCH_SCRIPT, [jobFile], { timeoutMs: opts.timeoutMs });
    const res = JSON.parse(stdout) as {
      make: Array<{ ok?: boolean; error?: string }>;
      logits: Array<{ shape: [number, number, number]; lengths: number[] } | { error: string }>;
    };
    return {
      make: res.make.map((m) => m.error ?? null),
      logits: res.logits.map((r, i) => {
        if ('error' in r) return { error: r.error };
        const buf = fs.readFileSync(logitsJobs[i]!.out_bin);
        const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
        if (data.length !== r.shape[0] * r.shape[1] * r.shape[2]) throw new Error(`ref_batch: logits job ${i}: size mismatch`);
        return { shape: r.shape, lengths: r.lengths, data };
      }),
    };
  }, 'resurface-refbatch-');
}
