/**
 * Golden values for the evaluation tests from the independent PyTorch reference
 * (test/reference/ref_eval.py: loglik, greedy, windows and embed ops on one loaded model),
 * run with /usr/bin/python3 (torch 1.13 + numpy) or $RESURFACE_REF_PYTHON (reference.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REF_DIR, runReference, withTmp } from './reference';

export interface RefLoglik {
  logprob: number;
  isGreedy: boolean;
  tokenLogprobs: number[];
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
    await runReference(path.join(REF_DIR, 'ref_eval.py'), [
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
  }, 'resurface-refeval-');
}

export function toLoglik(raw: unknown): RefLoglik[] {
  return (raw as { logprob: number; is_greedy: boolean; token_logprobs: number[] }[]).map((r) => ({
    logprob: r.logprob,
    isGreedy: r.is_greedy,
    tokenLogprobs: r.token_logprobs,
  }));
}
