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

/** What proxyUpgrade needs from proxy(): its timeout, the fault statuses and its fault log. */
interface UpgradeOptions {
  headersTimeout: number;
  faultStatus: Record<FaultKind, number>;
  report: (kind: FaultKind, err: Error, answered: string) => void;
}

export function proxyUpgrade(
  agent: Dispatcher,
  t: ParsedTarget,
  req: IncomingMessage,
  socket: Duplex,
  first: Buffer,
  headers: Record<string, string | string[]>,
  o: UpgradeOptions,
): void {
  const handler = new UpgradeHandler(socket, first, o);
  socket.on('error', () => {
    handler.upstream?.destroy();
  });
  socket.on('close', () => {
    handler.upstream?.destroy();
  });
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
    handler.fail(o.faultStatus['bad-target']);
  }
}

/** Raw header pairs as an object without a prototype (header names are peer text: `__proto__`). */
function headerPairs(raw: Buffer[] | string[] | null): Record<string, string | string[]> {
  const out = Object.create(null) as Record<string, string | string[]>;
  for (let i = 0; raw && i + 1 < raw.length; i += 2) {
    const k = String(raw[i]).toLowerCase();
    const v = String(raw[i + 1]);
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/**
 * One upgrade's exchange with the backend. undici 7 takes upgrades through its classic handler
 * interface (onConnect/onUpgrade/onError), calling these as methods of the handler.
 */
class UpgradeHandler {
  /** The backend's socket once it switched protocols. */
  upstream: Duplex | undefined;
  private answered = false;

  constructor(
    private readonly socket: Duplex,
    private readonly first: Buffer,
    private readonly o: UpgradeOptions,
  ) {}

  /** Answers the client on its raw socket, once. */
  fail(status: number): void {
    if (this.answered) return;
    this.answered = true;
    refuse(this.socket, status);
  }

  onConnect(): void {
    /* nothing to abort early */
  }

  onUpgrade(status: number, raw: Buffer[] | string[] | null, up: Duplex): void {
    const { socket } = this;
    this.answered = true;
    this.upstream = up;
    if (socket.destroyed) {
      up.destroy();
      return;
    }
    const out = Object.create(null) as Record<string, string | string[] | undefined>;
    for (const [k, v] of Object.entries(headerPairs(raw)))
      if (k === 'connection' || k === 'upgrade' || !HOP_BY_HOP.has(k)) out[k] = v;
    socket.write(head(status, 'Switching Protocols', out));
    if (this.first.length) up.write(this.first);
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
    up.pipe(socket);
    socket.pipe(up);
  }

  onHeaders(
    status: number,
    raw: Buffer[] | string[] | null,
    _resume: () => void,
    message: string,
  ): boolean {
    // the backend declined the upgrade: relay its answer and close
    this.answered = true;
    const out = Object.create(null) as Record<string, string | string[] | undefined>;
    for (const [k, v] of Object.entries(headerPairs(raw))) if (!HOP_BY_HOP.has(k)) out[k] = v;
    out.connection = 'close';
    this.socket.write(head(status, message || 'Error', out));
    return true;
  }

  onData(chunk: Buffer): boolean {
    return this.socket.write(chunk);
  }

  onComplete(): void {
    this.socket.end();
  }

  onError(err: Error): void {
    const kind = classify(err);
    if (this.answered) {
      this.o.report(kind, err, 'connection closed after the upgrade');
      this.socket.destroy();
      return;
    }
    this.o.report(kind, err, `answered ${this.o.faultStatus[kind]}`);
    this.fail(this.o.faultStatus[kind]);
  }
}
