#!/usr/bin/env node
/**
 * clang-format over the C++ of native/ (every .cc and .h), with the style in .clang-format and the
 * clang-format binary pinned by the clang-format-node devDependency (so every machine formats alike).
 *   node scripts/clang-format.js --check   fails listing what is not formatted (npm run lint)
 *   node scripts/clang-format.js --write   formats in place (npm run format)
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const mode = process.argv[2];
if (mode !== '--check' && mode !== '--write') {
  process.stderr.write('usage: node scripts/clang-format.js --check | --write\n');
  process.exit(2);
}

function sources(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return sources(p);
      return /\.(cc|h)$/.test(e.name) ? [path.relative(ROOT, p)] : [];
    });
}

const { clangFormatPath } = require('clang-format-node');
// npm may skip the package's postinstall (which sets the executable bit): set it here instead.
try {
  fs.accessSync(clangFormatPath, fs.constants.X_OK);
} catch {
  fs.chmodSync(clangFormatPath, 0o755);
}
const files = sources(path.join(ROOT, 'native'));
const args = mode === '--check' ? ['--dry-run', '--Werror'] : ['-i'];
const r = spawnSync(clangFormatPath, [...args, '--style=file', ...files], { cwd: ROOT, stdio: 'inherit' });
if (r.error) throw r.error;
if (r.status !== 0 && mode === '--check') process.stderr.write('clang-format: run `npm run format` to format native/\n');
process.exit(r.status ?? 1);
