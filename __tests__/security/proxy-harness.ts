/**
 * Shared by the proxy CVE-class tests: the same server-context rules run by rewrite() + proxy()
 * under Express and by `modrewrite serve` (bin/modrewrite.cjs, a child process, needs dist/), with
 * raw-socket backends that record every byte they receive, so a split request or a request to a
 * service the rules never named shows up as such.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { loopbackOnlyLookup, proxy, rewrite } from '../../lib/index';
import { startServe } from '../helpers/serve-child';

export interface Recorder {
  readonly port: number;
  /** Everything received, per connection. */
  readonly received: string[];
  close(): Promise<void>;
}

/** A raw HTTP/1.1 backend: records the bytes of each connection and answers every request 200. */
export async function recorder(): Promise<Recorder> {
  const received: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const index = received.push('') - 1;
    socket.on('data', (chunk) => {
      received[index] += chunk.toString('latin1');
      if (received[index].endsWith('\r\n\r\n'))
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nrecorded');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    received,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Sends one raw request and resolves the status line (what a client sees first). */
export function rawStatus(
  port: number,
  requestLineTarget: string,
  host = 'front.test',
): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1');
    let data = '';
    c.on('data', (d) => {
      data += d.toString('latin1');
    });
    c.on('end', () => resolve(data.split('\r\n')[0]));
    c.on('error', reject);
    c.write(`GET ${requestLineTarget} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  });
}

export interface Front {
  readonly name: string;
  readonly port: number;
  close(): Promise<void>;
}

/** rewrite(rules, { proxy: proxy() }) in Express 5, no name ever looked up. */
export async function expressFront(rules: string): Promise<Front> {
  const p = proxy({ lookup: loopbackOnlyLookup });
  const app = express();
  app.use(rewrite(rules, { proxy: p }));
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    name: 'rewrite() + proxy() under Express',
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await p.close();
    },
  };
}

/** `modrewrite serve --config <rules>` as a child process (the built CLI), `--no-dns`. */
export async function serveFront(rules: string): Promise<Front> {
  const dir = mkdtempSync(join(tmpdir(), 'modrewrite-cve-'));
  mkdirSync(join(dir, 'www'));
  writeFileSync(join(dir, 'site.conf'), `RewriteEngine on\n${rules}\n`);
  const serve = await startServe([
    '--root',
    join(dir, 'www'),
    '--config',
    join(dir, 'site.conf'),
    '--quiet',
    '--no-dns',
  ]);
  return {
    name: 'modrewrite serve (child process)',
    port: serve.port,
    close: async () => {
      await serve.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const FRONTS = [
  ['Express', expressFront],
  ['modrewrite serve', serveFront],
] as const;
