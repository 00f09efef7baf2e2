/**
 * Issue 9, item 9: behind a TLS-terminating proxy, Express's `trust proxy` setting was ignored
 * unless `trustProxy` was passed: HTTPS stayed off and the usual `RewriteCond %{HTTPS} off` →
 * https redirect looped. Without the option, the app's own setting (`trust proxy fn`) applies.
 */
import express5 from 'express';
import request from 'supertest';
import { rewrite } from '../../lib/index';
import type { RewriteOptions } from '../../lib/index';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const express4 = require('express4') as typeof express5;

const RULES = `
RewriteEngine on
RewriteCond %{REMOTE_ADDR} =10.1.2.3
RewriteRule ^ - [F]
RewriteCond %{HTTPS} off
RewriteRule ^/(.*)$ https://%{HTTP_HOST}/$1 [R=301,L]
`;

function app(
  express: typeof express5,
  trustSetting: string | undefined,
  options: RewriteOptions = {},
): express5.Express {
  const a = express();
  if (trustSetting !== undefined) a.set('trust proxy', trustSetting);
  a.use(rewrite(RULES, options) as express5.RequestHandler);
  a.get('/page', (_req, res) => {
    res.send('page');
  });
  return a;
}

describe.each([
  ['express 4', express4],
  ['express 5', express5],
] as const)('%s', (_name, express) => {
  test("app.set('trust proxy', 'loopback'): X-Forwarded-Proto https turns HTTPS on (no redirect loop)", async () => {
    const res = await request(app(express, 'loopback'))
      .get('/page')
      .set('X-Forwarded-Proto', 'https');
    expect(res.status).toBe(200);
    expect(res.text).toBe('page');
  });

  test("app.set('trust proxy', 'loopback'): plain http is still redirected to https", async () => {
    const res = await request(app(express, 'loopback')).get('/page').set('Host', 'example.com');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('https://example.com/page');
  });

  test("app.set('trust proxy', 'loopback'): REMOTE_ADDR is the forwarded client", async () => {
    const res = await request(app(express, 'loopback'))
      .get('/page')
      .set('X-Forwarded-Proto', 'https')
      .set('X-Forwarded-For', '10.1.2.3');
    expect(res.status).toBe(403);
  });

  test('no trust proxy setting: X-Forwarded-Proto is not believed', async () => {
    const res = await request(app(express, undefined))
      .get('/page')
      .set('X-Forwarded-Proto', 'https')
      .set('Host', 'example.com');
    expect(res.status).toBe(301);
  });

  test('an explicit trustProxy: false overrides the app setting', async () => {
    const res = await request(app(express, 'loopback', { trustProxy: false }))
      .get('/page')
      .set('X-Forwarded-Proto', 'https')
      .set('Host', 'example.com');
    expect(res.status).toBe(301);
  });
});
