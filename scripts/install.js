#!/usr/bin/env node
/**
 * npm's `install` hook. Without an explicit one npm runs `node-gyp rebuild` for any package with a
 * binding.gyp, which would wipe the cmake-js build on every `npm install`/`npm ci`. Instead:
 *  - in this repository (npm ci by the bootstrap, or by a developer) do nothing: `npm start`,
 *    `npm test` and `npm run build:native` build the addon with cmake-js;
 *  - installed as a dependency: use a prebuild or an existing build if one loads, else build with cmake-js.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const initCwd = process.env.INIT_CWD ? path.resolve(process.env.INIT_CWD) : null;
if (initCwd === ROOT || fs.existsSync(path.join(ROOT, '.git')) || process.env.RESURFACE_SKIP_INSTALL_BUILD) process.exit(0);

try {
  require('node-gyp-build')(ROOT);
  process.exit(0);
} catch {
  // no usable prebuild: build from source
}
const cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [ROOT] });
const r = spawnSync(process.execPath, [cmakeJs, 'compile', '--out', 'build'], { cwd: ROOT, stdio: 'inherit' });
if (r.status !== 0) {
  process.stderr.write(
    'resurface: building the native addon failed. It needs libtorch (Debian: apt-get install libtorch-dev libopenblas0-openmp),\n' +
      'cmake and a C++17 compiler; or set RESURFACE_TORCH_DIR to a libtorch with TorchConfig.cmake.\n',
  );
  process.exit(r.status || 1);
}
