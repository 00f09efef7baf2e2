/**
 * proxy() hardening (issue 9, items 1, 2, 10, 16, 18), each over real HTTP with real backends on
 * loopback: the standalone middleware in every framework, request bodies read by a parser before
 * [P], faults that are logged, path-only targets that cannot be steered by Host, and target
 * authorities that are refused instead of cleaned.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, LookupFunction } from 'node:net';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import connect from 'connect';
import createDebug from 'debug';
import express5 from 'express';
import request from 'supertest';
import { proxy, rewrite, site, type FaultInfo } from '../../lib/index';
import { main } from '../../lib/cli';
import { deadPort } from '../helpers/ports';
import { selfSignedCertificate } from '../helpers/self-signed';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const express4 = require('express4') as typeof express5;

const closers: (() => Promise<unknown> | void)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
});

/** Every name lookup the proxies attempt is counted and refused. */
const lookups: string[] = [];
const countingLookup: LookupFunction = (hostname, _opts, cb) => {
  lookups.push(hostname);
  (cb as (e: Error) => void)(
    Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }),
  );
};

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(
    () =>
      new Promise((r) => {
        (server as http.Server).closeAllConnections?.();
        server.close(r);
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** A backend that answers with what it received: method, url, headers and the body bytes. */
async function echoBackend(): Promise<{ port: number; hits: string[] }> {
  const hits: string[] = [];
  const port = await listen(
    http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        hits.push(`${req.method} ${req.url}`);
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            method: req.method,
            url: req.url,
            headers: req.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      });
    }),
  );
  return { port, hits };
}

/** A local service the proxy must never reach: counts whatever connects. */
async function victim(): Promise<{ port: number; hits: number[] }> {
  const hits: number[] = [];
  const server = net.createServer((c) => {
    hits.push(1);
    c.end('HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nVICTIM');
  });
  return { port: await listen(server), hits };
}

/** One raw request (to send what supertest would not: a tab in Host, a request-target of our choosing). */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1');
    let data = '';
    c.on('data', (d) => {
      data += d;
    });
    c.on('end', () => resolve(data));
    c.on('error', reject);
    c.write(text);
  });
}

describe('issue 9 item 1: standalone proxy() is a 3-parameter middleware', () => {
  const frameworks: [string, () => { use: (...a: unknown[]) => unknown } & http.RequestListener][] =
    [
      ['Express 4', () => express4() as never],
      ['Express 5', () => express5() as never],
      ['Connect', () => connect() as never],
    ];

  test.each(frameworks)(
    'app.use("/api", proxy({ target })) reaches the backend under %s',
    async (_name, makeApp) => {
      const backend = await echoBackend();
      const p = proxy({ target: `http://127.0.0.1:${backend.port}/base`, lookup: countingLookup });
      closers.push(() => p.close());
      expect(p.length).toBe(3);
      const app = makeApp();
      app.use('/api', p);
      app.use((_req: http.IncomingMessage, res: http.ServerResponse) => {
        res.statusCode = 299;
        res.end('not proxied');
      });
      const port = await listen(http.createServer(app));
      const res = await request(`http://127.0.0.1:${port}`).get('/api/items?x=1');
      expect(res.status).toBe(200);
      expect(res.body.url).toBe('/base/items?x=1');
      expect(backend.hits).toEqual(['GET /base/items?x=1']);
    },
  );

  test('rewrite() still hands [P] to it (by its symbol-keyed method), and a plain 4-parameter ProxyHandler still works', async () => {
    const backend = await echoBackend();
    const p = proxy({ lookup: countingLookup });
    closers.push(() => p.close());
    const app = express5();
    app.use(rewrite(`RewriteRule ^/p/(.*)$ http://127.0.0.1:${backend.port}/$1 [P]`, { proxy: p }));
    app.use(
      rewrite(`RewriteRule ^/own/(.*)$ http://127.0.0.1:${backend.port}/$1 [P]`, {
        proxy: (_req, res, _next, hand) => {
          res.end(`own ${hand.target}`);
        },
      }),
    );
    const port = await listen(http.createServer(app));
    expect((await request(`http://127.0.0.1:${port}`).get('/p/a')).body.url).toBe('/a');
    expect((await request(`http://127.0.0.1:${port}`).get('/own/b')).text).toBe(
      `own http://127.0.0.1:${backend.port}/b`,
    );
  });
});

describe('issue 9 item 2: a request body read before [P] is never forwarded as empty', () => {
  async function frontWith(
    makeApp: () => { use: (...a: unknown[]) => unknown } & http.RequestListener,
    parsers: unknown[],
    backendPort: number,
    log?: (line: string, info: FaultInfo) => void,
  ) {
    const p = proxy({ lookup: countingLookup, log });
    closers.push(() => p.close());
    const app = makeApp();
    for (const parser of parsers) app.use(parser);
    app.use(rewrite(`RewriteRule ^/p/(.*)$ http://127.0.0.1:${backendPort}/$1 [P]`, { proxy: p }));
    return `http://127.0.0.1:${await listen(http.createServer(app))}`;
  }

  const received = (res: request.Response) =>
    res.body as { body: string; headers: Record<string, string> };

  test.each([
    ['Express 5', () => express5() as never, express5],
    ['Express 4', () => express4() as never, express4],
  ] as const)(
    '%s: json(), urlencoded() (flat and nested) and text() bodies are re-serialised with matching Content-Type and Content-Length',
    async (_name, makeApp, ex) => {
      const backend = await echoBackend();
      const json = await frontWith(makeApp, [ex.json()], backend.port);
      const payload = { name: 'Zoë', list: [1, 2, { deep: true }], nothing: null };
      const r1 = await request(json)
        .post('/p/json')
        .set('Content-Type', 'application/json; charset=utf-8')
        .send(JSON.stringify(payload));
      expect(r1.status).toBe(200);
      expect(JSON.parse(received(r1).body)).toEqual(payload);
      expect(Number(received(r1).headers['content-length'])).toBe(
        Buffer.byteLength(received(r1).body),
      );
      expect(received(r1).headers['content-type']).toBe('application/json; charset=utf-8');

      const flat = await frontWith(makeApp, [ex.urlencoded({ extended: false })], backend.port);
      const r2 = await request(flat).post('/p/form').type('form').send('a=1&a=2&b=x%20y&c=%26%3D');
      expect(new URLSearchParams(received(r2).body).getAll('a')).toEqual(['1', '2']);
      expect(new URLSearchParams(received(r2).body).get('b')).toBe('x y');
      expect(new URLSearchParams(received(r2).body).get('c')).toBe('&=');
      expect(received(r2).headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(Number(received(r2).headers['content-length'])).toBe(
        Buffer.byteLength(received(r2).body),
      );

      // the nested form parsed again by the same parser gives the same object
      const nested = await frontWith(makeApp, [ex.urlencoded({ extended: true })], backend.port);
      const form = 'user[name]=ann&user[tags][]=x&ids[]=7&ids[]=8&one[]=only';
      const r3 = await request(nested).post('/p/nested').type('form').send(form);
      const reparse = express5();
      reparse.use(express5.urlencoded({ extended: true }));
      reparse.use((req, res) => {
        res.json(req.body);
      });
      const original = (await request(reparse).post('/').type('form').send(form)).body;
      const forwarded = (await request(reparse).post('/').type('form').send(received(r3).body))
        .body;
      expect(forwarded).toEqual(original);

      const text = await frontWith(makeApp, [ex.text()], backend.port);
      const r4 = await request(text)
        .post('/p/text')
        .set('Content-Type', 'text/plain')
        .send('plain é text');
      expect(received(r4).body).toBe('plain é text');
      expect(Number(received(r4).headers['content-length'])).toBe(
        Buffer.byteLength('plain é text'),
      );
    },
  );

  test('raw() leaves a Buffer: forwarded byte for byte; chunked and gzip uploads parsed by json() are re-framed with Content-Length, identity', async () => {
    const backend = await echoBackend();
    const raw = await frontWith(
      () => express5() as never,
      [express5.raw({ type: 'application/octet-stream' })],
      backend.port,
    );
    const r1 = await request(raw)
      .post('/p/raw')
      .set('Content-Type', 'application/octet-stream')
      .send(Buffer.from('bytes\u0000\u00ff'));
    expect(received(r1).body).toBe(Buffer.from('bytes\u0000\u00ff').toString('utf8'));
    const json = await frontWith(() => express5() as never, [express5.json()], backend.port);
    const port = Number(new URL(json).port);
    const answer = await rawRequest(
      port,
      'POST /p/chunked HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n9\r\n{"a":"b"}\r\n0\r\n\r\n',
    );
    const body = JSON.parse(
      answer
        .slice(answer.indexOf('\r\n\r\n') + 4)
        .replace(/^[0-9a-f]+\r\n/, '')
        .replace(/\r\n0\r\n\r\n$/, ''),
    );
    expect(JSON.parse(body.body)).toEqual({ a: 'b' });
    expect(body.headers['transfer-encoding']).toBeUndefined();
    expect(body.headers['content-length']).toBe('9');
    // json() inflated a gzip body: the backend gets the identity encoding, not a stale Content-Encoding
    const gz = gzipSync('{"z":[1,2]}');
    const r2 = await new Promise<{ body: string; headers: Record<string, string> }>(
      (resolve, reject) => {
        const q = http.request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/p/gz',
            headers: {
              'content-type': 'application/json',
              'content-encoding': 'gzip',
              'content-length': gz.length,
            },
          },
          (res) => {
            let text = '';
            res.on('data', (d) => {
              text += d;
            });
            res.on('end', () => resolve(JSON.parse(text)));
          },
        );
        q.on('error', reject);
        q.end(gz);
      },
    );
    expect(JSON.parse(r2.body)).toEqual({ z: [1, 2] });
    expect(r2.headers['content-encoding']).toBeUndefined();
    expect(r2.headers['content-length']).toBe(String(Buffer.byteLength('{"z":[1,2]}')));
  });

  test('a stream read without a parsed body (a raw read) is a 500 with ERR_PROXY_BODY_CONSUMED logged; the backend is not called', async () => {
    const backend = await echoBackend();
    const logged: FaultInfo[] = [];
    const drain = (req: http.IncomingMessage, _res: http.ServerResponse, next: () => void) => {
      req.on('data', () => undefined);
      req.on('end', () => next());
    };
    const front = await frontWith(
      () => express5() as never,
      [drain],
      backend.port,
      (_line, info) => logged.push(info),
    );
    const res = await request(front)
      .post('/p/lost')
      .set('Content-Type', 'application/json')
      .send('{"a":1}');
    expect(res.status).toBe(500);
    expect(backend.hits).toEqual([]);
    expect(logged.map((i) => [i.kind, (i.error as { code?: string }).code])).toEqual([
      ['body-consumed', 'ERR_PROXY_BODY_CONSUMED'],
    ]);
    // with errorDocument 'next' the coded error reaches the app's error handler
    const p = proxy({ errorDocument: 'next', lookup: countingLookup });
    closers.push(() => p.close());
    const app = express5();
    app.use(drain);
    app.use(rewrite(`RewriteRule ^/p/(.*)$ http://127.0.0.1:${backend.port}/$1 [P]`, { proxy: p }));
    app.use(
      (
        err: { code?: string; status?: number },
        _req: express5.Request,
        res: express5.Response,
        _next: express5.NextFunction,
      ) => {
        res.status(err.status ?? 599).send(String(err.code));
      },
    );
    const viaNext = await request(app)
      .post('/p/lost')
      .set('Content-Type', 'application/json')
      .send('{"a":1}');
    expect([viaNext.status, viaNext.text]).toEqual([500, 'ERR_PROXY_BODY_CONSUMED']);
  });
});

describe('issue 9 item 10: proxy faults are logged by default', () => {
  test('refused, TLS, reset and timeout each reach debug("modrewrite:proxy") and the log option', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modrewrite-tls-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    const { key, cert } = selfSignedCertificate(dir);
    const tlsPort = await listen(https.createServer({ key, cert }, (_q, s) => s.end('x')));
    const resetPort = await listen(net.createServer((c) => c.on('data', () => c.destroy())));
    const slowPort = await listen(http.createServer(() => undefined));
    const refused = await deadPort();
    const hooked: string[] = [];
    const debugged: string[] = [];
    const namespaces = process.env.DEBUG;
    createDebug.enable('modrewrite:proxy');
    const debugLog = createDebug.log;
    createDebug.log = (...args: unknown[]) => {
      debugged.push(args.map(String).join(' '));
    };
    try {
      const p = proxy({
        headersTimeout: 300,
        lookup: countingLookup,
        log: (line) => hooked.push(line),
      });
      closers.push(() => p.close());
      const app = express5();
      app.use(
        rewrite(
          [
            `RewriteRule ^/refused$ http://127.0.0.1:${refused}/ [P]`,
            `RewriteRule ^/tls$ https://127.0.0.1:${tlsPort}/ [P]`,
            `RewriteRule ^/reset$ http://127.0.0.1:${resetPort}/ [P]`,
            `RewriteRule ^/slow$ http://127.0.0.1:${slowPort}/ [P]`,
          ].join('\n'),
          { proxy: p },
        ),
      );
      const statuses = [];
      for (const path of ['/refused', '/tls', '/reset', '/slow'])
        statuses.push((await request(app).get(path)).status);
      expect(statuses).toEqual([502, 502, 502, 504]);
      expect(hooked.map((l) => /proxy (\S+):/.exec(l)?.[1])).toEqual([
        'refused',
        'tls',
        'reset',
        'timeout',
      ]);
      expect(hooked[0]).toContain(`GET /refused -> http://127.0.0.1:${refused}/`);
      expect(debugged.filter((l) => l.includes('modrewrite:proxy')).length).toBe(4);
    } finally {
      createDebug.log = debugLog;
      if (namespaces) createDebug.enable(namespaces);
      else createDebug.disable();
    }
  });

  test('modrewrite serve writes proxy faults to its error log (stderr)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modrewrite-serve-log-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    const refused = await deadPort();
    writeFileSync(
      join(dir, 'site.conf'),
      `RewriteEngine on\nRewriteRule ^/down$ http://127.0.0.1:${refused}/x [P]\n`,
    );
    const out: string[] = [];
    const err: string[] = [];
    const server = (await main(
      ['serve', '--root', dir, '--config', join(dir, 'site.conf'), '--port', '0', '--quiet'],
      { out: (l) => out.push(l), err: (l) => err.push(l) },
    )) as http.Server;
    try {
      const res = await request(`http://127.0.0.1:${(server.address() as AddressInfo).port}`).get(
        '/down',
      );
      expect(res.status).toBe(503);
      expect(err.join('\n')).toMatch(
        new RegExp(
          `proxy refused: GET /down -> http://127\\.0\\.0\\.1:${refused}/x: .*ECONNREFUSED.*\\(answered 503\\)`,
        ),
      );
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('issue 9 item 16: a path-only [P] target is this server, whatever Host says', () => {
  const rules = 'RewriteRule ^/self/(.*)$ /real/$1 [P]';

  test.each(['rewrite', 'site'] as const)(
    '%s(): Host naming another local port or a name never reaches it, and nothing is looked up',
    async (kind) => {
      const other = await victim();
      const p = proxy({ lookup: countingLookup });
      closers.push(() => p.close());
      const app = express5();
      const root = mkdtempSync(join(tmpdir(), 'modrewrite-self-'));
      closers.push(() => rmSync(root, { recursive: true, force: true }));
      if (kind === 'rewrite') app.use(rewrite(rules, { proxy: p }));
      else
        app.use(site({ root, config: `RewriteEngine on\n${rules}`, proxy: p, fallthrough: true }));
      app.get('/real/:x', (req, res) => {
        res.send(`self ${req.params.x} host ${req.headers.host}`);
      });
      const port = await listen(http.createServer(app));
      lookups.length = 0;
      const a = await rawRequest(
        port,
        `GET /self/a HTTP/1.1\r\nHost: 127.0.0.1:${other.port}\r\nConnection: close\r\n\r\n`,
      );
      expect(a).toMatch(/^HTTP\/1\.1 200 /);
      expect(a).toContain(`self a host 127.0.0.1:${other.port}`);
      const b = await rawRequest(
        port,
        'GET /self/b HTTP/1.1\r\nHost: name.invalid:80\r\nConnection: close\r\n\r\n',
      );
      expect(b).toContain('self b host name.invalid:80');
      const c = await rawRequest(
        port,
        'GET /self/c HTTP/1.1\r\nHost: name.invalid\r\nConnection: close\r\n\r\n',
      );
      expect(c).toContain('self c host name.invalid');
      expect(other.hits).toEqual([]);
      expect(lookups).toEqual([]);
    },
  );

  test('a WebSocket handshake (rewrite().upgrade) to a path-only [P] target stays on this server too', async () => {
    const other = await victim();
    const p = proxy({ lookup: countingLookup });
    closers.push(() => p.close());
    const mw = rewrite('RewriteRule ^/ws$ /elsewhere [P]', { proxy: p });
    const server = http.createServer((_req, res) => res.end());
    server.on('upgrade', (req, socket, head) => mw.upgrade(req, socket, head));
    const port = await listen(server);
    lookups.length = 0;
    const answer = await rawRequest(
      port,
      `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${other.port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    );
    // this server's own answer for /elsewhere (no rule: 404), relayed
    expect(answer).toMatch(/^HTTP\/1\.1 404 /);
    expect(other.hits).toEqual([]);
    expect(lookups).toEqual([]);
  });

  test('an absolute [P] target still goes where it says', async () => {
    const backend = await echoBackend();
    const p = proxy({ lookup: countingLookup });
    closers.push(() => p.close());
    const app = express5();
    app.use(
      rewrite(`RewriteRule ^/abs/(.*)$ http://127.0.0.1:${backend.port}/$1 [P]`, { proxy: p }),
    );
    const port = await listen(http.createServer(app));
    const res = await rawRequest(
      port,
      'GET /abs/z HTTP/1.1\r\nHost: elsewhere.invalid\r\nConnection: close\r\n\r\n',
    );
    expect(res).toContain('"url":"/z"');
  });
});

describe('issue 9 item 18: invalid [P] target authorities are refused (Apache: 500), not cleaned by the URL parser', () => {
  test.each([
    ['a tab after the host', '127.0.0.1%09:VICTIM'],
    ['a tab after the port', '127.0.0.1:VICTIM%09'],
    ['a space', '127.0.0.1:VICTIM%20'],
    ['CR/LF after the port', '127.0.0.1:VICTIM%0d%0aX:y'],
    ['CR/LF after the host', '127.0.0.1%0d%0a:VICTIM'],
    ['a space after the host', '127.0.0.1%20:VICTIM'],
    ['a <', '127.0.0.1:VICTIM%3c'],
    ['%-escapes the URL parser would decode to the denied host', '%2531%2532%2537.0.0.1:VICTIM'],
    ['an empty port (Apache: 500)', '127.0.0.1:'],
    ['a second port', '127.0.0.1:VICTIM:1'],
    ['letters in the port', '127.0.0.1:VICTIMx'],
  ])('%s (past a RewriteCond denylist, with and without NE)', async (_what, authority) => {
    const other = await victim();
    const p = proxy({ lookup: countingLookup });
    closers.push(() => p.close());
    // the denylist an administrator wrote: never the service on VICTIM
    const rules = [
      `RewriteCond $1 !^127\\.0\\.0\\.1:${other.port}$`,
      'RewriteRule ^/h/([^/]*)/(.*)$ http://$1/$2 [P]',
      `RewriteCond $1 !^127\\.0\\.0\\.1:${other.port}$`,
      'RewriteRule ^/ne/([^/]*)/(.*)$ http://$1/$2 [P,NE]',
    ].join('\n');
    const app = express5();
    app.use(rewrite(rules, { proxy: p }));
    const port = await listen(http.createServer(app));
    lookups.length = 0;
    const target = authority.replace('VICTIM', String(other.port));
    for (const prefix of ['/h/', '/ne/']) {
      const res = await rawRequest(
        port,
        `GET ${prefix}${target}/x HTTP/1.1\r\nHost: front\r\nConnection: close\r\n\r\n`,
      );
      // [NE] with a control character or space is mod_rewrite's 403 before the proxy sees it
      expect(res).toMatch(
        prefix === '/ne/' && /%(09|20|0d)/.test(target) ? /^HTTP\/1\.1 403 / : /^HTTP\/1\.1 500 /,
      );
    }
    expect(other.hits).toEqual([]);
    expect(lookups).toEqual([]);
  });

  test('the log line of a refused target escapes its control characters (no forged log lines); a bad standalone target throws ERR_OPTIONS', async () => {
    const lines: string[] = [];
    const p = proxy({ lookup: countingLookup, log: (line) => lines.push(line) });
    closers.push(() => p.close());
    const app = express5();
    app.use(rewrite('RewriteRule ^/h/([^/]*)/(.*)$ http://$1/$2 [P]', { proxy: p }));
    const res = await request(app).get('/h/127.0.0.1%0d%0a[error]%20forged:1/x');
    expect(res.status).toBe(500);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/[\r\n]/);
    expect(lines[0]).toContain('\\x0d\\x0a[error]');
    expect(() => proxy({ target: 'http://127.0.0.1\t:1/' })).toThrow(
      expect.objectContaining({ code: 'ERR_OPTIONS' }),
    );
    expect(() => proxy({ target: 'http://127.0.0.1:1' })).not.toThrow();
  });

  test('userinfo is dropped as apr_uri_parse does; a valid authority is proxied', async () => {
    const backend = await echoBackend();
    const p = proxy({ lookup: countingLookup });
    closers.push(() => p.close());
    const app = express5();
    app.use(rewrite('RewriteRule ^/h/([^/]*)/(.*)$ http://$1/$2 [P]', { proxy: p }));
    const port = await listen(http.createServer(app));
    expect(
      (await request(`http://127.0.0.1:${port}`).get(`/h/127.0.0.1:${backend.port}/ok`)).body.url,
    ).toBe('/ok');
    const withUser = await request(`http://127.0.0.1:${port}`).get(
      `/h/user%40127.0.0.1:${backend.port}/ok`,
    );
    expect(withUser.body.headers.host).toBe(`127.0.0.1:${backend.port}`);
  });

  test('preserveHost: a Host with a tab is a 400 and is not sent on', async () => {
    const backend = await echoBackend();
    const p = proxy({ preserveHost: true, lookup: countingLookup });
    closers.push(() => p.close());
    const app = express5();
    app.use(rewrite(`RewriteRule ^/p/(.*)$ http://127.0.0.1:${backend.port}/$1 [P]`, { proxy: p }));
    const port = await listen(http.createServer(app));
    const bad = await rawRequest(
      port,
      'GET /p/x HTTP/1.1\r\nHost: front\tevil\r\nConnection: close\r\n\r\n',
    );
    expect(bad).toMatch(/^HTTP\/1\.1 400 /);
    expect(backend.hits).toEqual([]);
    const good = await rawRequest(
      port,
      'GET /p/x HTTP/1.1\r\nHost: front.example:8080\r\nConnection: close\r\n\r\n',
    );
    expect(good).toContain('"host":"front.example:8080"');
  });
});
