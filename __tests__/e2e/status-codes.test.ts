/**
 * Issue 9, item 4: `[R=503]` reached next(err) as ERR_URI_TOO_LONG ("rule limit exceeded"). Each
 * status outcome, through rewrite() in Express: the status, and the code next(err) receives. The
 * cause → code table itself: __tests__/unit/errors/status-codes.test.ts.
 */
import express from 'express';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { RewriteErrorCode } from '../../lib/errors';
import { rewrite } from '../../lib/http/rewrite';

interface Row {
  readonly rules: string;
  readonly target: string;
  readonly status: number;
  /** The code next(err) receives (5xx), or undefined when the middleware answers itself (4xx). */
  readonly code?: RewriteErrorCode;
  readonly context?: 'server' | 'directory';
}

const rows: ReadonlyArray<readonly [string, Row]> = [
  ['[F]', { rules: 'RewriteRule ^/f$ - [F]', target: '/f', status: 403 }],
  ['[G]', { rules: 'RewriteRule ^/g$ - [G]', target: '/g', status: 410 }],
  ['[R=451]', { rules: 'RewriteRule ^/r$ - [R=451]', target: '/r', status: 451 }],
  ['[R=404]', { rules: 'RewriteRule ^/r$ - [R=404]', target: '/r', status: 404 }],
  [
    '[R=500]',
    { rules: 'RewriteRule ^/r$ - [R=500]', target: '/r', status: 500, code: 'ERR_STATUS_FLAG' },
  ],
  [
    '[R=503]',
    { rules: 'RewriteRule ^/r$ - [R=503]', target: '/r', status: 503, code: 'ERR_STATUS_FLAG' },
  ],
  [
    '[N=3] over its rounds',
    {
      rules: 'RewriteRule ^/n(.*)$ /n$1x [N=3]',
      target: '/n',
      status: 500,
      code: 'ERR_MAX_ROUNDS',
    },
  ],
  [
    'a result over twice LimitRequestLine',
    {
      rules: 'RewriteRule ^/l(.*)$ /l$1$1 [N=32000]',
      target: '/lxxxxxxxxxxxxxxxx',
      status: 500,
      code: 'ERR_URI_TOO_LONG',
    },
  ],
  [
    'LimitInternalRecursion (directory context)',
    {
      rules: 'RewriteRule ^(.*)$ /a$1',
      target: '/x',
      status: 500,
      code: 'ERR_RECURSION',
      context: 'directory',
    },
  ],
  [
    '[P,NE] target with a space',
    { rules: 'RewriteRule ^/p/(.*)$ http://127.0.0.1/$1 [P,NE]', target: '/p/a%20b', status: 403 },
  ],
  [
    '[P] port out of range',
    { rules: 'RewriteRule ^/pp$ http://h:99999/ [P]', target: '/pp', status: 400 },
  ],
];

test.each(rows)('%s answers its status with the right code', async (_name, row) => {
  const app = express();
  let seen: { code?: string; status?: number } | undefined;
  app.use(
    rewrite(row.rules, {
      context: row.context,
      proxy: (_req, res) => {
        res.end('proxied');
      },
    }) as express.RequestHandler,
  );
  app.use((_req: express.Request, res: express.Response) => {
    res.status(200).send('app');
  });
  app.use(
    (
      err: { code?: string; status?: number },
      _req: express.Request,
      res: express.Response,
      _next: express.NextFunction,
    ) => {
      seen = { code: err.code, status: err.status };
      res.status(err.status ?? 599).send(err.code);
    },
  );
  const res = await request(app).get(row.target);
  expect(res.status).toBe(row.status);
  if (row.code) expect(seen).toEqual({ code: row.code, status: row.status });
  else expect(seen).toBeUndefined();
});

describe("a redirect rule's status kept by a later local rewrite (case 404)", () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'modrewrite-kept-status-'));
    writeFileSync(join(root, 'b.html'), 'B\n');
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  function app(): express.Express {
    const a = express();
    a.use(
      rewrite(
        [
          'RewriteRule ^/(c\\.txt)$ http://www.example.com/$1',
          'RewriteRule ^http://www.example.com/c.txt$ /b.html',
          'RewriteRule ^/(p)$ /x [R=301]',
        ].join('\n'),
        // not this server's name: the absolute URL is not reduced to a path (reduce_uri)
        { serverName: 'localhost' },
      ) as express.RequestHandler,
    );
    a.use(express.static(root));
    return a;
  }

  test('express.static sends the file with the kept 302 and no Location, as Apache', async () => {
    const res = await request(app()).get('/c.txt').set('Host', 'www.example.com');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBeUndefined();
    expect(res.text).toBe('B\n');
  });

  test('the file itself, and a redirect that stays one, are unchanged', async () => {
    expect((await request(app()).get('/b.html')).status).toBe(200);
    const redirect = await request(app()).get('/p').set('Host', 'www.example.com');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('http://www.example.com/x');
  });
});
