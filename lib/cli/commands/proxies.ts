/** `resurface proxies --corpus DIR --student DIR [--source DIR] [--task FILE ...] [--embedder DIR] [--json]` — intrinsic corpus-quality proxies. */
import type { Argv } from 'yargs';
import { computeProxies } from '../../proxies';
import { proxyColumns } from '../../report/proxy-columns';
import { printJson, runCommand } from '../run-command';

export const command = 'proxies';
export const describe = 'Intrinsic proxies of a corpus for a student: log-likelihood, TF-IDF / n-gram / embedding similarity to benchmarks';

export function builder(y: Argv) {
  return y
    .option('corpus', { type: 'string', demandOption: true, describe: 'corpus directory (or JSONL of {"text"})' })
    .option('student', { type: 'string', demandOption: true, describe: 'student model directory' })
    .option('source', { type: 'string', describe: 'source model directory (adds its log-likelihood and the compatibility score)' })
    .option('task', {
      type: 'string',
      array: true,
      default: [] as string[],
      describe: 'benchmark task file(s), {"context","choices","gold"} JSONL',
    })
    .option('embed-model', { type: 'string', describe: 'model for the embedding cosine (default: the student)' })
    .option('embedder', {
      type: 'string',
      describe: 'sentence-transformers BERT checkpoint (all-MiniLM-L6-v2, BGE-small, ...) for the semantic similarity',
    })
    .option('k', { type: 'number', default: 5, describe: 'neighbours for the top-k similarities' })
    .option('max-corpus-texts', { type: 'number', describe: 'use a seeded random subset of at most this many corpus texts' })
    .option('seed', { type: 'number', default: 0 })
    .option('lexical-only', { type: 'boolean', default: false, describe: 'only TF-IDF and n-grams (no model forward passes)' })
    .option('json', { type: 'boolean', default: false });
}

interface Args {
  corpus: string;
  student: string;
  source?: string;
  task: string[];
  embedModel?: string;
  embedder?: string;
  k: number;
  maxCorpusTexts?: number;
  seed: number;
  lexicalOnly: boolean;
  json: boolean;
}

export async function handler(argv: Args) {
  await runCommand(async () => {
    const r = await computeProxies({
      corpus: argv.corpus,
      student: argv.student,
      source: argv.source,
      tasks: argv.task,
      embedModel: argv.embedModel,
      embedder: argv.embedder,
      k: argv.k,
      maxCorpusTexts: argv.maxCorpusTexts,
      seed: argv.seed,
      lexicalOnly: argv.lexicalOnly,
    });
    // --json: the report plus `summary`, the flat columns an experiment's results table would get
    if (argv.json) return printJson({ ...r, summary: proxyColumns(r) });
    const f = (v: number | null) => (v === null ? '—' : v.toFixed(4));
    const lines = [`corpus ${r.corpus}: ${r.corpusTexts} texts`];
    if (r.embedder) {
      const e = r.embedder;
      lines.push(
        `embedder ${e.dir}: ${e.pooling} pooling${e.normalize ? ', normalised' : ''}, ${e.dim} dims, texts cut to ${e.maxSeqLength} tokens`,
      );
      for (const w of e.warnings) process.stderr.write(`warning: ${w}\n`);
    }
    lines.push(
      `avg log-likelihood: student ${f(r.likelihood.student)}, source ${f(r.likelihood.source)}, compatibility (source − student) ${f(r.likelihood.compatibility)}`,
    );
    for (const t of r.tasks) {
      lines.push(`${t.task} (${t.items} items)`);
      lines.push(`  tf-idf cosine: centroid ${f(t.tfidf.centroid)}, mean top-${t.tfidf.k} ${f(t.tfidf.topK)}`);
      lines.push(`  embedding cosine: centroid ${f(t.embedding?.centroid ?? null)}, mean top-${t.tfidf.k} ${f(t.embedding?.topK ?? null)}`);
      if (t.semantic) {
        lines.push(
          `  semantic cosine: centroid ${f(t.semantic.centroidCosine)}, nearest neighbour benchmark→corpus ${f(t.semantic.nnCosine)}, corpus→benchmark ${f(t.semantic.nnCosineReverse)}`,
        );
      }
      lines.push(
        `  n-gram overlap (benchmark in corpus / corpus in benchmark): ${t.ngram.map((g) => `${g.n}: ${f(g.benchInCorpus)}/${f(g.corpusInBench)}`).join(', ')}`,
      );
    }
    process.stdout.write(lines.join('\n') + '\n');
  });
}
