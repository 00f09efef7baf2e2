/**
 * The proxy under stress, bounded and on loopback only: 10,000 requests through a mix of faults
 * with every socket and listener counted afterwards, and 1 GiB streamed through in both
 * directions at once with the process's RSS growth measured.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { proxy, rewrite } from '../../lib/index';

jest.setTimeout(240_000);

async function listen(server: http.Server | net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}
const close = (s: http.Server | net.Server): Promise<void> =>
  new Promise((r) => {
    (s as http.Server).closeAllConnections?.();
    s.close(() => r());
  });
const connections = (s: http.Server | net.Server): Promise<number> =>
  new Promise((r) => s.getConnections((_e, n) => r(n)));

test('10,000 requests through faults (ok, refused, reset, slow, oversized headers): every answer as expected, nothing leaks', async () => {
  const backend = http.createServer({ maxHeaderSize: 128 * 1024 }, (req, res) => {
    if (req.url === '/reset') {
      req.socket.destroy();
      return;
    }
    if (req.url === '/slow') {
      const t = setTimeout(() => res.end('late'), 5000);
      res.on('close', () => clearTimeout(t));
      return;
    }
    if (req.url === '/big') {
      res.setHeader('X-Big', 'x'.repeat(20000));
      res.end();
      return;
    }
    res.end('ok');
  });
  const bport = await listen(backend);
  const deadServer = net.createServer();
  const dead = await listen(deadServer);
  await close(deadServer);
  const p = proxy({ headersTimeout: 100 });
  const rules = `RewriteRule ^/dead$ http://127.0.0.1:${dead}/ [P]\nRewriteRule ^(.*)$ http://127.0.0.1:${bport}$1 [P]`;
  const mw = rewrite(rules, { proxy: p });
  const front = http.createServer((req, res) => mw(req, res));
  const fport = await listen(front);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const listenersBefore =
    process.listenerCount('uncaughtException') + process.listenerCount('unhandledRejection');
  const kinds = ['/ok', '/ok', '/ok', '/ok', '/dead', '/reset', '/big', '/ok', '/ok', '/slow'];
  const expected: Record<string, number> = {
    '/ok': 200,
    '/dead': 502,
    '/reset': 502,
    '/big': 502,
    '/slow': 504,
  };
  const counts: Record<string, number> = {};
  const N = 10_000;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < N) {
      const i = next++;
      // slow requests are costly (headersTimeout): one in a hundred instead of one in ten
      const path =
        kinds[i % kinds.length] === '/slow' && i % 100 !== 9 ? '/ok' : kinds[i % kinds.length];
      const status = await new Promise<number>((resolve, reject) => {
        http
          .get({ port: fport, host: '127.0.0.1', path, agent }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          })
          .on('error', reject);
      });
      const key = `${path} ${status}`;
      counts[key] = (counts[key] ?? 0) + 1;
      expect(status).toBe(expected[path]);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(N);
  agent.destroy();
  await p.close();
  // give the sockets a moment to finish closing, then count
  for (let i = 0; i < 50 && ((await connections(front)) || (await connections(backend))); i++)
    await new Promise((r) => setTimeout(r, 20));
  expect(await connections(front)).toBe(0);
  expect(await connections(backend)).toBe(0);
  expect(
    process.listenerCount('uncaughtException') + process.listenerCount('unhandledRejection'),
  ).toBe(listenersBefore);

  console.log(
    `reliability: ${N} requests through faults: ${JSON.stringify(counts)}; open connections afterwards: front 0, backend 0`,
  );
  await close(front);
  await close(backend);
});

test("1 GiB streamed through the proxy in both directions at once: the proxy's RSS grows by less than 64 MiB", async () => {
  // the client and the backend run in a child process, so this process holds only the proxy
  const child = spawn(process.execPath, ['-e', ENDPOINTS], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const bport = await new Promise<number>((r) =>
    child.once('message', (m: { backend: number }) => r(m.backend)),
  );
  const p = proxy();
  const mw = rewrite(`RewriteRule ^(.*)$ http://127.0.0.1:${bport}$1 [P]`, { proxy: p });
  const front = http.createServer((req, res) => mw(req, res));
  const fport = await listen(front);
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 25);
  const t0 = Date.now();
  child.send({ front: fport });
  const result = await new Promise<{ bytes: number; sent: string; received: string; seen: string }>(
    (r) => child.once('message', r),
  );
  clearInterval(sampler);
  const seconds = (Date.now() - t0) / 1000;
  const growth = (peak - baseline) / (1024 * 1024);

  console.log(
    `reliability: 1 GiB up and back through the proxy in ${seconds.toFixed(1)} s (${((2 * 1024) / seconds).toFixed(0)} MiB/s both ways), proxy RSS growth ${growth.toFixed(1)} MiB`,
  );
  expect(result.bytes).toBe(1024 * 1024 * 1024);
  expect(result.received).toBe(result.sent);
  expect(result.seen).toBe(result.sent);
  expect(growth).toBeLessThan(64);
  child.kill();
  await p.close();
  await close(front);
});

/** The child: a backend that echoes its upload, and a client that sends 1 GiB and reads it back. */
const ENDPOINTS = `
const http = require('node:http');
const { createHash } = require('node:crypto');
const { Readable } = require('node:stream');
const GiB = 1024 * 1024 * 1024, CHUNK = 64 * 1024;
const seen = createHash('sha256');
const backend = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  req.on('data', (c) => seen.update(c));
  req.pipe(res);
}).listen(0, '127.0.0.1', () => process.send({ backend: backend.address().port }));
process.on('message', ({ front }) => {
  const block = Buffer.alloc(CHUNK);
  for (let i = 0; i < CHUNK; i++) block[i] = (i * 31) & 0xff;
  let produced = 0;
  const sent = createHash('sha256');
  const source = new Readable({ read() {
    if (produced >= GiB) { this.push(null); return; }
    produced += CHUNK; sent.update(block); this.push(block);
  } });
  const received = createHash('sha256');
  const req = http.request({ port: front, host: '127.0.0.1', method: 'POST', path: '/stream', headers: { 'content-type': 'application/octet-stream' } }, (res) => {
    let bytes = 0;
    res.on('data', (c) => { bytes += c.length; received.update(c); });
    res.on('end', () => process.send({ bytes, sent: sent.digest('hex'), received: received.digest('hex'), seen: seen.digest('hex') }));
  });
  source.pipe(req);
});
`;
