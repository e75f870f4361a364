/**
 * `corpus stats | retokenize | export` on a hand-made corpus whose answers are worked out by hand
 * below (the records and manifest are written here directly in the documented format, not with
 * the library's writer, so the reader is tested against the format, not against itself).
 *
 * The corpus: 5 samples in two shards (3 + 2), Pythia tokenizer recorded in the manifest.
 *
 *   id  tokens                        finish   text
 *   0   1 2 3 4 1 2 3 4 1             eos      "Hello world"
 *   1   (empty)                       eos      ""
 *   2   5 5 5 5 5 5                   length   "  two spaces,\ttab and\nnewline"
 *   3   1 2 3                         length   "naïve café — 日本語 🙂"
 *   4   7 8 9 10 11                   eos      "The quick brown fox; 1234567 + 0.5 = ?"
 *
 * By hand:
 *   samples 5, tokens 9+0+6+3+5 = 23, empty 1, EOS rate 3/5.
 *   lengths sorted 0 3 5 6 9: mean 4.6, min 0, max 9; quantiles by linear interpolation at
 *   (n-1)·q: p10 = 0 + 0.4·(3-0) = 1.2, p50 = 5, p90 = 6 + 0.6·(9-6) = 7.8.
 *   distinct-n = distinct n-grams / n-grams (within samples, over the corpus):
 *     n=1: 23 unigrams, {1,2,3,4,5,7,8,9,10,11} = 10            → 10/23
 *     n=2: 8 + 5 + 2 + 4 = 19, {12,23,34,41,55,78,89,9·10,10·11} = 9 → 9/19
 *     n=3: 7 + 4 + 1 + 3 = 15, {123,234,341,412,555,789,8·9·10,9·10·11} = 8 → 8/15
 *     n=4: 6 + 3 + 0 + 2 = 11, {1234,2341,3412,4123,5555,7·8·9·10,8·9·10·11} = 7 → 7/11
 *   repetition rate = mean over samples of (4-grams repeating an earlier 4-gram of the sample) /
 *   (4-grams of the sample), a sample without 4-grams counting 0:
 *     id 0: 1234 2341 3412 4123 [1234] [2341] → 2/6; id 2: 5555 [5555] [5555] → 2/3; others 0
 *     → (1/3 + 2/3) / 5 = 0.2
 *   top tokens (count desc, then id): 5×6, 1×4, 2×3, 3×3, 4×2, then 7 8 9 10 11 ×1; share = count/23.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tokenizer } from 'tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportCorpus } from '../../lib/corpus/export';
import { readManifest } from '../../lib/corpus/manifest';
import { corpusRecords, openCorpus } from '../../lib/corpus/read-corpus';
import { retokenizeCorpus } from '../../lib/corpus/retokenize';
import type { CorpusRecord } from '../../lib/corpus/shard';
import { computeCorpusStats } from '../../lib/corpus/stats';
import { ResurfaceError } from '../../lib/errors';
import { runCli } from '../helpers/cli';
import { makeTmpDir, removeTmpDir, sharedTokenizerDir } from '../helpers/shared';

const RECORDS: CorpusRecord[] = [
  { id: 0, text: 'Hello world', tokens: [1, 2, 3, 4, 1, 2, 3, 4, 1], num_tokens: 9, finish_reason: 'eos' },
  { id: 1, text: '', tokens: [], num_tokens: 0, finish_reason: 'eos' },
  { id: 2, text: '  two spaces,\ttab and\nnewline', tokens: [5, 5, 5, 5, 5, 5], num_tokens: 6, finish_reason: 'length' },
  { id: 3, text: 'naïve café — 日本語 🙂', tokens: [1, 2, 3], num_tokens: 3, finish_reason: 'length' },
  { id: 4, text: 'The quick brown fox; 1234567 + 0.5 = ?', tokens: [7, 8, 9, 10, 11], num_tokens: 5, finish_reason: 'eos' },
];

const EXPECTED = {
  samples: 5,
  tokens: 23,
  emptySamples: 1,
  eosRate: 0.6,
  length: { mean: 4.6, min: 0, p10: 1.2, p50: 5, p90: 7.8, max: 9 },
  distinct: { '1': 10 / 23, '2': 9 / 19, '3': 8 / 15, '4': 7 / 11 },
  repetitionRate: 0.2,
  topTokens: [
    [5, 6],
    [1, 4],
    [2, 3],
    [3, 3],
    [4, 2],
    [7, 1],
    [8, 1],
    [9, 1],
    [10, 1],
    [11, 1],
  ].map(([id, count]) => ({ id: id!, count: count!, share: count! / 23 })),
};

let root: string;
let corpusDir: string;
const pythia = sharedTokenizerDir('pythia');
const llama = sharedTokenizerDir('llama3');

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

/** One JSON object a line, keys in the documented order. */
function shardText(records: CorpusRecord[]): string {
  return records
    .map(
      (r) => JSON.stringify({ id: r.id, text: r.text, tokens: r.tokens, num_tokens: r.num_tokens, finish_reason: r.finish_reason }) + '\n',
    )
    .join('');
}

function writeHandMadeCorpus(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const shards = [RECORDS.slice(0, 3), RECORDS.slice(3)].map((recs, index) => {
    const file = `samples-${String(index).padStart(5, '0')}.jsonl`;
    const text = shardText(recs);
    fs.writeFileSync(path.join(dir, file), text);
    return {
      file,
      index,
      firstId: recs[0]!.id,
      count: recs.length,
      tokens: recs.reduce((a, r) => a + r.num_tokens, 0),
      eos: recs.filter((r) => r.finish_reason === 'eos').length,
      sha256: sha(text),
    };
  });
  const manifest = {
    format: 'resurface-corpus',
    version: 1,
    software: { name: 'hand', version: '0' },
    model: { path: '/nowhere/model', architecture: 'GPTNeoXForCausalLM', configHash: 'x'.repeat(64) },
    tokenizer: { path: pythia, sha256: sha(fs.readFileSync(path.join(pythia, 'tokenizer.json'))) },
    startToken: { id: 0, rule: 'bos', text: '<|endoftext|>' },
    eosIds: [0],
    params: { numSamples: 5, maxNewTokens: 9, temperature: 1, topK: 0, topP: 1, minP: 0, seed: 0, samplesPerShard: 3, dtype: 'float32' },
    shards,
    counts: { samples: 5, tokens: 23, eos: 3 },
    complete: true,
    createdAt: '2024-01-01T00:00:00.000Z',
    updatedAt: '2024-01-01T00:00:00.000Z',
  };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
}

beforeAll(() => {
  root = makeTmpDir('resurface-corpus-tools-');
  corpusDir = path.join(root, 'hand');
  writeHandMadeCorpus(corpusDir);
});

afterAll(() => {
  if (root) removeTmpDir(root);
});

function expectStats(s: Record<string, any>): void {
  expect(s.samples).toBe(EXPECTED.samples);
  expect(s.tokens).toBe(EXPECTED.tokens);
  expect(s.emptySamples).toBe(EXPECTED.emptySamples);
  expect(s.eosRate).toBeCloseTo(EXPECTED.eosRate, 12);
  for (const [k, v] of Object.entries(EXPECTED.length)) expect(s.length[k], `length.${k}`).toBeCloseTo(v, 12);
  for (const [k, v] of Object.entries(EXPECTED.distinct)) expect(s.distinct[k], `distinct-${k}`).toBeCloseTo(v, 12);
  expect(s.repetitionRate).toBeCloseTo(EXPECTED.repetitionRate, 12);
  expect(s.topTokens.map((t: any) => ({ id: t.id, count: t.count, share: t.share }))).toEqual(
    EXPECTED.topTokens.map((t) => ({ id: t.id, count: t.count, share: expect.closeTo(t.share, 12) })),
  );
}

describe('corpus stats', () => {
  it('the reader returns the hand-made records in id order, checksums verified', () => {
    expect([...corpusRecords(openCorpus(corpusDir, { requireComplete: true }))]).toEqual(RECORDS);
  });

  it('library: every statistic equals the hand-computed value', () => {
    expectStats(computeCorpusStats(corpusRecords(openCorpus(corpusDir))));
  });

  it('CLI `corpus stats --json`: one JSON object with the same values, top tokens decoded', async () => {
    const r = await runCli(['corpus', 'stats', corpusDir, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const j = JSON.parse(lines[0]!) as Record<string, any>;
    expectStats(j);
    expect(j.complete).toBe(true);
    // the Pythia tokenizer recorded in the manifest decodes the top tokens
    const tok = Tokenizer.fromFile(path.join(pythia, 'tokenizer.json'));
    expect(j.topTokens[0].text).toBe(await tok.decode([5], false));
  });

  it('CLI `corpus stats` (text) names the numbers', async () => {
    const r = await runCli(['corpus', 'stats', corpusDir]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/5 samples, 23 tokens, 1 empty/);
    expect(r.stdout).toMatch(/EOS rate 60\.0%; repetition rate 20\.0%/);
    expect(r.stdout).toMatch(/p10 1\.2, median 5, p90 7\.8/);
  });

  it('an empty corpus gives zeros, not NaN', () => {
    const s = computeCorpusStats([]);
    expect(JSON.stringify(s)).not.toMatch(/null|NaN/);
    expect(s.samples).toBe(0);
  });

  it('a tampered shard is an error (ERR_CORPUS naming the shard), not silently counted', async () => {
    const dir = path.join(root, 'tampered');
    fs.cpSync(corpusDir, dir, { recursive: true });
    const f = path.join(dir, 'samples-00001.jsonl');
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('"eos"', '"length"'));
    expect(() => computeCorpusStats(corpusRecords(openCorpus(dir)))).toThrow(ResurfaceError);
    const r = await runCli(['corpus', 'stats', dir, '--json']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error ERR_CORPUS: .*samples-00001\.jsonl/);
  });
});

describe('corpus retokenize (to the Llama 3 tokenizer)', () => {
  let out: string;
  let llamaTok: Tokenizer;

  beforeAll(async () => {
    out = path.join(root, 'llama');
    await retokenizeCorpus(corpusDir, llama, out);
    llamaTok = Tokenizer.fromFile(path.join(llama, 'tokenizer.json'));
  });

  const llamaIds = async (text: string) => (await llamaTok.encode(text, null, { addSpecialTokens: false })).getIds();

  it('sanity: the Llama 3 encoding of "Hello world" is [9906, 1917]', async () => {
    expect(await llamaIds('Hello world')).toEqual([9906, 1917]);
  });

  it('texts, ids and finish reasons are unchanged; tokens are the Llama 3 encoding without special tokens', async () => {
    const got = [...corpusRecords(openCorpus(out, { requireComplete: true }))];
    expect(got.map((r) => ({ id: r.id, text: r.text, finish_reason: r.finish_reason }))).toEqual(
      RECORDS.map((r) => ({ id: r.id, text: r.text, finish_reason: r.finish_reason })),
    );
    for (const r of got) {
      const ids = await llamaIds(r.text);
      expect(r.tokens, `id ${r.id}`).toEqual(ids);
      expect(r.num_tokens).toBe(ids.length);
      expect(r.tokens).not.toContain(128000); // no <|begin_of_text|>
    }
    expect(got[1]!.tokens).toEqual([]);
  });

  it('the manifest records the new tokenizer, the source corpus, and per-shard counts and checksums', () => {
    const m = readManifest(out);
    const src = readManifest(corpusDir);
    expect(path.resolve(m.tokenizer!.path)).toBe(path.resolve(llama));
    expect(m.retokenizedFrom).toEqual({ path: path.resolve(corpusDir), tokenizer: pythia });
    expect(m.shards.map((s) => [s.file, s.count, s.firstId])).toEqual(src.shards.map((s) => [s.file, s.count, s.firstId]));
    const recs = [...corpusRecords(openCorpus(out))];
    expect(m.counts.tokens).toBe(recs.reduce((a, r) => a + r.num_tokens, 0));
    expect(m.counts.samples).toBe(5);
    for (const s of m.shards) expect(sha(fs.readFileSync(path.join(out, s.file)))).toBe(s.sha256);
  });

  it('CLI `corpus retokenize` writes the same corpus; an existing output corpus is refused', async () => {
    const cliOut = path.join(root, 'llama-cli');
    const r = await runCli(['corpus', 'retokenize', corpusDir, '--tokenizer', llama, '--out', cliOut]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (const s of readManifest(out).shards)
      expect(fs.readFileSync(path.join(cliOut, s.file))).toEqual(fs.readFileSync(path.join(out, s.file)));
    const again = await runCli(['corpus', 'retokenize', corpusDir, '--tokenizer', llama, '--out', cliOut]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^error ERR_CORPUS: /);
  });

  it('an incomplete corpus is refused (ERR_CORPUS)', async () => {
    const dir = path.join(root, 'incomplete');
    fs.cpSync(corpusDir, dir, { recursive: true });
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    m.complete = false;
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
    await expect(retokenizeCorpus(dir, llama, path.join(root, 'incomplete-out'))).rejects.toMatchObject({ code: 'ERR_CORPUS' });
  });
});

describe('corpus export', () => {
  it('JSONL: one record a line, id order, equal to the corpus (library and CLI)', async () => {
    const file = path.join(root, 'export.jsonl');
    expect(await exportCorpus(corpusDir, 'jsonl', file)).toEqual({ records: 5 });
    const text = fs.readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(
      text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual(RECORDS);
    const cliFile = path.join(root, 'export-cli.jsonl');
    const r = await runCli(['corpus', 'export', corpusDir, '--format', 'jsonl', '--out', cliFile]);
    expect(r.status).toBe(0);
    expect(fs.readFileSync(cliFile)).toEqual(fs.readFileSync(file));
  });

  const readParquet = async (f: string) => {
    const { parquetReadObjects } = await import('hyparquet');
    const b = fs.readFileSync(f);
    expect(b.subarray(0, 4).toString()).toBe('PAR1');
    const rows = (await parquetReadObjects({ file: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) })) as Array<
      Record<string, unknown>
    >;
    return rows.map((row) => ({
      id: Number(row.id),
      text: row.text,
      tokens: Array.from((row.tokens ?? []) as ArrayLike<number | bigint>, Number),
      num_tokens: Number(row.num_tokens),
      finish_reason: row.finish_reason,
    }));
  };

  it('Parquet via the CLI: read back with hyparquet, every column equal to the corpus', async () => {
    const file = path.join(root, 'export-cli.parquet');
    const r = await runCli(['corpus', 'export', corpusDir, '--format', 'parquet', '--out', file]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/wrote 5 records/);
    expect(await readParquet(file)).toEqual(RECORDS);
  });

  it('Parquet via the library, in process (as under vitest): read back with hyparquet', async () => {
    // export.ts loads the ES module hyparquet-writer with `new Function('s', 'return import(s)')`;
    // code evaluated without a dynamic-import callback (vitest, other vm-based runners) then fails
    // with "TypeError: A dynamic import callback was not specified".
    const file = path.join(root, 'export.parquet');
    expect(await exportCorpus(corpusDir, 'parquet', file)).toEqual({ records: 5 });
    expect(await readParquet(file)).toEqual(RECORDS);
  });
});
