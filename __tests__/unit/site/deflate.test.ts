/**
 * Issue 12: mod_deflate's choice to compress (modules/filters/mod_deflate.c deflate_out_filter,
 * 2.4.x) and its ETag suffix. Rows mirror conformance/cases/241, recorded from Apache 2.4.71; the
 * bytes themselves are checked there end to end.
 */
import { gunzipSync } from 'node:zlib';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  deflateAccepted,
  gzipETag,
  gzipOnlyHtmlRefuses,
  sendCompressed,
} from '../../../lib/site/deflate';
import { ifRangeHolds } from '../../../lib/site/conditions';

describe('deflateAccepted', () => {
  test.each<[string, string | undefined, Record<string, string>, boolean]>([
    ['no Accept-Encoding', undefined, {}, false],
    ['gzip', 'gzip', {}, true],
    ['GZIP, deflate (case-insensitive)', 'GZIP, deflate', {}, true],
    ['gzip after others, with a q', 'br;q=1.0, gzip;q=0.8, *;q=0.1', {}, true],
    ['gzip;q=0', 'gzip;q=0', {}, false],
    ['gzip;q=0.0', 'gzip;q=0.0', {}, false],
    ['gzip;q=0.000', 'gzip;q=0.000', {}, false],
    ['gzip;q=0.5', 'gzip;q=0.5', {}, true],
    ['x-gzip is not gzip', 'x-gzip', {}, false],
    ['* is not gzip', '*', {}, false],
    ['identity', 'identity', {}, false],
    ['no-gzip in the environment', 'gzip', { 'no-gzip': '1' }, false],
    ['force-gzip without Accept-Encoding', undefined, { 'force-gzip': '1' }, true],
  ])('%s', (_name, header, env, expected) => {
    expect(deflateAccepted(header, new Map(Object.entries(env)))).toBe(expected);
  });
});

// deflate_out_filter's strncmp(r->content_type, "text/html", 9) and strcmp(env, "1") (case 374)
describe('gzipOnlyHtmlRefuses', () => {
  test.each<[string | undefined, Record<string, string>, boolean]>([
    ['text/css', { 'gzip-only-text/html': '1' }, true],
    ['text/html', { 'gzip-only-text/html': '1' }, false],
    ['text/html; charset=UTF-8', { 'gzip-only-text/html': '1' }, false],
    ['TEXT/HTML', { 'gzip-only-text/html': '1' }, true],
    [undefined, { 'gzip-only-text/html': '1' }, true],
    ['text/css', { 'gzip-only-text/html': '0' }, false],
    ['text/css', {}, false],
  ])('%s with %j: %s', (type, env, expected) => {
    expect(gzipOnlyHtmlRefuses(type, new Map(Object.entries(env)))).toBe(expected);
  });
});

describe('gzipETag', () => {
  test.each<[string, string]>([
    ['"5-61a2b3c4d5e6f"', '"5-61a2b3c4d5e6f-gzip"'],
    ['W/"5-61a2b3c4d5e6f"', 'W/"5-61a2b3c4d5e6f-gzip"'],
    ['""', '""'],
    ['unquoted', 'unquoted'],
  ])('%s → %s', (tag, expected) => {
    expect(gzipETag(tag)).toBe(expected);
  });
});

// http_protocol.c ap_condition_if_range (case 383 records the refusals)
describe('ifRangeHolds', () => {
  const old = new Date(Date.now() - 3600_000).toUTCString();
  const fresh = new Date(Date.now() - 10_000).toUTCString();
  test.each<[string, string | undefined, string | undefined, string, boolean]>([
    ['no If-Range', undefined, '"abc"', old, true],
    ['the ETag itself', '"abc"', '"abc"', old, true],
    ['another ETag', '"abd"', '"abc"', old, false],
    ['the ETag in a list', '"x", "abc"', '"abc"', old, false],
    ['an ETag without one (FileETag None)', '"abc"', undefined, old, false],
    ['Last-Modified an hour old', old, '"abc"', old, true],
    ['Last-Modified under 60 seconds old', fresh, '"abc"', fresh, false],
    ['a later date', 'Fri, 01 Jan 2100 00:00:00 GMT', '"abc"', old, false],
    ['not a date', 'garbage', '"abc"', old, false],
  ])('%s', (_name, ifRange, eTag, lastModified, expected) => {
    expect(ifRangeHolds(ifRange, eTag, lastModified)).toBe(expected);
  });
});

describe('sendCompressed', () => {
  let dir: string;
  let server: Server;
  const text = 'alpha beta gamma delta;\n'.repeat(4000);
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'modrewrite-deflate-'));
    writeFileSync(join(dir, 'big.css'), text);
    server = createServer((req, res) => {
      res.setHeader('ETag', '"abc"');
      const body = req.url === '/memory' ? Buffer.from(text) : undefined;
      const file = join(dir, req.url === '/missing' ? 'nope.css' : 'big.css');
      sendCompressed(req, res, file, body, undefined, () => {
        res.statusCode = 404;
        res.end('gone');
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  });
  afterAll(async () => {
    await new Promise((ok) => server.close(ok));
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (path: string, method = 'GET') =>
    new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((ok, fail) => {
      const port = (server.address() as AddressInfo).port;
      const req = request({ port, path, method, host: '127.0.0.1' }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          ok({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      });
      req.on('error', fail);
      req.end();
    });

  test.each(['/file', '/memory'])('%s: gzip of the whole file, ETag suffixed', async (path) => {
    const r = await get(path);
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(r.headers['etag']).toBe('"abc-gzip"');
    expect(gunzipSync(r.body).toString()).toBe(text);
  });

  test('HEAD: the fields, no body', async () => {
    const r = await get('/file', 'HEAD');
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(r.body.length).toBe(0);
  });

  test('a file that cannot be read: the error answer, not gzip', async () => {
    const r = await get('/missing');
    expect(r.status).toBe(404);
    expect(r.headers['content-encoding']).toBeUndefined();
    expect(r.body.toString()).toBe('gone');
  });
});
