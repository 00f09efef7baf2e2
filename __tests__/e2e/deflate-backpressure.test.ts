/**
 * mod_deflate's streamed path (site/deflate.ts sendCompressed for a file not held in memory): a
 * client that stops reading must not make the server compress the whole file into memory, and a
 * client that goes away must stop the work. Real server, real file, raw socket on loopback.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendCompressed } from '../../lib/site/deflate';

const FILE_BYTES = 16 * 1024 * 1024;
let dir: string;
let server: Server;
let lastResponse: ServerResponse | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'modrewrite-deflate-bp-'));
  // base64 text compresses to about 3/4: without backpressure ~12 MiB would wait in memory
  writeFileSync(join(dir, 'big.txt'), randomBytes((FILE_BYTES * 3) / 4).toString('base64'));
  server = createServer((req, res) => {
    lastResponse = res;
    sendCompressed(req, res, join(dir, 'big.txt'), undefined, undefined, () => res.end());
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
});

afterAll(async () => {
  await new Promise((ok) => server.close(ok));
  rmSync(dir, { recursive: true, force: true });
});

/** A GET that sends its head and then reads nothing (its receive window fills). */
function stalledClient(): Socket {
  const port = (server.address() as AddressInfo).port;
  const socket = connect(port, '127.0.0.1');
  socket.write('GET /big.txt HTTP/1.1\r\nHost: localhost\r\n\r\n');
  socket.pause();
  return socket;
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

test('a client that reads nothing holds at most a few MiB of compressed output', async () => {
  const socket = stalledClient();
  try {
    await sleep(2500);
    const res = lastResponse!;
    expect(res.headersSent).toBe(true);
    // what node holds for the socket beyond the kernel's buffers: bounded by the pause, not the file
    expect(res.writableLength).toBeLessThan(4 * 1024 * 1024);
  } finally {
    socket.destroy();
  }
});

test('a client that goes away ends the response without an error', async () => {
  const socket = stalledClient();
  await sleep(300);
  const res = lastResponse!;
  const closed = new Promise((ok) => res.once('close', ok));
  socket.destroy();
  await closed;
  expect(res.writableFinished).toBe(false);
  // the server still answers the next client
  const again = stalledClient();
  socket.destroy();
  await sleep(200);
  expect(lastResponse).not.toBe(res);
  again.destroy();
});
