/** Hand-made corpus directories in the real format (manifest + checksummed shards), for tests. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { shardFileName, writeManifest, type CorpusManifest } from '../../lib/corpus/manifest';
import { writeShard, type CorpusRecord } from '../../lib/corpus/shard';

/** Writes `shards` (arrays of records, ids contiguous) and a matching manifest into `dir`. */
export async function writeCorpusFixture(dir: string, shards: CorpusRecord[][], startToken = 0): Promise<CorpusManifest> {
  const infos: CorpusManifest['shards'] = [];
  for (const [k, records] of shards.entries()) {
    const { sha256 } = await writeShard(dir, shardFileName(k), records);
    infos.push({
      file: shardFileName(k),
      index: k,
      firstId: records[0]!.id,
      count: records.length,
      sha256,
      tokens: records.reduce((a, r) => a + r.num_tokens, 0),
      eos: records.filter((r) => r.finish_reason === 'eos').length,
    });
  }
  const samples = shards.reduce((a, s) => a + s.length, 0);
  const now = new Date(0).toISOString();
  const manifest: CorpusManifest = {
    format: 'resurface-corpus',
    version: 1,
    software: { name: 'resurface', version: 'test' },
    model: { path: '/nonexistent/model', architecture: 'GPTNeoXForCausalLM', configHash: '0'.repeat(64) },
    tokenizer: null,
    startToken: { id: startToken, rule: 'bos', text: null },
    eosIds: [startToken],
    params: {
      numSamples: samples,
      maxNewTokens: 8,
      temperature: 1,
      topK: 0,
      topP: 1,
      minP: 0,
      seed: 0,
      samplesPerShard: shards[0]?.length ?? 1,
      dtype: 'float32',
    },
    shards: infos,
    counts: { samples, tokens: infos.reduce((a, s) => a + s.tokens, 0), eos: infos.reduce((a, s) => a + s.eos, 0) },
    complete: true,
    createdAt: now,
    updatedAt: now,
  };
  await writeManifest(dir, manifest);
  return manifest;
}

export function record(id: number, tokens: number[], text = `t${id}`, finish: 'eos' | 'length' = 'length'): CorpusRecord {
  return { id, text, tokens, num_tokens: tokens.length, finish_reason: finish };
}

/** Shard files (name → bytes) of a corpus directory, in name order. */
export function shardFiles(dir: string): Map<string, Buffer> {
  const files = fs
    .readdirSync(dir)
    .filter((f) => /^samples-\d{5}\.jsonl$/.test(f))
    .sort();
  return new Map(files.map((f) => [f, fs.readFileSync(path.join(dir, f))]));
}
