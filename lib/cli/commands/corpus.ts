/** `resurface corpus stats|retokenize|export|audit|subset|merge` */
import type { Argv } from 'yargs';
import { auditCorpus, AUDIT_FILE } from '../../corpus/audit';
import { exportCorpus } from '../../corpus/export';
import { extractionTexts } from '../../corpus/extraction-texts';
import { mergeCorpusParts } from '../../corpus/merge-corpus';
import { corpusRecords, openCorpus } from '../../corpus/read-corpus';
import { retokenizeCorpus } from '../../corpus/retokenize';
import { computeCorpusStats } from '../../corpus/stats';
import { subsetCorpus, SUBSETS_FILE } from '../../corpus/subset';
import { parseTokenCount } from '../../corpus/token-count';
import { ResurfaceError } from '../../errors';
import { TextTokenizer } from '../../tokenizer/tokenizer';
import { printJson, runCommand } from '../run-command';
import { Screen } from '../../util/screen';

export const command = 'corpus <action>';
export const describe = 'Inspect, convert, decontaminate, subset and merge corpora: stats, retokenize, export, audit, subset, merge';

export function builder(y: Argv) {
  return y
    .command(
      'stats <dir>',
      'samples, tokens, lengths, EOS rate, distinct-n, repetition, top tokens',
      (c) => c.positional('dir', { type: 'string', demandOption: true }).option('json', { type: 'boolean', default: false }),
      (a) => stats(a as never),
    )
    .command(
      'retokenize <dir>',
      "re-encode the text with another model's tokenizer",
      (c) =>
        c
          .positional('dir', { type: 'string', demandOption: true })
          .option('tokenizer', { type: 'string', demandOption: true, describe: 'model directory holding tokenizer.json' })
          .option('out', { type: 'string', demandOption: true }),
      (a) => retokenize(a as never),
    )
    .command(
      'export <dir>',
      'write one JSONL or Parquet file',
      (c) =>
        c
          .positional('dir', { type: 'string', demandOption: true })
          .option('format', { choices: ['jsonl', 'parquet'] as const, demandOption: true })
          .option('out', { type: 'string', demandOption: true }),
      (a) => exportCmd(a as never),
    )
    .command(
      'audit <dir>',
      "drop samples sharing a word n-gram with any benchmark (the reference's decontamination audit)",
      (c) =>
        c
          .positional('dir', { type: 'string', demandOption: true })
          .option('task', {
            type: 'string',
            array: true,
            demandOption: true,
            describe: 'task file (JSONL) whose items are benchmark text; repeat for each benchmark',
          })
          .option('n', { type: 'number', default: 8, describe: 'word n-gram length' })
          .option('out', {
            type: 'string',
            demandOption: true,
            describe: 'new directory for the clean corpus, audit.json and nll-histogram.svg',
          })
          .option('extraction', {
            type: 'string',
            describe: 'extraction data (the `extract --data` JSONL) whose prefix + suffix spans are looked up verbatim',
          })
          .option('prefix-len', { type: 'number', default: 32 })
          .option('suffix-len', { type: 'number', default: 32 })
          .option('offset', { type: 'number', default: 0 })
          .option('tokenizer', {
            type: 'string',
            describe: "model directory whose tokenizer decodes --extraction tokens (default: the corpus's)",
          })
          .option('json', { type: 'boolean', default: false }),
      (a) => audit(a as never),
    )
    .command(
      'subset <dir>',
      'training subsets: samples drawn uniformly with replacement until a token budget',
      (c) =>
        c
          .positional('dir', { type: 'string', demandOption: true })
          .option('tokens', { type: 'string', demandOption: true, describe: 'token budget of each subset: 5M, 200k, 5000000' })
          .option('count', { type: 'number', default: 3, describe: 'number of subsets (the reference default)' })
          .option('seed', { type: 'number', default: 0 })
          .option('out', { type: 'string', demandOption: true, describe: 'new directory; subsets go to OUT/subset-0, OUT/subset-1, ...' })
          .option('json', { type: 'boolean', default: false }),
      (a) => subset(a as never),
    )
    .command(
      'merge <parts..>',
      'join the parts of generate --shard I/N into the corpus one process would have written',
      (c) =>
        c
          .positional('parts', { type: 'string', array: true, demandOption: true })
          .option('out', { type: 'string', demandOption: true })
          .option('json', { type: 'boolean', default: false }),
      (a) => merge(a as never),
    )
    .demandCommand(1);
}

export async function handler() {}

async function stats(a: { dir: string; json: boolean }) {
  await runCommand(async () => {
    const corpus = openCorpus(a.dir);
    const s = computeCorpusStats(corpusRecords(corpus));
    if (corpus.manifest.tokenizer && (await import('node:fs')).existsSync(`${corpus.manifest.tokenizer.path}/tokenizer.json`)) {
      const tok = await TextTokenizer.load(corpus.manifest.tokenizer.path);
      for (const t of s.topTokens) t.text = (await tok.decode([t.id])) ?? undefined;
    }
    if (a.json) return printJson({ corpus: a.dir, complete: corpus.manifest.complete, params: corpus.manifest.params, ...s });
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    const num = (x: number) => String(Number(x.toFixed(2)));
    process.stdout.write(
      [
        `${a.dir}: ${s.samples} samples${corpus.manifest.complete ? '' : ' (incomplete)'}${corpus.manifest.part ? ` (part ${corpus.manifest.part.index}/${corpus.manifest.part.count} of a data-parallel run)` : ''}, ${s.tokens} tokens, ${s.emptySamples} empty`,
        `length: mean ${num(s.length.mean)}, min ${s.length.min}, p10 ${num(s.length.p10)}, median ${num(s.length.p50)}, p90 ${num(s.length.p90)}, max ${s.length.max}`,
        `EOS rate ${pct(s.eosRate)}; repetition rate ${pct(s.repetitionRate)}`,
        `distinct-n: ${Object.entries(s.distinct)
          .map(([n, v]) => `${n}: ${v.toFixed(3)}`)
          .join(', ')}`,
        `top tokens: ${s.topTokens
          .slice(0, 10)
          .map((t) => `${JSON.stringify(t.text ?? t.id)} ${pct(t.share)}`)
          .join(', ')}`,
      ].join('\n') + '\n',
    );
  });
}

async function retokenize(a: { dir: string; tokenizer: string; out: string }) {
  await runCommand(async () => {
    const m = await retokenizeCorpus(a.dir, a.tokenizer, a.out);
    process.stdout.write(`re-encoded ${m.counts.samples} samples into ${m.counts.tokens} tokens in ${a.out}\n`);
  });
}

async function exportCmd(a: { dir: string; format: 'jsonl' | 'parquet'; out: string }) {
  await runCommand(async () => {
    const r = await exportCorpus(a.dir, a.format, a.out);
    process.stdout.write(`wrote ${r.records} records to ${a.out}\n`);
  });
}

interface AuditArgs {
  dir: string;
  task: string[];
  n: number;
  out: string;
  extraction?: string;
  prefixLen: number;
  suffixLen: number;
  offset: number;
  tokenizer?: string;
  json: boolean;
}

async function audit(a: AuditArgs) {
  await runCommand(async () => {
    let extraction: { file: string; texts: string[] } | undefined;
    if (a.extraction) {
      const tokDir = a.tokenizer ?? openCorpus(a.dir).manifest.tokenizer?.path;
      if (!tokDir)
        throw new ResurfaceError('ERR_TOKENIZER', `${a.dir} records no tokenizer: pass --tokenizer to decode the --extraction sequences`);
      const tok = await TextTokenizer.load(tokDir);
      extraction = {
        file: a.extraction,
        texts: await extractionTexts(a.extraction, { prefixLen: a.prefixLen, suffixLen: a.suffixLen, offset: a.offset }, tok),
      };
    }
    const screen = new Screen(process.stderr.isTTY === true && !a.json);
    const r = await auditCorpus({
      corpusDir: a.dir,
      taskFiles: a.task,
      n: a.n,
      outDir: a.out,
      extraction,
      onProgress: (d, t) => screen.status(`audit: ${d}/${t} samples`),
    });
    screen.clear();
    if (a.json) return printJson({ ...r, flaggedIds: undefined, benchmarks: r.benchmarks.map((b) => ({ ...b, flaggedIds: undefined })) });
    const pct = (x: number) => `${(x * 100).toFixed(3)}%`;
    const lines = [
      `${r.n}-gram audit of ${r.source.samples} samples against ${r.benchmarks.length} task file(s) (${r.hash.distinctNgrams} distinct benchmark ${r.n}-grams)`,
      ...r.benchmarks.map(
        (b) =>
          `  ${b.name.padEnd(24)} ${String(b.flagged).padStart(8)} flagged (${pct(r.source.samples ? b.flagged / r.source.samples : 0)})`,
      ),
      `  ${'any benchmark'.padEnd(24)} ${String(r.flagged).padStart(8)} flagged (${pct(r.flaggedRate)}); ${r.clean.samples} kept, ${r.clean.tokens} tokens`,
    ];
    if (r.extraction) lines.push(`extraction: ${r.extraction.found} of ${r.extraction.sequences} sequences occur verbatim in the corpus`);
    lines.push(
      r.nll.available
        ? `wrote ${a.out} (clean corpus, ${AUDIT_FILE}, ${r.nll.histogram})`
        : `wrote ${a.out} (clean corpus, ${AUDIT_FILE}); ${r.nll.reason}`,
    );
    process.stdout.write(lines.join('\n') + '\n');
  });
}

async function subset(a: { dir: string; tokens: string; count: number; seed: number; out: string; json: boolean }) {
  await runCommand(async () => {
    const s = await subsetCorpus({ corpusDir: a.dir, tokens: parseTokenCount(a.tokens), count: a.count, seed: a.seed, outDir: a.out });
    if (a.json) return printJson(s);
    process.stdout.write(
      [
        `${s.count} subset(s) of >= ${s.tokenBudget} tokens from ${s.source.samples} samples (seed ${s.seed}):`,
        ...s.subsets.map(
          (x) =>
            `  ${x.dir}: ${x.samples} samples (${x.distinctSamples} distinct), ${x.tokens} tokens (chars/4 estimate ${x.tokensEstimatedChars4})`,
        ),
        `summary: ${a.out}/${SUBSETS_FILE}`,
      ].join('\n') + '\n',
    );
  });
}

async function merge(a: { parts: string[]; out: string; json: boolean }) {
  await runCommand(async () => {
    const r = await mergeCorpusParts(a.parts, a.out);
    if (a.json) return printJson({ ...r });
    process.stdout.write(`merged ${r.parts} parts: ${r.shards} shards, ${r.samples} samples, ${r.tokens} tokens in ${a.out}\n`);
  });
}
