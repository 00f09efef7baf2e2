/**
 * `prg:` maps with real child programs (small sh scripts in a temp dir): a lookup that times out
 * kills and replaces its child, so a late answer is never handed to another key; a child that
 * keeps dying is restarted with back-off; no child outlives close() or the process.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { rewrite, site } from '../../lib/index';
import { main } from '../../lib/cli';
import { ProgramMap } from '../../lib/common/maps';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'modrewrite-prg-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes an executable sh script; its first argument is the file it logs its pid (and helpers' pids) to. */
function script(name: string, body: string): { path: string; pids: () => number[]; log: string } {
  const path = join(dir, name);
  const log = join(dir, `${name}.pids`);
  writeFileSync(path, `#!/bin/sh\necho $$ >> "$1"\n${body}`);
  chmodSync(path, 0o755);
  writeFileSync(log, '');
  const pids = (): number[] => readFileSync(log, 'utf8').split('\n').filter(Boolean).map(Number);
  return { path, pids, log };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // a zombie still answers kill(0) until its parent reaps it: a zombie is gone for our purposes
  try {
    return !/^\S+\s+\S+\s+Z/.test(
      readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^\d+ \(.*\) /, '0 x '),
    );
  } catch {
    return false;
  }
}

async function waitGone(pids: readonly number[], ms: number): Promise<number[]> {
  const until = Date.now() + ms;
  let left = pids.filter(alive);
  while (left.length && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 25));
    left = left.filter(alive);
  }
  return left;
}

// answers `v-KEY`; `late` answers after LATE_S seconds (past the timeout); `hang` never answers
const answering = (lateSeconds: number): string =>
  [
    'while read k; do',
    '  case "$k" in',
    `    late) sleep ${lateSeconds}; echo "late-$k" ;;`,
    '    hang) sleep 1000 & echo $! >> "$1"; wait ;;',
    '    *) echo "v-$k" ;;',
    '  esac',
    'done',
    '',
  ].join('\n');

const TIMEOUT = 400;

test('prg: after a lookup times out, 40 sequential lookups of different keys each get their own answer (no late answer handed on)', async () => {
  const prog = script('late.sh', answering(1));
  const map = new ProgramMap(prog.path, [prog.log], TIMEOUT);
  try {
    expect(await map.lookup('late')).toBeUndefined();
    const answers: (string | undefined)[] = [];
    for (let i = 0; i < 40; i++) answers.push(await map.lookup(`k${i}`));
    expect(answers).toEqual(Array.from({ length: 40 }, (_, i) => `v-k${i}`));
    // wait for the late answer the killed child would have given: it must reach nobody
    await new Promise((r) => setTimeout(r, 800));
    expect(await map.lookup('after')).toBe('v-after');
    // the timed-out child was replaced by exactly one new one
    expect(prog.pids()).toHaveLength(2);
  } finally {
    map.close();
  }
});

test('prg: the same through rewrite() over HTTP: a timed-out key never shifts the answers of later requests', async () => {
  const prog = script('late-http.sh', answering(1));
  const map = new ProgramMap(prog.path, [prog.log], TIMEOUT);
  const mw = rewrite('RewriteRule ^/m/(.*)$ /to/${m:$1|none} [R=302]', { maps: { m: map } });
  const server = http.createServer((req, res) => mw(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await request(base).get('/m/late')).headers.location).toMatch(/\/to\/none$/);
    for (let i = 0; i < 20; i++)
      expect((await request(base).get(`/m/k${i}`)).headers.location).toMatch(
        new RegExp(`/to/v-k${i}$`),
      );
  } finally {
    map.close();
    server.close();
  }
});

test('prg: N concurrent waiters behind a hung child take about one timeout, not N timeouts', async () => {
  const prog = script('hang.sh', answering(1));
  const map = new ProgramMap(prog.path, [prog.log], TIMEOUT);
  try {
    const started = Date.now();
    const keys = ['hang', 'a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const answers = await Promise.all(keys.map((k) => map.lookup(k)));
    const elapsed = Date.now() - started;
    expect(answers).toEqual([undefined, 'v-a', 'v-b', 'v-c', 'v-d', 'v-e', 'v-f', 'v-g']);
    // before: every waiter after the hung one waited a full timeout too (8 × 400 ms)
    expect(elapsed).toBeLessThan(3 * TIMEOUT);
  } finally {
    map.close();
  }
});

test('prg: lookups all aimed at a program that never answers settle within about two timeouts together', async () => {
  const prog = script('hang-all.sh', 'while read k; do sleep 1000 & echo $! >> "$1"; wait; done\n');
  const map = new ProgramMap(prog.path, [prog.log], TIMEOUT);
  try {
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => map.lookup(`x${i}`)));
    expect(answers).toEqual(Array(8).fill(undefined));
    // before: one timeout after the other (8 × 400 ms); now the first two are tried, the rest give up at 2 × 400 ms
    expect(Date.now() - started).toBeLessThan(4 * TIMEOUT);
  } finally {
    map.close();
  }
  // the killed children and their `sleep` helpers are gone too
  expect(await waitGone(prog.pids(), 2000)).toEqual([]);
});

test('prg: a program that keeps crashing is restarted with back-off, not once per lookup', async () => {
  const prog = script('crash.sh', 'exit 3\n');
  const map = new ProgramMap(prog.path, [prog.log], TIMEOUT);
  try {
    const started = Date.now();
    for (let i = 0; i < 40; i++) expect(await map.lookup(`k${i}`)).toBeUndefined();
    // during back-off a lookup answers "not found" at once (Apache without its program)
    expect(Date.now() - started).toBeLessThan(2000);
    const spawned = prog.pids().length;
    expect(spawned).toBeGreaterThanOrEqual(1);
    expect(spawned).toBeLessThanOrEqual(4);
    // later, it is tried again
    await new Promise((r) => setTimeout(r, 1000));
    await map.lookup('again');
    expect(prog.pids().length).toBeGreaterThan(spawned);
  } finally {
    map.close();
  }
});

test('prg: one crash is restarted at once; a good answer resets the back-off', async () => {
  const prog = script(
    'die-once.sh',
    'while read k; do if [ "$k" = die ]; then exit 1; fi; echo "v-$k"; done\n',
  );
  const map = new ProgramMap(prog.path, [prog.log], TIMEOUT);
  try {
    for (let i = 0; i < 5; i++) {
      expect(await map.lookup('die')).toBeUndefined();
      expect(await map.lookup(`k${i}`)).toBe(`v-k${i}`);
    }
  } finally {
    map.close();
  }
});

test('prg: close() kills the child (and what it started): no orphan', async () => {
  const prog = script('close.sh', answering(1));
  const map = new ProgramMap(prog.path, [prog.log], 60_000);
  expect(await map.lookup('a')).toBe('v-a');
  const pending = map.lookup('hang');
  await new Promise((r) => setTimeout(r, 200));
  map.close();
  expect(await pending).toBeUndefined();
  const pids = prog.pids();
  expect(pids).toHaveLength(2);
  expect(await waitGone(pids, 3000)).toEqual([]);
  expect(await map.lookup('b')).toBeUndefined();
});

test("prg: the rewrite() middleware's close() ends the children of the maps it compiled", async () => {
  const prog = script('mw-close.sh', answering(1));
  const mw = rewrite(
    `RewriteMap m "prg:${prog.path} ${prog.log}"\nRewriteRule ^/m/(.*)$ /to/\${m:$1} [R=302]`,
  );
  const server = http.createServer((req, res) => mw(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await request(base).get('/m/x')).headers.location).toMatch(/\/to\/v-x$/);
  } finally {
    server.close();
    mw.close();
  }
  expect(await waitGone(prog.pids(), 3000)).toEqual([]);
});

test('prg: site().close() and closing `modrewrite serve` end the children of the maps in the config', async () => {
  const www = mkdtempSync(join(dir, 'www-'));
  const prog = script('site-close.sh', answering(1));
  const config = `RewriteEngine on\nRewriteMap m "prg:${prog.path} ${prog.log}"\nRewriteRule ^/m/(.*)$ /to/\${m:$1} [R=302]\n`;
  const s = site({ root: www, config });
  const server = http.createServer((req, res) => s(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await request(base).get('/m/x')).headers.location).toMatch(/\/to\/v-x$/);
  } finally {
    server.close();
    s.close();
  }
  expect(await waitGone(prog.pids(), 3000)).toEqual([]);

  const confFile = join(dir, 'serve.conf');
  writeFileSync(confFile, config);
  writeFileSync(prog.log, '');
  const served = (await main(
    ['serve', '--root', www, '--config', confFile, '--port', '0', '--quiet'],
    { out: () => undefined, err: () => undefined },
  )) as http.Server;
  const base = `http://127.0.0.1:${(served.address() as AddressInfo).port}`;
  expect((await request(base).get('/m/y')).headers.location).toMatch(/\/to\/v-y$/);
  await new Promise((r) => served.close(r));
  expect(prog.pids()).toHaveLength(1);
  expect(await waitGone(prog.pids(), 3000)).toEqual([]);
});

test.each([
  ['process.exit()', 'process.exit(0)', 0, null],
  ['SIGTERM with no listener of its own', "process.kill(process.pid, 'SIGTERM')", null, 'SIGTERM'],
])(
  'prg: no child outlives the process that started it (even one hung mid-lookup): %s',
  async (_what, ending, status, signal) => {
    const prog = script(`exit-${String(signal)}.sh`, answering(1));
    // a separate node process loads the TypeScript sources through @swc/core (as jest does)
    const hook = join(dir, 'ts-hook.cjs');
    writeFileSync(
      hook,
      [
        "const Module = require('node:module');",
        "const { readFileSync } = require('node:fs');",
        `const { transformSync } = require(${JSON.stringify(require.resolve('@swc/core'))});`,
        'const resolve = Module._resolveFilename;',
        'Module._resolveFilename = function (req, parent, ...rest) {',
        "  if (req.startsWith('.') && req.endsWith('.js')) { try { return resolve.call(this, req.slice(0, -3) + '.ts', parent, ...rest); } catch {} }",
        '  return resolve.call(this, req, parent, ...rest);',
        '};',
        "Module._extensions['.ts'] = (m, file) => m._compile(transformSync(readFileSync(file, 'utf8'), { filename: file, jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }).code, file);",
        '',
      ].join('\n'),
    );
    const main = join(dir, `exit-main-${String(signal)}.cjs`);
    writeFileSync(
      main,
      [
        `const { compileText } = require(${JSON.stringify(join(__dirname, '../../lib/index.ts'))});`,
        `const rs = compileText(${JSON.stringify(`RewriteMap m "prg:${prog.path} ${prog.log}"`)});`,
        "const m = rs.maps.get('m');",
        `m.lookup('a').then((v) => { console.log(v); m.lookup('hang'); setTimeout(() => ${ending}, 300); });`,
        '',
      ].join('\n'),
    );
    const ended = spawnSync(process.execPath, ['-r', hook, main], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect([ended.stdout.trim(), ended.status, ended.signal]).toEqual(['v-a', status, signal]);
    const pids = prog.pids();
    // the sh child and the `sleep` it started for "hang"
    expect(pids).toHaveLength(2);
    expect(await waitGone(pids, 3000)).toEqual([]);
  },
);
