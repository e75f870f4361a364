/**
 * Data-parallel sampling: `generate --shard I/N` parts joined by `corpus merge` are exactly the
 * corpus one process writes — every shard file byte for byte and the manifest apart from its
 * timestamps — with log-probs on (so float bits are compared too), at a fixed batch size (see
 * generation-determinism.test.ts for why the batch *size*, not its composition, can matter).
 * Bad input: a malformed --shard, parts of different runs, missing, duplicate, incomplete or
 * corrupt parts, an --out that already holds a corpus: each a stable code, nothing lost.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANIFEST_FILE, readManifest } from '../../lib/corpus/manifest';
import { mergeCorpusParts } from '../../lib/corpus/merge-corpus';
import { openCorpus } from '../../lib/corpus/read-corpus';
import { generateCorpus, parsePart, type CorpusGenerateOptions } from '../../lib/corpus/write-corpus';
import { Model } from '../../lib/model/model';
import { collect, runCli, spawnCli, waitFor } from '../helpers/cli';
import { buildGenModel } from '../helpers/tiny-models';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';
import { shardFiles } from '../helpers/corpus-fixture';

let root: string;
let modelDir: string;
let model: Model;
let n = 0;
const out = (name: string) => path.join(root, `${name}-${n++}`);
const RUN = { numSamples: 30, maxNewTokens: 10, samplesPerShard: 4, batchSize: 3, seed: 8, temperature: 1.2, logprobs: true } as const;

beforeAll(async () => {
  root = makeTmpDir('resurface-merge-');
  modelDir = await buildGenModel({
    base: 'EleutherAI--pythia-70m',
    dir: path.join(root, 'model'),
    seed: 6,
    std: 0.3,
    tokenizer: 'pythia',
    shrink: { vocabSize: 512 },
  });
  model = await Model.load(modelDir, { threads: 1 });
}, 60_000);

afterAll(() => {
  model?.dispose();
  if (root) removeTmpDir(root);
});

async function gen(extra: Partial<CorpusGenerateOptions> = {}): Promise<string> {
  const dir = out('corpus');
  await generateCorpus({ modelDir, outDir: dir, model, ...RUN, ...extra });
  return dir;
}

async function parts(count: number, extra: Partial<CorpusGenerateOptions> = {}): Promise<string[]> {
  const dirs: string[] = [];
  for (let index = 0; index < count; index++) dirs.push(await gen({ part: { index, count }, ...extra }));
  return dirs;
}

/** manifest.json text with the timestamps blanked: everything else must match byte for byte. */
function manifestText(dir: string): string {
  return fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8').replace(/"(createdAt|updatedAt)": "[^"]*"/g, '"$1": "-"');
}

let single: string;
let three: string[];

describe('generate --shard I/N + corpus merge', () => {
  it('3 parts merge into the single-process corpus, shards and manifest byte for byte', async () => {
    single = await gen();
    three = await parts(3);
    // part i holds the shards k with k % 3 === i, nothing else
    three.forEach((d, i) => {
      const m = readManifest(d);
      expect(m.part).toEqual({ index: i, count: 3 });
      expect(m.complete).toBe(true);
      expect(m.shards.map((s) => s.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].filter((k) => k % 3 === i));
    });
    expect(() => openCorpus(three[0]!, { requireComplete: true })).toThrow(expect.objectContaining({ code: 'ERR_CORPUS' }));
    const merged = out('merged');
    const r = await mergeCorpusParts([three[2]!, three[0]!, three[1]!], merged); // any order
    expect(r).toMatchObject({ parts: 3, shards: 8, samples: 30 });
    const a = shardFiles(single);
    const b = shardFiles(merged);
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [f, bytes] of a) expect(b.get(f)!.equals(bytes), f).toBe(true);
    expect(manifestText(merged)).toBe(manifestText(single));
    expect(readManifest(merged).part).toBeUndefined();
    expect(fs.readFileSync(path.join(single, 'samples-00000.jsonl'), 'utf8')).toContain('"logprobs"');
  });

  it('N larger than the number of shards: the idle parts are empty and complete', async () => {
    const many = await parts(10, { numSamples: 9 }); // 3 shards, parts 3..9 own none
    const merged = out('merged');
    await mergeCorpusParts(many, merged);
    const one = await gen({ numSamples: 9 });
    expect(manifestText(merged)).toBe(manifestText(one));
  });

  it('a malformed --shard is ERR_INVALID_SHARD (library and CLI), before anything is written', async () => {
    for (const bad of ['3/2', '2/2', '1/0', 'a/b', '1', '-1/2'])
      expect(() => parsePart(bad), bad).toThrow(expect.objectContaining({ code: 'ERR_INVALID_SHARD' }));
    expect(parsePart('1/2')).toEqual({ index: 1, count: 2 });
    const dir = out('cli');
    const r = await runCli([
      'generate',
      '--model',
      modelDir,
      '--out',
      dir,
      '--num-samples',
      '2',
      '--max-new-tokens',
      '2',
      '--shard',
      '3/2',
    ]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('ERR_INVALID_SHARD');
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('missing, duplicate, foreign, incomplete and corrupt parts are clear errors; parts and --out untouched', async () => {
    const before = three.map((d) => manifestText(d));
    await expect(mergeCorpusParts([three[0]!, three[2]!], out('m'))).rejects.toMatchObject({
      code: 'ERR_MERGE_MISSING_PART',
      details: { missing: [1] },
    });
    await expect(mergeCorpusParts([three[0]!, three[1]!, three[1]!, three[2]!], out('m'))).rejects.toMatchObject({
      code: 'ERR_MERGE_OVERLAP',
    });
    await expect(mergeCorpusParts([three[0]!, three[1]!, single], out('m'))).rejects.toMatchObject({ code: 'ERR_MERGE_MISMATCH' });
    const otherSeed = await gen({ part: { index: 1, count: 3 }, seed: 9 });
    await expect(mergeCorpusParts([three[0]!, otherSeed, three[2]!], out('m'))).rejects.toMatchObject({
      code: 'ERR_MERGE_MISMATCH',
      details: { fields: ['seed'] },
    });
    const otherN = await gen({ part: { index: 1, count: 2 } });
    await expect(mergeCorpusParts([three[0]!, otherN, three[2]!], out('m'))).rejects.toMatchObject({ code: 'ERR_MERGE_MISMATCH' });
    // an --out that already holds a corpus is refused and left as it was
    const existing = manifestText(single);
    await expect(mergeCorpusParts(three, single)).rejects.toMatchObject({ code: 'ERR_CORPUS' });
    expect(manifestText(single)).toBe(existing);
    // an incomplete part (as if killed): its missing shards are named
    const cut = out('cut');
    fs.cpSync(three[1]!, cut, { recursive: true });
    const m = JSON.parse(fs.readFileSync(path.join(cut, MANIFEST_FILE), 'utf8'));
    m.shards = m.shards.slice(1);
    m.complete = false;
    fs.writeFileSync(path.join(cut, MANIFEST_FILE), JSON.stringify(m));
    await expect(mergeCorpusParts([three[0]!, cut, three[2]!], out('m'))).rejects.toMatchObject({
      code: 'ERR_MERGE_MISSING_PART',
      details: { shards: [1] },
    });
    // a corrupt shard: ERR_CORPUS, and the output has no manifest (not a corpus)
    const bad = out('bad');
    fs.cpSync(three[2]!, bad, { recursive: true });
    fs.appendFileSync(path.join(bad, 'samples-00002.jsonl'), 'x');
    const target = out('m');
    await expect(mergeCorpusParts([three[0]!, three[1]!, bad], target)).rejects.toMatchObject({ code: 'ERR_CORPUS' });
    expect(fs.existsSync(path.join(target, MANIFEST_FILE))).toBe(false);
    expect(three.map((d) => manifestText(d))).toEqual(before);
  });

  it('a killed part resumes with --resume like any corpus (the part is in its fingerprint)', async () => {
    const d = await gen({ part: { index: 0, count: 2 } });
    const file = path.join(d, MANIFEST_FILE);
    const full = fs.readFileSync(file, 'utf8');
    const m = JSON.parse(full);
    m.shards = m.shards.slice(0, 1);
    fs.writeFileSync(file, JSON.stringify(m));
    await expect(generateCorpus({ modelDir, outDir: d, model, ...RUN, part: { index: 1, count: 2 }, resume: true })).rejects.toMatchObject({
      code: 'ERR_RESUME_MISMATCH',
    });
    const s = await generateCorpus({ modelDir, outDir: d, model, ...RUN, part: { index: 0, count: 2 }, resume: true });
    expect(s).toMatchObject({ shardsReused: 1, shardsWritten: 3, complete: true });
    expect(manifestText(d)).toBe(full.replace(/"(createdAt|updatedAt)": "[^"]*"/g, '"$1": "-"'));
  });

  it('SIGKILL mid-run of a CLI part with every new setting, then --resume: byte for byte the in-process part', async () => {
    const N = 160;
    const common = {
      numSamples: N,
      maxNewTokens: 20,
      samplesPerShard: 4,
      batchSize: 8,
      seed: 12,
      logprobs: true,
      minNewTokens: 3,
      startText: '\n',
    } as const;
    const reference = out('part-ref');
    await generateCorpus({ modelDir, outDir: reference, model, ...common, part: { index: 1, count: 2 } });
    const dir = out('part-killed');
    const args = (extra: string[] = []) => [
      'generate',
      '--model',
      modelDir,
      '--out',
      dir,
      '--num-samples',
      String(N),
      '--max-new-tokens',
      '20',
      '--samples-per-shard',
      '4',
      '--batch-size',
      '8',
      '--seed',
      '12',
      '--logprobs',
      '--min-new-tokens',
      '3',
      '--start-text',
      '\n',
      '--shard',
      '1/2',
      '--threads',
      '1',
      '--json',
      ...extra,
    ];
    const child = spawnCli(args());
    const done = collect(child, 120_000);
    let exited = false;
    void done.then(() => (exited = true));
    const shards = () => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^samples-\d{5}\.jsonl$/.test(f)).length : 0);
    await waitFor(() => (shards() > 0 && fs.existsSync(path.join(dir, MANIFEST_FILE))) || exited, 120_000, 5);
    expect(exited, 'the run finished before it could be killed').toBe(false);
    child.kill('SIGKILL');
    await done;
    expect(readManifest(dir).complete).toBe(false);
    const resumed = await collect(spawnCli(args(['--resume'])), 120_000);
    expect(resumed.status, resumed.stderr).toBe(0);
    const a = shardFiles(reference);
    const b = shardFiles(dir);
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [f, bytes] of a) expect(b.get(f)!.equals(bytes), f).toBe(true);
    expect(manifestText(dir)).toBe(manifestText(reference));
  }, 240_000);

  it('corpus merge on the command line', async () => {
    const merged = out('cli-merged');
    const r = await runCli(['corpus', 'merge', ...three, '--out', merged, '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toMatchObject({ parts: 3, shards: 8, samples: 30 });
    expect(manifestText(merged)).toBe(manifestText(single));
  });
});
