#!/usr/bin/env node
/**
 * `npm run bench -- load`: what loading a Pythia-70m-shaped model costs, up to its first token:
 * seconds from Model.load to one token's logits, the peak resident set while doing it (VmHWM, reset
 * just before; the part above the process's resident set before loading is what loading adds), and
 * the whole process (`resurface generate` of one token, under /usr/bin/time). Three cases: a float32
 * checkpoint loaded as float32, a bfloat16 checkpoint loaded as bfloat16, and the bfloat16 one
 * loaded as float32 (converted while loading). Peer: PyTorch loading the same file the way the other
 * baselines do (bench/baselines/load_peer.py). Each measurement in its own child process, rounds
 * alternating ours / candidate / peer. Target (issue 16): peak added by loading <= 1.3x the weights
 * in the compute dtype, whole process <= 1 s.
 *
 *   node bench/load.js [--rounds 2] [--threads N] [--cases f32,bf16,bf16-as-f32]
 *                      [--candidate OTHER/dist]   (e.g. main's build: the "before")
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const c = require('./common');

const args = c.parseArgs(process.argv.slice(2));
const THREADS = Number(args.threads ?? c.cpuCount());
const ROUNDS = Number(args.rounds ?? 2);
const BF16_DIR = path.join(c.WORK, 'pythia-70m-random-bf16');
const CASES = {
  f32: { checkpoint: 'f32', dtype: 'float32' },
  bf16: { checkpoint: 'bf16', dtype: 'bfloat16' },
  'bf16-as-f32': { checkpoint: 'bf16', dtype: 'float32' },
};
const ELEMENT_BYTES = { float32: 4, bfloat16: 2, float16: 2 };

/** The bfloat16 twin of the bench model (same seed, written once). */
async function ensureBf16Model() {
  const stamp = path.join(BF16_DIR, '.complete');
  if (fs.existsSync(stamp)) return BF16_DIR;
  const configJson = JSON.parse(fs.readFileSync(path.join(c.CONFIG_DIR, 'config.json'), 'utf8'));
  await c.lib().initRandomModel({ configJson, outDir: BF16_DIR, seed: c.MODEL_SEED, dtype: 'bfloat16', tokenizerDir: c.TOKENIZER_DIR });
  fs.writeFileSync(stamp, `${new Date().toISOString()}\n`);
  return BF16_DIR;
}

/** Child: load, one token, report. The addon (libtorch) is loaded first so it is not counted as loading. */
async function child() {
  const lib = c.lib();
  lib.loadNative();
  const rssBeforeMiB = c.currentRssMiB();
  c.resetPeakRss();
  const t0 = process.hrtime.bigint();
  const model = await lib.Model.load(String(args.model), { dtype: String(args.dtype), threads: THREADS });
  const loadSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const peakLoadMiB = c.peakRssMiB();
  const rssLoadedMiB = c.currentRssMiB();
  const r = await model.forward([Int32Array.of(0)]);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const peakRssMiB = c.peakRssMiB();
  let token = 0;
  for (let i = 1; i < r.logits.length; i++) if (r.logits[i] > r.logits[token]) token = i;
  model.dispose();
  process.stdout.write(`${JSON.stringify({ seconds, loadSeconds, rssBeforeMiB, rssLoadedMiB, peakLoadMiB, peakRssMiB, token })}\n`);
}

/** Bytes of the weights in the compute dtype (safetensors header: element counts). */
function weightMiB(dir, dtype) {
  const file = path.join(dir, 'model.safetensors');
  const fd = fs.openSync(file, 'r');
  const head = Buffer.alloc(8);
  fs.readSync(fd, head, 0, 8, 0);
  const n = Number(head.readBigUInt64LE(0));
  const json = Buffer.alloc(n);
  fs.readSync(fd, json, 0, n, 8);
  fs.closeSync(fd);
  let numel = 0;
  for (const [name, t] of Object.entries(JSON.parse(json.toString('utf8')))) {
    if (name !== '__metadata__') numel += t.shape.reduce((a, b) => a * b, 1);
  }
  return (numel * ELEMENT_BYTES[dtype]) / 2 ** 20;
}

function wholeProcess(libDist, dir, dtype) {
  const bin = path.join(path.dirname(path.resolve(libDist)), 'bin', 'resurface.js');
  const out = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'resurface-load-'));
  try {
    const r = c.runTimedChild(process.execPath, [
      bin,
      'generate',
      '--model',
      dir,
      '--out',
      path.join(out, 'c'),
      '--num-samples',
      '1',
      '--max-new-tokens',
      '1',
      '--dtype',
      dtype,
      '--threads',
      String(THREADS),
      '--batch-size',
      '1',
    ]);
    return { wallSeconds: r.wallSeconds, maxRssMiB: r.maxRssMiB };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

async function main() {
  if (args.child) return child();
  const loadStart = c.loadAverage();
  const dirs = { f32: await c.ensureModel(), bf16: await ensureBf16Model() };
  const cases = String(args.cases ?? 'f32,bf16,bf16-as-f32').split(',');
  const sides = [{ name: 'resurface', dist: path.join(c.ROOT, 'dist') }];
  const cand = c.candidateFromArgs(args);
  if (cand) sides.push({ name: 'candidate', dist: cand.dir, env: cand.env });
  const results = {};
  for (const name of cases) {
    const k = CASES[name];
    const dir = dirs[k.checkpoint];
    const res = { dtype: k.dtype, checkpoint: k.checkpoint, weightMiB: weightMiB(dir, k.dtype), runs: {} };
    for (let round = 0; round < ROUNDS; round++) {
      for (const s of sides) {
        const j = c.runJsonChild(
          process.execPath,
          [__filename, '--child', '--model', dir, '--dtype', k.dtype, '--threads', String(THREADS)],
          { env: s.env ?? {} },
        );
        const w = wholeProcess(s.dist, dir, k.dtype);
        (res.runs[s.name] ??= []).push({ ...j, addedMiB: j.peakRssMiB - j.rssBeforeMiB, whole: w });
      }
      const p = c.runJsonChild(c.PYTHON, [path.join(__dirname, 'baselines', 'load_peer.py'), dir, k.dtype, String(THREADS)]);
      (res.runs.pytorch ??= []).push({ ...p, addedMiB: p.peakRssMiB - p.rssBeforeMiB });
    }
    results[name] = res;
    process.stderr.write(`[load] ${name}: ${JSON.stringify(summary(res))}\n`);
  }
  // The floor under any whole process: node starting, loading the addon (libtorch's shared libraries:
  // relocation and operator registration) and exiting, with no model.
  const floor = c.median(
    Array.from({ length: ROUNDS }, () => {
      const loader = path.join(path.resolve(sides[0].dist), 'native', 'loader.js');
      return c.runTimedChild(process.execPath, ['-e', `require(${JSON.stringify(loader)}).loadNative()`]).wallSeconds;
    }),
  );
  const machine = c.machineInfo();
  const load = { start: loadStart, end: c.loadAverage() };
  const json = { machine, loadAverage: load, threads: THREADS, rounds: ROUNDS, addonLoadFloorSeconds: floor, cases: results };
  c.writeResults('load', json, markdown(results, sides, { machine, load, floor }));
}

function summary(res) {
  const out = {};
  for (const [side, runs] of Object.entries(res.runs)) {
    out[side] = {
      seconds: c.round(c.median(runs.map((r) => r.seconds)), 2),
      addedMiB: c.round(c.median(runs.map((r) => r.addedMiB)), 0),
      addedPerWeight: c.round(c.median(runs.map((r) => r.addedMiB)) / res.weightMiB, 2),
      wholeSeconds: runs[0].whole ? c.round(c.median(runs.map((r) => r.whole.wallSeconds)), 2) : null,
      wholeMaxRssMiB: runs[0].whole ? c.round(c.median(runs.map((r) => r.whole.maxRssMiB)), 0) : null,
    };
  }
  return out;
}

function markdown(results, sides, { machine, load, floor }) {
  const lines = [
    '# load (Pythia-70m shape, random weights): load + one token',
    '',
    c.machineMarkdown(machine, load),
    `- threads: ${THREADS}; ${ROUNDS} rounds`,
    '',
    `Sides: ${sides.map((s) => `${s.name} (${s.dist})`).join(', ')}, pytorch (bench/baselines/load_peer.py). Medians.`,
    `Target (issue 16): added peak RSS ≤ 1.3× the weights; whole \`resurface generate\` of one token ≤ 1 s. ` +
      `Floor under any whole process here: node + loading the addon (libtorch) + exit, no model: ${c.round(floor, 2)} s.`,
    '',
    '| case | weights MiB | side | load + 1 token s | added peak RSS MiB | × weights | whole `generate` 1 token s | whole max RSS MiB |',
    '|---|---:|---|---:|---:|---:|---:|---:|',
  ];
  for (const [name, res] of Object.entries(results)) {
    for (const [side, s] of Object.entries(summary(res))) {
      lines.push(
        `| ${name} | ${c.round(res.weightMiB, 0)} | ${side} | ${s.seconds} | ${s.addedMiB} | ${s.addedPerWeight} | ${s.wholeSeconds ?? '–'} | ${s.wholeMaxRssMiB ?? '–'} |`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exitCode = 1;
});
