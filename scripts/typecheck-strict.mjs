// `noUncheckedIndexedAccess` for the layers where an index out of range is a request-time bug:
// common/, compile/ and engine/ (issue 8). TypeScript takes compiler options per program, not per
// file, and these folders import syntax/ and errors.ts, so this checks the program of
// tsconfig.strict.json and reports only the diagnostics in the files that config includes.
import ts from 'typescript';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Files of those folders not checked yet, each with the reason (none today). */
const PENDING = new Set();

const host = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => fail([d]) };
const config = ts.getParsedCommandLineOfConfigFile(`${root}tsconfig.strict.json`, {}, host);
if (config.errors.length) fail(config.errors);

const checked = new Set(
  config.fileNames
    .filter((f) => !PENDING.has(f.slice(root.length)))
    .map((f) => ts.sys.resolvePath(f)),
);
const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
const found = ts
  .getPreEmitDiagnostics(program)
  .filter((d) => d.file === undefined || checked.has(ts.sys.resolvePath(d.file.fileName)));
if (found.length) fail(found);
console.log(
  `noUncheckedIndexedAccess: ${checked.size} files of common/, compile/ and engine/ pass`,
);

function fail(diagnostics) {
  const format = {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => root,
    getNewLine: () => '\n',
  };
  const text = process.stderr.isTTY
    ? ts.formatDiagnosticsWithColorAndContext(diagnostics, format)
    : ts.formatDiagnostics(diagnostics, format);
  console.error(text);
  process.exit(1);
}
