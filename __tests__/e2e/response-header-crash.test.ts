/**
 * Issue 9, item 13: "one request kills the process". A capture that reaches a response header
 * ([CO=lang:$1:…], [T=$1], [R,NE], http://$1/x [R], --debug-headers with [E=$1:v]) decoded from
 * `%0d%0a` made `res.setHeader` throw ERR_INVALID_CHAR; outside Express's synchronous catch the
 * throw became an unhandled rejection and the process exited. Apache 2.4.71 answers 500
 * (AH02430 "Response header 'Location' value of 'http://x/a\r\nSet-Cookie:x=1' contains invalid
 * characters, aborting request"; the redirect's page adds "Additionally, a 302 Found error was
 * encountered while trying to use an ErrorDocument to handle the request."). Every setting must
 * answer 500, keep serving (a follow-up request succeeds) and leave no unhandled rejection.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http, { type Server } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express5 from 'express';
import { htaccess, rewrite, site } from '../../lib/index';
import { startServe, type ServeChild } from '../helpers/serve-child';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const express4 = require('express4') as typeof express5;

const SERVER_RULES = [
  'RewriteEngine on',
  'RewriteRule ^/co/(.*)$ /ok [CO=lang:$1:localhost]',
  'RewriteRule ^/t/(.*)$ /ok [T=$1]',
  'RewriteRule ^/r/(.*)$ http://x/$1 [R,NE]',
  'RewriteRule ^/h/(.*)$ http://$1/x [R]',
  'RewriteRule ^/e/(.*)$ /ok [E=$1:v]',
].join('\n');

/** The same rules behind an asynchronous map: the answer happens after an await. */
const ASYNC_RULES = [
  'RewriteEngine on',
  'RewriteRule ^/co/(.*)$ /ok [CO=lang:${slow:$1}:localhost]',
  'RewriteRule ^/t/(.*)$ /ok [T=${slow:$1}]',
  'RewriteRule ^/r/(.*)$ http://x/${slow:$1} [R,NE]',
  'RewriteRule ^/h/(.*)$ http://${slow:$1}/x [R]',
].join('\n');

// per-directory: [T] on a rewrite is dropped by the internal redirect (a note, recorded), so [T] with `-`
const DIRECTORY_RULES = SERVER_RULES.replace(/\^\//g, '^').replace('^t/(.*)$ /ok', '^t/(.*)$ -');

const HEADER_VECTORS = [
  '/co/a%0d%0aX:1',
  '/t/a%0d%0aX:1',
  '/r/a%0d%0aSet-Cookie:x=1',
  '/h/a%0d%0aX:1',
];
const REDIRECT_VECTORS = new Set(['/r/a%0d%0aSet-Cookie:x=1', '/h/a%0d%0aX:1']);
const DEBUG_VECTOR = '/e/a%0d%0aX';

const slow = async (key: string): Promise<string> => {
  await new Promise((r) => setTimeout(r, 1));
  return key;
};

let tmp: string;
const rejections: unknown[] = [];
const onRejection = (reason: unknown): void => {
  rejections.push(reason);
};
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'modrewrite-crash-'));
  writeFileSync(join(tmp, 'ok'), 'OK\n');
  writeFileSync(join(tmp, '.htaccess'), DIRECTORY_RULES + '\n');
  process.on('unhandledRejection', onRejection);
});
afterAll(() => {
  process.off('unhandledRejection', onRejection);
  rmSync(tmp, { recursive: true, force: true });
});
afterEach(() => expect(rejections).toEqual([]));

interface Answer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** A raw GET with a short deadline: a request that is never answered fails instead of hanging. */
function get(port: number, target: string): Promise<Answer> {
  return new Promise((ok, fail) => {
    const req = http.get(
      {
        host: '127.0.0.1',
        port,
        path: target,
        headers: { host: 'localhost' },
        agent: false,
        timeout: 3000,
      },
      (res) => {
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => ok({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('timeout', () => {
      req.destroy(new Error(`no answer for ${target}`));
    });
    req.on('error', fail);
  });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

function expressApp(express: typeof express5, middleware: express5.RequestHandler): Server {
  const app = express();
  app.use(middleware);
  app.get('/ok', (_req, res) => {
    res.send('OK');
  });
  return http.createServer(app);
}

function plainServer(
  middleware: (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    next?: (err?: unknown) => void,
  ) => void,
): Server {
  return http.createServer((req, res) => {
    if (req.url === '/ok') {
      res.end('OK');
      return;
    }
    middleware(req, res);
  });
}

const settings: ReadonlyArray<readonly [string, () => Server, readonly string[]]> = [
  [
    'rewrite() under Express 5',
    () => expressApp(express5, rewrite(SERVER_RULES) as express5.RequestHandler),
    HEADER_VECTORS,
  ],
  [
    'rewrite() under Express 4',
    () => expressApp(express4, rewrite(SERVER_RULES) as express5.RequestHandler),
    HEADER_VECTORS,
  ],
  ['rewrite() on node:http', () => plainServer(rewrite(SERVER_RULES)), HEADER_VECTORS],
  [
    'rewrite() with an async map under Express 5',
    () => expressApp(express5, rewrite(ASYNC_RULES, { maps: { slow } }) as express5.RequestHandler),
    HEADER_VECTORS,
  ],
  [
    'rewrite() with an async map on node:http',
    () => plainServer(rewrite(ASYNC_RULES, { maps: { slow } })),
    HEADER_VECTORS,
  ],
  [
    'htaccess() under Express 5',
    () => expressApp(express5, htaccess({ root: tmp }) as express5.RequestHandler),
    HEADER_VECTORS,
  ],
  [
    'htaccess() under Express 4',
    () => expressApp(express4, htaccess({ root: tmp }) as express5.RequestHandler),
    HEADER_VECTORS,
  ],
  [
    'site() on node:http with debugHeaders',
    () =>
      http.createServer(
        site({
          root: tmp,
          config: SERVER_RULES,
          htaccess: false,
          debugHeaders: true,
          log: () => undefined,
        }),
      ),
    [...HEADER_VECTORS, DEBUG_VECTOR],
  ],
];

describe.each(settings)('a CR/LF reaching a response header: %s', (_name, makeServer, vectors) => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = makeServer();
    port = await listen(server);
  });
  afterAll(() => new Promise((r) => server.close(r)));

  test.each(vectors.map((v) => [v]))(
    '%s answers 500 and the server keeps serving',
    async (target) => {
      const answer = await get(port, target);
      expect(answer.status).toBe(500);
      expect(JSON.stringify(answer.headers)).not.toMatch(/x=1|"x"/i);
      const followUp = await get(port, '/ok');
      expect(followUp.status).toBe(200);
      expect(followUp.body).toMatch(/^OK/);
    },
  );
});

test('site(): the 500 page is Apache\'s, with "Additionally, a 302 Found" for a refused redirect (recorded)', async () => {
  const server = http.createServer(
    site({ root: tmp, config: SERVER_RULES, htaccess: false, log: () => undefined }),
  );
  const port = await listen(server);
  try {
    const redirect = await get(port, '/r/a%0d%0aSet-Cookie:x=1');
    expect(redirect.status).toBe(500);
    expect(redirect.headers['set-cookie']).toBeUndefined();
    expect(redirect.headers.location).toBeUndefined();
    expect(redirect.body).toContain('<title>500 Internal Server Error</title>');
    expect(redirect.body).toContain(
      '<p>Additionally, a 302 Found\nerror was encountered while trying to use an ErrorDocument to handle the request.</p>\n</body></html>',
    );
    const cookie = await get(port, '/co/a%0d%0aX:1');
    expect(cookie.status).toBe(500);
    expect(cookie.body).toContain('<h1>Internal Server Error</h1>');
    expect(cookie.body).not.toContain('Additionally');
  } finally {
    await new Promise((r) => server.close(r));
  }
});

describe('a CR/LF reaching a response header: modrewrite serve (a child process)', () => {
  let serve: ServeChild;
  let port = 0;
  beforeAll(async () => {
    expect(existsSync(join(__dirname, '../../dist/cjs/cli.js'))).toBe(true);
    mkdirSync(join(tmp, 'serve'), { recursive: true });
    writeFileSync(join(tmp, 'serve/ok'), 'OK\n');
    writeFileSync(join(tmp, 'serve.conf'), SERVER_RULES + '\n');
    serve = await startServe([
      '--root',
      join(tmp, 'serve'),
      '--config',
      join(tmp, 'serve.conf'),
      '--debug-headers',
      '--quiet',
    ]);
    port = serve.port;
  });
  afterAll(async () => {
    await serve?.stop();
  });

  test.each([...HEADER_VECTORS, DEBUG_VECTOR].map((v) => [v]))(
    '%s answers 500 and the process keeps serving',
    async (target) => {
      const answer = await get(port, target);
      expect(answer.status).toBe(500);
      expect(answer.body).toContain('<h1>Internal Server Error</h1>');
      if (REDIRECT_VECTORS.has(target)) expect(answer.body).toContain('Additionally, a 302 Found');
      const followUp = await get(port, '/ok');
      expect(followUp.status).toBe(200);
      expect(serve.child.exitCode).toBeNull();
    },
  );
});

/** A raw WebSocket handshake; resolves with what the server wrote before closing. */
function upgradeRequest(port: number, target: string, host = 'localhost'): Promise<string> {
  return new Promise((ok, fail) => {
    const socket = net.connect(port, '127.0.0.1', () =>
      socket.write(
        `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      ),
    );
    let text = '';
    socket.setEncoding('latin1');
    socket.setTimeout(3000, () => socket.destroy(new Error(`no answer for ${target}`)));
    socket.on('data', (d: string) => {
      text += d;
    });
    socket.on('close', () => ok(text));
    socket.on('error', fail);
  });
}

describe.each([
  ['rewrite().upgrade', () => rewrite(SERVER_RULES).upgrade],
  ['rewrite().upgrade with an async map', () => rewrite(ASYNC_RULES, { maps: { slow } }).upgrade],
  ['site().upgrade', () => site({ root: tmp, config: SERVER_RULES, htaccess: false }).upgrade],
] as const)('upgrade requests: %s', (_name, makeListener) => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer((_req, res) => res.end('OK'));
    server.on('upgrade', makeListener());
    port = await listen(server);
  });
  afterAll(() => new Promise((r) => server.close(r)));

  test('a redirect whose Location holds CR/LF is a 500 without the Location', async () => {
    const text = await upgradeRequest(port, '/r/a%0d%0aSet-Cookie:x=1');
    expect(text).toMatch(/^HTTP\/1\.1 500 /);
    expect(text).not.toMatch(/Location|Set-Cookie/i);
  });

  test('a redirect for an invalid Host is a 400 without the Location', async () => {
    const text = await upgradeRequest(port, '/r/ok', 'a@b');
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(text).not.toMatch(/Location/i);
  });
});
