/** Semantic similarity proxies: the cosine statistics (hand-computed values) and the sentence encoder behind `embedder`. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SentenceEncoder } from '../../lib/encoder';
import { computeProxies, semanticSimilarity, taskTexts, readTaskItems } from '../../lib/proxies';
import { proxyColumns } from '../../lib/report/proxy-columns';
import { collect, spawnCli } from '../helpers/cli';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';
import { writeTinyEncoder } from '../helpers/tiny-encoder';

const f = (...x: number[]) => Float32Array.from(x);

describe('semanticSimilarity', () => {
  it('centroid cosine of the mean embeddings, nearest-neighbour cosine both ways (hand-computed)', () => {
    // corpus c1 = e1, c2 = e2, c3 = -e1; benchmark b1 = (1, 1), b2 = (2, 0)
    const s = semanticSimilarity([f(1, 0), f(0, 1), f(-1, 0)], [f(1, 1), f(2, 0)]);
    // b1: max(1/√2, 1/√2, −1/√2) = 1/√2; b2: max(1, 0, −1) = 1
    expect(s.nnCosine).toBeCloseTo((1 / Math.SQRT2 + 1) / 2, 6);
    // c1: max(1/√2, 1) = 1; c2: max(1/√2, 0) = 1/√2; c3: max(−1/√2, −1) = −1/√2
    expect(s.nnCosineReverse).toBeCloseTo(1 / 3, 6);
    // means (0, 1/3) and (1.5, 0.5): cosine = (1/6) / (1/3 · √2.5)
    expect(s.centroidCosine).toBeCloseTo(0.5 / Math.sqrt(2.5), 6);
  });
  it('identical sets give 1 everywhere; an empty side gives NaN', () => {
    const v = [f(0.3, -1, 2), f(1, 1, 1)];
    const s = semanticSimilarity(v, v);
    expect(s.centroidCosine).toBeCloseTo(1, 6);
    expect(s.nnCosine).toBeCloseTo(1, 6);
    expect(s.nnCosineReverse).toBeCloseTo(1, 6);
    expect(semanticSimilarity([], v).nnCosine).toBeNaN();
  });
});

describe('proxies with a sentence-encoder embedder', () => {
  let dir: string;
  let corpusDir: string;
  let task: string;
  let encoderDir: string;
  const noModels = {
    embed: async () => {
      throw new Error('the student embedding must not run');
    },
    avgLogLik: async () => {
      throw new Error('the likelihood must not run');
    },
  };

  beforeAll(async () => {
    dir = makeTmpDir('resurface-proxies-semantic-');
    corpusDir = path.join(dir, 'corpus');
    fs.mkdirSync(corpusDir);
    const samples = ['the cat sat on the mat', 'water boils in the east', 'two plus three equals five'];
    fs.writeFileSync(
      path.join(corpusDir, 'samples-00000.jsonl'),
      samples.map((text, id) => JSON.stringify({ id, text })).join('\n') + '\n',
    );
    task = path.join(dir, 'facts.jsonl');
    fs.writeFileSync(
      task,
      [
        { context: 'What is two plus three?', choices: ['five', 'four'], gold: 0 },
        { context: 'The cat', choices: ['flew', 'sat on the mat'], gold: 1 },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );
    encoderDir = path.join(dir, 'encoder');
    await writeTinyEncoder(encoderDir, { pooling: 'mean', normalize: true, maxSeqLength: 16 });
  }, 60_000);
  afterAll(() => removeTmpDir(dir));

  it('adds semantic columns from the encoder, beside the lexical proxies, on the benchmark texts the other proxies use', async () => {
    const r = await computeProxies({
      corpus: corpusDir,
      student: 'unused',
      tasks: [task],
      lexicalOnly: true,
      embedder: encoderDir,
      hooks: noModels,
    });
    expect(r.embedder).toMatchObject({ dir: encoderDir, pooling: 'mean', normalize: true, maxSeqLength: 16, dim: 32, warnings: [] });
    const t = r.tasks[0]!;
    expect(t.tfidf).toBeDefined();
    expect(t.embedding).toBeNull();
    // the same numbers, computed from the encoder's own vectors of the same texts
    const enc = await SentenceEncoder.load(encoderDir, { threads: 1 });
    const corpus = await enc.embed(['the cat sat on the mat', 'water boils in the east', 'two plus three equals five']);
    const bench = await enc.embed(taskTexts(readTaskItems(task)));
    enc.dispose();
    const expected = semanticSimilarity(corpus, bench);
    expect(t.semantic!.centroidCosine).toBeCloseTo(expected.centroidCosine, 6);
    expect(t.semantic!.nnCosine).toBeCloseTo(expected.nnCosine, 6);
    expect(proxyColumns(r)['semantic_centroid_cosine:facts']).toBeCloseTo(expected.centroidCosine, 6);
    expect(proxyColumns(r)['semantic_nn_cosine:facts']).toBeCloseTo(expected.nnCosine, 6);
    expect(proxyColumns(r)['semantic_nn_cosine_reverse:facts']).toBeCloseTo(expected.nnCosineReverse, 6);
    expect(proxyColumns(r)['tfidf_centroid:facts']).toBeTypeOf('number');
  });

  it('no embedder: no semantic columns; a bad embedder directory is a clear error', async () => {
    const r = await computeProxies({ corpus: corpusDir, student: 'unused', tasks: [task], lexicalOnly: true, hooks: noModels });
    expect(r.embedder).toBeNull();
    expect(r.tasks[0]!.semantic).toBeNull();
    expect(Object.keys(proxyColumns(r)).some((k) => k.startsWith('semantic_'))).toBe(false);
    await expect(
      computeProxies({
        corpus: corpusDir,
        student: 'unused',
        tasks: [task],
        lexicalOnly: true,
        embedder: path.join(dir, 'missing'),
        hooks: noModels,
      }),
    ).rejects.toMatchObject({ code: 'ERR_NOT_A_MODEL' });
  });

  it('CLI: `proxies --embedder DIR --lexical-only` prints the semantic line and the warning of a plain BertModel directory', async () => {
    const plain = path.join(dir, 'plain-bert');
    await writeTinyEncoder(plain, { sentenceTransformers: false });
    const r = await collect(
      spawnCli(['proxies', '--corpus', corpusDir, '--student', 'unused', '--task', task, '--lexical-only', '--embedder', plain]),
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/embedder .*plain-bert: mean pooling, 32 dims, texts cut to 40 tokens/);
    expect(r.stdout).toMatch(
      /semantic cosine: centroid -?[0-9.]+, nearest neighbour benchmark→corpus -?[0-9.]+, corpus→benchmark -?[0-9.]+/,
    );
    expect(r.stderr).toMatch(/warning: .*no modules\.json/);
    const json = await collect(
      spawnCli([
        'proxies',
        '--corpus',
        corpusDir,
        '--student',
        'unused',
        '--task',
        task,
        '--lexical-only',
        '--embedder',
        encoderDir,
        '--json',
      ]),
    );
    expect(json.status, json.stderr).toBe(0);
    const rep = JSON.parse(json.stdout) as { summary: Record<string, number> };
    expect(rep.summary['semantic_nn_cosine:facts']).toBeTypeOf('number');
    const bad = await collect(
      spawnCli([
        'proxies',
        '--corpus',
        corpusDir,
        '--student',
        'unused',
        '--task',
        task,
        '--lexical-only',
        '--embedder',
        path.join(dir, 'nope'),
      ]),
    );
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/ERR_NOT_A_MODEL/);
  }, 60_000);
});
