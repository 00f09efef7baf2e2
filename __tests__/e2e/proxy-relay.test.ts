/**
 * proxy(): how a backend response is relayed — repeated header fields all arrive (through Express,
 * whose X-Powered-By makes writeHead go through setHeader, and through bare node:http), a Via is
 * appended to the backend's, and a streamed body is not held back: the first chunk of a response
 * that is still going reaches the client before the backend sends the next one.
 */
import express from 'express';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { proxy, rewrite } from '../../lib/index';

const closers: (() => Promise<unknown> | void)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
});

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(
    () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(r);
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** GET over a fresh connection: status, raw header lines, body. */
function get(port: number, path: string): Promise<{ status: number; raw: string[]; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ port, host: '127.0.0.1', path, agent: false }, (res) => {
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, raw: res.rawHeaders, body }));
      })
      .on('error', reject);
  });
}

/** The values of every header line named `name` (case-insensitive), in order. */
const lines = (raw: string[], name: string): string[] =>
  raw.flatMap((v, i) => (i % 2 === 1 && raw[i - 1].toLowerCase() === name ? [v] : []));

describe('repeated response header fields', () => {
  let bport = 0;
  beforeAll(async () => {
    const backend = http.createServer((_req, res) => {
      // raw lines: the same name twice, interleaved with others
      res.writeHead(200, [
        'Set-Cookie',
        'a=1; Path=/',
        'X-Multi',
        'one',
        'Content-Type',
        'text/plain',
        'Set-Cookie',
        'b=2; Path=/',
        'X-Multi',
        'two',
        'Via',
        '1.1 backend',
      ]);
      res.end('body');
    });
    bport = await listen(backend);
  });

  test.each<[string, () => http.RequestListener]>([
    [
      'through Express + rewrite() [P]',
      () => {
        const p = proxy({ via: 'front' });
        closers.push(() => p.close());
        const app = express();
        app.use(rewrite(`RewriteRule ^(.*)$ http://127.0.0.1:${bport}$1 [P]`, { proxy: p }));
        return app;
      },
    ],
    [
      'through bare node:http + proxy({ target })',
      () => {
        const p = proxy({ target: `http://127.0.0.1:${bport}`, via: 'front' });
        closers.push(() => p.close());
        return (req, res) => p(req, res, () => res.end('not proxied'));
      },
    ],
  ])('%s: every line arrives, Via appended', async (_name, make) => {
    const port = await listen(http.createServer(make()));
    const r = await get(port, '/x');
    expect(r.status).toBe(200);
    expect(r.body).toBe('body');
    expect(lines(r.raw, 'set-cookie')).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(lines(r.raw, 'x-multi')).toEqual(['one', 'two']);
    expect(lines(r.raw, 'via')).toEqual(['1.1 backend, 1.1 front']);
  });
});

describe('streamed bodies', () => {
  test('the first chunk reaches the client while the backend still holds back the rest', async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    const backend = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      void released.then(() => res.end('data: last\n\n'));
    });
    const bport = await listen(backend);
    const p = proxy({ target: `http://127.0.0.1:${bport}` });
    closers.push(() => p.close());
    const port = await listen(http.createServer((req, res) => p(req, res, () => res.end())));
    const events: string[] = [];
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get({ port, host: '127.0.0.1', path: '/events', agent: false }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
            events.push(c);
            // the backend sends the rest only once the first chunk was seen here
            if (text === 'data: first\n\n') release();
          });
          res.on('end', () => resolve(text));
        })
        .on('error', reject);
      // bounded: without the first chunk the backend would never end the response
      setTimeout(() => {
        release();
        reject(new Error('the first chunk did not arrive within 5 s'));
      }, 5000).unref();
    });
    expect(body).toBe('data: first\n\ndata: last\n\n');
    expect(events[0]).toBe('data: first\n\n');
  });

  test('a body of many chunks arrives whole, in order', async () => {
    const chunks = Array.from({ length: 200 }, (_, i) => `${i}:${'x'.repeat(1000)}\n`);
    const backend = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      let i = 0;
      const more = (): void => {
        while (i < chunks.length) if (!res.write(chunks[i++])) return void res.once('drain', more);
        res.end();
      };
      more();
    });
    const bport = await listen(backend);
    const p = proxy({ target: `http://127.0.0.1:${bport}` });
    closers.push(() => p.close());
    const port = await listen(http.createServer((req, res) => p(req, res, () => res.end())));
    const r = await get(port, '/big');
    expect(r.status).toBe(200);
    expect(r.body).toBe(chunks.join(''));
  });
});

describe('client connections and Content-Length bodies', () => {
  /** A raw client connection to `port`: what it sends, and everything it has received so far. */
  function rawClient(port: number): { socket: net.Socket; received: () => string } {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (c: string) => {
      text += c;
    });
    socket.on('error', () => {});
    closers.push(() => {
      socket.destroy();
    });
    return { socket, received: () => text };
  }

  /** Polls (bounded, 5 s) until `ok()` holds. */
  async function until(ok: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 250 && !ok(); i++) await new Promise((r) => setTimeout(r, 20));
    if (!ok()) throw new Error(`timed out waiting for ${what}`);
  }

  const seen: string[] = [];
  let release: () => void = () => {};
  let fport = 0;
  beforeAll(async () => {
    const backend = http.createServer((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('slow body'), 100);
      else if (req.url === '/fast') res.end('fast body');
      else if (req.url === '/half') {
        // the declared length is sent in two parts, the second only once released
        res.writeHead(200, { 'content-length': '10' });
        res.write('first');
        release = () => res.end('-last');
      } else {
        res.writeHead(200);
        const t = setInterval(() => res.write(Buffer.alloc(16384)), 5);
        res.on('close', () => {
          clearInterval(t);
          seen.push(`${req.url} closed`);
        });
      }
    });
    const bport = await listen(backend);
    const p = proxy({ target: `http://127.0.0.1:${bport}` });
    closers.push(() => p.close());
    fport = await listen(http.createServer((req, res) => p(req, res, () => res.end())));
  });

  test('the first part of a Content-Length body reaches the client before the rest is sent', async () => {
    const c = rawClient(fport);
    c.socket.write('GET /half HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => c.received().endsWith('\r\n\r\nfirst'), 'the first part');
    release();
    await until(() => c.received().endsWith('first-last'), 'the rest');
    expect(c.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*content-length: 10\r\n/i);
  });

  test('a pipelining client: two requests in one write are answered in order on its connection', async () => {
    const c = rawClient(fport);
    c.socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => c.received().endsWith('fast body'), 'both answers');
    expect(c.received().indexOf('slow body')).toBeGreaterThan(0);
    expect(c.received().indexOf('slow body')).toBeLessThan(c.received().indexOf('fast body'));
  });

  test('a client that leaves a kept-alive connection after an earlier proxied answer aborts the backend request', async () => {
    const c = rawClient(fport);
    c.socket.write('GET /fast HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => c.received().endsWith('fast body'), 'the first answer');
    c.socket.write('GET /endless HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => c.received().length > 20000, 'the endless download');
    c.socket.destroy();
    await until(() => seen.includes('/endless closed'), 'the backend request to stop');
    expect(seen).toContain('/endless closed');
  });
});

describe('whole bodies arrive byte for byte', () => {
  /** Every byte value (most are not UTF-8 on their own), `n` bytes long. */
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => i % 256));

  /** GET over a fresh connection: status and the body's bytes. */
  function getBytes(port: number, path: string): Promise<{ status: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
      http
        .get({ port, host: '127.0.0.1', path, agent: false }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }));
        })
        .on('error', reject);
    });
  }

  let bport = 0;
  beforeAll(async () => {
    // /N: N bytes with a Content-Length, in one write
    const backend = http.createServer((req, res) => {
      const body = bytes(Number(req.url?.slice(1)));
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(body);
    });
    bport = await listen(backend);
  });

  /** A res.end wrapper that reads a string chunk as UTF-8, whatever its encoding (as some do). */
  const naiveEndWrapper: express.RequestHandler = (_req, res, next) => {
    const end = res.end.bind(res) as (chunk?: unknown) => typeof res;
    res.end = ((chunk?: unknown) =>
      end(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk)) as typeof res.end;
    next();
  };

  test.each<[string, number, boolean]>([
    ['a small body', 256, false],
    ['a body of 16 KiB', 16384, false],
    ['a body past 16 KiB', 16385, false],
    ['a small body, res.end wrapped by an earlier middleware', 256, true],
  ])('%s (%i bytes, wrapped: %s)', async (_name, n, wrapped) => {
    const p = proxy();
    closers.push(() => p.close());
    const app = express();
    if (wrapped) app.use(naiveEndWrapper);
    app.use(rewrite(`RewriteRule ^(.*)$ http://127.0.0.1:${bport}$1 [P]`, { proxy: p }));
    const port = await listen(http.createServer(app));
    const r = await getBytes(port, `/${n}`);
    expect(r.status).toBe(200);
    expect(r.body.equals(bytes(n))).toBe(true);
  });
});

describe('the request head the backend receives', () => {
  /** A backend that records each request head as sent (raw bytes) and answers 200. */
  const heads: string[] = [];
  let bport = 0;
  beforeAll(async () => {
    const backend = net.createServer((socket) => {
      let buffered = '';
      socket.on('data', (d: Buffer) => {
        buffered += d.toString('latin1');
        for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
          heads.push(buffered.slice(0, end + 4));
          buffered = buffered.slice(end + 4);
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
        }
      });
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => backend.close(r)));
    bport = (backend.address() as AddressInfo).port;
  });

  /** The head of GET `path` through a proxy built with `options`, the client sending `host`. */
  async function headThrough(
    target: (port: number) => string,
    options: Parameters<typeof proxy>[0],
    host: string,
  ): Promise<string> {
    const p = proxy({ serverName: 'front', ...options });
    closers.push(() => p.close());
    const app = express();
    app.use(rewrite(`RewriteRule ^(.*)$ ${target(bport)}$1 [P]`, { proxy: p }));
    const port = await listen(http.createServer(app));
    heads.length = 0;
    await new Promise<void>((resolve, reject) => {
      http
        .get(
          { port, host: '127.0.0.1', path: '/x?y=1', agent: false, headers: { host } },
          (res) => {
            res.resume();
            res.on('end', resolve);
          },
        )
        .on('error', reject);
    });
    expect(heads).toHaveLength(1);
    return heads[0];
  }

  const forwarded = (host: string): string =>
    `x-forwarded-for: 127.0.0.1\r\nx-forwarded-host: ${host}\r\nx-forwarded-server: front\r\nx-forwarded-proto: http\r\n\r\n`;

  test.each<[string, (port: number) => string, Parameters<typeof proxy>[0], string, string]>([
    [
      'the backend named by address: its Host first, as the client wrote its own',
      (port) => `http://127.0.0.1:${port}`,
      {},
      'front.example',
      'GET /x?y=1 HTTP/1.1\r\nhost: 127.0.0.1:PORT\r\nconnection: keep-alive\r\n' +
        forwarded('front.example'),
    ],
    [
      'a backend name in capitals keeps them (the Host is written as the target wrote it)',
      (port) => `http://LOCALHOST:${port}`,
      {},
      'front.example',
      'GET /x?y=1 HTTP/1.1\r\nhost: LOCALHOST:PORT\r\nconnection: keep-alive\r\n' +
        forwarded('front.example'),
    ],
    [
      'ProxyPreserveHost: the client Host',
      (port) => `http://127.0.0.1:${port}`,
      { preserveHost: true },
      'front.example',
      'GET /x?y=1 HTTP/1.1\r\nhost: front.example\r\nconnection: keep-alive\r\n' +
        forwarded('front.example'),
    ],
    [
      'ProxyPreserveHost with a client Host equal to the backend',
      (port) => `http://127.0.0.1:${port}`,
      { preserveHost: true },
      '127.0.0.1:PORT',
      'GET /x?y=1 HTTP/1.1\r\nhost: 127.0.0.1:PORT\r\nconnection: keep-alive\r\n' +
        forwarded('127.0.0.1:PORT'),
    ],
  ])('%s', async (_what, target, options, host, expected) => {
    const head = await headThrough(target, options, host.replace('PORT', String(bport)));
    expect(head).toBe(expected.replaceAll('PORT', String(bport)));
  });
});

describe('backend connections that close', () => {
  test('a backend closing every connection: each request after the pool was closed is answered', async () => {
    let opened = 0;
    const backend = http.createServer((req, res) => {
      res.setHeader('connection', 'close');
      res.end(`answer ${req.url}`);
    });
    backend.on('connection', () => opened++);
    const bport = await listen(backend);
    const p = proxy({ target: `http://127.0.0.1:${bport}` });
    closers.push(() => p.close());
    const port = await listen(http.createServer((req, res) => p(req, res, () => res.end())));
    for (let i = 0; i < 4; i++) {
      const r = await get(port, `/n${i}`);
      expect(r).toMatchObject({ status: 200, body: `answer /n${i}` });
      // the agent closes a pool whose connections are all gone: the next request makes another
      await new Promise((done) => setTimeout(done, 20));
    }
    expect(opened).toBe(4);
  });

  test('requests to several backends in turn each reach their own', async () => {
    const ports: number[] = [];
    for (const name of ['a', 'b']) {
      const backend = http.createServer((req, res) => res.end(`${name} ${req.url}`));
      ports.push(await listen(backend));
    }
    const p = proxy();
    closers.push(() => p.close());
    const app = express();
    app.use(
      rewrite(
        `RewriteRule ^/a/(.*)$ http://127.0.0.1:${ports[0]}/$1 [P]\nRewriteRule ^/b/(.*)$ http://127.0.0.1:${ports[1]}/$1 [P]`,
        { proxy: p },
      ),
    );
    const port = await listen(http.createServer(app));
    for (const path of ['/a/1', '/b/2', '/a/3', '/a/4', '/b/5'])
      expect((await get(port, path)).body).toBe(`${path[1]} /${path.slice(3)}`);
  });
});
