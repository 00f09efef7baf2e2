/** The engine's view of a node:http request, read lazily, with proxy trust compiled once. */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import proxyAddr from 'proxy-addr';
import type { RequestView } from '../engine/request.js';
import type { RewriteOptions } from './types.js';

type Trust = (addr: string, i: number) => boolean;

/**
 * No `trustProxy` option: the Express app's own `trust proxy` setting (its compiled
 * `trust proxy fn`, Express 4 and 5), read per request; outside Express nothing is trusted.
 */
const FROM_APP: Trust = () => false;

export function compileTrust(t: RewriteOptions['trustProxy']): Trust {
  if (t === undefined) return FROM_APP;
  if (typeof t === 'function') return t;
  if (t === true) return () => true;
  if (!t) return () => false;
  return proxyAddr.compile(typeof t === 'string' ? t.split(/\s*,\s*/) : [...t]);
}

/**
 * The engine's view of a node:http request. Socket facts and the trusted client address are
 * computed only when a rule reads them (most requests never do).
 */
export class NodeRequestView implements RequestView {
  // memos set only when a rule reads them: `declare` emits no class field, so constructing a view
  // (every request) stores two fields instead of defining six
  declare private addr?: string;
  declare private sec?: boolean;
  declare private trustFn?: Trust;
  declare private absoluteFormHeaders?: IncomingMessage['headers'];
  constructor(
    private readonly req: IncomingMessage,
    private readonly configured: Trust,
  ) {}
  private get trust(): Trust {
    return (this.trustFn ??= this.configured === FROM_APP ? appTrust(this.req) : this.configured);
  }
  get method(): string {
    return this.req.method ?? 'GET';
  }
  get target(): string {
    return (this.req as { originalUrl?: string }).originalUrl ?? this.req.url ?? '/';
  }
  get protocol(): string {
    return `HTTP/${this.req.httpVersion}`;
  }
  get headers(): IncomingMessage['headers'] {
    const url = this.req.url;
    if (url === undefined || url.charCodeAt(0) === 0x2f) return this.req.headers;
    return (this.absoluteFormHeaders ??= withTargetHost(this.req.headers, url));
  }
  get remoteAddr(): string {
    return (this.addr ??= proxyAddr(this.req, this.trust));
  }
  get connRemoteAddr(): string {
    return this.req.socket.remoteAddress ?? '';
  }
  get remotePort(): number {
    return this.req.socket.remotePort ?? 0;
  }
  get localAddr(): string {
    return this.req.socket.localAddress ?? '';
  }
  get localPort(): number {
    return this.req.socket.localPort ?? 0;
  }
  get secure(): boolean {
    if (this.sec === undefined) {
      this.sec = !!(this.req.socket as TLSSocket).encrypted;
      if (
        !this.sec &&
        this.req.headers['x-forwarded-proto'] !== undefined &&
        this.trust(this.connRemoteAddr, 0)
      ) {
        this.sec =
          String(this.req.headers['x-forwarded-proto'] ?? '')
            .split(',')[0]
            .trim() === 'https';
      }
    }
    return this.sec;
  }
  get tls(): RequestView['tls'] {
    const socket = this.req.socket as TLSSocket;
    if (!socket.encrypted) return undefined;
    const cipher = socket.getCipher?.();
    return { protocol: socket.getProtocol?.() ?? undefined, cipher: cipher?.name };
  }
}

/** The `trust proxy fn` of the Express app handling `req` (set by Express's init middleware). */
function appTrust(req: IncomingMessage): Trust {
  const app = (req as { app?: { get?: (name: string) => unknown } }).app;
  const fn = typeof app?.get === 'function' ? app.get('trust proxy fn') : undefined;
  return typeof fn === 'function' ? (fn as Trust) : FROM_APP;
}

/** Builds the engine's view of a node:http request. */
export function requestView(
  req: IncomingMessage,
  trust: (addr: string, i: number) => boolean,
): RequestView {
  return new NodeRequestView(req, trust);
}

/**
 * An absolute-form request-target (`GET http://other.example:8080/h HTTP/1.1`) names the host:
 * Apache's ap_read_request puts its host and port, lower-cased, in place of the Host header
 * (conformance case 147: HTTP_HOST, SERVER_NAME and [R] URLs all follow the target).
 */
function withTargetHost(
  headers: IncomingMessage['headers'],
  url: string,
): IncomingMessage['headers'] {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url);
  if (!m?.[1]) return headers;
  const authority = m[1].slice(m[1].lastIndexOf('@') + 1).toLowerCase();
  return authority ? { ...headers, host: authority } : headers;
}
