/**
 * Corpus steps. `sample`: prompt-free generation from the source into ctx.outDir (a corpus
 * directory), resumable shard by shard. `retokenize`: the sampled corpus re-encoded with
 * the student's tokenizer (cross-family transfer); its manifest names the student's start and EOS
 * tokens, which training prepends / packs with.
 */
import { mergeCorpusParts } from '../../corpus/merge-corpus';
import { retokenizeCorpus } from '../../corpus/retokenize';
import { generateCorpus } from '../../corpus/write-corpus';
import { ResurfaceError } from '../../errors';
import { measureCorpus, readWorldFacts } from '../../lab/world-measures';
import { readCorpusTexts } from '../../proxies/inputs';
import type { DeviceName } from '../../native/types';
import type { StepContext, StepExecutor } from '../executor';

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
  start_text?: string;
  min_new_tokens?: number;
  logprobs?: boolean;
  drop_short?: boolean;
  /** A part of a sharded corpus (`generate --shard I/N`). */
  part?: { index: number; count: number };
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
      ...(s.start_text !== undefined ? { startText: s.start_text } : {}),
      minNewTokens: s.min_new_tokens ?? 0,
      logprobs: s.logprobs ?? false,
      dropShort: s.drop_short ?? false,
      ...(s.part ? { part: s.part } : {}),
      samplesPerShard: samplesPerShard(s.num_samples),
      load: { device: ctx.device as DeviceName, dtype: 'float32' },
      signal: ctx.signal,
      onProgress: (p) => ctx.progress(p.samplesDone, p.samplesTotal, 'samples'),
    });
    throwIfAborted(ctx, step.id);
    if (!summary.complete)
      throw new ResurfaceError('ERR_CORPUS', `${step.id}: generation ended with ${summary.samples}/${s.num_samples} samples`);
    // A world with known facts: the corpus measured against it (the report reads `measures`).
    const worldFile = step.runtime.world_file as string | undefined;
    const scan = worldFile ? measureCorpus(readWorldFacts(worldFile), readCorpusTexts(ctx.outDir)) : null;
    return {
      ...(scan
        ? {
            measures: scan.measures,
            canaries_regenerated: scan.regenerated,
            fact_statements: scan.statements,
            canary_samples: scan.canarySamples,
          }
        : {}),
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

/** `merge` steps: the parts of a sharded sample step joined into exactly the single-process corpus. */
export const mergeExecutor: StepExecutor = {
  version: 'merge-1',
  async run(step, ctx) {
    const parts = Object.keys(ctx.inputs)
      .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)))
      .map((k) => ctx.inputs[k]!.dir);
    const m = await mergeCorpusParts(parts, ctx.outDir);
    throwIfAborted(ctx, step.id);
    return { samples: m.samples, tokens: m.tokens, parts: m.parts, shards: m.shards };
  },
};

export const retokenizeExecutor: StepExecutor = {
  version: 'retokenize-1',
  async run(step, ctx) {
    const src = ctx.inputs.corpus;
    const tokDir = ctx.models.tokenizer.dir;
    const m = await retokenizeCorpus(src.dir, tokDir, ctx.outDir);
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
