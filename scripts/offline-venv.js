/**
 * One way to make the project's offline Python venvs (bench/setup-peers.js: the benchmarks' pip-torch
 * peers; scripts/libtorch-variant.js: builds against other libtorches): a venv of Python 3.11 (the
 * wheels are cp311), packages installed with `pip install --no-index` from the local wheel folders,
 * and a stamp file naming what was installed. Idempotent: a venv whose stamp matches and whose
 * `verify` passes is kept as it is; otherwise it is made again from scratch.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { WHEEL_DIRS, findLinksArgs } = require('./local-wheels');

class OfflineVenvError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'OfflineVenvError';
    this.code = code;
  }
}

/** Python 3.11: `explicit`, then each of `envVars` that is set, pyenv's 3.11.7, `python3.11` on PATH; null if none exists. */
function basePython311(explicit, envVars = []) {
  const pyenv = process.env.PYENV_ROOT || path.join(os.homedir(), '.pyenv');
  const candidates = [explicit, ...envVars.map((k) => process.env[k]), path.join(pyenv, 'versions', '3.11.7', 'bin', 'python3')];
  const r = spawnSync('sh', ['-c', 'command -v python3.11'], { encoding: 'utf8' });
  if (r.status === 0) candidates.push(r.stdout.trim());
  return candidates.find((p) => p && fs.existsSync(p)) ?? null;
}

/**
 * The venv at `venv` with `installs` done in order (each a list of `pip install` arguments), made
 * unless its stamp (`stampName` in the venv, holding `want`) matches and `verify(python)` returns
 * something. Returns { python, info } (info: what verify returned); throws OfflineVenvError with
 * code ERR_VENV_PYTHON, ERR_VENV_WHEELS or ERR_VENV.
 */
function ensureOfflineVenv({ venv, stampName, want, installs, verify, base, force = false, log = () => {}, describe = 'a few minutes' }) {
  const python = path.join(venv, 'bin', 'python');
  const stamp = path.join(venv, stampName);
  if (!force && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').trim() === want && fs.existsSync(python)) {
    const info = verify(python);
    if (info) return { python, info };
  }
  if (!base) throw new OfflineVenvError('ERR_VENV_PYTHON', 'no Python 3.11 (the wheels are cp311)');
  const links = findLinksArgs();
  if (links.length === 0)
    throw new OfflineVenvError('ERR_VENV_WHEELS', `none of the local wheel folders exists (${WHEEL_DIRS.join(', ')})`);
  fs.rmSync(venv, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(venv), { recursive: true });
  log(`creating ${venv} from ${base} (${describe})`);
  const run = (cmd, args, env) => {
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env });
    if (r.error) throw new OfflineVenvError('ERR_VENV', `${cmd}: ${r.error.message}`);
    return r.status ?? 1;
  };
  if (run(base, ['-m', 'venv', venv]) !== 0) throw new OfflineVenvError('ERR_VENV', `${base} -m venv failed`);
  // PIP_CONSTRAINT='': the machine-wide constraints file pins versions for other tools.
  const env = { ...process.env, PIP_CONSTRAINT: '', PIP_DISABLE_PIP_VERSION_CHECK: '1' };
  for (const args of installs) {
    if (run(python, ['-m', 'pip', 'install', '--no-index', ...links, '-q', ...args], env) !== 0)
      throw new OfflineVenvError('ERR_VENV_WHEELS', `pip install ${args.join(' ')} failed: the local wheel folders lack something`);
  }
  const info = verify(python);
  if (!info) throw new OfflineVenvError('ERR_VENV', `the venv was made but ${python} does not import what it should`);
  fs.writeFileSync(stamp, `${want}\n`);
  return { python, info };
}

module.exports = { ensureOfflineVenv, basePython311, OfflineVenvError };
