/**
 * `npm run bench -- sample`: prompt-free sampling from the start token on a Pythia-70m-shaped random
 * model (genuine Hugging Face layout, Pythia tokenizer), 128 new tokens, temperature 1, at each batch
 * size × top-p × dtype, against the best PyTorch peer in the same run and the same dtype
 * (bench/baselines/sample_peer.py):
 *
 *   loop-debian        warmed KV-cached loop under Debian's torch 1.13 (/usr/bin/python3)
 *   loop-pip           the same loop under pip torch 2.x (bench/.work/peers-venv, bench/setup-peers.js)
 *   hf                 Hugging Face `generate`, default dynamic cache (pip torch)
 *   hf-static-compile  `generate` with a static cache and `torch.compile` (pip torch)
 *
 * Steady state: each side is one child process per dtype that loads once, then per config runs one
 * full-length warm-up and the timed runs; rounds alternate the sides. The ratio is ours against the
 * best peer's median tokens/s. Whole process: `resurface generate` as a child process from start to
 * exit against `python sample_peer.py --samples S` (S = 3 at batch 1, else the batch), under /usr/bin/time.
 * Without a venv (pip cannot install torch here) only the Debian peer runs, and the result says so.
 *
 *   node bench/sample.js [--batches 1,32] [--top-p 0.95,1] [--dtypes float32,bfloat16] [--new-tokens 128]
 *                        [--rounds 2] [--runs 1] [--threads N] [--peers loop-debian,loop-pip,hf,hf-static-compile]
 *                        [--whole-rounds 1] [--whole-peers loop-debian,loop-pip,hf] [--no-whole]
 *                        [--peers-python PY | --no-pip-peers | --no-peers-setup]
 *                        [--omp-wait-policy PASSIVE|ACTIVE|default] [--candidate DIR/dist --candidate-env K=V,...]
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const c = require('./common');
const peers = require('./peers');

const args = c.parseArgs(process.argv.slice(2));
const TARGETS = { 1: 2, 32: 3 };
const WHOLE_TARGETS = { 1: 1.5 };
const list = (v, d) =>
  String(v ?? d)
    .split(',')
    .filter(Boolean);

async function child() {
  const lib = c.lib();
  const { Model } = lib;
  // A --candidate dist from before generate(model, options) existed still has model.generate.
  const generate = lib.generate ?? ((m, o) => m.generate(o));
  const threads = Number(args.threads ?? c.cpuCount());
  const dtype = String(args.dtype ?? 'float32');
  const newTokens = Number(args['new-tokens'] ?? 128);
  const runs = Number(args.runs ?? 1);
  const warmup = Number(args.warmup ?? 1);
  const t0 = Date.now();
  const model = await Model.load(c.MODEL_DIR, { threads, dtype });
  const loadSeconds = (Date.now() - t0) / 1000;
  const rssAfterLoadMiB = c.currentRssMiB();
  const peakRssLoadMiB = c.peakRssMiB();
  c.resetPeakRss(); // from here on, the peak is that of generation (weights included)
  const results = [];
  for (const cfg of list(args.configs, '1:1')) {
    const [B, topP] = cfg.split(':').map(Number);
    const opts = { numSamples: B, batchSize: B, maxNewTokens: newTokens, minNewTokens: newTokens, temperature: 1, topP };
    const warmupSeconds = [];
    for (let i = 0; i < warmup; i++) {
      const w0 = process.hrtime.bigint();
      await generate(model, { ...opts, seed: 1000 + i });
      warmupSeconds.push(Number(process.hrtime.bigint() - w0) / 1e9);
    }
    const seconds = [];
    const cpuSeconds = [];
    const loopSeconds = [];
    const tokens = [];
    for (let i = 0; i < runs; i++) {
      let last = null;
      const cpu0 = process.cpuUsage();
      const start = process.hrtime.bigint();
      const r = await generate(model, {
        ...opts,
        seed: i,
        onProgress: (p) => {
          last = p;
        },
      });
      seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
      const cpu = process.cpuUsage(cpu0);
      cpuSeconds.push((cpu.user + cpu.system) / 1e6);
      loopSeconds.push(last ? last.elapsedSeconds : NaN);
      tokens.push(r.tokensGenerated);
    }
    results.push({ batch: B, topP, seconds, cpuSeconds, loopSeconds, tokens, warmupSeconds });
  }
  model.dispose();
  process.stdout.write(
    `${JSON.stringify({
      side: 'resurface',
      threads,
      dtype,
      newTokens,
      loadSeconds,
      results,
      rssAfterLoadMiB,
      peakRssLoadMiB,
      peakRssMiB: c.peakRssMiB(),
    })}\n`,
  );
}

/** Median tokens/s, CPU ms/token and loop tokens/s of one side's runs of one config. */
function summarize(runs) {
  const rates = runs.flatMap((x) => x.seconds.map((s, i) => x.tokens[i] / s));
  const out = {
    tokensPerSecond: c.median(rates),
    rates,
    cpuMsPerToken: c.median(runs.flatMap((x) => x.cpuSeconds.map((s, i) => (1000 * s) / x.tokens[i]))),
    warmupSeconds: runs.flatMap((x) => x.warmupSeconds ?? []),
  };
  if (runs[0].loopSeconds) out.loopTokensPerSecond = c.median(runs.flatMap((x) => x.loopSeconds.map((s, i) => x.tokens[i] / s)));
  return out;
}

/** Whole process, `resurface generate` CLI: S samples of N tokens at batch B into a scratch corpus. */
function oursWhole({ dtype, B, S, topP, newTokens, threads, env }) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'resurface-bench-whole-'));
  try {
    return c.runTimedChild(
      process.execPath,
      [
        path.join(c.ROOT, 'bin', 'resurface.js'),
        'generate',
        '--model',
        c.MODEL_DIR,
        '--out',
        out,
        '--num-samples',
        String(S),
        '--max-new-tokens',
        String(newTokens),
        '--min-new-tokens',
        String(newTokens),
        '--batch-size',
        String(B),
        '--top-p',
        String(topP),
        '--dtype',
        dtype,
        '--threads',
        String(threads),
        '--seed',
        '0',
      ],
      { env },
    );
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

async function parent() {
  await c.ensureModel();
  const threads = Number(args.threads ?? c.cpuCount());
  const batches = list(args.batches, '1,32').map(Number);
  const topPs = list(args['top-p'], '0.95,1').map(Number);
  const dtypes = list(args.dtypes, 'float32,bfloat16');
  const newTokens = Number(args['new-tokens'] ?? 128);
  const rounds = Number(args.rounds ?? 2);
  const runs = String(args.runs ?? 1);
  const load = { start: c.loadAverage() };
  const env = c.ompEnv(args);
  const candidate = c.candidateFromArgs(args);
  const avail = peers.available(args);
  const peerSides = avail.sides.filter((p) => list(args.peers, 'loop-debian,loop-pip,hf,hf-static-compile').includes(p.name));
  const machine = c.machineInfo(avail.pythons);
  const ourSides = ['ours', ...(candidate ? ['candidate'] : [])];
  const configs = batches.flatMap((B) => topPs.map((p) => `${B}:${p}`));

  const rows = [];
  const runtimes = {};
  for (const dtype of dtypes) {
    const got = Object.fromEntries([...ourSides, ...peerSides.map((p) => p.name)].map((k) => [k, []]));
    const failures = {};
    for (let r = 0; r < rounds; r++) {
      const common = [
        '--threads',
        String(threads),
        '--dtype',
        dtype,
        '--configs',
        configs.join(','),
        '--new-tokens',
        String(newTokens),
        '--runs',
        runs,
      ];
      for (const side of ourSides) {
        process.stderr.write(`[sample] ${dtype} round ${r + 1}/${rounds}: ${side}\n`);
        got[side].push(
          c.runJsonChild(process.execPath, [__filename, '--child', ...common], {
            env: side === 'candidate' ? { ...env, ...candidate.env } : env,
          }),
        );
      }
      for (const p of peerSides) {
        if (failures[p.name]) continue;
        process.stderr.write(`[sample] ${dtype} round ${r + 1}/${rounds}: ${p.name}\n`);
        try {
          const x = c.runJsonChild(
            p.python,
            [path.join(__dirname, 'baselines', 'sample_peer.py'), '--peer', p.peer, '--model', c.MODEL_DIR, ...common],
            { env, timeoutMs: 1_800_000 },
          );
          got[p.name].push(x);
          runtimes[p.name] = { versions: x.versions, runtime: x.runtime };
        } catch (err) {
          failures[p.name] = String(err.message).slice(0, 600);
          process.stderr.write(`[sample] peer ${p.name} failed, left out: ${failures[p.name]}\n`);
        }
      }
    }
    for (const cfg of configs) {
      const [B, topP] = cfg.split(':').map(Number);
      const pick = (side) => got[side].map((x) => x.results.find((y) => y.batch === B && y.topP === topP));
      const row = { dtype, batch: B, topP, target: TARGETS[B] ?? null, peers: {}, failedPeers: failures };
      for (const side of ourSides) row[side] = summarize(pick(side));
      for (const p of peerSides) if (got[p.name].length) row.peers[p.name] = summarize(pick(p.name));
      const ranked = Object.entries(row.peers).sort((a, b) => b[1].tokensPerSecond - a[1].tokensPerSecond);
      row.bestPeer = ranked[0]?.[0] ?? null;
      if (row.bestPeer) {
        const best = row.peers[row.bestPeer];
        row.ratio = row.ours.tokensPerSecond / best.tokensPerSecond;
        row.cpuRatio = best.cpuMsPerToken / row.ours.cpuMsPerToken;
        if (candidate) row.candidateRatio = row.candidate.tokensPerSecond / best.tokensPerSecond;
      }
      row.peakRssMiB = Object.fromEntries(
        Object.entries(got)
          .filter(([, xs]) => xs.length)
          .map(([k, xs]) => [k, c.median(xs.map((x) => x.peakRssMiB))]),
      );
      row.loadSeconds = Object.fromEntries(
        Object.entries(got)
          .filter(([, xs]) => xs.length)
          .map(([k, xs]) => [k, c.median(xs.map((x) => x.loadSeconds))]),
      );
      rows.push(row);
    }
  }

  // whole process: what a user waits for, from process start to exit
  const wholeRows = [];
  if (!args['no-whole']) {
    const wholePeers = peerSides.filter((p) => list(args['whole-peers'], 'loop-debian,loop-pip,hf').includes(p.name));
    const wholeRounds = Number(args['whole-rounds'] ?? 1);
    const wholeTopP = Number(args['whole-top-p'] ?? topPs[0]);
    for (const dtype of dtypes) {
      for (const B of batches) {
        const S = B === 1 ? 3 : B;
        const got = { ours: [], ...Object.fromEntries(wholePeers.map((p) => [p.name, []])) };
        for (let r = 0; r < wholeRounds; r++) {
          process.stderr.write(`[sample] whole process ${dtype} batch ${B} (${S} samples) round ${r + 1}/${wholeRounds}\n`);
          got.ours.push(oursWhole({ dtype, B, S, topP: wholeTopP, newTokens, threads, env }));
          for (const p of wholePeers) {
            try {
              got[p.name].push(
                c.runTimedChild(
                  p.python,
                  [
                    path.join(__dirname, 'baselines', 'sample_peer.py'),
                    '--peer',
                    p.peer,
                    '--model',
                    c.MODEL_DIR,
                    '--threads',
                    String(threads),
                    '--dtype',
                    dtype,
                    '--configs',
                    `${B}:${wholeTopP}`,
                    '--new-tokens',
                    String(newTokens),
                    '--samples',
                    String(S),
                    '--warmup',
                    '0',
                  ],
                  { env },
                ),
              );
            } catch (err) {
              process.stderr.write(`[sample] whole-process peer ${p.name} failed: ${String(err.message).slice(0, 300)}\n`);
            }
          }
        }
        const summary = (xs) => ({
          wallSeconds: c.median(xs.map((x) => x.wallSeconds)),
          cpuSeconds: c.median(xs.map((x) => x.cpuSeconds)),
          maxRssMiB: c.median(xs.map((x) => x.maxRssMiB)),
          runs: xs.map(({ stdout: _stdout, ...x }) => x),
        });
        const row = {
          dtype,
          batch: B,
          samples: S,
          topP: wholeTopP,
          tokens: S * newTokens,
          target: WHOLE_TARGETS[B] ?? null,
          ours: summary(got.ours),
          peers: {},
        };
        for (const p of wholePeers) if (got[p.name].length) row.peers[p.name] = summary(got[p.name]);
        row.bestPeer = Object.entries(row.peers).sort((a, b) => a[1].wallSeconds - b[1].wallSeconds)[0]?.[0] ?? null;
        if (row.bestPeer) {
          row.ratio = row.peers[row.bestPeer].wallSeconds / row.ours.wallSeconds;
          row.cpuRatio = row.peers[row.bestPeer].cpuSeconds / row.ours.cpuSeconds;
        }
        wholeRows.push(row);
      }
    }
  }
  load.end = c.loadAverage();

  const result = {
    benchmark: 'sample',
    date: new Date().toISOString(),
    machine,
    loadAverage: load,
    threads,
    newTokens,
    temperature: 1,
    ompWaitPolicy: env.OMP_WAIT_POLICY ?? '(libgomp default: spin, then sleep)',
    model: {
      dir: path.relative(c.ROOT, c.MODEL_DIR),
      config: 'EleutherAI--pythia-70m (random weights in Hugging Face layout, float32 on disk, Pythia tokenizer)',
    },
    protocol: `per dtype, ${rounds} rounds × (${[...ourSides, ...peerSides.map((p) => p.name)].join(', ')}) child processes; each loads once, then per config (batch:top-p) 1 full-length warm-up + ${runs} timed runs of ${newTokens} new tokens; medians over all timed runs`,
    peers: {
      available: avail.sides.map((p) => ({ name: p.name, python: p.python })),
      used: peerSides.map((p) => p.name),
      missing: avail.missing,
      runtimes,
    },
    candidate: candidate ? { lib: candidate.dir, env: candidate.env } : undefined,
    rows,
    wholeProcess: wholeRows,
  };
  c.writeResults('sample', result, markdown(result, { candidate, peerSides }), { scratch: Boolean(candidate) });
  for (const x of rows) {
    process.stdout.write(
      `sample ${x.dtype} batch ${x.batch} top-p ${x.topP}: ours ${c.round(x.ours.tokensPerSecond)} tok/s, best peer ${x.bestPeer} ${x.bestPeer ? c.round(x.peers[x.bestPeer].tokensPerSecond) : '-'} tok/s, ratio ${c.round(x.ratio, 2)}× (target ${x.target}×)\n`,
    );
  }
  for (const x of wholeRows) {
    process.stdout.write(
      `sample whole process ${x.dtype} batch ${x.batch}: ours ${c.round(x.ours.wallSeconds, 2)} s, best peer ${x.bestPeer} ${x.bestPeer ? c.round(x.peers[x.bestPeer].wallSeconds, 2) : '-'} s, ratio ${c.round(x.ratio, 2)}×\n`,
    );
  }
}

function markdown(result, { candidate, peerSides }) {
  const verdict = (ratio, target) => (target ? `≥ ${target}× ${ratio >= target ? 'met' : 'MISSED'}` : '');
  const f = (x, d = 1) => (x === undefined || Number.isNaN(x) ? '–' : c.round(x, d));
  const names = peerSides.map((p) => p.name);
  const rows = result.rows;
  return [
    '# sample: prompt-free sampling, Pythia-70m-shaped random model, CPU',
    '',
    `${result.date}`,
    '',
    c.machineMarkdown(result.machine, result.loadAverage),
    `- threads: ${result.threads} on every side; OMP_WAIT_POLICY: ${result.ompWaitPolicy}`,
    `- ${result.newTokens} new tokens from the start token (no EOS stop), temperature 1, top-k off; protocol: ${result.protocol}`,
    `- peers (same dtype as ours): ${names.join(', ')}${result.peers.missing.length ? `; NOT run: ${result.peers.missing.join('; ')}` : ''}`,
    ...Object.entries(result.peers.runtimes).map(
      ([k, v]) =>
        `  - ${k}: torch ${v.versions.torch}${v.versions.transformers ? `, transformers ${v.versions.transformers}` : ''}; ${c.baselineRuntimeMarkdown(v.runtime).replace(/^- baseline runtime: /, '')}`,
    ),
    '- ours: `generate(model, {numSamples: B, batchSize: B, maxNewTokens, minNewTokens, topP})` timed end to end; "loop" is the native decode loop alone',
    '',
    '## Steady state (warmed, tokens/s; ratio against the best peer)',
    '',
    `| dtype | batch | top-p | ours (loop) | ${names.join(' | ')} | best peer | ratio | target | CPU ratio |`,
    `|---|---:|---:|---:|${names.map(() => '---:|').join('')}---|---:|---|---:|`,
    ...rows.map(
      (x) =>
        `| ${x.dtype} | ${x.batch} | ${x.topP} | ${f(x.ours.tokensPerSecond)} (${f(x.ours.loopTokensPerSecond)}) | ${names.map((n) => f(x.peers[n]?.tokensPerSecond)).join(' | ')} | ${x.bestPeer ?? '–'} | ${f(x.ratio, 2)}× | ${verdict(x.ratio, x.target)} | ${f(x.cpuRatio, 2)}× |`,
    ),
    '',
    ...(candidate
      ? [
          'Candidate (same run):',
          '',
          '| dtype | batch | top-p | candidate tokens/s | ratio vs best peer |',
          '|---|---:|---:|---:|---:|',
          ...rows.map((x) => `| ${x.dtype} | ${x.batch} | ${x.topP} | ${f(x.candidate.tokensPerSecond)} | ${f(x.candidateRatio, 2)}× |`),
          '',
        ]
      : []),
    "CPU ratio: the best peer's CPU ms per token over ours (user + system time of the whole process, all threads, during the timed runs): less sensitive to the machine's load than wall time.",
    `Peak RSS during generation (VmHWM after loading, MiB), by dtype: ${[...new Set(rows.map((x) => x.dtype))]
      .map(
        (d) =>
          `${d}: ${Object.entries(rows.find((x) => x.dtype === d).peakRssMiB)
            .map(([k, v]) => `${k} ${f(v, 0)}`)
            .join(', ')}`,
      )
      .join('; ')}.`,
    `Load seconds: ${[...new Set(rows.map((x) => x.dtype))]
      .map(
        (d) =>
          `${d}: ${Object.entries(rows.find((x) => x.dtype === d).loadSeconds)
            .map(([k, v]) => `${k} ${f(v, 2)}`)
            .join(', ')}`,
      )
      .join('; ')}. The compiled peer's first (warm-up) run includes compilation: ${
      rows
        .filter((x) => x.peers['hf-static-compile'])
        .map((x) => `${x.dtype} b${x.batch} p${x.topP} ${f(x.peers['hf-static-compile'].warmupSeconds[0], 1)} s`)
        .join(', ') || '–'
    }.`,
    '',
    ...(result.wholeProcess.length
      ? [
          '## Whole process (`resurface generate` CLI vs `python sample_peer.py --samples S`, start to exit, loading included; /usr/bin/time)',
          '',
          '| dtype | batch | samples × tokens | top-p | ours s (CPU s, max RSS MiB) | peers s | best peer | ratio | target | CPU ratio |',
          '|---|---:|---:|---:|---:|---|---|---:|---|---:|',
          ...result.wholeProcess.map(
            (x) =>
              `| ${x.dtype} | ${x.batch} | ${x.samples} × ${result.newTokens} | ${x.topP} | ${f(x.ours.wallSeconds, 2)} (${f(x.ours.cpuSeconds, 2)}, ${f(x.ours.maxRssMiB, 0)}) | ${Object.entries(
                x.peers,
              )
                .map(([k, v]) => `${k} ${f(v.wallSeconds, 2)} (${f(v.cpuSeconds, 2)}, ${f(v.maxRssMiB, 0)})`)
                .join('; ')} | ${x.bestPeer ?? '–'} | ${f(x.ratio, 2)}× | ${verdict(x.ratio, x.target)} | ${f(x.cpuRatio, 2)}× |`,
          ),
          '',
          'The compiled peer is left out of the whole-process table by default (`--whole-peers`): its compilation alone takes longer than the whole job.',
          '',
        ]
      : []),
  ].join('\n');
}

(args.child ? child() : parent()).catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
