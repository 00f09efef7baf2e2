/**
 * Basic authentication in an `.htaccess` (AuthType Basic, AuthName, AuthUserFile, Require
 * valid-user / user), over real HTTP through site() and through htaccess() in front of
 * express.static: 401 with `WWW-Authenticate: Basic realm="..."` and Apache's page without
 * credentials or with wrong ones, the file with right ones, 500 for a password file that cannot be
 * read. The hashes were written by Debian's htpasswd; Apache's answers are conformance case 496.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import request from 'supertest';
import express from 'express';
import { hashSync } from 'bcryptjs';
import { htaccess, site } from '../../lib/index';
import { startServe } from '../helpers/serve-child';

const PASSWD = [
  'alice:$2y$05$uHfGRkmQ2SUSjK/ChgS8Cu2L.m7ektmoOcf23j7Do1Qs1sC.bUON2',
  'bob:$apr1$LdYAxBAO$Vo/7LYPTC0f6Vv1A9tzdp.',
  'carol:{SHA}stOsjhQ+/Zr2RzmhAD8uggClG7Y=',
  '',
].join('\n');

let tmp: string;
let root: string;
const logged: string[] = [];
let siteServer: http.Server;
let app: express.Express;
const write = (rel: string, text: string): void => {
  const file = join(root, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
};
const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'basic-auth-'));
  root = join(tmp, 'htdocs');
  writeFileSync(join(tmp, 'passwd'), PASSWD);
  write('index.txt', 'PUBLIC\n');
  write(
    'admin/.htaccess',
    `AuthType Basic\nAuthName "Admin Area"\nAuthUserFile ${join(tmp, 'passwd')}\nRequire valid-user\n`,
  );
  write('admin/a.txt', 'ADMIN\n');
  write(
    'bob/.htaccess',
    `AuthType Basic\nAuthName Bob\nAuthUserFile ${join(tmp, 'passwd')}\nRequire user bob\n`,
  );
  write('bob/b.txt', 'BOB\n');
  write(
    'broken/.htaccess',
    `AuthType Basic\nAuthName Broken\nAuthUserFile ${join(tmp, 'missing')}\nRequire valid-user\n`,
  );
  write('broken/c.txt', 'BROKEN\n');
  siteServer = http.createServer(site({ root, log: (line) => logged.push(line) }));
  app = express();
  app.use(htaccess({ root, log: (line) => logged.push(line) }));
  app.use(express.static(root));
});

afterAll(async () => {
  await new Promise<void>((done) => siteServer.close(() => done()));
  rmSync(tmp, { recursive: true, force: true });
});

describe.each([
  ['site()', () => siteServer],
  ['htaccess() + express.static', () => app],
])('%s', (_name, server) => {
  test('a public file needs nothing', async () => {
    const res = await request(server()).get('/index.txt');
    expect(res.status).toBe(200);
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  test('no credentials: 401, the realm, Apache page', async () => {
    const res = await request(server()).get('/admin/a.txt');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="Admin Area"');
    expect(res.text).toContain('<title>401 Unauthorized</title>');
    expect(res.text).toContain('This server could not verify that you');
    expect(res.text).not.toContain('ADMIN');
  });

  test.each([
    ['alice', 'alice pw', 200],
    ['alice', 'wrong', 401],
    ['bob', 'b0b:secret', 200],
    ['carol', 'carolpw', 200],
    ['carol', '', 401],
    ['nobody', 'alice pw', 401],
  ])('valid-user %s:%s → %d', async (user, password, status) => {
    const res = await request(server())
      .get('/admin/a.txt')
      .set('Authorization', basic(user, password));
    expect(res.status).toBe(status);
    if (status === 200) expect(res.text).toBe('ADMIN\n');
    else expect(res.headers['www-authenticate']).toBe('Basic realm="Admin Area"');
  });

  test('Require user: another valid user is asked again (401)', async () => {
    const alice = await request(server())
      .get('/bob/b.txt')
      .set('Authorization', basic('alice', 'alice pw'));
    expect(alice.status).toBe(401);
    expect(alice.headers['www-authenticate']).toBe('Basic realm="Bob"');
    const bob = await request(server())
      .get('/bob/b.txt')
      .set('Authorization', basic('bob', 'b0b:secret'));
    expect(bob.status).toBe(200);
    expect(bob.text).toBe('BOB\n');
  });

  test('a password file that cannot be read: 401 without credentials, 500 with them', async () => {
    expect((await request(server()).get('/broken/c.txt')).status).toBe(401);
    const res = await request(server())
      .get('/broken/c.txt')
      .set('Authorization', basic('alice', 'alice pw'));
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('BROKEN');
  });
});

test('passwords are never logged', () => {
  for (const line of logged) {
    expect(line).not.toContain('alice pw');
    expect(line).not.toContain('b0b:secret');
  }
});

/** GETs `path` on a fresh connection; resolves with the status once the answer has been read. */
function getStatus(port: number, path: string, authorization?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers = authorization ? { authorization } : {};
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

test('wrong passwords against a costly bcrypt hash do not stall the other requests', async () => {
  // cost 10: about 90 ms of CPU per check in bcryptjs. Checked synchronously, 24 wrong passwords
  // hold the event loop for two seconds and the public answer comes last (25th); in bcryptjs's
  // slices on the loop, each turn the request needs waited for one (2nd to 25th under load). On
  // the worker thread (site/bcrypt-worker.ts) the public answer (DirectorySlash's 301) comes first.
  const dir = join(tmp, 'costly');
  mkdirSync(dir);
  writeFileSync(join(dir, 'passwd'), `dave:${hashSync('dave pw', 10).replace('$2a$', '$2y$')}\n`);
  write(
    'costly/.htaccess',
    `AuthType Basic\nAuthName Costly\nAuthUserFile ${join(dir, 'passwd')}\nRequire valid-user\n`,
  );
  write('costly/d.txt', 'DAVE\n');
  write('pub/p.txt', 'PUB\n');
  // the server in its own process (modrewrite serve): a client in this process would share the
  // event loop it is testing
  const serve = await startServe(['--root', root]);
  const port = serve.port;
  try {
    const order: string[] = [];
    const wrong = Array.from({ length: 24 }, (_, i) =>
      getStatus(port, '/costly/d.txt', basic('dave', `wrong ${i}`)).then((status) => {
        order.push(`wrong ${status}`);
      }),
    );
    // let the wrong passwords reach the server first
    await new Promise((r) => setTimeout(r, 100));
    const publicAnswer = getStatus(port, '/pub').then((status) => {
      order.push(`public ${status}`);
    });
    await Promise.all([...wrong, publicAnswer]);
    expect(order.filter((o) => o === 'wrong 401')).toHaveLength(24);
    const at = order.indexOf('public 301');
    expect(at).toBeGreaterThanOrEqual(0);
    expect(at).toBeLessThan(20);
    expect(await getStatus(port, '/costly/d.txt', basic('dave', 'dave pw'))).toBe(200);
  } finally {
    await serve.stop();
  }
});

// mod_autoindex looks each entry up as a sub-request with the client's credentials: a protected
// folder is listed only for a user who may enter it. Its bcrypt check runs on the worker thread:
// done on the event loop, a listing with bogus credentials held the server for one check per
// protected entry (cost 12: ~250 ms each).
test('a listing checks its protected entries off the event loop, and lists them as Apache does', async () => {
  const dir = join(tmp, 'listing');
  mkdirSync(dir);
  writeFileSync(join(dir, 'passwd'), `erin:${hashSync('erin pw', 12).replace('$2a$', '$2y$')}\n`);
  write('listed/.htaccess', 'Options +Indexes\n');
  for (const name of ['p1', 'p2']) {
    write(
      `listed/${name}/.htaccess`,
      `AuthType Basic\nAuthName Listed\nAuthUserFile ${join(dir, 'passwd')}\nRequire valid-user\n`,
    );
    write(`listed/${name}/f.txt`, 'F\n');
  }
  write('listed/open.txt', 'OPEN\n');
  const server = http.createServer(site({ root }));
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', () => ready()));
  const port = (server.address() as AddressInfo).port;
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  try {
    const listing = (auth?: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const headers = auth ? { authorization: auth } : {};
        http
          .get({ host: '127.0.0.1', port, path: '/listed/', headers, agent: false }, (res) => {
            let body = '';
            res.setEncoding('latin1');
            res.on('data', (c: string) => (body += c));
            res.on('end', () => resolve(body));
          })
          .on('error', reject);
      });
    const bogus = await listing(basic('erin', 'wrong'));
    // two checks of ~250 ms each: the loop kept turning all along
    expect(ticks).toBeGreaterThan(20);
    expect(bogus).toContain('open.txt');
    expect(bogus).not.toContain('p1/');
    expect(bogus).not.toContain('p2/');
    const allowed = await listing(basic('erin', 'erin pw'));
    expect(allowed).toContain('p1/');
    expect(allowed).toContain('p2/');
  } finally {
    clearInterval(timer);
    await new Promise<void>((done) => server.close(() => done()));
  }
});
