/**
 * Runs test/reference/ref_bert.py (independent BERT + sentence-transformers pooling reference) on
 * many (model, token lists) jobs in one Python process.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REF_DIR, runReference, withTmp } from './reference';

export const REF_BERT_SCRIPT = path.join(REF_DIR, 'ref_bert.py');

export interface RefEmbedJob {
  model: string;
  tokens: number[][];
  /** One right-padded batch instead of one row at a time. */
  batched?: boolean;
}

export interface RefEmbedResult {
  dim: number;
  embeddings: number[][];
  pooling: string;
  normalize: boolean;
}

export type RefEmbedOutcome = RefEmbedResult | { error: string };

export async function refEmbedJobs(jobs: RefEmbedJob[], timeoutMs = 300_000): Promise<RefEmbedOutcome[]> {
  return withTmp(async (dir) => {
    const jobsFile = path.join(dir, 'jobs.json');
    const out = path.join(dir, 'out.json');
    fs.writeFileSync(jobsFile, JSON.stringify(jobs));
    await runReference(REF_BERT_SCRIPT, ['jobs', '--jobs-json', jobsFile, '--out', out], { timeoutMs });
    return JSON.parse(fs.readFileSync(out, 'utf8')) as RefEmbedOutcome[];
  }, 'resurface-refbert-');
}
