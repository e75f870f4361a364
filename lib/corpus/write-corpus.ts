/**
 * `generate` into a corpus directory that survives anything: shards of ids [k·S, (k+1)·S) are
 * written atomically as soon as all their samples are finished, and the manifest is rewritten
 * after each. A killed run resumed with the same parameters regenerates exactly the missing
 * shards — and since sample i depends only on (seed, i), the result equals an uninterrupted run.
 * The same property makes data-parallel sampling exact: part I of N (`part`) writes the shards
 * k with k % N === I, byte-identical to the same shards of a single run (see merge-corpus.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  addComputeHistory,
  batchSizeClash,
  countShards,
  MANIFEST_FILE,
  readManifest,
  resumeFingerprint,
  shardFileName,
  writeManifest,
  type ComputeRecord,
  type CorpusManifest,
  type CorpusPart,
  type GenerationParams,
} from './manifest';
import { float32Shortest, readShard, sha256, writeShard, type CorpusRecord } from './shard';
import { ResurfaceError } from '../errors';
import { batchInvariance } from '../generate/batch-invariance';
import { effectiveBatchSize, generateSamples, type GeneratedSample } from '../generate/generate';
import { resolveGenerateOptions, type GenerateOptions, type GenerationProgress } from '../generate/options';
import { resolveStartText, resolveStartToken } from '../generate/start-token';
import { configHash, readModelConfig } from '../model/config';
import { ensureDir } from '../io/ensure-dir';
import { weightsFingerprint } from '../io/fingerprint';
import { Model } from '../model/model';
import type { LoadOptions } from '../model/options';
import { cpuSummary } from '../native/cpu-info';
import { TextTokenizer } from '../tokenizer/tokenizer';
import { SOFTWARE } from '../version';

export const DEFAULT_SAMPLES_PER_SHARD = 1000;

export interface CorpusGenerateOptions extends GenerateOptions {
  modelDir: string;
  outDir: string;
  resume?: boolean;
  samplesPerShard?: number;
  load?: LoadOptions;
  /** Use an already loaded model (its directory must be modelDir). */
  model?: Model;
  /** The reference pipeline's post-filter: drop samples with empty text or under minNewTokens tokens (default off). */
  dropShort?: boolean;
  /** Data-parallel sampling: write only the shards k with k % part.count === part.index. */
  part?: CorpusPart;
}

/** `--shard I/N` → { index: I, count: N }, validated. */
export function parsePart(text: string): CorpusPart {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const part = m ? { index: Number(m[1]), count: Number(m[2]) } : null;
  if (!part || part.count < 1 || part.index >= part.count) {
    throw new ResurfaceError('ERR_INVALID_SHARD', `--shard must be I/N with 0 <= I < N (process I of N), got '${text}'`, { shard: text });
  }
  return part;
}

export function ownsShard(part: CorpusPart | undefined, k: number): boolean {
  return !part || k % part.count === part.index;
}

export interface CorpusSummary {
  outDir: string;
  samples: number;
  tokens: number;
  eosRate: number;
  shardsWritten: number;
  shardsReused: number;
  tokensPerSecond: number;
  elapsedSeconds: number;
  batchSize: number;
  /** What ran (also in the manifest): dtype and why, device, threads, CPU. */
  compute: ComputeRecord;
  complete: boolean;
}

export async function generateCorpus(options: CorpusGenerateOptions): Promise<CorpusSummary> {
  const gen = resolveGenerateOptions(options);
  const samplesPerShard = options.samplesPerShard ?? DEFAULT_SAMPLES_PER_SHARD;
  if (!Number.isInteger(samplesPerShard) || samplesPerShard < 1)
    throw new ResurfaceError('ERR_INVALID_ARGUMENT', 'samplesPerShard must be a positive integer');
  if (options.part) parsePart(`${options.part.index}/${options.part.count}`);
  const outDir = path.resolve(options.outDir);
  readModelConfig(options.modelDir); // a directory that is not a model fails here, before anything is created
  prepareOutDir(outDir, options.resume === true);

  // The weights load on a worker thread while the tokenizer is parsed on this one.
  const modelLoading = options.model ? Promise.resolve(options.model) : Model.load(options.modelDir, options.load);
  modelLoading.catch(() => undefined); // a failure is rethrown below, once the tokenizer is done: not unhandled meanwhile
  let tokenizer: TextTokenizer;
  try {
    tokenizer = await TextTokenizer.load(options.modelDir);
  } catch (err) {
    await modelLoading.then(
      (m) => (options.model ? undefined : m.dispose()),
      () => undefined,
    );
    throw err;
  }
  const model = await modelLoading;
  try {
    const startToken =
      gen.startText !== undefined
        ? await resolveStartText(gen.startText, (t) => tokenizer.encode(t, { addSpecialTokens: false }))
        : resolveStartToken(tokenizer.special, gen.startToken);
    const eosIds = [...new Set([...tokenizer.special.eosIds, ...model.config.eosTokenIds])];
    const params: GenerationParams = {
      numSamples: gen.numSamples,
      maxNewTokens: gen.maxNewTokens,
      temperature: gen.temperature,
      topK: gen.topK,
      topP: gen.topP,
      minP: gen.minP,
      seed: gen.seed,
      samplesPerShard,
      dtype: model.options.dtype,
      minNewTokens: gen.minNewTokens,
      logprobs: gen.logprobs,
      dropShort: options.dropShort === true,
    };
    const prior = options.resume && fs.existsSync(path.join(outDir, MANIFEST_FILE)) ? readManifest(outDir) : null;
    // clamped by the whole run's sample count, not by what is left: a resumed run and every part of a
    // data-parallel run then use the batch size of the single uninterrupted run (bit-exact results);
    // a resume with batch size auto takes the recorded one (auto depends on the memory free now)
    const batchSize =
      gen.batchSize === 'auto' && prior?.batching ? prior.batching.batchSize : effectiveBatchSize(model, gen, gen.numSamples);
    const { dtype, requested, reason } = model.options.dtypeChoice;
    const compute: ComputeRecord = {
      dtype,
      requested,
      reason,
      device: model.options.device,
      threads: model.options.threads,
      cpu: cpuSummary(),
    };
    const now = new Date().toISOString();
    const fresh: CorpusManifest = {
      format: 'resurface-corpus',
      version: 1,
      software: { ...SOFTWARE },
      model: {
        path: model.dir,
        architecture: model.config.architecture,
        configHash: configHash(model.rawConfig),
        weights: await weightsFingerprint(model.dir),
      },
      tokenizer: { path: tokenizer.dir, sha256: sha256(fs.readFileSync(path.join(tokenizer.dir, 'tokenizer.json'))) },
      startToken:
        startToken.rule === 'text'
          ? { id: startToken.id, rule: startToken.rule, text: startToken.text!, ids: startToken.ids! }
          : { id: startToken.id, rule: startToken.rule, text: tokenizer.idToToken(startToken.id) },
      eosIds,
      params,
      compute,
      batching: { batchSize, ...batchInvariance(gen) },
      ...(options.part ? { part: { ...options.part } } : {}),
      shards: [],
      counts: { samples: 0, tokens: 0, eos: 0 },
      complete: false,
      createdAt: now,
      updatedAt: now,
    };
    const manifest = prior ? checkResumable(outDir, prior, fresh) : fresh;

    const numShards = Math.ceil(gen.numSamples / samplesPerShard);
    const doneShards = new Set(manifest.shards.map((s) => s.index));
    const pending = new Map<number, Map<number, GeneratedSample>>();
    const sampleIds: number[] = [];
    for (let k = 0; k < numShards; k++) {
      if (doneShards.has(k) || !ownsShard(options.part, k)) continue;
      pending.set(k, new Map());
      for (let id = k * samplesPerShard; id < Math.min(gen.numSamples, (k + 1) * samplesPerShard); id++) sampleIds.push(id);
    }
    const reused = doneShards.size;
    const priorSamples = manifest.counts.samples;
    let written = 0;
    const started = Date.now();
    let lastProgress: GenerationProgress | null = null;

    const stream = generateSamples(model, {
      sampleIds,
      options: { ...gen, batchSize },
      batchSize,
      startToken,
      eosIds,
      validVocab: Math.min(model.config.vocabSize, tokenizer.vocabSize),
      signal: options.signal,
      onProgress: (p) => {
        lastProgress = p;
        options.onProgress?.({ ...p, samplesDone: p.samplesDone + priorSamples, samplesTotal: gen.numSamples });
      },
    });
    for await (const sample of stream) {
      const k = Math.floor(sample.id / samplesPerShard);
      const bucket = pending.get(k)!;
      bucket.set(sample.id, sample);
      const expected = Math.min(gen.numSamples, (k + 1) * samplesPerShard) - k * samplesPerShard;
      if (bucket.size === expected) {
        await flushShard(
          outDir,
          manifest,
          k,
          [...bucket.values()].sort((a, b) => a.id - b.id),
          tokenizer,
          params,
        );
        pending.delete(k);
        written++;
      }
    }
    const owned = Array.from({ length: numShards }, (_, k) => k).filter((k) => ownsShard(options.part, k)).length;
    manifest.complete = manifest.shards.length === owned;
    manifest.updatedAt = new Date().toISOString();
    await writeManifest(outDir, manifest);
    const elapsed = (Date.now() - started) / 1000;
    const progress = lastProgress as GenerationProgress | null;
    return {
      outDir,
      samples: manifest.counts.samples,
      tokens: manifest.counts.tokens,
      eosRate: manifest.counts.samples ? manifest.counts.eos / manifest.counts.samples : 0,
      shardsWritten: written,
      shardsReused: reused,
      tokensPerSecond: progress ? progress.tokensGenerated / Math.max(elapsed, 1e-9) : 0,
      elapsedSeconds: elapsed,
      batchSize,
      compute,
      complete: manifest.complete,
    };
  } finally {
    if (!options.model) model.dispose();
  }
}

/** A generated sample as a corpus record; logprobs as shortest float32 decimals, mean_nll over them all (stop token included). */
export function toRecord(s: GeneratedSample, text: string): CorpusRecord {
  const base: CorpusRecord = { id: s.id, text, tokens: Array.from(s.tokens), num_tokens: s.tokens.length, finish_reason: s.finishReason };
  if (!s.logprobs) return base;
  const logprobs = Array.from(s.logprobs, float32Shortest);
  const sum = s.logprobs.reduce((a, v) => a + v, 0);
  return { ...base, logprobs, mean_nll: logprobs.length ? -sum / logprobs.length : 0 };
}

/** The reference pipeline's post-filter: a sample is dropped when its text is empty (whitespace only) or it is under minNewTokens tokens. */
export function isShortSample(r: CorpusRecord, minNewTokens: number): boolean {
  return r.text.trim() === '' || r.num_tokens < minNewTokens;
}

async function flushShard(
  outDir: string,
  manifest: CorpusManifest,
  k: number,
  samples: GeneratedSample[],
  tokenizer: TextTokenizer,
  params: GenerationParams,
) {
  const texts = await tokenizer.decodeBatch(
    samples.map((s) => Array.from(s.tokens)),
    { skipSpecialTokens: false },
  );
  const all = samples.map((s, i) => toRecord(s, texts[i]!));
  const records = params.dropShort ? all.filter((r) => !isShortSample(r, params.minNewTokens ?? 0)) : all;
  const file = shardFileName(k);
  const { sha256: digest } = await writeShard(outDir, file, records);
  const tokens = records.reduce((a, r) => a + r.num_tokens, 0);
  const eos = records.filter((r) => r.finish_reason === 'eos').length;
  const dropped = params.dropShort ? { dropped: all.length - records.length } : {};
  manifest.shards = [
    ...manifest.shards.filter((s) => s.index !== k),
    { file, index: k, firstId: samples[0]!.id, count: records.length, tokens, eos, ...dropped, sha256: digest },
  ].sort((a, b) => a.index - b.index);
  manifest.counts = countShards(manifest.shards, params.dropShort === true);
  manifest.updatedAt = new Date().toISOString();
  await writeManifest(outDir, manifest);
}

function prepareOutDir(outDir: string, resume: boolean): void {
  if (fs.existsSync(path.join(outDir, MANIFEST_FILE)) && !resume) {
    throw new ResurfaceError('ERR_CORPUS', `${outDir} already holds a corpus: pass --resume to continue it, or choose another --out`, {
      path: outDir,
    });
  }
  ensureDir(outDir);
}

/**
 * Existing manifest must describe the same run, at the same batch size if samples remain to be drawn (they depend on it); its
 * shards must be intact. A resume on other hardware is recorded in computeHistory.
 */
function checkResumable(outDir: string, existing: CorpusManifest, fresh: CorpusManifest): CorpusManifest {
  const a = resumeFingerprint(existing) as Record<string, unknown>;
  const b = resumeFingerprint(fresh) as Record<string, unknown>;
  const differing = Object.keys({ ...a, ...b }).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  if (differing.length > 0) {
    const detail = differing.map((k) => `${k}: corpus has ${JSON.stringify(a[k])}, now ${JSON.stringify(b[k])}`).join('; ');
    throw new ResurfaceError('ERR_RESUME_MISMATCH', `cannot resume ${outDir} with different parameters (${detail})`, { fields: differing });
  }
  // a batch size that differs matters only where samples are still to be drawn
  const numShards = Math.ceil(fresh.params.numSamples / fresh.params.samplesPerShard);
  const done = new Set(existing.shards.map((sh) => sh.index));
  const toDraw = Array.from({ length: numShards }, (_, k) => k).some((k) => !done.has(k) && ownsShard(fresh.part, k));
  const clash = toDraw ? batchSizeClash(existing.batching, fresh.batching) : null;
  if (clash) {
    throw new ResurfaceError(
      'ERR_RESUME_MISMATCH',
      `cannot resume ${outDir} at another batch size: ${clash}; resume with --batch-size ${existing.batching!.batchSize} (or auto)`,
      { fields: ['batchSize'] },
    );
  }
  for (const s of existing.shards) readShard(outDir, s.file, s.sha256);
  const history = addComputeHistory(existing.compute, existing.computeHistory, fresh.compute!);
  return history ? { ...existing, computeHistory: history } : existing;
}
