/**
 * Corpus steps. `sample`: prompt-free generation from the source into ctx.outDir (a corpus
 * directory, issue 4), resumable shard by shard. `retokenize`: the sampled corpus re-encoded with
 * the student's tokenizer (cross-family transfer).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readManifest, writeManifest } from '../../corpus/manifest';
import { retokenizeCorpus } from '../../corpus/retokenize';
import { generateCorpus } from '../../corpus/write-corpus';
import { ResurfaceError } from '../../errors';
import { resolveStartToken } from '../../generate/start-token';
import { readModelConfig } from '../../model/config';
import type { DeviceName } from '../../native/types';
import type { StepContext, StepExecutor } from '../executor';
import { sharedTokenizer } from './tokenizers';

/** The settings plan.ts gives a sample step. */
interface SampleSettings {
  temperature: number;
  seed: number;
  num_samples: number;
  max_new_tokens: number;
  top_k: number;
  top_p: number;
  min_p: number;
  start_token: number | null;
}

export function throwIfAborted(ctx: StepContext, what: string): void {
  if (ctx.signal.aborted) throw new ResurfaceError('ERR_ABORTED', `${what} was aborted`);
}

/**
 * Shard size from the settings alone (a resume must see the same layout): about 20 shards per
 * corpus, so a kill loses at most ~5% of the work, and 50–1000 samples per shard.
 */
export function samplesPerShard(numSamples: number): number {
  return Math.min(1000, Math.max(50, Math.ceil(numSamples / 20)));
}

export const sampleExecutor: StepExecutor = {
  version: 'sample-1',
  resumable: true,
  async run(step, ctx) {
    const s = step.settings as unknown as SampleSettings;
    const batch = step.runtime.batch_size as number | 'auto' | undefined;
    const summary = await generateCorpus({
      modelDir: ctx.models.model.dir,
      outDir: ctx.outDir,
      resume: ctx.resume,
      numSamples: s.num_samples,
      maxNewTokens: s.max_new_tokens,
      temperature: s.temperature,
      topK: s.top_k,
      topP: s.top_p,
      minP: s.min_p,
      seed: s.seed,
      batchSize: batch ?? 'auto',
      startToken: s.start_token ?? undefined,
      samplesPerShard: samplesPerShard(s.num_samples),
      load: { device: ctx.device as DeviceName, dtype: 'float32' },
      signal: ctx.signal,
      onProgress: (p) => ctx.progress(p.samplesDone, p.samplesTotal, 'samples'),
    });
    throwIfAborted(ctx, step.id);
    if (!summary.complete) throw new ResurfaceError('ERR_CORPUS', `${step.id}: generation ended with ${summary.samples}/${s.num_samples} samples`);
    return {
      samples: summary.samples,
      tokens: summary.tokens,
      eos_rate: summary.eosRate,
      tokens_per_second: summary.tokensPerSecond,
      batch_size: summary.batchSize,
      shards_reused: summary.shardsReused,
      elapsed_seconds: summary.elapsedSeconds,
    };
  },
};

export const retokenizeExecutor: StepExecutor = {
  version: 'retokenize-1',
  async run(step, ctx) {
    const src = ctx.inputs.corpus;
    const tokDir = ctx.models.tokenizer.dir;
    const m = await retokenizeCorpus(src.dir, tokDir, ctx.outDir);
    await fixSpecialTokens(ctx.outDir, tokDir);
    throwIfAborted(ctx, step.id);
    return {
      samples: m.counts.samples,
      tokens: m.counts.tokens,
      eos_rate: m.counts.samples ? m.counts.eos / m.counts.samples : 0,
      source_tokens: src.result.tokens ?? null,
      tokenizer: ctx.models.tokenizer.tokenizer,
    };
  },
};

/**
 * The re-encoded corpus must name the start and EOS tokens of the tokenizer its ids belong to:
 * training prepends the manifest's start token to every `tokens` record (lib/train/data-source.ts),
 * and the source's id means another token (or none) in the student's vocabulary. `retokenizeCorpus`
 * copies the source's fields, so they are rewritten here (a no-op once it sets them itself).
 */
async function fixSpecialTokens(dir: string, tokDir: string): Promise<void> {
  const tok = await sharedTokenizer(tokDir);
  const start = resolveStartToken(tok.special);
  let configEos: number[] = [];
  if (fs.existsSync(path.join(tokDir, 'config.json'))) configEos = readModelConfig(tokDir).eosTokenIds;
  const eosIds = [...new Set([...tok.special.eosIds, ...configEos])];
  const m = readManifest(dir);
  if (m.startToken.id === start.id && JSON.stringify(m.eosIds) === JSON.stringify(eosIds)) return;
  await writeManifest(dir, { ...m, startToken: { id: start.id, rule: start.rule, text: tok.idToToken(start.id) }, eosIds });
}
