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

/** The source records of a complete corpus, checked to hold tokens (else no budget can be reached). */
function loadSource(corpusDir: string) {
  const corpus = openCorpus(corpusDir, { requireComplete: true });
  if (corpus.manifest.counts.tokens === 0)
    throw new ResurfaceError('ERR_CORPUS', `${corpusDir} holds no tokens: no token budget can be reached`);
  // Subsets repeat samples in random order, so the records are held in memory (the corpus, once).
  const records: CorpusRecord[] = [...corpusRecords(corpus)];
  return { corpus, records, tokensPerSample: Int32Array.from(records, (r) => r.num_tokens) };
}

function checkArgs(o: { tokens: number; seed: number }): void {
  if (!Number.isSafeInteger(o.tokens) || o.tokens < 1) throw new ArgumentError(`--tokens must be at least 1 token, got ${o.tokens}`);
  if (!Number.isSafeInteger(o.seed) || o.seed < 0) throw new ArgumentError(`--seed must be a non-negative integer, got ${o.seed}`);
}

/** Writes subset `index` (drawn as the index-th subset of the seed's stream) as the corpus `dir`. */
async function writeSubset(
  src: ReturnType<typeof loadSource>,
  picks: number[],
  index: number,
  o: { tokens: number; seed: number },
  dir: string,
): Promise<Omit<SubsetInfo, 'dir'>> {
  const writer = new DerivedCorpusWriter(dir, src.corpus, 'subset');
  let tokens = 0,
    estimate = 0;
  for (const i of picks) {
    const r = src.records[i]!;
    tokens += r.num_tokens;
    estimate += charsOver4(r.text);
    await writer.add(r);
  }
  await writer.finish({ subset: { index, seed: o.seed, tokenBudget: o.tokens, tokens, tokensEstimatedChars4: estimate } });
  return { index, samples: picks.length, distinctSamples: new Set(picks).size, tokens, tokensEstimatedChars4: estimate };
}

export async function subsetCorpus(o: SubsetOptions): Promise<SubsetSummary> {
  checkArgs(o);
  if (!Number.isInteger(o.count) || o.count < 1) throw new ArgumentError(`--count must be an integer >= 1, got ${o.count}`);
  const src = loadSource(o.corpusDir);
  const target = checkFreshOut(o.outDir);
  const rng = new Rng(o.seed);
  const staging = makeStagingDir(target);
  try {
    const subsets: SubsetInfo[] = [];
    for (let index = 0; index < o.count; index++) {
      const picks = drawSubset(src.tokensPerSample, o.tokens, rng);
      const name = `subset-${index}`;
      fs.mkdirSync(path.join(staging, name));
      subsets.push({ ...(await writeSubset(src, picks, index, o, path.join(staging, name))), dir: path.join(target, name) });
    }
    const summary: SubsetSummary = {
      format: 'resurface-subsets',
      version: 1,
      rule: 'per subset: draw samples uniformly with replacement until the summed num_tokens reaches the budget (reference: create_subsets.py, which counts len(text)/4)',
      source: { path: path.resolve(o.corpusDir), samples: src.records.length, tokens: src.corpus.manifest.counts.tokens },
      tokenBudget: o.tokens,
      count: o.count,
      seed: o.seed,
      subsets,
    };
    await writeFileAtomic(path.join(staging, SUBSETS_FILE), `${JSON.stringify(summary, null, 2)}\n`);
    commitStagingDir(staging, target);
    return summary;
  } catch (err) {
    removeStagingDir(staging);
    throw err;
  }
}

/**
 * Only subset `index` of `subsetCorpus(..., count > index)`, written as the corpus `outDir` itself
 * (one experiment step per subset, each cached on its own). Equal bytes to DIR/subset-<index>.
 */
export async function writeOneSubset(o: {
  corpusDir: string;
  tokens: number;
  seed: number;
  index: number;
  outDir: string;
}): Promise<Omit<SubsetInfo, 'dir'>> {
  checkArgs(o);
  if (!Number.isInteger(o.index) || o.index < 0) throw new ArgumentError(`subset index must be a non-negative integer, got ${o.index}`);
  const src = loadSource(o.corpusDir);
  const target = checkFreshOut(o.outDir);
  const rng = new Rng(o.seed);
  let picks: number[] = [];
  for (let i = 0; i <= o.index; i++) picks = drawSubset(src.tokensPerSample, o.tokens, rng);
  const staging = makeStagingDir(target);
  try {
    const info = await writeSubset(src, picks, o.index, o, staging);
    commitStagingDir(staging, target);
    return info;
  } catch (err) {
    removeStagingDir(staging);
    throw err;
  }
}
