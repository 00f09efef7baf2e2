/**
 * htaccess(), directorySlash(), staticFirst(), scriptAlias() and site() over real HTTP with real
 * files on disk: reloads, broken files, traversal attempts, symlinks, odd names.
 */
import express from 'express';
import {
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import request from 'supertest';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const express4 = require('express4') as typeof express;
import {
  directorySlash,
  htaccess,
  moduleHandler,
  scriptAlias,
  site,
  staticFirst,
} from '../../lib/index';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const harness = require('../../conformance/harness.cjs');

let tmp: string;
let root: string;
let outside: string;
const write = (rel: string, text: string): void => {
  const p = join(tmp, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
};

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'modrewrite-site-'));
  root = join(tmp, 'www');
  outside = join(tmp, 'outside');
  write('outside/secret.txt', 'SECRET\n');
  write('www/index.html', '<p>home</p>\n');
  write('www/a.txt', 'A-FILE\n');
  write('www/big.txt', 'x'.repeat(1000));
  write('www/.env', 'TOKEN=1\n');
  write('www/.git/config', 'GIT\n');
  write('www/dir/index.html', 'DIR INDEX\n');
  write('www/dir/f.txt', 'F\n');
  write('www/with space/f.txt', 'SPACE\n');
  write('www/\u00e9t\u00e9/f.txt', 'UTF8\n');
  write('www/lt<dir/f.txt', 'LT\n');
  write(
    'www/app/.htaccess',
    'RewriteEngine on\nRewriteRule ^old$ a.txt [L]\nRewriteRule ^gone$ - [G]\nRewriteRule ^r$ /dir/ [R=301,L]\n',
  );
  write('www/app/a.txt', 'APP-A\n');
  write('www/app/b.txt', 'APP-B\n');
  write('www/bad/.htaccess', 'RewriteEngine on\nRewriteRule ^(x$ y\n');
  write('www/bad/f.txt', 'BAD-F\n');
  write('www/quiet/.htaccess', 'DirectorySlash Off\n');
  write(
    'www/scripts/hello.js',
    "let loads = (global.__helloLoads || 0) + 1; global.__helloLoads = loads;\nmodule.exports = (req, res) => res.end(JSON.stringify({ script: 'hello', pathInfo: req.pathInfo, scriptName: req.scriptName, url: req.url, loads }));\n",
  );
  write('www/scripts/boom.js', "module.exports = () => { throw new Error('boom'); };\n");
  write('www/scripts/notafunction.js', 'module.exports = 42;\n');
  write('evil.js', "module.exports = (req, res) => res.end('EVIL');\n");
  symlinkSync(outside, join(root, 'out-link'));
  symlinkSync(join(root, 'dir'), join(root, 'in-link'));
  symlinkSync('loop', join(root, 'loop'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('htaccess()', () => {
  const app = (): express.Express => {
    const a = express();
    a.use(htaccess({ root, recheckMs: 0, log: () => {} }));
    a.use(express.static(root));
    return a;
  };

  test('rewrites req.url per the .htaccess of the directory, then the next middleware serves', async () => {
    const res = await request(app()).get('/app/old');
    expect(res.status).toBe(200);
    expect(res.text).toBe('APP-A\n');
  });

  test('answers [G] and [R] itself', async () => {
    expect((await request(app()).get('/app/gone')).status).toBe(410);
    const r = await request(app()).get('/app/r').set('Host', 'h.example');
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe('http://h.example/dir/');
  });

  test('a changed .htaccess is picked up; a deleted one stops applying', async () => {
    const a = app();
    write('www/app/.htaccess', 'RewriteEngine on\nRewriteRule ^old$ b.txt [L]\n');
    utimesSync(join(root, 'app/.htaccess'), new Date(), new Date(Date.now() + 5000));
    expect((await request(a).get('/app/old')).text).toBe('APP-B\n');
    unlinkSync(join(root, 'app/.htaccess'));
    expect((await request(a).get('/app/old')).status).toBe(404);
    write(
      'www/app/.htaccess',
      'RewriteEngine on\nRewriteRule ^old$ a.txt [L]\nRewriteRule ^gone$ - [G]\nRewriteRule ^r$ /dir/ [R=301,L]\n',
    );
  });

  test('with recheckMs, an edit is seen only after the interval (no stat storm)', async () => {
    const a = express();
    a.use(htaccess({ root, recheckMs: 60_000 }));
    a.use(express.static(root));
    expect((await request(a).get('/app/old')).text).toBe('APP-A\n');
    write('www/app/.htaccess', 'RewriteEngine on\nRewriteRule ^old$ b.txt [L]\n');
    utimesSync(join(root, 'app/.htaccess'), new Date(), new Date(Date.now() + 9000));
    expect((await request(a).get('/app/old')).text).toBe('APP-A\n');
    write(
      'www/app/.htaccess',
      'RewriteEngine on\nRewriteRule ^old$ a.txt [L]\nRewriteRule ^gone$ - [G]\nRewriteRule ^r$ /dir/ [R=301,L]\n',
    );
  });

  test('a broken .htaccess is a 500 under its directory, logged once, while the rest of the site works', async () => {
    const logged: string[] = [];
    const a = express();
    a.use(htaccess({ root, recheckMs: 0, log: (m) => logged.push(m) }));
    a.use(express.static(root));
    expect((await request(a).get('/bad/f.txt')).status).toBe(500);
    expect((await request(a).get('/bad/f.txt')).status).toBe(500);
    expect((await request(a).get('/a.txt')).text).toBe('A-FILE\n');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/bad\/\.htaccess:2:\d+/);
  });

  test('.htaccess itself is 403; works the same on Express 4', async () => {
    const a = express4();
    a.use(htaccess({ root, recheckMs: 0 }));
    a.use(express4.static(root));
    expect((await request(a).get('/app/.htaccess')).status).toBe(403);
    expect((await request(a).get('/app/old')).text).toBe('APP-A\n');
  });
});

describe('directorySlash()', () => {
  test("301 to the URL plus /, query kept, Apache page with Apache's headers only", async () => {
    const a = express();
    a.use(directorySlash({ root }));
    const res = await request(a).get('/dir?x=1&y=2').set('Host', 'h.example');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('http://h.example/dir/?x=1&y=2');
    expect(res.headers['content-security-policy']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBeUndefined();
    expect(res.text).toContain('<a href="http://h.example/dir/?x=1&amp;y=2">here</a>');
  });

  test('mount-aware, leading slashes collapsed, names escaped', async () => {
    const a = express();
    a.use('/mnt', directorySlash({ root }));
    expect((await request(a).get('/mnt/dir').set('Host', 'h')).headers.location).toBe(
      'http://h/mnt/dir/',
    );
    const b = express();
    b.use(directorySlash({ root }));
    // a protocol-relative Location would send the browser to another host
    expect((await request(b).get('//dir').set('Host', 'h')).headers.location).toBe('http://h/dir/');
    expect((await request(b).get('/with%20space').set('Host', 'h')).headers.location).toBe(
      'http://h/with%20space/',
    );
    expect((await request(b).get('/%C3%A9t%C3%A9').set('Host', 'h')).headers.location).toBe(
      'http://h/%c3%a9t%c3%a9/',
    );
    const lt = await request(b).get('/lt%3Cdir').set('Host', 'h');
    expect(lt.headers.location).toBe('http://h/lt%3cdir/');
    expect(lt.text).not.toContain('lt<dir');
  });

  test('files, trailing slashes, dot-directories, enabled:false and DirectorySlash Off pass through', async () => {
    const a = express();
    a.use(directorySlash({ root }));
    a.use((req, res) => {
      res.status(299).send(req.url);
    });
    for (const u of ['/a.txt', '/dir/', '/.git', '/nothing', '/quiet'])
      expect((await request(a).get(u)).status).toBe(299);
    const off = express();
    off.use(directorySlash({ root, enabled: false }));
    off.use((req, res) => {
      res.status(299).end();
    });
    expect((await request(off).get('/dir')).status).toBe(299);
  });
});

describe('staticFirst()', () => {
  const app = (): express.Express => {
    const a = express();
    a.use(staticFirst({ root }));
    a.use((req, res) => {
      res.status(299).json({ fellThrough: req.method + ' ' + req.url });
    });
    return a;
  };

  test('serves files with Content-Type, ETag/304, Range and HEAD', async () => {
    const res = await request(app()).get('/a.txt');
    expect(res.status).toBe(200);
    expect(res.text).toBe('A-FILE\n');
    expect(res.headers['content-type']).toBe('text/plain');
    const again = await request(app()).get('/a.txt').set('If-None-Match', res.headers.etag);
    expect(again.status).toBe(304);
    const range = await request(app()).get('/big.txt').set('Range', 'bytes=10-19');
    expect(range.status).toBe(206);
    expect(range.headers['content-range']).toBe('bytes 10-19/1000');
    expect(range.text).toBe('x'.repeat(10));
    const head = await request(app()).head('/a.txt');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('7');
  });

  test('misses, directories and other methods fall through', async () => {
    expect((await request(app()).get('/nope')).status).toBe(299);
    expect((await request(app()).get('/dir/')).status).toBe(299);
    expect((await request(app()).post('/a.txt')).body).toEqual({ fellThrough: 'POST /a.txt' });
  });

  test('never a file outside root nor a dotfile: traversal, encoded dots and slashes, backslashes, NUL, symlinks', async () => {
    const port = await listen(app());
    const targets = [
      '/../outside/secret.txt',
      '/%2e%2e/outside/secret.txt',
      '/dir/%2e%2e/%2e%2e/outside/secret.txt',
      '/..%2foutside%2fsecret.txt',
      '/..\\outside\\secret.txt',
      '/a.txt%00.html',
      '/.env',
      '/.git/config',
      '/out-link/secret.txt',
      '/%2e%65nv',
      '/loop',
    ];
    for (const target of targets) {
      const r = await harness.rawRequest(port, { target }, 'h');
      expect(r.body).not.toContain('SECRET');
      expect(r.body).not.toContain('TOKEN');
      expect(r.body).not.toContain('GIT');
      expect([299, 400, 404]).toContain(r.status);
    }
    expect((await request(app()).get('/in-link/f.txt')).text).toBe('F\n');
  });
});

describe('scriptAlias()', () => {
  test('maps /python_app/<name>/rest to scripts/<name>.js with scriptName and pathInfo, loading each module once', async () => {
    const a = express();
    a.use(scriptAlias(/^\/python_app\/([^/]+)/, join(root, 'scripts')));
    const r1 = await request(a).get('/python_app/hello/test?a=1');
    r1.body = JSON.parse(r1.text);
    expect(r1.body).toMatchObject({
      script: 'hello',
      pathInfo: '/test',
      scriptName: '/python_app/hello',
      url: '/python_app/hello/test?a=1',
    });
    const r2 = await request(a).get('/python_app/hello');
    expect(JSON.parse(r2.text)).toMatchObject({ pathInfo: '', loads: r1.body.loads });
  });

  test('no module outside the folder; a missing one falls through; a throwing one is next(err)', async () => {
    const a = express();
    a.use(scriptAlias(/^\/python_app\/([^/]+)/, join(root, 'scripts')));
    a.use((req, res) => {
      res.status(299).end();
    });
    a.use(
      (err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        res.status(500).send(err.message);
      },
    );
    expect((await request(a).get('/python_app/..%2F..%2Fevil')).status).toBe(299);
    expect((await request(a).get('/python_app/nothing')).status).toBe(299);
    expect((await request(a).get('/python_app/boom')).text).toBe('boom');
    expect((await request(a).get('/python_app/notafunction')).text).toMatch(/does not export/);
  });
});

describe('site()', () => {
  test('falls through to Express routes with the rewritten URL', async () => {
    const a = express();
    a.use(
      site({ root, config: 'RewriteEngine on\nRewriteRule ^/api/(.*)$ /v1/$1 [L]', log: () => {} }),
    );
    a.get('/v1/:x', (req, res) => {
      res.send(`route ${req.params.x} ${req.originalUrl}`);
    });
    expect((await request(a).get('/api/users')).text).toBe('route users /api/users');
  });

  test('addHandler + moduleHandler runs modules; [H=] names a handler; [T=] forces a type', async () => {
    const a = express();
    a.use(
      site({
        root,
        config:
          'RewriteEngine on\nRewriteRule ^/typed$ /a.txt [T=text/x-demo]\nRewriteRule ^/h$ /a.txt [H=echo]',
        addHandler: { '.js': 'node-module' },
        handlers: {
          'node-module': moduleHandler({ dir: join(root, 'scripts') }),
          echo: (req, res) => {
            res.end(`echo ${(req as { filename?: string }).filename?.endsWith('/a.txt')}`);
          },
        },
      }),
    );
    expect((await request(a).get('/scripts/hello.js/more')).status).toBe(200);
    expect((await request(a).get('/typed')).headers['content-type']).toBe('text/x-demo');
    expect((await request(a).get('/h')).text).toBe('echo true');
  });

  test('a filesystem substitution is served only under root or allowedRoots', async () => {
    const config = `RewriteEngine on\nRewriteRule ^/s$ ${outside}/secret.txt [L]`;
    const closed = express();
    closed.use(site({ root, config, fallthrough: false }));
    expect((await request(closed).get('/s')).status).toBe(404);
    const open = express();
    open.use(site({ root, config, allowedRoots: [outside] }));
    expect((await request(open).get('/s')).text).toBe('SECRET\n');
  });

  test('symlinks: inside the root followed, out of it 403 (follow: served), a loop 403; dotfiles hidden', async () => {
    const a = express();
    a.use(site({ root, fallthrough: false }));
    expect((await request(a).get('/in-link/f.txt')).text).toBe('F\n');
    expect((await request(a).get('/out-link/secret.txt')).status).toBe(403);
    expect((await request(a).get('/loop')).status).toBe(403);
    expect((await request(a).get('/.env')).status).toBe(404);
    expect((await request(a).get('/.git/config')).status).toBe(404);
    const f = express();
    f.use(site({ root, symlinks: 'follow' }));
    expect((await request(f).get('/out-link/secret.txt')).text).toBe('SECRET\n');
  });

  test('names with spaces and UTF-8; a 1 MB .htaccess compiles once and works', async () => {
    const lines = ['RewriteEngine on'];
    for (let i = 0, size = 0; size < 1_000_000; i++) {
      lines.push(`RewriteRule ^rule${i}/(.*)$ target.txt?n=${i}&v=$1 [L]`);
      size += lines[lines.length - 1].length + 1;
    }
    write('www/huge/.htaccess', lines.join('\n') + '\n');
    write('www/huge/target.txt', 'HUGE\n');
    const a = express();
    a.use(site({ root, fallthrough: false }));
    const t0 = Date.now();
    expect((await request(a).get('/huge/rule5/x')).text).toBe('HUGE\n');
    const first = Date.now() - t0;
    const t1 = Date.now();
    expect((await request(a).get(`/huge/rule${lines.length - 3}/x`)).text).toBe('HUGE\n');
    expect(Date.now() - t1).toBeLessThanOrEqual(first + 50);
    expect((await request(a).get('/with%20space/f.txt')).text).toBe('SPACE\n');
    expect((await request(a).get('/%C3%A9t%C3%A9/f.txt')).text).toBe('UTF8\n');
  });

  test("requests node cannot parse get Apache's 400 page, the process keeps serving", async () => {
    const port = await listen(site({ root, fallthrough: false }));
    const bad = await harness.rawRequest(port, { target: '/with space/f.txt' }, 'h');
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('<h1>Bad Request</h1>');
    expect((await harness.rawRequest(port, { target: '/a.txt' }, 'h')).body).toBe('A-FILE\n');
  });
});

const servers: http.Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});
async function listen(
  handler: http.RequestListener | ((req: http.IncomingMessage, res: http.ServerResponse) => void),
): Promise<number> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { answerClientErrors } = require('../../lib/index');
  const s = answerClientErrors(http.createServer(handler as http.RequestListener));
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}
