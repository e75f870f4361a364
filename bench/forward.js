/**
 * `npm run bench -- forward`: forward-pass throughput (tokens/s) of a Pythia-70m-shaped random model
 * at 1×128 and 8×128 tokens, ours (Model.forward, full [B, T, V] float32 logits handed to JS) vs a
 * PyTorch eager baseline (bench/baselines/forward_baseline.py) on the same weights and threads.
 *
 * Each side runs in its own child process; rounds alternate ours / baseline (A/B/A/B) so that the
 * load of a shared machine hits both alike; medians over all timed iterations are reported.
 *
 *   node bench/forward.js [--rounds 2] [--iters 4] [--warmup 1] [--threads N] [--shapes 1x128,8x128]
 *                         [--omp-wait-policy PASSIVE|ACTIVE|default] [--candidate DIR/dist --candidate-env K=V,...]
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const c = require('./common');

const args = c.parseArgs(process.argv.slice(2));
const SHAPES = String(args.shapes ?? '1x128,8x128').split(',');
const CHECK_TOKENS = [0, 17, 42, 1000, 50276, 7, 7, 7];

/** Deterministic token ids for a shape (same on both sides is not needed: cost does not depend on ids). */
function tokens(B, T, V) {
  let s = 12345;
  return Array.from({ length: B }, () =>
    Int32Array.from({ length: T }, () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s % V;
    }),
  );
}

async function child() {
  const { Model } = c.lib();
  const threads = Number(args.threads ?? c.cpuCount());
  const iters = Number(args.iters ?? 4);
  const warmup = Number(args.warmup ?? 1);
  const t0 = Date.now();
  const model = await Model.load(c.MODEL_DIR, { threads });
  const loadSeconds = (Date.now() - t0) / 1000;
  const rssAfterLoadMiB = c.currentRssMiB();
  const peakRssLoadMiB = c.peakRssMiB();
  c.resetPeakRss(); // from here on, the peak is that of the forward passes (weights included)
  const out = { side: 'resurface', threads: model.info().threads, loadSeconds, shapes: {} };
  if (args['dump-logits']) {
    const r = await model.forward([Int32Array.from(CHECK_TOKENS)]);
    fs.writeFileSync(args['dump-logits'], Buffer.from(r.logits.buffer, r.logits.byteOffset, r.logits.byteLength));
  }
  for (const shape of SHAPES) {
    const [B, T] = shape.split('x').map(Number);
    const batch = tokens(B, T, model.config.vocabSize);
    const seconds = [];
    const cpuSeconds = [];
    for (let i = 0; i < warmup + iters; i++) {
      if (global.gc) {
        // free the previous result's B·T·V·4 bytes outside the timing, as Python frees by refcount
        // (the ArrayBuffer finalizer that deletes the tensor runs after gc(), on a later tick)
        global.gc();
        await new Promise((resolve) => setImmediate(resolve));
      }
      const cpu0 = process.cpuUsage();
      const start = process.hrtime.bigint();
      const r = await model.forward(batch);
      const dt = Number(process.hrtime.bigint() - start) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      if (r.logits.length !== B * T * model.config.vocabSize) throw new Error('bad logits size');
      if (i >= warmup) {
        seconds.push(dt);
        cpuSeconds.push((cpu.user + cpu.system) / 1e6);
      }
    }
    out.shapes[shape] = { seconds, cpuSeconds };
  }
  model.dispose();
  out.rssAfterLoadMiB = rssAfterLoadMiB;
  out.peakRssLoadMiB = peakRssLoadMiB;
  out.peakRssMiB = c.peakRssMiB();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function maxAbsDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function parent() {
  await c.ensureModel();
  const threads = Number(args.threads ?? c.cpuCount());
  const rounds = Number(args.rounds ?? 2);
  const iters = String(args.iters ?? 4);
  const warmup = String(args.warmup ?? 1);
  const load = { start: c.loadAverage() };
  const env = c.ompEnv(args);
  const machine = c.machineInfo();
  fs.mkdirSync(c.WORK, { recursive: true });

  // Same weights on both sides: logits of one short sequence must agree.
  const oursFile = path.join(c.WORK, 'check-ours.f32');
  const baseFile = path.join(c.WORK, 'check-baseline.f32');
  c.runJsonChild(process.execPath, [
    __filename,
    '--child',
    '--shapes',
    '1x8',
    '--iters',
    '0',
    '--warmup',
    '0',
    '--threads',
    String(threads),
    '--dump-logits',
    oursFile,
  ]);
  c.runJsonChild(c.PYTHON, [
    path.join(__dirname, 'baselines', 'forward_baseline.py'),
    '--model',
    c.MODEL_DIR,
    '--threads',
    String(threads),
    '--shapes',
    '1x8',
    '--iters',
    '0',
    '--warmup',
    '0',
    '--dump-logits',
    baseFile,
    '--dump-tokens',
    CHECK_TOKENS.join(','),
  ]);
  const toF32 = (f) => {
    const b = fs.readFileSync(f);
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  };
  const checkDiff = maxAbsDiff(toF32(oursFile), toF32(baseFile));
  process.stderr.write(`[forward] same weights: max |ours - baseline| logits = ${checkDiff.toExponential(2)}\n`);
  if (!(checkDiff < 1e-3)) throw new Error(`ours and the baseline disagree (max abs diff ${checkDiff}): not the same model`);

  const candidate = c.candidateFromArgs(args);
  const sides = ['ours', ...(candidate ? ['candidate'] : []), 'baseline'];
  const runs = Object.fromEntries(sides.map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    const common = ['--threads', String(threads), '--shapes', SHAPES.join(','), '--iters', iters, '--warmup', warmup];
    for (const side of sides) {
      process.stderr.write(`[forward] round ${r + 1}/${rounds}: ${side}\n`);
      runs[side].push(
        side === 'baseline'
          ? c.runJsonChild(c.PYTHON, [path.join(__dirname, 'baselines', 'forward_baseline.py'), '--model', c.MODEL_DIR, ...common], { env })
          : c.runJsonChild(process.execPath, ['--expose-gc', __filename, '--child', ...common], {
              env: side === 'candidate' ? { ...env, ...candidate.env } : env,
            }),
      );
    }
  }
  load.end = c.loadAverage();

  const rows = SHAPES.map((shape) => {
    const [B, T] = shape.split('x').map(Number);
    const side = (k) => {
      const secs = runs[k].flatMap((x) => x.shapes[shape].seconds);
      const med = c.median(secs);
      const cpu = c.median(runs[k].flatMap((x) => x.shapes[shape].cpuSeconds));
      return { medianSeconds: med, tokensPerSecond: (B * T) / med, cpuMsPerToken: (cpu * 1000) / (B * T), seconds: secs };
    };
    const row = { shape, B, T };
    for (const k of sides) row[k] = side(k);
    row.ratio = row.ours.tokensPerSecond / row.baseline.tokensPerSecond;
    row.cpuRatio = row.baseline.cpuMsPerToken / row.ours.cpuMsPerToken;
    if (candidate) {
      row.candidateRatio = row.candidate.tokensPerSecond / row.baseline.tokensPerSecond;
      row.candidateCpuRatio = row.baseline.cpuMsPerToken / row.candidate.cpuMsPerToken;
    }
    return row;
  });
  const rss = (k, f) => c.median(runs[k].map((x) => x[f]));
  const result = {
    benchmark: 'forward',
    date: new Date().toISOString(),
    machine,
    loadAverage: load,
    threads,
    ompWaitPolicy: env.OMP_WAIT_POLICY ?? '(libgomp default: spin, then sleep)',
    model: { dir: path.relative(c.ROOT, c.MODEL_DIR), config: 'EleutherAI--pythia-70m (random weights, float32)' },
    protocol: `${rounds} rounds × (${sides.join(', ')}) child processes, each ${warmup} warm-up + ${iters} timed iterations per shape; medians over all timed iterations`,
    candidate: candidate ? { lib: candidate.dir, env: candidate.env } : undefined,
    logitsCheckMaxAbsDiff: checkDiff,
    baselineRuntime: runs.baseline[0].runtime,
    rows,
    peakRssMiB: Object.fromEntries(sides.map((k) => [k, rss(k, 'peakRssMiB')])),
    peakRssLoadMiB: Object.fromEntries(sides.map((k) => [k, rss(k, 'peakRssLoadMiB')])),
    rssAfterLoadMiB: Object.fromEntries(sides.map((k) => [k, rss(k, 'rssAfterLoadMiB')])),
    target: 'ours >= baseline (ratio >= 1.0)',
  };
  const md = [
    '# forward: Pythia-70m-shaped random model, CPU float32',
    '',
    `${result.date}`,
    '',
    c.machineMarkdown(machine, load),
    `- threads: ${threads} on both sides; OMP_WAIT_POLICY: ${result.ompWaitPolicy}`,
    c.baselineRuntimeMarkdown(result.baselineRuntime),
    `- protocol: ${result.protocol}`,
    `- same weights: max |logits ours − baseline| = ${checkDiff.toExponential(2)}`,
    '',
    '| shape | ours tokens/s | baseline tokens/s | ratio | ours CPU ms/token | baseline CPU ms/token | CPU ratio |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (x) =>
        `| ${x.shape} | ${c.round(x.ours.tokensPerSecond)} | ${c.round(x.baseline.tokensPerSecond)} | ${c.round(x.ratio, 2)}× | ${c.round(x.ours.cpuMsPerToken, 2)} | ${c.round(x.baseline.cpuMsPerToken, 2)} | ${c.round(x.cpuRatio, 2)}× |`,
    ),
    '',
    ...(candidate
      ? [
          `Candidate (${candidate.dir}, env ${JSON.stringify(candidate.env)}), same run:`,
          '',
          '| shape | candidate tokens/s | ratio vs baseline | CPU ms/token | CPU ratio |',
          '|---|---:|---:|---:|---:|',
          ...rows.map(
            (x) =>
              `| ${x.shape} | ${c.round(x.candidate.tokensPerSecond)} | ${c.round(x.candidateRatio, 2)}× | ${c.round(x.candidate.cpuMsPerToken, 2)} | ${c.round(x.candidateCpuRatio, 2)}× |`,
          ),
          '',
        ]
      : []),
    'CPU ms/token is the user + system CPU time of the whole process (all threads) per token: less sensitive to the load of a shared machine than wall-clock tokens/s, but it counts OpenMP spin-waiting.',
    `Peak RSS during the forward passes (VmHWM reset after loading; weights included; median over child processes): ours ${c.round(result.peakRssMiB.ours)} MiB, baseline ${c.round(result.peakRssMiB.baseline)} MiB ` +
      `(while loading: ${c.round(result.peakRssLoadMiB.ours)} / ${c.round(result.peakRssLoadMiB.baseline)} MiB; after load: ${c.round(result.rssAfterLoadMiB.ours)} / ${c.round(result.rssAfterLoadMiB.baseline)} MiB).`,
    'Ours is timed end to end from JS: `await model.forward(batch)` until the [B, T, V] Float32Array is in hand. No copy is made on the way to JS (the ArrayBuffer wraps the tensor), but the native side writes the padding-masked logits into a second fresh [B, T, V] tensor (see bench/README.md).',
    `Target: ${result.target}.`,
  ].join('\n');
  c.writeResults('forward', result, md, { scratch: Boolean(candidate) });
  for (const x of rows) {
    process.stdout.write(
      `forward ${x.shape}: ours ${c.round(x.ours.tokensPerSecond)} tok/s, baseline ${c.round(x.baseline.tokensPerSecond)} tok/s, ratio ${c.round(x.ratio, 2)}×` +
        (candidate ? `; candidate ${c.round(x.candidate.tokensPerSecond)} tok/s, ratio ${c.round(x.candidateRatio, 2)}×` : '') +
        '\n',
    );
  }
}

(args.child ? child() : parent()).catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
