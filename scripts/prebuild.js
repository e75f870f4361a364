#!/usr/bin/env node
/**
 * `npm run prebuild`: copy OUR addon (never libtorch) into prebuilds/<platform>-<arch>/ where
 * node-gyp-build finds it. libtorch stays a system dependency found through the addon's rpath;
 * shipping it would mean shipping GBs and an ABI we do not control.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const built = path.join(ROOT, 'build', 'Release', 'resurface.node');
if (!fs.existsSync(built)) {
  process.stderr.write('prebuild: build/Release/resurface.node is missing; run `npm run build:native` first\n');
  process.exit(1);
}
const dir = path.join(ROOT, 'prebuilds', `${process.platform}-${process.arch}`);
fs.mkdirSync(dir, { recursive: true });
// node-gyp-build's naming: <name>.napi.node is picked for any Node version with N-API
const target = path.join(dir, 'resurface.napi.node');
fs.copyFileSync(built, target);
for (const f of fs.readdirSync(dir)) {
  if (f !== 'resurface.napi.node') fs.rmSync(path.join(dir, f), { recursive: true, force: true });
}
process.stdout.write(`prebuild: ${path.relative(ROOT, target)} (${fs.statSync(target).size} bytes; libtorch not included)\n`);
