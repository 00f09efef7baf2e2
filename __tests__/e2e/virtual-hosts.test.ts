/**
 * `<VirtualHost>` sections in `modrewrite serve --config` and site({ config }): a Debian
 * sites-available style file with two vhosts, over real HTTP, real files. The expected answers
 * are Apache 2.4.71's (conformance/cases/280-293 record each rule of the choice).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import request from 'supertest';
import { main } from '../../lib/cli';
import { site } from '../../lib/index';

let tmp: string;
const write = (rel: string, text: string): void => {
  const p = join(tmp, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
};

/** Two vhosts for port 80: the first is the default; the second redirects its bare name to www. */
const vhostsConf = (): string =>
  [
    '# sites-available/example.conf',
    '<VirtualHost *:80>',
    '  ServerName blog.test',
    '  ServerAdmin webmaster@localhost',
    `  DocumentRoot ${join(tmp, 'blog')}`,
    '  ErrorLog ${APACHE_LOG_DIR}/error.log',
    '  CustomLog ${APACHE_LOG_DIR}/access.log combined',
    '  <Directory ' + join(tmp, 'blog') + '>',
    '    AllowOverride All',
    '    Require all granted',
    '  </Directory>',
    '  <IfModule mod_ssl.c>',
    '    SSLEngine on',
    '  </IfModule>',
    '</VirtualHost>',
    '<VirtualHost *:80>',
    '  ServerName www.shop.test',
    '  ServerAlias shop.test *.shop.test',
    `  DocumentRoot ${join(tmp, 'shop')}`,
    '  Header always set X-Shop yes',
    '  Redirect /old /index.html',
    '  RewriteEngine On',
    '  RewriteCond %{HTTP_HOST} ^shop\\.test$ [NC]',
    '  RewriteRule ^/(.*)$ http://www.shop.test/$1 [R=301,L]',
    '</VirtualHost>',
    '',
  ].join('\n');

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'modrewrite-vhosts-'));
  write('main/index.html', 'MAIN\n');
  write('blog/index.html', 'BLOG\n');
  write('blog/.htaccess', 'RewriteEngine On\nRewriteRule ^post/(\\d+)$ index.html?p=$1 [L]\n');
  write('shop/index.html', 'SHOP\n');
  write('conf/example.conf', vhostsConf());
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

test('serve --config with two <VirtualHost *:80> (--vhost-port 80): each Host gets its vhost, the first is the default; log directives warn once', async () => {
  const c = capture();
  const args = ['serve', '--root', join(tmp, 'main'), '--config', join(tmp, 'conf/example.conf')];
  const server = (await main(
    [...args, '--port', '0', '--vhost-port', '80', '--quiet'],
    c.io,
  )) as Server;
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const get = (path: string, host?: string) => {
      const r = request(base).get(path);
      return host ? r.set('Host', host) : r;
    };
    expect((await get('/', 'blog.test')).text).toBe('BLOG\n');
    expect((await get('/post/7', 'BLOG.test.')).text).toBe('BLOG\n');
    const shop = await get('/', 'www.shop.test:80');
    expect(shop.text).toBe('SHOP\n');
    expect(shop.headers['x-shop']).toBe('yes');
    expect((await get('/', 'eu.shop.test')).text).toBe('SHOP\n');
    const bare = await get('/cart?x=1', 'shop.test');
    expect(bare.status).toBe(301);
    expect(bare.headers.location).toBe('http://www.shop.test/cart?x=1');
    const old = await get('/old', 'www.shop.test');
    expect(old.status).toBe(302);
    expect(old.headers.location).toBe('http://www.shop.test/index.html');
    // unknown host: the first vhost for the address, never the main server's root
    expect((await get('/', 'nobody.test')).text).toBe('BLOG\n');
    expect((await get('/old', 'blog.test')).status).toBe(404);
    const warnings = c.err.filter((l) => l.includes('WARN_NO_EFFECT'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/example\.conf:6:3: .*: ErrorLog, CustomLog/);
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test('serve without --vhost-port: vhosts written for *:80 do not match another port; the main server answers', async () => {
  const c = capture();
  const args = ['serve', '--root', join(tmp, 'main'), '--config', join(tmp, 'conf/example.conf')];
  const server = (await main([...args, '--port', '0', '--quiet'], c.io)) as Server;
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await request(base).get('/').set('Host', 'www.shop.test')).text).toBe('MAIN\n');
    expect((await request(base).get('/').set('Host', 'blog.test')).text).toBe('MAIN\n');
    const told = c.err.filter((l) => l.includes('no <VirtualHost> is listed for port'));
    expect(told).toHaveLength(1);
    expect(told[0]).toContain('--vhost-port');
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test('serve refuses a bad --vhost-port and a <VirtualHost> naming a host instead of an address', async () => {
  const c = capture();
  const bad = await main(['serve', '--root', join(tmp, 'main'), '--vhost-port', 'x'], c.io);
  expect(bad).toBe(2);
  write(
    'conf/named.conf',
    '<VirtualHost www.example.com:80>\n  ServerName a.test\n</VirtualHost>\n',
  );
  const named = capture();
  const code = await main(
    ['serve', '--root', join(tmp, 'main'), '--config', join(tmp, 'conf/named.conf'), '--port', '0'],
    named.io,
  );
  expect(code).toBe(1);
  expect(named.err.join('\n')).toMatch(/modrewrite needs an IP address or \*.*named\.conf:1:1/);
});

test('site({ config }) with vhosts on any port: the connection port is used, close() closes every vhost', async () => {
  const handler = site({
    root: join(tmp, 'main'),
    config: `<VirtualHost *>\n  ServerName a.test\n  DocumentRoot ${join(tmp, 'blog')}\n</VirtualHost>\n<VirtualHost *>\n  ServerName b.test\n  DocumentRoot ${join(tmp, 'shop')}\n</VirtualHost>\n`,
    log: () => {},
  });
  const server = http.createServer((req, res) => handler(req, res));
  try {
    const agent = request(server);
    expect((await agent.get('/').set('Host', 'b.test')).text).toBe('SHOP\n');
    expect((await agent.get('/').set('Host', 'a.test')).text).toBe('BLOG\n');
  } finally {
    handler.close();
  }
});

test('site(): a <VirtualHost> in an .htaccess is a 500 for that directory, not a vhost', async () => {
  write('main/sub/.htaccess', '<VirtualHost *>\nServerName x.test\n</VirtualHost>\n');
  write('main/sub/f.txt', 'F\n');
  const logged: string[] = [];
  const handler = site({ root: join(tmp, 'main'), log: (m) => logged.push(m) });
  const res = await request(http.createServer((req, rs) => handler(req, rs))).get('/sub/f.txt');
  expect(res.status).toBe(500);
  expect(logged.join('\n')).toContain('<VirtualHost not allowed here');
});

test('modrewrite test --config with vhosts explains the vhost the Host reaches (port 80)', async () => {
  const c = capture();
  const conf = join(tmp, 'conf/example.conf');
  const args = ['test', '--config', conf, '--root', join(tmp, 'main')];
  expect(await main([...args, '-H', 'Host: shop.test', '/cart'], c.io)).toBe(0);
  expect(c.out.join('\n')).toContain('result: redirect 301 to http://www.shop.test/cart');
  const blog = capture();
  // the blog vhost has no RewriteEngine (nor has the main server): off, as in Apache
  expect(await main([...args, '-H', 'Host: blog.test', '/cart'], blog.io)).toBe(1);
  expect(blog.out.join('\n')).toContain('RewriteEngine off');
});
