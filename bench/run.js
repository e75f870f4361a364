#!/usr/bin/env node
/**
 * `npm run bench -- [name ...] [--options]`: runs the named benchmarks (bench/<name>.js), or every
 * benchmark there is when no name is given (forward, sample, train, eval, load first, then any others).
 * Each writes bench/results/<name>-cpu.{json,md}. Options after the names (e.g. `--rounds 3`) are passed to every benchmark.
 *
 *   npm run bench -- forward sample
 *   npm run bench -- sample --batches 32 --rounds 3
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const KNOWN = ['forward', 'sample', 'train', 'eval', 'load', 'sampler'];
const NOT_BENCHMARKS = new Set(['run', 'common', 'cpu', 'peers', 'setup-peers', 'sampler-model']);

/** Every bench/<name>.js that is a benchmark: the known ones first, then any others (e.g. lab). */
function availableBenchmarks() {
  const found = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -3))
    .filter((n) => !NOT_BENCHMARKS.has(n));
  return [...KNOWN.filter((n) => found.includes(n)), ...found.filter((n) => !KNOWN.includes(n)).sort()];
}

function main(argv) {
  const firstOption = argv.findIndex((a) => a.startsWith('--'));
  const names = firstOption < 0 ? argv : argv.slice(0, firstOption);
  const options = firstOption < 0 ? [] : argv.slice(firstOption);
  const available = availableBenchmarks();
  const unknown = names.filter((n) => !available.includes(n));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ')}\n`);
    return 2;
  }
  const todo = names.length > 0 ? names : available;
  let failed = 0;
  for (const name of todo) {
    process.stderr.write(`[bench] ${name}\n`);
    const started = Date.now();
    const r = spawnSync(process.execPath, [path.join(__dirname, `${name}.js`), ...options], { stdio: 'inherit' });
    const secs = Math.round((Date.now() - started) / 100) / 10;
    if (r.status !== 0) {
      failed++;
      process.stderr.write(`[bench] ${name} failed (${r.status ?? r.signal}) after ${secs} s\n`);
    } else {
      process.stderr.write(`[bench] ${name} done in ${secs} s\n`);
    }
  }
  return failed ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
