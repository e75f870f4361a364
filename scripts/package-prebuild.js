#!/usr/bin/env node
/**
 * `npm run package:prebuild`: copy OUR addon (never libtorch) into prebuilds/<platform>-<arch>/ where
 * node-gyp-build finds it. libtorch stays a system dependency found through the addon's rpath;
 * shipping it would mean shipping GBs and an ABI we do not control.
 *
 * Not named `prebuild`: npm runs a script of that name before `build` (its pre-hook), which aborted
 * `npm run build` on a fresh tree. Not prebuildify itself: prebuildify rebuilds with node-gyp and
 * copies every shared library of build/Release (libtorch's included) — we build with cmake-js and
 * ship exactly one file, in prebuildify's layout and naming, so node-gyp-build loads it the same way.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const built = path.join(ROOT, 'build', 'Release', 'resurface.node');
if (!fs.existsSync(built)) {
  process.stderr.write('package:prebuild: build/Release/resurface.node is missing; run `npm run build:native` first\n');
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
process.stdout.write(`package:prebuild: ${path.relative(ROOT, target)} (${fs.statSync(target).size} bytes; libtorch not included)\n`);
