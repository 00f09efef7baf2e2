/**
 * Issue 12, directories and methods as Debian's Apache answers them (recorded in conformance
 * cases 170-173), through site() and the Express middleware htaccess(): a directory without an
 * index file is listed with `Options Indexes` and 403 with `-Indexes` (mod_autoindex); OPTIONS,
 * TRACE, 405 and 501 come from core's default handler; `/.htaccess` is denied before any
 * per-directory rule can rewrite it; a directory URL without its slash is redirected by mod_dir
 * even when a parent's front-controller rule would rewrite it. Real files, real HTTP.
 */
import { mkdirSync, mkdtempSync, opendirSync, rmSync, writeFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import request from 'supertest';
import express from 'express';
import { answerClientErrors, htaccess, site } from '../../lib/index';

let root: string;
const write = (rel: string, text: string): void => {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), text);
};

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'modrewrite-dirs-'));
  write('index.php', 'INDEX\n');
  write(
    '.htaccess',
    'RewriteEngine On\nRewriteCond %{REQUEST_FILENAME} !-f\nRewriteRule ^ index.php [L]\n',
  );
  write('files/a.txt', 'a\n');
  write('files/b.html', '<p>b</p>\n');
  write('files/secret.txt', 'secret\n');
  write('files/old.bak', 'bak\n');
  write('files/sub/c.txt', 'c\n');
  write(
    'files/.htaccess',
    'RewriteEngine Off\nIndexIgnore *.bak\n<Files secret.txt>\nRequire all denied\n</Files>\n',
  );
  write('closed/.htaccess', 'RewriteEngine Off\nOptions -Indexes\n');
  write('closed/a.txt', 'a\n');
  write('assets/app.css', 'css\n');
  write(
    'slashoff/.htaccess',
    'DirectorySlash Off\nRewriteEngine On\nRewriteCond %{REQUEST_URI} ^/x\\.txt$\nRewriteRule ^ - [F]\nRewriteRule ^plain$ - [T=text/plain]\n',
  );
  write('slashoff/x.txt', 'x\n');
  write('slashoff/y.txt', 'y\n');
  write('slashoff/plain', 'p\n');
  write('cookies/.htaccess', 'RewriteEngine On\nRewriteRule ^c(\\d)$ - [CO=k:$1:.example.com]\n');
  for (const n of [1, 2, 3, 4, 5, 6]) write(`cookies/c${n}`, `${n}\n`);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** site() as `modrewrite serve` runs it, with Debian's `Options Indexes FollowSymLinks`. */
function served(config = 'Options Indexes FollowSymLinks') {
  const s = site({ root, config, fallthrough: false, serverName: 'localhost', log: () => {} });
  return (req: IncomingMessage, res: ServerResponse) => s(req, res);
}

describe('mod_autoindex through site()', () => {
  test('Options Indexes: the listing, with denied and ignored files left out', async () => {
    const res = await request(served()).get('/files/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html;charset=UTF-8');
    expect(res.text).toContain('<title>Index of /files</title>');
    expect(res.text).toContain('<a href="/">Parent Directory</a>');
    expect(res.text).toContain(
      '<img src="/icons/text.gif" alt="[TXT]"></td><td><a href="a.txt">a.txt</a>',
    );
    expect(res.text).toContain('<a href="sub/">sub/</a>');
    expect(res.text).not.toContain('secret.txt');
    expect(res.text).not.toContain('old.bak');
    expect(res.text).not.toContain('.htaccess');
    // VersionSort by name: a.txt, b.html, sub/
    expect(res.text.indexOf('a.txt')).toBeLessThan(res.text.indexOf('b.html'));
    expect(res.text.indexOf('b.html')).toBeLessThan(res.text.indexOf('sub/'));
  });

  test("each entry's sub-request runs the rules, below the parent of the URL-path (case 323)", async () => {
    // `/slashoff` (DirectorySlash Off) looks its entries up as `/x.txt`: the [F] hides it there
    const bare = await request(served()).get('/slashoff');
    expect(bare.status).toBe(200);
    expect(bare.text).not.toContain('x.txt');
    expect(bare.text).toContain('<a href="y.txt">y.txt</a>');
    // [T=] types the entry: the text icon for a name mime.types does not know
    expect(bare.text).toContain('<img src="/icons/text.gif" alt="[TXT]"></td><td><a href="plain">');
    const slashed = await request(served()).get('/slashoff/');
    expect(slashed.text).toContain('<a href="x.txt">x.txt</a>');
  });

  test("the entries' sub-requests run in the directory's own order: its first [CO] wins", async () => {
    // apr_dir_read's order (readdir), not the sorted one: add_cookie sets a name once
    const dir = opendirSync(join(root, 'cookies'));
    const order: string[] = [];
    for (let e = dir.readSync(); e; e = dir.readSync()) order.push(e.name);
    dir.closeSync();
    const first = order.find((n) => /^c\d$/.test(n))!;
    const res = await request(served()).get('/cookies/');
    expect(res.status).toBe(200);
    expect(res.headers['set-cookie']).toEqual([`k=${first.slice(1)}; path=/; domain=.example.com`]);
  });

  test('the client sorts by size, descending; the Size link then turns ascending', async () => {
    const res = await request(served()).get('/files/?C=S;O=D');
    expect(res.text).toContain('<a href="?C=S;O=A">Size</a>');
    expect(res.text.indexOf('b.html')).toBeLessThan(res.text.indexOf('a.txt'));
  });

  test('Options -Indexes in the .htaccess: 403; without Options Indexes anywhere: 403 too', async () => {
    expect((await request(served()).get('/closed/')).status).toBe(403);
    expect((await request(served('Options FollowSymLinks')).get('/files/')).status).toBe(403);
  });

  test('no Options line at all: site() keeps its own answer (404, or next() with fallthrough)', async () => {
    const s = site({ root, serverName: 'localhost', log: () => {} });
    const app = express();
    app.use(s);
    app.use((_req, res) => res.status(299).send('app'));
    expect((await request(app).get('/files/')).status).toBe(299);
  });

  test('HEAD: the type, no body; POST to a directory: 404', async () => {
    const head = await request(served()).head('/files/');
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe('text/html;charset=UTF-8');
    expect((await request(served()).post('/files/').send('x')).status).toBe(404);
  });
});

describe("core's default handler for methods", () => {
  test('OPTIONS: 200, Allow, empty body, for a file, a directory and a missing file', async () => {
    for (const path of ['/files/a.txt', '/files/', '/files/missing']) {
      const res = await request(served()).options(path);
      expect([path, res.status, res.headers.allow, res.text]).toEqual([
        path,
        200,
        'HEAD,GET,POST,OPTIONS,TRACE',
        '',
      ]);
    }
  });

  test('PUT, DELETE, PROPFIND: 405 with Allow; a method Apache does not know: 501', async () => {
    const put = await request(served()).put('/files/a.txt').send('x');
    expect([put.status, put.headers.allow]).toEqual([405, 'HEAD,GET,POST,OPTIONS,TRACE']);
    expect((await request(served()).delete('/files/')).status).toBe(405);
    expect((await request(served()).delete('/files/missing')).status).toBe(405);
    const purge = await request(served()).purge('/files/a.txt');
    expect(purge.status).toBe(501);
    expect(purge.text).toContain('<p>PURGE not supported for current URL.<br />');
  });

  test('TRACE echoes the request as message/http, before the .htaccess is read', async () => {
    const res = await request(served()).trace('/closed/a.txt').set('X-Probe', 'one');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('message/http');
    expect(res.text).toMatch(/^TRACE \/closed\/a\.txt HTTP\/1\.1\r\n/);
    expect(res.text).toContain('X-Probe: one\r\n');
  });
});

describe('phase order', () => {
  test('/.htaccess is 403 although the front-controller rule would rewrite it', async () => {
    expect((await request(served()).get('/.htaccess')).status).toBe(403);
    expect((await request(served()).get('/.htpasswd')).status).toBe(403);
  });

  test('a directory URL without its slash: mod_dir 301 beats the parent rule', async () => {
    const res = await request(served()).get('/assets?x=1');
    expect(res.status).toBe(301);
    expect(res.headers.location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/assets\/\?x=1$/);
    // with the slash, the front controller (the directory is not a file)
    expect((await request(served()).get('/assets/')).text).toBe('INDEX\n');
  });

  test('htaccess() in front of express.static: /.htaccess is 403 before any rewrite', async () => {
    const app = express();
    app.use(htaccess({ root }));
    app.use(express.static(root, { dotfiles: 'allow' }));
    const res = await request(app).get('/.htaccess');
    expect(res.status).toBe(403);
    expect(res.text).not.toContain('RewriteEngine');
  });
});

describe('methods node refuses (TRACK, BREW) through answerClientErrors', () => {
  /** Sends raw bytes and resolves with everything the server answered before closing. */
  function raw(port: number, text: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      let out = '';
      socket.on('data', (d) => (out += d.toString('latin1')));
      socket.on('close', () => resolve(out));
      socket.on('error', reject);
      socket.write(text);
    });
  }

  let server: http.Server;
  let port = 0;
  beforeAll(async () => {
    write(
      'tr/.htaccess',
      'RewriteEngine On\nRewriteCond %{REQUEST_METHOD} ^TRAC[EK]\nRewriteRule .* - [L,R=405]\n',
    );
    write('tr/a.txt', 'a\n');
    server = answerClientErrors(http.createServer(served()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  test.each<[string, RegExp]>([
    [
      'TRACK /tr/a.txt HTTP/1.1\r\nHost: x\r\n\r\n',
      /^HTTP\/1\.1 405 [^]*\r\nAllow: TRACE\r\n[^]*The requested method TRACK is not allowed/,
    ],
    [
      'TRACK /files/a.txt HTTP/1.1\r\nHost: x\r\n\r\n',
      /^HTTP\/1\.1 501 [^]*<p>TRACK not supported for current URL\./,
    ],
    ['BREW /missing HTTP/1.1\r\nHost: x\r\n\r\n', /^HTTP\/1\.1 501 /],
    // a body announced by Content-Length is taken with the head: the rules still decide
    ['TRACK /tr/a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab', /^HTTP\/1\.1 405 /],
    [
      'TRACK /tr/a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      /^HTTP\/1\.1 400 /,
    ],
    ['TR@CK /tr/a.txt HTTP/1.1\r\nHost: x\r\n\r\n', /^HTTP\/1\.1 400 /],
  ])('%j', async (request, answer) => {
    expect(await raw(port, request)).toMatch(answer);
  });

  test('bytes after a dispatched head end the connection: one answer, no hang', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      let out = '';
      socket.on('data', (d) => (out += d.toString('latin1')));
      socket.on('close', () => resolve(out));
      socket.on('error', reject);
      socket.write('TRACK /files/a.txt HTTP/1.1\r\nHost: x\r\n\r\n');
      setTimeout(() => socket.write('GET /files/a.txt HTTP/1.1\r\nHost: x\r\n\r\n'), 20);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 501 /);
    expect(answer.match(/HTTP\/1\.1 /g)).toHaveLength(1);
  });
});
