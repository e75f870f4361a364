/**
 * Many `refGreedy` jobs (test/reference/ref_model.py's greedy: argmax with a full forward pass per
 * step, no KV cache) in ONE Python process — see test/helpers/ref_greedy_batch.py. Same semantics
 * as `refGreedy` in reference.ts: a row stops after an `eos` id, which is included.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runReference, withTmp } from './reference';

export const REF_GREEDY_BATCH_SCRIPT = path.join(__dirname, 'ref_greedy_batch.py');

export interface RefGreedyJob {
  model: string;
  tokens: number[][];
  maxNewTokens: number;
  eos?: number[];
}

/** Generated ids per row for each job, or `{ error }` for a job the reference failed. */
export async function refGreedyBatch(
  jobs: RefGreedyJob[],
  opts: { threads?: number; timeoutMs?: number } = {},
): Promise<Array<number[][] | { error: string }>> {
  return withTmp(async (dir) => {
    const file = path.join(dir, 'jobs.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        threads: opts.threads ?? null,
        jobs: jobs.map((j) => ({ model: j.model, tokens: j.tokens, max_new_tokens: j.maxNewTokens, eos: j.eos ?? [] })),
      }),
    );
    const stdout = await runReference(REF_GREEDY_BATCH_SCRIPT, [file], { timeoutMs: opts.timeoutMs });
    const res = JSON.parse(stdout) as { results: Array<{ generated: number[][] } | { error: string }> };
    return res.results.map((r) => ('error' in r ? { error: r.error } : r.generated));
  }, 'resurface-refgreedy-');
}
