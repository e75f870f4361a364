/**
 * `corpus retokenize`: re-encode a corpus's text with another model's tokenizer, for students of a
 * different family (cross-family transfer). Ids, texts and finish reasons are kept; the manifest
 * records where the corpus came from.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MANIFEST_FILE, writeManifest, type CorpusManifest } from './manifest';
import { corpusRecords, openCorpus } from './read-corpus';
import { sha256, writeShard, type CorpusRecord } from './shard';
import { ResurfaceError } from '../errors';
import { resolveStartToken } from '../generate/start-token';
import { TextTokenizer } from '../tokenizer/tokenizer';
import { ensureDir } from '../io/ensure-dir';

export async function retokenizeCorpus(srcDir: string, tokenizerDir: string, outDir: string): Promise<CorpusManifest> {
  const src = openCorpus(srcDir, { requireComplete: true });
  if (fs.existsSync(path.join(outDir, MANIFEST_FILE))) {
    throw new ResurfaceError('ERR_CORPUS', `${outDir} already holds a corpus; choose another --out`, { path: outDir });
  }
  const tok = await TextTokenizer.load(tokenizerDir);
  ensureDir(outDir);
  const m = src.manifest;
  const shards: CorpusManifest['shards'] = [];
  let records: CorpusRecord[] = [];
  let shardIdx = 0;
  const flush = async () => {
    if (records.length === 0) return;
    const enc = await tok.encodeBatch(
      records.map((r) => r.text),
      { addSpecialTokens: false },
    );
    const out = records.map((r, i) => ({ ...r, tokens: enc[i]!, num_tokens: enc[i]!.length }));
    const file = m.shards[shardIdx]!.file;
    const { sha256: digest } = await writeShard(outDir, file, out);
    shards.push({ ...m.shards[shardIdx]!, tokens: out.reduce((a, r) => a + r.num_tokens, 0), sha256: digest });
    shardIdx++;
    records = [];
  };
  for (const r of corpusRecords(src)) {
    records.push(r);
    if (records.length === m.shards[shardIdx]!.count) await flush();
  }
  await flush();
  const now = new Date().toISOString();
  const manifest: CorpusManifest = {
    ...m,
    tokenizer: { path: tok.dir, sha256: sha256(fs.readFileSync(path.join(tok.dir, 'tokenizer.json'))) },
    retokenizedFrom: { path: path.resolve(srcDir), tokenizer: m.tokenizer?.path ?? null },
    // token ids now live in the target vocabulary: so must the start token and EOS ids
    startToken: (() => {
      const st = resolveStartToken(tok.special);
      return { id: st.id, rule: st.rule, text: tok.idToToken(st.id) };
    })(),
    eosIds: [...tok.special.eosIds],
    shards,
    counts: { ...m.counts, tokens: shards.reduce((a, s) => a + s.tokens, 0) },
    createdAt: now,
    updatedAt: now,
  };
  await writeManifest(outDir, manifest);
  return manifest;
}
