/**
 * Issue 12: mod_setenvif, mod_env, core's ErrorDocument and `<If>` sections in `.htaccess` files
 * (Kirby, ProcessWire, Nextcloud ship them), applied by site() and by htaccess() in front of
 * express.static, in Apache's phases (recorded: conformance cases 160-163). Real files on disk,
 * real HTTP.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { htaccess, rewrite, site } from '../../lib/index';

let tmp: string;
let root: string;
let siteServer: http.Server;
let app: express.Express;
const write = (rel: string, text: string): void => {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
};

/** What the `php` handler saw: its environment and the status it was asked to keep. */
const phpHandler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
  const env = (req as unknown as { rewrite?: { env: Record<string, string> } }).rewrite?.env ?? {};
  res.setHeader('Content-Type', 'text/plain');
  res.end(JSON.stringify({ env, status: res.statusCode }));
};

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'modrewrite-env-'));
  process.env.MODREWRITE_TEST_PASSED = 'from-process';
  delete process.env.MODREWRITE_TEST_UNSET;
  root = join(tmp, 'www');
  // Kirby's Authorization pass-through, and the SetEnv/SetEnvIf phase difference (case 161)
  write(
    'phase/.htaccess',
    [
      'SetEnvIf Authorization "(.+)" HTTP_AUTHORIZATION=$1',
      'SetEnvIfNoCase X-Mode ^(FAST)$ MODE=$1',
      'SetEnv BY_SETENV yes',
      'PassEnv MODREWRITE_TEST_PASSED MODREWRITE_TEST_UNSET',
      'SetEnv MODE from-setenv',
      'RewriteEngine On',
      'RewriteCond %{ENV:MODE} =fast',
      'RewriteRule ^go$ fast.txt [L]',
      'RewriteCond %{ENV:BY_SETENV} =yes',
      'RewriteRule ^go$ setenv-seen.txt [L]',
      'RewriteRule ^app$ app.php [L]',
      '',
    ].join('\n'),
  );
  write('phase/fast.txt', 'FAST\n');
  write('phase/setenv-seen.txt', 'WRONG\n');
  write('phase/go', 'GO\n');
  write('phase/app.php', '<?php\n');
  // Allow from env= sees SetEnvIf (header_parser runs before the access checks)
  write(
    'gate/.htaccess',
    [
      'SetEnvIf X-Key ^open$ let_in',
      'Order deny,allow',
      'Deny from all',
      'Allow from env=let_in',
      '',
    ].join('\n'),
  );
  write('gate/secret.txt', 'SECRET\n');
  // ErrorDocument: ProcessWire's lines (local, and text inside <Files>), external, failing
  write(
    'errors/.htaccess',
    [
      'ErrorDocument 404 /errors/index.php',
      '<Files favicon.ico>',
      '  ErrorDocument 404 "The requested file favicon.ico was not found.',
      '</Files>',
      'ErrorDocument 410 https://other.example/gone',
      'ErrorDocument 403 "%{REQUEST_URI} is forbidden',
      'RewriteEngine On',
      'RewriteRule ^gone$ - [G]',
      'RewriteRule ^forbidden$ - [F]',
      '',
    ].join('\n'),
  );
  write('errors/index.php', '<?php\n');
  write('errors/broken/.htaccess', 'ErrorDocument 404 /errors/broken/missing.txt\n');
  write('errors/utf8/.htaccess', 'ErrorDocument 404 "Page non trouvée\n');
  // <If>/<Else>: per request
  write(
    'cond/.htaccess',
    [
      '<If "%{QUERY_STRING} =~ /(^|&)v=/">',
      '  SetEnv VERSIONED yes',
      '  ErrorDocument 404 "versioned 404',
      '</If>',
      '<Else>',
      '  SetEnv VERSIONED no',
      '</Else>',
      'RewriteEngine On',
      'RewriteRule ^app$ app.php [L]',
      '',
    ].join('\n'),
  );
  write('cond/app.php', '<?php\n');
  write('gateif/.htaccess', '<If "%{HTTP:X-Key} != \'open\'">\n  Require all denied\n</If>\n');
  write('gateif/secret.txt', 'SECRET IF\n');
  write('refused/.htaccess', '<If "true">\n  DirectoryIndex a.txt\n</If>\n');
  write('refused/a.txt', 'A\n');
  write(
    'badexpr/.htaccess',
    // md5() is ap_expr's, outside modrewrite's subset (-ipmatch, used here before, is now in it)
    '<If "md5(%{REQUEST_URI}) == \'x\'">\n  SetEnv X 1\n</If>\n',
  );
  write('badexpr/a.txt', 'A\n');
  const handler = site({
    root,
    fallthrough: false,
    handlers: { php: phpHandler },
    addHandler: { '.php': 'php' },
    htaccess: { recheckMs: 0 },
    log: () => {},
  });
  siteServer = http.createServer((req, res) => handler(req, res));
  app = express();
  app.use(htaccess({ root, recheckMs: 0, log: () => {} }));
  app.use((req, res, next) => {
    const env = (req as unknown as { rewrite?: { env: Record<string, string> } }).rewrite?.env;
    if (env) res.setHeader('X-Env', JSON.stringify(env));
    next();
  });
  app.use(express.static(root));
});

afterAll(() => {
  delete process.env.MODREWRITE_TEST_PASSED;
  siteServer.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('site(): SetEnvIf before per-directory rewriting, SetEnv after it', () => {
  test.each([
    ['SetEnvIfNoCase is seen by RewriteCond %{ENV:x}', { 'X-Mode': 'fast' }, 'FAST\n'],
    ['SetEnv is not (it runs in fixups)', {}, 'GO\n'],
  ])('%s', async (_name, headers, body) => {
    const r = await request(siteServer).get('/phase/go').set(headers);
    expect(r.status).toBe(200);
    expect(r.text).toBe(body);
  });

  test('the handler sees both, SetEnv never overriding a variable already set', async () => {
    const r = await request(siteServer)
      .get('/phase/app')
      .set('Authorization', 'Bearer t0k')
      .set('X-Mode', 'Fast');
    const seen = JSON.parse(r.text) as { env: Record<string, string> };
    expect(seen.env).toMatchObject({
      REDIRECT_HTTP_AUTHORIZATION: 'Bearer t0k',
      HTTP_AUTHORIZATION: 'Bearer t0k',
      MODE: 'Fast',
      BY_SETENV: 'yes',
      REDIRECT_BY_SETENV: 'yes',
      MODREWRITE_TEST_PASSED: 'from-process',
    });
    // PassEnv of a variable the process does not have sets nothing
    expect(Object.keys(seen.env)).not.toContain('MODREWRITE_TEST_UNSET');
  });

  test.each([
    ['with the header, SetEnvIf lets the client in', 'open', 200],
    ['without it, Deny from all holds', 'closed', 403],
  ])('Allow from env=: %s', async (_name, key, status) => {
    const r = await request(siteServer).get('/gate/secret.txt').set('X-Key', key);
    expect(r.status).toBe(status);
    if (status === 403) expect(r.text).not.toContain('SECRET');
  });
});

describe('site(): ErrorDocument', () => {
  test('a local URL is an internal redirect keeping the status, with REDIRECT_STATUS', async () => {
    const r = await request(siteServer).post('/errors/nothing-here');
    expect(r.status).toBe(404);
    const seen = JSON.parse(r.text) as { env: Record<string, string>; status: number };
    expect(seen.status).toBe(404);
    expect(seen.env).toMatchObject({ REDIRECT_STATUS: '404', REDIRECT_REQUEST_METHOD: 'POST' });
  });

  test.each([
    [
      'text inside <Files>',
      '/errors/favicon.ico',
      404,
      'The requested file favicon.ico was not found.',
    ],
    ['text with %{REQUEST_URI}', '/errors/forbidden', 403, '/errors/forbidden is forbidden'],
  ])('%s', async (_name, target, status, body) => {
    const r = await request(siteServer).get(target);
    expect(r.status).toBe(status);
    expect(r.text).toBe(body);
    expect(r.headers['content-type']).toBe('text/html; charset=iso-8859-1');
  });

  test('a text is sent as the bytes written in the file', async () => {
    const r = await request(siteServer).get('/errors/utf8/none');
    expect(r.status).toBe(404);
    expect(r.text).toBe('Page non trouvée');
  });

  test('a full URL is a 302 to it', async () => {
    const r = await request(siteServer).get('/errors/gone');
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe('https://other.example/gone');
  });

  test('a target that fails gives the first status with Apache\'s "Additionally" paragraph', async () => {
    const r = await request(siteServer).get('/errors/broken/none');
    expect(r.status).toBe(404);
    expect(r.text).toContain('<title>404 Not Found</title>');
    expect(r.text).toContain(
      'Additionally, a 404 Not Found\nerror was encountered while trying to use an ErrorDocument',
    );
  });
});

describe('site(): <If>/<ElseIf>/<Else> per request', () => {
  test.each([
    ['/cond/app?v=3', 'yes'],
    ['/cond/app', 'no'],
  ])('%s: the matching section applies', async (target, versioned) => {
    const r = await request(siteServer).get(target);
    const seen = JSON.parse(r.text) as { env: Record<string, string> };
    expect(seen.env.REDIRECT_VERSIONED).toBe(versioned);
  });

  test('an ErrorDocument inside <If> only when it holds', async () => {
    expect((await request(siteServer).get('/cond/none?v=1')).text).toBe('versioned 404');
    expect((await request(siteServer).get('/cond/none')).text).toContain('<h1>Not Found</h1>');
  });

  test.each([
    ['a directive modrewrite cannot apply per request', '/refused/a.txt'],
    ['an expression modrewrite cannot evaluate', '/badexpr/a.txt'],
  ])('%s inside <If> is refused (500), never applied unconditionally', async (_name, target) => {
    const r = await request(siteServer).get(target);
    expect(r.status).toBe(500);
    expect(r.text).not.toContain('A\n');
  });
});

describe('htaccess() in front of express.static', () => {
  test('SetEnvIf reaches req.rewrite.env', async () => {
    const r = await request(app).get('/phase/fast.txt').set('Authorization', 'Basic eA==');
    expect(r.status).toBe(200);
    expect(JSON.parse(String(r.headers['x-env']))).toMatchObject({
      HTTP_AUTHORIZATION: 'Basic eA==',
    });
  });

  test.each([
    ['/errors/forbidden', 403, '/errors/forbidden is forbidden'],
    ['/errors/gone', 302, undefined],
  ])('%s answers through its ErrorDocument', async (target, status, body) => {
    const r = await request(app).get(target);
    expect(r.status).toBe(status);
    if (body !== undefined) expect(r.text).toBe(body);
  });

  test.each([
    ['open', 200],
    ['closed', 403],
  ])('Require inside <If> holds per request (X-Key: %s → %d)', async (key, status) => {
    const r = await request(app).get('/gateif/secret.txt').set('X-Key', key);
    expect(r.status).toBe(status);
    if (status === 403) expect(r.text).not.toContain('SECRET IF');
  });

  test('a local ErrorDocument is served by the next middleware with the status kept', async () => {
    write(
      'local/.htaccess',
      'ErrorDocument 403 /local/denied.txt\nRewriteEngine On\nRewriteRule ^x$ - [F]\n',
    );
    write('local/denied.txt', 'DENIED PAGE\n');
    const r = await request(app).get('/local/x');
    expect(r.status).toBe(403);
    expect(r.text).toBe('DENIED PAGE\n');
  });
});

test('rewrite() refuses them, naming site() and htaccess()', () => {
  expect(() => rewrite('SetEnvIf Request_URI ^/a FOO=1\n')).toThrow(/site\(\), htaccess\(\)/);
  expect(() => rewrite('ErrorDocument 404 /x\n')).toThrow(/site\(\), htaccess\(\)/);
  expect(() => rewrite('<If "true">\nSetEnv A 1\n</If>\n')).toThrow(/Invalid command '<If'/);
});

// core's ServerSignature (case 450) is per directory: htaccess()'s own pages carry it as site()'s
test.each([
  ['htaccess()', () => app],
  ['site()', () => siteServer],
] as const)('%s signs its pages where an .htaccess says ServerSignature On', async (_n, server) => {
  write(
    'signed/.htaccess',
    'ServerSignature On\nRewriteEngine On\nRewriteRule ^x$ - [F]\nRewriteRule ^old$ /f.txt [R=301]\n',
  );
  const denied = await request(server()).get('/signed/x').set('Host', 'sig.test:8080');
  expect(denied.status).toBe(403);
  expect(denied.text).toContain(
    '<hr>\n<address>Apache/2.4.71 (Debian) Server at sig.test Port 8080</address>\n</body></html>\n',
  );
  const moved = await request(server()).get('/signed/old').set('Host', 'sig.test');
  expect(moved.status).toBe(301);
  expect(moved.text).toContain('Server at sig.test Port 80</address>');
  const plain = await request(server()).get('/phase/missing-file').set('Host', 'sig.test');
  expect(plain.text).not.toContain('<address>');
});
