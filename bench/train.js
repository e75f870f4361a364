#!/usr/bin/env node
/**
 * `npm run bench -- train`: training throughput (forward + backward + AdamW, tokens/s) of a
 * Pythia-70m-shaped random model at batch 8 × 256 tokens, and the forward pass alone at the same
 * batch, in float32 and bfloat16: native trainer vs the best PyTorch peer of the same run
 * (bench/baselines/train_baseline.py: test/reference's model, torch.optim.AdamW with the same two
 * parameter groups, same threads, same batch; bf16 = float32 master weights + torch.autocast) under
 * Debian's torch 1.13 and pip torch 2.x (bench/.work/peers-venv, when it can be made). Each side runs in
 * its own child process (rounds alternate the sides) and reports its step times and peak RSS (VmHWM).
 *
 *   node bench/train.js [--steps 3] [--rounds 2] [--batch 8] [--seq 256] [--threads N] [--dtypes float32,bfloat16]
 *                       [--no-forward] [--activation-checkpointing] [--peers-python PY | --no-pip-peers | --no-peers-setup]
 * Writes bench/results/train-cpu.json and .md.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const c = require('./common');
const peers = require('./peers');

const args = c.parseArgs(process.argv.slice(2));
const TARGETS = { train: 1.5, forward: 1.2 };
const TOKENS_FILE = path.join(c.WORK, 'train-tokens.json');

/** Deterministic token rows [B, T + 1] (inputs are the first T, targets the last T). */
function tokens(B, T) {
  let s = 99;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % 50000;
  return Array.from({ length: B }, () => Array.from({ length: T + 1 }, next));
}

async function nativeChild() {
  const { Model, loadNative } = c.lib();
  const steps = Number(args.steps ?? 3);
  const dtype = String(args.dtype ?? 'float32');
  const rows = JSON.parse(fs.readFileSync(TOKENS_FILE, 'utf8'));
  const B = rows.length;
  const T = rows[0].length - 1;
  const ids = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  rows.forEach((r, b) =>
    r.slice(0, T).forEach((x, t) => {
      ids[b * T + t] = x;
      targets[b * T + t] = r[t + 1];
    }),
  );
  const model = await Model.load(c.MODEL_DIR, { threads: Number(args.threads ?? c.cpuCount()), dtype });
  const peakRssLoadMiB = c.peakRssMiB();
  c.resetPeakRss();
  const stepSec = [];
  const cpuSec = [];
  let loss = null;
  const timed = async (fn) => {
    for (let i = 0; i <= steps; i++) {
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      await fn();
      const dt = Number(process.hrtime.bigint() - t0) / 1e9;
      const cu = process.cpuUsage(c0);
      if (i > 0) {
        stepSec.push(dt);
        cpuSec.push((cu.user + cu.system) / 1e6);
      } // the first is warm-up
    }
  };
  if (args['forward-only']) {
    const batch = rows.map((r) => Int32Array.from(r.slice(0, T)));
    await timed(async () => {
      if (global.gc) global.gc();
      await model.forward(batch);
    });
  } else {
    const trainer = await loadNative().NativeTrainer.create(model.nativeHandle(), {
      weightDecay: 0.1,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      gradClip: 1,
      decayAll: false,
      checkpointLayers: Boolean(args['activation-checkpointing']),
    });
    await timed(async () => {
      loss = (await trainer.step({ ids, targets, B, T, lr: 1e-4, accumulate: false, normalizer: 0 })).loss;
    });
  }
  const med = c.median(stepSec);
  const sinceLoad = c.peakRssMiB();
  process.stdout.write(
    `${JSON.stringify({
      stepSec,
      cpuSec,
      medianStepSec: med,
      tokensPerSec: (B * T) / med,
      peakRssMiB: Math.max(peakRssLoadMiB, sinceLoad),
      peakRssLoadMiB,
      peakRssSinceLoadMiB: sinceLoad,
      lastLoss: loss,
      dtype,
    })}\n`,
  );
}

async function parent() {
  await c.ensureModel();
  const B = Number(args.batch ?? 8);
  const T = Number(args.seq ?? 256);
  const steps = Number(args.steps ?? 3);
  const rounds = Number(args.rounds ?? args.repeats ?? 2);
  const threads = Number(args.threads ?? c.cpuCount());
  const dtypes = String(args.dtypes ?? 'float32,bfloat16').split(',');
  const modes = args['no-forward'] ? ['train'] : ['train', 'forward'];
  fs.mkdirSync(c.WORK, { recursive: true });
  fs.writeFileSync(TOKENS_FILE, JSON.stringify(tokens(B, T)));
  const env = c.ompEnv(args);
  const avail = peers.available(args);
  const peerSides = [
    ...avail.sides.filter((p) => p.name === 'loop-debian').map((p) => ({ name: 'debian torch', python: p.python })),
    ...(avail.pip ? [{ name: 'pip torch', python: avail.pip.python }] : []),
  ];
  const load = { start: c.loadAverage() };
  const machine = c.machineInfo(avail.pythons);
  const childArgs = (dtype, mode) => [
    '--steps',
    String(steps),
    '--threads',
    String(threads),
    '--dtype',
    dtype,
    ...(mode === 'forward' ? ['--forward-only'] : []),
    ...(args['activation-checkpointing'] ? ['--activation-checkpointing'] : []),
  ];
  const rows = [];
  for (const mode of modes) {
    for (const dtype of dtypes) {
      const got = { ours: [], ...Object.fromEntries(peerSides.map((p) => [p.name, []])) };
      for (let r = 0; r < rounds; r++) {
        process.stderr.write(`[train] ${mode} ${dtype} round ${r + 1}/${rounds}: ours\n`);
        got.ours.push(
          c.runJsonChild(process.execPath, ['--expose-gc', __filename, '--child', ...childArgs(dtype, mode)], {
            env,
            timeoutMs: 1_800_000,
          }),
        );
        for (const p of peerSides) {
          process.stderr.write(`[train] ${mode} ${dtype} round ${r + 1}/${rounds}: ${p.name}\n`);
          got[p.name].push(
            c.runJsonChild(
              p.python,
              [
                path.join(__dirname, 'baselines', 'train_baseline.py'),
                '--model',
                c.MODEL_DIR,
                '--tokens',
                TOKENS_FILE,
                ...childArgs(dtype, mode),
              ],
              { env, timeoutMs: 1_800_000 },
            ),
          );
        }
      }
      const sum = (xs) => ({
        tokensPerSec: c.median(xs.map((x) => x.tokensPerSec)),
        cpuMsPerToken: (1000 * c.median(xs.flatMap((x) => x.cpuSec))) / (B * T),
        peakRssMiB: Math.max(...xs.map((x) => x.peakRssMiB)),
        peakRssSinceLoadMiB: Math.max(...xs.map((x) => x.peakRssSinceLoadMiB)),
        lastLoss: xs[0].lastLoss,
        torch: xs[0].torch,
        runs: xs,
      });
      const row = { mode, dtype, target: TARGETS[mode], ours: sum(got.ours), peers: {} };
      for (const p of peerSides) row.peers[p.name] = sum(got[p.name]);
      row.bestPeer = Object.entries(row.peers).sort((a, b) => b[1].tokensPerSec - a[1].tokensPerSec)[0]?.[0] ?? null;
      if (row.bestPeer) {
        const best = row.peers[row.bestPeer];
        row.ratio = row.ours.tokensPerSec / best.tokensPerSec;
        row.cpuRatio = best.cpuMsPerToken / row.ours.cpuMsPerToken;
        row.rssVsBestPeer = row.ours.peakRssMiB / best.peakRssMiB;
      }
      rows.push(row);
    }
  }
  load.end = c.loadAverage();
  const result = {
    benchmark: 'train',
    date: new Date().toISOString(),
    machine,
    loadAverage: load,
    setup: {
      model: 'Pythia-70m shape, random init (float32 on disk)',
      batch: B,
      seqLen: T,
      threads,
      measuredSteps: steps,
      rounds,
      optimizer: 'AdamW lr 1e-4 wd 0.1 (no decay on biases/norms), grad clip 1.0',
      activationCheckpointing: Boolean(args['activation-checkpointing']),
      bf16: 'ours: Model.load({dtype: "bfloat16"}) + native trainer (float32 master weights); peers: float32 weights + torch.autocast("cpu", bfloat16)',
      ompWaitPolicy: env.OMP_WAIT_POLICY ?? '(libgomp default)',
    },
    peers: { used: peerSides.map((p) => p.name), missing: avail.missing },
    rows,
    targets: "train >= 1.5x and forward >= 1.2x the best peer in both dtypes; peak RSS no worse than the best peer's",
  };
  const f = (x, d = 0) => (x === undefined || x === null || Number.isNaN(x) ? '–' : c.round(x, d));
  const names = peerSides.map((p) => p.name);
  const md = [
    '# train: training step and forward, Pythia-70m shape, CPU',
    '',
    result.date,
    '',
    c.machineMarkdown(machine, load),
    `- batch ${B} × ${T} tokens, ${threads} threads on every side, median of ${rounds} × ${steps} steps (after one warm-up step per process); OMP_WAIT_POLICY ${result.setup.ompWaitPolicy}`,
    `- train = forward + backward + AdamW (${result.setup.optimizer}); forward = logits of the same batch, no grad; bf16: ${result.setup.bf16}`,
    `- peers: ${names.map((n) => `${n} ${rows[0].peers[n]?.torch ?? ''}`).join(', ')}${avail.missing.length ? `; NOT run: ${avail.missing.join('; ')}` : ''}`,
    '',
    `| step | dtype | ours tokens/s | ${names.map((n) => `${n} tokens/s`).join(' | ')} | best peer | ratio | target | CPU ratio | peak RSS MiB ours / best peer |`,
    `|---|---|---:|${names.map(() => '---:|').join('')}---|---:|---|---:|---:|`,
    ...rows.map(
      (x) =>
        `| ${x.mode} | ${x.dtype} | ${f(x.ours.tokensPerSec)} | ${names.map((n) => f(x.peers[n]?.tokensPerSec)).join(' | ')} | ${x.bestPeer ?? '–'} | ${f(x.ratio, 2)}× | ≥ ${x.target}× ${x.ratio >= x.target ? 'met' : 'MISSED'} | ${f(x.cpuRatio, 2)}× | ${f(x.ours.peakRssMiB)} / ${x.bestPeer ? f(x.peers[x.bestPeer].peakRssMiB) : '–'} ${x.rssVsBestPeer <= 1 ? '(ok)' : '(WORSE)'} |`,
    ),
    '',
    `Loss at the last measured train step, ours / ${names.join(' / ')}: ${rows
      .filter((x) => x.mode === 'train')
      .map((x) => `${x.dtype} ${f(x.ours.lastLoss, 4)} / ${names.map((n) => f(x.peers[n]?.lastLoss, 4)).join(' / ')}`)
      .join('; ')}.`,
    "Peak RSS: VmHWM of the whole process (loading included). CPU ratio: the best peer's user + system CPU ms per token over ours.",
    '',
  ].join('\n');
  c.writeResults('train', result, md);
  process.stdout.write(md);
}

(args.child ? nativeChild() : parent()).catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
