/**
 * `corpus audit`: the reference pipeline's decontamination rule (VITA-Group/latent-capability-
 * resurfacing, src/audit.py: `scan_corpus` with its default `min_cutoff` = 1) — a sample is dropped
 * when it shares at least one word n-gram (n = 8 in the paper) with any benchmark item, after
 * `normalizeForAudit`. A sample with fewer than n words has no n-grams and is kept, as there.
 * Benchmark n-grams are held as 64-bit hashes (ngram-hash.ts, with the collision bound), so memory
 * is 12 bytes a slot (1.4–2.9 slots per distinct benchmark n-gram) however long the corpus is; the corpus is streamed
 * shard by shard, and kept samples stream into the clean corpus.
 *
 * Outputs in `outDir`: a clean corpus (same format; manifest.audit records n, every benchmark file's
 * sha256 and flagged source ids), `audit.json`, and `nll-histogram.svg` when the records carry
 * `mean_nll` (generate --logprobs).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { benchmarkItemText } from './benchmark-text';
import { checkFreshOut, commitStagingDir, DerivedCorpusWriter, makeStagingDir, removeStagingDir } from './derived-corpus';
import { hashWords, ngramHash, NgramHashSet } from './ngram-hash';
import { auditWords } from './ngram-normalize';
import { nllHistogram, nllHistogramSvg, type NllHistogram } from './nll-histogram';
import { corpusRecords, openCorpus } from './read-corpus';
import { sha256 } from './shard';
import { VerbatimMatcher } from './verbatim';
import { ArgumentError, ResurfaceError } from '../errors';
import { readTaskFile } from '../eval/task-file';
import { writeFileAtomic } from '../io/atomic';

export const AUDIT_FILE = 'audit.json';
export const NLL_HISTOGRAM_FILE = 'nll-histogram.svg';

export interface AuditOptions {
  corpusDir: string;
  taskFiles: string[];
  /** Word n-gram length (default 8, the paper's). */
  n?: number;
  outDir: string;
  /** Extraction sequences (prefix + suffix texts) to look for verbatim in the corpus. */
  extraction?: { file: string; texts: string[] };
  onProgress?: (done: number, total: number) => void;
}

export interface BenchmarkAudit {
  file: string;
  name: string;
  sha256: string;
  kind: string;
  items: number;
  /** Items with at least n words (the others contribute no n-gram). */
  itemsWithNgrams: number;
  distinctNgrams: number;
  flagged: number;
  flaggedIds: number[];
}

export interface AuditReport {
  format: 'resurface-audit';
  version: 1;
  rule: string;
  n: number;
  source: { path: string; samples: number; tokens: number };
  clean: { path: string; samples: number; tokens: number };
  flagged: number;
  flaggedRate: number;
  flaggedIds: number[];
  /** Samples with fewer than n words: never flagged (they have no n-gram). */
  shortSamples: number;
  benchmarks: BenchmarkAudit[];
  hash: { bits: 64; distinctNgrams: number; lookups: number; tableBytes: number; falsePositiveBound: number };
  nll: { available: false; reason: string } | ({ available: true; histogram: string } & NllHistogram);
  extraction?: {
    file: string;
    sequences: number;
    found: number;
    items: { index: number; samples: number; occurrences: number; ids: number[]; keptIds: number[] }[];
  };
  /** Wall time: fingerprinting the benchmarks, then everything else (scan, clean corpus, report). */
  timing: { fingerprintSeconds: number; scanSeconds: number };
  elapsedSeconds: number;
}

/** The fingerprint table of the task files; each file is one group. */
export function buildBenchmarkSet(taskFiles: readonly string[], n: number): { set: NgramHashSet; benchmarks: BenchmarkAudit[] } {
  const set = new NgramHashSet(taskFiles.length, 1 << 20);
  const out = new Uint32Array(2);
  const benchmarks = taskFiles.map((file, g) => {
    const task = readTaskFile(file);
    let distinct = 0,
      withNgrams = 0;
    for (const item of task.items) {
      const words = auditWords(benchmarkItemText(item));
      if (words.length < n) continue;
      withNgrams++;
      const { a, b } = hashWords(words);
      for (let i = 0; i + n <= words.length; i++) {
        ngramHash(a, b, i, n, out);
        if (set.add(out[0]!, out[1]!, g)) distinct++;
      }
    }
    return {
      file: path.resolve(file),
      name: task.name,
      sha256: sha256(fs.readFileSync(file)),
      kind: task.kind,
      items: task.items.length,
      itemsWithNgrams: withNgrams,
      distinctNgrams: distinct,
      flagged: 0,
      flaggedIds: [] as number[],
    };
  });
  return { set, benchmarks };
}

/**
 * Groups (benchmark indices) whose n-grams the text shares; empty when none. `scratch.lookups` counts
 * n-grams looked up, `scratch.words` is set to the text's word count.
 */
export function matchingGroups(
  text: string,
  n: number,
  set: NgramHashSet,
  scratch = { out: new Uint32Array(2), lookups: 0, words: 0 },
): number[] {
  const words = auditWords(text);
  scratch.words = words.length;
  if (words.length < n) return [];
  const { a, b } = hashWords(words);
  const acc = new Uint32Array(Math.ceil(set.groups / 32));
  let any = false;
  for (let i = 0; i + n <= words.length; i++) {
    ngramHash(a, b, i, n, scratch.out);
    scratch.lookups++;
    const slot = set.find(scratch.out[0]!, scratch.out[1]!);
    if (slot >= 0) {
      set.orGroups(slot, acc);
      any = true;
    }
  }
  if (!any) return [];
  const groups: number[] = [];
  for (let g = 0; g < set.groups; g++) if (acc[g >>> 5]! & (1 << (g & 31))) groups.push(g);
  return groups;
}

function extractionReport(
  matcher: VerbatimMatcher,
  ex: { file: string; texts: string[] },
  flagged: Set<number>,
): NonNullable<AuditReport['extraction']> {
  const items = matcher.found().map((h) => ({
    index: h.pattern,
    samples: h.samples,
    occurrences: h.occurrences,
    ids: h.ids,
    keptIds: h.ids.filter((id) => !flagged.has(id)),
  }));
  return { file: path.resolve(ex.file), sequences: ex.texts.length, found: items.length, items };
}

export async function auditCorpus(o: AuditOptions): Promise<AuditReport> {
  const started = Date.now();
  const n = o.n ?? 8;
  if (!Number.isInteger(n) || n < 1) throw new ArgumentError(`--n must be an integer >= 1, got ${o.n}`);
  if (o.taskFiles.length === 0) throw new ArgumentError('corpus audit needs at least one --task file');
  const corpus = openCorpus(o.corpusDir, { requireComplete: true });
  const target = checkFreshOut(o.outDir);
  const { set, benchmarks } = buildBenchmarkSet(o.taskFiles, n);
  const fingerprinted = Date.now();
  const matcher = o.extraction ? new VerbatimMatcher(o.extraction.texts) : null;

  const staging = makeStagingDir(target);
  try {
    const writer = new DerivedCorpusWriter(staging, corpus, 'audit');
    const scratch = { out: new Uint32Array(2), lookups: 0, words: 0 };
    const flaggedIds: number[] = [];
    const keptNll: number[] = [],
      droppedNll: number[] = [];
    let missingNll = 0,
      shortSamples = 0,
      done = 0;
    const total = corpus.manifest.counts.samples;
    for (const r of corpusRecords(corpus)) {
      const groups = matchingGroups(r.text, n, set, scratch);
      if (scratch.words < n) shortSamples++;
      matcher?.scan(r.text, r.id);
      if (groups.length > 0) {
        flaggedIds.push(r.id);
        for (const g of groups) benchmarks[g]!.flaggedIds.push(r.id);
      } else {
        await writer.add(r);
      }
      if (r.mean_nll === undefined || !Number.isFinite(r.mean_nll)) missingNll++;
      else (groups.length > 0 ? droppedNll : keptNll).push(r.mean_nll);
      if (++done % 1000 === 0) o.onProgress?.(done, total);
    }
    for (const b of benchmarks) b.flagged = b.flaggedIds.length;
    const keptSamples = writer.count;
    const manifest =
      keptSamples > 0
        ? await writer.finish({
            audit: {
              n,
              sourceSamples: total,
              flaggedIds,
              benchmarks: benchmarks.map((b) => ({
                file: b.file,
                name: b.name,
                sha256: b.sha256,
                items: b.items,
                flaggedIds: b.flaggedIds,
              })),
            },
          })
        : null;

    let nll: AuditReport['nll'];
    if (missingNll > 0 || total === 0) {
      nll = {
        available: false,
        reason: `${missingNll} of ${total} records carry no mean_nll (generate with --logprobs to store it): no NLL histogram`,
      };
    } else {
      const h = nllHistogram(keptNll, droppedNll);
      await writeFileAtomic(
        path.join(staging, NLL_HISTOGRAM_FILE),
        await nllHistogramSvg(h, `mean NLL of ${path.basename(path.resolve(o.corpusDir))}: kept vs dropped by the ${n}-gram audit`),
      );
      nll = { available: true, histogram: NLL_HISTOGRAM_FILE, ...h };
    }

    const flaggedSet = new Set(flaggedIds);
    const report: AuditReport = {
      format: 'resurface-audit',
      version: 1,
      rule: `drop a sample sharing >= 1 word ${n}-gram with any benchmark item (text lower-cased, [^\\w\\s] removed, whitespace collapsed, split on spaces; item fields joined by spaces)`,
      n,
      source: { path: path.resolve(o.corpusDir), samples: total, tokens: corpus.manifest.counts.tokens },
      clean: { path: target, samples: keptSamples, tokens: manifest?.counts.tokens ?? 0 },
      flagged: flaggedIds.length,
      flaggedRate: total ? flaggedIds.length / total : 0,
      flaggedIds,
      shortSamples,
      benchmarks,
      hash: {
        bits: 64,
        distinctNgrams: set.size,
        lookups: scratch.lookups,
        tableBytes: set.bytes,
        falsePositiveBound: (scratch.lookups * set.size) / 2 ** 64,
      },
      nll,
      ...(matcher && o.extraction ? { extraction: extractionReport(matcher, o.extraction, flaggedSet) } : {}),
      timing: { fingerprintSeconds: (fingerprinted - started) / 1000, scanSeconds: (Date.now() - fingerprinted) / 1000 },
      elapsedSeconds: (Date.now() - started) / 1000,
    };
    await writeFileAtomic(path.join(staging, AUDIT_FILE), `${JSON.stringify(report, null, 2)}\n`);
    if (keptSamples === 0) {
      // The report is still useful: keep it, but there is no clean corpus to hand to train.
      commitStagingDir(staging, target);
      throw new ResurfaceError(
        'ERR_CORPUS',
        `every one of the ${total} samples was flagged: ${target} holds ${AUDIT_FILE} but no clean corpus`,
      );
    }
    commitStagingDir(staging, target);
    return report;
  } catch (err) {
    removeStagingDir(staging);
    throw err;
  }
}
