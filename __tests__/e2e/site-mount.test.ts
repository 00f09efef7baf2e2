/**
 * site() and htaccess() mounted under a path (`app.use('/site', site(...))`), on Express 4 and 5
 * with real files on disk: every Location and every this-server URL the site builds includes the
 * mount path (req.baseUrl), the way directorySlash() always did. Without it `/site/sub` was
 * redirected to `http://host/sub/`, a 404.
 */
import express from 'express';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import request from 'supertest';
import { directorySlash, htaccess, scriptAlias, site } from '../../lib/index';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const express4 = require('express4') as typeof express;

let tmp: string;
let root: string;
const write = (rel: string, text: string): void => {
  const p = join(tmp, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
};

const CONFIG = [
  'RewriteEngine On',
  'RewriteRule ^/old$ /new.txt [R=301,L]',
  'RewriteRule ^/self$ http://%{HTTP_HOST}/site/a.txt [L]',
].join('\n');

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'modrewrite-mount-'));
  root = join(tmp, 'www');
  write('www/index.html', 'HOME\n');
  write('www/a.txt', 'A\n');
  write('www/new.txt', 'NEW\n');
  write('www/sub/index.html', 'SUB INDEX\n');
  write('www/ht/.htaccess', 'RewriteEngine On\nRewriteRule ^moved$ /ht/target.txt [R=302,L]\n');
  write('www/ht/target.txt', 'T\n');
  write(
    'www/based/.htaccess',
    'RewriteEngine On\nRewriteBase /based/\nRewriteRule ^moved$ target.txt [R=302,L]\n',
  );
  write('www/based/target.txt', 'B\n');
  write(
    'scripts/hello.js',
    'module.exports = (req, res) => res.end(JSON.stringify({ scriptName: req.scriptName, pathInfo: req.pathInfo }));\n',
  );
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Framework = typeof express;
const frameworks: ReadonlyArray<[string, Framework]> = [
  ['Express 5', express],
  ['Express 4', express4],
];

describe.each(frameworks)('site() under a mount (%s)', (_name, framework) => {
  const app = (): express.Express => {
    const a = framework();
    a.use('/site', site({ root, config: CONFIG, htaccess: { recheckMs: 0 }, log: () => {} }));
    return a;
  };

  test('DirectorySlash redirects to the mounted URL (query kept)', async () => {
    const res = await request(app()).get('/site/sub?x=1').set('Host', 'h.example');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('http://h.example/site/sub/?x=1');
    expect(res.text).toContain('http://h.example/site/sub/?x=1');
    const followed = await request(app())
      .get(new URL(res.headers.location).pathname)
      .set('Host', 'h.example');
    expect(followed.text).toBe('SUB INDEX\n');
  });

  test('the mount path itself without its slash gets DirectorySlash too', async () => {
    const res = await request(app()).get('/site?q=2').set('Host', 'h.example');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('http://h.example/site/?q=2');
    expect((await request(app()).get('/site/').set('Host', 'h.example')).text).toBe('HOME\n');
  });

  test('a server-context [R] with a path substitution stays under the mount', async () => {
    const res = await request(app()).get('/site/old').set('Host', 'h.example:8080');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('http://h.example:8080/site/new.txt');
  });

  test('a per-directory [R] (absolute path, and relative with RewriteBase) stays under the mount', async () => {
    const abs = await request(app()).get('/site/ht/moved').set('Host', 'h.example');
    expect(abs.status).toBe(302);
    expect(abs.headers.location).toBe('http://h.example/site/ht/target.txt');
    const based = await request(app()).get('/site/based/moved').set('Host', 'h.example');
    expect(based.status).toBe(302);
    expect(based.headers.location).toBe('http://h.example/site/based/target.txt');
  });

  test('a fully-qualified URL to this site (mount included) is reduced to a local path', async () => {
    const res = await request(app()).get('/site/self').set('Host', 'h.example');
    expect(res.status).toBe(200);
    expect(res.text).toBe('A\n');
  });

  test('unmounted, nothing changes', async () => {
    const a = framework();
    a.use(site({ root, config: CONFIG, log: () => {} }));
    expect((await request(a).get('/sub').set('Host', 'h')).headers.location).toBe('http://h/sub/');
    expect((await request(a).get('/old').set('Host', 'h')).headers.location).toBe(
      'http://h/new.txt',
    );
  });
});

describe.each(frameworks)('htaccess() under a mount (%s)', (_name, framework) => {
  test('a per-directory [R] stays under the mount', async () => {
    const a = framework();
    a.use('/site', htaccess({ root, recheckMs: 0, log: () => {} }));
    const res = await request(a).get('/site/ht/moved').set('Host', 'h.example');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('http://h.example/site/ht/target.txt');
  });
});

describe.each(frameworks)('scriptAlias() under a mount (%s)', (_name, framework) => {
  test('SCRIPT_NAME is the URL-path the client used: the mount path included', async () => {
    const a = framework();
    a.use('/site', scriptAlias(/^\/app\/([^/]+)/, join(tmp, 'scripts')));
    const res = await request(a).get('/site/app/hello/more');
    expect(JSON.parse(res.text)).toEqual({ scriptName: '/site/app/hello', pathInfo: '/more' });
  });
});

describe.each(frameworks)('directorySlash() under a mount (%s)', (_name, framework) => {
  test('the mount path itself without its slash is redirected like any directory', async () => {
    const a = framework();
    a.use('/site', directorySlash({ root }));
    a.use('/site', framework.static(root));
    const res = await request(a).get('/site?q=1').set('Host', 'h');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('http://h/site/?q=1');
    expect((await request(a).get('/site/sub').set('Host', 'h')).headers.location).toBe(
      'http://h/site/sub/',
    );
  });
});
