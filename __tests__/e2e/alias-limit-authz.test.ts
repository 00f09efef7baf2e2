/**
 * Issue 12: mod_alias's `Redirect` family (in `.htaccess` and in site()'s server config, with
 * `Alias`/`AliasMatch`), `<Limit>`/`<LimitExcept>` and the `Require` tree (`not`, `env`, `method`,
 * `expr`, `<RequireAll|Any|None>`), enforced in site() and in htaccess() in front of
 * express.static. Real files on disk, real HTTP; Apache's answers for the same files are in
 * conformance/cases/180–186.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import request from 'supertest';
import express from 'express';
import { htaccess, rewrite, RewriteError, site } from '../../lib/index';

let tmp: string;
let root: string;
let siteServer: http.Server;
let app: express.Express;
const write = (rel: string, text: string): void => {
  const p = join(tmp, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
};

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'modrewrite-alias-'));
  root = join(tmp, 'www');
  write(
    'www/r/.htaccess',
    'Redirect /r/old /r/new\nRedirectMatch 301 ^/r/m/(.*)\\.html$ /r/y/$1\n',
  );
  write('www/r/keep.txt', 'KEEP\n');
  write('www/i/.htaccess', 'RewriteEngine On\nRewriteRule ^a$ t.txt [L]\nRedirect /i/a /i/moved\n');
  write('www/i/t.txt', 'T\n');
  write('www/g/.htaccess', 'Redirect 403 /g/secret\nRedirect gone /g/old\n');
  write('www/g/secret.txt', 'NOT SECRET\n');
  write('www/l/.htaccess', '<Limit POST PUT>\n  Require all denied\n</Limit>\n');
  write('www/l/f.txt', 'L\n');
  write('www/x/.htaccess', '<LimitExcept GET>\n  Require all denied\n</LimitExcept>\n');
  write('www/x/f.txt', 'X\n');
  write(
    'www/e/.htaccess',
    "<RequireAll>\n  Require expr %{HTTP:X-Key} == 'k'\n  Require not method PUT\n</RequireAll>\n",
  );
  write('www/e/f.txt', 'E\n');
  write('www/n/.htaccess', 'Require not all denied\n');
  write('www/n/f.txt', 'N\n');
  write('www/h/.htaccess', 'Require host example.com\n');
  write('www/h/f.txt', 'H\n');
  write('www/real/f.txt', 'REAL\n');
  write('outside/f.txt', 'OUTSIDE\n');
  const handler = site({
    root,
    config: [
      'Redirect /moved http://other.example/new',
      `Alias /al ${join(root, 'real')}`,
      `AliasMatch ^/am/(.*)\\.x$ ${join(root, 'real')}/$1.txt`,
      `Alias /out ${join(tmp, 'outside')}`,
    ].join('\n'),
    log: () => {},
  });
  siteServer = http.createServer((req, res) => handler(req, res));
  app = express();
  app.use(htaccess({ root, log: () => {} }));
  app.use(express.static(root, { dotfiles: 'allow' }));
});

afterAll(() => {
  siteServer.close();
  rmSync(tmp, { recursive: true, force: true });
});

type Row = [
  method: string,
  target: string,
  headers: Record<string, string>,
  status: number,
  location?: string,
];

const ROWS: Row[] = [
  ['GET', '/r/old/a%20b?q=1', {}, 302, '/r/new/a%20b?q=1'],
  ['GET', '/r/older', {}, 404],
  ['GET', '/r/keep.txt', {}, 200],
  ['GET', '/r/m/page.html?x', {}, 301, '/r/y/page?x'],
  // the per-directory rewrite runs first, the Redirect on the original URL-path still wins
  ['GET', '/i/a', {}, 302, '/i/moved'],
  ['GET', '/g/secret.txt', {}, 200],
  ['GET', '/g/secret', {}, 403],
  ['GET', '/g/old/x', {}, 410],
  ['GET', '/l/f.txt', {}, 200],
  ['HEAD', '/l/f.txt', {}, 200],
  ['POST', '/l/f.txt', {}, 403],
  ['PUT', '/l/f.txt', {}, 403],
  ['GET', '/x/f.txt', {}, 200],
  ['DELETE', '/x/f.txt', {}, 403],
  ['GET', '/e/f.txt', {}, 403],
  ['GET', '/e/f.txt', { 'X-Key': 'k' }, 200],
  ['PUT', '/e/f.txt', { 'X-Key': 'k' }, 403],
  // Apache refuses `Require not` outside a <RequireAll>: the directory is broken (500)
  ['GET', '/n/f.txt', {}, 500],
  // a host name needs DNS, which modrewrite never asks: never granted (fail closed)
  ['GET', '/h/f.txt', {}, 403],
];

const send = (
  target: request.SuperTest<request.Test> | ReturnType<typeof request>,
  [method, url, headers]: Row,
): request.Test => {
  const agent = target as unknown as Record<string, (u: string) => request.Test>;
  let t = agent[method.toLowerCase()](url);
  for (const [k, v] of Object.entries(headers)) t = t.set(k, v);
  return t;
};

describe.each<[string, () => http.Server | express.Express]>([
  ['site()', () => siteServer],
  ['htaccess() + express.static', () => app],
])('%s', (_, server) => {
  test.each(ROWS)('%s %s %j → %i %s', async (...row) => {
    const res = await send(request(server()), row);
    expect(res.status).toBe(row[3]);
    if (row[4] !== undefined)
      expect(res.headers.location).toMatch(
        new RegExp(`^http://[^/]+${row[4].replace(/[?.]/g, '\\$&')}$`),
      );
    if (row[3] === 403) expect(res.text).not.toMatch(/^(L|X|E|H)\n$/);
  });
});

describe('server config of site(): Redirect, Alias, AliasMatch', () => {
  test.each<[string, number, string]>([
    ['/moved/x?q', 302, 'http://other.example/new/x?q'],
    ['/al/f.txt', 200, 'REAL\n'],
    ['/am/f.x', 200, 'REAL\n'],
    ['/am/f.y', 404, ''],
    // an Alias outside the document root and every allowed root is refused, never served
    ['/out/f.txt', 403, ''],
  ])('%s → %i', async (target, status, expected) => {
    const res = await request(siteServer).get(target);
    expect(res.status).toBe(status);
    if (status === 302) expect(res.headers.location).toBe(expected);
    if (status === 200) expect(res.text).toBe(expected);
    if (status === 403) expect(res.text).not.toContain('OUTSIDE');
  });
});

describe('where mod_alias cannot be applied', () => {
  test('rewrite() refuses Redirect (it has no fixup phase), naming site() and htaccess()', () => {
    expect(() => rewrite('Redirect /a /b')).toThrow(RewriteError);
    expect(() => rewrite('Redirect /a /b')).toThrow(/site\(\), htaccess\(\)/);
  });

  test('Alias in an .htaccess is Apache\'s "not allowed here": the directory answers 500', async () => {
    write('www/bad/.htaccess', `Alias /bad ${join(root, 'real')}\n`);
    write('www/bad/f.txt', 'BAD\n');
    const res = await request(siteServer).get('/bad/f.txt');
    expect(res.status).toBe(500);
  });
});

describe("mod_dir's FallbackResource", () => {
  let fbRoot: string;
  let fbSite: http.Server;
  let fbApp: express.Express;
  beforeAll(() => {
    fbRoot = join(tmp, 'fb');
    write('fb/.htaccess', 'FallbackResource /front.txt\n');
    write('fb/front.txt', 'FRONT\n');
    write('fb/f.txt', 'F\n');
    write('fb/off/.htaccess', 'FallbackResource disabled\n');
    write('fb/rel/.htaccess', 'FallbackResource here.txt\n');
    write('fb/rel/here.txt', 'HERE\n');
    const handler = site({ root: fbRoot, log: () => {} });
    fbSite = http.createServer((req, res) => handler(req, res));
    fbApp = express();
    fbApp.use(htaccess({ root: fbRoot, log: () => {} }));
    fbApp.use(express.static(fbRoot));
  });
  afterAll(() => fbSite.close());

  describe.each<[string, () => http.Server | express.Express]>([
    ['site()', () => fbSite],
    ['htaccess() + express.static', () => fbApp],
  ])('%s', (_, server) => {
    test.each<[string, number, string]>([
      ['/missing?x=1', 200, 'FRONT\n'],
      ['/missing/deeper.html', 200, 'FRONT\n'],
      ['/f.txt', 200, 'F\n'],
      ['/off/nope', 404, ''],
      ['/rel/nope', 200, 'HERE\n'],
      // the relative fallback is missing in /rel/sub/: it falls back again, endlessly (Apache: 500)
      ['/rel/sub/nope', 500, ''],
    ])('%s → %i', async (target, status, body) => {
      const res = await request(server()).get(target);
      expect(res.status).toBe(status);
      if (status === 200) expect(res.text).toBe(body);
    });
  });
});
