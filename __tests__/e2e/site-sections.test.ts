/**
 * Issue 12: the stock .htaccess of WordPress and Laravel were refused at their first
 * `<IfModule mod_rewrite.c>` ("Invalid command '<IfModule'"), so site() answered 500 for every URL
 * below them. Real files on disk, real HTTP; the expected answers are Apache 2.4.71's (recorded in
 * conformance/cases/130-133).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import request from 'supertest';
import express from 'express';
import { htaccess, site } from '../../lib/index';

const WORDPRESS = [
  '# BEGIN WordPress',
  '<IfModule mod_rewrite.c>',
  'RewriteEngine On',
  'RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]',
  'RewriteBase /',
  'RewriteRule ^index\\.php$ - [L]',
  'RewriteCond %{REQUEST_FILENAME} !-f',
  'RewriteCond %{REQUEST_FILENAME} !-d',
  'RewriteRule . /index.php [L]',
  '</IfModule>',
  '',
  '# END WordPress',
  '<IfModule mod_php.c>',
  '  php_value upload_max_filesize 64M',
  '</IfModule>',
  '',
].join('\n');

let tmp: string;
let root: string;
let logged: string[] = [];
let server: http.Server;
const write = (rel: string, text: string): void => {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
};

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'modrewrite-sections-'));
  root = join(tmp, 'www');
  write('.htaccess', WORDPRESS);
  write('index.php', 'FRONT CONTROLLER\n');
  write('style.css', 'body{}\n');
  write('wp-admin/index.html', 'ADMIN\n');
  write(
    'laravel/.htaccess',
    '<IfModule mod_rewrite.c>\n  RewriteEngine On\n  RewriteCond %{REQUEST_FILENAME} !-d\n  RewriteRule ^(.*)/$ /laravel/$1 [L,R=301]\n</IfModule>\n',
  );
  write('broken/.htaccess', '<IfModule mod_php.c>\nphp_value a b\n');
  write('broken/file.txt', 'NEVER\n');
  write(
    'production/.htaccess',
    'RewriteEngine On\n<IfDefine PRODUCTION>\nRewriteRule ^x$ prod.txt [L]\n</IfDefine>\n<IfDefine !PRODUCTION>\nRewriteRule ^x$ dev.txt [L]\n</IfDefine>\n',
  );
  write('production/prod.txt', 'PROD\n');
  write('production/dev.txt', 'DEV\n');
  write('private/.htaccess', '<Files secret.txt>\nRequire all denied\n</Files>\n');
  write('private/secret.txt', 'SECRET\n');
  write('headers/.htaccess', '<Files secret.txt>\nDirectorySlash Off\n</Files>\n');
  write('headers/secret.txt', 'SECRET\n');
  const handler = site({
    root,
    config:
      '<IfModule mod_dir.c>\n  DirectorySlash On\n</IfModule>\n<IfModule mod_headers.c>\n  Header set X-Nope 1\n</IfModule>\n',
    fallthrough: false,
    defines: ['PRODUCTION'],
    log: (m) => logged.push(m),
  });
  server = http.createServer((req, res) => handler(req, res));
});
afterAll(() => {
  server.close();
  rmSync(tmp, { recursive: true, force: true });
});
beforeEach(() => {
  logged = [];
});

describe("WordPress's stock .htaccess through site()", () => {
  test.each([
    ['/hello-world/', 200, 'FRONT CONTROLLER\n'],
    ['/category/news/page/2/', 200, 'FRONT CONTROLLER\n'],
    ['/index.php', 200, 'FRONT CONTROLLER\n'],
    ['/style.css', 200, 'body{}\n'],
    ['/wp-admin/', 200, 'ADMIN\n'],
  ])('%s → %i', async (path, status, body) => {
    const res = await request(server).get(path);
    expect(res.status).toBe(status);
    expect(res.text).toBe(body);
    expect(logged).toEqual([]);
  });

  test('an existing directory without its slash is redirected (mod_dir, inside <IfModule mod_dir.c>)', async () => {
    const res = await request(server).get('/wp-admin');
    expect(res.status).toBe(301);
    expect(res.headers.location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/wp-admin\/$/);
  });

  test('a header set inside <IfModule mod_headers.c> is applied (mod_headers is emulated)', async () => {
    const res = await request(server).get('/style.css');
    expect(res.headers['x-nope']).toBe('1');
  });
});

describe('sections in nested .htaccess files', () => {
  test("Laravel's trailing-slash redirect inside <IfModule mod_rewrite.c>", async () => {
    const res = await request(server).get('/laravel/users/');
    expect(res.status).toBe(301);
    expect(res.headers.location).toMatch(/\/laravel\/users$/);
  });

  test('<IfDefine> sees the defines passed to site()', async () => {
    const res = await request(server).get('/production/x');
    expect(res.status).toBe(200);
    expect(res.text).toBe('PROD\n');
  });

  test('an unclosed section is a 500 for its directory, logged with its position', async () => {
    const res = await request(server).get('/broken/file.txt');
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('NEVER');
    expect(logged.join('\n')).toMatch(
      /Expected <\/IfModule> before end of configuration \(.*broken\/\.htaccess:1:1\)/,
    );
  });

  test('a <Files> access rule is enforced: 403', async () => {
    const res = await request(server).get('/private/secret.txt');
    expect(res.status).toBe(403);
    expect(res.text).not.toContain('SECRET');
  });

  test('a <Files> section with a directive modrewrite cannot apply never lets the file through', async () => {
    const res = await request(server).get('/headers/secret.txt');
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('SECRET');
    expect(logged.join('\n')).toContain(
      'DirectorySlash inside <Files> is not supported by modrewrite',
    );
  });
});

describe('htaccess() in front of express.static reads the same sections', () => {
  test("WordPress's front controller, and <IfDefine> with the defines passed", async () => {
    const app = express();
    app.use(htaccess({ root, defines: ['PRODUCTION'], log: (m) => logged.push(m) }));
    app.use(express.static(root));
    const front = await request(app).get('/hello-world/');
    expect(front.status).toBe(200);
    expect(front.text).toBe('FRONT CONTROLLER\n');
    const prod = await request(app).get('/production/x');
    expect(prod.text).toBe('PROD\n');
    const broken = await request(app).get('/broken/file.txt');
    expect(broken.status).toBe(500);
    expect(broken.text).not.toContain('NEVER');
  });
});
