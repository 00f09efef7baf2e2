/**
 * Issue 9, item 3 over real HTTP: `[H=$1]` names a handler from request data, `[E=name:v]` an
 * environment variable. `/h/constructor` used to call `Object()` as the handler and the request
 * never got an answer; `[E=__proto__:x]` vanished from `req.rewrite.env`.
 */
import {
  createServer,
  get,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rewrite, rewriteInfo, site } from '../../lib/index';

const KEYS = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'] as const;

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

async function listen(handler: Listener): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

/** GET with a 3 s limit: a request that gets no answer fails the test instead of hanging it. */
function fetchText(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => {
      req.destroy(new Error(`no answer for ${path} within 3 s`));
    });
    req.on('error', reject);
  });
}

describe('rewrite(): [H=$1] resolves only registered handlers', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    const mw = rewrite('RewriteEngine on\nRewriteRule ^/h/(.*)$ - [H=$1]', {
      handlers: {
        known: (_req, res) => {
          res.end('known handler');
        },
      },
    });
    ({ server, port } = await listen((req, res) =>
      mw(req, res, () => {
        res.statusCode = 404;
        res.end('no handler');
      }),
    ));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  test('a registered name runs its handler', async () => {
    expect(await fetchText(port, '/h/known')).toEqual({ status: 200, body: 'known handler' });
  });
  test.each(KEYS)('/h/%s is an unknown handler: next() answers', async (key) => {
    expect(await fetchText(port, `/h/${key}`)).toEqual({ status: 404, body: 'no handler' });
  });
});

describe('site(): [H=$1] resolves only registered handlers', () => {
  let root: string;
  let server: Server;
  let port: number;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'modrewrite-proto-'));
    mkdirSync(join(root, 'h'));
    for (const key of [...KEYS, 'known']) writeFileSync(join(root, 'h', key), `file ${key}`);
    const mw = site({
      root,
      htaccess: false,
      log: () => {},
      config: 'RewriteEngine on\nRewriteRule ^/h/(.*)$ - [H=$1]',
      handlers: {
        known: (_req, res) => {
          res.end('known handler');
        },
      },
    });
    ({ server, port } = await listen((req, res) =>
      mw(req, res, () => {
        res.statusCode = 404;
        res.end('fell through');
      }),
    ));
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(root, { recursive: true, force: true });
  });

  test('a registered name runs its handler', async () => {
    expect(await fetchText(port, '/h/known')).toEqual({ status: 200, body: 'known handler' });
  });
  test.each(KEYS)(
    '/h/%s is an unknown handler: the default handler serves the file',
    async (key) => {
      expect(await fetchText(port, `/h/${key}`)).toEqual({ status: 200, body: `file ${key}` });
    },
  );
});

describe('[E=name:value] with prototype names lands in req.rewrite.env as an own property', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    const mw = rewrite('RewriteEngine on\nRewriteRule ^/e/(.*)$ - [E=$1:set]');
    ({ server, port } = await listen((req, res) =>
      mw(req, res, () => {
        const env = rewriteInfo(req)?.env ?? {};
        res.end(JSON.stringify({ keys: Object.keys(env), own: Object.entries(env) }));
      }),
    ));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  test.each(KEYS)('%s', async (key) => {
    const { body } = await fetchText(port, `/e/${key}`);
    expect(JSON.parse(body)).toEqual({ keys: [key], own: [[key, 'set']] });
  });
});
