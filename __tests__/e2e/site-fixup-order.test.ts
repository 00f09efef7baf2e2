/**
 * Differential seeds 427, 507, 508, 734: what the fixups after a per-directory rewrite see, in
 * site() and in htaccess() in front of express.static. Real files on disk, real HTTP; Apache's
 * answers for the same shapes are in conformance/cases/310–312.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import request from 'supertest';
import express from 'express';
import { htaccess, site } from '../../lib/index';

let tmp: string;
const apps = new Map<string, express.Express>();
const write = (rel: string, text: string): void => {
  const p = join(tmp, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
};

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'modrewrite-fixups-'));
  write('q/.htaccess', 'RewriteEngine On\nRewriteRule ^(doc)\\.pdf$ index.php?q=$1 [QSA]\n');
  write('q/doc.pdf', 'PDF\n');
  write('q/index.php', 'INDEX\n');
  write('.htaccess', 'RedirectMatch \\.pdf$ http://example.org/pdf\n');
  write('h/.htaccess', 'RewriteEngine On\nRewriteRule ^(.*)$ /index.php?q=$1 [H=text/html]\n');
  write('h/a.txt', 'A\n');
  write('index.php', 'ROOT INDEX\n');
  write('loop/.htaccess', 'RewriteEngine On\nRewriteRule ^(.*)$ /loop/$1/$1\n');
  const siteApp = express();
  siteApp.use(site({ root: tmp, fallthrough: false }));
  const htaccessApp = express();
  htaccessApp.use(htaccess({ root: tmp }));
  htaccessApp.use(express.static(tmp));
  apps.set('site()', siteApp);
  apps.set('htaccess()', htaccessApp);
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.each([['site()'], ['htaccess()']])('%s', (name) => {
  const app = (): express.Express => apps.get(name)!;

  test("a .htaccess Redirect after a rewrite appends the rule's query string (QSA merged)", async () => {
    const r = await request(app()).get('/q/doc.pdf?a=b');
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe('http://example.org/pdf?q=doc&a=b');
  });

  test('[H=] on an internal rewrite: no redirect; 403 for a file, 404 for a missing one', async () => {
    expect((await request(app()).get('/h/a.txt')).status).toBe(403);
    expect((await request(app()).get('/h/missing.txt')).status).toBe(404);
  });

  test('a rewrite that grows the path past PATH_MAX is refused 403 before the recursion 500', async () => {
    expect((await request(app()).get(`/loop/${'x'.repeat(300)}`)).status).toBe(403);
    expect((await request(app()).get('/loop/x')).status).toBe(500);
  });
});
