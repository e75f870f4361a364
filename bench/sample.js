/**
 * `npm run bench -- sample`: prompt-free sampling throughput (tokens/s) from the start token on a
 * Pythia-70m-shaped random model, 128 new tokens, temperature 1, batch 1 and batch 32, all cores:
 * ours (Model.generate, native decode loop with static KV cache and native sampler) vs a PyTorch
 * eager baseline written the way people write it (bench/baselines/sample_baseline.py: growing
 * `past_key_values` + torch.multinomial), same weights and threads. Peak RSS of each side is
 * measured in a child process per configuration (VmHWM, reset after the model is loaded).
 *
 * Rounds alternate ours / baseline (A/B/A/B); medians over all timed runs.
 *
 *   node bench/sample.js [--batches 1,32] [--new-tokens 128] [--rounds 2] [--runs 1] [--threads N]
 *                        [--omp-wait-policy PASSIVE|ACTIVE|default] [--candidate DIR/dist --candidate-env K=V,...]
 */
'use strict';
const path = require('node:path');
const c = require('./common');

const args = c.parseArgs(process.argv.slice(2));
const TARGETS = { 1: 1.5, 32: 3 };

async function child() {
  const { Model } = c.lib();
  const threads = Number(args.threads ?? c.cpuCount());
  const B = Number(args.batch);
  const newTokens = Number(args['new-tokens'] ?? 128);
  const runs = Number(args.runs ?? 1);
  const warmup = Number(args.warmup ?? 1);
  const model = await Model.load(c.MODEL_DIR, { threads });
  const rssAfterLoadMiB = c.currentRssMiB();
  const peakRssLoadMiB = c.peakRssMiB();
  c.resetPeakRss(); // from here on, the peak is that of generation (weights included)
  for (let i = 0; i < warmup; i++) {
    await model.generate({ numSamples: B, batchSize: B, maxNewTokens: Number(args['warmup-tokens'] ?? 16), temperature: 1, seed: 1000 + i });
  }
  const seconds = [];
  const cpuSeconds = [];
  const loopSeconds = [];
  const tokens = [];
  for (let i = 0; i < runs; i++) {
    let last = null;
    const cpu0 = process.cpuUsage();
    const start = process.hrtime.bigint();
    const r = await model.generate({
      numSamples: B, batchSize: B, maxNewTokens: newTokens, temperature: 1, seed: i, onProgress: (p) => { last = p; },
    });
    seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
    const cpu = process.cpuUsage(cpu0);
    cpuSeconds.push((cpu.user + cpu.system) / 1e6);
    loopSeconds.push(last ? last.elapsedSeconds : NaN);
    tokens.push(r.tokensGenerated);
  }
  model.dispose();
  process.stdout.write(`${JSON.stringify({
    side: 'resurface', threads, batch: B, newTokens, tokens, seconds, cpuSeconds, loopSeconds, rssAfterLoadMiB, peakRssLoadMiB, peakRssMiB: c.peakRssMiB(),
  })}\n`);
}

async function parent() {
  await c.ensureModel();
  const threads = Number(args.threads ?? c.cpuCount());
  const batches = String(args.batches ?? '1,32').split(',').map(Number);
  const newTokens = Number(args['new-tokens'] ?? 128);
  const rounds = Number(args.rounds ?? 2);
  const runs = String(args.runs ?? 1);
  const load = { start: c.loadAverage() };
  const machine = c.machineInfo();
  const env = c.ompEnv(args);
  const candidate = c.candidateFromArgs(args);
  const sides = ['ours', ...(candidate ? ['candidate'] : []), 'baseline'];

  const rows = [];
  for (const B of batches) {
    const got = Object.fromEntries(sides.map((k) => [k, []]));
    for (let r = 0; r < rounds; r++) {
      const common = ['--threads', String(threads), '--batch', String(B), '--new-tokens', String(newTokens), '--runs', runs];
      for (const side of sides) {
        process.stderr.write(`[sample] batch ${B} round ${r + 1}/${rounds}: ${side}\n`);
        got[side].push(side === 'baseline'
          ? c.runJsonChild(c.PYTHON, [path.join(__dirname, 'baselines', 'sample_baseline.py'), '--model', c.MODEL_DIR, ...common], { env })
          : c.runJsonChild(process.execPath, [__filename, '--child', ...common], { env: side === 'candidate' ? { ...env, ...candidate.env } : env }));
      }
    }
    const tokensOf = (x, i) => (Array.isArray(x.tokens) ? x.tokens[i] : x.tokens);
    const summary = (side) => {
      const xs = got[side];
      const rates = xs.flatMap((x) => x.seconds.map((s, i) => tokensOf(x, i) / s));
      const out = {
        tokensPerSecond: c.median(rates), rates,
        cpuMsPerToken: c.median(xs.flatMap((x) => x.cpuSeconds.map((s, i) => (1000 * s) / tokensOf(x, i)))),
        peakRssMiB: c.median(xs.map((x) => x.peakRssMiB)),
        peakRssLoadMiB: c.median(xs.map((x) => x.peakRssLoadMiB)),
        rssAfterLoadMiB: c.median(xs.map((x) => x.rssAfterLoadMiB)),
      };
      if (xs[0].loopSeconds) out.loopTokensPerSecond = c.median(xs.flatMap((x) => x.loopSeconds.map((s, i) => tokensOf(x, i) / s)));
      return out;
    };
    const row = { batch: B, target: TARGETS[B] ?? null };
    for (const side of sides) row[side] = summary(side);
    row.ratio = row.ours.tokensPerSecond / row.baseline.tokensPerSecond;
    row.cpuRatio = row.baseline.cpuMsPerToken / row.ours.cpuMsPerToken;
    if (candidate) {
      row.candidateRatio = row.candidate.tokensPerSecond / row.baseline.tokensPerSecond;
      row.candidateCpuRatio = row.baseline.cpuMsPerToken / row.candidate.cpuMsPerToken;
    }
    row.baselineRuntime = got.baseline[0].runtime;
    rows.push(row);
  }
  load.end = c.loadAverage();
  const result = {
    benchmark: 'sample', date: new Date().toISOString(), machine, loadAverage: load, threads, newTokens, temperature: 1,
    ompWaitPolicy: env.OMP_WAIT_POLICY ?? '(libgomp default: spin, then sleep)',
    model: { dir: path.relative(c.ROOT, c.MODEL_DIR), config: 'EleutherAI--pythia-70m (random weights, float32, Pythia tokenizer)' },
    protocol: `per batch size, ${rounds} rounds × (${sides.join(', ')}) child processes, each 1 short warm-up + ${runs} timed runs of ${newTokens} new tokens; medians over all timed runs`,
    candidate: candidate ? { lib: candidate.dir, env: candidate.env } : undefined,
    rows,
  };
  const verdict = (x) => (x.target ? `≥ ${x.target}× ${x.ratio >= x.target ? 'met' : 'MISSED'}` : '');
  const md = [
    '# sample: prompt-free sampling, Pythia-70m-shaped random model, CPU float32', '',
    `${result.date}`, '', c.machineMarkdown(machine, load), `- threads: ${threads} on both sides; OMP_WAIT_POLICY: ${result.ompWaitPolicy}`, c.baselineRuntimeMarkdown(rows[0]?.baselineRuntime),
    `- ${newTokens} new tokens from the start token, temperature 1, no truncation; protocol: ${result.protocol}`,
    '- ours: `model.generate({numSamples: B, batchSize: B, maxNewTokens, temperature: 1})` timed end to end (tokenizer load and decode included); "loop" is the native decode loop alone',
    '- baseline: `past_key_values` loop with torch.cat, softmax(logits / T) + torch.multinomial, every row generates all tokens', '',
    '| batch | ours tokens/s (loop) | baseline tokens/s | ratio | target | ours / baseline CPU ms/token | CPU ratio | ours peak RSS MiB | baseline peak RSS MiB |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((x) => `| ${x.batch} | ${c.round(x.ours.tokensPerSecond)} (${c.round(x.ours.loopTokensPerSecond)}) | ${c.round(x.baseline.tokensPerSecond)} | ${c.round(x.ratio, 2)}× | ${verdict(x)} | ${c.round(x.ours.cpuMsPerToken, 2)} / ${c.round(x.baseline.cpuMsPerToken, 2)} | ${c.round(x.cpuRatio, 2)}× | ${c.round(x.ours.peakRssMiB)} | ${c.round(x.baseline.peakRssMiB)} |`),
    '',
    ...(candidate ? [
      `Candidate (${candidate.dir}, env ${JSON.stringify(candidate.env)}), same run:`, '',
      '| batch | candidate tokens/s (loop) | ratio vs baseline | CPU ms/token | CPU ratio | peak RSS MiB |', '|---:|---:|---:|---:|---:|---:|',
      ...rows.map((x) => `| ${x.batch} | ${c.round(x.candidate.tokensPerSecond)} (${c.round(x.candidate.loopTokensPerSecond)}) | ${c.round(x.candidateRatio, 2)}× | ${c.round(x.candidate.cpuMsPerToken, 2)} | ${c.round(x.candidateCpuRatio, 2)}× | ${c.round(x.candidate.peakRssMiB)} |`),
      ''] : []),
    'CPU ms/token: user + system CPU time of the whole process (all threads) per generated token, less sensitive to the machine\'s load than wall-clock tokens/s (it counts OpenMP spin-waiting, though).',
    'Peak RSS is VmHWM during generation (reset after loading; weights included). Peak while loading: '
      + rows.map((x) => `batch ${x.batch}: ours ${c.round(x.ours.peakRssLoadMiB)} / baseline ${c.round(x.baseline.peakRssLoadMiB)} MiB`).join('; ') + '.',
  ].join('\n');
  c.writeResults('sample', result, md, { scratch: Boolean(candidate) });
  for (const x of rows) {
    process.stdout.write(`sample batch ${x.batch}: ours ${c.round(x.ours.tokensPerSecond)} tok/s, baseline ${c.round(x.baseline.tokensPerSecond)} tok/s, ratio ${c.round(x.ratio, 2)}×${x.target ? ` (target ${x.target}×)` : ''}`
      + (candidate ? `; candidate ${c.round(x.candidate.tokensPerSecond)} tok/s, ratio ${c.round(x.candidateRatio, 2)}×` : '') + '\n');
  }
}

(args.child ? child() : parent()).catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
