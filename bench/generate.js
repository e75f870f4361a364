#!/usr/bin/env node
/**
 * Generative evaluation benchmark (lm-evaluation-harness generate_until): items/s of greedy
 * completions with stop strings on a Pythia-70m-shaped random model, resurface (native prefill and
 * continuous-batching decode, stop strings checked natively) vs a Hugging Face `generate` loop the way
 * the harness's HFLM runs it (bench/baselines/generate_until_baseline.py: left-padded batches,
 * stop_strings, decode, cut), with its default dynamic cache (`hf`) and with a static cache +
 * `torch.compile` (`hf-static-compile`), same items, same batch size, same threads, same run, rounds
 * alternating; the ratio is against the faster peer. Target: >= 3x.
 *
 *   node bench/generate.js [--items 32] [--max-gen-toks 64] [--batch-size 8,32] [--rounds 2] [--threads N]
 *                          [--dtypes float32,bfloat16] [--peers hf,hf-static-compile]
 *                          [--peers-python PY | --no-peers-setup]
 * --dtypes: both sides compute in each (the peer loads the model in that dtype); bfloat16 is left out by
 * default on a CPU without native bf16 dot products, where neither side would run it in practice.
 *   (the peers need torch 2 + transformers 5: bench/.work/peers-venv, made by bench/setup-peers.js)
 * Writes bench/results/generate-cpu.json and .md. Needs `npm run build` first.
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const common = require('./common');

const args = common.parseArgs(process.argv.slice(2));
Object.assign(process.env, common.ompEnv(args));
const ITEMS = Number(args.items ?? 32);
const G = Number(args['max-gen-toks'] ?? 64);
const BATCHES = String(args['batch-size'] ?? '8,32')
  .split(',')
  .map(Number);
const ROUNDS = Number(args.rounds ?? 2);
const THREADS = Number(args.threads ?? common.cpuCount());
const TARGET = 3;
const DTYPES = args.dtypes ? String(args.dtypes).split(',') : null; // null: float32, + bfloat16 where native
const peers = require('./peers');
const UNTIL = ['Question:', '\n\n'];

const dist = (p) => require(path.join(common.ROOT, 'dist', p));

function makeRng(seed) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

async function main() {
  if (args['hf-python']) args['peers-python'] = args['hf-python'];
  const avail = peers.available(args);
  if (!avail.pip) {
    process.stderr.write(`[generate] skipped: no Hugging Face peer (${avail.missing.join('; ')})\n`);
    return;
  }
  const HF_PYTHON = avail.pip.python;
  const peerNames = String(args.peers ?? 'hf,hf-static-compile').split(',');
  const { Model } = dist('model/model.js');
  const { TextTokenizer } = dist('tokenizer/tokenizer.js');
  const { generateUntil } = dist('eval/generate-until.js');
  const modelDir = await common.ensureModel();
  const tok = await TextTokenizer.load(modelDir);
  const rnd = makeRng(11);
  // GSM8K-like zero-shot prompts: 60-120 tokens of text
  const contexts = [];
  for (let i = 0; i < ITEMS; i++) {
    const ids = Array.from({ length: 60 + Math.floor(rnd() * 60) }, () => 300 + Math.floor(rnd() * 30000));
    contexts.push(`Question: ${(await tok.decode(ids)).replace(/\ufffd/g, '')}\nAnswer:`);
  }
  const jobFile = path.join(os.tmpdir(), `resurface-bench-generate-${process.pid}.json`);
  fs.writeFileSync(jobFile, JSON.stringify({ contexts, until: UNTIL, max_gen_toks: G }));
  const load = { start: common.loadAverage() };
  const reqs = contexts.map((c) => ({ context: c, until: UNTIL, maxGenToks: G }));
  const machine = common.machineInfo(avail.pythons);
  const dtypes = DTYPES ?? (machine.nativeBf16 ? ['float32', 'bfloat16'] : ['float32']);
  const rows = [];
  for (const dtype of dtypes) {
    const model = await Model.load(modelDir, { threads: THREADS, dtype });
    for (const B of BATCHES) {
      // warm-up as the peer's: one batch of the timed shape (the peer warms up, and compiles, on the first B items)
      await generateUntil(model, tok, reqs.slice(0, B), { batchSize: B });
      const ours = [];
      const oursCpu = [];
      const base = Object.fromEntries(peerNames.map((n) => [n, []]));
      let ourTexts = [];
      let tokens = 0;
      for (let r = 0; r < ROUNDS; r++) {
        const c0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        const out = await generateUntil(model, tok, reqs, { batchSize: B });
        ours.push(Number(process.hrtime.bigint() - t0) / 1e9);
        const c = process.cpuUsage(c0);
        oursCpu.push((c.user + c.system) / 1e6);
        ourTexts = out.map((x) => x[0].text);
        tokens = out.reduce((a, x) => a + x[0].tokens.length, 0);
        for (const n of peerNames) {
          process.stderr.write(`[generate] ${dtype} batch ${B} round ${r + 1}/${ROUNDS}: ${n}\n`);
          base[n].push(
            common.runJsonChild(
              HF_PYTHON,
              [
                path.join(__dirname, 'baselines', 'generate_until_baseline.py'),
                '--model',
                modelDir,
                '--input',
                jobFile,
                '--threads',
                String(THREADS),
                '--batch-size',
                String(B),
                '--peer',
                n,
                '--dtype',
                dtype,
              ],
              { timeoutMs: 1_800_000 },
            ),
          );
        }
      }
      const oursSec = common.median(ours);
      const peerSec = Object.fromEntries(peerNames.map((n) => [n, common.median(base[n].map((b) => b.seconds))]));
      const bestPeer = [...peerNames].sort((a, b) => peerSec[a] - peerSec[b])[0];
      const peerRows = Object.fromEntries(
        Object.entries(base).map(([n, xs]) => [
          n,
          {
            itemsPerSec: ITEMS / peerSec[n],
            seconds: xs.map((b) => b.seconds),
            cpuSeconds: xs.map((b) => b.cpu_seconds),
            warmupSeconds: xs.map((b) => b.warmup_seconds),
            identicalCompletions: ourTexts.filter((t, i) => t === xs[0].texts[i]).length,
          },
        ]),
      );
      const baseSec = peerSec[bestPeer];
      const baseBest = base[bestPeer];
      rows.push({
        dtype,
        bestPeer,
        peers: peerRows,
        batchSize: B,
        generatedTokens: tokens,
        resurfaceSeconds: ours,
        resurfaceCpuSeconds: oursCpu,
        baselineSeconds: baseBest.map((b) => b.seconds),
        baselineCpuSeconds: baseBest.map((b) => b.cpu_seconds),
        resurfaceItemsPerSec: ITEMS / oursSec,
        baselineItemsPerSec: ITEMS / baseSec,
        speedup: baseSec / oursSec,
        cpuRatio: common.median(baseBest.map((b) => b.cpu_seconds)) / common.median(oursCpu),
        identicalCompletions: ourTexts.filter((t, i) => t === baseBest[0].texts[i]).length,
        baseline: { torch: baseBest[0].torch, transformers: baseBest[0].transformers },
      });
    }
    model.dispose();
  }
  fs.rmSync(jobFile);
  load.end = common.loadAverage();
  const result = {
    benchmark: 'generate',
    date: new Date().toISOString(),
    machine,
    load,
    workload: {
      items: ITEMS,
      maxGenToks: G,
      until: UNTIL,
      threads: THREADS,
      rounds: ROUNDS,
      model: 'pythia-70m config, random init (float32 weights; each side casts to the row dtype)',
      dtypes,
    },
    baselinePython: HF_PYTHON,
    peers: peerNames,
    target: `>= ${TARGET}x the faster Hugging Face peer`,
    rows,
    ompWaitPolicy: process.env.OMP_WAIT_POLICY ?? null,
  };
  const b0 = rows[0].baseline;
  const md = [
    '# Generative evaluation benchmark (CPU)',
    '',
    `${result.date}. ${ITEMS} greedy generate_until items (60-120-token prompts, until ${JSON.stringify(UNTIL)} + EOS, max_gen_toks ${G}), ${THREADS} threads, ${dtypes.join(' and ')} (both sides compute in the row's dtype), ${ROUNDS} alternating rounds per batch size (medians). Peers: Hugging Face transformers ${b0.transformers} \`generate\` (pip torch ${b0.torch}, ${HF_PYTHON}) as the harness's HFLM calls it (left-padded batches, stop_strings, decode, cut), \`hf\` with the default dynamic cache and \`hf-static-compile\` with \`cache_implementation="static"\` + \`torch.compile(model.forward)\` (prompts padded to the longest item: one shape, one compile; the warm-up batch compiles). The ratio is against the faster peer. Ours: libtorch ${result.machine.libtorch ?? '?'} (${process.env.RESURFACE_NATIVE_ADDON ? `RESURFACE_NATIVE_ADDON=${process.env.RESURFACE_NATIVE_ADDON}` : 'the default build'}). OMP_WAIT_POLICY ${result.ompWaitPolicy ?? '(default)'} on both sides.`,
    '',
    common.machineMarkdown(machine, { start: load.start, end: load.end }),
    '',
    `| dtype | batch | resurface items/s | ${peerNames.map((n) => `${n} items/s`).join(' | ')} | best peer | speedup (wall) | target | CPU-time ratio | identical completions (vs best peer) |`,
    `| --- | ---: | ---: | ${peerNames.map(() => '---: | ').join('')}--- | ---: | --- | ---: | ---: |`,
    ...rows.map(
      (r) =>
        `| ${r.dtype} | ${r.batchSize} | ${r.resurfaceItemsPerSec.toFixed(2)} | ${peerNames.map((n) => r.peers[n].itemsPerSec.toFixed(2)).join(' | ')} | ${r.bestPeer} | ${r.speedup.toFixed(2)}× | ≥ ${TARGET}× ${r.speedup >= TARGET ? 'met' : 'MISSED'} | ${r.cpuRatio.toFixed(2)}× | ${r.identicalCompletions}/${ITEMS} |`,
    ),
    '',
    `Peer warm-up (compilation for hf-static-compile), seconds: ${rows.map((r) => `${r.dtype} batch ${r.batchSize}: ${peerNames.map((n) => `${n} ${r.peers[n].warmupSeconds.map((x) => x.toFixed(1)).join('/')}`).join(', ')}`).join('; ')}.`,
    '',
    "CPU-time ratio: baseline / ours user+system seconds of the timed work (less sensitive to the machine's load than wall time).",
    '',
  ].join('\n');
  common.writeResults('generate', result, md);
  process.stdout.write(md);
}

main().catch((err) => {
  process.stderr.write(`bench/generate.js: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
