#!/usr/bin/env node
/**
 * `npm run bench -- train`: training throughput (forward + backward + AdamW, tokens/s) of a
 * Pythia-70m-shaped random model at batch 8 × 256 tokens, native trainer vs a plain PyTorch eager
 * loop (bench/baselines/train_baseline.py: the reference model of test/reference, torch.optim.AdamW
 * with the same two parameter groups, same threads, same batch). Each side runs in its own child
 * process (A/B/A/B), reports the median step time and its own peak RSS.
 *
 *   node bench/train.js [--steps 3] [--repeats 2] [--batch 8] [--seq 256] [--threads N] [--activation-checkpointing]
 * Writes bench/results/train-cpu.json and .md.
 */
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const WORK = path.join(__dirname, '.work');
const RESULTS = path.join(__dirname, 'results');
const SHARED = process.env.RESURFACE_SHARED ? path.resolve(process.env.RESURFACE_SHARED) : path.resolve(ROOT, '..', 'shared');
const MODEL_DIR = path.join(WORK, 'pythia-70m-random'); // same cache as the other benchmarks
const MODEL_SEED = 1234;
const PYTHON = process.env.RESURFACE_BENCH_PYTHON || '/usr/bin/python3';

function args(argv) {
  const o = { steps: 3, repeats: 2, batch: 8, seq: 256, threads: os.availableParallelism ? os.availableParallelism() : os.cpus().length, child: null, activationCheckpointing: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (k === 'activationCheckpointing') o[k] = true;
    else if (k in o) o[k] = k === 'child' ? argv[++i] : Number(argv[++i]);
  }
  return o;
}

async function ensureModel() {
  const stamp = path.join(MODEL_DIR, '.complete');
  if (fs.existsSync(stamp)) return MODEL_DIR;
  const configJson = JSON.parse(fs.readFileSync(path.join(SHARED, 'configs', 'EleutherAI--pythia-70m', 'config.json'), 'utf8'));
  process.stderr.write(`[bench] writing ${MODEL_DIR} (random Pythia-70m, seed ${MODEL_SEED})\n`);
  await require('../dist').initRandomModel({ configJson, outDir: MODEL_DIR, seed: MODEL_SEED, dtype: 'float32', tokenizerDir: path.join(SHARED, 'tokenizers', 'pythia') });
  fs.writeFileSync(stamp, `${new Date().toISOString()}\n`);
  return MODEL_DIR;
}

/** Deterministic token rows [B, T + 1] (inputs are the first T, targets the last T). */
function tokens(B, T) {
  let s = 99;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % 50000);
  return Array.from({ length: B }, () => Array.from({ length: T + 1 }, next));
}

async function nativeChild(o) {
  const { Model } = require('../dist');
  const { loadNative } = require('../dist/native/loader');
  const rows = JSON.parse(fs.readFileSync(path.join(WORK, 'train-tokens.json'), 'utf8'));
  const B = rows.length;
  const T = rows[0].length - 1;
  const ids = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  rows.forEach((r, b) => r.slice(0, T).forEach((x, t) => { ids[b * T + t] = x; targets[b * T + t] = r[t + 1]; }));
  const model = await Model.load(MODEL_DIR, { threads: o.threads });
  const trainer = new (loadNative().NativeTrainer)(model.nativeHandle(), {
    weightDecay: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, gradClip: 1, decayAll: false, checkpointLayers: o.activationCheckpointing,
  });
  const times = [];
  let loss = 0;
  for (let i = 0; i <= o.steps; i++) {
    const t0 = process.hrtime.bigint();
    const r = await trainer.step({ ids, targets, B, T, lr: 1e-4, accumulate: false, normalizer: 0 });
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    if (i > 0) times.push(dt); // step 0 is warmup (allocates the optimizer state)
    loss = r.loss;
  }
  const med = median(times);
  process.stdout.write(`${JSON.stringify({ stepSec: times, medianStepSec: med, tokensPerSec: (B * T) / med, peakRssMiB: process.resourceUsage().maxRSS / 1024, lastLoss: loss })}\n`);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

// both sides under the same OpenMP wait policy (bench/common.js ompEnv: PASSIVE unless told otherwise)
const common = require('./common');
const OMP_ENV = common.ompEnv(common.parseArgs(process.argv.slice(2)));

function runJson(cmd, argv) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 1_800_000, env: { ...process.env, ...OMP_ENV } });
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} ${argv.join(' ')} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function machine() {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /Model name:\s*(.+)/.exec(execFileSync('lscpu', { encoding: 'utf8' }));
    if (m) cpu = m[1].trim();
  } catch { /* keep os.cpus() */ }
  const py = spawnSync(PYTHON, ['-c', 'import torch,sys;print(sys.version.split()[0], torch.__version__)'], { encoding: 'utf8' });
  const rt = require('../dist').loadNative().runtimeInfo();
  return {
    cpu, cores: os.availableParallelism ? os.availableParallelism() : os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version, libtorch: rt.torchVersion, python: py.stdout.trim(), openblasCoretype: process.env.OPENBLAS_CORETYPE ?? null,
  };
}

async function main() {
  const o = args(process.argv.slice(2));
  if (o.child === 'native') return nativeChild(o);
  await ensureModel();
  fs.mkdirSync(WORK, { recursive: true });
  fs.writeFileSync(path.join(WORK, 'train-tokens.json'), JSON.stringify(tokens(o.batch, o.seq)));
  const childArgs = ['--steps', String(o.steps), '--threads', String(o.threads), ...(o.activationCheckpointing ? ['--activation-checkpointing'] : [])];
  const load0 = os.loadavg();
  const native = [];
  const base = [];
  for (let r = 0; r < o.repeats; r++) {
    process.stderr.write(`[bench] repeat ${r + 1}/${o.repeats}: native\n`);
    native.push(runJson(process.execPath, [__filename, '--child', 'native', ...childArgs]));
    process.stderr.write(`[bench] repeat ${r + 1}/${o.repeats}: pytorch eager\n`);
    base.push(runJson(PYTHON, [path.join(__dirname, 'baselines', 'train_baseline.py'), '--model', MODEL_DIR, '--tokens', path.join(WORK, 'train-tokens.json'), ...childArgs]));
  }
  const nTps = median(native.map((x) => x.tokensPerSec));
  const bTps = median(base.map((x) => x.tokensPerSec));
  const result = {
    benchmark: 'train', date: new Date().toISOString(), machine: machine(), loadAverage: { before: load0, after: os.loadavg() },
    setup: { model: 'Pythia-70m shape, random init, float32', batch: o.batch, seqLen: o.seq, threads: o.threads, measuredSteps: o.steps, repeats: o.repeats,
      optimizer: 'AdamW lr 1e-4 wd 0.1 (no decay on biases/norms), grad clip 1.0', activationCheckpointing: o.activationCheckpointing,
      ompWaitPolicy: OMP_ENV.OMP_WAIT_POLICY ?? '(libgomp default)' },
    native: { tokensPerSec: nTps, peakRssMiB: Math.max(...native.map((x) => x.peakRssMiB)), runs: native },
    baseline: { tokensPerSec: bTps, peakRssMiB: Math.max(...base.map((x) => x.peakRssMiB)), runs: base },
    ratio: nTps / bTps,
    target: '>= 1.2x the PyTorch eager loop on CPU',
  };
  fs.mkdirSync(RESULTS, { recursive: true });
  fs.writeFileSync(path.join(RESULTS, 'train-cpu.json'), `${JSON.stringify(result, null, 2)}\n`);
  const m = result.machine;
  const md = [
    '# Training throughput (CPU)', '',
    `${result.date} · ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB · Node ${m.node} · libtorch ${m.libtorch} · python/torch ${m.python} · load ${load0.map((x) => x.toFixed(2)).join(' ')}`, '',
    `Pythia-70m shape (float32, random init), batch ${o.batch} × ${o.seq} tokens, forward + backward + AdamW, ${o.threads} threads, median of ${o.repeats}×${o.steps} steps; OMP_WAIT_POLICY ${result.setup.ompWaitPolicy} on both sides; loss at the last measured step, ours / baseline: ${result.native.runs[0].lastLoss.toFixed(5)} / ${result.baseline.runs[0].lastLoss.toFixed(5)}.`, '',
    '| | tokens/s | peak RSS (MiB) |', '|---|---:|---:|',
    `| resurface native trainer | ${nTps.toFixed(0)} | ${result.native.peakRssMiB.toFixed(0)} |`,
    `| PyTorch eager loop | ${bTps.toFixed(0)} | ${result.baseline.peakRssMiB.toFixed(0)} |`, '',
    `Ratio: **${result.ratio.toFixed(2)}×** (target ≥ 1.2×).`, '',
  ].join('\n');
  fs.writeFileSync(path.join(RESULTS, 'train-cpu.md'), md);
  process.stdout.write(`${md}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
