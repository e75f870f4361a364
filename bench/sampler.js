#!/usr/bin/env node
/**
 * `npm run bench -- sampler [--rounds N] [--steps T]`: what truncation costs.
 *
 * 1. Sampler cost at batch 32 over a 50k vocabulary: `generate` on a 64-wide 1-layer model with
 *    Pythia's vocabulary (bench/sampler-model.js), where a step is the LM head plus the sampler.
 *    The sampler's share of a step is the step time minus greedy's (argmax costs next to nothing);
 *    reported for untruncated (T = 1), top-p 0.95, top-k 50 and min-p 0.05, with truncated /
 *    untruncated. Target: truncated ≤ 1.10 × untruncated.
 * 2. Whole `generate` at batch 32 on the Pythia-70m-shaped model, top-p 0.95 vs untruncated.
 * Settings interleaved (A/B/C/…) in one process, medians over rounds.
 */
'use strict';
const { lib, ensureModel, machineInfo, loadAverage, machineMarkdown, median, round, writeResults, parseArgs } = require('./common');
const { ensureVocabModel } = require('./sampler-model');

const SETTINGS = [
  { name: 'greedy', temperature: 0 },
  { name: 'untruncated', temperature: 1 },
  { name: 'top-p 0.95', temperature: 1, topP: 0.95 },
  { name: 'top-k 50', temperature: 1, topK: 50 },
  { name: 'min-p 0.05', temperature: 1, minP: 0.05 },
];

async function timeGenerate(model, s, B, steps, seed) {
  const { name: _name, ...p } = s;
  const t0 = process.hrtime.bigint();
  await lib().generate(model, { numSamples: B, batchSize: B, maxNewTokens: steps, minNewTokens: steps, seed, ...p });
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const rounds = Number(args.rounds ?? 3);
  const steps = Number(args.steps ?? 32);
  const B = 32;
  const load = { start: loadAverage() };
  const { Model } = lib();

  const small = await Model.load(await ensureVocabModel(), { threads: 2 });
  const ms = Object.fromEntries(SETTINGS.map((s) => [s.name, []]));
  await timeGenerate(small, SETTINGS[1], B, 4, 0); // warm-up
  for (let r = 0; r < rounds; r++) for (const s of SETTINGS) ms[s.name].push(await timeGenerate(small, s, B, steps, r));
  small.dispose();
  const step = Object.fromEntries(SETTINGS.map((s) => [s.name, median(ms[s.name]) / steps]));
  const sampler = Object.fromEntries(SETTINGS.filter((s) => s.name !== 'greedy').map((s) => [s.name, step[s.name] - step.greedy]));
  const ratio = Object.fromEntries(
    Object.entries(sampler)
      .filter(([k]) => k !== 'untruncated')
      .map(([k, v]) => [k, v / sampler.untruncated]),
  );

  const big = await Model.load(await ensureModel(), { threads: 2 });
  const whole = { untruncated: [], 'top-p 0.95': [] };
  await timeGenerate(big, SETTINGS[1], B, 4, 0);
  for (let r = 0; r < rounds; r++) {
    whole.untruncated.push(await timeGenerate(big, SETTINGS[1], B, steps, r));
    whole['top-p 0.95'].push(await timeGenerate(big, SETTINGS[2], B, steps, r));
  }
  big.dispose();
  const wholeMs = { untruncated: median(whole.untruncated), 'top-p 0.95': median(whole['top-p 0.95']) };
  load.end = loadAverage();

  const machine = machineInfo();
  const json = {
    batch: B,
    vocab: 50304,
    steps,
    rounds,
    stepMs: step,
    samplerMs: sampler,
    truncatedOverUntruncated: ratio,
    target: 1.1,
    whole70m: { ms: wholeMs, ratio: wholeMs['top-p 0.95'] / wholeMs.untruncated, raw: whole },
    raw: ms,
    machine,
    load,
  };
  const md = [
    '# Sampler: truncated vs untruncated',
    '',
    `Batch ${B}, vocabulary 50304, ${steps} new tokens, median of ${rounds} rounds (interleaved). Sampler = step − greedy step (64-wide 1-layer model: LM head + sampler).`,
    '',
    '| setting | step ms | sampler ms/step | vs untruncated |',
    '|---|---:|---:|---:|',
    ...SETTINGS.map(
      (s) =>
        `| ${s.name} | ${round(step[s.name], 2)} | ${s.name === 'greedy' ? '—' : round(sampler[s.name], 2)} | ${ratio[s.name] ? `${round(ratio[s.name], 2)}×` : '—'} |`,
    ),
    '',
    `Whole \`generate\`, Pythia-70m shape, batch ${B}, ${steps} tokens: untruncated ${round(wholeMs.untruncated)} ms, top-p 0.95 ${round(wholeMs['top-p 0.95'])} ms (${round(json.whole70m.ratio, 2)}×).`,
    '',
    '## Machine',
    machineMarkdown(machine, load),
  ].join('\n');
  writeResults('sampler', json, md);
  process.stdout.write(`${md}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exitCode = 1;
});
