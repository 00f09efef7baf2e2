/**
 * A Range of several ranges over real HTTP (site/static-file.ts, site/multipart-ranges.ts): 206
 * multipart/byteranges as byterange_filter.c makes it (conformance cases 433-438), from memory and
 * streamed from a file too large for the cache, the conditions judged first, MaxRanges from the
 * config, and a client that goes away mid-answer.
 */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { site, type SiteOptions } from '../../lib/site/site';

let root: string;
/** 3 MiB of a repeating 251-byte pattern: no two nearby offsets hold the same byte run. */
const BIG = Buffer.alloc(3 * 1024 * 1024, 0);
for (let i = 0; i < BIG.length; i++) BIG[i] = 32 + (i % 251) / 3;
const SMALL = Buffer.from('0123456789abcdefghij');
const OCTETS = 'application/octet-stream';

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'modrewrite-multi-range-e2e-'));
  writeFileSync(join(root, 'a.txt'), SMALL);
  writeFileSync(join(root, 'big.bin'), BIG);
  writeFileSync(join(root, 'empty.txt'), '');
  // an hour old: a strong ETag (a file changed within the second has a weak one, which neither
  // If-None-Match nor If-Range matches when a Range is asked)
  const hourAgo = Date.now() / 1000 - 3600;
  for (const name of ['a.txt', 'big.bin', 'empty.txt'])
    utimesSync(join(root, name), hourAgo, hourAgo);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

async function withSite<T>(
  options: Partial<SiteOptions>,
  run: (
    get: (path: string, headers?: http.OutgoingHttpHeaders, method?: string) => Promise<Answer>,
    port: number,
  ) => Promise<T>,
): Promise<T> {
  const mw = site({ root, ...options });
  const server = http.createServer((req, res) => mw(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const get = (path: string, headers: http.OutgoingHttpHeaders = {}, method = 'GET') =>
    new Promise<Answer>((resolve, reject) => {
      const req = http.request({ port, host: '127.0.0.1', path, method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
      });
      req.on('error', reject);
      req.end();
    });
  try {
    return await run(get, port);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

/** The multipart body byterange_filter.c sends for `spans` of `body`. */
function expected(
  boundary: string,
  type: string | undefined,
  body: Buffer,
  spans: [number, number][],
): Buffer {
  const parts: Buffer[] = [];
  for (const [start, end] of spans) {
    const typeLine = type ? `Content-type: ${type}\r\n` : '';
    const head = `\r\n--${boundary}\r\n${typeLine}Content-range: bytes ${start}-${end}/${body.length}\r\n\r\n`;
    parts.push(Buffer.from(head, 'latin1'), body.subarray(start, end + 1));
  }
  parts.push(Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1'));
  return Buffer.concat(parts);
}

const boundaryOf = (a: Answer): string => {
  const m = /^multipart\/byteranges; boundary=([0-9a-f]{16})$/.exec(
    String(a.headers['content-type']),
  );
  expect(m).not.toBeNull();
  return m![1]!;
};

describe.each([
  ['from memory', {}],
  ['from disk', { fileCache: false as const }],
])('site() %s', (_name, options) => {
  test('two ranges of a small file: the parts, their headers and Content-Length', async () => {
    await withSite(options, async (get) => {
      const a = await get('/a.txt', { Range: 'bytes=5-6,0-1' });
      expect(a.status).toBe(206);
      const b = boundaryOf(a);
      const want = expected(b, 'text/plain', SMALL, [
        [5, 6],
        [0, 1],
      ]);
      expect(a.body.toString('latin1')).toBe(want.toString('latin1'));
      expect(a.headers['content-length']).toBe(String(want.length));
      expect(a.headers['content-range']).toBeUndefined();
      expect(a.headers.etag).toBeDefined();
      expect(a.headers['last-modified']).toBeDefined();
      expect(a.headers['accept-ranges']).toBe('bytes');
    });
  });

  test('HEAD: the fields a GET gets, no body', async () => {
    await withSite(options, async (get) => {
      const g = await get('/a.txt', { Range: 'bytes=0-1,5-6' });
      const h = await get('/a.txt', { Range: 'bytes=0-1,5-6' }, 'HEAD');
      expect(h.status).toBe(206);
      expect(h.body.length).toBe(0);
      expect(h.headers['content-length']).toBe(g.headers['content-length']);
    });
  });

  test('the conditions first: a matching If-None-Match is 304, a failing If-Match 412', async () => {
    await withSite(options, async (get) => {
      const first = await get('/a.txt');
      const etag = String(first.headers.etag);
      const range = 'bytes=0-1,5-6';
      expect((await get('/a.txt', { Range: range, 'If-None-Match': etag })).status).toBe(304);
      expect((await get('/a.txt', { Range: range, 'If-None-Match': '"other"' })).status).toBe(206);
      expect((await get('/a.txt', { Range: range, 'If-Match': '"other"' })).status).toBe(412);
      expect((await get('/a.txt', { Range: range, 'If-Range': etag })).status).toBe(206);
      expect((await get('/a.txt', { Range: range, 'If-Range': '"other"' })).status).toBe(200);
    });
  });

  test('an empty file is never ranged; nothing satisfiable is 416', async () => {
    await withSite(options, async (get) => {
      expect((await get('/empty.txt', { Range: 'bytes=0-1,5-6' })).status).toBe(200);
      expect((await get('/a.txt', { Range: 'bytes=50-60,70-' })).status).toBe(416);
    });
  });
});

test('a file too large for the cache: the parts streamed from disk, byte for byte', async () => {
  await withSite({}, async (get) => {
    const spans: [number, number][] = [
      [3_000_000, 3_100_000],
      [0, 1_000_000],
      [2_000_000, 2_000_000],
    ];
    const field = 'bytes=' + spans.map(([s, e]) => `${s}-${e}`).join(',');
    const a = await get('/big.bin', { Range: field });
    expect(a.status).toBe(206);
    const want = expected(boundaryOf(a), OCTETS, BIG, spans);
    expect(a.headers['content-length']).toBe(String(want.length));
    expect(a.body.equals(want)).toBe(true);
  });
});

test('more than 32 parts: no Content-Length, the body chunked', async () => {
  await withSite({}, async (get) => {
    const spans = Array.from({ length: 40 }, (_, i): [number, number] => [i * 1000, i * 1000 + 9]);
    const field = 'bytes=' + spans.map(([s, e]) => `${s}-${e}`).join(',');
    const a = await get('/big.bin', { Range: field });
    expect(a.status).toBe(206);
    expect(a.headers['content-length']).toBeUndefined();
    expect(a.headers['transfer-encoding']).toBe('chunked');
    expect(a.body.equals(expected(boundaryOf(a), OCTETS, BIG, spans))).toBe(true);
  });
});

test('MaxRanges from the config: over it the whole file goes out', async () => {
  await withSite({ config: 'MaxRanges 1\n' }, async (get) => {
    const a = await get('/a.txt', { Range: 'bytes=0-1,5-6' });
    expect(a.status).toBe(200);
    expect(a.body.toString()).toBe(SMALL.toString());
    expect((await get('/a.txt', { Range: 'bytes=0-1' })).status).toBe(206);
  });
});

test('a client that goes away mid-answer: the server goes on answering', async () => {
  await withSite({}, async (get, port) => {
    await new Promise<void>((resolve) => {
      const req = http.request(
        {
          port,
          host: '127.0.0.1',
          path: '/big.bin',
          headers: { Range: 'bytes=0-1500000,1600000-3000000' },
        },
        (res) => {
          res.once('data', () => {
            res.destroy();
            resolve();
          });
        },
      );
      req.on('error', () => resolve());
      req.end();
    });
    const a = await get('/a.txt', { Range: 'bytes=0-1,5-6' });
    expect(a.status).toBe(206);
  });
});
