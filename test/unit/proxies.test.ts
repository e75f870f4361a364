/** Intrinsic proxies without native code: TF-IDF (numpy golden values), n-gram overlap, injected embedder/likelihood. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  computeProxies,
  ngramOverlap,
  ngramOverlapUnits,
  readTaskItems,
  resetNativeHooks,
  nativeHooks,
  setSimilarity,
  taskTexts,
  tfidfSimilarity,
  words,
} from '../../lib/proxies';
import { proxyColumns } from '../../lib/report/proxy-columns';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

describe('TF-IDF cosine', () => {
  const corpus = ['the cat sat on the mat', 'a dog ate the bone', 'the cat ate fish'];
  const bench = ['the cat ate the fish', 'dogs like bones'];
  it('matches numpy golden values (test/reference/tfidf_golden.py)', () => {
    expect(tfidfSimilarity(corpus, bench, { k: 2 }).centroid).toBeCloseTo(0.5783111070222813, 12);
    expect(tfidfSimilarity(corpus, bench, { k: 2 }).topK).toBeCloseTo(0.35583530769195154, 12);
    expect(tfidfSimilarity(corpus, bench, { k: 1 }).topK).toBeCloseTo(0.47605593773942145, 12);
  });
  it('identical sets are 1, disjoint vocabularies 0', () => {
    const s = tfidfSimilarity(corpus, corpus, { k: 1 });
    expect(s.centroid).toBeCloseTo(1, 12);
    expect(s.topK).toBeCloseTo(1, 12);
    const d = tfidfSimilarity(['alpha beta'], ['gamma delta'], { k: 1 });
    expect(d.centroid).toBe(0);
    expect(d.topK).toBe(0);
  });
});

describe('n-gram overlap', () => {
  it('counts distinct n-grams both ways, per n, without crossing documents', () => {
    const r = ngramOverlapUnits(
      [['a', 'b', 'c'], ['d']],
      [
        ['a', 'b', 'x'],
        ['c', 'd'],
      ],
      2,
    );
    // n=1: bench {a,b,x,c,d}, corpus {a,b,c,d}: shared 4 → 4/5 and 4/4
    expect(r[0]).toMatchObject({ n: 1, benchNgrams: 5, corpusNgrams: 4, shared: 4, benchInCorpus: 0.8, corpusInBench: 1 });
    // n=2: bench {ab,bx,cd}, corpus {ab,bc} ('c d' crosses a document boundary): shared 1
    expect(r[1]).toMatchObject({ n: 2, benchNgrams: 3, corpusNgrams: 2, shared: 1 });
    expect(r[1].benchInCorpus).toBeCloseTo(1 / 3, 12);
    expect(r[1].corpusInBench).toBeCloseTo(1 / 2, 12);
  });
  it('works on token ids and on words', () => {
    expect(ngramOverlapUnits([[1, 2, 3]], [[1, 2]], 2)[1].benchInCorpus).toBe(1);
    expect(words('Hello, World! 42x')).toEqual(['hello', 'world', '42', 'x']);
    expect(
      ngramOverlap(['The cat.'], ['the CAT'], 4)
        .map((g) => g.benchInCorpus)
        .slice(0, 2),
    ).toEqual([1, 1]);
  });
});

describe('embedding set similarity', () => {
  it('centroid and top-k cosine of given vectors', () => {
    const c = [Float32Array.from([1, 0]), Float32Array.from([0, 2])];
    const b = [Float32Array.from([3, 0])];
    const s = setSimilarity(c, b, 1);
    expect(s.topK).toBeCloseTo(1, 12);
    expect(s.centroid).toBeCloseTo(Math.SQRT1_2, 12);
    expect(setSimilarity(c, b, 2).topK).toBeCloseTo(0.5, 12);
  });
});

describe('computeProxies with injected model functions', () => {
  const dir = makeTmpDir();
  afterAll(() => removeTmpDir(dir));
  const corpusDir = path.join(dir, 'corpus');
  fs.mkdirSync(corpusDir);
  fs.writeFileSync(path.join(corpusDir, 'samples-00001.jsonl'), JSON.stringify({ id: 1, text: 'the dog ate the bone' }) + '\n');
  fs.writeFileSync(path.join(corpusDir, 'samples-00000.jsonl'), JSON.stringify({ id: 0, text: 'the cat sat' }) + '\n');
  const task = path.join(dir, 'facts.jsonl');
  fs.writeFileSync(task, JSON.stringify({ context: 'The cat', choices: ['sat', 'flew'], gold: 0 }) + '\n');

  it('without a registered native runtime the model-based proxies fail clearly', async () => {
    resetNativeHooks();
    await expect(nativeHooks().embed('m', ['x'])).rejects.toMatchObject({
      code: 'ERR_INTERNAL',
      message: expect.stringMatching(/not built yet/),
    });
    const lexical = await computeProxies({ corpus: corpusDir, student: 'm', tasks: [task], lexicalOnly: true });
    expect(lexical.likelihood.student).toBeNull();
    expect(lexical.tasks[0].embedding).toBeNull();
    expect(lexical.tasks[0].ngram[1].benchInCorpus).toBe(1); // "the cat", "cat sat" both in the corpus
  });

  it('uses the injected embedder and likelihood', async () => {
    const calls: string[] = [];
    const r = await computeProxies({
      corpus: corpusDir,
      student: 'student',
      source: 'source',
      tasks: [task],
      k: 1,
      hooks: {
        embed: async (model, texts) => {
          calls.push(`embed:${model}:${texts.length}`);
          return texts.map((t) => Float32Array.from([t.includes('cat') ? 1 : 0, t.includes('dog') ? 1 : 0]));
        },
        avgLogLik: async (model, texts) => ({ avgLogLik: model === 'student' ? -3 : -2, tokens: texts.length * 4 }),
      },
    });
    expect(r.corpusTexts).toBe(2);
    expect(r.likelihood).toEqual({ student: -3, source: -2, compatibility: 1, tokens: 8 });
    expect(r.tasks[0].embedding!.topK).toBeCloseTo(1, 12);
    expect(proxyColumns(r)['embed_topk:facts']).toBeCloseTo(1, 12);
    expect(calls).toEqual(['embed:student:2', 'embed:student:1']);
  });
});

describe("benchmark text of every task kind (the evaluator's reader)", () => {
  const dir = makeTmpDir('resurface-proxy-kinds-');
  afterAll(() => removeTmpDir(dir));
  const write = (name: string, rec: unknown) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, JSON.stringify(rec) + '\n');
    return f;
  };
  it.each([
    ['multiple choice', { context: 'The sky is', choices: ['green', 'blue'], gold: 1 }, 'The sky is blue'],
    [
      'partial scoring (WinoGrande)',
      { context: 'Ann helped Bo because ', choices: ['Ann', 'Bo'], continuation: 'was kind.', gold: 0 },
      'Ann helped Bo because Ann was kind.',
    ],
    ['loglikelihood (LAMBADA)', { context: 'He opened the', continuation: ' door' }, 'He opened the door'],
    ['generate (GSM8K)', { context: 'Question: 2+2?\nAnswer:', target: '4', until: ['Question:'] }, 'Question: 2+2?\nAnswer: 4'],
  ])('%s', (_kind, rec, text) => {
    expect(taskTexts(readTaskItems(write(`${_kind.split(' ')[0]}.jsonl`, rec)))).toEqual([text]);
  });
});
