/**
 * Shared helpers of the benchmarks: the cached Pythia-70m-shaped random model, machine facts,
 * child processes that report one JSON line, medians, and the results writers.
 *
 * Benchmarks are noisy on a shared machine: every benchmark interleaves ours and the baseline
 * (A/B/A/B) in separate child processes, reports medians, and records the load average.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { cpuFacts } = require('./cpu');

const ROOT = path.resolve(__dirname, '..');
const WORK = path.join(__dirname, '.work');
const RESULTS = path.join(__dirname, 'results');
const CONFIG_DIR = path.resolve(ROOT, '..', 'shared', 'configs', 'EleutherAI--pythia-70m');
const TOKENIZER_DIR = path.resolve(ROOT, '..', 'shared', 'tokenizers', 'pythia');
const MODEL_DIR = path.join(WORK, 'pythia-70m-random');
const PYTHON = process.env.RESURFACE_BENCH_PYTHON || '/usr/bin/python3';
const MODEL_SEED = 1234;

/** The library under test: ../dist, or RESURFACE_BENCH_LIB (a candidate build's dist/, see --candidate). */
function lib() {
  return require(process.env.RESURFACE_BENCH_LIB ? path.resolve(process.env.RESURFACE_BENCH_LIB) : '../dist');
}

/**
 * `--candidate DIR [--candidate-env K=V,K=V]`: a third side, ours from another tree's dist/ (e.g. a
 * prototype in /tmp) with extra environment, run interleaved with ours and the baseline.
 */
function candidateFromArgs(args) {
  if (!args.candidate) return null;
  const env = { RESURFACE_BENCH_LIB: path.resolve(String(args.candidate)) };
  for (const kv of String(args['candidate-env'] ?? '')
    .split(',')
    .filter(Boolean)) {
    const i = kv.indexOf('=');
    env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return { dir: env.RESURFACE_BENCH_LIB, env };
}

/** Builds (once) the full-size Pythia-70m-shaped random model with the Pythia tokenizer. */
async function ensureModel() {
  const stamp = path.join(MODEL_DIR, '.complete');
  if (fs.existsSync(stamp)) return MODEL_DIR;
  const configJson = JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, 'config.json'), 'utf8'));
  process.stderr.write(`[bench] writing ${MODEL_DIR} (random Pythia-70m, seed ${MODEL_SEED})\n`);
  await lib().initRandomModel({ configJson, outDir: MODEL_DIR, seed: MODEL_SEED, dtype: 'float32', tokenizerDir: TOKENIZER_DIR });
  fs.writeFileSync(stamp, `${new Date().toISOString()}\n`);
  return MODEL_DIR;
}

function loadAverage() {
  const [a, b, c] = os.loadavg();
  return [a, b, c].map((x) => Math.round(x * 100) / 100);
}

function cpuCount() {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/**
 * Facts about the machine and the native runtime, recorded with every result: CPU model, SIMD/AMX
 * flags, cores, clock (bench/cpu.js), the BLAS ours really maps, libtorch, the peers' Pythons and
 * torch versions, OPENBLAS_CORETYPE. `peers`: { name: python executable } of extra peer Pythons.
 */
function machineInfo(peers = {}) {
  const cpu = cpuFacts();
  let doctor = null;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'resurface.js'), 'doctor', '--json'], { encoding: 'utf8' });
  if (r.status === 0) {
    try {
      doctor = JSON.parse(r.stdout);
    } catch {
      /* reported below */
    }
  }
  const blas = doctor ? doctor.libraries.filter((l) => /blas/i.test(l)) : [];
  return {
    cpu: cpu.model,
    cores: cpu.cores,
    clockMHz: cpu.clockMHz,
    clockSource: cpu.clockSource,
    cpuFlags: cpu.flags,
    cpuFactsSource: cpu.source,
    // cpuid + xgetbv as the addon sees them (what the GEMM dispatch and --dtype auto decide on)
    cpuFeatures: doctor?.cpu?.features ?? null,
    nativeBf16: doctor?.cpu?.nativeBf16 ?? null,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    libtorch: doctor ? doctor.torchVersion : 'unknown (doctor failed)',
    blas: blas.find((l) => /openblas/.test(l) && !/libblas|liblapack/.test(l)) ?? blas[0] ?? 'unknown',
    blasVerdict: doctor ? doctor.blasVerdict : 'unknown',
    openblasCoretype: process.env.OPENBLAS_CORETYPE ?? null,
    python: pythonInfo(),
    peerPythons: Object.fromEntries(Object.entries(peers).map(([k, py]) => [k, pythonInfo(py)])),
  };
}

function pythonInfo(executable = PYTHON) {
  const r = spawnSync(executable, ['-c', 'import torch,sys;print(sys.version.split()[0], torch.__version__)'], { encoding: 'utf8' });
  if (r.status !== 0) return { executable, error: (r.stderr || '').trim().split('\n').pop() };
  const [py, torch] = r.stdout.trim().split(/\s+/);
  return { executable, version: py, torch };
}

/** Runs a child that prints exactly one JSON object as its last stdout line; returns it. */
function runJsonChild(cmd, argv, { env = {}, timeoutMs = 600_000 } = {}) {
  const r = spawnSync(cmd, argv, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 2 ** 20,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) {
    throw new Error(`${path.basename(cmd)} ${argv.join(' ')} failed (${r.status ?? r.signal}): ${(r.stdout || '').slice(-2000)}`);
  }
  const last = r.stdout.trim().split('\n').pop();
  return JSON.parse(last);
}

/**
 * Runs a command as a whole process under /usr/bin/time: { wallSeconds, cpuSeconds, maxRssMiB, stdout }.
 * What a user waits for: process start to exit, loading included. Falls back to wall time alone.
 */
function runTimedChild(cmd, argv, { env = {}, timeoutMs = 900_000 } = {}) {
  const haveTime = fs.existsSync('/usr/bin/time');
  const out = path.join(os.tmpdir(), `resurface-bench-time-${process.pid}-${Date.now()}.txt`);
  const [c, a] = haveTime ? ['/usr/bin/time', ['-o', out, '-f', '%e %U %S %M', cmd, ...argv]] : [cmd, argv];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(c, a, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 2 ** 20,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0)
    throw new Error(`${path.basename(cmd)} ${argv.join(' ')} failed (${r.status ?? r.signal}): ${(r.stderr || '').slice(-2000)}`);
  if (!haveTime) return { wallSeconds: wall, cpuSeconds: NaN, maxRssMiB: NaN, stdout: r.stdout };
  const [e, u, sys, kb] = fs.readFileSync(out, 'utf8').trim().split('\n').pop().split(/\s+/).map(Number);
  fs.rmSync(out, { force: true });
  return { wallSeconds: e, cpuSeconds: u + sys, maxRssMiB: kb / 1024, stdout: r.stdout };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

function round(x, digits = 1) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * Writes bench/results/<name>-cpu.json and .md; runs with a --candidate go to bench/.work/results/
 * instead (git-ignored), so that a prototype never overwrites the recorded results.
 */
function writeResults(name, json, markdown, { scratch = false } = {}) {
  const dir = scratch ? path.join(WORK, 'results') : RESULTS;
  fs.mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `${name}-cpu`);
  fs.writeFileSync(`${base}.json`, `${JSON.stringify(json, null, 2)}\n`);
  fs.writeFileSync(`${base}.md`, markdown.endsWith('\n') ? markdown : `${markdown}\n`);
  process.stderr.write(`[bench] wrote ${path.relative(ROOT, base)}.json and .md\n`);
}

/** One line on what the baseline really ran on (threads, OpenMP, BLAS), from its runtime_facts(). */
function baselineRuntimeMarkdown(rt) {
  if (!rt) return '- baseline runtime: unknown';
  const blas = rt.libraries.filter((l) => /openblas/.test(l) && !/libblas|liblapack/.test(l));
  return `- baseline runtime: torch threads ${rt.atenThreads}, omp_get_max_threads ${rt.ompMaxThreads}, backend ${rt.parallelBackend}; BLAS ${blas.join(', ') || rt.libraries.join(', ')}`;
}

function machineMarkdown(m, load) {
  const peers = Object.entries(m.peerPythons ?? {})
    .map(([k, p]) => `; ${k}: ${p.executable} ${p.version ?? ''} torch ${p.torch ?? p.error}`)
    .join('');
  return [
    `- CPU: ${m.cpu}, ${m.cores} cores at ${m.clockMHz ?? '?'} MHz (${m.clockSource ?? '?'}), ${m.memoryGiB} GiB; Node ${m.node}`,
    `- CPU flags (${m.cpuFactsSource ?? '/proc/cpuinfo'}): ${(m.cpuFlags ?? []).join(' ') || 'unknown'}`,
    `- libtorch ${m.libtorch}; BLAS ${m.blas} (${m.blasVerdict}); OPENBLAS_CORETYPE=${m.openblasCoretype ?? '(unset)'}`,
    `- Debian torch: ${m.python.executable} ${m.python.version ?? ''} torch ${m.python.torch ?? m.python.error}${peers}`,
    `- load average at start ${load.start.join(' / ')}, at end ${load.end.join(' / ')} (1/5/15 min)`,
  ].join('\n');
}

/**
 * The OpenMP wait policy both sides run under: `--omp-wait-policy P`, else $OMP_WAIT_POLICY, else
 * PASSIVE. libgomp's default (spin) lets a baseline's idle OpenMP thread burn a core between
 * Python-dispatched ops; on a loaded 2-core machine that made the baseline 4-7x slower (bench/README.md).
 * `--omp-wait-policy default` leaves libgomp's default.
 */
function ompEnv(args) {
  const p = args['omp-wait-policy'] ?? process.env.OMP_WAIT_POLICY ?? 'PASSIVE';
  return p === 'default' ? {} : { OMP_WAIT_POLICY: String(p) };
}

/** `--name value` / `--flag` parsing for the benchmark scripts. */
function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const key = a.slice(2);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out[key] = true;
    else {
      out[key] = next;
      i++;
    }
  }
  return out;
}

/** Peak resident set of this process in MiB (VmHWM; maxRSS as a fallback). */
function peakRssMiB() {
  try {
    const m = /VmHWM:\s*(\d+)\s*kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    /* not Linux */
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** Resets VmHWM (Linux >= 4.0) so that a later peakRssMiB() measures only what follows. */
function resetPeakRss() {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

function currentRssMiB() {
  return process.memoryUsage().rss / 2 ** 20;
}

module.exports = {
  ROOT,
  WORK,
  MODEL_DIR,
  PYTHON,
  TOKENIZER_DIR,
  CONFIG_DIR,
  MODEL_SEED,
  lib,
  runTimedChild,
  pythonInfo,
  candidateFromArgs,
  ompEnv,
  ensureModel,
  loadAverage,
  cpuCount,
  machineInfo,
  runJsonChild,
  median,
  round,
  writeResults,
  machineMarkdown,
  baselineRuntimeMarkdown,
  parseArgs,
  peakRssMiB,
  resetPeakRss,
  currentRssMiB,
};
