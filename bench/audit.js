#!/usr/bin/env node
/**
 * `npm run bench -- audit [--samples 20000] [--tokens 1000] [--scale 1]`: the decontamination audit
 * (`corpus audit`, n = 8) of a 20k-sample × ~1k-token corpus against benchmark-sized task files of
 * the seven benchmarks the paper audits (every split the reference reads), on one core.
 *
 * The data are synthetic, with realistic sizes: item counts of the reference's splits (see BENCHMARKS;
 * ARC at the ARC-Easy+Challenge size, 3× the Challenge splits the reference reads) and typical words per field; words drawn from a
 * skewed 30k-word vocabulary with capitals and punctuation, so normalisation has work to do. Every
 * 100th corpus sample has a 10-word span of a random benchmark item planted in it, so the flagged
 * count is known to be at least samples / 100. The audit runs in a child pinned to one CPU
 * (`taskset -c 0`), which reports its wall time, phase times and peak RSS (VmHWM). Then the
 * reference's own algorithm (baselines/audit_baseline.py: Python sets of word tuples) runs on the same
 * files, pinned the same way, unless `--baseline false`; flagged and distinct n-gram counts must agree.
 * Writes bench/results/audit-cpu.{json,md}.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const common = require('./common');

// items and words per field (question/context, each choice or the answer), by benchmark
const BENCHMARKS = [
  { name: 'arc', items: 7787, kind: 'mc', context: 22, choices: 4, choice: 5 }, // Easy + Challenge, test+validation+train (Challenge alone: 2590)
  { name: 'gsm8k', items: 8792, kind: 'll', context: 46, answer: 52 }, // test + train
  { name: 'hellaswag', items: 49947, kind: 'mc', context: 42, choices: 4, choice: 20 }, // validation + train
  { name: 'mmlu', items: 15858, kind: 'mc', context: 40, choices: 4, choice: 6 }, // test + validation + dev
  { name: 'truthfulqa', items: 817, kind: 'mc', context: 11, choices: 8, choice: 10 },
  { name: 'math', items: 12500, kind: 'll', context: 40, answer: 150 },
  { name: 'humaneval', items: 164, kind: 'll', context: 60, answer: 40 },
];

/** xorshift32: deterministic data, no dependency on the library under test. */
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

function makeVocabulary(r, size) {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const words = new Set();
  while (words.size < size) {
    const len = 2 + Math.floor(r() * 9);
    let w = '';
    for (let i = 0; i < len; i++) w += letters[Math.floor(r() * 26)];
    words.add(w);
  }
  return [...words];
}

function textOf(r, vocab, nWords) {
  const out = [];
  for (let i = 0; i < nWords; i++) {
    let w = vocab[Math.floor(vocab.length * r() ** 3)];
    const u = r();
    if (u < 0.05) w = w[0].toUpperCase() + w.slice(1);
    if (u > 0.92) w += ',.;:!?)'[Math.floor(r() * 7)];
    else if (u > 0.9) w = `"${w}"`;
    out.push(w);
    if (r() < 0.02) out.push('\n');
  }
  return out.join(' ');
}

function around(r, mean) {
  return Math.max(1, Math.round(mean * (0.5 + r())));
}

function writeData(dir, samples, tokens, scale) {
  const stamp = path.join(dir, `.complete-${samples}-${tokens}-${scale}`);
  const taskDir = path.join(dir, 'tasks');
  const corpusDir = path.join(dir, 'corpus');
  if (fs.existsSync(stamp)) return { taskDir, corpusDir };
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(taskDir, { recursive: true });
  fs.mkdirSync(corpusDir, { recursive: true });
  const r = rng(42);
  const vocab = makeVocabulary(r, 30000);
  const planted = [];
  for (const b of BENCHMARKS) {
    const lines = [];
    const n = Math.round(b.items * scale);
    for (let i = 0; i < n; i++) {
      const context = textOf(r, vocab, around(r, b.context));
      const rec =
        b.kind === 'mc'
          ? { context, choices: Array.from({ length: b.choices }, () => textOf(r, vocab, around(r, b.choice))), gold: 0 }
          : { context, continuation: textOf(r, vocab, around(r, b.answer)) };
      if (i % 97 === 0) planted.push(context);
      lines.push(JSON.stringify(rec));
    }
    fs.writeFileSync(path.join(taskDir, `${b.name}.jsonl`), lines.join('\n') + '\n');
  }
  // corpus: ~0.75 words a token; shards of 1000 in the corpus format
  const { writeShard } = require(path.join(common.ROOT, 'dist', 'corpus', 'shard.js'));
  const { shardFileName, writeManifest } = require(path.join(common.ROOT, 'dist', 'corpus', 'manifest.js'));
  return (async () => {
    const shards = [];
    for (let k = 0; k * 1000 < samples; k++) {
      const recs = [];
      for (let id = k * 1000; id < Math.min(samples, (k + 1) * 1000); id++) {
        const nTok = Math.max(50, Math.round(tokens * (0.5 + r())));
        let text = textOf(r, vocab, Math.round(nTok * 0.75));
        if (id % 100 === 0) {
          const words = planted[Math.floor(r() * planted.length)].split(' ').slice(0, 10).join(' ');
          text = `${text.slice(0, 200)} ${words} ${text.slice(200)}`;
        }
        const toks = Array.from({ length: nTok }, () => Math.floor(r() * 50000));
        recs.push({ id, text, tokens: toks, num_tokens: nTok, finish_reason: 'length', mean_nll: 1.5 + 2 * r() });
      }
      const { sha256 } = await writeShard(corpusDir, shardFileName(k), recs);
      shards.push({
        file: shardFileName(k),
        index: k,
        firstId: recs[0].id,
        count: recs.length,
        tokens: recs.reduce((a, x) => a + x.num_tokens, 0),
        eos: 0,
        sha256,
      });
    }
    const now = new Date().toISOString();
    await writeManifest(corpusDir, {
      format: 'resurface-corpus',
      version: 1,
      software: { name: 'bench', version: '0' },
      model: { path: '/synthetic', architecture: 'none', configHash: '0'.repeat(64) },
      tokenizer: null,
      startToken: { id: 0, rule: 'bos', text: null },
      eosIds: [0],
      params: {
        numSamples: samples,
        maxNewTokens: 2 * tokens,
        temperature: 1,
        topK: 0,
        topP: 1,
        minP: 0,
        seed: 0,
        samplesPerShard: 1000,
        dtype: 'float32',
      },
      shards,
      counts: { samples, tokens: shards.reduce((a, s) => a + s.tokens, 0), eos: 0 },
      complete: true,
      createdAt: now,
      updatedAt: now,
    });
    fs.writeFileSync(stamp, now);
    return { taskDir, corpusDir };
  })();
}

const CHILD = `
const fs = require('node:fs');
const { auditCorpus } = require(process.argv[1] + '/dist/corpus/audit.js');
const [corpusDir, taskDir, out] = process.argv.slice(2);
const tasks = fs.readdirSync(taskDir).filter((f) => f.endsWith('.jsonl')).sort().map((f) => taskDir + '/' + f);
auditCorpus({ corpusDir, taskFiles: tasks, n: 8, outDir: out }).then((r) => {
  const hwm = Number(/VmHWM:\\s*(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
  process.stdout.write(JSON.stringify({ elapsed: r.elapsedSeconds, timing: r.timing, peakRssMiB: hwm, flagged: r.flagged, samples: r.source.samples, tokens: r.source.tokens,
    distinctNgrams: r.hash.distinctNgrams, lookups: r.hash.lookups, tableMiB: r.hash.tableBytes / 2 ** 20, falsePositiveBound: r.hash.falsePositiveBound,
    benchmarks: r.benchmarks.map((b) => ({ name: b.name, items: b.items, distinctNgrams: b.distinctNgrams, flagged: b.flagged })) }) + '\\n');
});
`;

async function main() {
  const args = common.parseArgs(process.argv.slice(2));
  const samples = Number(args.samples ?? 20000);
  const tokens = Number(args.tokens ?? 1000);
  const scale = Number(args.scale ?? 1);
  const dir = path.join(common.WORK, 'audit');
  const load = { start: common.loadAverage() };
  const t0 = Date.now();
  const { taskDir, corpusDir } = await writeData(dir, samples, tokens, scale);
  process.stderr.write(`[bench] audit data ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  const out = path.join(dir, 'clean');
  fs.rmSync(out, { recursive: true, force: true });
  const pinned = fs.existsSync('/usr/bin/taskset');
  /** Runs argv on CPU 0 when taskset exists. */
  const run = (argv) =>
    spawnSync(pinned ? '/usr/bin/taskset' : argv[0], pinned ? ['-c', '0', ...argv] : argv.slice(1), {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
  const r = run([process.execPath, '-e', CHILD, common.ROOT, corpusDir, taskDir, out]);
  if (r.status !== 0) throw new Error(`audit child failed: ${r.stderr}`);
  const res = JSON.parse(r.stdout.trim().split('\n').pop());
  const machine = common.machineInfo();
  let baseline = null;
  if (args.baseline !== 'false') {
    const tasks = fs
      .readdirSync(taskDir)
      .filter((f) => f.endsWith('.jsonl'))
      .sort()
      .map((f) => path.join(taskDir, f));
    const script = path.join(__dirname, 'baselines', 'audit_baseline.py');
    const b = run([common.PYTHON, script, '8', corpusDir, ...tasks]);
    if (b.status !== 0) throw new Error(`baseline failed: ${b.stderr}`);
    baseline = JSON.parse(b.stdout.trim().split('\n').pop());
    if (baseline.flagged !== res.flagged || baseline.distinctNgrams !== res.distinctNgrams) {
      throw new Error(
        `ours and the reference disagree: flagged ${res.flagged} vs ${baseline.flagged}, distinct n-grams ${res.distinctNgrams} vs ${baseline.distinctNgrams}`,
      );
    }
  }
  load.end = common.loadAverage();
  const corpusMiB = fs.readdirSync(corpusDir).reduce((a, f) => a + fs.statSync(path.join(corpusDir, f)).size, 0) / 2 ** 20;
  fs.rmSync(out, { recursive: true, force: true });
  const json = {
    date: new Date().toISOString(),
    machine,
    load,
    samples,
    tokensPerSample: tokens,
    scale,
    corpusMiB,
    result: res,
    baseline,
    pinnedToOneCore: pinned,
  };
  const items = res.benchmarks.reduce((a, b) => a + b.items, 0);
  const md = [
    '# Decontamination audit (CPU, one core)',
    '',
    `${json.date} · ${machine.cpu} · ${machine.cores} cores (child pinned to 1: ${json.pinnedToOneCore}) · Node ${machine.node} · load ${load.start.join(' ')}`,
    '',
    `\`corpus audit\`, n = 8: ${res.samples} samples, ${(res.tokens / 1e6).toFixed(1)}M tokens (${corpusMiB.toFixed(0)} MiB of shards, with token ids) against ${items} synthetic benchmark items`,
    `sized like the seven benchmarks' audited splits (${(res.distinctNgrams / 1e6).toFixed(2)}M distinct 8-grams). Synthetic words (skewed 30k vocabulary, capitals,`,
    'punctuation, line breaks); every 100th sample has a planted 10-word benchmark span.',
    '',
    `| | resurface \`corpus audit\` | reference algorithm (Python sets of tuples${baseline ? '' : ', not run'}) |`,
    '|---|---:|---:|',
    `| wall time | ${res.elapsed.toFixed(1)} s | ${baseline ? `${baseline.elapsed.toFixed(1)} s` : '—'} |`,
    `| fingerprinting the benchmarks | ${res.timing.fingerprintSeconds.toFixed(1)} s | ${baseline ? `${baseline.fingerprintSeconds.toFixed(1)} s` : '—'} |`,
    `| scan (ours: + writing the clean corpus, audit.json, histogram) | ${res.timing.scanSeconds.toFixed(1)} s | ${baseline ? `${baseline.scanSeconds.toFixed(1)} s (scan only)` : '—'} |`,
    `| peak RSS | ${res.peakRssMiB.toFixed(0)} MiB | ${baseline ? `${baseline.peakRssMiB.toFixed(0)} MiB` : '—'} |`,
    `| flagged / distinct benchmark 8-grams | ${res.flagged} / ${res.distinctNgrams} | ${baseline ? `${baseline.flagged} / ${baseline.distinctNgrams}` : '—'} |`,
    '',
    '| ours | value |',
    '|---|---:|',
    `| corpus throughput | ${(res.tokens / res.timing.scanSeconds / 1e6).toFixed(2)}M tokens/s |`,
    `| n-gram table | ${res.tableMiB.toFixed(0)} MiB |`,
    `| flagged | ${res.flagged} (planted: ${Math.ceil(samples / 100)}) |`,
    `| false-positive bound (Q·M / 2^64) | ${res.falsePositiveBound.toExponential(2)} |`,
    '',
    '| benchmark | items | distinct 8-grams | flagged |',
    '|---|---:|---:|---:|',
    ...res.benchmarks.map((b) => `| ${b.name} | ${b.items} | ${b.distinctNgrams} | ${b.flagged} |`),
    '',
    common.machineMarkdown(machine, load),
  ].join('\n');
  common.writeResults('audit', json, md);
  process.stdout.write(md + '\n');
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exitCode = 1;
});
