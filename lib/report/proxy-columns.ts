/**
 * The proxy columns of an experiment's results table, named `<proxy>:<task>` so that the study
 * (lib/study/findings.ts) can pair a per-task proxy with that task's gain. Built here, from a
 * proxy report, rather than by lib/proxies, which knows corpora and tasks but no experiment.
 */
import * as path from 'node:path';
import type { ProxyReport } from '../proxies';

/** A task's column suffix: its experiment name (cached reports store names) or its file's base name. */
function taskColumn(task: string): string {
  return path.basename(task).replace(/\.jsonl$/, '');
}

export function proxyColumns(report: Pick<ProxyReport, 'likelihood' | 'tasks'>): Record<string, number | null> {
  const columns: Record<string, number | null> = {
    loglik_student: report.likelihood.student,
    loglik_source: report.likelihood.source,
    loglik_compatibility: report.likelihood.compatibility,
  };
  for (const t of report.tasks) {
    const name = taskColumn(t.task);
    columns[`tfidf_centroid:${name}`] = t.tfidf.centroid;
    columns[`tfidf_topk:${name}`] = t.tfidf.topK;
    for (const g of t.ngram) columns[`ngram${g.n}_bench_in_corpus:${name}`] = g.benchInCorpus;
    columns[`embed_centroid:${name}`] = t.embedding?.centroid ?? null;
    columns[`embed_topk:${name}`] = t.embedding?.topK ?? null;
    if (t.semantic) {
      columns[`semantic_centroid_cosine:${name}`] = t.semantic.centroidCosine;
      columns[`semantic_nn_cosine:${name}`] = t.semantic.nnCosine;
      columns[`semantic_nn_cosine_reverse:${name}`] = t.semantic.nnCosineReverse;
    }
  }
  return columns;
}
