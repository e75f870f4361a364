#!/usr/bin/env node
/**
 * `node scripts/batch-invariance.js [--n 112] [--tokens 40] [--batches 7,16]`: how many samples
 * change when only the batch size changes. Same seed, same sample ids; a sample's uniforms are
 * Philox(seed, id, step), so every difference comes from its logits depending on the batch's shape
 * (GEMM blocking and summation order differ with M), which flips a draw near a CDF boundary (or an
 * argmax near a tie) and the sample diverges from there. Random-weight model with Pythia's 50k
 * vocabulary (bench/sampler-model.js). Prints a markdown table; `--json` prints JSON.
 */
'use strict';
const { lib, parseArgs } = require('../bench/common');
const { ensureVocabModel } = require('../bench/sampler-model');

const SETTINGS = [
  { name: 'greedy', temperature: 0 },
  { name: 'temperature 1, untruncated', temperature: 1 },
  { name: 'top-p 0.95', temperature: 1, topP: 0.95 },
  { name: 'top-k 50', temperature: 1, topK: 50 },
];

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const n = Number(args.n ?? 112);
  const tokens = Number(args.tokens ?? 40);
  const batches = String(args.batches ?? '7,16')
    .split(',')
    .map(Number);
  const { Model } = lib();
  const model = await Model.load(await ensureVocabModel(), { threads: Number(args.threads ?? 2) });
  const rows = [];
  for (const s of SETTINGS) {
    const { name, ...p } = s;
    const runs = [];
    for (const b of batches) {
      const r = await lib().generate(model, {
        numSamples: n,
        batchSize: b,
        maxNewTokens: tokens,
        minNewTokens: tokens,
        seed: 20261202,
        ...p,
      });
      runs.push(r.samples.map((x) => x.tokens.join(',')));
    }
    const differ = runs[0].filter((t, i) => runs.slice(1).some((o) => o[i] !== t)).length;
    rows.push({ setting: name, batches, samples: n, newTokens: tokens, differ, rate: differ / n });
  }
  model.dispose();
  if (args.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else {
    process.stdout.write(
      `| setting | samples differing between batch ${batches.join(' and ')} (of ${n}, ${tokens} new tokens) |\n|---|---:|\n`,
    );
    for (const r of rows) process.stdout.write(`| ${r.setting} | ${r.differ} (${(100 * r.rate).toFixed(1)}%) |\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exitCode = 1;
});
