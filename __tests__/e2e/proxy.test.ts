/**
 * proxy(): the [P] hand-off over real HTTP with real backends on loopback — header hygiene,
 * pooling, streaming, HTTP/1.0 and chunked clients, 100-continue, trailers, ProxyPassReverse,
 * WebSockets, https/unix/self targets, faults and error documents. No name is ever looked up: the
 * proxies get a `lookup` that refuses every name.
 */
import { createHash } from 'node:crypto';
import express from 'express';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, LookupFunction } from 'node:net';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { WebSocket, WebSocketServer } from 'ws';
import { proxy, rewrite, autostart, APACHE_FAULT_STATUS } from '../../lib/index';
import { deadPort } from '../helpers/ports';
import { selfSignedCertificate } from '../helpers/self-signed';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const harness = require('../../conformance/harness.cjs');

const noLookup: LookupFunction = (hostname, _opts, cb) => {
  const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  (cb as (e: Error) => void)(err);
};

const closers: (() => Promise<unknown> | void)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
});
let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'modrewrite-proxy-'));
  closers.push(() => rmSync(tmp, { recursive: true, force: true }));
});

async function listen(server: http.Server | https.Server, path?: string): Promise<number> {
  await new Promise<void>((r) =>
    path ? server.listen(path, r) : server.listen(0, '127.0.0.1', r),
  );
  closers.push(
    () =>
      new Promise((r) => {
        server.closeAllConnections?.();
        server.close(r);
      }),
  );
  return path ? 0 : (server.address() as AddressInfo).port;
}

/** A backend that answers with what it received. */
function echoBackend(extra?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean) {
  const connections = { count: 0 };
  const server = http.createServer((req, res) => {
    if (extra?.(req, res)) return;
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
      hash.update(c);
    });
    req.on('end', () => {
      res.writeHead(200, {
        'content-type': 'application/json',
        connection: 'x-secret',
        'x-secret': 'hop',
        'keep-alive': 'timeout=77',
      });
      res.end(
        JSON.stringify({
          method: req.method,
          url: req.url,
          headers: req.headers,
          bytes,
          sha256: hash.digest('hex'),
        }),
      );
    });
  });
  server.on('connection', () => {
    connections.count++;
  });
  return { server, connections };
}

function front(rules: string, p: ReturnType<typeof proxy>) {
  const app = express();
  app.use(rewrite(rules, { proxy: p }));
  app.use((_req, res) => {
    res.status(299).send('not proxied');
  });
  return app;
}

describe('header hygiene and forwarding', () => {
  test("hop-by-hop out both ways (incl. Connection tokens), X-Forwarded-* set, inbound ones dropped, Host the backend's", async () => {
    const { server } = echoBackend();
    const port = await listen(server);
    const p = proxy({ serverName: 'front.example', lookup: noLookup });
    closers.push(() => p.close());
    const res = await request(front(`RewriteRule ^/app/(.*)$ http://127.0.0.1:${port}/$1 [P]`, p))
      .get('/app/x?y=1')
      .set('Host', 'www.example.info')
      .set('Connection', 'keep-alive, X-Private')
      .set('X-Private', 'secret')
      .set('X-Forwarded-For', '6.6.6.6')
      .set('Forwarded', 'for=6.6.6.6')
      .set('TE', 'trailers, deflate')
      .set('Proxy-Authorization', 'Basic x');
    expect(res.status).toBe(200);
    const h = JSON.parse(res.text).headers;
    expect(JSON.parse(res.text).url).toBe('/x?y=1');
    expect(h.host).toBe(`127.0.0.1:${port}`);
    expect(h['x-private']).toBeUndefined();
    expect(h['proxy-authorization']).toBeUndefined();
    expect(h.te).toBe('trailers');
    expect(h['x-forwarded-for']).toBe('127.0.0.1');
    expect(h['x-forwarded-host']).toBe('www.example.info');
    expect(h['x-forwarded-server']).toBe('front.example');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h.forwarded).toBeUndefined();
    expect(res.headers['x-secret']).toBeUndefined();
    expect(res.headers['keep-alive']).not.toBe('timeout=77'); // node's own for the client connection may be there
  });

  test('trustProxy keeps and appends; Forwarded, Via and preserveHost on request', async () => {
    const { server } = echoBackend();
    const port = await listen(server);
    const p = proxy({
      trustProxy: 'loopback',
      forwarded: true,
      via: 'front',
      preserveHost: true,
      serverName: 'f',
      lookup: noLookup,
    });
    closers.push(() => p.close());
    const res = await request(front(`RewriteRule ^(.*)$ http://127.0.0.1:${port}$1 [P]`, p))
      .get('/z')
      .set('Host', 'www.example.info')
      .set('X-Forwarded-For', '203.0.113.9');
    const body = JSON.parse(res.text);
    expect(body.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    // each hop adds the node it was contacted by (RFC 7239); the client's address stays in X-Forwarded-For
    expect(body.headers.forwarded).toBe('for=127.0.0.1;host=www.example.info;proto=http');
    expect(body.headers.via).toBe('1.1 front');
    expect(body.headers.host).toBe('www.example.info');
    expect(res.headers.via).toBe('1.1 front');
  });
});

describe('connections and bodies', () => {
  test('a keep-alive pool: 50 sequential requests reuse one backend connection', async () => {
    const { server, connections } = echoBackend();
    const port = await listen(server);
    const p = proxy({ lookup: noLookup });
    closers.push(() => p.close());
    const app = front(`RewriteRule ^(.*)$ http://127.0.0.1:${port}$1 [P]`, p);
    const fport = await listen(http.createServer(app));
    for (let i = 0; i < 50; i++)
      expect((await request(`http://127.0.0.1:${fport}`).get(`/n${i}`)).status).toBe(200);
    expect(connections.count).toBe(1);
  });

  test('uploads stream through intact (content-length and chunked), 100-continue works', async () => {
    const { server } = echoBackend();
    const port = await listen(server);
    const p = proxy({ lookup: noLookup });
    closers.push(() => p.close());
    const fport = await listen(
      http.createServer(front(`RewriteRule ^(.*)$ http://127.0.0.1:${port}$1 [P]`, p)),
    );
    const data = Buffer.alloc(5 * 1024 * 1024, 'abcdefgh');
    const sha = createHash('sha256').update(data).digest('hex');
    const send = (headers: Record<string, string>, chunked: boolean) =>
      new Promise<{ status: number; body: { bytes: number; sha256: string } }>(
        (resolve, reject) => {
          const req = http.request(
            { port: fport, host: '127.0.0.1', method: 'PUT', path: '/up', headers },
            (res) => {
              let b = '';
              res.on('data', (c) => {
                b += c;
              });
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(b) }));
            },
          );
          req.on('error', reject);
          if (headers.expect) req.on('continue', () => req.end(data));
          else if (chunked) {
            for (let i = 0; i < data.length; i += 65536) req.write(data.subarray(i, i + 65536));
            req.end();
          } else req.end(data);
        },
      );
    for (const r of [
      await send({ 'content-length': String(data.length) }, false),
      await send({}, true),
      await send({ expect: '100-continue', 'content-length': String(data.length) }, false),
    ]) {
      expect(r.status).toBe(200);
      expect(r.body.bytes).toBe(data.length);
      expect(r.body.sha256).toBe(sha);
    }
  });

  test('an HTTP/1.0 client gets a complete, non-chunked answer; trailers reach a client that asked', async () => {
    const server = http.createServer((req, res) => {
      if (req.url === '/trailers') {
        res.writeHead(200, { trailer: 'x-checksum' });
        res.write('part1;');
        res.addTrailers({ 'x-checksum': 'abc123' });
        res.end('part2');
        return;
      }
      res.end('hello 1.0 client');
    });
    const port = await listen(server);
    const p = proxy({ lookup: noLookup });
    closers.push(() => p.close());
    const fport = await listen(
      http.createServer(front(`RewriteRule ^(.*)$ http://127.0.0.1:${port}$1 [P]`, p)),
    );
    const old = await harness.rawRequest(fport, { target: '/x', protocol: 'HTTP/1.0' }, 'h');
    expect(old.status).toBe(200);
    expect(old.body).toBe('hello 1.0 client');
    expect(old.headers['transfer-encoding']).toBeUndefined();
    const raw = await rawExchange(
      fport,
      'GET /trailers HTTP/1.1\r\nHost: h\r\nTE: trailers\r\nConnection: close\r\n\r\n',
    );
    expect(raw).toMatch(/transfer-encoding: chunked/i);
    expect(raw).toMatch(/part1;/);
    expect(raw).toMatch(/\r\n0\r\nx-checksum: abc123\r\n\r\n$/i);
  });
});

describe('ProxyPassReverse', () => {
  test('Location, Content-Location and URI on the backend origin map to the front; other hosts and cookies per options', async () => {
    let bport = 0;
    const server = http.createServer((_req, res) => {
      res.setHeader('Location', `http://127.0.0.1:${bport}/login?next=%2F`);
      res.setHeader('Content-Location', `http://127.0.0.1:${bport}/doc`);
      res.setHeader('URI', 'http://elsewhere.example/x');
      res.setHeader('Set-Cookie', [
        'sid=1; Domain=backend.internal; Path=/app/x',
        'other=2; Path=/',
      ]);
      res.statusCode = 302;
      res.end();
    });
    bport = await listen(server);
    const p = proxy({
      cookieDomain: { 'backend.internal': 'www.example.info' },
      cookiePath: { '/app/': '/' },
      lookup: noLookup,
    });
    closers.push(() => p.close());
    const res = await request(front(`RewriteRule ^(.*)$ http://127.0.0.1:${bport}$1 [P]`, p))
      .get('/a')
      .set('Host', 'www.example.info');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('http://www.example.info/login?next=%2F');
    expect(res.headers['content-location']).toBe('http://www.example.info/doc');
    expect(res.headers.uri).toBe('http://elsewhere.example/x');
    expect(res.headers['set-cookie']).toEqual([
      'sid=1; Domain=www.example.info; Path=/x',
      'other=2; Path=/',
    ]);
  });
});

describe('targets', () => {
  test('https: verified by default (a self-signed backend is a 502), trusted with `ca`', async () => {
    const dir = mkdtempSync(join(tmp, 'tls-'));
    const { key, cert } = selfSignedCertificate(dir);
    const server = https.createServer({ key, cert }, (_req, res) => res.end('secure hello'));
    const port = await listen(server);
    const strict = proxy({ lookup: noLookup });
    const pinned = proxy({ ca: cert, lookup: noLookup });
    closers.push(
      () => strict.close(),
      () => pinned.close(),
    );
    const rule = `RewriteRule ^(.*)$ https://127.0.0.1:${port}$1 [P]`;
    expect((await request(front(rule, strict)).get('/')).status).toBe(502);
    expect((await request(front(rule, pinned)).get('/')).text).toBe('secure hello');
  });

  test("unix sockets (Apache's unix:/path|http://host/ form) and a path-only target (this server itself)", async () => {
    const sock = join(tmp, 'backend.sock');
    await listen(
      http.createServer((req, res) => res.end(`unix ${req.url} ${req.headers.host}`)),
      sock,
    );
    const p = proxy({ lookup: noLookup });
    closers.push(() => p.close());
    const app = express();
    app.use(
      rewrite(
        `RewriteRule ^/u/(.*)$ unix:${sock}|http://sockhost/$1 [P]\nRewriteRule ^/self/(.*)$ /real/$1 [P]`,
        { proxy: p },
      ),
    );
    app.get('/real/:x', (req, res) => {
      res.send(`self ${req.params.x} via ${req.headers['x-forwarded-host']}`);
    });
    const fport = await listen(http.createServer(app));
    expect((await request(`http://127.0.0.1:${fport}`).get('/u/a?b=1')).text).toBe(
      'unix /a?b=1 sockhost',
    );
    expect(
      (await request(`http://127.0.0.1:${fport}`).get('/self/z').set('Host', 'front.test')).text,
    ).toBe('self z via front.test');
  });
});

describe('faults', () => {
  test('refused → 502 (Apache page), configurable (Apache preset: 503); a failed lookup is a 502 and never leaves the machine', async () => {
    const port = await deadPort();
    const p = proxy({ lookup: noLookup });
    const a = proxy({ faultStatus: APACHE_FAULT_STATUS, lookup: noLookup });
    closers.push(
      () => p.close(),
      () => a.close(),
    );
    const r1 = await request(front(`RewriteRule ^(.*)$ http://127.0.0.1:${port}$1 [P]`, p)).get(
      '/x',
    );
    expect(r1.status).toBe(502);
    expect(r1.text).toContain('<h1>Bad Gateway</h1>');
    expect(
      (await request(front(`RewriteRule ^(.*)$ http://127.0.0.1:${port}$1 [P]`, a)).get('/x'))
        .status,
    ).toBe(503);
    expect(
      (await request(front('RewriteRule ^(.*)$ http://backend.invalid$1 [P]', p)).get('/x')).status,
    ).toBe(502);
    expect(
      (await request(front('RewriteRule ^(.*)$ http://127.0.0.1:8000page [P]', p)).get('/x'))
        .status,
    ).toBe(500);
  });

  test("errorDocument: a file (the seed's ErrorDocument 502), a handler, or Express's error handler", async () => {
    const port = await deadPort();
    const file = join(tmp, '502.html');
    writeFileSync(file, '<h1>The application server is not running</h1>');
    const viaFile = proxy({ errorDocument: file, lookup: noLookup });
    const viaFn = proxy({
      errorDocument: (_req, res, info) => {
        res.statusCode = info.status;
        res.end(`fn ${info.kind}`);
      },
      lookup: noLookup,
    });
    const viaNext = proxy({ errorDocument: 'next', lookup: noLookup });
    closers.push(
      () => viaFile.close(),
      () => viaFn.close(),
      () => viaNext.close(),
    );
    const rule = `RewriteRule ^(.*)$ http://127.0.0.1:${port}$1 [P]`;
    const r1 = await request(front(rule, viaFile)).get('/');
    expect([r1.status, r1.text]).toEqual([502, '<h1>The application server is not running</h1>']);
    expect((await request(front(rule, viaFn)).get('/')).text).toBe('fn refused');
    const app = front(rule, viaNext);
    app.use(
      (
        err: { status: number; kind: string },
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        res.status(err.status).send(`express saw ${err.kind}`);
      },
    );
    const r3 = await request(app).get('/');
    expect([r3.status, r3.text]).toEqual([502, 'express saw refused']);
  });

  test('a backend too slow for headersTimeout → 504; oversized response headers → 502', async () => {
    const server = http.createServer({ maxHeaderSize: 128 * 1024 }, (req, res) => {
      if (req.url === '/slow') {
        setTimeout(() => {
          if (!res.destroyed) res.end('late');
        }, 2000);
        return;
      }
      res.setHeader('X-Big', 'x'.repeat(40 * 1024));
      res.end('big');
    });
    const port = await listen(server);
    const p = proxy({ headersTimeout: 200, lookup: noLookup });
    closers.push(() => p.close());
    const app = front(`RewriteRule ^(.*)$ http://127.0.0.1:${port}$1 [P]`, p);
    expect((await request(app).get('/slow')).status).toBe(504);
    expect((await request(app).get('/big')).status).toBe(502);
  });

  test('a backend dying mid-body aborts the client connection (no truncated body passed off as complete)', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-length': '100000' });
      res.write(Buffer.alloc(1000, 'a'));
      setTimeout(() => res.socket?.destroy(), 50);
    });
    const port = await listen(server);
    const p = proxy({ lookup: noLookup });
    closers.push(() => p.close());
    const fport = await listen(
      http.createServer(front(`RewriteRule ^(.*)$ http://127.0.0.1:${port}$1 [P]`, p)),
    );
    const outcome = await new Promise<string>((resolve) => {
      http
        .get({ port: fport, host: '127.0.0.1', path: '/die' }, (res) => {
          let n = 0;
          res.on('data', (c) => {
            n += c.length;
          });
          res.on('end', () => resolve(`complete ${n}`));
          res.on('aborted', () => resolve('aborted'));
          res.on('error', () => resolve('aborted'));
        })
        .on('error', () => resolve('aborted'));
    });
    expect(outcome).toBe('aborted');
  });

  test('a client that goes away mid-download or mid-upload aborts the backend request', async () => {
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      if (req.url === '/download') {
        res.writeHead(200);
        const t = setInterval(() => res.write(Buffer.alloc(16384)), 5);
        res.on('close', () => {
          clearInterval(t);
          seen.push('download closed');
        });
        return;
      }
      req.on('data', () => {});
      req.on('close', () => seen.push(req.complete ? 'upload complete' : 'upload aborted'));
    });
    const port = await listen(server);
    const p = proxy({ lookup: noLookup });
    closers.push(() => p.close());
    const fport = await listen(
      http.createServer(front(`RewriteRule ^(.*)$ http://127.0.0.1:${port}$1 [P]`, p)),
    );
    await new Promise<void>((resolve) => {
      const r = http.get({ port: fport, host: '127.0.0.1', path: '/download' }, (res) => {
        res.once('data', () => {
          r.destroy();
          resolve();
        });
      });
      r.on('error', () => {});
    });
    const up = http.request({
      port: fport,
      host: '127.0.0.1',
      path: '/upload',
      method: 'POST',
      headers: { 'content-length': '10000000' },
    });
    up.on('error', () => {});
    up.write(Buffer.alloc(65536));
    await new Promise((r) => setTimeout(r, 100));
    up.destroy();
    for (let i = 0; i < 50 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(seen.sort()).toEqual(['download closed', 'upload aborted']);
  });

  test('onUnavailable with autostart(): starts the backend once, answers a refreshing page, then proxies', async () => {
    const port = await deadPort();
    const script = join(tmp, 'backend.js');
    writeFileSync(
      script,
      `require('http').createServer((q, s) => s.end('started backend')).listen(${port}, '127.0.0.1');\nsetTimeout(() => process.exit(0), 8000);\n`,
    );
    const starter = autostart({ command: process.execPath, args: [script] });
    closers.push(() => starter.stop());
    const p = proxy({ onUnavailable: starter, lookup: noLookup });
    closers.push(() => p.close());
    const app = front(`RewriteRule ^(.*)$ http://127.0.0.1:${port}$1 [P]`, p);
    const first = await Promise.all([
      request(app).get('/page'),
      request(app).get('/page'),
      request(app).get('/page'),
    ]);
    for (const r of first) {
      expect(r.status).toBe(502);
      expect(r.text).toContain('Restarting site');
      expect(r.text).toContain('URL=/page');
    }
    expect(starter.starts).toBe(1);
    let ok = '';
    for (let i = 0; i < 100 && ok !== 'started backend'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      ok = (await request(app).get('/page')).text;
    }
    expect(ok).toBe('started backend');
    expect(starter.starts).toBe(1);
  });
});

describe('WebSocket upgrades', () => {
  test('rewrite().upgrade sends [P] handshakes to the backend and pipes frames both ways', async () => {
    const backend = http.createServer();
    const wss = new WebSocketServer({ server: backend });
    wss.on('connection', (ws, req) => {
      ws.send(`hello ${req.url} ${req.headers['x-forwarded-host']}`);
      ws.on('message', (m) => ws.send(`echo ${m}`));
    });
    closers.push(() => new Promise((r) => wss.close(r)));
    const port = await listen(backend);
    const p = proxy({ lookup: noLookup });
    closers.push(() => p.close());
    const mw = rewrite(`RewriteRule ^/ws/(.*)$ http://127.0.0.1:${port}/socket/$1 [P]`, {
      proxy: p,
    });
    const app = express();
    app.use(mw);
    const server = http.createServer(app);
    server.on('upgrade', (req, socket, head) => mw.upgrade(req, socket, head));
    const fport = await listen(server);
    const ws = new WebSocket(`ws://127.0.0.1:${fport}/ws/room1`);
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (m) => {
        got.push(String(m));
        if (got.length === 1) ws.send('ping');
        else {
          ws.close();
          resolve();
        }
      });
      ws.on('error', reject);
    });
    expect(got).toEqual([`hello /socket/room1 127.0.0.1:${fport}`, 'echo ping']);
    const refused = new WebSocket(`ws://127.0.0.1:${fport}/other`);
    const status = await new Promise<number>((resolve) =>
      refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(404);
  });
});

function rawExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    s.on('data', (c) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    s.on('error', reject);
    s.write(text);
  });
}
