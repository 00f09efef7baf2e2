/**
 * Lets a worker thread (or `npm run fuzz`) require lib/*.ts directly, the way jest does through
 * @swc/jest: `.ts` files are compiled with @swc/core on load, and the `./x.js` specifiers of the
 * NodeNext sources resolve to `./x.ts`. The fuzz properties run the code under test in a worker so
 * that a synchronous endless loop (a hang) can be detected and the worker terminated.
 */
'use strict';
const Module = require('node:module');
const fs = require('node:fs');
const swc = require('@swc/core');

const SWC_OPTIONS = {
  jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

if (!Module._extensions['.ts']) {
  Module._extensions['.ts'] = function compileTs(module, filename) {
    const source = fs.readFileSync(filename, 'utf8');
    const { code } = swc.transformSync(source, { ...SWC_OPTIONS, filename });
    module._compile(code, filename);
  };
  const resolveFilename = Module._resolveFilename;
  Module._resolveFilename = function resolveTsForJs(request, parent, ...rest) {
    try {
      return resolveFilename.call(this, request, parent, ...rest);
    } catch (err) {
      const relativeJs = request.startsWith('.') && request.endsWith('.js');
      if (!relativeJs) throw err;
      return resolveFilename.call(this, request.slice(0, -3) + '.ts', parent, ...rest);
    }
  };
}
