/**
 * The local wheel folders that offline `pip install --no-index` reads (see ../shared/BUILD-NOTES.md),
 * shared by the venvs the project makes: bench/setup-peers.js (the benchmarks' pip-torch peers) and
 * scripts/libtorch-variant.js (builds against other libtorches).
 */
'use strict';
const fs = require('node:fs');

const WHEEL_DIRS = ['/opt/wheels', '/opt/pypi/files', '/opt/pypi-more/files'];

/** `--find-links DIR` for each folder that exists on this machine ([] when none does). */
function findLinksArgs() {
  return WHEEL_DIRS.filter((d) => fs.existsSync(d)).flatMap((d) => ['--find-links', d]);
}

module.exports = { WHEEL_DIRS, findLinksArgs };
