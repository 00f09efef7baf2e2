/**
 * `modrewrite serve --workers N` and serve's signals through the real bin (dist/ built): a SIGHUP
 * reload under a steady stream of requests loses none and puts the new configuration in effect, a
 * broken configuration on reload leaves the old one serving, SIGTERM lets a slow request finish
 * (and cuts it at --drain-timeout), a killed worker is replaced. Every serve runs in its own process
 * group, killed in afterAll: no worker outlives the test.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = join(__dirname, '../..');
const bin = join(repo, 'bin/modrewrite.cjs');
const START_TIMEOUT_MS = 20_000;
/** How long a slow backend answer takes: long enough to signal while it is in flight. */
const SLOW_MS = 800;

let tmp: string;
let www: string;
let backend: http.Server;
let backendPort: number;
/** Requests the backend has received (to signal once one is in flight). */
let backendHits = 0;
const backendTimers = new Set<NodeJS.Timeout>();
const started: ChildProcess[] = [];

beforeAll(async () => {
  if (!existsSync(join(repo, 'dist/cjs/cli.js')))
    spawnSync(process.execPath, [join(repo, 'scripts/build.mjs')], { cwd: repo, stdio: 'ignore' });
  tmp = mkdtempSync(join(tmpdir(), 'modrewrite-workers-'));
  www = join(tmp, 'www');
  mkdirSync(www);
  writeFileSync(join(www, 'a.txt'), 'A');
  writeFileSync(join(www, 'b.txt'), 'B');
  backend = http.createServer((req, res) => {
    backendHits++;
    const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? SLOW_MS);
    const timer = setTimeout(() => {
      backendTimers.delete(timer);
      res.end('SLOW');
    }, ms);
    backendTimers.add(timer);
  });
  await new Promise<void>((ok) => backend.listen(0, '127.0.0.1', ok));
  backendPort = (backend.address() as AddressInfo).port;
}, 180_000);

afterAll(async () => {
  for (const child of started) {
    try {
      // the whole group: the primary and every worker it forked
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const timer of backendTimers) clearTimeout(timer);
  backend.closeAllConnections();
  await new Promise((ok) => backend.close(ok));
  rmSync(tmp, { recursive: true, force: true });
});

/** A config whose /v answers the file `target`, with a slow [P] route. */
function writeConfig(file: string, target: string, extra = ''): void {
  writeFileSync(
    file,
    `RewriteEngine on\nRewriteRule ^/v$ /${target} [L]\nRewriteRule ^/slow$ http://127.0.0.1:${backendPort}/slow [P]\n${extra}`,
  );
}

interface Serve {
  readonly child: ChildProcess;
  readonly port: number;
  stderr(): string;
  /** Resolves once stderr matches `pattern` (`count` times). */
  waitFor(pattern: RegExp, count?: number): Promise<void>;
  exited: Promise<number | null>;
}

async function startServe(args: readonly string[]): Promise<Serve> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--quiet', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  started.push(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  const port = await new Promise<number>((ok, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`serve did not start: ${err}`)),
      START_TIMEOUT_MS,
    );
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /on http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (!m) return;
      clearTimeout(timer);
      ok(Number(m[1]));
    });
    void exited.then((code) => fail(new Error(`serve exited with ${code}: ${err}`)));
  });
  const waitFor = async (pattern: RegExp, count = 1): Promise<void> => {
    const global = new RegExp(pattern.source, 'g');
    for (let i = 0; i < START_TIMEOUT_MS / 20; i++) {
      if ((err.match(global) ?? []).length >= count) return;
      await new Promise((ok) => setTimeout(ok, 20));
    }
    throw new Error(`stderr never matched ${pattern}: ${err}`);
  };
  return { child, port, stderr: () => err, waitFor, exited };
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One GET: on a connection of its own, or on `agent`'s keep-alive connections. */
function get(port: number, path: string, agent: http.Agent | false = false): Promise<Answer> {
  return new Promise((ok, fail) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => ok({ status: res.statusCode!, body }));
      res.on('error', fail);
    });
    req.on('error', fail);
  });
}

/** The Connection header of one GET's answer on `agent` (body read to the end). */
function connectionHeader(port: number, path: string, agent: http.Agent): Promise<string> {
  return new Promise((ok, fail) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => ok(String(res.headers.connection)));
      res.on('error', fail);
    });
    req.on('error', fail);
  });
}

interface Timed {
  readonly at: number;
  readonly answer: Answer;
  /** Sent on a keep-alive connection (one opened before a reload is answered by the old worker). */
  readonly keepAlive: boolean;
}

/**
 * Clients asking /v back to back until stop(), half of them with a connection per request, half
 * on keep-alive connections (Node's agent, which honours the server's Keep-Alive timeout and does
 * not retry): every answer and every error is kept.
 */
function steadyLoad(port: number, clients: number) {
  const answers: Timed[] = [];
  const errors: unknown[] = [];
  const agent = new http.Agent({ keepAlive: true });
  let running = true;
  const loops = Array.from({ length: clients }, async (_, client) => {
    const keepAlive = client % 2 === 1;
    // bounded: a client sends at most this many
    for (let i = 0; i < 5000 && running; i++) {
      try {
        const answer = await get(port, '/v', keepAlive && agent);
        answers.push({ at: Date.now(), answer, keepAlive });
      } catch (err) {
        errors.push(err);
      }
    }
  });
  return {
    answers,
    errors,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}

const pause = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

async function waitForBackendHit(before: number): Promise<void> {
  for (let i = 0; i < 500 && backendHits === before; i++) await pause(10);
  expect(backendHits).toBeGreaterThan(before);
}

describe.each([
  ['--workers 1 (one process)', '1', /SIGHUP: configuration reloaded/],
  ['--workers 2 (cluster)', '2', /SIGHUP: reload done/],
])('SIGHUP reload, %s', (_name, workers, reloaded) => {
  test('no request lost or failed during the reload; the new config answers after it', async () => {
    const config = join(tmp, `reload-${workers}.conf`);
    writeConfig(config, 'a.txt');
    const serve = await startServe(['--root', www, '--config', config, '--workers', workers]);
    if (workers === '2') await serve.waitFor(/worker \d+ \(pid \d+\) listening/, 2);
    const load = steadyLoad(serve.port, 4);
    const hits = backendHits;
    const slow = get(serve.port, '/slow');
    await waitForBackendHit(hits);
    await pause(100);
    writeConfig(config, 'b.txt');
    process.kill(serve.child.pid!, 'SIGHUP');
    await serve.waitFor(reloaded);
    const reloadedAt = Date.now();
    await pause(300);
    await load.stop();
    // the request in flight on an old worker (or the old handler) finished normally
    expect(await slow).toEqual({ status: 200, body: 'SLOW' });
    expect(load.errors).toEqual([]);
    expect(load.answers.length).toBeGreaterThan(20);
    for (const { answer } of load.answers) {
      expect(answer.status).toBe(200);
      expect(['A', 'B']).toContain(answer.body);
    }
    // (a keep-alive connection of an old worker carries one more request, answered with
    // Connection: close: only the connection-per-request clients must see B at once)
    const after = load.answers.filter((a) => a.at > reloadedAt + 50 && !a.keepAlive);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((a) => a.answer.body === 'B')).toBe(true);
    expect(load.answers[0].answer.body).toBe('A');
    expect(load.answers.filter((a) => a.keepAlive).at(-1)?.answer.body).toBe('B');
    process.kill(serve.child.pid!, 'SIGTERM');
    expect(await serve.exited).toBe(0);
  }, 60_000);

  test('a config that fails to load on reload: the error is positioned, the old config serves on', async () => {
    const config = join(tmp, `broken-${workers}.conf`);
    writeConfig(config, 'a.txt');
    const serve = await startServe(['--root', www, '--config', config, '--workers', workers]);
    writeConfig(config, 'b.txt', 'RewriteRule ^/x$ /y [L\n');
    process.kill(serve.child.pid!, 'SIGHUP');
    await serve.waitFor(/reload failed/);
    expect(serve.stderr()).toMatch(/broken-\d\.conf:4:\d+\)/);
    for (let i = 0; i < 6; i++)
      expect(await get(serve.port, '/v')).toEqual({ status: 200, body: 'A' });
    // fixed, it reloads
    writeConfig(config, 'b.txt');
    process.kill(serve.child.pid!, 'SIGHUP');
    await serve.waitFor(reloaded);
    expect(await get(serve.port, '/v')).toEqual({ status: 200, body: 'B' });
    process.kill(serve.child.pid!, 'SIGTERM');
    expect(await serve.exited).toBe(0);
  }, 60_000);
});

describe.each([
  ['--workers 1', '1'],
  ['--workers 2', '2'],
])('SIGTERM, %s', (_name, workers) => {
  test('drains: a slow [P] request in flight finishes, then the process exits 0', async () => {
    const config = join(tmp, `term-${workers}.conf`);
    writeConfig(config, 'a.txt');
    const serve = await startServe(['--root', www, '--config', config, '--workers', workers]);
    const hits = backendHits;
    const slow = get(serve.port, '/slow');
    await waitForBackendHit(hits);
    process.kill(serve.child.pid!, 'SIGTERM');
    expect(await slow).toEqual({ status: 200, body: 'SLOW' });
    expect(await serve.exited).toBe(0);
  }, 60_000);

  test('drains: the response in flight on a keep-alive connection says Connection: close', async () => {
    const config = join(tmp, `close-${workers}.conf`);
    writeConfig(config, 'a.txt');
    const serve = await startServe(['--root', www, '--config', config, '--workers', workers]);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    // before the drain the same client is kept alive
    expect(await connectionHeader(serve.port, '/v', agent)).toBe('keep-alive');
    const hits = backendHits;
    const slow = connectionHeader(serve.port, '/slow', agent);
    await waitForBackendHit(hits);
    process.kill(serve.child.pid!, 'SIGTERM');
    expect(await slow).toBe('close');
    expect(await serve.exited).toBe(0);
    agent.destroy();
  }, 60_000);

  test('--drain-timeout bounds the drain: a request slower than it is cut, the exit is 0', async () => {
    const config = join(tmp, `cut-${workers}.conf`);
    writeFileSync(
      config,
      `RewriteEngine on\nRewriteRule ^/slow$ http://127.0.0.1:${backendPort}/slow?ms=20000 [P]\n`,
    );
    const serve = await startServe([
      ...['--root', www, '--config', config, '--workers', workers, '--drain-timeout', '300'],
    ]);
    const hits = backendHits;
    const slow = get(serve.port, '/slow').then(
      () => 'answered',
      () => 'cut',
    );
    await waitForBackendHit(hits);
    const t0 = Date.now();
    process.kill(serve.child.pid!, 'SIGTERM');
    expect(await slow).toBe('cut');
    expect(await serve.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
  }, 60_000);
});

test('--workers 2: a killed worker is replaced, the port keeps answering', async () => {
  const config = join(tmp, 'kill.conf');
  writeConfig(config, 'a.txt');
  const serve = await startServe(['--root', www, '--config', config, '--workers', '2']);
  await serve.waitFor(/worker \d+ \(pid \d+\) listening/, 2);
  const pid = Number(/worker \d+ \(pid (\d+)\) listening/.exec(serve.stderr())![1]);
  process.kill(pid, 'SIGKILL');
  await serve.waitFor(new RegExp(`pid ${pid}\\) died \\(SIGKILL\\); starting a replacement`));
  await serve.waitFor(/worker \d+ \(pid \d+\) listening/, 3);
  for (let i = 0; i < 6; i++)
    expect(await get(serve.port, '/v')).toEqual({ status: 200, body: 'A' });
  process.kill(serve.child.pid!, 'SIGTERM');
  expect(await serve.exited).toBe(0);
}, 60_000);

test('--workers 2: replacements that cannot start back off; the surviving worker serves on', async () => {
  const config = join(tmp, 'loop.conf');
  writeConfig(config, 'a.txt');
  const serve = await startServe(['--root', www, '--config', config, '--workers', '2']);
  await serve.waitFor(/worker \d+ \(pid \d+\) listening/, 2);
  // a replacement reads the config from disk: broken now, every replacement fails at start
  writeConfig(config, 'a.txt', 'RewriteRule ^/x$ /y [L\n');
  const pid = Number(/worker \d+ \(pid (\d+)\) listening/.exec(serve.stderr())![1]);
  process.kill(pid, 'SIGKILL');
  // young deaths in a row: 100, 200, 400 ms … (not a spinning loop)
  await serve.waitFor(/died \(SIGKILL\); starting a replacement in 100 ms/);
  await serve.waitFor(/a new worker could not start; starting a replacement in 200 ms/);
  await serve.waitFor(/a new worker could not start; starting a replacement in 400 ms/);
  for (let i = 0; i < 4; i++)
    expect(await get(serve.port, '/v')).toEqual({ status: 200, body: 'A' });
  process.kill(serve.child.pid!, 'SIGTERM');
  expect(await serve.exited).toBe(0);
}, 60_000);

test('--workers 2 with a broken config at start: the error once, exit 1, no worker left', async () => {
  const config = join(tmp, 'start-broken.conf');
  writeFileSync(config, 'RewriteEngine on\nRewriteRule ^/x$ /y [L\n');
  const r = spawnSync(
    process.execPath,
    [bin, 'serve', '--port', '0', '--root', www, '--config', config, '--workers', '2'],
    { encoding: 'utf8', timeout: 30_000 },
  );
  expect(r.status).toBe(1);
  expect(r.stderr.match(/start-broken\.conf:2:\d+\)/g)).toHaveLength(1);
});

test.each([['0'], ['two'], ['1.5'], ['257']])('--workers %s is a usage error', (value) => {
  const r = spawnSync(process.execPath, [bin, 'serve', '--root', www, '--workers', value], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/--workers must be 1\.\.256 or auto/);
});
