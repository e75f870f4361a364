/**
 * `corpus subset`: the reference's training subsets (VITA-Group/latent-capability-resurfacing,
 * src/create_subsets.py): for each subset, draw a sample uniformly at random *with replacement*,
 * append it, and stop as soon as the running total reaches the budget (so the last draw may
 * overshoot by one sample). Two deliberate differences, recorded in each manifest:
 * - the budget counts the corpus's real tokens (`num_tokens`), not the reference's
 *   `int(len(text) / 4)` estimate, which is recorded beside it (`tokensEstimatedChars4`);
 * - draws come from our seeded xoshiro128** (lib/stats/prng.ts), one stream for all subsets in
 *   order, so subset i is the same whatever `count` is, and the same on every machine (the
 *   reference's Python `random.choice` stream cannot be reproduced here).
 * Each subset is a corpus directory `DIR/subset-<i>` (train, audit and stats read it) and
 * `DIR/subsets.json` summarises them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkFreshOut, commitStagingDir, DerivedCorpusWriter, makeStagingDir, removeStagingDir } from './derived-corpus';
import { corpusRecords, openCorpus } from './read-corpus';
import type { CorpusRecord } from './shard';
import { ArgumentError, ResurfaceError } from '../errors';
import { writeFileAtomic } from '../io/atomic';
import { Rng } from '../stats/prng';

export const SUBSETS_FILE = 'subsets.json';

export interface SubsetOptions {
  corpusDir: string;
  /** Token budget of each subset (real tokens). */
  tokens: number;
  count: number;
  seed: number;
  outDir: string;
}

export interface SubsetInfo {
  index: number;
  dir: string;
  samples: number;
  distinctSamples: number;
  tokens: number;
  tokensEstimatedChars4: number;
}

export interface SubsetSummary {
  format: 'resurface-subsets';
  version: 1;
  rule: string;
  source: { path: string; samples: number; tokens: number };
  tokenBudget: number;
  count: number;
  seed: number;
  subsets: SubsetInfo[];
}

/** The reference's per-sample estimate `int(len(text) / 4)`, len in code points as in Python. */
export function charsOver4(text: string): number {
  let cps = 0;
  for (const _ of text) cps++;
  return Math.floor(cps / 4);
}

/** Source indices of one subset: uniform draws with replacement until Σ tokens ≥ budget. */
export function drawSubset(tokensPerSample: ArrayLike<number>, budget: number, rng: Rng): number[] {
  const picks: number[] = [];
  let total = 0;
  while (total < budget) {
    const i = rng.int(tokensPerSample.length);
    picks.push(i);
    total += tokensPerSample[i]!;
  }
  return picks;
}

export async function subsetCorpus(o: SubsetOptions): Promise<SubsetSummary> {
  if (!Number.isSafeInteger(o.tokens) || o.tokens < 1) throw new ArgumentError(`--tokens must be at least 1 token, got ${o.tokens}`);
  if (!Number.isInteger(o.count) || o.count < 1) throw new ArgumentError(`--count must be an integer >= 1, got ${o.count}`);
  if (!Number.isSafeInteger(o.seed) || o.seed < 0) throw new ArgumentError(`--seed must be a non-negative integer, got ${o.seed}`);
  const corpus = openCorpus(o.corpusDir, { requireComplete: true });
  if (corpus.manifest.counts.tokens === 0) throw new ResurfaceError('ERR_CORPUS', `${o.corpusDir} holds no tokens: no token budget can be reached`);
  const target = checkFreshOut(o.outDir);

  // Subsets repeat samples in random order, so the records are held in memory (the corpus, once).
  const records: CorpusRecord[] = [...corpusRecords(corpus)];
  const tokensPerSample = Int32Array.from(records, (r) => r.num_tokens);
  const rng = new Rng(o.seed);
  const staging = makeStagingDir(target);
  try {
    const subsets: SubsetInfo[] = [];
    for (let index = 0; index < o.count; index++) {
      const picks = drawSubset(tokensPerSample, o.tokens, rng);
      const name = `subset-${index}`;
      const dir = path.join(staging, name);
      fs.mkdirSync(dir);
      const writer = new DerivedCorpusWriter(dir, corpus, 'subset');
      let tokens = 0, estimate = 0;
      for (const i of picks) {
        const r = records[i]!;
        tokens += r.num_tokens;
        estimate += charsOver4(r.text);
        await writer.add(r);
      }
      await writer.finish({ subset: { index, seed: o.seed, tokenBudget: o.tokens, tokens, tokensEstimatedChars4: estimate } });
      subsets.push({ index, dir: path.join(target, name), samples: picks.length, distinctSamples: new Set(picks).size, tokens, tokensEstimatedChars4: estimate });
    }
    const summary: SubsetSummary = {
      format: 'resurface-subsets', version: 1,
      rule: 'per subset: draw samples uniformly with replacement until the summed num_tokens reaches the budget (reference: create_subsets.py, which counts len(text)/4)',
      source: { path: path.resolve(o.corpusDir), samples: records.length, tokens: corpus.manifest.counts.tokens },
      tokenBudget: o.tokens, count: o.count, seed: o.seed, subsets,
    };
    await writeFileAtomic(path.join(staging, SUBSETS_FILE), `${JSON.stringify(summary, null, 2)}\n`);
    commitStagingDir(staging, target);
    return summary;
  } catch (err) {
    removeStagingDir(staging);
    throw err;
  }
}
