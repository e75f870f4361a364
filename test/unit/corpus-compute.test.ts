/**
 * The corpus manifest records what ran: `compute` (dtype, what was asked, why, device, threads,
 * CPU) and `batching` (batch size, batch invariance by sampler setting). compute is not part of a
 * run's identity — parts from other machines merge, a corpus resumes elsewhere, both recorded in
 * computeHistory — but params.dtype and, where samples depend on it, the batch size still are.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANIFEST_FILE, readManifest, type CorpusManifest } from '../../lib/corpus/manifest';
import { mergeCorpusParts } from '../../lib/corpus/merge-corpus';
import { generateCorpus, type CorpusGenerateOptions } from '../../lib/corpus/write-corpus';
import { initRandomModel } from '../../lib/model/init-random';
import { Model } from '../../lib/model/model';
import { cpuInfo, cpuSummary } from '../../lib/native/cpu-info';
import { buildGenModel } from '../helpers/tiny-models';
import { makeTmpDir, readSharedConfig, removeTmpDir, sharedTokenizerDir } from '../helpers/shared';

let root: string;
let modelDir: string;
let model: Model;
let n = 0;
const out = (name: string) => path.join(root, `${name}-${n++}`);
const RUN = { numSamples: 12, maxNewTokens: 6, samplesPerShard: 4, batchSize: 3, seed: 5, topP: 0.95 } as const;

beforeAll(async () => {
  root = makeTmpDir('resurface-compute-');
  modelDir = await buildGenModel({
    base: 'EleutherAI--pythia-70m',
    dir: path.join(root, 'model'),
    seed: 3,
    tokenizer: 'pythia',
    shrink: { vocabSize: 512 },
  });
  model = await Model.load(modelDir, { threads: 1 });
}, 60_000);

afterAll(() => {
  model?.dispose();
  if (root) removeTmpDir(root);
});

async function gen(extra: Partial<CorpusGenerateOptions> = {}, dir = out('corpus')): Promise<string> {
  await generateCorpus({ modelDir, outDir: dir, model, ...RUN, ...extra });
  return dir;
}

const resume = (dir: string, extra: Partial<CorpusGenerateOptions> = {}) =>
  generateCorpus({ modelDir, outDir: dir, model, ...RUN, ...extra, resume: true });

function editManifest(dir: string, edit: (m: CorpusManifest & Record<string, unknown>) => void): void {
  const file = path.join(dir, MANIFEST_FILE);
  const m = JSON.parse(fs.readFileSync(file, 'utf8')) as CorpusManifest & Record<string, unknown>;
  edit(m);
  fs.writeFileSync(file, JSON.stringify(m, null, 2));
}

/** The corpus with its last shard forgotten (as if killed before it was written). */
function dropLastShard(dir: string): void {
  editManifest(dir, (m) => {
    const last = m.shards.pop()!;
    fs.rmSync(path.join(dir, last.file));
    m.counts = { samples: m.counts.samples - last.count, tokens: m.counts.tokens - last.tokens, eos: m.counts.eos - last.eos };
    m.complete = false;
  });
}

const shardBytes = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => f.startsWith('samples-'))
    .sort()
    .map((f) => fs.readFileSync(path.join(dir, f)));

const OTHER_MACHINE = {
  dtype: 'float32',
  requested: 'auto',
  reason: 'checkpoint float32',
  device: 'cpu',
  threads: 64,
  cpu: 'Intel Xeon; avx2 fma avx512f amx_tile amx_bf16; native bf16',
};

describe('manifest: compute and batching', () => {
  it('records the dtype and why, device, threads, CPU, batch size and the top-p batch-invariance note', async () => {
    const dir = await gen();
    const m = readManifest(dir);
    expect(m.compute).toEqual({
      dtype: 'float32',
      requested: 'float32',
      reason: 'requested float32 on cpu',
      device: 'cpu',
      threads: 1,
      cpu: cpuSummary(),
    });
    expect(m.compute!.cpu).toContain(cpuInfo().features.join(' ') || 'no AVX2');
    expect(m.batching).toMatchObject({ batchSize: 3, batchInvariant: false });
    expect(m.batching!.batchInvarianceNote).toMatch(/^truncated top-p: .*17\.9% of samples differ between batch 7 and 16/);
    expect(m.computeHistory).toBeUndefined();
    expect(m.params.dtype).toBe('float32');
  });

  it('the note follows the sampler setting: greedy / untruncated / top-k, min-p', async () => {
    for (const [extra, note] of [
      [{ topP: 1 }, /identical between batch 7 and 16 when measured, but that is not guaranteed/],
      [{ topP: 0.9, temperature: 0 }, /identical between batch 7 and 16 when measured/], // greedy ignores top-p
      [{ topP: 1, topK: 50 }, /identical between batch 7 and 16 when measured/],
      [{ topP: 1, minP: 0.05 }, /^min-p: .*rate not measured/],
    ] as const) {
      const m = readManifest(await gen({ ...extra, numSamples: 3 }));
      expect(m.batching!.batchInvariant).toBe(false);
      expect(m.batching!.batchInvarianceNote).toMatch(note);
    }
  });

  it('dtype auto: params.dtype is what ran, compute says it was asked for auto and why', async () => {
    const dir = path.join(root, 'bf16');
    await initRandomModel({
      configJson: readSharedConfig('EleutherAI--pythia-70m'),
      outDir: dir,
      seed: 2,
      tiny: { vocabSize: 512 },
      dtype: 'bfloat16',
      tokenizerDir: sharedTokenizerDir('pythia'),
    });
    const corpus = out('auto');
    const s = await generateCorpus({ modelDir: dir, outDir: corpus, ...RUN, numSamples: 3, load: { dtype: 'auto', threads: 1 } });
    const m = readManifest(corpus);
    const here = cpuInfo().nativeBf16 ? 'bfloat16' : 'float32';
    expect(m.params.dtype).toBe(here);
    expect(m.compute).toMatchObject({ dtype: here, requested: 'auto', device: 'cpu' });
    expect(m.compute!.reason).toMatch(/^checkpoint bfloat16; /);
    expect(s.compute).toEqual(m.compute);
  });

  it('a corpus written before these fields existed still reads and resumes', async () => {
    const dir = await gen();
    dropLastShard(dir);
    editManifest(dir, (m) => {
      delete m.compute;
      delete m.batching;
    });
    const s = await resume(dir, { batchSize: 4 });
    expect(s).toMatchObject({ complete: true, shardsWritten: 1 });
    const m = readManifest(dir);
    expect(m.compute).toBeUndefined();
    expect(m.computeHistory).toEqual([expect.objectContaining({ device: 'cpu', threads: 1 })]);
  });
});

describe('resume', () => {
  it('with batch size auto it takes the recorded batch size: the same shards as the uninterrupted run', async () => {
    const whole = await gen();
    const dir = await gen();
    dropLastShard(dir);
    const s = await resume(dir, { batchSize: 'auto' });
    expect(s).toMatchObject({ complete: true, shardsWritten: 1, batchSize: 3 });
    expect(shardBytes(dir)).toEqual(shardBytes(whole));
  });

  it('at another batch size, with samples left to draw: ERR_RESUME_MISMATCH naming the recorded size', async () => {
    const dir = await gen();
    dropLastShard(dir);
    await expect(resume(dir, { batchSize: 4 })).rejects.toMatchObject({
      code: 'ERR_RESUME_MISMATCH',
      details: { fields: ['batchSize'] },
      message: expect.stringMatching(/batch size 3 vs 4 .*--batch-size 3/),
    });
  });

  it('on another machine (compute differs): accepted, and recorded in computeHistory', async () => {
    const dir = await gen();
    dropLastShard(dir);
    editManifest(dir, (m) => {
      m.compute = OTHER_MACHINE;
    });
    await resume(dir);
    const m = readManifest(dir);
    expect(m.complete).toBe(true);
    expect(m.compute).toEqual(OTHER_MACHINE);
    expect(m.computeHistory).toEqual([expect.objectContaining({ threads: 1, cpu: cpuSummary() })]);
  });

  it('in another dtype: still ERR_RESUME_MISMATCH (params.dtype changes the samples)', async () => {
    const dir = await gen();
    dropLastShard(dir);
    editManifest(dir, (m) => {
      m.params.dtype = 'bfloat16';
    });
    await expect(resume(dir)).rejects.toMatchObject({
      code: 'ERR_RESUME_MISMATCH',
      details: { fields: ['dtype'] },
    });
  });
});

describe('corpus merge', () => {
  const parts = async (extra: Array<Partial<CorpusGenerateOptions>> = [{}, {}]) => {
    const dirs: string[] = [];
    for (const [index, e] of extra.entries()) dirs.push(await gen({ part: { index, count: extra.length }, ...e }));
    return dirs;
  };

  it('parts from different machines merge; the first part is compute, the others computeHistory', async () => {
    const [p0, p1] = await parts();
    editManifest(p1!, (m) => {
      m.compute = OTHER_MACHINE;
    });
    const merged = out('merged');
    await mergeCorpusParts([p1!, p0!], merged);
    const m = readManifest(merged);
    expect(m.compute).toEqual(readManifest(p0!).compute);
    expect(m.computeHistory).toEqual([OTHER_MACHINE]);
    expect(m.batching).toEqual(readManifest(p0!).batching);
    expect(shardBytes(merged)).toEqual(shardBytes(await gen()));
  });

  it('still refused: another dtype, and (decoding not being batch-invariant) another batch size', async () => {
    const [p0, p1] = await parts();
    editManifest(p1!, (m) => {
      m.params.dtype = 'bfloat16';
    });
    await expect(mergeCorpusParts([p0!, p1!], out('merged'))).rejects.toMatchObject({
      code: 'ERR_MERGE_MISMATCH',
      details: { fields: ['dtype'] },
    });
    const [q0, q1] = await parts([{}, { batchSize: 2 }]);
    const target = out('merged');
    await expect(mergeCorpusParts([q0!, q1!], target)).rejects.toMatchObject({
      code: 'ERR_MERGE_MISMATCH',
      details: { fields: ['batchSize'] },
      message: expect.stringMatching(/batch size 3 vs 2 \(decoding is not batch-invariant: truncated top-p/),
    });
    expect(fs.existsSync(path.join(target, MANIFEST_FILE))).toBe(false);
  });
});
