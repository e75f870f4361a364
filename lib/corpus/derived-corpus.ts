/**
 * Corpora made from another corpus (`corpus audit`, `corpus subset`): the source's manifest with new
 * shards, ids renumbered 0..N-1 (shards stay contiguous) and `derivedFrom.sourceIds` mapping each
 * record back to its source id. Everything is written into a hidden temp directory beside the
 * target and renamed into place at the end, so a failure never leaves a half corpus at `--out`,
 * and an `--out` that already holds anything is refused before any work is done.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { shardFileName, writeManifest, type CorpusManifest, type ShardInfo } from './manifest';
import { writeShard, type CorpusRecord } from './shard';
import { ResurfaceError } from '../errors';
import { ensureDir } from '../io/ensure-dir';
import { tempPathFor } from '../io/atomic';

/** Same as generate's default (write-corpus.ts), not imported from there to keep the model code out. */
const DEFAULT_SAMPLES_PER_SHARD = 1000;

/** Refuses an `--out` that exists and is not an empty directory. Returns the absolute path. */
export function checkFreshOut(out: string): string {
  const target = path.resolve(out);
  const st = fs.statSync(target, { throwIfNoEntry: false });
  if (st && (!st.isDirectory() || fs.readdirSync(target).length > 0)) {
    throw new ResurfaceError(
      'ERR_INVALID_ARGUMENT',
      `--out ${target} already exists and is not an empty directory: choose a new one (nothing was written)`,
      { path: target },
    );
  }
  ensureDir(path.dirname(target));
  return target;
}

/** A temp directory beside `target` for building it. */
export function makeStagingDir(target: string): string {
  const dir = tempPathFor(target);
  fs.mkdirSync(dir);
  return dir;
}

/** Moves a finished staging directory to `target` (which must still be absent or empty). */
export function commitStagingDir(staging: string, target: string): void {
  checkFreshOut(target);
  if (fs.existsSync(target)) fs.rmdirSync(target);
  fs.renameSync(staging, target);
}

export function removeStagingDir(staging: string): void {
  fs.rmSync(staging, { recursive: true, force: true });
}

/** Streams records into shards of a derived corpus; `finish` writes its manifest. */
export class DerivedCorpusWriter {
  private buffer: CorpusRecord[] = [];
  private shards: ShardInfo[] = [];
  private sourceIds: number[] = [];
  private nextId = 0;

  constructor(
    readonly dir: string,
    private readonly source: { dir: string; manifest: CorpusManifest },
    private readonly kind: 'audit' | 'subset',
    private readonly samplesPerShard = DEFAULT_SAMPLES_PER_SHARD,
  ) {}

  get count(): number {
    return this.nextId;
  }

  async add(record: CorpusRecord): Promise<void> {
    this.sourceIds.push(record.id);
    this.buffer.push({ ...record, id: this.nextId++ });
    if (this.buffer.length === this.samplesPerShard) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const index = this.shards.length;
    const file = shardFileName(index);
    const { sha256 } = await writeShard(this.dir, file, this.buffer);
    this.shards.push({
      file,
      index,
      firstId: this.buffer[0]!.id,
      count: this.buffer.length,
      sha256,
      tokens: this.buffer.reduce((a, r) => a + r.num_tokens, 0),
      eos: this.buffer.filter((r) => r.finish_reason === 'eos').length,
    });
    this.buffer = [];
  }

  /** Writes the manifest: the source's, with these shards and `extra` (audit / subset record). */
  async finish(extra: Pick<CorpusManifest, 'audit' | 'subset'>): Promise<CorpusManifest> {
    await this.flush();
    if (this.nextId === 0)
      throw new ResurfaceError('ERR_CORPUS', `no samples left to write (${this.kind} kept none of ${this.source.dir})`);
    const now = new Date().toISOString();
    const src = this.source.manifest;
    const manifest: CorpusManifest = {
      ...src,
      params: { ...src.params, numSamples: this.nextId, samplesPerShard: this.samplesPerShard },
      derivedFrom: { kind: this.kind, path: path.resolve(this.source.dir), sourceIds: this.sourceIds },
      ...extra,
      shards: this.shards,
      counts: {
        samples: this.nextId,
        tokens: this.shards.reduce((a, s) => a + s.tokens, 0),
        eos: this.shards.reduce((a, s) => a + s.eos, 0),
      },
      complete: true,
      createdAt: now,
      updatedAt: now,
    };
    await writeManifest(this.dir, manifest);
    return manifest;
  }
}
