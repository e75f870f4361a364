/**
 * `corpus subset`: the reference's rule (create_subsets.py: uniform draws with replacement until the
 * budget is reached), counted in real tokens; determinism by seed; each subset a corpus that stats,
 * audit and train read; bad input.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditCorpus } from '../../lib/corpus/audit';
import { readManifest } from '../../lib/corpus/manifest';
import { corpusRecords, openCorpus } from '../../lib/corpus/read-corpus';
import type { CorpusRecord } from '../../lib/corpus/shard';
import { computeCorpusStats } from '../../lib/corpus/stats';
import { charsOver4, drawSubset, subsetCorpus } from '../../lib/corpus/subset';
import { parseTokenCount } from '../../lib/corpus/token-count';
import { Rng } from '../../lib/stats/prng';
import { readDataSource } from '../../lib/train/data-source';
import { runCli } from '../helpers/cli';
import { writeCorpusFixture } from '../helpers/corpus-fixture';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

let root: string;
let corpusDir: string;
let records: CorpusRecord[];

beforeAll(async () => {
  root = makeTmpDir('resurface-subset-');
  corpusDir = path.join(root, 'corpus');
  fs.mkdirSync(corpusDir);
  // 10 samples of 1..10 tokens; texts of known code-point length (one astral character each)
  records = Array.from({ length: 10 }, (_, id) => ({
    id,
    text: `😀${'x'.repeat(4 * id + 2)}`,
    tokens: Array.from({ length: id + 1 }, (_, k) => k + 1),
    num_tokens: id + 1,
    finish_reason: 'eos' as const,
  }));
  await writeCorpusFixture(corpusDir, [records.slice(0, 6), records.slice(6)]);
});

afterAll(() => removeTmpDir(root));

describe('the draw', () => {
  it('stops at the first draw that reaches the budget', () => {
    const tokens = [3, 1, 4, 1, 5, 9, 2, 6];
    for (let seed = 0; seed < 50; seed++) {
      const picks = drawSubset(tokens, 20, new Rng(seed));
      const sum = picks.reduce((a, i) => a + tokens[i]!, 0);
      expect(sum).toBeGreaterThanOrEqual(20);
      expect(sum - tokens[picks[picks.length - 1]!]!).toBeLessThan(20);
    }
  });

  it('is uniform with replacement (chi-square over 40k draws, 9 df, p > 0.001)', () => {
    const picks = drawSubset(new Array(10).fill(1), 40000, new Rng(7));
    const counts = new Array(10).fill(0);
    for (const i of picks) counts[i]++;
    const chi2 = counts.reduce((a, c) => a + (c - 4000) ** 2 / 4000, 0);
    expect(chi2).toBeLessThan(27.88);
  });

  it("charsOver4 is Python's int(len(text) / 4) (code points)", () => {
    expect(charsOver4('😀😀😀😀')).toBe(1); // 8 UTF-16 units, 4 code points
    expect(charsOver4('abcdefg')).toBe(1);
    expect(charsOver4('')).toBe(0);
  });

  it('parses budgets like the reference and rejects 0', () => {
    expect(parseTokenCount('5M')).toBe(5_000_000);
    expect(parseTokenCount('200k')).toBe(200_000);
    expect(parseTokenCount('1.5B')).toBe(1_500_000_000);
    expect(parseTokenCount('5_000')).toBe(5000);
    for (const bad of ['0', '0k', 'five', '-5', '5X', ''])
      expect(() => parseTokenCount(bad), bad).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });
});

describe('subset corpora', () => {
  it('count subsets, each reaching the budget in real tokens, with the chars/4 estimate beside; same seed → same bytes', async () => {
    const a = await subsetCorpus({ corpusDir, tokens: 30, count: 3, seed: 5, outDir: path.join(root, 'a') });
    const b = await subsetCorpus({ corpusDir, tokens: 30, count: 2, seed: 5, outDir: path.join(root, 'b') });
    expect(a.subsets).toHaveLength(3);
    for (const [i, s] of a.subsets.entries()) {
      const recs = [...corpusRecords(openCorpus(s.dir, { requireComplete: true }))];
      const m = readManifest(s.dir);
      const sum = recs.reduce((x, r) => x + r.num_tokens, 0);
      expect(sum).toBe(s.tokens);
      expect(sum).toBeGreaterThanOrEqual(30);
      expect(sum - recs[recs.length - 1]!.num_tokens).toBeLessThan(30);
      expect(m.subset).toMatchObject({ index: i, seed: 5, tokenBudget: 30, tokens: sum });
      expect(m.subset!.tokensEstimatedChars4).toBe(m.derivedFrom!.sourceIds.reduce((x, id) => x + id, 0)); // floor((4·id + 3 code points) / 4) = id
      expect(m.subset!.tokensEstimatedChars4).toBe(recs.reduce((x, r) => x + charsOver4(r.text), 0));
      // records are the drawn source records, renumbered
      expect(recs.map((r) => r.text)).toEqual(m.derivedFrom!.sourceIds.map((id) => records[id]!.text));
      expect(recs.map((r) => r.id)).toEqual(recs.map((_, k) => k));
    }
    // subset i does not depend on count; bytes equal for the same seed
    for (const i of [0, 1]) {
      for (const f of ['samples-00000.jsonl'])
        expect(fs.readFileSync(path.join(b.subsets[i]!.dir, f))).toEqual(fs.readFileSync(path.join(a.subsets[i]!.dir, f)));
    }
    const c = await subsetCorpus({ corpusDir, tokens: 30, count: 1, seed: 6, outDir: path.join(root, 'c') });
    expect(readManifest(c.subsets[0]!.dir).derivedFrom!.sourceIds).not.toEqual(readManifest(a.subsets[0]!.dir).derivedFrom!.sourceIds);
    expect(JSON.parse(fs.readFileSync(path.join(root, 'a', 'subsets.json'), 'utf8')).subsets).toHaveLength(3);
  });

  it('a budget above the corpus repeats samples', async () => {
    const s = await subsetCorpus({ corpusDir, tokens: 200, count: 1, seed: 1, outDir: path.join(root, 'big') });
    expect(s.subsets[0]!.samples).toBeGreaterThan(s.subsets[0]!.distinctSamples);
  });

  it('stats, audit and train read a subset', async () => {
    const s = await subsetCorpus({ corpusDir, tokens: 20, count: 1, seed: 2, outDir: path.join(root, 'read') });
    const dir = s.subsets[0]!.dir;
    expect(computeCorpusStats(corpusRecords(openCorpus(dir))).tokens).toBe(s.subsets[0]!.tokens);
    const src = readDataSource(dir);
    expect(src.kind).toBe('corpus');
    expect(src.documents).toHaveLength(s.subsets[0]!.samples);
    const task = path.join(root, 'task.jsonl');
    fs.writeFileSync(task, JSON.stringify({ context: 'x', continuation: 'y' }) + '\n');
    const r = await auditCorpus({ corpusDir: dir, taskFiles: [task], n: 1, outDir: path.join(root, 'read-audit') });
    expect(r.source.samples).toBe(s.subsets[0]!.samples);
  });

  it('bad input: budget 0, count 0, a non-empty --out; nothing written', async () => {
    const out = path.join(root, 'never');
    await expect(subsetCorpus({ corpusDir, tokens: 0, count: 1, seed: 0, outDir: out })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(subsetCorpus({ corpusDir, tokens: 5, count: 0, seed: 0, outDir: out })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(subsetCorpus({ corpusDir: path.join(root, 'missing'), tokens: 5, count: 1, seed: 0, outDir: out })).rejects.toMatchObject({
      code: 'ERR_CORPUS',
    });
    expect(fs.existsSync(out)).toBe(false);
    const before = fs.readdirSync(path.join(root, 'a'));
    await expect(subsetCorpus({ corpusDir, tokens: 5, count: 1, seed: 0, outDir: path.join(root, 'a') })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    expect(fs.readdirSync(path.join(root, 'a'))).toEqual(before);
  });

  it('the CLI: --tokens with a suffix, --json; a budget of 0 and --count 0 are clear errors', async () => {
    const ok = await runCli([
      'corpus',
      'subset',
      corpusDir,
      '--tokens',
      '0.03k',
      '--count',
      '2',
      '--seed',
      '1',
      '--out',
      path.join(root, 'cli'),
      '--json',
    ]);
    expect(ok.status, ok.stderr).toBe(0);
    const j = JSON.parse(ok.stdout);
    expect(j.tokenBudget).toBe(30);
    expect(j.subsets.map((x: { tokens: number }) => x.tokens >= 30)).toEqual([true, true]);
    for (const [flag, value] of [
      ['--tokens', '0'],
      ['--count', '0'],
    ]) {
      const args = ['corpus', 'subset', corpusDir, '--tokens', '5', '--out', path.join(root, 'cli-bad')];
      const i = args.indexOf(flag);
      if (i >= 0) args[i + 1] = value;
      else args.push(flag, value);
      const bad = await runCli(args);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/^error ERR_INVALID_ARGUMENT: --(tokens|count)/);
    }
    expect(fs.existsSync(path.join(root, 'cli-bad'))).toBe(false);
  });
});
