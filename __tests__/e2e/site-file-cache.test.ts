/**
 * Issue 11: site() answers small files from memory (fileCache). Real server on loopback, real
 * files: answers are the same with and without the cache, a changed or deleted file is noticed
 * within the re-check interval, Range and conditional GET still work, and memory stays bounded.
 */
import express from 'express';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import request from 'supertest';
import { site, siteCacheSizes, type SiteOptions } from '../../lib/site/site';

let root: string;
const write = (rel: string, text: string): void => {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
};
const RECHECK_MS = 100;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'modrewrite-file-cache-e2e-'));
  write('a.txt', 'alpha\n');
  write('style.css', 'body { color: red }\n');
  write('data.unknownext', 'raw\n');
  write('big.txt', 'b'.repeat(5000));
  write('sub/.htaccess', 'AddType text/x-mine .mine\nHeader set X-Sub yes\n');
  write('sub/x.mine', 'mine\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function withSite<T>(
  options: Partial<SiteOptions>,
  run: (
    get: (path: string, headers?: http.OutgoingHttpHeaders, method?: string) => Promise<Answer>,
    mw: object,
  ) => Promise<T>,
): Promise<T> {
  const mw = site({ root, htaccess: { recheckMs: RECHECK_MS }, ...options });
  const server = http.createServer((req, res) => mw(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const get = (path: string, headers: http.OutgoingHttpHeaders = {}, method = 'GET') =>
    new Promise<Answer>((resolve, reject) => {
      const req = http.request({ port, host: '127.0.0.1', path, method, headers }, (res) => {
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
  try {
    return await run(get, mw);
  } finally {
    await new Promise((r) => server.close(r));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const withoutDate = (h: http.IncomingHttpHeaders) => {
  const { date: _date, ...rest } = h;
  return rest;
};

test.each<{ path: string; method: string; headers?: http.OutgoingHttpHeaders }>([
  { path: '/a.txt', method: 'GET' },
  { path: '/a.txt', method: 'HEAD' },
  { path: '/a.txt', method: 'POST' },
  { path: '/style.css', method: 'GET' },
  { path: '/data.unknownext', method: 'GET' },
  { path: '/big.txt', method: 'GET' },
  { path: '/sub/x.mine', method: 'GET' },
  { path: '/a.txt', method: 'GET', headers: { range: 'bytes=1-2' } },
  { path: '/a.txt', method: 'GET', headers: { range: 'bytes=100-200' } },
  {
    path: '/a.txt',
    method: 'GET',
    headers: { 'if-modified-since': 'Thu, 01 Jan 2099 00:00:00 GMT' },
  },
  { path: '/a.txt', method: 'GET', headers: { 'if-match': '"nope"' } },
])('the same answer with and without the cache: $method $path $headers', async (c) => {
  const answers: Answer[] = [];
  for (const fileCache of [false, true]) {
    await withSite({ fileCache }, async (get) => {
      // twice: the second answer comes from memory
      await get(c.path, c.headers, c.method);
      answers.push(await get(c.path, c.headers, c.method));
    });
  }
  expect(answers[1]!.status).toBe(answers[0]!.status);
  expect(withoutDate(answers[1]!.headers)).toEqual(withoutDate(answers[0]!.headers));
  expect(answers[1]!.body).toBe(answers[0]!.body);
});

test('a cached file answers 304 to its own ETag and 206 to a Range', async () => {
  await withSite({}, async (get) => {
    const first = await get('/a.txt');
    expect(first.body).toBe('alpha\n');
    const etag = first.headers.etag!;
    expect((await get('/a.txt', { 'if-none-match': etag })).status).toBe(304);
    const part = await get('/a.txt', { range: 'bytes=0-1' });
    expect([part.status, part.body, part.headers['content-range']]).toEqual([
      206,
      'al',
      'bytes 0-1/6',
    ]);
  });
});

test('a changed file (same size) is served afresh after the re-check interval', async () => {
  await withSite({}, async (get) => {
    expect((await get('/a.txt')).body).toBe('alpha\n');
    expect((await get('/a.txt')).body).toBe('alpha\n');
    write('a.txt', 'omega\n');
    const later = new Date(Date.now() + 5000);
    utimesSync(join(root, 'a.txt'), later, later);
    await sleep(RECHECK_MS + 20);
    const after = await get('/a.txt');
    expect(after.body).toBe('omega\n');
    expect(after.headers['last-modified']).toBe(later.toUTCString());
  });
});

test('a deleted file is 404 after the re-check interval', async () => {
  await withSite({}, async (get) => {
    expect((await get('/a.txt')).status).toBe(200);
    rmSync(join(root, 'a.txt'));
    await sleep(RECHECK_MS + 20);
    expect((await get('/a.txt')).status).toBe(404);
  });
});

test('memory stays under fileCache.maxBytes however many files are asked for', async () => {
  for (let i = 0; i < 40; i++) write(`many/f${i}.txt`, 'z'.repeat(30 + i));
  await withSite({ fileCache: { maxBytes: 200, maxFileBytes: 100 } }, async (get, mw) => {
    for (let i = 0; i < 40; i++) {
      expect((await get(`/many/f${i}.txt`)).body).toBe('z'.repeat(30 + i));
      expect(siteCacheSizes(mw)!.cachedBytes).toBeLessThanOrEqual(200);
    }
    expect(siteCacheSizes(mw)!.cachedFiles).toBeGreaterThan(0);
    // a file over maxFileBytes streams from disk and is not kept
    const { cachedFiles, cachedBytes } = siteCacheSizes(mw)!;
    expect((await get('/big.txt')).body).toBe('b'.repeat(5000));
    expect(siteCacheSizes(mw)).toMatchObject({ cachedFiles, cachedBytes });
  });
});

test.each<{ fileCache: unknown }>([
  { fileCache: 'yes' },
  { fileCache: { maxBytes: -1 } },
  { fileCache: { maxFileBytes: Number.NaN } },
])('fileCache $fileCache is refused at start', ({ fileCache }) => {
  expect(() => site({ root, fileCache } as unknown as SiteOptions)).toThrow(/fileCache/);
});

test('RequestHeader unset alone (the httpoxy line) removes exactly those request headers', async () => {
  write('app/.htaccess', 'RequestHeader unset Proxy\nRequestHeader unset X-Other\n');
  const app = express();
  app.use(site({ root }));
  app.use((req, res) => {
    res.json(req.headers);
  });
  const res = await request(app)
    .get('/app/missing')
    .set('Proxy', 'http://evil')
    .set('X-Other', '1')
    .set('X-Keep', 'kept');
  expect(res.body).toMatchObject({ 'x-keep': 'kept' });
  expect(Object.keys(res.body)).not.toContain('proxy');
  expect(Object.keys(res.body)).not.toContain('x-other');
});

test('a cached file takes a changed .htaccess type after the re-check interval', async () => {
  await withSite({}, async (get) => {
    expect((await get('/sub/x.mine')).headers['content-type']).toBe('text/x-mine');
    expect((await get('/sub/x.mine')).headers['content-type']).toBe('text/x-mine');
    write('sub/.htaccess', 'AddType text/x-yours .mine\nFileETag None\n');
    const later = new Date(Date.now() + 5000);
    utimesSync(join(root, 'sub/.htaccess'), later, later);
    await sleep(RECHECK_MS + 20);
    const after = await get('/sub/x.mine');
    expect(after.headers['content-type']).toBe('text/x-yours');
    expect(after.headers.etag).toBeUndefined();
  });
});
