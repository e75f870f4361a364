#!/usr/bin/env node
/**
 * Evaluation benchmark: multiple-choice items/s (log-likelihood of every choice) and verbatim
 * extraction sequences/s (32-token prefix, 32 greedy tokens) on a Pythia-70m-shaped random model,
 * resurface (native, batched, shared contexts, KV cache) vs a plain PyTorch loop
 * (bench/baselines/eval_baseline.py: one forward per request; one sequence at a time with a KV cache),
 * same model, float32, same number of threads, in the same run.
 *
 *   node bench/eval.js [--items 48] [--sequences 32] [--baseline-items 16] [--baseline-sequences 8] [--threads N] [--python /usr/bin/python3]
 * The baseline runs the first --baseline-items / --baseline-sequences of the same workload (rates are
 * per item / per sequence; the slow loop would otherwise dominate the run) and answers are compared there.
 * Writes bench/results/eval-cpu.json and eval-cpu.md. Needs `npm run build` first.
 */
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const dist = (p) => path.join(ROOT, 'dist', p);
if (!fs.existsSync(dist('eval/scoring.js'))) {
  process.stderr.write('bench/eval.js: dist/ is missing; run `npm run build` first\n');
  process.exit(1);
}
const { Model } = require(dist('model/model.js'));
const { initRandomModel } = require(dist('model/init-random.js'));
const { scoreContinuations, greedyExtract } = require(dist('eval/scoring.js'));
const { loadNative } = require(dist('native/loader.js'));

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const ITEMS = Number(arg('items', 48));
const SEQS = Number(arg('sequences', 32));
const BASE_ITEMS = Number(arg('baseline-items', 16));
const BASE_SEQS = Number(arg('baseline-sequences', 8));
const THREADS = Number(arg('threads', typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length));
const PYTHON = arg('python', process.env.RESURFACE_REF_PYTHON || '/usr/bin/python3');
const SHARED = process.env.RESURFACE_SHARED || path.resolve(ROOT, '..', 'shared');
// one OpenMP wait policy for both sides (ours runs in this process: set before the addon loads)
const common = require('./common');
Object.assign(process.env, common.ompEnv(common.parseArgs(process.argv.slice(2))));

/** Deterministic token ids (LCG), away from special ids. */
function makeRng(seed) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

function workload() {
  const rnd = makeRng(7);
  const tok = () => 100 + Math.floor(rnd() * 50000);
  // ARC-like: context 30-70 tokens, 4 choices of 2-12 tokens
  const mc = Array.from({ length: ITEMS }, () => ({
    context: Array.from({ length: 30 + Math.floor(rnd() * 40) }, tok),
    continuations: Array.from({ length: 4 }, () => Array.from({ length: 2 + Math.floor(rnd() * 10) }, tok)),
  }));
  const prompts = Array.from({ length: SEQS }, () => Array.from({ length: 32 }, tok));
  return { mc, extract: { prompts, suffix_len: 32 } };
}

async function main() {
  const cache = path.join(os.tmpdir(), 'resurface-bench-pythia70m-random');
  if (!fs.existsSync(path.join(cache, 'model.safetensors'))) {
    const configJson = JSON.parse(fs.readFileSync(path.join(SHARED, 'configs', 'EleutherAI--pythia-70m', 'config.json'), 'utf8'));
    await initRandomModel({ configJson, outDir: cache, seed: 0, tiny: false });
  }
  const job = workload();
  const jobFile = path.join(os.tmpdir(), `resurface-bench-eval-${process.pid}.json`);
  const baseJob = { mc: job.mc.slice(0, BASE_ITEMS), extract: { prompts: job.extract.prompts.slice(0, BASE_SEQS), suffix_len: 32 } };
  fs.writeFileSync(jobFile, JSON.stringify(baseJob));
  const loadBefore = os.loadavg()[0];

  const model = await Model.load(cache, { threads: THREADS });
  // warm-up
  await scoreContinuations(model, job.mc.slice(0, 2), { batchSize: 16 });
  await greedyExtract(model, job.extract.prompts.slice(0, 2), 2);
  let t0 = process.hrtime.bigint();
  const ours = await scoreContinuations(model, job.mc, { batchSize: 32 });
  const mcSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  t0 = process.hrtime.bigint();
  const gen = await greedyExtract(model, job.extract.prompts, 32, { batchSize: 32 });
  const exSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  model.dispose();

  const outFile = path.join(os.tmpdir(), `resurface-bench-eval-base-${process.pid}.json`);
  // inherits process.env, which carries the wait policy set above
  execFileSync(
    PYTHON,
    [
      path.join(__dirname, 'baselines', 'eval_baseline.py'),
      '--model',
      cache,
      '--input',
      jobFile,
      '--threads',
      String(THREADS),
      '--out',
      outFile,
    ],
    { stdio: 'inherit' },
  );
  const base = JSON.parse(fs.readFileSync(outFile, 'utf8'));
  fs.rmSync(jobFile);
  fs.rmSync(outFile);

  // agreement: same answers from both (log-likelihoods within 1e-3, identical greedy tokens)
  let maxDiff = 0;
  ours
    .slice(0, BASE_ITEMS)
    .forEach((g, i) => g.forEach((s, k) => (maxDiff = Math.max(maxDiff, Math.abs(s.logprob - base.mc_logprobs[i][k])))));
  let tokensAgree = 0;
  gen.slice(0, BASE_SEQS).forEach((g, i) => g.forEach((t, k) => (tokensAgree += t === base.generated[i][k] ? 1 : 0)));

  const rt = loadNative().runtimeInfo();
  const result = {
    benchmark: 'eval',
    date: new Date().toISOString(),
    machine: {
      cpu: os.cpus()[0] ? os.cpus()[0].model : 'unknown',
      logicalCores: os.cpus().length,
      threads: THREADS,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      os: `${os.type()} ${os.release()}`,
      node: process.version,
      libtorch: rt.torchVersion,
      pythonTorch: base.torch,
      // other processes share these cores: the 1-minute load average before and after the run
      loadAverage: [loadBefore, os.loadavg()[0]],
    },
    model: 'pythia-70m config, random init, float32',
    multipleChoice: {
      items: ITEMS,
      baselineItems: BASE_ITEMS,
      choicesPerItem: 4,
      resurfaceItemsPerSec: ITEMS / mcSeconds,
      baselineItemsPerSec: base.mc_items / base.mc_seconds,
      // rates, not times: the baseline runs only the first BASE_ITEMS items
      speedup: ITEMS / mcSeconds / (base.mc_items / base.mc_seconds),
      maxLoglikelihoodDiff: maxDiff,
    },
    extraction: {
      sequences: SEQS,
      baselineSequences: BASE_SEQS,
      prefixLen: 32,
      suffixLen: 32,
      resurfaceSequencesPerSec: SEQS / exSeconds,
      baselineSequencesPerSec: base.extract_sequences / base.extract_seconds,
      speedup: SEQS / exSeconds / (base.extract_sequences / base.extract_seconds),
      greedyTokenAgreement: tokensAgree / (BASE_SEQS * 32),
    },
  };
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'eval-cpu.json'), `${JSON.stringify(result, null, 2)}\n`);
  const m = result.machine;
  const md = [
    '# Evaluation benchmark (CPU)',
    '',
    `${result.date} · ${m.cpu} · ${m.logicalCores} logical cores, ${m.threads} threads · ${m.memoryGiB} GiB · ${m.os} · Node ${m.node} · libtorch ${m.libtorch} · baseline torch ${m.pythonTorch} · load average ${m.loadAverage.map((x) => x.toFixed(1)).join(' → ')} (shared machine: absolute rates are noisy, both sides ran back to back under similar load)`,
    '',
    `Model: ${result.model}. Baseline: bench/baselines/eval_baseline.py (one forward per request; extraction one sequence at a time with a KV cache), on the first ${BASE_ITEMS} items / ${BASE_SEQS} sequences of the same workload; speedup is the ratio of rates (items/s, sequences/s). OMP_WAIT_POLICY ${process.env.OMP_WAIT_POLICY ?? '(libgomp default)'} on both sides.`,
    '',
    '| workload | resurface | plain PyTorch | speedup | agreement |',
    '| --- | --- | --- | --- | --- |',
    `| multiple choice (${ITEMS} items × 4 choices) | ${result.multipleChoice.resurfaceItemsPerSec.toFixed(2)} items/s | ${result.multipleChoice.baselineItemsPerSec.toFixed(2)} items/s | ${result.multipleChoice.speedup.toFixed(2)}× | max |Δ loglik| ${maxDiff.toExponential(1)} |`,
    `| extraction (${SEQS} seqs, 32 + 32 tokens) | ${result.extraction.resurfaceSequencesPerSec.toFixed(2)} seq/s | ${result.extraction.baselineSequencesPerSec.toFixed(2)} seq/s | ${result.extraction.speedup.toFixed(2)}× | ${(100 * result.extraction.greedyTokenAgreement).toFixed(1)}% tokens equal |`,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'eval-cpu.md'), md);
  process.stdout.write(md);
}

main().catch((err) => {
  process.stderr.write(`bench/eval.js: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
