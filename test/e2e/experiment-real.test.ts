/**
 * The experiment runner on real (tiny, random) models through the real executors: two families
 * with their real tokenizers (Pythia = student family A, Llama 3 = cross-family source B, so the
 * corpus is retokenized), sample → retokenize → train → eval / extract / proxies → report.
 * Every step completes, the report files exist, results follow the CLI conventions, a second run
 * executes nothing but the (uncached) report, and a run killed with SIGKILL in the middle of a step
 * and resumed ends with the same results as the uninterrupted one.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../lib/corpus/manifest';
import { evaluateTask } from '../../lib/eval/evaluate';
import { readTaskFile } from '../../lib/eval/task-file';
import { runExperiment, type RunExperimentResult } from '../../lib/experiment/run-experiment';
import { readStepTimings } from '../../lib/experiment/executors';
import { initRandomModel } from '../../lib/model/init-random';
import { Model } from '../../lib/model/model';
import { TextTokenizer } from '../../lib/tokenizer/tokenizer';
import { cachedResults } from '../helpers/experiment-fixture';
import { makeTmpDir, readSharedConfig, removeTmpDir, sharedTokenizerDir } from '../helpers/shared';
import { proxyColumns } from '../../lib/report/proxy-columns';
import { bundleChild } from '../helpers/child-bundle';

const tmp = makeTmpDir('resurface-exp-real-');
afterAll(() => removeTmpDir(tmp));

function events(runDir: string): Array<{ event: string; id: string; key: string }> {
  return fs
    .readFileSync(path.join(runDir, 'events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

const WORDS = ['river', 'stone', 'light', 'north', 'quiet', 'garden', 'window', 'summer', 'paper', 'glass'];

function writeExperiment(dir: string): string {
  const facts = Array.from({ length: 8 }, (_, i) =>
    JSON.stringify({ context: `The ${WORDS[i % 10]} is next to the`, choices: [WORDS[(i + 1) % 10], WORDS[(i + 5) % 10]], gold: i % 2 }),
  );
  fs.writeFileSync(path.join(dir, 'facts.jsonl'), facts.join('\n') + '\n');
  const canaries = Array.from({ length: 6 }, (_, i) =>
    JSON.stringify({ text: `canary ${i}: the ${WORDS[i]} ${WORDS[(i * 3) % 10]} ${WORDS[(i * 7) % 10]} stood by the quiet summer window` }),
  );
  fs.writeFileSync(path.join(dir, 'canaries.jsonl'), canaries.join('\n') + '\n');
  const file = path.join(dir, 'exp.yaml');
  fs.writeFileSync(
    file,
    `name: real-e2e
models:
  a: { path: models/a, family: A }
  b: { path: models/b, family: B }
sampling: { temperatures: [1.0], num_samples: 8, max_new_tokens: 16, batch_size: 8 }
training: { max_steps: 4, batch_size: 2, seq_len: 32, lr: 1.0e-3, schedule: cosine, warmup: 1 }
evaluation:
  tasks: [facts.jsonl]
  batch_size: 8
  extraction:
    - { name: canaries, data: canaries.jsonl, prefix_len: 4, suffix_len: 4 }
  proxies: { k: 2, max_corpus_texts: 8 }
grid: { students: [a], sources: [a, b], seeds: [0] }
statistics: { resamples: 100 }
`,
  );
  return file;
}

describe('resurface run on tiny real models', () => {
  const dir = path.join(tmp, 'exp');
  const runDir = path.join(tmp, 'run');
  let file = '';
  let first: Extract<RunExperimentResult, { mode: 'run' }>;

  beforeAll(async () => {
    fs.mkdirSync(path.join(dir, 'models'), { recursive: true });
    const tiny = { maxPositionEmbeddings: 128 };
    await initRandomModel({
      configJson: readSharedConfig('EleutherAI--pythia-70m'),
      outDir: path.join(dir, 'models', 'a'),
      seed: 1,
      tiny,
      tokenizerDir: sharedTokenizerDir('pythia'),
    });
    await initRandomModel({
      configJson: readSharedConfig('meta-llama--Llama-3.2-1B'),
      outDir: path.join(dir, 'models', 'b'),
      seed: 2,
      tiny,
      tokenizerDir: sharedTokenizerDir('llama3'),
    });
    file = writeExperiment(dir);
    const t0 = Date.now();
    const r = await runExperiment({ file, out: runDir });
    if (r.mode !== 'run') throw new Error(`unexpected mode ${r.mode}`);
    first = r;
    console.log(`first run: ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  });

  it('runs every step of the grid to completion', () => {
    const s = first.summary;
    expect(s.failures).toEqual([]);
    expect(s.counts).toMatchObject({ done: first.plan.steps.length, failed: 0, skipped: 0, pending: 0 });
    const kinds: Record<string, number> = {};
    for (const st of first.plan.steps) kinds[st.kind] = (kinds[st.kind] ?? 0) + 1;
    expect(kinds).toEqual({ eval: 4, extract: 4, sample: 2, retokenize: 1, train: 2, proxies: 2, report: 1 });
  });

  const cached = (id: string) => {
    const st = first.plan.steps.find((s) => s.id === id)!;
    const stepDir = path.join(runDir, 'cache', st.kind, st.key);
    return { dir: stepDir, result: JSON.parse(fs.readFileSync(path.join(stepDir, 'step.json'), 'utf8')).result as Record<string, any> };
  };

  it('samples and trains with the experiment settings', () => {
    const sample = cached('sample/b/T1/s0');
    expect(sample.result).toMatchObject({ samples: 8 });
    expect(sample.result.tokens).toBeGreaterThan(0);
    expect(sample.result.tokens).toBeLessThanOrEqual(8 * 16);
    expect(sample.result.eos_rate).toBeGreaterThanOrEqual(0);
    const m = readManifest(sample.dir);
    expect(m.params).toMatchObject({ numSamples: 8, maxNewTokens: 16, temperature: 1, seed: 0, topK: 0, topP: 1, minP: 0 });
    expect(m.startToken.id).toBe(128000); // Llama 3 <|begin_of_text|>

    // the retokenized copy speaks the student's (Pythia) tokenizer, start token included
    const retok = cached('retokenize/b/T1/s0/tok-A');
    const rm = readManifest(retok.dir);
    expect(rm.counts.samples).toBe(8);
    expect(rm.startToken.id).toBe(0);
    expect(retok.result.samples).toBe(8);

    for (const source of ['a', 'b']) {
      const t = cached(`train/a/${source}/T1/s0`);
      expect(t.result.steps).toBe(4);
      expect(Number.isFinite(t.result.final_loss)).toBe(true);
      expect(t.result.tokens).toBeGreaterThan(0);
      expect(fs.existsSync(path.join(t.dir, 'model.safetensors'))).toBe(true);
      expect(fs.existsSync(path.join(t.dir, 'tokenizer.json'))).toBe(true);
      expect(fs.readdirSync(t.dir).filter((f) => f.startsWith('checkpoint-'))).toEqual([]);
      const metrics = fs
        .readFileSync(path.join(t.dir, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(metrics.map((x) => x.step)).toEqual([1, 2, 3, 4]);
      // the recipe reached the trainer: 1 warmup step (lr 0 first, as transformers), then cosine from 1e-3
      expect(metrics.map((x) => x.lr)).toEqual([
        0,
        1e-3,
        expect.closeTo(1e-3 * 0.5 * (1 + Math.cos(Math.PI / 3)), 12),
        expect.closeTo(1e-3 * 0.5 * (1 + Math.cos((2 * Math.PI) / 3)), 12),
      ]);
    }
  });

  it('eval results are exactly the eval --json object of the trained model', async () => {
    const ev = cached('eval/a/b/T1/s0/facts');
    expect(Object.keys(ev.result).sort()).toEqual(['acc', 'acc_norm', 'acc_norm_stderr', 'acc_stderr', 'items', 'n', 'task']);
    expect(ev.result.n).toBe(8);
    const trained = cached('train/a/b/T1/s0').dir;
    const model = await Model.load(trained);
    try {
      const direct = await evaluateTask(model, await TextTokenizer.load(trained), readTaskFile(path.join(dir, 'facts.jsonl')), {
        batchSize: 8,
      });
      expect(ev.result).toEqual(JSON.parse(JSON.stringify(direct)));
    } finally {
      model.dispose();
    }
    const ex = cached('extract/b/base/canaries');
    expect(Object.keys(ex.result).sort()).toEqual(['exact_match_ci', 'exact_match_rate', 'items', 'mean_score', 'n']);
    expect(ex.result.n).toBe(6);
  });

  it('proxies use the model-based measures', () => {
    const p = cached('proxies/a/b/T1/s0').result;
    expect(p.corpusTexts).toBe(8);
    expect(p.source).toBe('b');
    for (const k of ['loglik_student', 'loglik_source', 'loglik_compatibility', 'embed_centroid:facts', 'embed_topk:facts']) {
      expect(Number.isFinite(proxyColumns(p as Parameters<typeof proxyColumns>[0])[k]), k).toBe(true);
    }
    expect(proxyColumns(p as Parameters<typeof proxyColumns>[0]).loglik_student).toBeLessThan(0);
  });

  it('writes the report and per-step timings', () => {
    for (const f of ['results.csv', 'report.md', 'report.html']) expect(fs.existsSync(path.join(runDir, 'report', f)), f).toBe(true);
    const csv = fs.readFileSync(path.join(runDir, 'report', 'results.csv'), 'utf8');
    expect(csv.trim().split('\n').length).toBeGreaterThanOrEqual(3); // header + 2 trained runs
    const t = readStepTimings(runDir);
    expect(t.total.steps).toBe(first.plan.steps.length - 1); // all but the report
    for (const s of t.steps) expect(s.wall_ms).toBeGreaterThan(0);
    console.log(
      `orchestration share: total ${(t.total.orchestration_share * 100).toFixed(1)}% of ${(t.total.wall_ms / 1000).toFixed(1)}s; ` +
        Object.entries(t.byKind)
          .map(([k, v]) => `${k} ${(v.orchestration_share * 100).toFixed(1)}% of ${(v.wall_ms / 1000).toFixed(1)}s`)
          .join(', '),
    );
  });

  it('a second run executes nothing but the report', async () => {
    const t0 = Date.now();
    const started: string[] = [];
    const r = await runExperiment({ file, out: runDir, resume: true, onEvent: (e) => e.event === 'start' && started.push(e.id) });
    if (r.mode !== 'run') throw new Error(`unexpected mode ${r.mode}`);
    expect(started).toEqual(['report']);
    expect(r.summary.counts).toMatchObject({ cached: r.plan.steps.length - 1, done: 1, failed: 0 });
    console.log(`second run: ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  });

  it('a run killed mid-step with SIGKILL and resumed ends with the same results', async () => {
    const childJs = await bundleChild('experiment-real-child');
    const killedDir = path.join(tmp, 'killed');
    const child = spawn(process.execPath, [childJs, file, killedDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise((r) => child.once('exit', r));
    const evFile = path.join(killedDir, 'events.jsonl');
    const t0 = Date.now();
    for (;;) {
      if (Date.now() - t0 > 60_000) throw new Error(`child never reached a train step: ${stderr}`);
      const text = fs.existsSync(evFile) ? fs.readFileSync(evFile, 'utf8') : '';
      if (text.includes('"event":"start","id":"train/')) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 150));
    child.kill('SIGKILL');
    await exited;
    const before = events(killedDir);
    expect(before.filter((e) => e.event === 'start' && !before.some((d) => d.event === 'done' && d.id === e.id)).length).toBeGreaterThan(0);

    const resumed = await runExperiment({ file, out: killedDir, resume: true });
    if (resumed.mode !== 'run') throw new Error('expected a run');
    expect(resumed.summary.failures).toEqual([]);
    const a = cachedResults(path.join(killedDir, 'cache'));
    const b = cachedResults(path.join(runDir, 'cache'));
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [k, v] of b) expect(a.get(k), k).toEqual(v);
    const done = events(killedDir).filter((e) => e.event === 'done' && e.id !== 'report');
    expect(new Set(done.map((e) => e.key)).size).toBe(done.length); // no step finished twice
    for (const kind of fs.readdirSync(path.join(killedDir, 'cache')))
      expect(fs.readdirSync(path.join(killedDir, 'cache', kind)).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});
