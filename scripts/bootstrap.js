#!/usr/bin/env node
/**
 * Idempotent setup behind `npm start`, `npm test` and `npm run bench`:
 *   1. system packages (Debian): libtorch-dev + the OpenMP OpenBLAS (+ python3-torch for golden values);
 *      installed with apt when we are root, otherwise a message naming them;
 *   2. `npm ci` when node_modules is missing or older than package-lock.json;
 *   3. the native addon, rebuilt when its sources, CMakeLists.txt or the libtorch changed;
 *   4. the TypeScript build (dist/), rebuilt when lib/ changed;
 *   5. with --with-python, .cache/math-venv (sympy for minerva_math's is_equiv) where local wheels allow.
 * Each step is skipped when already done. Plain CommonJS with no dependencies: it runs before npm ci.
 *
 * Flags: --quiet (only print what is done), --with-python (also ensure python3-torch/numpy).
 * Env: RESURFACE_TORCH_DIR or RESURFACE_USE_PIP_TORCH=1 select a non-Debian libtorch (e.g. a CUDA pip
 *      wheel) and skip the apt step; RESURFACE_SKIP_APT=1 skips it too.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const args = new Set(process.argv.slice(2));
const quiet = args.has('--quiet');
const withPython = args.has('--with-python');

const log = (msg) => process.stderr.write(`[bootstrap] ${msg}\n`);
const info = (msg) => {
  if (!quiet) log(msg);
};

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit', cwd: ROOT, ...opts });
  if (r.status !== 0) {
    log(`failed: ${cmd} ${argv.join(' ')} (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

// ---- 1. system packages -------------------------------------------------------------------------
function systemPackages() {
  const pkgs = ['libtorch-dev', 'libopenblas0-openmp', 'cmake', 'g++', 'make', 'ccache'];
  if (withPython) pkgs.push('python3-torch', 'python3-numpy');
  return pkgs;
}

function missingDebianPackages(pkgs) {
  return pkgs.filter((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' });
    return r.status !== 0 || !/install ok installed/.test(r.stdout);
  });
}

function ensureSystemPackages() {
  if (process.env.RESURFACE_TORCH_DIR || process.env.RESURFACE_USE_PIP_TORCH || process.env.RESURFACE_SKIP_APT) {
    info('using a libtorch from RESURFACE_TORCH_DIR / pip torch: skipping apt');
    return;
  }
  if (!have('dpkg-query')) {
    log('not a Debian-like system: make sure libtorch (with TorchConfig.cmake), cmake and a C++17 compiler are installed,');
    log('and set RESURFACE_TORCH_DIR to the directory holding TorchConfig.cmake.');
    return;
  }
  const missing = missingDebianPackages(systemPackages());
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !have('apt-get')) {
    log(`missing system packages: ${missing.join(' ')}`);
    log(`install them as root:  apt-get install -y ${missing.join(' ')}`);
    process.exit(1);
  }
  log(`installing system packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
}

// ---- 2. node modules ----------------------------------------------------------------------------
function mtime(p) {
  try {
    return fs.statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

function ensureNodeModules() {
  const marker = path.join(ROOT, 'node_modules', '.package-lock.json');
  const lock = path.join(ROOT, 'package-lock.json');
  if (mtime(marker) && mtime(marker) >= mtime(lock) && fs.existsSync(path.join(ROOT, 'node_modules', 'cmake-js'))) return;
  log('installing node modules (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

// ---- 3 and 4. builds, keyed by a hash of their inputs ---------------------------------------------
function hashFiles(entries) {
  const h = crypto.createHash('sha256');
  const walk = (p) => {
    const st = fs.statSync(p, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(p).sort()) walk(path.join(p, name));
    } else {
      h.update(path.relative(ROOT, p));
      h.update(fs.readFileSync(p));
    }
  };
  for (const e of entries) walk(path.join(ROOT, e));
  return h.digest('hex');
}

function torchFingerprint() {
  const parts = [process.version, process.env.RESURFACE_TORCH_DIR || '', process.env.RESURFACE_USE_PIP_TORCH || ''];
  for (const f of ['/usr/lib/x86_64-linux-gnu/libtorch_cpu.so', '/usr/lib/aarch64-linux-gnu/libtorch_cpu.so']) {
    const st = fs.statSync(f, { throwIfNoEntry: false });
    if (st) parts.push(`${f}:${st.size}:${st.mtimeMs}`);
  }
  return parts.join('|');
}

function stale(stampFile, key, outputs) {
  if (!outputs.every((o) => fs.existsSync(path.join(ROOT, o)))) return true;
  try {
    return fs.readFileSync(stampFile, 'utf8') !== key;
  } catch {
    return true;
  }
}

function ensureNativeBuild() {
  const key = hashFiles(['native', 'CMakeLists.txt']) + '|' + torchFingerprint();
  const stamp = path.join(ROOT, 'build', '.resurface-native-stamp');
  if (!stale(stamp, key, ['build/Release/resurface.node'])) return;
  log('building the native addon (cmake-js; a few minutes the first time)');
  const jobs = String(Math.max(1, require('node:os').cpus().length));
  // cmake-js downloads Node's headers unless told where they are. `npm test` passes npm's `nodedir`
  // setting in the environment; a plain `node scripts/bootstrap.js` does not, so fall back to the
  // system headers (Debian's nodejs ships them) rather than a download that fails offline.
  const env = { ...process.env };
  if (!env.npm_config_nodedir && fs.existsSync('/usr/include/node/node_api.h')) env.npm_config_nodedir = '/usr';
  run(process.execPath, [require.resolve('cmake-js/bin/cmake-js', { paths: [ROOT] }), 'compile', '--out', 'build', '--parallel', jobs], {
    env,
  });
  fs.writeFileSync(stamp, key);
}

function ensureTsBuild() {
  const key = hashFiles(['lib', 'tsconfig.json']);
  const stamp = path.join(ROOT, 'dist', '.resurface-ts-stamp');
  if (!stale(stamp, key, ['dist/index.js', 'dist/cli/main.js'])) return;
  info('compiling TypeScript');
  run(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [ROOT] }), '-p', 'tsconfig.json']);
  fs.writeFileSync(stamp, key);
}

// ---- 5. (--with-python) the optional sympy venv of minerva_math's is_equiv check -------------------
// Only where the machine's local wheel folders can build it offline; without it `eval` reports
// exact_match alone and says why, and its tests skip with that reason.
function ensureMathVenv() {
  const py = path.join(ROOT, '.cache', 'math-venv', 'bin', 'python');
  if (fs.existsSync(py) || process.env.RESURFACE_SKIP_MATH_VENV) return;
  const folders = ['/opt/wheels', '/opt/pypi/files', '/opt/pypi-more/files'].filter((d) => fs.existsSync(d));
  const hasSympy = folders.some((d) => fs.readdirSync(d).some((f) => /^sympy-1\.(1[3-9]|[2-9]\d)/.test(f)));
  if (!hasSympy) return info('no sympy >= 1.13 wheel in the local wheel folders: minerva_math is_equiv stays off');
  info('building .cache/math-venv (sympy, for minerva_math is_equiv)');
  const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'math-venv.sh')], { stdio: quiet ? 'ignore' : 'inherit', cwd: ROOT });
  if (r.status !== 0) {
    log('could not build .cache/math-venv (minerva_math is_equiv stays off; scripts/math-venv.sh shows why)');
    fs.rmSync(path.join(ROOT, '.cache', 'math-venv'), { recursive: true, force: true });
  }
}

ensureSystemPackages();
ensureNodeModules();
ensureNativeBuild();
ensureTsBuild();
if (withPython) ensureMathVenv();
info('ready');
