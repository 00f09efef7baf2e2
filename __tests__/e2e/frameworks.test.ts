/** rewrite() in Express 5, Express 4, Connect and plain node:http, through real HTTP (supertest). */
import connect from 'connect';
import express5 from 'express';
import http from 'node:http';
import request from 'supertest';
import { rewrite, rewriteInfo } from '../../lib/index';
import type { RewriteInfo } from '../../lib/index';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const express4 = require('express4') as typeof express5;

const RULES = `
  RewriteEngine on
  RewriteCond %{HTTP_HOST} ^example\\.com$ [NC]
  RewriteRule ^/(.*)$ http://www.example.com/$1 [R=301,L]
  RewriteRule ^/old/(\\d+)$ /new?id=$1 [QSA,L]
  RewriteRule ^/tag/(.*)$ /new?id=$1 [QSA,L]
  RewriteRule \\.exe$ - [F]
  RewriteRule ^/gone$ - [G]
  RewriteRule ^/api/(.*)$ http://127.0.0.1:9/$1 [P]
`;

describe.each([
  ['express 5', express5],
  ['express 4', express4],
])('%s', (_name, express) => {
  const app = express();
  app.use(rewrite(RULES));
  app.get('/new', (req, res) => {
    res.json({ url: req.url, originalUrl: req.originalUrl, id: req.query.id, q: req.query.q });
  });

  test('internal rewrite: later routes see the new URL, originalUrl is kept', async () => {
    const res = await request(app).get('/old/42?q=x').set('Host', 'www.example.com');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      url: '/new?id=42&q=x',
      originalUrl: '/old/42?q=x',
      id: '42',
      q: 'x',
    });
  });

  // Apache's QUERY_STRING is `id=c#&q=x` (the $1 of a decoded %23, case 545): in req.url the `#`
  // is %23, or Express would read `#&q=x` as a fragment and lose both values
  test('a `#` in the rewritten query reaches the route as part of the value', async () => {
    const res = await request(app).get('/tag/c%23?q=x').set('Host', 'www.example.com');
    expect(res.body).toEqual({
      url: '/new?id=c%23&q=x',
      originalUrl: '/tag/c%23?q=x',
      id: 'c#',
      q: 'x',
    });
  });

  test("redirect with a fully qualified, escaped Location and only Apache's headers", async () => {
    const res = await request(app).get('/a%20b?x=1').set('Host', 'EXAMPLE.com');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('http://www.example.com/a%20b?x=1');
    // Apache sends no nosniff or CSP of its own on its pages (real-world corpus)
    expect(res.headers['x-content-type-options']).toBeUndefined();
    expect(res.text).toContain('<a href="http://www.example.com/a%20b?x=1">');
  });

  test('[F] and [G] answer directly', async () => {
    expect((await request(app).get('/x.exe')).status).toBe(403);
    expect((await request(app).get('/gone')).status).toBe(410);
  });

  test('[P] without a proxy answers 403 like Apache without mod_proxy', async () => {
    expect((await request(app).get('/api/x')).status).toBe(403);
  });

  test('malformed paths get Apache statuses, never an exception', async () => {
    expect((await request(app).get('/a%zz')).status).toBe(400);
    expect((await request(app).get('/a%2fb')).status).toBe(404);
    expect((await request(app).get('/a%00b')).status).toBe(404);
  });

  test('no rule matches: the request passes through untouched', async () => {
    const res = await request(app).get('/new?id=7');
    expect(res.body).toMatchObject({ url: '/new?id=7', id: '7' });
  });
});

// apps of both versions in one process, one request after the other: each sees its query
test('Express 4 and Express 5 apps in turn both see the rewritten query', async () => {
  const apps = [express4(), express5(), express4(), express5()];
  for (const app of apps) {
    app.use(rewrite(RULES));
    app.get('/new', (req, res) => {
      res.json({ id: req.query.id });
    });
  }
  for (let round = 0; round < 3; round++)
    for (const [i, app] of apps.entries()) {
      const res = await request(app).get(`/old/${round}${i}`);
      expect(res.body).toEqual({ id: `${round}${i}` });
    }
});

// Express 5's query is a getter; validators make it an own writable property to sanitise it
// (the getter cannot be assigned). After a rewrite, routes must see the new query, not that copy.
test('Express 5: an own query property set before rewrite() is re-parsed', async () => {
  const app = express5();
  app.use((req, _res, next) => {
    const query: unknown = { ...req.query };
    Object.defineProperty(req, 'query', { value: query, writable: true, configurable: true });
    next();
  });
  app.use(rewrite(RULES));
  app.get('/new', (req, res) => {
    res.json({ id: req.query.id, q: req.query.q });
  });
  const res = await request(app).get('/old/42?q=x');
  expect(res.body).toEqual({ id: '42', q: 'x' });
});

describe('connect', () => {
  const app = connect();
  app.use(rewrite(RULES));
  app.use('/new', (req: http.IncomingMessage, res: http.ServerResponse) => {
    res.end(
      JSON.stringify({ url: req.url, originalUrl: (req as { originalUrl?: string }).originalUrl }),
    );
  });
  test('rewrites req.url, keeps originalUrl', async () => {
    const res = await request(app).get('/old/7');
    expect(JSON.parse(res.text)).toEqual({ url: '/?id=7', originalUrl: '/old/7' });
  });
  test('redirects', async () => {
    const res = await request(app).get('/x').set('Host', 'example.com');
    expect(res.status).toBe(301);
  });
});

describe('plain node:http', () => {
  const mw = rewrite(RULES);
  const server = http.createServer((req, res) => {
    mw(req, res, () => res.end(`final ${req.url}`));
  });
  const bare = http.createServer((req, res) => mw(req, res));
  test('next() sees the rewritten URL', async () => {
    const res = await request(server).get('/old/9?z=1');
    expect(res.text).toBe('final /new?id=9&z=1');
  });
  test('without next, a status outcome still answers', async () => {
    expect((await request(bare).get('/x.exe')).status).toBe(403);
    expect((await request(bare).get('/nothing')).status).toBe(404);
  });
});

describe('typed rules, path rules, maps, env, cookies, types and handlers', () => {
  const app = express5();
  const seen: string[] = [];
  app.use(
    rewrite(
      [
        { path: '/users/:id', substitution: '/profile/:id', flags: ['L'] },
        { pattern: /^\/CASE$/i, substitution: '/new', flags: 'L' },
        {
          pattern: '^/h/(.*)$',
          substitution: '/x/${up:$1}',
          flags: ['E=WHO:$1', 'L'],
          conditions: [{ testString: '%{HTTP:X-Token}', pattern: '=secret' }],
        },
        { pattern: '^/async/(.*)$', substitution: '/x/${slow:$1|none}', flags: ['L'] },
        {
          pattern: '^/cookie$',
          substitution: '-',
          flags: ['CO=lang:fr:example.com:0:/:secure:httponly:Lax'],
        },
        { pattern: '^/typed$', substitution: '/x/typed', flags: ['T=text/plain', 'L'] },
        { pattern: '^/handled$', substitution: '-', flags: ['H=hello'] },
      ],
      {
        maps: {
          up: (k) => k.toUpperCase(),
          slow: async (k) => {
            await new Promise((r) => setTimeout(r, 5));
            return k === 'known' ? 'KNOWN' : undefined;
          },
        },
        handlers: {
          hello: (_req, res) => {
            res.end('hello handler');
          },
        },
      },
    ),
  );
  app.get('/profile/:id', (req, res) => {
    res.send(`profile ${req.params.id}`);
  });
  app.get('/new', (_req, res) => {
    res.send('new');
  });
  app.get('/x/:v', (req, res) => {
    // req.rewrite exists only when a rule set env, a type, a handler or tracing is on
    const info = (req as unknown as { rewrite?: RewriteInfo }).rewrite;
    seen.push(info?.env.WHO ?? '');
    res.send(`x ${req.params.v}`);
  });
  app.get('/cookie', (_req, res) => {
    res.send('cookie');
  });

  test('Express-style path with named parameters', async () => {
    expect((await request(app).get('/users/17')).text).toBe('profile 17');
  });
  test('RegExp pattern honours its i flag', async () => {
    expect((await request(app).get('/case')).text).toBe('new');
  });
  test('conditions, sync user maps and E= visible as req.rewrite.env', async () => {
    expect((await request(app).get('/h/abc').set('X-Token', 'secret')).text).toBe('x ABC');
    expect(seen.pop()).toBe('abc');
    expect((await request(app).get('/h/abc')).status).toBe(404);
  });
  test('async user maps, with default', async () => {
    expect((await request(app).get('/async/known')).text).toBe('x KNOWN');
    expect((await request(app).get('/async/other')).text).toBe('x none');
  });
  test('CO sets a cookie formatted like Apache', async () => {
    const res = await request(app).get('/cookie');
    expect(res.headers['set-cookie']).toEqual([
      'lang=fr; path=/; domain=example.com; secure; HttpOnly; SameSite=Lax',
    ]);
  });
  test('T forces the Content-Type', async () => {
    const res = await request(app).get('/typed');
    expect(res.headers['content-type']).toBe('text/plain');
  });
  test('H dispatches to options.handlers', async () => {
    expect((await request(app).get('/handled')).text).toBe('hello handler');
  });
});

describe('[P] hand-off to options.proxy', () => {
  test('receives the canonicalised target', async () => {
    const app = express5();
    app.use(
      rewrite('RewriteRule ^/api/(.*)$ http://127.0.0.1:9/$1 [P]', {
        proxy: (_req, res, _next, p) => {
          res.end(JSON.stringify(p));
        },
      }),
    );
    const res = await request(app).get('/api/a%20b?x=1');
    expect(JSON.parse(res.text)).toEqual({
      target: 'http://127.0.0.1:9/a%20b?x=1',
      noCanon: false,
    });
  });
});

describe('per-directory context under an Express mount', () => {
  const app = express5();
  app.use(
    '/python_app',
    rewrite(
      `
    RewriteEngine on
    RewriteCond %{REQUEST_URI} !\\.py$
    RewriteRule ^(.*)$ $1.py [L]
  `,
      { context: 'directory' },
    ),
  );
  app.get('/python_app/:script', (req, res) => {
    res.send(`${req.params.script} ${req.originalUrl} ${req.url}`);
  });
  test('the prefix is stripped for matching and re-added', async () => {
    expect((await request(app).get('/python_app/hello?a=1')).text).toBe(
      'hello.py /python_app/hello?a=1 /python_app/hello.py?a=1',
    );
  });
});

describe('loop limits answer 500 through next(err)', () => {
  test('[N] round cap', async () => {
    const app = express5();
    app.use(rewrite('RewriteRule ^/(.*)$ /$1 [N=10]'));
    app.use(
      (
        err: { status: number; code: string },
        _req: express5.Request,
        res: express5.Response,
        _next: express5.NextFunction,
      ) => {
        res.status(err.status).send(err.code);
      },
    );
    const res = await request(app).get('/x');
    expect(res.status).toBe(500);
    expect(res.text).toBe('ERR_MAX_ROUNDS');
  });
  test('per-directory internal redirects cap at 10 (LimitInternalRecursion)', async () => {
    const app = express5();
    app.use(
      rewrite('RewriteEngine on\nRewriteRule ^(.*)$ /index.php [L]', { context: 'directory' }),
    );
    app.use(
      (
        err: { status: number; code: string },
        _req: express5.Request,
        res: express5.Response,
        _next: express5.NextFunction,
      ) => {
        res.status(err.status).send(err.code);
      },
    );
    const res = await request(app).get('/foo');
    expect(res.status).toBe(500);
    expect(res.text).toBe('ERR_RECURSION');
  });
});

describe('trustProxy: forwarded headers count only when configured', () => {
  const rules = `
    RewriteCond %{REMOTE_ADDR} ^10\\.1\\.2\\.3$
    RewriteRule ^/who$ /trusted [L]
    RewriteCond %{HTTPS} =on
    RewriteRule ^/scheme$ /secure [L]
    RewriteRule ^/redir$ /target [R,L]
  `;
  const make = (trustProxy?: string) => {
    const app = express5();
    app.use(rewrite(rules, { trustProxy }));
    app.use((req, res) => {
      res.send(req.url);
    });
    return app;
  };
  test('by default X-Forwarded-For and X-Forwarded-Proto are ignored', async () => {
    const app = make();
    expect((await request(app).get('/who').set('X-Forwarded-For', '10.1.2.3')).text).toBe('/who');
    expect((await request(app).get('/scheme').set('X-Forwarded-Proto', 'https')).text).toBe(
      '/scheme',
    );
  });
  test('with trustProxy: loopback they are honoured, redirects use https', async () => {
    const app = make('loopback');
    expect((await request(app).get('/who').set('X-Forwarded-For', '10.1.2.3')).text).toBe(
      '/trusted',
    );
    expect((await request(app).get('/scheme').set('X-Forwarded-Proto', 'https')).text).toBe(
      '/secure',
    );
    const res = await request(app)
      .get('/redir')
      .set('Host', 'www.example.com')
      .set('X-Forwarded-Proto', 'https');
    expect(res.headers.location).toBe('https://www.example.com/target');
  });
});

describe('redirect hygiene', () => {
  test('the HTML body escapes the Location, which Apache-style escaping already encoded', async () => {
    const app = express5();
    app.use(rewrite('RewriteRule ^/x/(.*)$ /y/$1 [R,NE,L]'));
    const res = await request(app).get('/x/%22%3E%3Cscript%3E').set('Host', 'h.example');
    expect(res.status).toBe(302);
    expect(res.headers['content-security-policy']).toBeUndefined();
    expect(res.text).not.toContain('<script>');
    expect(res.text).toContain('&quot;&gt;&lt;script&gt;'); // ap_escape_html
  });
});

describe('Vary and cookies, as Apache sends them', () => {
  const app = express5();
  app.use(
    rewrite(`
    RewriteCond %{HTTP_USER_AGENT} iPhone
    RewriteRule ^/$ /m [L]
    RewriteCond %{HTTP_USER_AGENT} iPhone
    RewriteRule ^/go$ /m [R,L,CO=seen:1:example.com]
  `),
  );
  app.get('/m', (_req, res) => {
    res.send('mobile');
  });
  test('a rewrite that depended on User-Agent adds Vary to the app response', async () => {
    const res = await request(app).get('/').set('User-Agent', 'iPhone');
    expect(res.text).toBe('mobile');
    expect(res.headers.vary).toBe('User-Agent');
  });
  test('a redirect modrewrite answers keeps Set-Cookie but, like Apache, no Vary', async () => {
    const res = await request(app).get('/go').set('User-Agent', 'iPhone').set('Host', 'h.example');
    expect(res.status).toBe(302);
    expect(res.headers.vary).toBeUndefined();
    expect(res.headers['set-cookie']).toEqual(['seen=1; path=/; domain=example.com']);
  });
});

describe('trace', () => {
  test('options.trace receives Apache-style trace lines and req.rewrite.trace keeps them', async () => {
    const lines: string[] = [];
    const app = express5();
    app.use(
      rewrite('RewriteCond %{HTTP_HOST} ^t\\.example$\nRewriteRule ^/a$ /b [L]', {
        trace: (l) => lines.push(l),
      }),
    );
    app.use((req, res) => {
      res.json((req as unknown as { rewrite: RewriteInfo }).rewrite.trace);
    });
    const res = await request(app).get('/a').set('Host', 't.example');
    expect(lines).toEqual(
      expect.arrayContaining([
        "rules:2:1: applying pattern '^/a$' to uri '/a'",
        "rules:1:1: RewriteCond: input='t.example' pattern='^t\\.example$' => matched",
        'rules:2:1: stopped: [L]',
        'result: rewritten to /b',
      ]),
    );
    // the first line, at creation, says what was inferred; the rest are this request's
    expect(lines[0]).toBe(
      'rewrite() rules: server context, RewriteEngine on (implied: the rules do not say RewriteEngine)',
    );
    expect(res.body).toEqual(lines.slice(1));
  });
});

describe('req.rewrite', () => {
  test('absent for a plain rewrite, present with exposeOutcome or when env is set', async () => {
    const make = (exposeOutcome?: boolean) => {
      const app = express5();
      app.use(
        rewrite('RewriteRule ^/a$ /b [L]\nRewriteRule ^/e$ /b [E=WHO:me,L]', { exposeOutcome }),
      );
      app.use((req, res) => {
        res.json(rewriteInfo(req) ?? null);
      });
      return app;
    };
    expect((await request(make()).get('/a')).body).toBeNull();
    expect((await request(make(true)).get('/a')).body).toMatchObject({
      outcome: { type: 'rewrite', path: '/b' },
      env: {},
    });
    expect((await request(make()).get('/e')).body).toMatchObject({ env: { WHO: 'me' } });
  });
});

describe.each([
  ['express 5', express5],
  ['express 4', express4],
])('%s: a per-directory rewrite that leaves its mount', (_name, express) => {
  test('is re-dispatched through the app (like ap_internal_redirect) and keeps originalUrl', async () => {
    const app = express();
    app.use(
      '/app',
      rewrite('RewriteEngine on\nRewriteRule ^old$ /elsewhere/new?from=app [L]', {
        context: 'directory',
      }),
    );
    app.get('/elsewhere/new', (req, res) => {
      res.json({ url: req.url, originalUrl: req.originalUrl, from: req.query.from });
    });
    const res = await request(app).get('/app/old');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      url: '/elsewhere/new?from=app',
      originalUrl: '/app/old',
      from: 'app',
    });
  });
  test('a ping-pong between two mounts ends in 500 after 10 re-dispatches', async () => {
    const app = express();
    app.use('/a', rewrite('RewriteRule ^(.*)$ /b/$1 [L]', { context: 'directory' }));
    app.use('/b', rewrite('RewriteRule ^(.*)$ /a/$1 [L]', { context: 'directory' }));
    app.use(
      (
        err: { status?: number },
        _req: express5.Request,
        res: express5.Response,
        _next: express5.NextFunction,
      ) => {
        res.status(err.status ?? 500).send('limit');
      },
    );
    const res = await request(app).get('/a/x');
    expect(res.status).toBe(500);
  });
});
