/**
 * `corpus merge PART... --out DIR`: the parts of a data-parallel run (`generate --shard I/N`) joined
 * into exactly the corpus one process would have written. Part I holds the shards k with
 * k % N === I; a shard's bytes depend only on (seed, its sample ids) through the counter RNG, so
 * the merge copies shard files unchanged and writes the single run's manifest (timestamps apart).
 *
 * Shard-granular ownership (rather than sample id % N) is what makes the merge a copy: every file
 * of a part is already a file of the single-process corpus, with the same name and checksum.
 * Round-robin over shards (rather than contiguous blocks) spreads slow, long-sample regions evenly.
 *
 * Parts are only read; the output is written shard by shard and its manifest last, so a failed
 * merge leaves the parts intact and no manifest (nothing that looks like a finished corpus).
 */
import { promises as fsp } from 'node:fs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  addComputeHistory,
  batchSizeClash,
  countShards,
  MANIFEST_FILE,
  readManifest,
  runFingerprint,
  writeManifest,
  type CorpusManifest,
} from './manifest';
import { sha256 } from './shard';
import { ResurfaceError } from '../errors';
import { ensureDir } from '../io/ensure-dir';
import { writeFileAtomic } from '../io/atomic';

export interface MergeSummary {
  outDir: string;
  parts: number;
  shards: number;
  samples: number;
  tokens: number;
}

export async function mergeCorpusParts(partDirs: string[], outDirIn: string): Promise<MergeSummary> {
  if (partDirs.length === 0) throw new ResurfaceError('ERR_INVALID_ARGUMENT', 'corpus merge needs at least one part directory');
  const outDir = path.resolve(outDirIn);
  const dirs = partDirs.map((d) => path.resolve(d));
  if (dirs.includes(outDir))
    throw new ResurfaceError('ERR_INVALID_ARGUMENT', `--out ${outDir} is one of the parts: choose another directory`);
  if (fs.existsSync(path.join(outDir, MANIFEST_FILE))) {
    throw new ResurfaceError('ERR_CORPUS', `${outDir} already holds a corpus: choose another --out`, { path: outDir });
  }
  const parts = dirs.map((dir) => ({ dir, m: readManifest(dir) }));
  const first = parts[0]!;
  for (const { dir, m } of parts) {
    if (!m.part)
      throw new ResurfaceError(
        'ERR_MERGE_MISMATCH',
        `${dir} is not a part of a data-parallel run (it was not written with generate --shard I/N)`,
        { path: dir },
      );
  }
  const N = first.m.part!.count;
  const a = runFingerprint(first.m);
  for (const { dir, m } of parts.slice(1)) {
    const b = runFingerprint(m);
    // compute (dtype reason, device, CPU) is not compared: parts may run on different machines
    const differing = Object.keys({ ...a, ...b }).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
    if (m.part!.count !== N) differing.push('part count');
    const clash = batchSizeClash(first.m.batching, m.batching);
    if (clash) differing.push('batchSize');
    if (differing.length > 0) {
      const detail = differing
        .map((k) =>
          k === 'part count'
            ? `N: ${N} vs ${m.part!.count}`
            : k === 'batchSize'
              ? clash!
              : `${k}: ${JSON.stringify(a[k])} vs ${JSON.stringify(b[k])}`,
        )
        .join('; ');
      throw new ResurfaceError('ERR_MERGE_MISMATCH', `${dir} and ${first.dir} are parts of different runs (${detail})`, {
        fields: differing,
      });
    }
  }
  const byIndex = new Map<number, string>();
  for (const { dir, m } of parts) {
    const prior = byIndex.get(m.part!.index);
    if (prior)
      throw new ResurfaceError('ERR_MERGE_OVERLAP', `${dir} and ${prior} are both part ${m.part!.index}/${N}`, { part: m.part!.index });
    byIndex.set(m.part!.index, dir);
  }
  const missing = Array.from({ length: N }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0) {
    throw new ResurfaceError(
      'ERR_MERGE_MISSING_PART',
      `missing part${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${N}`).join(', ')}: pass all ${N} parts`,
      { missing },
    );
  }
  const numShards = Math.ceil(first.m.params.numSamples / first.m.params.samplesPerShard);
  const shards: Array<{ dir: string; info: CorpusManifest['shards'][number] }> = [];
  for (const { dir, m } of parts) {
    const owned = Array.from({ length: numShards }, (_, k) => k).filter((k) => k % N === m.part!.index);
    const have = new Set(m.shards.map((s) => s.index));
    for (const s of m.shards) {
      if (s.index % N !== m.part!.index)
        throw new ResurfaceError('ERR_MERGE_OVERLAP', `${dir} holds shard ${s.index}, which part ${s.index % N}/${N} owns`, { path: dir });
      shards.push({ dir, info: s });
    }
    const absent = owned.filter((k) => !have.has(k));
    if (absent.length > 0) {
      const i = m.part!.index;
      throw new ResurfaceError(
        'ERR_MERGE_MISSING_PART',
        `part ${i}/${N} (${dir}) is incomplete (${absent.length} of its ${owned.length} shards missing): finish it with generate --shard ${i}/${N} --resume`,
        { path: dir, shards: absent },
      );
    }
  }
  shards.sort((x, y) => x.info.index - y.info.index);

  ensureDir(outDir);
  for (const { dir, info } of shards) {
    const bytes = await fsp.readFile(path.join(dir, info.file)).catch((err: NodeJS.ErrnoException) => {
      throw new ResurfaceError('ERR_CORPUS', `shard ${path.join(dir, info.file)} is unreadable: ${err.message}`, { path: dir });
    });
    if (sha256(bytes) !== info.sha256) {
      throw new ResurfaceError(
        'ERR_CORPUS',
        `shard ${path.join(dir, info.file)} does not match its checksum in manifest.json (truncated or modified)`,
        { path: dir },
      );
    }
    await writeFileAtomic(path.join(outDir, info.file), bytes);
  }
  const infos = shards.map((s) => s.info);
  const { part: _part, retokenizedFrom: _r, ...m } = first.m;
  // the first part's compute; every other compute that wrote shards (parts on other hardware, resumes) in computeHistory
  const byPart = [...parts].sort((x, y) => x.m.part!.index - y.m.part!.index);
  const compute = byPart[0]!.m.compute;
  let history: CorpusManifest['computeHistory'];
  for (const p of byPart)
    for (const c of [...(p.m.compute ? [p.m.compute] : []), ...(p.m.computeHistory ?? [])])
      history = addComputeHistory(compute, history, c);
  const merged: CorpusManifest = {
    format: m.format,
    version: m.version,
    software: m.software,
    model: m.model,
    tokenizer: m.tokenizer,
    startToken: m.startToken,
    eosIds: m.eosIds,
    params: m.params,
    ...(compute ? { compute } : {}),
    ...(m.batching ? { batching: m.batching } : {}),
    ...(history ? { computeHistory: history } : {}),
    shards: infos,
    counts: countShards(infos, m.params.dropShort === true),
    complete: infos.length === numShards,
    createdAt: parts.map((p) => p.m.createdAt).sort()[0]!,
    updatedAt: new Date().toISOString(),
  };
  await writeManifest(outDir, merged);
  return { outDir, parts: N, shards: infos.length, samples: merged.counts.samples, tokens: merged.counts.tokens };
}
