/**
 * The `audit` and `subset` stages of experiments: schema, their place in the plan (sample → audit →
 * [retokenize] → subset k → train), caching, the shipped paper YAML and its dry-run estimate, and
 * the real executors on a real-format corpus.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../lib/corpus/manifest';
import { subsetCorpus } from '../../lib/corpus/subset';
import { buildPlan, fakeExecutors, loadExperiment } from '../../lib/experiment';
import { runExperiment } from '../../lib/experiment/run-experiment';
import type { StepContext } from '../../lib/experiment/executor';
import { auditExecutor, subsetExecutor } from '../../lib/experiment/executors/decontaminate';
import { roleOf } from '../../lib/study';
import { parseExperimentText } from '../../lib/experiment/load';
import type { Step } from '../../lib/experiment/step';
import { writeCorpusFixture } from '../helpers/corpus-fixture';
import { writeFixtureExperiment } from '../helpers/experiment-fixture';
import { makeTmpDir, REPO_ROOT, removeTmpDir } from '../helpers/shared';

let root: string;
beforeAll(() => (root = makeTmpDir('resurface-exp-audit-')));
afterAll(() => removeTmpDir(root));

function fixtureWithStages(dir: string, stages: string, fileName?: string): string {
  const file = writeFixtureExperiment(dir, { temperatures: [1.0], seeds: [0], sources: ['small', 'other'], fileName });
  fs.writeFileSync(path.join(dir, 'bench.jsonl'), JSON.stringify({ context: 'the cat sat', continuation: 'on the mat' }) + '\n');
  fs.appendFileSync(file, stages);
  return file;
}

describe('schema', () => {
  const base = 'name: x\nmodels: { a: { path: a, family: f } }\ngrid: { students: [a], sources: [a] }\n';
  it('parses audit and subsets with defaults and token suffixes', () => {
    const e = parseExperimentText(base + 'audit: { tasks: [t.jsonl] }\nsubsets: { tokens: 5M }\n', 'x.yaml');
    expect(e.audit).toEqual({ tasks: ['t.jsonl'], n: 8 });
    expect(e.subsets).toEqual({ tokens: 5_000_000, count: 3, seed: 0 });
    expect(parseExperimentText(base + 'subsets: { tokens: 200k, count: 1 }\n', 'x.yaml').subsets!.tokens).toBe(200_000);
  });
  it('rejects a zero budget, n = 0 and an empty task list with the line', () => {
    for (const [bad, field] of [
      ['subsets: { tokens: 0 }', 'subsets.tokens'],
      ['subsets: { tokens: "0k" }', 'subsets.tokens'],
      ['subsets: { tokens: 5M, count: 0 }', 'subsets.count'],
      ['audit: { tasks: [t.jsonl], n: 0 }', 'audit.n'],
      ['audit: { tasks: [] }', 'audit.tasks'],
    ] as const) {
      expect(() => parseExperimentText(base + bad + '\n', 'x.yaml'), bad).toThrow(
        expect.objectContaining({ code: 'ERR_EXPERIMENT', message: expect.stringContaining(field) }),
      );
    }
  });
});

describe('plan', () => {
  it('puts audit before retokenize and subsets before train; one audit serves every student', () => {
    const dir = path.join(root, 'plan');
    const file = fixtureWithStages(dir, 'audit: { tasks: [bench.jsonl], n: 3 }\nsubsets: { tokens: 100, count: 2, seed: 4 }\n');
    const plan = buildPlan(loadExperiment(file));
    const byId = new Map(plan.steps.map((s) => [s.id, s]));
    const kinds = (id: string): string[] => {
      const s = byId.get(id)!;
      return s.deps.length ? [...kinds(s.deps[0]!), s.kind] : [s.kind];
    };
    expect(kinds('train/small/other/T1/s0/k1')).toEqual(['sample', 'audit', 'retokenize', 'subset', 'train']);
    expect(kinds('train/small/small/T1/s0/k0')).toEqual(['sample', 'audit', 'subset', 'train']);
    expect(plan.steps.filter((s) => s.kind === 'audit')).toHaveLength(2);
    expect(plan.steps.filter((s) => s.kind === 'train').map((s) => s.coords.subset)).toEqual([0, 1, 0, 1]);
    expect(byId.get('subset/small/T1/s0/tok-tokA/k1')!.settings).toEqual({ tokens: 100, seed: 4, index: 1 });
    expect(plan.steps.some((s) => s.id === 'eval/small/small/T1/s0/k1/facts')).toBe(true);
  });

  it('keys: n changes the audit and its descendants, not the sample', () => {
    const a = buildPlan(loadExperiment(fixtureWithStages(path.join(root, 'k'), 'audit: { tasks: [bench.jsonl], n: 3 }\n', 'a.yaml')));
    const b = buildPlan(loadExperiment(fixtureWithStages(path.join(root, 'k'), 'audit: { tasks: [bench.jsonl], n: 4 }\n', 'b.yaml')));
    const key = (p: typeof a, id: string) => p.steps.find((s) => s.id === id)!.key;
    expect(key(a, 'sample/small/T1/s0')).toBe(key(b, 'sample/small/T1/s0'));
    expect(key(a, 'audit/small/T1/s0')).not.toBe(key(b, 'audit/small/T1/s0'));
    expect(key(a, 'train/small/small/T1/s0')).not.toBe(key(b, 'train/small/small/T1/s0'));
  });

  it('runs with fake executors, and a second run reuses every step', async () => {
    const dir = path.join(root, 'run');
    const file = fixtureWithStages(dir, 'audit: { tasks: [bench.jsonl] }\nsubsets: { tokens: 100, count: 2 }\n');
    const ran: string[] = [];
    const r = await runExperiment({ file, out: path.join(dir, 'out'), executors: fakeExecutors({ onRun: (s) => ran.push(s.id) }) });
    expect(r.mode).toBe('run');
    expect(ran.filter((id) => id.startsWith('audit/'))).toHaveLength(2);
    expect(ran.filter((id) => id.startsWith('subset/'))).toHaveLength(4);
    const again: string[] = [];
    await runExperiment({ file, out: path.join(dir, 'out'), resume: true, executors: fakeExecutors({ onRun: (s) => again.push(s.id) }) });
    expect(again.filter((id) => id !== 'report')).toEqual([]);
  });
});

describe('the shipped paper-qwen-llama.yaml', () => {
  it('mirrors the reference defaults and its dry run gives tokens and GPU hours', async () => {
    const file = path.join(REPO_ROOT, 'experiments', 'paper-qwen-llama.yaml');
    const loaded = loadExperiment(file, { modelsDir: path.join(root, 'no-models') });
    const e = loaded.experiment;
    expect(e.sampling).toMatchObject({
      temperatures: [1.25, 1.0, 0.7, 0.3],
      num_samples: 20000,
      max_new_tokens: 1024,
      top_k: 0,
      top_p: 1,
      min_new_tokens: 50,
      logprobs: true,
      drop_short: false,
    });
    // "\n" as the context for the BOS-less Qwen sources; Llama starts from its BOS
    expect(Object.fromEntries(Object.entries(e.models).map(([n, m]) => [n, m.start_text ?? null]))).toEqual({
      'qwen2.5-0.5b': null,
      'qwen2.5-7b': '\n',
      'qwen3-8b-base': '\n',
      'llama3.2-1b': null,
    });
    // one family (qwen), two recipes: Qwen3-8B-Base is the different-recipe source of the Qwen student
    expect(
      roleOf({
        student: 'qwen2.5-0.5b',
        source: 'qwen3-8b-base',
        studentFamily: e.models['qwen2.5-0.5b']!.family,
        sourceFamily: e.models['qwen3-8b-base']!.family,
        studentRecipe: e.models['qwen2.5-0.5b']!.recipe,
        sourceRecipe: e.models['qwen3-8b-base']!.recipe,
      }),
    ).toBe('different-recipe');
    expect(e.training.warmup_ratio).toBe(0.1);
    expect(e.audit!.n).toBe(8);
    expect(Object.keys(loaded.auditTasks!)).toHaveLength(7);
    expect(e.subsets).toEqual({ tokens: 5_000_000, count: 3, seed: 42 });
    expect(e.training).toMatchObject({ lr: 1e-6, epochs: 40, schedule: 'cosine', seq_len: 2048, dtype: 'bfloat16' });
    expect(e.training.batch_size * e.training.grad_accum).toBe(64);
    expect(e.grid.students).toEqual(['qwen2.5-0.5b', 'llama3.2-1b']);
    expect(e.grid.sources).toEqual(['qwen2.5-7b', 'qwen3-8b-base', 'llama3.2-1b']);
    const r = await runExperiment({ file, modelsDir: path.join(root, 'no-models'), dryRun: true });
    if (r.mode !== 'dry-run') throw new Error('expected a dry run');
    // 3 sources × 4 temperatures × 20k samples × ≤1024 tokens; 2 students × 3 sources × 4 τ × 3 subsets × 5M × 40 epochs
    expect(r.gpu.tokensToSample).toBe(3 * 4 * 20000 * 1024);
    expect(r.gpu.tokensToTrain).toBe(2 * 3 * 4 * 3 * 5e6 * 40);
    expect(r.gpu.hours.sample).toBeGreaterThan(0);
    expect(r.gpu.hours.train).toBeGreaterThan(0);
    expect(r.gpu.assumptions).toMatch(/tok\/s/);
  });
});

describe('real executors', () => {
  it('audit and subset steps write corpora (subset k equals corpus subset --count > k)', async () => {
    const src = path.join(root, 'src-corpus');
    fs.mkdirSync(src);
    const texts = ['the quick brown fox jumps', 'the cat sat on the mat today', 'nothing to see', 'a b c d', 'cat sat on the'];
    await writeCorpusFixture(src, [
      texts.map((text, id) => ({ id, text, tokens: [1, 2, 3], num_tokens: 3, finish_reason: 'eos' as const })),
    ]);
    const bench = path.join(root, 'bench.jsonl');
    fs.writeFileSync(bench, JSON.stringify({ context: 'the cat sat', continuation: 'on the mat' }) + '\n');
    const ctx = (outDir: string, inputDir: string): StepContext => {
      fs.mkdirSync(outDir);
      return {
        outDir,
        inputs: { corpus: { dir: inputDir, result: {} } },
        signal: new AbortController().signal,
        progress: () => {},
        log: () => {},
      } as unknown as StepContext;
    };
    const auditStep = { id: 'audit/x', settings: { n: 4 }, runtime: { task_files: { bench } } } as unknown as Step;
    const res = await auditExecutor.run(auditStep, ctx(path.join(root, 'audit-out'), src));
    expect(res).toMatchObject({ samples: 3, flagged: 2, per_benchmark: { bench: 2 } });
    const subStep = { id: 'subset/x', settings: { tokens: 10, seed: 3, index: 1 } } as unknown as Step;
    const sres = await subsetExecutor.run(subStep, ctx(path.join(root, 'subset-out'), path.join(root, 'audit-out')));
    expect(sres.tokens).toBeGreaterThanOrEqual(10);
    await subsetCorpus({ corpusDir: path.join(root, 'audit-out'), tokens: 10, count: 2, seed: 3, outDir: path.join(root, 'subsets-cli') });
    expect(fs.readFileSync(path.join(root, 'subset-out', 'samples-00000.jsonl'))).toEqual(
      fs.readFileSync(path.join(root, 'subsets-cli', 'subset-1', 'samples-00000.jsonl')),
    );
    expect(readManifest(path.join(root, 'subset-out')).subset!.index).toBe(1);
  });
});
