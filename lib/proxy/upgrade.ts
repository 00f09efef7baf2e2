/**
 * Upgrades (WebSocket and others) through the proxy: the handshake goes to the backend with the
 * same header hygiene; on 101 the two sockets are piped together; any other answer is relayed and
 * the connection closed; a failure is answered on the raw socket.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import { refuse } from '../http/upgrade.js';
import { classify, type FaultKind } from './faults.js';
import { HOP_BY_HOP } from './headers.js';
import type { ParsedTarget } from './target.js';

function head(
  status: number,
  message: string,
  headers: Record<string, string | string[] | undefined>,
): string {
  let s = `HTTP/1.1 ${status} ${message}\r\n`;
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) s += `${k}: ${one}\r\n`;
  }
  return s + '\r\n';
}

export function proxyUpgrade(
  agent: Dispatcher,
  t: ParsedTarget,
  req: IncomingMessage,
  socket: Duplex,
  first: Buffer,
  headers: Record<string, string | string[]>,
  o: {
    headersTimeout: number;
    faultStatus: Record<FaultKind, number>;
    report: (kind: FaultKind, err: Error, answered: string) => void;
  },
): void {
  let upstream: Duplex | undefined;
  let answered = false;
  const fail = (status: number): void => {
    if (answered) return;
    answered = true;
    refuse(socket, status);
  };
  socket.on('error', () => {
    upstream?.destroy();
  });
  socket.on('close', () => {
    upstream?.destroy();
  });
  const pairs = (raw: Buffer[] | string[] | null): Record<string, string | string[]> => {
    // header names are peer text: no prototype (`__proto__` would otherwise replace it)
    const out = Object.create(null) as Record<string, string | string[]>;
    for (let i = 0; raw && i + 1 < raw.length; i += 2) {
      const k = String(raw[i]).toLowerCase();
      const v = String(raw[i + 1]);
      const prev = out[k];
      out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    return out;
  };
  // undici 7 takes upgrades through its classic handler interface (onConnect/onUpgrade/onError)
  const handler = {
    onConnect(): void {
      /* nothing to abort early */
    },
    onUpgrade(status: number, raw: Buffer[] | string[] | null, up: Duplex): void {
      answered = true;
      upstream = up;
      if (socket.destroyed) {
        up.destroy();
        return;
      }
      const out = Object.create(null) as Record<string, string | string[] | undefined>;
      for (const [k, v] of Object.entries(pairs(raw)))
        if (k === 'connection' || k === 'upgrade' || !HOP_BY_HOP.has(k)) out[k] = v;
      socket.write(head(status, 'Switching Protocols', out));
      if (first.length) up.write(first);
      up.on('error', () => socket.destroy());
      socket.on('error', () => up.destroy());
      up.pipe(socket);
      socket.pipe(up);
    },
    onHeaders(
      status: number,
      raw: Buffer[] | string[] | null,
      _resume: () => void,
      message: string,
    ): boolean {
      // the backend declined the upgrade: relay its answer and close
      answered = true;
      const out = Object.create(null) as Record<string, string | string[] | undefined>;
      for (const [k, v] of Object.entries(pairs(raw))) if (!HOP_BY_HOP.has(k)) out[k] = v;
      out.connection = 'close';
      socket.write(head(status, message || 'Error', out));
      return true;
    },
    onData(chunk: Buffer): boolean {
      return socket.write(chunk);
    },
    onComplete(): void {
      socket.end();
    },
    onError(err: Error): void {
      const kind = classify(err);
      if (answered) {
        o.report(kind, err, 'connection closed after the upgrade');
        socket.destroy();
        return;
      }
      o.report(kind, err, `answered ${o.faultStatus[kind]}`);
      fail(o.faultStatus[kind]);
    },
  };
  try {
    agent.dispatch(
      {
        origin: t.origin,
        path: t.path,
        method: req.method ?? 'GET',
        headers,
        upgrade: String(req.headers.upgrade ?? 'websocket'),
        body: null,
        headersTimeout: o.headersTimeout,
      },
      handler as unknown as Dispatcher.DispatchHandler,
    );
  } catch (err) {
    o.report('bad-target', err as Error, `answered ${o.faultStatus['bad-target']}`);
    fail(o.faultStatus['bad-target']);
  }
}
