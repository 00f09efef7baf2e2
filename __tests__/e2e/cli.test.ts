/** `modrewrite serve` and `modrewrite lint`, in-process through main() with captured output. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { main } from '../../lib/cli';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'modrewrite-cli-'));
  mkdirSync(join(tmp, 'www/sub'), { recursive: true });
  mkdirSync(join(tmp, 'conf/maps'), { recursive: true });
  writeFileSync(join(tmp, 'www/index.html'), 'HOME\n');
  writeFileSync(join(tmp, 'www/sub/target.txt'), 'TARGET\n');
  writeFileSync(
    join(tmp, 'www/sub/.htaccess'),
    'RewriteEngine on\nRewriteRule ^go$ target.txt [L]\n',
  );
  writeFileSync(join(tmp, 'conf/maps/m.txt'), 'alias /sub/target.txt\n');
  writeFileSync(
    join(tmp, 'conf/site.conf'),
    'RewriteEngine on\nRewriteMap m txt:maps/m.txt\nRewriteRule ^/m/(.*)$ ${m:$1} [L]\n',
  );
  writeFileSync(
    join(tmp, 'conf/bad.conf'),
    'RewriteEngine on\nRewriteRule ^/ok$ /x [L]\nRewriteRule ^/(bad$ /x [L]\n',
  );
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

test('serve: site() on node:http with a config whose map paths resolve against the config folder; each request logged', async () => {
  const c = capture();
  const server = (await main(
    [
      'serve',
      '--root',
      join(tmp, 'www'),
      '--config',
      join(tmp, 'conf/site.conf'),
      '--port',
      '0',
      '--trace',
    ],
    c.io,
  )) as Server;
  try {
    const port = (server.address() as AddressInfo).port;
    expect(c.out[0]).toMatch(
      new RegExp(
        `^modrewrite: serving .*www with .*site\\.conf on http://127\\.0\\.0\\.1:${port}/$`,
      ),
    );
    const base = `http://127.0.0.1:${port}`;
    expect((await request(base).get('/m/alias')).text).toBe('TARGET\n');
    expect((await request(base).get('/sub/go')).text).toBe('TARGET\n');
    expect((await request(base).get('/sub')).status).toBe(301);
    const missing = await request(base).get('/nothing');
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('<h1>Not Found</h1>');
    expect(c.out.some((l) => /"GET \/m\/alias HTTP\/1\.1" 200 /.test(l))).toBe(true);
    expect(c.out.some((l) => l.startsWith('  trace: '))).toBe(true);
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test('serve: a broken config is refused at start with file, line and column; bad options exit 2', async () => {
  const c = capture();
  expect(
    await main(
      ['serve', '--root', join(tmp, 'www'), '--config', join(tmp, 'conf/bad.conf'), '--port', '0'],
      c.io,
    ),
  ).toBe(1);
  expect(c.err.join('\n')).toMatch(/bad\.conf:3:\d+/);
  expect(await main(['serve', '--root', join(tmp, 'www'), '--port', 'eighty'], c.io)).toBe(2);
  expect(await main(['serve', '--port', '0'], c.io)).toBe(2);
  expect(await main(['serve', '--root', join(tmp, 'www'), '--bogus'], c.io)).toBe(2);
  expect(await main(['frobnicate'], c.io)).toBe(2);
});

test('lint: ok files pass, broken ones name file:line:column and exit 1', async () => {
  const ok = capture();
  expect(
    await main(['lint', join(tmp, 'conf/site.conf'), join(tmp, 'www/sub/.htaccess')], ok.io),
  ).toBe(0);
  expect(ok.out[0]).toMatch(/site\.conf: ok \(1 rules, server context\)/);
  expect(ok.out[1]).toMatch(/\.htaccess: ok \(1 rules, directory context\)/);
  const bad = capture();
  expect(await main(['lint', join(tmp, 'conf/bad.conf')], bad.io)).toBe(1);
  expect(bad.out.join('\n')).toMatch(/bad\.conf:3:\d+ error MR001 /);
});

test('serve -D NAME / --define NAME: <IfDefine> sections in the config and in .htaccess files (issue 12)', async () => {
  writeFileSync(
    join(tmp, 'conf/defines.conf'),
    '<IfDefine PRODUCTION>\n  RewriteRule ^/where$ /sub/target.txt [L]\n</IfDefine>\n<IfModule mod_php.c>\n  php_value a b\n</IfModule>\n',
  );
  const run = async (flags: string[]) => {
    const c = capture();
    const server = (await main(
      [
        'serve',
        '--root',
        join(tmp, 'www'),
        '--config',
        join(tmp, 'conf/defines.conf'),
        '--port',
        '0',
        '--quiet',
        ...flags,
      ],
      c.io,
    )) as Server;
    try {
      const port = (server.address() as AddressInfo).port;
      return (await request(`http://127.0.0.1:${port}`).get('/where')).status;
    } finally {
      await new Promise((r) => server.close(r));
    }
  };
  expect(await run([])).toBe(404);
  expect(await run(['-D', 'PRODUCTION'])).toBe(200);
  expect(await run(['--define', 'OTHER', '--define', 'PRODUCTION'])).toBe(200);
});

test('lint: an .htaccess with <Files> access sections is checked as site() reads it (issue 12)', async () => {
  mkdirSync(join(tmp, 'lint-access'), { recursive: true });
  writeFileSync(
    join(tmp, 'lint-access/.htaccess'),
    '<FilesMatch "\\.env$">\n  Require all denied\n</FilesMatch>\nRewriteEngine On\nRewriteRule ^a$ b\n',
  );
  writeFileSync(
    join(tmp, 'lint-access/bad.htaccess'),
    '<Files a>\n  Require group admins\n</Files>\n',
  );
  const ok = capture();
  expect(await main(['lint', join(tmp, 'lint-access/.htaccess')], ok.io)).toBe(0);
  expect(ok.out[0]).toMatch(/\.htaccess: ok \(1 rules, directory context\)/);
  const bad = capture();
  expect(await main(['lint', join(tmp, 'lint-access/bad.htaccess')], bad.io)).toBe(1);
  expect(bad.out.join('\n')).toMatch(
    /bad\.htaccess:2:\d+ error MR001 Require group is not supported by modrewrite/,
  );
});

test.each([
  { flags: [] as string[], env: 200, git: 200, ht: 403 },
  { flags: ['--hide-dotfiles'], env: 404, git: 404, ht: 403 },
])(
  'serve $flags: dotfiles are served as Apache serves them (real-world corpus: /.env is 200), .ht* always 403',
  async ({ flags, env, git, ht }) => {
    const root = join(tmp, 'dots');
    mkdirSync(join(root, '.git'), { recursive: true });
    writeFileSync(join(root, '.env'), 'APP_KEY=x\n');
    writeFileSync(join(root, '.git/config'), '[core]\n');
    writeFileSync(join(root, '.htpasswd'), 'u:p\n');
    const c = capture();
    const args = ['serve', '--root', root, '--port', '0', '--quiet', ...flags];
    const server = (await main(args, c.io)) as Server;
    try {
      expect((await request(server).get('/.env')).status).toBe(env);
      expect((await request(server).get('/.git/config')).status).toBe(git);
      expect((await request(server).get('/.htpasswd')).status).toBe(ht);
    } finally {
      await new Promise((r) => server.close(r));
    }
  },
);
