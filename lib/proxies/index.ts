/**
 * Intrinsic proxies of a synthetic corpus's quality for a student (the paper's third instrument):
 *   - likelihood: average per-token log-likelihood of the corpus under the student and under the
 *     source, and source − student as a compatibility score;
 *   - per benchmark task: TF-IDF cosine, word n-gram overlap (n = 1..4) and embedding cosine
 *     (centroid and mean top-k nearest neighbour) between the corpus and the task's texts;
 *   - with an `embedder` (a sentence-transformers BERT checkpoint): semantic similarity from its
 *     sentence embeddings (semantic.ts: centroid cosine, nearest-neighbour cosine both ways).
 * Model forward passes come in through injected functions (see native-hooks.ts).
 */
import { Rng } from '../stats/prng';
import { readCorpusTexts, readTaskItems, taskTexts } from './inputs';
import { builtinSentenceEmbed, nativeHooks, type EncoderSummary, type NativeHooks } from './native-hooks';
import { semanticSimilarity, type SemanticSimilarity } from './semantic';
import { ngramOverlap, type NgramOverlap } from './ngram';
import { tfidfSimilarity, type SetSimilarity } from './tfidf';
import { setSimilarity } from './vectors';

export { ngramOverlap, ngramOverlapUnits, type NgramOverlap } from './ngram';
export { tfidfSimilarity, tfidfVectors, type SetSimilarity } from './tfidf';
export { setSimilarity, cosine } from './vectors';
export { readCorpusTexts, readTaskItems, taskTexts, type TaskItem } from './inputs';
export { setNativeHooks, resetNativeHooks, nativeHooks, type NativeHooks } from './native-hooks';
export { words } from './text';
export { semanticSimilarity, type SemanticSimilarity } from './semantic';
export type { EncoderSummary, SentenceEmbedding } from './native-hooks';

export interface ProxyOptions {
  corpus: string;
  student: string;
  source?: string;
  tasks?: string[];
  /** Model whose mean-pooled states embed texts (default: the student). */
  embedModel?: string;
  /** Neighbours for the top-k similarities (default 5). */
  k?: number;
  /** Largest n of the n-gram overlap (default 4). */
  maxN?: number;
  /** Use at most this many corpus texts, a seeded random subset (default all). */
  maxCorpusTexts?: number;
  seed?: number;
  /** Skip the student/source forward passes (log-likelihood, hidden-state embedding): TF-IDF and n-grams only, plus the embedder's semantic similarity when one is given. */
  lexicalOnly?: boolean;
  /** Sentence-transformers BERT checkpoint directory for the semantic similarity (lib/encoder). */
  embedder?: string;
  hooks?: NativeHooks;
}

export interface TaskProxies {
  task: string;
  items: number;
  tfidf: SetSimilarity;
  ngram: NgramOverlap[];
  embedding: SetSimilarity | null;
  /** From the embedder's sentence embeddings; null without an embedder. */
  semantic: SemanticSimilarity | null;
}

export interface ProxyReport {
  corpus: string;
  corpusTexts: number;
  student: string;
  source: string | null;
  /** How the embedder checkpoint was read (pooling, normalisation, truncation, warnings); null without one. */
  embedder: EncoderSummary | null;
  likelihood: { student: number | null; source: number | null; compatibility: number | null; tokens: number | null };
  /** Per task; the experiment's results columns are derived from these by lib/report/proxy-columns.ts. */
  tasks: TaskProxies[];
}

export async function embedTexts(embed: NativeHooks['embed'], model: string, texts: string[], batch = 256): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += batch) out.push(...(await embed(model, texts.slice(i, i + batch))));
  return out;
}

export async function computeProxies(opts: ProxyOptions): Promise<ProxyReport> {
  const hooks = opts.hooks ?? nativeHooks();
  const k = opts.k ?? 5;
  let corpus = readCorpusTexts(opts.corpus);
  if (opts.maxCorpusTexts !== undefined && corpus.length > opts.maxCorpusTexts) {
    corpus = new Rng(opts.seed ?? 0).shuffle([...corpus]).slice(0, opts.maxCorpusTexts);
  }
  const likelihood: ProxyReport['likelihood'] = { student: null, source: null, compatibility: null, tokens: null };
  if (!opts.lexicalOnly) {
    const s = await hooks.avgLogLik(opts.student, corpus);
    likelihood.student = s.avgLogLik;
    likelihood.tokens = s.tokens;
    if (opts.source) {
      likelihood.source = (await hooks.avgLogLik(opts.source, corpus)).avgLogLik;
      likelihood.compatibility = likelihood.source - likelihood.student;
    }
  }
  const embedModel = opts.embedModel ?? opts.student;
  const corpusEmb = opts.lexicalOnly || !opts.tasks?.length ? null : await embedTexts(hooks.embed, embedModel, corpus);
  const sentenceEmbed = hooks.sentenceEmbed ? hooks.sentenceEmbed.bind(hooks) : builtinSentenceEmbed();
  let embedder: EncoderSummary | null = null;
  let corpusSemantic: Float32Array[] | null = null;
  if (opts.embedder && opts.tasks?.length) {
    const r = await sentenceEmbed(opts.embedder, corpus);
    corpusSemantic = r.vectors;
    embedder = r.encoder;
  }
  const tasks: TaskProxies[] = [];
  for (const file of opts.tasks ?? []) {
    const bench = taskTexts(readTaskItems(file));
    const embedding = corpusEmb ? { ...setSimilarity(corpusEmb, await embedTexts(hooks.embed, embedModel, bench), k), k } : null;
    const semantic = corpusSemantic ? semanticSimilarity(corpusSemantic, (await sentenceEmbed(opts.embedder!, bench)).vectors) : null;
    tasks.push({
      task: file,
      items: bench.length,
      tfidf: tfidfSimilarity(corpus, bench, { k }),
      ngram: ngramOverlap(corpus, bench, opts.maxN ?? 4),
      embedding,
      semantic,
    });
  }
  return {
    corpus: opts.corpus,
    corpusTexts: corpus.length,
    student: opts.student,
    source: opts.source ?? null,
    embedder,
    likelihood,
    tasks,
  };
}
