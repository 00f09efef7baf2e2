/**
 * Issue 9, item 21: invalid Host headers (`a@b`, spaces, `#`, empty, ...) were reflected into
 * Location. Apache 2.4.71 (fix_hostname, HttpProtocolOptions Strict) answers 400 for them
 * (recorded; the full table is in __tests__/unit/engine/invalid-host.test.ts).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http, { type Server } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { htaccess, rewrite, site } from '../../lib/index';

const INVALID = ['a@b', 'a b', 'a#b', '', 'evil.com/x', 'a\\b', 'a:80:80', 'a;b', 'localhost:0'];

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'modrewrite-host-'));
  mkdirSync(join(tmp, 'sub'));
  writeFileSync(join(tmp, 'sub/index.html'), 'SUB\n');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function listen(server: Server): Promise<number> {
  return new Promise((r) =>
    server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)),
  );
}

/** A raw request, so any Host value (even an empty one) reaches the server as written. */
function rawGet(
  port: number,
  target: string,
  host: string,
): Promise<{ status: number; head: string }> {
  return new Promise((ok, fail) => {
    const socket = net.connect(port, '127.0.0.1', () =>
      socket.write(
        `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
        'latin1',
      ),
    );
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      text += d;
    });
    socket.on('close', () =>
      ok({ status: Number(text.slice(9, 12)), head: text.split('\r\n\r\n')[0] }),
    );
    socket.on('error', fail);
  });
}

describe('site(): an invalid Host is a 400, never a Location', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer(
      site({
        root: tmp,
        config: 'RewriteEngine on\nRewriteRule ^/go$ http://%{HTTP_HOST}/sub/ [R]',
        htaccess: false,
      }),
    );
    port = await listen(server);
  });
  afterAll(() => new Promise((r) => server.close(r)));

  test.each(INVALID.map((h) => [h]))('Host %j', async (host) => {
    for (const target of ['/go', '/sub']) {
      const res = await rawGet(port, target, host);
      expect(res.status).toBe(400);
      expect(res.head).not.toMatch(/^Location:/im);
    }
  });

  test('a valid Host still redirects (DirectorySlash and a rule)', async () => {
    const slash = await rawGet(port, '/sub', 'Example.COM:8080');
    expect(slash.status).toBe(301);
    expect(slash.head).toMatch(/^Location: http:\/\/example\.com:8080\/sub\/$/im);
    const rule = await rawGet(port, '/go', 'a_b.example');
    expect(rule.status).toBe(302);
    expect(rule.head).toMatch(/^Location: http:\/\/a_b\.example\/sub\/$/im);
  });

  // site() remembers the last valid Host (keep-alive clients repeat it): never a wrong answer
  test.each([
    ['example.com', 'a@b'],
    ['a.b', 'a..b'],
    ['localhost:8080', 'localhost:0'],
  ])('valid %j and invalid %j in turn keep their answers', async (valid, invalid) => {
    for (let i = 0; i < 2; i++) {
      expect((await rawGet(port, '/go', valid)).status).toBe(302);
      expect((await rawGet(port, '/go', valid)).status).toBe(302);
      expect((await rawGet(port, '/go', invalid)).status).toBe(400);
      expect((await rawGet(port, '/go', invalid)).status).toBe(400);
    }
  });
});

describe('rewrite() under Express: a redirect never reflects an invalid Host', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    const app = express();
    app.use(
      rewrite(
        'RewriteRule ^/go$ http://%{HTTP_HOST}/there [R]\nRewriteRule ^/self$ /there [R]',
      ) as express.RequestHandler,
    );
    app.get('/page', (_req, res) => {
      res.send('page');
    });
    server = http.createServer(app);
    port = await listen(server);
  });
  afterAll(() => new Promise((r) => server.close(r)));

  test.each(INVALID.map((h) => [h]))('Host %j', async (host) => {
    for (const target of ['/go', '/self']) {
      const res = await rawGet(port, target, host);
      expect(res.status).toBe(400);
      expect(res.head).not.toMatch(/^Location:/im);
    }
  });

  test("requests that do not redirect are the app's business", async () => {
    const res = await rawGet(port, '/page', 'a b');
    expect(res.status).toBe(200);
  });
});

describe('htaccess() under Express: a redirect never reflects an invalid Host', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    mkdirSync(join(tmp, 'ht'));
    writeFileSync(
      join(tmp, 'ht/.htaccess'),
      'RewriteEngine on\nRewriteRule ^go$ http://%{HTTP_HOST}/there [R]\n',
    );
    const app = express();
    app.use(htaccess({ root: join(tmp, 'ht') }) as express.RequestHandler);
    server = http.createServer(app);
    port = await listen(server);
  });
  afterAll(() => new Promise((r) => server.close(r)));

  test.each(INVALID.map((h) => [h]))('Host %j', async (host) => {
    const res = await rawGet(port, '/go', host);
    expect(res.status).toBe(400);
    expect(res.head).not.toMatch(/^Location:/im);
  });

  test('a valid Host is redirected', async () => {
    const res = await rawGet(port, '/go', 'example.com');
    expect(res.status).toBe(302);
    expect(res.head).toMatch(/^Location: http:\/\/example\.com\/there$/im);
  });
});
