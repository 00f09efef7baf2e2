#!/usr/bin/env node
'use strict';
// The modrewrite command (see `modrewrite --help`; exit codes there); the code lives in dist/cjs/cli.js.
let cli;
try {
  cli = require('../dist/cjs/cli.js');
} catch (err) {
  // a git checkout before `npm run build` (the published package always has dist/)
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/cjs/cli.js')) {
    process.stderr.write('modrewrite: dist/ is not built; run `npm run build` first\n');
    process.exit(1);
  }
  throw err;
}
cli.main(process.argv.slice(2)).then(
  (r) => {
    if (typeof r === 'number') process.exitCode = r;
  },
  (err) => {
    process.stderr.write(`modrewrite: ${(err && err.stack) || err}\n`);
    process.exitCode = 1;
  },
);
