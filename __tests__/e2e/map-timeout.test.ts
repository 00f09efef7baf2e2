/**
 * The per-request budget for asynchronous maps (`mapTimeout`): a map that never settles ends its
 * request in a 500 with a logged, coded reason (ERR_MAP_TIMEOUT) in rewrite(), site() and
 * `modrewrite serve`, and the server keeps answering other requests.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { DEFAULT_MAP_TIMEOUT, htaccess, rewrite, site } from '../../lib/index';
import { main } from '../../lib/cli';

const BUDGET = 300;
const never = (): Promise<string> => new Promise(() => undefined);
const later = (ms: number, value: string) => (): Promise<string> =>
  new Promise((r) => setTimeout(() => r(value), ms));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'modrewrite-maptimeout-'));
  writeFileSync(join(dir, 'index.html'), 'HOME\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function listen(
  handler: http.RequestListener,
): Promise<{ base: string; server: http.Server }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** A GET that fails the test instead of hanging it when nobody answers. */
async function timed(
  base: string,
  path: string,
): Promise<{ status: number; ms: number; location?: string }> {
  const started = Date.now();
  const res = await request(base).get(path).timeout(5000);
  return { status: res.status, ms: Date.now() - started, location: res.headers.location };
}

const RULES = [
  'RewriteRule ^/slow$ /to/${never:k} [R=302,L]',
  'RewriteRule ^/two$ /to/${a:k}/${b:k} [R=302,L]',
  'RewriteRule ^/ok$ /to/${soon:k} [R=302,L]',
  'RewriteRule ^/fast$ /to/fast [R=302,L]',
].join('\n');
const MAPS = { never, a: later(200, 'A'), b: later(200, 'B'), soon: later(20, 'S') };

test('map timeout: rewrite() on node:http answers 500 within the budget, and keeps answering other requests', async () => {
  const mw = rewrite(RULES, { maps: MAPS, mapTimeout: BUDGET });
  const { base, server } = await listen((req, res) => mw(req, res));
  try {
    const [slow, fast] = await Promise.all([timed(base, '/slow'), timed(base, '/fast')]);
    expect(slow.status).toBe(500);
    expect(slow.ms).toBeGreaterThanOrEqual(BUDGET - 20);
    expect(slow.ms).toBeLessThan(BUDGET + 1500);
    // answered while /slow was waiting
    expect(fast.ms).toBeLessThan(slow.ms);
    expect(fast.location).toMatch(/\/to\/fast$/);
    // a map that answers in time is used; the budget is per request, not per lookup (200 + 200 > 300)
    expect((await timed(base, '/ok')).location).toMatch(/\/to\/S$/);
    expect((await timed(base, '/two')).status).toBe(500);
    expect((await timed(base, '/fast')).status).toBe(302);
  } finally {
    server.close();
  }
});

test('map timeout: rewrite() under Express passes a coded RewriteRuntimeError (ERR_MAP_TIMEOUT, status 500) to next(err)', async () => {
  const errors: { code?: string; status?: number; message: string }[] = [];
  const app = express();
  app.use(rewrite(RULES, { maps: MAPS, mapTimeout: BUDGET }));
  app.use(
    (
      err: { code?: string; status?: number; message: string },
      _req: express.Request,
      res: express.Response,
      _next: express.NextFunction,
    ) => {
      errors.push(err);
      res.status(err.status ?? 500).send(err.code);
    },
  );
  const res = await request(app).get('/slow').timeout(5000);
  expect(res.status).toBe(500);
  expect(res.text).toBe('ERR_MAP_TIMEOUT');
  expect(errors).toHaveLength(1);
  expect(errors[0].message).toContain(
    `map 'never' did not answer within the request's budget of ${BUDGET} ms`,
  );
});

test('map timeout: site() answers 500, logs the coded reason, and keeps serving', async () => {
  const log: string[] = [];
  const s = site({
    root: dir,
    config: `RewriteEngine on\n${RULES}`,
    maps: MAPS,
    mapTimeout: BUDGET,
    log: (m) => log.push(m),
  });
  const { base, server } = await listen((req, res) => s(req, res));
  try {
    const [slow, home] = await Promise.all([
      timed(base, '/slow'),
      request(base).get('/index.html').timeout(5000),
    ]);
    expect(slow.status).toBe(500);
    expect(slow.ms).toBeLessThan(BUDGET + 1500);
    expect(home.text).toBe('HOME\n');
    expect(log.join('\n')).toMatch(/\/slow: 500 ERR_MAP_TIMEOUT: .*map 'never'/);
    expect((await timed(base, '/ok')).location).toMatch(/\/to\/S$/);
  } finally {
    server.close();
    s.close();
  }
});

test('map timeout: htaccess() under Express: a map used in an .htaccess that never answers reaches next(err) as ERR_MAP_TIMEOUT', async () => {
  const root = mkdtempSync(join(dir, 'ht-'));
  writeFileSync(
    join(root, '.htaccess'),
    'RewriteEngine on\nRewriteRule ^slow$ /to/${never:k} [R=302,L]\n',
  );
  const codes: (string | undefined)[] = [];
  const app = express();
  app.use(htaccess({ root, maps: { never }, mapTimeout: BUDGET }));
  app.use(
    (
      err: { code?: string },
      _req: express.Request,
      res: express.Response,
      _next: express.NextFunction,
    ) => {
      codes.push(err.code);
      res.status(500).end();
    },
  );
  const started = Date.now();
  expect((await request(app).get('/slow').timeout(5000)).status).toBe(500);
  expect(Date.now() - started).toBeLessThan(BUDGET + 1500);
  expect(codes).toEqual(['ERR_MAP_TIMEOUT']);
});

test('map timeout: `modrewrite serve --map-timeout` answers 500 for a prg: program that hangs, logs why, keeps serving', async () => {
  const prog = join(dir, 'hang.sh');
  writeFileSync(
    prog,
    '#!/bin/sh\nwhile read k; do if [ "$k" = hang ]; then sleep 1000; fi; echo "v-$k"; done\n',
  );
  chmodSync(prog, 0o755);
  const conf = join(dir, 'serve.conf');
  writeFileSync(
    conf,
    `RewriteEngine on\nRewriteMap p prg:${prog}\nRewriteRule ^/p/(.*)$ /to/\${p:$1} [R=302,L]\n`,
  );
  const err: string[] = [];
  const server = (await main(
    [
      'serve',
      '--root',
      dir,
      '--config',
      conf,
      '--port',
      '0',
      '--quiet',
      '--map-timeout',
      String(BUDGET),
    ],
    { out: () => undefined, err: (l) => err.push(l) },
  )) as http.Server;
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await timed(base, '/p/x')).location).toMatch(/\/to\/v-x$/);
    const hung = await timed(base, '/p/hang');
    expect(hung.status).toBe(500);
    expect(hung.ms).toBeLessThan(BUDGET + 1500);
    expect(err.join('\n')).toMatch(/\/p\/hang: 500 ERR_MAP_TIMEOUT: .*map 'p'/);
    expect((await request(base).get('/index.html').timeout(5000)).text).toBe('HOME\n');
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test('map timeout: `serve --map-timeout` with a bad value exits 2 like other bad options', async () => {
  const err: string[] = [];
  expect(
    await main(['serve', '--root', dir, '--port', '0', '--map-timeout', 'soon'], {
      out: () => undefined,
      err: (l) => err.push(l),
    }),
  ).toBe(2);
  expect(err.join('\n')).toContain(
    "--map-timeout must be a positive number of milliseconds, got 'soon'",
  );
});

test.each([[0], [-5], [Number.NaN], ['300']])(
  'map timeout: mapTimeout %p is refused at creation with ERR_OPTIONS',
  (value) => {
    expect(() => rewrite('RewriteRule ^/a$ /b', { mapTimeout: value as number })).toThrow(
      expect.objectContaining({ code: 'ERR_OPTIONS' }),
    );
    expect(() => site({ root: dir, mapTimeout: value as number })).toThrow(
      expect.objectContaining({ code: 'ERR_OPTIONS' }),
    );
  },
);

test('map timeout: the default is a named constant, and Infinity waits as long as the map takes', async () => {
  expect(DEFAULT_MAP_TIMEOUT).toBe(10_000);
  const mw = rewrite(RULES, {
    maps: { ...MAPS, soon: later(BUDGET + 100, 'S') },
    mapTimeout: Infinity,
  });
  const { base, server } = await listen((req, res) => mw(req, res));
  try {
    expect((await timed(base, '/ok')).location).toMatch(/\/to\/S$/);
  } finally {
    server.close();
  }
});

test.each(['rewrite()', 'site()'] as const)(
  'one async driver: %s stops a pass after MAX_ASYNC_ROUNDS suspensions (500), fewer settle',
  async (entry) => {
    // every distinct key suspends the pass once more (answers are cached per request)
    const conds = (n: number) =>
      Array.from({ length: n }, (_, i) => `RewriteCond \${m:k${i}} =v`).join('\n');
    const rules = (prefix: string, n: number) =>
      `${conds(n)}\nRewriteRule ^${prefix}many${n}$ /done [R=302,L]`;
    const text = (prefix: string) => [rules(prefix, 64), rules(prefix, 65)].join('\n');
    const maps = { m: async (): Promise<string> => 'v' };
    const app = express();
    if (entry === 'rewrite()') app.use(rewrite(text('/'), { maps }));
    else {
      // the per-directory fixup of site(): the rules live in an .htaccess
      mkdirSync(join(dir, 'rounds'), { recursive: true });
      writeFileSync(join(dir, 'rounds/.htaccess'), `RewriteEngine on\n${text('')}\n`);
      app.use(site({ root: dir, maps, fallthrough: false }));
    }
    const { base, server } = await listen(app);
    const under = entry === 'site()' ? '/rounds' : '';
    try {
      expect((await timed(base, `${under}/many64`)).status).toBe(302);
      expect((await timed(base, `${under}/many65`)).status).toBe(500);
    } finally {
      await new Promise((r) => server.close(r));
    }
  },
);
