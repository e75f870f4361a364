#!/usr/bin/env node
/**
 * `npm run bench -- [name ...] [-- options]`: runs the named benchmarks (bench/<name>.js), or every
 * known benchmark that exists when no name is given. Each writes bench/results/<name>-cpu.{json,md}.
 * Options after the names (e.g. `--rounds 3`) are passed to every benchmark.
 *
 *   npm run bench -- forward sample
 *   npm run bench -- sample --batches 32 --rounds 3
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const KNOWN = ['forward', 'sample', 'train', 'eval'];

function main(argv) {
  const firstOption = argv.findIndex((a) => a.startsWith('--'));
  const names = firstOption < 0 ? argv : argv.slice(0, firstOption);
  const options = firstOption < 0 ? [] : argv.slice(firstOption);
  const available = KNOWN.filter((n) => fs.existsSync(path.join(__dirname, `${n}.js`)));
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
