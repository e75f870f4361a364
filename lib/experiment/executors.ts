/**
 * The executors `resurface run` uses: adapters between the runner and the library calls, following
 * the output conventions in executor.ts. One file per family of steps under executors/:
 *   sample     → generateCorpus into ctx.outDir, resumable         executors/corpus.ts
 *   audit      → auditCorpus: n-gram decontamination               executors/decontaminate.ts
 *   retokenize → retokenizeCorpus for the student's tokenizer      executors/corpus.ts
 *   subset     → one token-budget subset                           executors/decontaminate.ts
 *   train      → train() on the corpus into ctx.outDir, resumable  executors/train.ts
 *   eval       → evaluateTask on step.runtime.task_file            executors/evaluate.ts
 *   extract    → runExtraction on step.runtime.data_file           executors/evaluate.ts
 *   proxies    → computeProxies with a per-step model cache        here
 *   report     → writeReport                                       here
 * Every executed step but the report leaves timing.json (wall time, main-thread share) in its
 * output directory (executors/timing.ts).
 */
import * as path from 'node:path';
import { computeProxies, type ProxyReport } from '../proxies';
import { scopedNativeHooks } from '../proxies/native-hooks';
import type { DeviceName } from '../native/types';
import { writeReport } from '../report';
import type { ExecutorRegistry, StepContext, StepExecutor, StepResult } from './executor';
import { mergeExecutor, retokenizeExecutor, sampleExecutor } from './executors/corpus';
import { naturalExecutor } from './executors/natural';
import { auditExecutor, subsetExecutor } from './executors/decontaminate';
import { evalExecutor, extractExecutor } from './executors/evaluate';
import { withTiming } from './executors/timing';
import { trainExecutor } from './executors/train';
import type { Step } from './step';

export { readStepTimings, type StepTiming, type KindTiming } from './executors/timing';
export { sampleExecutor, retokenizeExecutor, trainExecutor, evalExecutor, extractExecutor, auditExecutor, subsetExecutor };

export const proxiesExecutor: StepExecutor = {
  version: 'proxies-1',
  async run(step, ctx) {
    const s = step.settings as { k: number; max_n: number; lexical_only: boolean; max_corpus_texts: number; seed: number };
    const taskFiles = Object.values((step.runtime.task_files as Record<string, string>) ?? {});
    // every model is loaded once for the whole step (student, source, embedder), then released
    const hooks = scopedNativeHooks({ device: ctx.device as DeviceName });
    const report = await computeProxies({
      corpus: ctx.inputs.corpus.dir,
      student: ctx.models.student.dir,
      source: ctx.models.source?.dir,
      embedModel: ctx.models.embed?.dir,
      embedder: step.runtime.embedder_dir as string | undefined,
      tasks: taskFiles,
      k: s.k,
      maxN: s.max_n,
      lexicalOnly: s.lexical_only,
      maxCorpusTexts: s.max_corpus_texts,
      seed: s.seed,
      hooks,
    }).finally(() => hooks.dispose());
    return portableProxyReport(report, step, ctx);
  },
};

/**
 * A cached result must not depend on where the cache lives: replace the absolute paths in a proxy
 * report by the names they stand for (corpus step id, model names, task names).
 */
export function portableProxyReport(report: ProxyReport, step: Step, ctx: StepContext): StepResult {
  const taskNames = new Map(Object.entries((step.runtime.task_files as Record<string, string>) ?? {}).map(([n, f]) => [f, n]));
  return {
    ...report,
    corpus: step.inputs.corpus,
    student: ctx.models.student.name,
    source: ctx.models.source?.name ?? null,
    embedder: report.embedder ? { ...report.embedder, dir: path.basename(report.embedder.dir) } : null,
    tasks: report.tasks.map((t) => ({ ...t, task: taskNames.get(t.task) ?? t.task })),
  } as unknown as StepResult;
}

export const reportExecutor: StepExecutor = {
  version: 'report-1',
  async run(_step, ctx) {
    const r = await writeReport(ctx.runDir, ctx.outDir);
    return { dir: path.relative(ctx.runDir, r.dir), files: r.files, findings: r.analysis.findings };
  },
};

export function defaultExecutors(): ExecutorRegistry {
  return {
    sample: withTiming(sampleExecutor),
    merge: withTiming(mergeExecutor),
    audit: withTiming(auditExecutor),
    retokenize: withTiming(retokenizeExecutor),
    natural: withTiming(naturalExecutor),
    subset: withTiming(subsetExecutor),
    train: withTiming(trainExecutor),
    eval: withTiming(evalExecutor),
    extract: withTiming(extractExecutor),
    proxies: withTiming(proxiesExecutor),
    report: reportExecutor,
  };
}
