/**
 * The experiment runner with fake executors: DAG expansion, content addresses, the cache (a rerun
 * executes nothing), failure isolation, devices, --only, a kill -9 mid-step and resume, Slurm
 * emission, and dry runs of the shipped experiment files against the vendored configs.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlan, fakeExecutors, loadExperiment, type Step } from '../../lib/experiment';
import { runExperiment } from '../../lib/experiment/run-experiment';
import { writeFixtureExperiment } from '../helpers/experiment-fixture';
import { REPO_ROOT, makeTmpDir, removeTmpDir, sharedDir } from '../helpers/shared';
import { bundleChild } from '../helpers/child-bundle';

const tmp = makeTmpDir('resurface-exp-');
afterAll(() => removeTmpDir(tmp));

function kinds(steps: Array<{ kind: string }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of steps) out[s.kind] = (out[s.kind] ?? 0) + 1;
  return out;
}

function events(runDir: string): Array<{ event: string; id: string; key: string }> {
  return fs
    .readFileSync(path.join(runDir, 'events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

/** key → result of every finished cached step under a cache dir. */
function cachedResults(cacheDir: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const kind of fs.readdirSync(cacheDir))
    for (const key of fs.readdirSync(path.join(cacheDir, kind))) {
      const f = path.join(cacheDir, kind, key, 'step.json');
      if (fs.existsSync(f)) out.set(key, JSON.parse(fs.readFileSync(f, 'utf8')).result);
    }
  return out;
}

describe('the forgetting control', () => {
  const dir = path.join(tmp, 'control');
  fs.mkdirSync(dir, { recursive: true });
  const file = writeFixtureExperiment(dir, { forgetting: true });

  it("plans, per seed, natural text on the self corpus's token budget, the same training and evaluations", () => {
    const plan = buildPlan(loadExperiment(file));
    const nat = plan.steps.filter((s) => s.kind === 'natural');
    expect(nat.map((s) => `${s.id} <- ${s.deps.join(',')}`)).toEqual([
      'natural/small/s0 <- sample/small/T0.7/s0',
      'natural/small/s1 <- sample/small/T0.7/s1',
    ]);
    const train = plan.steps.find((s) => s.id === 'train/small/natural/s0')!;
    expect(train.deps).toEqual(['natural/small/s0']);
    expect(train.coords).toEqual({ student: 'small', source: 'small:natural', seed: 0, control: 'forgetting' });
    expect(plan.steps.filter((s) => s.id.startsWith('eval/small/natural/'))).toHaveLength(2);
  });

  it('a control for a student that is not also a source is rejected at its line', () => {
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(bad, fs.readFileSync(file, 'utf8').replace('sources: [small, large, other]', 'sources: [large, other]'));
    expect(() => loadExperiment(bad)).toThrow(/controls\.forgetting\.small.*must also be a source/s);
  });

  it('runs, and the report measures the extraction drop against the control', async () => {
    const runDir = path.join(dir, 'run');
    const r = await runExperiment({ file, out: runDir, executors: fakeExecutors() });
    if (r.mode !== 'run') throw new Error(`expected a run, got ${r.mode}`);
    expect(r.summary.failures).toEqual([]);
    const findings = JSON.parse(fs.readFileSync(path.join(runDir, 'report', 'findings.json'), 'utf8')).findings;
    const dec = findings.find((f: { id: string }) => f.id === 'decoupling');
    expect(dec.contrasts.map((c: { name: string }) => c.name)).toContain('small: extraction drop, self-training vs the forgetting control');
    const util = findings.find((f: { id: string }) => f.id === 'utility');
    expect(util.contrasts.map((c: { name: string }) => c.name)).toContain('gain small ← small:natural (forgetting-control)');
  });
});

describe('plan', () => {
  const dir = path.join(tmp, 'plan');
  const file = writeFixtureExperiment(dir);
  const plan = buildPlan(loadExperiment(file), { executorVersions: { train: 'fake-train-1' } });

  it('expands source × student × temperature × seed into a DAG', () => {
    expect(kinds(plan.steps)).toEqual({ eval: 15, extract: 15, sample: 12, retokenize: 4, train: 12, proxies: 12, report: 1 });
    // only the cross-tokenizer source is retokenized, once per corpus
    expect(plan.steps.filter((s) => s.kind === 'retokenize').every((s) => s.coords.source === 'other')).toBe(true);
    const train = plan.steps.find((s) => s.id === 'train/small/other/T1/s0')!;
    expect(train.deps).toEqual(['retokenize/other/T1/s0/tok-tokA']);
    expect(plan.steps.find((s) => s.id === 'train/small/large/T0.7/s1')!.deps).toEqual(['sample/large/T0.7/s1']);
    // every dependency comes earlier (topological order)
    const pos = new Map(plan.steps.map((s, i) => [s.id, i]));
    for (const s of plan.steps) for (const d of s.deps) expect(pos.get(d)!).toBeLessThan(pos.get(s.id)!);
  });

  it('content addresses change only downstream of an edit', () => {
    // same folder (model paths are part of a missing model's fingerprint), another file
    const plan2 = buildPlan(loadExperiment(writeFixtureExperiment(dir, { temperatures: [0.7, 1.2], fileName: 'exp2.yaml' })), {
      executorVersions: { train: 'fake-train-1' },
    });
    const key = (p: typeof plan, id: string) => p.steps.find((s) => s.id === id)?.key;
    for (const id of ['sample/large/T0.7/s0', 'train/small/other/T0.7/s1', 'eval/small/large/T0.7/s0/facts', 'eval/large/base/facts'])
      expect(key(plan2, id)).toBe(key(plan, id));
    expect(key(plan2, 'sample/large/T1/s0')).toBeUndefined();
    expect(key(plan2, 'report')).not.toBe(key(plan, 'report'));
    // the executor version is part of the address
    const plan3 = buildPlan(loadExperiment(file), { executorVersions: { train: 'fake-train-2' } });
    expect(key(plan3, 'train/small/large/T1/s0')).not.toBe(key(plan, 'train/small/large/T1/s0'));
    expect(key(plan3, 'eval/small/large/T1/s0/facts')).not.toBe(key(plan, 'eval/small/large/T1/s0/facts'));
    expect(key(plan3, 'sample/large/T1/s0')).toBe(key(plan, 'sample/large/T1/s0'));
  });
});

describe('running with fake executors', () => {
  const dir = path.join(tmp, 'run');
  const file = writeFixtureExperiment(dir);
  const runDir = path.join(dir, 'out');

  it('runs every step, writes the report, and a rerun executes nothing', async () => {
    const ran: string[] = [];
    const r = await runExperiment({ file, out: runDir, executors: fakeExecutors({ onRun: (s) => ran.push(s.id) }) });
    if (r.mode !== 'run') throw new Error('expected a run');
    expect(r.summary.counts).toMatchObject({ done: 71, failed: 0, skipped: 0, cached: 0 });
    expect(ran).toHaveLength(70); // + the built-in report
    for (const f of [
      'report.md',
      'report.html',
      'results.csv',
      'utility-matrix.svg',
      'gain-vs-temperature.svg',
      'capability-vs-extraction.svg',
    ])
      expect(fs.existsSync(path.join(runDir, 'report', f))).toBe(true);
    const md = fs.readFileSync(path.join(runDir, 'report', 'report.md'), 'utf8');
    expect(md).toMatch(/## Relational utility matrix/);
    expect(fs.existsSync(path.join(runDir, 'report', 'proxies-vs-gain.svg'))).toBe(true);

    await expect(runExperiment({ file, out: runDir, executors: fakeExecutors() })).rejects.toMatchObject({
      code: 'ERR_EXPERIMENT',
      message: expect.stringMatching(/--resume/),
    });

    const again: string[] = [];
    const r2 = await runExperiment({ file, out: runDir, resume: true, executors: fakeExecutors({ onRun: (s) => again.push(s.id) }) });
    if (r2.mode !== 'run') throw new Error('expected a run');
    expect(again).toEqual([]);
    expect(r2.summary.counts).toMatchObject({ cached: 70, done: 1 }); // only the report is rewritten
  });

  it('an edited temperature reruns only what depends on it', async () => {
    writeFixtureExperiment(dir, { temperatures: [0.7, 1.3] });
    try {
      const ran: Step[] = [];
      const r = await runExperiment({ file, out: runDir, resume: true, executors: fakeExecutors({ onRun: (s) => ran.push(s) }) });
      if (r.mode !== 'run') throw new Error('expected a run');
      expect(ran.length).toBe(32); // sample 6, retokenize 2, train 6, eval 6, extract 6, proxies 6: all at T=1.3
      expect(ran.every((s) => s.coords.temperature === 1.3)).toBe(true);
    } finally {
      writeFixtureExperiment(dir); // restore
    }
  });

  it('--dry-run marks cached steps and estimates the rest', async () => {
    const r = await runExperiment({ file, out: runDir, dryRun: true, executors: fakeExecutors() });
    if (r.mode !== 'dry-run') throw new Error('expected a dry run');
    expect(r.totals.steps).toBe(71);
    expect(r.totals.toRun).toBe(1); // the report
    expect(r.steps.find((s) => s.id === 'sample/small/T1/s0')!.tokens).toBe(20 * 16);
  });

  it('--only selects steps and what they need', async () => {
    const ran: string[] = [];
    const r = await runExperiment({
      file,
      out: path.join(dir, 'only'),
      only: 'train/small/large/T1/*',
      executors: fakeExecutors({ onRun: (s) => ran.push(s.id) }),
    });
    if (r.mode !== 'run') throw new Error('expected a run');
    expect(ran.sort()).toEqual(['sample/large/T1/s0', 'sample/large/T1/s1', 'train/small/large/T1/s0', 'train/small/large/T1/s1']);
  });
});

describe('failure isolation', () => {
  it('a failing step skips only its dependents; a rerun runs just those', async () => {
    const dir = path.join(tmp, 'fail');
    const file = writeFixtureExperiment(dir, { seeds: [0] });
    const runDir = path.join(dir, 'out');
    const bad = 'train/small/large/T1/s0';
    const r = await runExperiment({ file, out: runDir, executors: fakeExecutors({ fail: (s) => s.id === bad }) });
    if (r.mode !== 'run') throw new Error('expected a run');
    expect(r.summary.failures).toEqual([{ id: bad, code: 'ERR_DATA', message: `fake failure of ${bad}` }]);
    expect(r.summary.statuses['eval/small/large/T1/s0/facts']).toBe('skipped');
    expect(r.summary.statuses['extract/small/large/T1/s0/canaries']).toBe('skipped');
    expect(r.summary.statuses['eval/small/large/T0.7/s0/facts']).toBe('done');
    expect(r.summary.statuses.report).toBe('done');
    expect(fs.existsSync(path.join(runDir, 'failures', 'train_small_large_T1_s0.json'))).toBe(true);
    const findings = JSON.parse(fs.readFileSync(path.join(runDir, 'report', 'findings.json'), 'utf8'));
    expect(findings.missing).toEqual(expect.arrayContaining([bad, 'eval/small/large/T1/s0/facts']));
    // nothing half-written is left in the cache
    expect(fs.readdirSync(path.join(runDir, 'cache', 'train')).filter((f) => f.startsWith('.'))).toEqual([]);

    const ran: string[] = [];
    const r2 = await runExperiment({ file, out: runDir, resume: true, executors: fakeExecutors({ onRun: (s) => ran.push(s.id) }) });
    if (r2.mode !== 'run') throw new Error('expected a run');
    expect(ran.sort()).toEqual([`eval/small/large/T1/s0/facts`, `extract/small/large/T1/s0/canaries`, bad].sort());
    expect(fs.existsSync(path.join(runDir, 'failures', 'train_small_large_T1_s0.json'))).toBe(false);
  });
});

describe('devices', () => {
  it('runs independent steps concurrently, one per device', async () => {
    const dir = path.join(tmp, 'dev');
    const file = writeFixtureExperiment(dir, { seeds: [0], temperatures: [1.0] });
    let active = 0;
    let peak = 0;
    const seen = new Set<string>();
    const base = fakeExecutors({ delayMs: 40 });
    const exec = Object.fromEntries(
      Object.entries(base).map(([k, e]) => [
        k,
        {
          version: e!.version,
          run: async (s: Step, ctx: Parameters<typeof e.run>[1]) => {
            active++;
            peak = Math.max(peak, active);
            seen.add(ctx.device);
            try {
              return await e!.run(s, ctx);
            } finally {
              active--;
            }
          },
        },
      ]),
    );
    const r = await runExperiment({ file, out: path.join(dir, 'two'), devices: ['cuda:0', 'cuda:1'], executors: exec });
    if (r.mode !== 'run') throw new Error('expected a run');
    expect(r.summary.counts.failed).toBe(0);
    expect(peak).toBeGreaterThanOrEqual(2);
    expect(peak).toBeLessThanOrEqual(3); // two devices + one host-side step (retokenize/report)
    expect(seen).toEqual(new Set(['cuda:0', 'cuda:1', 'cpu']));
  });
});

describe('kill -9 and resume', () => {
  const dir = path.join(tmp, 'kill');
  let childJs = '';
  beforeAll(async () => {
    childJs = await bundleChild('experiment-child');
  });

  it('a run killed mid-step and resumed equals an uninterrupted one, with no step finished twice', async () => {
    const file = writeFixtureExperiment(dir, { seeds: [0] });
    const runDir = path.join(dir, 'killed');
    const child = spawn(process.execPath, [childJs, file, runDir, '120'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Wait until a train step has started and a moment more (it is mid-step: half its delay is before it writes).
    const evFile = path.join(runDir, 'events.jsonl');
    const t0 = Date.now();
    for (;;) {
      if (Date.now() - t0 > 30_000) throw new Error(`child never reached a train step: ${stderr}`);
      const text = fs.existsSync(evFile) ? fs.readFileSync(evFile, 'utf8') : '';
      if (text.includes('"event":"start","id":"train/')) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    // kill at once: the partial directory and lock exist as soon as the start event is logged
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const before = events(runDir);
    const interrupted = before.filter((e) => e.event === 'start' && !before.some((d) => d.event === 'done' && d.id === e.id));
    expect(interrupted.length).toBeGreaterThan(0); // something really was cut in the middle
    expect(fs.readdirSync(path.join(runDir, 'cache', 'train')).some((f) => f.startsWith('.partial-') || f.startsWith('.lock-'))).toBe(true);

    const resumed = await runExperiment({ file, out: runDir, resume: true, executors: fakeExecutors() });
    if (resumed.mode !== 'run') throw new Error('expected a run');
    expect(resumed.summary.counts.failed).toBe(0);

    const clean = path.join(dir, 'clean');
    await runExperiment({ file, out: clean, executors: fakeExecutors() });

    const a = cachedResults(path.join(runDir, 'cache'));
    const b = cachedResults(path.join(clean, 'cache'));
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [k, v] of b) expect(a.get(k)).toEqual(v);
    expect(fs.readFileSync(path.join(runDir, 'report', 'results.csv'), 'utf8')).toBe(
      fs.readFileSync(path.join(clean, 'report', 'results.csv'), 'utf8'),
    );

    const done = events(runDir).filter((e) => e.event === 'done' && e.id !== 'report');
    const perKey = new Map<string, number>();
    for (const e of done) perKey.set(e.key, (perKey.get(e.key) ?? 0) + 1);
    expect([...perKey.values()].every((n) => n === 1)).toBe(true);
    expect(perKey.size).toBe(b.size);
    for (const kind of fs.readdirSync(path.join(runDir, 'cache')))
      expect(fs.readdirSync(path.join(runDir, 'cache', kind)).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});

describe('shipped experiment files', () => {
  const configs = path.join(sharedDir(), 'configs');
  // The vendored configs lack Qwen3-0.6B-Base (qwen-llama.yaml's base Qwen3): its config.json is the
  // post-trained Qwen3-0.6B's but for eos_token_id (<|endoftext|>) and max_position_embeddings (HF's
  // Qwen/Qwen3-0.6B-Base), the same architecture and parameter count, which is what a dry run reads.
  const modelsDir = path.join(tmp, 'configs');
  fs.mkdirSync(modelsDir, { recursive: true });
  for (const d of fs.readdirSync(configs)) if (!d.endsWith('.md')) fs.symlinkSync(path.join(configs, d), path.join(modelsDir, d));
  const base = JSON.parse(fs.readFileSync(path.join(configs, 'Qwen--Qwen3-0.6B', 'config.json'), 'utf8')) as Record<string, unknown>;
  fs.mkdirSync(path.join(modelsDir, 'Qwen--Qwen3-0.6B-Base'));
  fs.writeFileSync(
    path.join(modelsDir, 'Qwen--Qwen3-0.6B-Base', 'config.json'),
    JSON.stringify({ ...base, eos_token_id: 151643, max_position_embeddings: 32768 }),
  );

  it('qwen-llama.yaml names base checkpoints, pythia.yaml the standard Pythia models', () => {
    const hubs = (name: string) =>
      fs
        .readFileSync(path.join(REPO_ROOT, 'experiments', name), 'utf8')
        .match(/hub: *[^,}\s]+/g)!
        .map((h) => h.replace(/hub: */, ''));
    expect(hubs('qwen-llama.yaml')).toContain('Qwen/Qwen3-0.6B-Base');
    expect(hubs('qwen-llama.yaml')).not.toContain('Qwen/Qwen3-0.6B');
    expect(
      hubs('pythia.yaml')
        .filter((h) => h.includes('pythia'))
        .every((h) => !h.includes('deduped')),
    ).toBe(true);
  });

  for (const name of ['pythia.yaml', 'qwen-llama.yaml']) {
    it(`${name}: --dry-run with the vendored configs`, async () => {
      const r = await runExperiment({
        file: path.join(REPO_ROOT, 'experiments', name),
        out: path.join(tmp, name),
        modelsDir,
        dryRun: true,
        devices: ['cuda:0'],
      });
      if (r.mode !== 'dry-run') throw new Error('expected a dry run');
      for (const m of Object.values(r.plan.models)) {
        expect(m.exists).toBe(true);
        expect(m.parameters).toBeGreaterThan(1e7);
      }
      expect(r.totals.tokens).toBeGreaterThan(0);
      expect(Number.isFinite(r.totals.seconds)).toBe(true);
      expect(r.steps.some((s) => s.kind === 'retokenize')).toBe(true); // a cross-tokenizer source
      expect(r.steps.at(-1)!.kind).toBe('report');
    });
  }

  it('--emit slurm writes one job array per DAG level', async () => {
    const out = path.join(tmp, 'slurm');
    const r = await runExperiment({ file: path.join(REPO_ROOT, 'experiments', 'pythia.yaml'), out, modelsDir: configs, emit: 'slurm' });
    if (r.mode !== 'slurm') throw new Error('expected slurm');
    const submit = fs.readFileSync(r.files[0], 'utf8');
    const levels = r.files.length - 1;
    expect(levels).toBeGreaterThanOrEqual(4); // sample → retokenize → train → eval → report
    expect(submit.match(/sbatch --parsable/g)).toHaveLength(levels);
    const l0 = fs.readFileSync(r.files[1], 'utf8');
    expect(l0).toMatch(/#SBATCH --array=0-\d+/);
    // by absolute path: a job starts where sbatch ran, where `npx resurface` finds no package
    expect(l0).toMatch(/^'\/[^']*node[^']*' '\/[^']*\/bin\/resurface\.js' run .* --resume --only "\$STEP" --devices "\$DEVICE"/m);
    // the run's device kind enters step keys: a CPU run emits CPU jobs (no GPU request) ...
    expect(l0).toContain('DEVICE=cpu');
    expect(l0).not.toContain('--gres');
    // ... and a CUDA run asks for a GPU on the levels that hold device steps
    const gpu = await runExperiment({
      file: path.join(REPO_ROOT, 'experiments', 'pythia.yaml'),
      out: path.join(tmp, 'slurm-gpu'),
      modelsDir: configs,
      emit: 'slurm',
      devices: ['cuda:0'],
    });
    if (gpu.mode !== 'slurm') throw new Error('expected slurm');
    const scripts = gpu.files.slice(1).map((f) => fs.readFileSync(f, 'utf8'));
    expect(scripts.some((x) => x.includes('#SBATCH --gres=gpu:1') && x.includes('DEVICE=cuda:0'))).toBe(true);
    const listed = fs
      .readdirSync(path.join(out, 'slurm'))
      .filter((f) => f.endsWith('.steps'))
      .flatMap((f) =>
        fs
          .readFileSync(path.join(out, 'slurm', f), 'utf8')
          .trim()
          .split('\n'),
      );
    expect(new Set(listed).size).toBe(r.plan.steps.length);
  });
});
