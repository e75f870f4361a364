/**
 * The local wheel folders that offline `pip install --no-index` reads (see ../shared/BUILD-NOTES.md),
 * shared by the venvs the project makes (scripts/offline-venv.js, for bench/setup-peers.js and
 * scripts/libtorch-variant.js) and by scripts/harness-venv.sh's own list.
 */
'use strict';
const fs = require('node:fs');

const WHEEL_DIRS = ['/opt/wheels', '/opt/pypi/files', '/opt/pypi-more/files'];

/** `--find-links DIR` for each folder that exists on this machine ([] when none does). */
function findLinksArgs() {
  return WHEEL_DIRS.filter((d) => fs.existsSync(d)).flatMap((d) => ['--find-links', d]);
}

module.exports = { WHEEL_DIRS, findLinksArgs };
