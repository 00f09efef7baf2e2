/**
 * mod_mime and core's file settings through real servers and real files: site() (handlers named by
 * AddHandler/SetHandler, AcceptPathInfo, FileETag, Content-Language), htaccess() in front of
 * express.static (LimitRequestBody), the .htaccess warning log and `modrewrite lint`. What Apache
 * answers for the same files is recorded in conformance cases 190–195.
 */
import express from 'express';
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import request from 'supertest';
import { htaccess, site } from '../../lib/index';
import { main } from '../../lib/cli';

let root: string;
const write = (path: string, text: string): void => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
};

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'modrewrite-mime-'));
  write('php/.htaccess', 'AddHandler application/x-httpd-php .php\n');
  write('php/a.php', '<?php echo 1; ?>\n');
  write('php/b.php/x', 'not a file\n');
  write('set/.htaccess', 'SetHandler application/x-httpd-php\n');
  write('set/a.txt', 'T\n');
  write('status/.htaccess', 'SetHandler server-status\n');
  write('status/a.txt', 'T\n');
  write('pi/.htaccess', 'AcceptPathInfo On\n');
  write('pi/a.txt', 'T\n');
  write('pioff/.htaccess', 'AcceptPathInfo Off\nAddHandler application/x-httpd-php .php\n');
  write('pioff/a.php', 'P\n');
  write('etag/none/.htaccess', 'FileETag None\n');
  write('etag/none/a.txt', 'T\n');
  write('etag/all/.htaccess', 'FileETag All\n');
  write('etag/all/a.txt', 'T\n');
  write('etag/a.txt', 'T\n');
  write('lang/.htaccess', 'AddLanguage de-DE .de\nDefaultLanguage fr\nAddCharset utf-8 .css\n');
  write('lang/a.de.html', 'D\n');
  write('lang/a.css', 'C\n');
  write('limit/.htaccess', 'LimitRequestBody 10\n');
  write('limit/a.txt', 'T\n');
  write('limit/deny/.htaccess', 'Require all denied\n');
  write('limit/deny/a.txt', 'T\n');
  write(
    'warn/.htaccess',
    '<IfModule mod_deflate.c>\nAddOutputFilterByType DEFLATE text/html\n</IfModule>\n',
  );
  write('warn/a.txt', 'T\n');
  // an old file: its ETag is strong (Apache makes one changed within the last second weak)
  const old = new Date('2020-01-02T03:04:05.678Z');
  for (const f of ['etag/a.txt', 'etag/all/a.txt']) utimesSync(join(root, f), old, old);
  // a modification time with nanoseconds past the half microsecond
  write('etag/ns.txt', 'NS\n');
  // (utimes stops at microseconds; GNU touch sets the nanoseconds)
  execFileSync('touch', ['-d', '@1577934245.123456789', join(root, 'etag/ns.txt')]);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const php = (req: IncomingMessage & { filename?: string }, res: ServerResponse) =>
  res.end(`PHP ${req.filename?.slice(root.length)}`);

function siteApp(log: string[] = []) {
  return site({
    root,
    handlers: { 'application/x-httpd-php': php },
    fallthrough: false,
    htaccess: { recheckMs: 0 },
    log: (m) => log.push(m),
  });
}

test('AddHandler and SetHandler name a handler site({ handlers }) runs', async () => {
  const app = siteApp();
  await request(app).get('/php/a.php').expect(200, 'PHP /php/a.php');
  await request(app).get('/set/a.txt').expect(200, 'PHP /set/a.txt');
});

test('a handler nobody registered: the file as it is, like Apache without that module', async () => {
  const app = site({ root, fallthrough: false, log: () => {} });
  const res = await request(app).get('/php/a.php').expect(200, '<?php echo 1; ?>\n');
  expect(res.headers['content-type']).toBeUndefined();
});

test('SetHandler server-status (mod_status, not emulated) is a 500, never the file', async () => {
  const log: string[] = [];
  await request(siteApp(log)).get('/status/a.txt').expect(500);
  expect(log.join('\n')).toContain('handler server-status is not emulated');
});

test('AcceptPathInfo On serves the file with PATH_INFO; Off refuses it even to a handler', async () => {
  const app = siteApp();
  await request(app).get('/pi/a.txt/extra/path').expect(200, 'T\n');
  await request(app).get('/etag/a.txt/extra').expect(404);
  await request(app).get('/pioff/a.php').expect(200, 'PHP /pioff/a.php');
  await request(app).get('/pioff/a.php/extra').expect(404);
});

test("FileETag: Apache's format (size-mtime in microseconds, hex), inode for All, none for None", async () => {
  const app = siteApp();
  const st = statSync(join(root, 'etag/a.txt'));
  const mtime = Math.round(st.mtimeMs * 1000).toString(16);
  const plain = await request(app).get('/etag/a.txt').expect(200);
  expect(plain.headers.etag).toBe(`"${st.size.toString(16)}-${mtime}"`);
  const all = await request(app).get('/etag/all/a.txt').expect(200);
  const stAll = statSync(join(root, 'etag/all/a.txt'));
  expect(all.headers.etag).toBe(`"${stAll.ino.toString(16)}-${stAll.size.toString(16)}-${mtime}"`);
  const none = await request(app).get('/etag/none/a.txt').expect(200);
  expect(none.headers.etag).toBeUndefined();
  // conditional GET compares with the ETag sent
  await request(app).get('/etag/a.txt').set('If-None-Match', plain.headers.etag).expect(304);
});

test("FileETag's mtime is apr_stat's: the nanoseconds truncated to microseconds, not rounded", async () => {
  const st = statSync(join(root, 'etag/ns.txt'), { bigint: true });
  expect(st.mtimeNs % 1000n).toBeGreaterThanOrEqual(500n);
  const res = await request(siteApp()).get('/etag/ns.txt').expect(200);
  expect(res.headers.etag).toBe(`"${st.size.toString(16)}-${(st.mtimeNs / 1000n).toString(16)}"`);
});

test('Content-Language and AddCharset', async () => {
  const app = siteApp();
  const de = await request(app).get('/lang/a.de.html').expect(200);
  expect(de.headers['content-language']).toBe('de-de');
  const css = await request(app).get('/lang/a.css').expect(200);
  expect(css.headers['content-language']).toBe('fr');
  expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
});

test('LimitRequestBody: 413 in site() and in htaccess() before express.static', async () => {
  const siteHandler = siteApp();
  const body = 'x'.repeat(20);
  await request(siteHandler).post('/limit/a.txt').send(body).expect(413);
  await request(siteHandler).post('/limit/a.txt').send('x'.repeat(10)).expect(200, 'T\n');
  const denied = await request(siteHandler).post('/limit/deny/a.txt').send(body).expect(413);
  expect(denied.text).toContain('Additionally, a 403 Forbidden');
  const app = express();
  app.use(htaccess({ root, recheckMs: 0, log: () => {} }));
  app.use(express.static(root));
  await request(app).post('/limit/a.txt').send(body).expect(413);
  await request(app).get('/limit/a.txt').expect(200, 'T\n');
});

test('htaccess() types a file by its .htaccess AddType, so ExpiresByType sees that type', async () => {
  write(
    'addtype/.htaccess',
    'AddType application/x-font-woff woff\nExpiresActive On\n' +
      'ExpiresByType application/x-font-woff "access plus 1 year"\n',
  );
  write('addtype/a.woff', 'W\n');
  write('addtype/a.css', 'C\n');
  const app = express();
  app.use(htaccess({ root, recheckMs: 0, log: () => {} }));
  app.use(express.static(root, { cacheControl: false }));
  const woff = await request(app).get('/addtype/a.woff').expect(200, 'W\n');
  expect(woff.headers['content-type']).toBe('application/x-font-woff');
  expect(woff.headers['cache-control']).toBe('max-age=31536000');
  // no AddType of its own: express.static's type, and no ExpiresByType for it
  const css = await request(app).get('/addtype/a.css').expect(200, 'C\n');
  expect(css.headers['content-type']).toMatch(/^text\/css; charset=utf-8$/i);
  expect(css.headers['cache-control']).toBeUndefined();
});

test('a no-effect directive loads, and is logged once per version of the file', async () => {
  const log: string[] = [];
  const app = siteApp(log);
  await request(app).get('/warn/a.txt').expect(200, 'T\n');
  await request(app).get('/warn/a.txt').expect(200, 'T\n');
  const warnings = log.filter((l) => l.includes('WARN_NO_EFFECT'));
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(
    /warn\/\.htaccess:2:1: warning WARN_NO_EFFECT: .*AddOutputFilterByType/,
  );
});

test('lint prints the warnings of a file that loads, and still exits 0', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['lint', join(root, 'warn/.htaccess')], {
    out: (l: string) => out.push(l),
    err: (l: string) => err.push(l),
  });
  expect(code).toBe(0);
  expect(out.join('\n')).toMatch(/\.htaccess:2:1 info MR002 .*\(WARN_NO_EFFECT\)/);
});
