/**
 * Issue 12, requests at the edges of HTTP as Apache 2.4.71 answers them (found with the extra
 * requests of the real-world corpus, conformance/real-world/*.json): conditional and Range
 * requests on a file the rules pass (412, 416, 304 with the file's type for mod_expires and
 * mod_headers), a name the directory walk cannot stat, and what node's parser refuses or answers
 * itself (an over-long request line, Expect, CONNECT, HTTP/1.2, a lower-case method with a body).
 * A server built as `modrewrite serve` builds it, real files, raw sockets.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { site } from '../../lib/index';
import { answerClientErrors, refuseLongRequestLine } from '../../lib/site/client-error';
import { sendStatus } from '../../lib/http/respond';

let root: string;
let server: http.Server;
let port = 0;

const write = (rel: string, text: string): void => {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), text);
};

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'modrewrite-edges-'));
  write(
    '.htaccess',
    [
      'RewriteEngine On',
      'RewriteRule \\.gz$ - [T=text/css]',
      'RewriteRule ^route$ index.php [L]',
      'ExpiresActive On',
      'ExpiresDefault A60',
      'ExpiresByType text/css A31536000',
      'Header always set X-Always 1',
      'Header set X-Success 1',
      'Header set Content-Type "text/plain" "expr=-z %{CONTENT_TYPE}"',
      'ErrorDocument 403 "denied by htaccess',
      '',
    ].join('\n'),
  );
  write('a.css', 'body{}\n');
  write('b.css.gz', 'gz\n');
  write('index.php', 'INDEX\n');
  const handler = site({ root, dotfiles: true, directoryIndex: ['index.php'] });
  server = answerClientErrors(
    http.createServer((req, res) => {
      if (refuseLongRequestLine(req, res)) return;
      handler(req, res, () => sendStatus(req, res, 404));
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(root, { recursive: true, force: true });
});

interface Answer {
  head: string;
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** Sends the parts (a few ms apart) and parses everything the server answered before closing. */
function raw(...parts: string[]): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (d) => (out += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const end = out.indexOf('\r\n\r\n');
      const [line = '', ...fields] = out.slice(0, end).split('\r\n');
      const headers = new Map<string, string>();
      for (const f of fields)
        headers.set(f.slice(0, f.indexOf(':')).toLowerCase(), f.slice(f.indexOf(':') + 1).trim());
      resolve({
        head: line,
        status: Number(line.split(' ')[1]),
        headers,
        body: out.slice(end + 4),
      });
    });
    let i = 0;
    const next = (): void => {
      if (i >= parts.length) return;
      socket.write(parts[i++]!, 'latin1');
      setTimeout(next, 30);
    };
    next();
  });
}

const get = (target: string, fields = ''): Promise<Answer> =>
  raw(`GET ${target} HTTP/1.1\r\nHost: x\r\n${fields}Connection: close\r\n\r\n`);

describe('conditions and ranges on a file', () => {
  test('an unsatisfiable Range is 416, an error page with only the always headers', async () => {
    const a = await get('/a.css', 'Range: bytes=9999-\r\n');
    expect(a.status).toBe(416);
    expect(a.body).toContain('<title>416 Requested Range Not Satisfiable</title>');
    expect(a.body).toContain('None of the range-specifier values in the Range');
    expect(a.headers.get('x-always')).toBe('1');
    expect(a.headers.has('x-success')).toBe(false);
  });

  test.each([['If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT\r\n'], ['If-Match: "nope"\r\n']])(
    '%j is 412: the file type and Header set, an empty body, no mod_expires',
    async (field) => {
      const a = await get('/a.css', field);
      expect(a.status).toBe(412);
      expect(a.headers.get('content-type')).toBe('text/css');
      expect(a.headers.get('x-success')).toBe('1');
      expect(a.headers.has('cache-control')).toBe(false);
      expect(a.body).toBe('');
    },
  );

  test('POST with a matching If-None-Match is 412; If-Modified-Since does not apply to it', async () => {
    const post = (field: string): Promise<Answer> =>
      raw(
        `POST /a.css HTTP/1.1\r\nHost: x\r\n${field}Content-Length: 1\r\nConnection: close\r\n\r\nx`,
      );
    const refused = await post('If-None-Match: *\r\n');
    expect(refused.status).toBe(412);
    expect(refused.headers.get('content-type')).toBe('text/css');
    const later = new Date(Date.now() + 1000).toUTCString();
    const served = await post(`If-Modified-Since: ${later}\r\n`);
    expect(served.status).toBe(200);
    expect(served.body).toBe('body{}\n');
  });

  test('a 304 keeps the type for ExpiresByType and %{CONTENT_TYPE}, then sends none', async () => {
    const a = await get('/a.css', 'If-None-Match: *\r\n');
    expect(a.status).toBe(304);
    expect(a.headers.get('cache-control')).toBe('max-age=31536000');
    expect(a.headers.has('content-type')).toBe(false);
  });

  test('[T=] forces no Content-Type onto a 304', async () => {
    expect((await get('/b.css.gz')).headers.get('content-type')).toBe('text/css');
    const a = await get('/b.css.gz', 'If-None-Match: *\r\n');
    expect(a.status).toBe(304);
    expect(a.headers.has('content-type')).toBe(false);
  });

  test('a name the walk cannot stat (256 bytes) is 403 without the .htaccess lines', async () => {
    const a = await get('/' + 'n'.repeat(256));
    expect(a.status).toBe(403);
    expect(a.headers.has('x-always')).toBe(false);
    expect(a.body).toContain('<title>403 Forbidden</title>');
  });
});

describe('what node refuses or answers itself', () => {
  test.each([
    [8191, 200],
    [8192, 414],
    [20000, 414],
  ])('a request line of %i bytes: %i (LimitRequestLine 8190)', async (length, status) => {
    // "GET /route?qqq… HTTP/1.1": 4 + target + 9 bytes
    const target = '/route?' + 'q'.repeat(length - 13 - 7);
    const a = await get(target);
    expect(a.status).toBe(status);
    if (status === 414) expect(a.body).toContain("The requested URL's length exceeds the capacity");
  });

  test('a header field too large is still 431', async () => {
    expect((await get('/route', `X-Big: ${'b'.repeat(20000)}\r\n`)).status).toBe(431);
  });

  test('Expect other than 100-continue: Apache 417 page quoting it, escaped', async () => {
    const a = await get('/route', 'Expect: <b>\r\n');
    expect(a.status).toBe(417);
    expect(a.body).toContain('The client sent<pre>\n    Expect: &lt;b&gt;\n</pre>\n');
    expect(a.headers.has('x-always')).toBe(false);
  });

  test.each([
    ['CONNECT /route HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['GET /route HTTP/1.2\r\nHost: x\r\n\r\n', 200],
    ['GET /route HTTP/3.0\r\nHost: x\r\n\r\n', 200],
    ['GET /route HTTP/2.0\r\nHost: x\r\n\r\n', 200],
    ['GET /route HTTP/1.10\r\nHost: x\r\n\r\n', 400],
    ['post /route HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\na=1', 501],
    [
      'post /route HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n',
      400,
    ],
    ['post /route HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\naGET / HTTP/1.1\r\n\r\n', 400],
  ])('%j: %i', async (request, status) => {
    expect((await raw(request)).status).toBe(status);
  });

  test('CONNECT host:port runs as a request for / on that host: the .htaccess decides', async () => {
    const a = await raw('CONNECT www.example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(a.status).toBe(405);
    expect(a.body).toContain('The requested method CONNECT is not allowed for this URL.');
    expect(a.headers.get('x-always')).toBe('1');
  });

  test('a lower-case method whose body comes in later packets is answered once it is all there', async () => {
    const a = await raw(
      'post /route HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\n',
      'abc',
      'def',
    );
    expect(a.status).toBe(501);
    expect(a.body).toContain('<p>post not supported for current URL.');
  });
});
