/**
 * Which PyTorch peers a benchmark can run in this session: Debian's torch 1.13 (/usr/bin/python3, or
 * RESURFACE_BENCH_PYTHON) always; pip torch 2.x and Hugging Face transformers from bench/.work/peers-venv,
 * made by bench/setup-peers.js when missing (or `--peers-python PY`). When the venv cannot be made the
 * pip peers are listed in `missing` with the reason, and the benchmark runs the Debian peer alone.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const c = require('./common');
const { peersPython } = require('./setup-peers');

let cached = null;

/** { sides: [{ name, peer, python }], pythons: { 'pip torch': PY }, missing: [reason], pip: {python, torch, transformers} | null } */
function available(args = {}) {
  if (cached) return cached;
  const sides = [];
  const missing = [];
  const debian = spawnSync(c.PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (debian.status === 0) sides.push({ name: 'loop-debian', peer: 'loop', python: c.PYTHON });
  else missing.push(`loop-debian: ${c.PYTHON} cannot import torch`);
  const pip = peersPython(args);
  if (pip.error) {
    missing.push(`pip torch peers (loop-pip, hf, hf-static-compile): ${pip.error}`);
  } else {
    sides.push({ name: 'loop-pip', peer: 'loop', python: pip.python });
    sides.push({ name: 'hf', peer: 'hf', python: pip.python });
    sides.push({ name: 'hf-static-compile', peer: 'hf-static-compile', python: pip.python });
  }
  cached = { sides, missing, pip: pip.error ? null : pip, pythons: pip.error ? {} : { 'pip torch': pip.python } };
  return cached;
}

module.exports = { available };
