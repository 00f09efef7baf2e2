/**
 * `Define` and `${NAME}` (core.c ap_resolve_env) over real HTTP: an XAMPP-style config whose
 * vhost's DocumentRoot is `"${SRVROOT}/htdocs"`, an `.htaccess` reading the config's Defines, and
 * the `environment` option. The answers are Apache 2.4.71's (conformance cases 423–426).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { htaccess, site } from '../../lib/index';

let tmp: string;
const write = (rel: string, text: string): void => {
  const p = join(tmp, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
};

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'modrewrite-define-'));
  write('main/index.html', 'MAIN\n');
  write('xampp/htdocs/index.html', 'XAMPP\n');
  write('xampp/htdocs/page.txt', 'PAGE\n');
  write(
    'xampp/htdocs/.htaccess',
    'RewriteEngine On\nRewriteRule ^go$ /${PAGE} [L]\nRewriteRule ^env$ /${MODREWRITE_E2E_SECRET}.txt [L]\n',
  );
  write('xampp/htdocs/s3cret.txt', 'LEAKED\n');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const config = (): string =>
  [
    `Define SRVROOT "${join(tmp, 'xampp')}"`,
    '<VirtualHost *>',
    '  ServerName localhost',
    '  DocumentRoot "${SRVROOT}/htdocs"',
    '</VirtualHost>',
    'Define PAGE page.txt',
  ].join('\n');

describe('site({ config }) with Define', () => {
  test('the vhost serves "${SRVROOT}/htdocs", its .htaccess sees a later Define', async () => {
    const log: string[] = [];
    const app = site({
      root: join(tmp, 'main'),
      config: config(),
      environment: {},
      log: (m) => log.push(m),
    });
    await request(app).get('/').set('Host', 'localhost').expect(200, 'XAMPP\n');
    await request(app).get('/go').set('Host', 'localhost').expect(200, 'PAGE\n');
    // not in the given environment: the text stays, and the .htaccess warns once
    await request(app).get('/env').set('Host', 'localhost').expect(404);
    expect(log.join('\n')).toMatch(
      /\.htaccess:3:\d+: warning WARN_UNDEFINED_VARIABLE: Config variable \$\{MODREWRITE_E2E_SECRET\} is not defined/,
    );
  });

  test('by default the process environment is read, in .htaccess files too (as Apache)', async () => {
    process.env.MODREWRITE_E2E_SECRET = 's3cret';
    try {
      const app = site({ root: join(tmp, 'main'), config: config(), log: () => {} });
      await request(app).get('/env').set('Host', 'localhost').expect(200, 'LEAKED\n');
    } finally {
      delete process.env.MODREWRITE_E2E_SECRET;
    }
  });
});

describe('htaccess() with the environment option', () => {
  test('environment: {} keeps the process environment out of the .htaccess', async () => {
    process.env.MODREWRITE_E2E_SECRET = 's3cret';
    try {
      const app = express();
      app.use(
        htaccess({
          root: join(tmp, 'xampp/htdocs'),
          environment: { PAGE: 'page.txt' },
          log: () => {},
        }),
      );
      app.use(express.static(join(tmp, 'xampp/htdocs')));
      await request(app).get('/go').expect(200, 'PAGE\n');
      await request(app).get('/env').expect(404);
    } finally {
      delete process.env.MODREWRITE_E2E_SECRET;
    }
  });
});
