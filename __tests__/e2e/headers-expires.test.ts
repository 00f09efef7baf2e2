/**
 * Issue 12: mod_headers and mod_expires, applied by htaccess() in front of express.static, by
 * site() (a handler sees RequestHeader's changes; the server config's Header applies to every
 * response) — real files on disk, real HTTP. Apache's answers for the same directives are
 * conformance cases 150–152.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import express from 'express';
import request from 'supertest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { htaccess, proxy, site } from '../../lib/index';

// created before the middlewares below are (they need an existing document root)
const root = mkdtempSync(join(tmpdir(), 'modrewrite-headers-'));
const write = (rel: string, text: string): void => {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), text);
};

beforeAll(() => {
  write(
    '.htaccess',
    [
      '<IfModule mod_headers.c>',
      '  Header always set X-Content-Type-Options nosniff',
      '  Header set Referrer-Policy no-referrer',
      '  Header always set X-Frame-Options SAMEORIGIN "expr=%{QUERY_STRING} !~ /embed/"',
      '  RequestHeader set X-From-Htaccess yes',
      '  RequestHeader unset Proxy',
      '</IfModule>',
      '<IfModule mod_expires.c>',
      '  ExpiresActive On',
      '  ExpiresByType text/css "access plus 1 year"',
      '</IfModule>',
      'RewriteEngine On',
      'RewriteRule ^old$ /a.css [R=301,L]',
      'RewriteRule ^flag$ a.css [E=FLAGGED:1]',
      '',
    ].join('\n'),
  );
  write('a.css', 'body{}\n');
  write('private/.htaccess', 'Require all denied\n');
  write('private/secret.txt', 'S\n');
  write(
    'app/.htaccess',
    'Header unset Referrer-Policy\nHeader set X-Flag on env=REDIRECT_FLAGGED\n',
  );
  write('app/run.js', 'x\n');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('htaccess() in front of express.static', () => {
  const app = express();
  const seen: Record<string, unknown> = {};
  app.use(htaccess({ root }));
  app.use((req, _res, next) => {
    seen.from = req.headers['x-from-htaccess'];
    seen.proxy = req.headers.proxy;
    next();
  });
  app.use(express.static(root));

  test('security headers and Expires reach a static file; RequestHeader reaches what follows', async () => {
    const res = await request(app).get('/a.css').set('Proxy', 'http://evil');
    expect(res.status).toBe(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['cache-control']).toBe('public, max-age=0, max-age=31536000');
    expect(Date.parse(res.headers.expires!) - Date.parse(res.headers.date!)).toBe(31536000 * 1000);
    expect(seen).toEqual({ from: 'yes', proxy: undefined });
  });

  test('an expr= condition decides per request', async () => {
    const res = await request(app).get('/a.css?embed=1');
    expect(res.headers['x-frame-options']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  test("modrewrite's own answers (a redirect, a denial) carry only the always table", async () => {
    const redirect = await request(app).get('/old');
    expect(redirect.status).toBe(301);
    expect(redirect.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(redirect.headers['referrer-policy']).toBeUndefined();
    const denied = await request(app).get('/private/secret.txt');
    expect(denied.status).toBe(403);
    expect(denied.headers['x-content-type-options']).toBe('nosniff');
    expect(denied.headers['referrer-policy']).toBeUndefined();
    expect(denied.text).not.toContain('S\n');
  });
});

describe('site()', () => {
  const handled: Record<string, unknown> = {};
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    handled.from = req.headers['x-from-htaccess'];
    res.setHeader('Referrer-Policy', 'origin');
    res.setHeader('Content-Type', 'text/plain');
    res.end('ran\n');
  };
  const middleware = site({
    root,
    config: 'Header always set X-Server-Wide yes\n',
    addHandler: { '.js': 'run' },
    handlers: { run: handler },
  });

  test('a handler sees RequestHeader; a child .htaccess unsets what its parent set; env= from [E=]', async () => {
    const res = await request(middleware).get('/app/run.js');
    expect(res.status).toBe(200);
    expect(res.text).toBe('ran\n');
    expect(handled.from).toBe('yes');
    // the parent's `set` and then the child's `unset` run on the handler's headers: none is left
    expect(res.headers['referrer-policy']).toBeUndefined();
    expect(res.headers['x-server-wide']).toBe('yes');
    expect(res.headers['x-flag']).toBeUndefined();
  });

  test('the server config applies to every response, error pages included', async () => {
    const missing = await request(middleware).get('/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.headers['x-server-wide']).toBe('yes');
    expect(missing.headers['x-content-type-options']).toBe('nosniff');
  });

  test('RequestHeader early in the server config is seen by the server rules', async () => {
    const early = site({
      root,
      config:
        'RequestHeader set X-Early yes early\nRewriteCond %{HTTP:X-Early} =yes\nRewriteRule ^/e$ /a.css\n',
    });
    const res = await request(early).get('/e');
    expect(res.status).toBe(200);
    expect(res.text).toBe('body{}\n');
  });

  test('Cache-Control and Expires on a static file, none on a 404', async () => {
    const css = await request(middleware).get('/a.css');
    expect(css.headers['cache-control']).toBe('max-age=31536000');
    const missing = await request(middleware).get('/nothing.css');
    expect(missing.headers['cache-control']).toBeUndefined();
    expect(missing.headers.expires).toBeUndefined();
  });
});

describe('site() with [P]: the proxied answer is a handler response', () => {
  test('Header acts on the backend headers, RequestHeader reaches the backend', async () => {
    const backend = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'X-Powered-By': 'backend' });
      res.end(
        JSON.stringify({ token: req.headers['x-token'] ?? null, proxy: req.headers.proxy ?? null }),
      );
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    const port = (backend.address() as AddressInfo).port;
    write(
      'api/.htaccess',
      [
        'RequestHeader set X-Token t1',
        'RequestHeader unset Proxy',
        'Header unset X-Powered-By',
        'Header edit Content-Type ^application/json$ "application/json; charset=utf-8"',
        'RewriteEngine On',
        `RewriteRule ^(.*)$ http://127.0.0.1:${port}/$1 [P]`,
        '',
      ].join('\n'),
    );
    const p = proxy({});
    const middleware = site({ root, proxy: p });
    try {
      const res = await request(middleware).get('/api/x').set('Proxy', 'http://evil');
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toEqual({ token: 't1', proxy: null });
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      // the parent's always table still applies
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    } finally {
      p.close();
      await new Promise((resolve) => backend.close(resolve));
    }
  });

  // mod_proxy_http replaces headers_out with the backend's, keeping only Set-Cookie: the Vary a
  // condition on User-Agent adds is not sent, a [CO] cookie is (case 407, recorded on rewrite())
  test('no Vary from the server rules on a proxied answer; a [CO] cookie is kept', async () => {
    const backend = http.createServer((req, res) => {
      res.end('backend');
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    const port = (backend.address() as AddressInfo).port;
    const config = [
      'RewriteEngine On',
      'RewriteCond %{HTTP_USER_AGENT} bot [NC]',
      `RewriteRule ^/api/(.*)$ http://127.0.0.1:${port}/$1 [P,CO=seen:1:localhost]`,
      'RewriteCond %{HTTP_USER_AGENT} bot [NC]',
      'RewriteRule ^/local$ /a.css [L]',
      '',
    ].join('\n');
    const p = proxy({});
    const middleware = site({ root, config, proxy: p });
    try {
      const proxied = await request(middleware).get('/api/x').set('User-Agent', 'Googlebot');
      expect(proxied.text).toBe('backend');
      expect(proxied.headers.vary).toBeUndefined();
      expect(proxied.headers['set-cookie']).toEqual(['seen=1; path=/; domain=localhost']);
      // a local answer keeps the Vary (case 407's /local)
      const local = await request(middleware).get('/local').set('User-Agent', 'Googlebot');
      expect(local.status).toBe(200);
      expect(local.headers.vary).toBe('User-Agent');
    } finally {
      p.close();
      await new Promise((resolve) => backend.close(resolve));
    }
  });
});
