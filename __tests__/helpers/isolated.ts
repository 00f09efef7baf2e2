/**
 * Runs code against the library in a separate Node process with a time limit, so a test of
 * "this finishes" fails (instead of hanging jest) when it does not. The library is transpiled from
 * `lib/` with swc into a temporary folder (imports already name `.js` files, so the layout works).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { transformFileSync } from '@swc/core';

const LIB = join(__dirname, '../../lib');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

let built: string | undefined;

/** Transpiles lib/ once per test file; returns the folder holding `lib/index.js`. */
export function builtLibrary(): string {
  if (built) return built;
  const root = mkdtempSync(join(tmpdir(), 'modrewrite-isolated-'));
  // the package's dependencies resolve from the project's node_modules
  writeFileSync(join(root, 'package.json'), '{"type":"commonjs"}');
  for (const file of tsFiles(LIB)) {
    const target = join(root, 'lib', relative(LIB, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    const { code } = transformFileSync(file, {
      jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
      module: { type: 'commonjs' },
    });
    writeFileSync(target, code);
  }
  built = root;
  return root;
}

export function removeBuiltLibrary(): void {
  if (built) rmSync(built, { recursive: true, force: true });
  built = undefined;
}

export interface IsolatedResult {
  readonly timedOut: boolean;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs `script` (CommonJS; `lib` is the library's index) in a child process, killed after `timeoutMs`. */
export function runIsolated(script: string, timeoutMs: number): Promise<IsolatedResult> {
  const root = builtLibrary();
  const file = join(root, `script-${process.pid}-${Math.random().toString(36).slice(2)}.js`);
  writeFileSync(file, `const lib = require('./lib/index.js');\n${script}\n`);
  const started = Date.now();
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [file], {
      cwd: root,
      env: { ...process.env, NODE_PATH: join(__dirname, '../../node_modules') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ timedOut, code, stdout, stderr, ms: Date.now() - started });
    });
  });
}
