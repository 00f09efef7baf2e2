// Builds dist/esm (ES modules), dist/cjs (CommonJS) and dist/types (.d.ts) from lib/ with tsc alone.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const run = (...args) => execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', ...args], { stdio: 'inherit' });

rmSync('dist', { recursive: true, force: true });
run('--outDir', 'dist/esm', '--declaration', 'false', '--module', 'es2022', '--moduleResolution', 'bundler');
run('--outDir', 'dist/cjs', '--declaration', 'false', '--module', 'commonjs', '--moduleResolution', 'node10');
run('--outDir', 'dist/types', '--emitDeclarationOnly');
mkdirSync('dist/esm', { recursive: true });
writeFileSync('dist/esm/package.json', '{"type":"module"}\n');
writeFileSync('dist/cjs/package.json', '{"type":"commonjs"}\n');
