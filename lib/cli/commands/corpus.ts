/** `resurface corpus stats|retokenize|export|merge` */
import type { Argv } from 'yargs';
import { exportCorpus } from '../../corpus/export';
import { mergeCorpusParts } from '../../corpus/merge-corpus';
import { corpusRecords, openCorpus } from '../../corpus/read-corpus';
import { retokenizeCorpus } from '../../corpus/retokenize';
import { computeCorpusStats } from '../../corpus/stats';
import { TextTokenizer } from '../../tokenizer/tokenizer';
import { printJson, runCommand } from '../run-command';

export const command = 'corpus <action>';
export const describe = 'Inspect and convert corpora: stats, retokenize, export, merge';

export function builder(y: Argv) {
  return y
    .command('stats <dir>', 'samples, tokens, lengths, EOS rate, distinct-n, repetition, top tokens', (c) => c.positional('dir', { type: 'string', demandOption: true }).option('json', { type: 'boolean', default: false }), (a) => stats(a as never))
    .command('retokenize <dir>', 're-encode the text with another model\'s tokenizer', (c) => c.positional('dir', { type: 'string', demandOption: true }).option('tokenizer', { type: 'string', demandOption: true, describe: 'model directory holding tokenizer.json' }).option('out', { type: 'string', demandOption: true }), (a) => retokenize(a as never))
    .command('export <dir>', 'write one JSONL or Parquet file', (c) => c.positional('dir', { type: 'string', demandOption: true }).option('format', { choices: ['jsonl', 'parquet'] as const, demandOption: true }).option('out', { type: 'string', demandOption: true }), (a) => exportCmd(a as never))
    .command('merge <parts..>', 'join the parts of generate --shard I/N into the corpus one process would have written', (c) => c.positional('parts', { type: 'string', array: true, demandOption: true }).option('out', { type: 'string', demandOption: true }).option('json', { type: 'boolean', default: false }), (a) => merge(a as never))
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
    process.stdout.write([
      `${a.dir}: ${s.samples} samples${corpus.manifest.complete ? '' : ' (incomplete)'}${corpus.manifest.part ? ` (part ${corpus.manifest.part.index}/${corpus.manifest.part.count} of a data-parallel run)` : ''}, ${s.tokens} tokens, ${s.emptySamples} empty`,
      `length: mean ${num(s.length.mean)}, min ${s.length.min}, p10 ${num(s.length.p10)}, median ${num(s.length.p50)}, p90 ${num(s.length.p90)}, max ${s.length.max}`,
      `EOS rate ${pct(s.eosRate)}; repetition rate ${pct(s.repetitionRate)}`,
      `distinct-n: ${Object.entries(s.distinct).map(([n, v]) => `${n}: ${v.toFixed(3)}`).join(', ')}`,
      `top tokens: ${s.topTokens.slice(0, 10).map((t) => `${JSON.stringify(t.text ?? t.id)} ${pct(t.share)}`).join(', ')}`,
    ].join('\n') + '\n');
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

async function merge(a: { parts: string[]; out: string; json: boolean }) {
  await runCommand(async () => {
    const r = await mergeCorpusParts(a.parts, a.out);
    if (a.json) return printJson({ ...r });
    process.stdout.write(`merged ${r.parts} parts: ${r.shards} shards, ${r.samples} samples, ${r.tokens} tokens in ${a.out}\n`);
  });
}
