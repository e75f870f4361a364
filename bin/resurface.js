#!/usr/bin/env node
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const main = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!fs.existsSync(main)) {
  process.stderr.write('resurface: not built yet. Run `npm run bootstrap` (or `npm start` / `npm test`) in the package directory first.\n');
  process.exit(1);
}
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
require(main).main(process.argv.slice(2));
