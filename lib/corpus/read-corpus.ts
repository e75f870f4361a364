/** Reading a corpus directory back: manifest first, then every shard verified against its checksum. */
import { readManifest, type CorpusManifest } from './manifest';
import { readShard, type CorpusRecord } from './shard';
import { ResurfaceError } from '../errors';

export interface Corpus {
  dir: string;
  manifest: CorpusManifest;
}

export function openCorpus(dir: string, { requireComplete = false } = {}): Corpus {
  const manifest = readManifest(dir);
  if (requireComplete && manifest.part) {
    const { index, count } = manifest.part;
    throw new ResurfaceError(
      'ERR_CORPUS',
      `${dir} is part ${index}/${count} of a data-parallel run: join all ${count} parts with corpus merge PART... --out DIR`,
      { path: dir },
    );
  }
  if (requireComplete && !manifest.complete) {
    throw new ResurfaceError(
      'ERR_CORPUS',
      `${dir} is incomplete (${manifest.counts.samples}/${manifest.params.numSamples} samples): finish it with generate --resume`,
      { path: dir },
    );
  }
  return { dir, manifest };
}

/** Records in id order, shard by shard. */
export function* corpusRecords(corpus: Corpus): Generator<CorpusRecord> {
  for (const shard of corpus.manifest.shards) {
    const records = readShard(corpus.dir, shard.file, shard.sha256);
    if (records.length !== shard.count) {
      throw new ResurfaceError('ERR_CORPUS', `${corpus.dir}/${shard.file} holds ${records.length} records, manifest says ${shard.count}`);
    }
    yield* records;
  }
}
