/**
 * Golden values from the independent PyTorch reference (test/reference/ref_model.py), run with
 * Debian's /usr/bin/python3 (torch 1.13 CPU + numpy). Set $RESURFACE_REF_PYTHON to use another
 * interpreter. Tests should skip with `pythonTorchSkipReason()` when `hasPythonTorch()` is false.
 *
 * Conventions (see test/reference/README.md):
 * - token lists are right-padded; `refLogits` returns [B, T, V] float32 with T = longest row and
 *   NaN at padded positions (t >= lengths[b]);
 * - bfloat16 runs return the bf16 logits converted exactly to float32.
 */
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readTensors, type F32Tensors } from './tensors';

export const REF_PYTHON = process.env.RESURFACE_REF_PYTHON || '/usr/bin/python3';
export const REF_DIR = path.resolve(__dirname, '..', 'reference');
export const REF_MODEL_SCRIPT = path.join(REF_DIR, 'ref_model.py');
export const MAKE_TINY_SCRIPT = path.join(REF_DIR, 'make_tiny_model.py');

export type RefDtype = 'float32' | 'bfloat16';

let torchProbe: { ok: boolean; reason: string | null } | undefined;

function probe(): { ok: boolean; reason: string | null } {
  if (torchProbe) return torchProbe;
  if (!fs.existsSync(REF_PYTHON)) {
    torchProbe = { ok: false, reason: `${REF_PYTHON} not found` };
    return torchProbe;
  }
  const r = spawnSync(REF_PYTHON, ['-c', 'import torch, numpy; print(torch.__version__)'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  torchProbe =
    r.status === 0
      ? { ok: true, reason: null }
      : { ok: false, reason: `${REF_PYTHON} cannot import torch+numpy: ${(r.stderr || String(r.error ?? '')).trim().split('\n').pop()}` };
  return torchProbe;
}

/** True when the reference can run (`/usr/bin/python3 -c 'import torch, numpy'` succeeds). Cached. */
export function hasPythonTorch(): boolean {
  return probe().ok;
}

/** Why the reference cannot run, or null when it can. */
export function pythonTorchSkipReason(): string | null {
  return probe().reason;
}

export interface RunOptions {
  /** Kill the reference after this many ms (default 10 minutes). */
  timeoutMs?: number;
  /** torch threads (default: all usable cores). */
  threads?: number;
}

/** Runs a reference script with REF_PYTHON; resolves with its stdout, rejects naming the script and its stderr. */
export function runReference(script: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const full = [script, ...args];
  if (opts.threads !== undefined && script === REF_MODEL_SCRIPT) full.push('--threads', String(opts.threads));
  return new Promise((resolve, reject) => {
    execFile(
      REF_PYTHON,
      full,
      { timeout: opts.timeoutMs ?? 600_000, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) {
          const detail = stderr && !err.message.includes(stderr) ? `${err.message}\n${stderr}` : err.message;
          reject(new Error(`reference ${path.basename(script)} ${args[0] ?? ''} failed: ${detail}`));
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

/** Runs `fn` in a fresh temporary folder, removed afterwards. */
export async function withTmp<T>(fn: (dir: string) => Promise<T>, prefix = 'resurface-ref-'): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  try {
    return await fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function writeTokens(dir: string, tokenLists: readonly (readonly number[])[]): string {
  const p = path.join(dir, 'tokens.json');
  fs.writeFileSync(p, JSON.stringify(tokenLists));
  return p;
}

function readJson<T>(p: string): T {
  return JSON.parse(fs.readFileSync(p, 'utf8')) as T;
}

/** Copies little-endian float32 bytes into a fresh (aligned) Float32Array. */
function toFloat32(buf: Buffer): Float32Array {
  if (buf.length % 4 !== 0) throw new Error('float32 data length is not a multiple of 4');
  if (os.endianness() === 'LE') {
    const ab = new ArrayBuffer(buf.length);
    new Uint8Array(ab).set(buf);
    return new Float32Array(ab);
  }
  const out = new Float32Array(buf.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

export interface RefLogits {
  /** [B, T, V], T = longest row. */
  shape: [number, number, number];
  /** Real length of each row. */
  lengths: number[];
  /** Row-major [B, T, V]; NaN at padded positions. */
  data: Float32Array;
}

/** Full-sequence logits of right-padded rows. */
export async function refLogits(
  modelDir: string,
  tokenLists: readonly (readonly number[])[],
  dtype: RefDtype = 'float32',
  opts: RunOptions = {},
): Promise<RefLogits> {
  return withTmp(async (dir) => {
    const out = path.join(dir, 'logits.json');
    const bin = path.join(dir, 'logits.bin');
    await runReference(
      REF_MODEL_SCRIPT,
      ['logits', '--model', modelDir, '--tokens-json', writeTokens(dir, tokenLists), '--dtype', dtype, '--out', out, '--out-bin', bin],
      opts,
    );
    const j = readJson<{ shape: [number, number, number]; lengths: number[] }>(out);
    const data = toFloat32(fs.readFileSync(bin));
    if (data.length !== j.shape[0] * j.shape[1] * j.shape[2]) throw new Error('reference logits: size mismatch');
    return { shape: j.shape, lengths: j.lengths, data };
  });
}

/** The V logits of row b at position t (a view into `r.data`). */
export function logitsAt(r: RefLogits, b: number, t: number): Float32Array {
  const [, T, V] = r.shape;
  return r.data.subarray((b * T + t) * V, (b * T + t + 1) * V);
}

export interface RefGreedyOptions extends RunOptions {
  dtype?: RefDtype;
  /** Stop a row after it emits one of these ids (the id is included). Default: never stop early. */
  eos?: number[];
}

/** Argmax decoding with a full forward pass per step (no KV cache). Returns the generated ids per row. */
export async function refGreedy(
  modelDir: string,
  tokenLists: readonly (readonly number[])[],
  maxNewTokens: number,
  opts: RefGreedyOptions = {},
): Promise<number[][]> {
  return withTmp(async (dir) => {
    const out = path.join(dir, 'greedy.json');
    const args = ['greedy', '--model', modelDir, '--tokens-json', writeTokens(dir, tokenLists)];
    args.push('--max-new-tokens', String(maxNewTokens), '--dtype', opts.dtype ?? 'float32', '--out', out);
    for (const e of opts.eos ?? []) args.push('--eos', String(e));
    await runReference(REF_MODEL_SCRIPT, args, opts);
    return readJson<{ generated: number[][] }>(out).generated;
  });
}

export interface LoglikRequest {
  context: readonly number[];
  continuation: readonly number[];
}

export interface LoglikResult {
  /** Sum of log p(continuation_i | context, continuation_<i), float32 log_softmax summed in float64. */
  logprob: number;
  /** Every continuation token is the argmax at its position. */
  isGreedy: boolean;
  tokenLogprobs: number[];
}

/** Log-likelihood of each continuation given its (non-empty) context. */
export async function refLoglik(
  modelDir: string,
  requests: readonly LoglikRequest[],
  dtype: RefDtype = 'float32',
  opts: RunOptions = {},
): Promise<LoglikResult[]> {
  return withTmp(async (dir) => {
    const req = path.join(dir, 'requests.json');
    const out = path.join(dir, 'loglik.json');
    fs.writeFileSync(req, JSON.stringify(requests.map((r) => ({ context: r.context, continuation: r.continuation }))));
    await runReference(REF_MODEL_SCRIPT, ['loglik', '--model', modelDir, '--requests-json', req, '--dtype', dtype, '--out', out], opts);
    const j = readJson<{ results: { logprob: number; is_greedy: boolean; token_logprobs: number[] }[] }>(out);
    return j.results.map((r) => ({ logprob: r.logprob, isGreedy: r.is_greedy, tokenLogprobs: r.token_logprobs }));
  });
}

export interface RefAdamwOptions extends RunOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** Also decay biases and norm weights (default: they form a weight_decay=0 group). */
  decayAll?: boolean;
  /** torch.nn.utils.clip_grad_norm_ max norm; default no clipping. */
  gradClip?: number;
  /** Steps on the same batch (default 1). */
  steps?: number;
  dtype?: RefDtype;
  /** Also write exp_avg / exp_avg_sq safetensors. */
  saveState?: boolean;
  /** Keep the outputs here (a loadable model dir: config.json + model.safetensors); default: a temp dir that is removed. */
  outDir?: string;
}

export interface RefAdamwResult {
  /** Loss of the (first) step: mean next-token CE over all real targets of the batch. */
  loss: number;
  /** Global L2 norm of all gradients of the (first) step, before clipping. */
  gradNorm: number;
  losses: number[];
  gradNorms: number[];
  nTokens: number;
  decay: string[];
  noDecay: string[];
  /** Updated parameters, HF names (tied models: no lm_head / embed_out). */
  params: F32Tensors;
  /** Gradients of the last step before clipping, HF names. */
  grads: F32Tensors;
  /** Present only when opts.outDir was given. */
  outDir?: string;
}

/** AdamW step(s) of torch.optim.AdamW on the batch's mean next-token cross-entropy. */
export async function refAdamwStep(
  modelDir: string,
  tokenLists: readonly (readonly number[])[],
  opts: RefAdamwOptions,
): Promise<RefAdamwResult> {
  return withTmp(async (dir) => {
    const outDir = opts.outDir ?? path.join(dir, 'out');
    const args = ['adamw-step', '--model', modelDir, '--tokens-json', writeTokens(dir, tokenLists), '--out-dir', outDir];
    args.push('--lr', String(opts.lr), '--dtype', opts.dtype ?? 'float32');
    if (opts.betas) args.push('--betas', `${opts.betas[0]},${opts.betas[1]}`);
    if (opts.eps !== undefined) args.push('--eps', String(opts.eps));
    if (opts.weightDecay !== undefined) args.push('--weight-decay', String(opts.weightDecay));
    if (opts.decayAll) args.push('--decay-all');
    if (opts.gradClip !== undefined) args.push('--grad-clip', String(opts.gradClip));
    if (opts.steps !== undefined) args.push('--steps', String(opts.steps));
    if (opts.saveState) args.push('--save-state');
    await runReference(REF_MODEL_SCRIPT, args, opts);
    const j = readJson<{
      loss: number;
      grad_norm: number;
      losses: number[];
      grad_norms: number[];
      n_tokens: number;
      decay: string[];
      no_decay: string[];
    }>(path.join(outDir, 'result.json'));
    return {
      loss: j.loss,
      gradNorm: j.grad_norm,
      losses: j.losses,
      gradNorms: j.grad_norms,
      nTokens: j.n_tokens,
      decay: j.decay,
      noDecay: j.no_decay,
      params: await readTensors(path.join(outDir, 'model.safetensors')),
      grads: await readTensors(path.join(outDir, 'grads.safetensors')),
      ...(opts.outDir ? { outDir: opts.outDir } : {}),
    };
  });
}

export interface RefTinyModelOptions extends RunOptions {
  seed?: number;
  /** Config overrides, `key: value` (dotted keys reach into dicts, e.g. `rope_scaling.factor`). */
  set?: Record<string, unknown>;
  init?: 'hf' | 'perturbed';
  std?: number;
  dtype?: 'float32' | 'float16' | 'bfloat16';
  withBuffers?: boolean;
  shards?: number;
}

/** Builds a tiny random HF-layout model with test/reference/make_tiny_model.py. */
export async function refMakeTinyModel(configPath: string, outDir: string, opts: RefTinyModelOptions = {}): Promise<void> {
  const args = ['--config', configPath, '--out', outDir, '--seed', String(opts.seed ?? 0)];
  for (const [k, v] of Object.entries(opts.set ?? {})) args.push('--set', `${k}=${JSON.stringify(v)}`);
  if (opts.init) args.push('--init', opts.init);
  if (opts.std !== undefined) args.push('--std', String(opts.std));
  if (opts.dtype) args.push('--dtype', opts.dtype);
  if (opts.withBuffers) args.push('--with-buffers');
  if (opts.shards !== undefined) args.push('--shards', String(opts.shards));
  await runReference(MAKE_TINY_SCRIPT, args, opts);
}
