/**
 * [CO] cookies from site() and htaccess() join the Set-Cookie an earlier middleware set (a session
 * middleware before the site), as Apache adds them to err_headers_out beside other modules'
 * cookies. They used to replace them. Real files on disk, real HTTP, Express 4 and 5.
 */
import express from 'express';
import type { RequestHandler } from 'express';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { htaccess, site } from '../../lib/index';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const express4 = require('express4') as typeof express;

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'modrewrite-cookies-'));
  mkdirSync(join(root, 'docs'));
  writeFileSync(join(root, 'docs', 'page.txt'), 'PAGE\n');
  writeFileSync(
    join(root, '.htaccess'),
    [
      'RewriteEngine On',
      'RewriteRule ^old$ /docs/page.txt [R=301,L,CO=moved:1:localhost]',
      'RewriteRule ^docs/page\\.txt$ - [CO=lang:fr:localhost]',
      'RewriteRule ^forbidden$ - [F,CO=denied:1:localhost]',
    ].join('\n'),
  );
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** What a session middleware does before the site answers. */
const sessionCookie: RequestHandler = (_req, res, next) => {
  res.setHeader('Set-Cookie', 'sid=abc; Path=/');
  next();
};

type Mount = 'site' | 'htaccess';

function appWith(make: typeof express, mount: Mount): express.Express {
  const app = make();
  app.use(sessionCookie);
  if (mount === 'site') app.use(site({ root }));
  else {
    app.use(htaccess({ root }));
    app.use(express.static(root));
  }
  return app;
}

const ANSWERS: ReadonlyArray<[string, string, number, string]> = [
  ['a served file', '/docs/page.txt', 200, 'lang=fr; path=/; domain=localhost'],
  ['a redirect', '/old', 301, 'moved=1; path=/; domain=localhost'],
  ['a 403', '/forbidden', 403, 'denied=1; path=/; domain=localhost'],
];

describe.each([
  ['express 5', express],
  ['express 4', express4],
])('%s', (_name, make) => {
  describe.each<Mount>(['site', 'htaccess'])('%s()', (mount) => {
    test.each(ANSWERS)('%s keeps the earlier cookie (%s)', async (_what, url, status, cookie) => {
      const res = await request(appWith(make, mount)).get(url);
      expect(res.status).toBe(status);
      expect(res.headers['set-cookie']).toEqual(['sid=abc; Path=/', cookie]);
    });
  });
});
