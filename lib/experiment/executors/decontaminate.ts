/**
 * Corpus steps between sampling and training. `audit`: `corpus audit` of the sampled corpus against
 * the experiment's audit task files (ctx.outDir becomes the clean corpus, with audit.json and the NLL
 * histogram). `subset`: one token-budget subset of its input corpus (subset k of the seed's stream:
 * the bytes `corpus subset --count > k` writes to subset-k).
 */
import { auditCorpus } from '../../corpus/audit';
import { writeOneSubset } from '../../corpus/subset';
import type { StepExecutor } from '../executor';
import { throwIfAborted } from './corpus';

export const auditExecutor: StepExecutor = {
  version: 'audit-1',
  async run(step, ctx) {
    const s = step.settings as { n: number };
    const files = (step.runtime.task_files as Record<string, string>) ?? {};
    const r = await auditCorpus({
      corpusDir: ctx.inputs.corpus.dir,
      taskFiles: Object.values(files),
      n: s.n,
      outDir: ctx.outDir,
      onProgress: (d, t) => ctx.progress(d, t, 'samples'),
    });
    throwIfAborted(ctx, step.id);
    const names = new Map(Object.entries(files).map(([n, f]) => [f, n]));
    // no absolute paths in the cached result: it must not depend on where the cache lives
    return {
      samples: r.clean.samples,
      tokens: r.clean.tokens,
      source_samples: r.source.samples,
      flagged: r.flagged,
      flagged_rate: r.flaggedRate,
      per_benchmark: Object.fromEntries(r.benchmarks.map((b) => [names.get(b.file) ?? b.name, b.flagged])),
    };
  },
};

export const subsetExecutor: StepExecutor = {
  version: 'subset-1',
  async run(step, ctx) {
    const s = step.settings as { tokens: number; seed: number; index: number };
    const r = await writeOneSubset({
      corpusDir: ctx.inputs.corpus.dir,
      tokens: s.tokens,
      seed: s.seed,
      index: s.index,
      outDir: ctx.outDir,
    });
    throwIfAborted(ctx, step.id);
    return {
      samples: r.samples,
      distinct_samples: r.distinctSamples,
      tokens: r.tokens,
      tokens_estimated_chars4: r.tokensEstimatedChars4,
      index: r.index,
    };
  },
};
