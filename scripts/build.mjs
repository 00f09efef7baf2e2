// Builds dist/esm (ES modules with their own .d.ts), dist/cjs (CommonJS) and dist/types (.d.ts for
// require) from lib/ with tsc alone. The ES module build carries its own declarations: next to
// dist/esm/package.json ("type": "module") TypeScript reads them as ES modules, so a NodeNext ESM
// consumer's `import x from 'modrewrite'` (there is no default export) fails at compile time instead
// of at run time; dist/types, under the package's CommonJS default, describes the require() build.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const run = (...args) =>
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', ...args], { stdio: 'inherit' });

rmSync('dist', { recursive: true, force: true });
run('--outDir', 'dist/esm', '--module', 'es2022', '--moduleResolution', 'bundler');
run(
  '--outDir',
  'dist/cjs',
  '--declaration',
  'false',
  '--module',
  'commonjs',
  '--moduleResolution',
  'node10',
);
run('--outDir', 'dist/types', '--emitDeclarationOnly');
mkdirSync('dist/esm', { recursive: true });
writeFileSync('dist/esm/package.json', '{"type":"module"}\n');
writeFileSync('dist/cjs/package.json', '{"type":"commonjs"}\n');
// the browser playground (playground/dist), which the package ships for `modrewrite playground`
await import('./build-playground.mjs');
