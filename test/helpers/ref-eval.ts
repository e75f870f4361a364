/**
 * Golden values for the evaluation tests from the independent PyTorch reference
 * (test/reference/ref_model.py `loglik` / `greedy`, test/reference/ref_eval.py `embed` / `windows`),
 * run with /usr/bin/python3 (torch 1.13 + numpy) or $RESURFACE_REF_PYTHON.
 */
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REF_PYTHON = process.env.RESURFACE_REF_PYTHON || '/usr/bin/python3';
const REF_DIR = path.resolve(__dirname, '..', 'reference');

let probe: string | null | undefined;
/** null when the reference can run, else why not. */
export function refSkipReason(): string | null {
  if (probe !== undefined) return probe;
  if (!fs.existsSync(REF_PYTHON)) return (probe = `${REF_PYTHON} not found`);
  const r = spawnSync(REF_PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8', timeout: 120_000 });
  return (probe = r.status === 0 ? null : `${REF_PYTHON} cannot import torch+numpy`);
}

function run(script: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(REF_PYTHON, [path.join(REF_DIR, script), ...args], { timeout: 600_000, maxBuffer: 64 << 20 }, (err, _o, stderr) =>
      err ? reject(new Error(`${script} ${args[0]} failed: ${err.message}\n${stderr}`)) : resolve(),
    );
  });
}

async function withTmp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resurface-refeval-'));
  try {
    return await fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface RefLoglik {
  logprob: number;
  isGreedy: boolean;
  tokenLogprobs: number[];
}

export function refLoglik(model: string, reqs: { context: number[]; continuation: number[] }[]): Promise<RefLoglik[]> {
  return withTmp(async (d) => {
    fs.writeFileSync(path.join(d, 'req.json'), JSON.stringify(reqs));
    await run('ref_model.py', [
      'loglik',
      '--model',
      model,
      '--requests-json',
      path.join(d, 'req.json'),
      '--out',
      path.join(d, 'out.json'),
      '--threads',
      '2',
    ]);
    const j = JSON.parse(fs.readFileSync(path.join(d, 'out.json'), 'utf8')) as {
      results: { logprob: number; is_greedy: boolean; token_logprobs: number[] }[];
    };
    return j.results.map((r) => ({ logprob: r.logprob, isGreedy: r.is_greedy, tokenLogprobs: r.token_logprobs }));
  });
}

export function refGreedy(model: string, rows: number[][], maxNewTokens: number): Promise<number[][]> {
  return withTmp(async (d) => {
    fs.writeFileSync(path.join(d, 'rows.json'), JSON.stringify(rows));
    await run('ref_model.py', [
      'greedy',
      '--model',
      model,
      '--tokens-json',
      path.join(d, 'rows.json'),
      '--max-new-tokens',
      String(maxNewTokens),
      '--out',
      path.join(d, 'out.json'),
      '--threads',
      '2',
    ]);
    return (JSON.parse(fs.readFileSync(path.join(d, 'out.json'), 'utf8')) as { generated: number[][] }).generated;
  });
}

export function refEmbed(model: string, rows: number[][]): Promise<number[][]> {
  return withTmp(async (d) => {
    fs.writeFileSync(path.join(d, 'rows.json'), JSON.stringify(rows));
    await run('ref_eval.py', [
      'embed',
      '--model',
      model,
      '--tokens-json',
      path.join(d, 'rows.json'),
      '--out',
      path.join(d, 'out.json'),
      '--threads',
      '2',
    ]);
    return (JSON.parse(fs.readFileSync(path.join(d, 'out.json'), 'utf8')) as { embeddings: number[][] }).embeddings;
  });
}

export function refWindows(model: string, rows: number[][], from: number[]): Promise<number[][]> {
  return withTmp(async (d) => {
    fs.writeFileSync(path.join(d, 'rows.json'), JSON.stringify(rows));
    fs.writeFileSync(path.join(d, 'from.json'), JSON.stringify(from));
    await run('ref_eval.py', [
      'windows',
      '--model',
      model,
      '--tokens-json',
      path.join(d, 'rows.json'),
      '--from-json',
      path.join(d, 'from.json'),
      '--out',
      path.join(d, 'out.json'),
      '--threads',
      '2',
    ]);
    return (JSON.parse(fs.readFileSync(path.join(d, 'out.json'), 'utf8')) as { token_logprobs: number[][] }).token_logprobs;
  });
}

export type RefOp =
  | { op: 'loglik'; requests: { context: number[]; continuation: number[] }[] }
  | { op: 'greedy'; rows: number[][]; n: number }
  | { op: 'windows'; rows: number[][]; from: number[] }
  | { op: 'embed'; rows: number[][] };

/** Several reference computations on one loaded model, in one interpreter (raw JSON results in op order). */
export function refJob(model: string, ops: RefOp[]): Promise<unknown[]> {
  return withTmp(async (d) => {
    fs.writeFileSync(path.join(d, 'job.json'), JSON.stringify({ ops }));
    await run('ref_eval.py', [
      'job',
      '--model',
      model,
      '--job-json',
      path.join(d, 'job.json'),
      '--out',
      path.join(d, 'out.json'),
      '--threads',
      '2',
    ]);
    return (JSON.parse(fs.readFileSync(path.join(d, 'out.json'), 'utf8')) as { results: unknown[] }).results;
  });
}

export function toLoglik(raw: unknown): RefLoglik[] {
  return (raw as { logprob: number; is_greedy: boolean; token_logprobs: number[] }[]).map((r) => ({
    logprob: r.logprob,
    isGreedy: r.is_greedy,
    tokenLogprobs: r.token_logprobs,
  }));
}
