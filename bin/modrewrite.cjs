#!/usr/bin/env node
'use strict';
// The modrewrite command (see `modrewrite --help`); the code lives in dist/cjs/cli.js.
require('../dist/cjs/cli.js').main(process.argv.slice(2)).then((r) => {
  if (typeof r === 'number') process.exitCode = r;
}, (err) => {
  process.stderr.write(`modrewrite: ${err && err.stack || err}\n`);
  process.exitCode = 2;
});
