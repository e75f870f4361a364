#!/usr/bin/env node
/**
 * Creates (idempotently) the venv the benchmarks' pip-torch peers run in: bench/.work/peers-venv, a venv
 * of the pyenv Python 3.11 with torch 2.13.0+cpu, transformers, safetensors, tokenizers and numpy,
 * installed offline from the machine's local wheel folders (pip cannot reach an index here).
 *
 *   node bench/setup-peers.js [--venv DIR] [--python PY] [--force]
 *
 * Idempotent: a venv whose stamp file matches the requested packages and that imports them is kept.
 * Exits 0 with "ok" and the versions, or 1 with the reason; the benchmarks call peersPython() (below),
 * which never throws: when no venv can be made they run the Debian-torch peers only and say so.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const DEFAULT_VENV = path.join(__dirname, '.work', 'peers-venv');
const PACKAGES = ['torch==2.13.0+cpu', 'transformers>=5', 'safetensors', 'tokenizers', 'numpy'];
const { ensureOfflineVenv, basePython311, OfflineVenvError } = require('../scripts/offline-venv');
const CHECK =
  'import torch, transformers, safetensors, tokenizers, numpy, json;' +
  'print(json.dumps({"torch": torch.__version__, "transformers": transformers.__version__}))';

function check(venv) {
  const py = path.join(venv, 'bin', 'python');
  if (!fs.existsSync(py)) return null;
  const r = spawnSync(py, ['-c', CHECK], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  try {
    return { python: py, ...JSON.parse(r.stdout.trim().split('\n').pop()) };
  } catch {
    return null;
  }
}

/** Makes the venv; returns { python, torch, transformers } or { error }. */
function setupPeers({ venv = DEFAULT_VENV, python, force = false, log = (m) => process.stderr.write(`[setup-peers] ${m}\n`) } = {}) {
  try {
    const r = ensureOfflineVenv({
      venv,
      stampName: '.resurface-peers',
      want: PACKAGES.join(' '),
      installs: [PACKAGES],
      verify: () => check(venv),
      base: basePython311(python, ['RESURFACE_PEERS_PYTHON']),
      force,
      log,
    });
    return r.info;
  } catch (err) {
    if (err.code === 'ERR_VENV_PYTHON') return { error: 'no Python 3.11 (pyenv 3.11.7 or python3.11; set RESURFACE_PEERS_PYTHON)' };
    if (err instanceof OfflineVenvError) return { error: err.message };
    throw err;
  }
}

/**
 * The pip-torch peers' Python for a benchmark: `--peers-python PY` (used as is), else the venv (made when
 * missing unless `--no-peers-setup`). Returns { python, torch, transformers } or { error } (never throws).
 */
function peersPython(args = {}) {
  if (args['peers-python']) {
    const r = spawnSync(String(args['peers-python']), ['-c', CHECK], { encoding: 'utf8' });
    if (r.status !== 0) return { error: `--peers-python ${args['peers-python']} does not import torch/transformers` };
    return { python: String(args['peers-python']), ...JSON.parse(r.stdout.trim().split('\n').pop()) };
  }
  if (args['no-pip-peers']) return { error: '--no-pip-peers' };
  if (args['no-peers-setup']) return check(DEFAULT_VENV) ?? { error: `no venv at ${DEFAULT_VENV} (--no-peers-setup)` };
  return setupPeers();
}

module.exports = { setupPeers, peersPython, DEFAULT_VENV };

if (require.main === module) {
  const argv = process.argv.slice(2);
  const opt = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const r = setupPeers({
    venv: opt('--venv') ? path.resolve(opt('--venv')) : DEFAULT_VENV,
    python: opt('--python'),
    force: argv.includes('--force'),
  });
  if (r.error) {
    process.stderr.write(`[setup-peers] no pip-torch peers: ${r.error}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(`ok ${r.python} torch ${r.torch} transformers ${r.transformers}\n`);
  }
}
