/**
 * The executors `resurface run` uses.
 *
 * INTEGRATION POINT (lead): replace each `notConnected(...)` with an adapter over the library call
 * of the corresponding issue, following the output conventions in executor.ts:
 *   sample     → Model.generate into ctx.outDir (issue 4), resumable: true
 *   retokenize → corpus retokenize of ctx.inputs.corpus.dir for ctx.models.tokenizer.dir (issue 4)
 *   train      → train ctx.models.model.dir on ctx.inputs.corpus.dir into ctx.outDir (issue 5), resumable: true
 *   eval       → evaluate evaluatedModelDir(ctx) on step.runtime.task_file (issue 6)
 *   extract    → extract with evaluatedModelDir(ctx) on step.runtime.data_file (issue 6)
 * The proxies executor is complete here; its model-based parts go through lib/proxies/native-hooks.ts.
 */
import * as path from 'node:path';
import { ResurfaceError } from '../errors';
import { computeProxies, type ProxyReport } from '../proxies';
import { writeReport } from '../report';
import type { ExecutorRegistry, StepContext, StepExecutor, StepResult } from './executor';
import type { Step, StepKind } from './plan';

function notConnected(kind: StepKind, what: string): StepExecutor {
  return {
    version: 'unconnected',
    async run() {
      throw new ResurfaceError('ERR_INTERNAL', `"${kind}" steps are not connected to ${what} yet (lib/experiment/executors.ts)`);
    },
  };
}

export const proxiesExecutor: StepExecutor = {
  version: 'proxies-1',
  async run(step, ctx) {
    const s = step.settings as { k: number; max_n: number; lexical_only: boolean; max_corpus_texts: number; seed: number };
    const taskFiles = Object.values((step.runtime.task_files as Record<string, string>) ?? {});
    const report = await computeProxies({
      corpus: ctx.inputs.corpus.dir,
      student: ctx.models.student.dir,
      source: ctx.models.source?.dir,
      embedModel: ctx.models.embed?.dir,
      tasks: taskFiles,
      k: s.k,
      maxN: s.max_n,
      lexicalOnly: s.lexical_only,
      maxCorpusTexts: s.max_corpus_texts,
      seed: s.seed,
    });
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
    sample: notConnected('sample', 'native generation (Model.generate)'),
    retokenize: notConnected('retokenize', 'corpus retokenize'),
    train: notConnected('train', 'the native trainer'),
    eval: notConnected('eval', 'native evaluation'),
    extract: notConnected('extract', 'native extraction'),
    proxies: proxiesExecutor,
    report: reportExecutor,
  };
}
