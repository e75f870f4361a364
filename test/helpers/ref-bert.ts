/**
 * Runs test/reference/ref_bert.py (independent BERT + sentence-transformers pooling reference) on
 * many (model, token lists) jobs in one Python process.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REF_DIR, REF_PYTHON } from './reference';

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
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resurface-refbert-'));
  try {
    const jobsFile = path.join(dir, 'jobs.json');
    const out = path.join(dir, 'out.json');
    fs.writeFileSync(jobsFile, JSON.stringify(jobs));
    await new Promise<void>((resolve, reject) => {
      execFile(
        REF_PYTHON,
        [REF_BERT_SCRIPT, 'jobs', '--jobs-json', jobsFile, '--out', out],
        { timeout: timeoutMs, maxBuffer: 64 << 20 },
        (err, _o, stderr) => (err ? reject(new Error(`ref_bert.py failed: ${err.message}\n${stderr}`)) : resolve()),
      );
    });
    return JSON.parse(fs.readFileSync(out, 'utf8')) as RefEmbedOutcome[];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
