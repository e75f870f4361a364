#!/usr/bin/env node
/**
 * Builds the addon against another libtorch than the default one, and runs test tiers on that build:
 * the libtorch 2.x branches (TORCH_VERSION_MAJOR >= 2) and the CUDA branch (RESURFACE_WITH_CUDA) that
 * GPU users depend on are compiled and tested here, on a CPU-only machine, from the local wheel folders.
 *
 *   node scripts/libtorch-variant.js <variant|all> [--test] [--tiers parity[,unit,...]] [--force-venv] [--only-built]
 *   npm run build:variant -- torch2-cuda --test      (build, then run the parity tier on the build)
 *   npm run test:variants                            (the parity tier on every variant already built; none: a no-op)
 *
 * Variants (VARIANTS below):
 *   torch2-cpu   pip torch 2.13.0+cpu: libtorch 2.13 with MKL and its own libgomp
 *   torch2-cuda  pip torch 2.14.1+cu130 with NVIDIA's nvcc, cuda-runtime and cccl wheels: compiled and
 *                linked with CUDA enabled (no GPU needed to build; its CPU path is what the tests run)
 *
 * Everything goes under .cache/variants/<variant>/: venv/ (Python 3.11, packages installed offline with
 * --no-index), build/Release/resurface.node, build.log, and variant.json (what was built, how long it
 * took, and each tier's pass/fail counts). Idempotent: a venv whose stamp matches is kept, and the build
 * is incremental. A tier runs with RESURFACE_NATIVE_ADDON pointing at the variant's addon, so the tests
 * (and the CLI they spawn) load it instead of build/Release; `npm test` never needs a variant.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const { ensureOfflineVenv, basePython311 } = require('./offline-venv');
// What `import torch` needs (the wheels' own dependency lists also name triton and cuda-bindings,
// which neither building against libtorch nor loading it needs, and which the folders may lack).
const TORCH_RUNTIME = ['filelock', 'typing-extensions', 'sympy', 'networkx', 'jinja2', 'fsspec', 'numpy'];

const VARIANTS = {
  'torch2-cpu': {
    describe: 'pip torch 2.13.0+cpu (libtorch 2.13, MKL)',
    torch: 'torch==2.13.0+cpu',
    packages: [],
    cuda: false,
  },
  'torch2-cuda': {
    describe: "pip torch 2.14.1+cu130 (libtorch 2.14, CUDA 13) with NVIDIA's nvcc, cuda-runtime and cccl wheels",
    torch: 'torch==2.14.1',
    // torch 2.14.1's own CUDA requirements (its METADATA), plus the compiler and the runtime headers
    packages: [
      'cuda-toolkit[cublas,cudart,cufft,cufile,cupti,curand,cusolver,cusparse,nvjitlink,nvrtc,nvtx]==13.0.3',
      'nvidia-cudnn-cu13==9.24.0.43',
      'nvidia-cusparselt-cu13==0.8.1',
      'nvidia-nccl-cu13==2.30.7',
      'nvidia-nvshmem-cu13==3.4.5',
      'nvidia-cuda-nvcc',
      'nvidia-cuda-runtime',
      'nvidia-cuda-cccl',
    ],
    cuda: true,
  },
};

const log = (m) => process.stderr.write(`[libtorch-variant] ${m}\n`);

class VariantError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

function parseArgs(argv) {
  const opts = { names: [], test: false, tiers: ['parity'], forceVenv: false, onlyBuilt: false, python: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--test') opts.test = true;
    else if (a === '--force-venv') opts.forceVenv = true;
    else if (a === '--only-built') opts.onlyBuilt = true;
    else if (a === '--tiers')
      opts.tiers = String(argv[++i] ?? '')
        .split(',')
        .filter(Boolean);
    else if (a === '--python') opts.python = argv[++i];
    else if (a === '--help' || a === '-h') opts.help = true;
    else if (a.startsWith('-')) throw new VariantError('ERR_USAGE', `unknown option ${a}`);
    else opts.names.push(a);
  }
  if (opts.names.includes('all')) opts.names = Object.keys(VARIANTS);
  for (const n of opts.names) {
    if (!VARIANTS[n]) throw new VariantError('ERR_USAGE', `unknown variant "${n}" (known: ${Object.keys(VARIANTS).join(', ')}, all)`);
  }
  if (opts.test && opts.tiers.length === 0) throw new VariantError('ERR_USAGE', '--tiers needs at least one tier');
  return opts;
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (r.error) throw new VariantError('ERR_VARIANT_TOOL', `${cmd}: ${r.error.message}`);
  return r.status ?? 1;
}

/** The venv with the variant's torch; kept when its stamp matches and it imports torch. */
function ensureVenv(name, dir, opts) {
  const v = VARIANTS[name];
  const base = basePython311(opts.python, ['RESURFACE_VARIANT_PYTHON']);
  try {
    return ensureOfflineVenv({
      venv: path.join(dir, 'venv'),
      stampName: '.resurface-variant',
      want: [v.torch, ...v.packages, ...TORCH_RUNTIME].join(' '),
      installs: [
        ['--no-deps', v.torch],
        [...v.packages, ...TORCH_RUNTIME],
      ],
      verify: torchInfo,
      base,
      force: opts.forceVenv,
      log: (m) => log(`${name}: ${m}`),
      describe: `a few minutes${v.cuda ? '; the CUDA wheels take ~5 GB' : ''}`,
    }).python;
  } catch (err) {
    if (err.code === 'ERR_VENV_PYTHON')
      throw new VariantError('ERR_VARIANT_PYTHON', 'no Python 3.11 (the wheels are cp311): set RESURFACE_VARIANT_PYTHON or pass --python');
    if (err.code === 'ERR_VENV_WHEELS') throw new VariantError('ERR_VARIANT_WHEELS', err.message);
    if (err.code === 'ERR_VENV') throw new VariantError('ERR_VARIANT_VENV', err.message);
    throw err;
  }
}

function torchInfo(py) {
  if (!fs.existsSync(py)) return null;
  const code =
    'import json,torch;print(json.dumps({"version":torch.__version__,"cuda":torch.version.cuda,"cmake":torch.utils.cmake_prefix_path}))';
  const r = spawnSync(py, ['-c', code], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    return null;
  }
}

/**
 * NVIDIA's CUDA 13 wheels put the toolkit in site-packages/nvidia/cu13/{bin,include,lib}, with only
 * versioned sonames. libtorch's CMake (FindCUDA, then enable_language(CUDA)) wants a toolkit root whose
 * lib64/ holds libcudart.so, libcudart_static.a and libcudadevrt.a (nvcc's own profile links from
 * $(TOP)/lib64): add lib64 -> lib and the unversioned links, inside the venv only.
 */
function prepareCudaToolkit(py) {
  const r = spawnSync(py, ['-c', 'import nvidia,os;print(os.path.join(list(nvidia.__path__)[0],"cu13"))'], { encoding: 'utf8' });
  const root = r.status === 0 ? r.stdout.trim() : '';
  const nvcc = path.join(root, 'bin', 'nvcc');
  if (!root || !fs.existsSync(nvcc))
    throw new VariantError('ERR_VARIANT_CUDA', `no nvcc in the venv's nvidia/cu13/bin (is nvidia-cuda-nvcc installed?)`);
  const lib = path.join(root, 'lib');
  if (!fs.existsSync(path.join(root, 'lib64'))) fs.symlinkSync('lib', path.join(root, 'lib64'));
  for (const f of fs.readdirSync(lib)) {
    const m = /^(.+\.so)\.\d.*$/.exec(f);
    if (m && !fs.existsSync(path.join(lib, m[1]))) fs.symlinkSync(f, path.join(lib, m[1]));
  }
  for (const need of ['libcudart.so', 'libcudart_static.a', 'libcudadevrt.a']) {
    if (!fs.existsSync(path.join(lib, need)))
      throw new VariantError('ERR_VARIANT_CUDA', `the CUDA wheels lack ${need} (nvidia-cuda-runtime)`);
  }
  return { root, nvcc };
}

function build(name, dir, py) {
  const v = VARIANTS[name];
  const out = path.join(dir, 'build');
  const env = { ...process.env, RESURFACE_USE_PIP_TORCH: '1', RESURFACE_PYTHON: py };
  delete env.RESURFACE_TORCH_DIR;
  const args = ['cmake-js', 'compile', '--out', out];
  if (v.cuda) {
    const cuda = prepareCudaToolkit(py);
    env.CUDA_HOME = cuda.root;
    env.PATH = `${path.dirname(cuda.nvcc)}:${env.PATH}`;
    // no .cu sources: one architecture keeps libtorch's arch detection quiet and the configure short
    env.TORCH_CUDA_ARCH_LIST = env.TORCH_CUDA_ARCH_LIST || '9.0';
    args.push(`--CDCUDA_TOOLKIT_ROOT_DIR=${cuda.root}`, `--CDCUDAToolkit_ROOT=${cuda.root}`, `--CDCMAKE_CUDA_COMPILER=${cuda.nvcc}`);
  }
  const logFile = path.join(dir, 'build.log');
  log(`${name}: building ${path.relative(ROOT, out)} (log: ${path.relative(ROOT, logFile)}; ~10 min from scratch on 2 cores)`);
  const t0 = Date.now();
  const fd = fs.openSync(logFile, 'w');
  const status = run('npx', args, { cwd: ROOT, env, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  if (status !== 0) {
    const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
    throw new VariantError('ERR_VARIANT_BUILD', `${name}: the build failed; last lines of ${logFile}:\n${tail}`);
  }
  const addon = path.join(out, 'Release', 'resurface.node');
  if (!fs.existsSync(addon)) throw new VariantError('ERR_VARIANT_BUILD', `${name}: the build produced no ${addon}`);
  return { addon, seconds: (Date.now() - t0) / 1000 };
}

/** What the built addon reports about itself, loaded in a fresh Node process. */
function probe(addon) {
  const code =
    'const a=require(process.argv[1]);const i=a.runtimeInfo();' +
    'console.log(JSON.stringify({torchVersion:i.torchVersion,cudaCompiled:i.cudaCompiled,cudaAvailable:i.cudaAvailable,' +
    'libraries:i.libraries,parallelInfo:i.parallelInfo.split("\\n").filter(l=>/ATen|MKL|OpenMP|CPU capability/.test(l))}))';
  const r = spawnSync(process.execPath, ['-e', code, addon], { encoding: 'utf8' });
  if (r.status !== 0) throw new VariantError('ERR_VARIANT_LOAD', `the built addon does not load: ${(r.stderr || '').split('\n')[0]}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function checkProbe(name, info) {
  const v = VARIANTS[name];
  const major = Number(String(info.torchVersion).split('.')[0]);
  if (!(major >= 2)) throw new VariantError('ERR_VARIANT_LOAD', `${name}: the addon reports libtorch ${info.torchVersion}, not 2.x`);
  if (info.cudaCompiled !== v.cuda) {
    throw new VariantError('ERR_VARIANT_LOAD', `${name}: cudaCompiled is ${info.cudaCompiled}, expected ${v.cuda}`);
  }
  const system = info.libraries.filter((l) => /libtorch|libc10/.test(l) && l.startsWith('/usr/'));
  if (system.length) throw new VariantError('ERR_VARIANT_LOAD', `${name}: the addon mapped the system libtorch too: ${system.join(', ')}`);
}

/** Runs vitest tiers with the variant's addon; returns {tier: {passed, failed, skipped, seconds}}. */
function runTiers(name, dir, addon, tiers) {
  // the tiers spawn the CLI, which runs from dist/: compile lib/ first so that it honours the override
  if (run('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT }) !== 0)
    throw new VariantError('ERR_VARIANT_BUILD', 'tsc failed (npm run build:ts)');
  const results = {};
  for (const tier of tiers) {
    const report = path.join(dir, `vitest-${tier}.json`);
    fs.rmSync(report, { force: true });
    log(`${name}: running the ${tier} tier on ${path.relative(ROOT, addon)}`);
    const t0 = Date.now();
    const env = { ...process.env, RESURFACE_NATIVE_ADDON: addon };
    const status = run(
      'npx',
      ['vitest', 'run', '--project', tier, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`],
      {
        cwd: ROOT,
        env,
      },
    );
    const seconds = (Date.now() - t0) / 1000;
    let counts = { passed: 0, failed: 0, skipped: 0 };
    if (fs.existsSync(report)) {
      const j = JSON.parse(fs.readFileSync(report, 'utf8'));
      counts = {
        passed: j.numPassedTests,
        failed: j.numFailedTests,
        skipped: j.numPendingTests + j.numTodoTests,
        files: j.numTotalTestSuites,
      };
    }
    results[tier] = { status, ...counts, seconds: Math.round(seconds) };
  }
  return results;
}

function variantDir(name) {
  return path.join(ROOT, '.cache', 'variants', name);
}

/** Where a variant's addon lands (tests look for it there). */
function variantAddon(name) {
  return path.join(variantDir(name), 'build', 'Release', 'resurface.node');
}

function readRecord(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(variantDir(name), 'variant.json'), 'utf8'));
  } catch {
    return null;
  }
}

function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  if (opts.help || opts.names.length === 0) {
    const lines = Object.entries(VARIANTS).map(([n, v]) => `  ${n.padEnd(12)} ${v.describe}`);
    process.stdout.write(
      `usage: node scripts/libtorch-variant.js <variant|all> [--test] [--tiers parity,unit] [--force-venv] [--only-built] [--python PY]\n${lines.join('\n')}\n`,
    );
    process.exit(opts.help ? 0 : 2);
  }
  let failed = false;
  for (const name of opts.names) {
    const dir = variantDir(name);
    if (opts.onlyBuilt && !fs.existsSync(variantAddon(name))) {
      log(`${name}: not built (npm run build:variant -- ${name}); skipped`);
      continue;
    }
    try {
      const py = opts.onlyBuilt ? path.join(dir, 'venv', 'bin', 'python') : ensureVenv(name, dir, opts);
      const torch = torchInfo(py);
      const built = opts.onlyBuilt ? { addon: variantAddon(name), seconds: 0 } : build(name, dir, py);
      const info = probe(built.addon);
      checkProbe(name, info);
      log(`${name}: built against libtorch ${info.torchVersion}${info.cudaCompiled ? ' with CUDA' : ''} in ${Math.round(built.seconds)} s`);
      const previous = readRecord(name);
      const record = {
        variant: name,
        describe: VARIANTS[name].describe,
        pipTorch: torch,
        addon: path.relative(ROOT, built.addon),
        runtime: info,
        buildSeconds: opts.onlyBuilt ? previous?.buildSeconds : Math.round(built.seconds),
        builtAt: opts.onlyBuilt ? previous?.builtAt : new Date().toISOString(),
        machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version },
      };
      if (opts.test) {
        record.tiers = runTiers(name, dir, built.addon, opts.tiers);
        for (const [tier, r] of Object.entries(record.tiers)) {
          log(`${name}: ${tier}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped (${r.seconds} s)`);
          if (r.status !== 0) failed = true;
        }
      }
      fs.writeFileSync(path.join(dir, 'variant.json'), `${JSON.stringify(record, null, 2)}\n`);
    } catch (err) {
      if (!(err instanceof VariantError)) throw err;
      process.stderr.write(`[libtorch-variant] ${err.code}: ${err.message}\n`);
      failed = true;
    }
  }
  process.exit(failed ? 1 : 0);
}

if (require.main === module) main();

module.exports = { VARIANTS, parseArgs, variantAddon, VariantError };
