/**
 * `proxy(options)`: the reverse proxy `[P]` hands off to (usable alone with `target`), on undici 7:
 * a keep-alive pool per origin, bodies streamed both ways with backpressure (never buffered),
 * header hygiene, ProxyPassReverse-style response mapping, trailers, timeouts, faults → 502/504
 * with error documents, and an `upgrade` handler for WebSockets.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LookupFunction } from 'node:net';
import { hostname } from 'node:os';
import type { Duplex } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';
import { compileTrust, requestView } from '../http/request-view.js';
import type { Next, ProxyRequest } from '../http/types.js';
import { refuse } from '../http/upgrade.js';
import { answerFault, classify, DEFAULT_FAULT_STATUS, type ErrorDocument, type FaultInfo, type FaultKind } from './faults.js';
import { requestHeaders, responseHeaders, type ForwardInfo, type ReverseMap } from './headers.js';
import { parseProxyTargetCached as parseProxyTarget, type ParsedTarget } from './target.js';
import { proxyUpgrade } from './upgrade.js';

export interface ProxyOptions<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse> {
  /** Used alone (not behind `[P]`): the backend base URL; the request's URL is appended. */
  readonly target?: string;
  /** ProxyPreserveHost On: send the client's Host instead of the backend's. @default false */
  readonly preserveHost?: boolean;
  /** X-Forwarded-For/-Host/-Server (as Apache's ProxyAddHeaders On) and X-Forwarded-Proto. @default true */
  readonly xForwarded?: boolean;
  /** RFC 7239 Forwarded. @default false */
  readonly forwarded?: boolean;
  /** Add Via (true: this host's name). @default false */
  readonly via?: boolean | string;
  /** Whose forwarded headers to believe and pass on (proxy-addr syntax). @default false: inbound X-Forwarded-* and Forwarded are dropped */
  readonly trustProxy?: boolean | string | readonly string[] | ((addr: string, i: number) => boolean);
  /** X-Forwarded-Server (Apache: the ServerName). @default os.hostname() */
  readonly serverName?: string;
  /** ProxyPassReverse: true maps URLs on the backend's origin back to the front's; or explicit maps. @default true */
  readonly reverse?: boolean | readonly ReverseMap[];
  readonly cookieDomain?: Readonly<Record<string, string>>;
  readonly cookiePath?: Readonly<Record<string, string>>;
  /** Extra request headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Connections per origin. @default 64 */
  readonly connections?: number;
  /** Idle keep-alive connections are closed after this (ms); keep it below the backend's. @default 4000 */
  readonly keepAliveTimeout?: number;
  /** @default 10000 */
  readonly connectTimeout?: number;
  /** Time to wait for the backend's response headers (ms) → 504. @default 60000 (Apache's Timeout) */
  readonly headersTimeout?: number;
  /** Longest silence inside a response body (ms) → the client connection is aborted. @default 60000 */
  readonly bodyTimeout?: number;
  /** Largest backend response header block (bytes) → 502. @default 16384 */
  readonly maxHeaderSize?: number;
  /** TLS: verify the backend's certificate (default) against `ca` or the system's roots. */
  readonly rejectUnauthorized?: boolean;
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Status per fault kind (see DEFAULT_FAULT_STATUS / APACHE_FAULT_STATUS). */
  readonly faultStatus?: Partial<Record<FaultKind, number>>;
  /** ErrorDocument for faults: a file, a handler, or 'next' (Express's error handler). @default Apache's page */
  readonly errorDocument?: ErrorDocument<Req, Res>;
  /** Called when the backend cannot be reached; return true when it answered the request (see autostart()). */
  readonly onUnavailable?: (req: Req, res: Res, info: FaultInfo) => boolean | void;
  /** Name resolution for backends (net's `lookup`), e.g. to forbid lookups. */
  readonly lookup?: LookupFunction;
  /** Your own undici dispatcher (then pool, TLS and lookup options are yours). */
  readonly dispatcher?: Dispatcher;
}

export type ProxyMiddleware<Req extends IncomingMessage, Res extends ServerResponse> =
  ((req: Req, res: Res, next: Next, hand?: ProxyRequest) => void) & {
    /** For `server.on('upgrade', p.upgrade)`: WebSocket and other upgrades, to `target` or `hand.target`. */
    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, hand?: ProxyRequest): void;
    /** Closes the pools (idle connections now, busy ones when done). */
    close(): Promise<void>;
  };

export function proxy<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse>(options: ProxyOptions<Req, Res> = {}): ProxyMiddleware<Req, Res> {
  const agents = new Map<string, Dispatcher>();
  const agentFor = (t: ParsedTarget): Dispatcher => {
    if (options.dispatcher) return options.dispatcher;
    const key = t.socketPath ?? '';
    let a = agents.get(key);
    if (!a) {
      a = new Agent({
        connections: options.connections ?? 64,
        keepAliveTimeout: options.keepAliveTimeout ?? 4000,
        maxHeaderSize: options.maxHeaderSize ?? 16384,
        connect: {
          timeout: options.connectTimeout ?? 10000, socketPath: t.socketPath, lookup: options.lookup,
          rejectUnauthorized: options.rejectUnauthorized ?? true, ca: options.ca as string | Buffer | (string | Buffer)[] | undefined,
        },
      });
      agents.set(key, a);
    }
    return a;
  };
  const trust = compileTrust(options.trustProxy);
  const faultStatus = { ...DEFAULT_FAULT_STATUS, ...options.faultStatus };
  const serverName = options.serverName ?? hostname();
  const via = options.via === true ? hostname() : options.via || false;

  const trusting = options.trustProxy !== undefined && options.trustProxy !== false;
  const forwardInfo = (req: IncomingMessage): ForwardInfo => {
    const peer = req.socket.remoteAddress ?? '';
    // the scheme: the socket's, or a trusted proxy's X-Forwarded-Proto (only then is a view needed)
    const secure = trusting ? requestView(req, trust).secure : !!(req.socket as { encrypted?: boolean }).encrypted;
    return {
      // each hop adds the address it was contacted from (an IPv4-mapped IPv6 address as IPv4)
      clientIp: peer.startsWith('::ffff:') ? peer.slice(7) : peer, host: req.headers.host, proto: secure ? 'https' : 'http', serverName,
      // the peer's own forwarded headers are believed (and appended to) only if it is trusted
      trusted: trusting && !!peer && trust(peer, 0),
    };
  };

  const targetOf = (req: IncomingMessage, hand?: ProxyRequest): string | undefined => hand?.target ?? (options.target ? options.target.replace(/\/$/, '') + (req.url ?? '/') : undefined);

  const fault = (req: Req, res: Res, next: Next, target: string, kind: FaultKind, error: Error): void => {
    const info: FaultInfo = { status: faultStatus[kind], kind, error, target };
    if ((kind === 'refused' || kind === 'connect-timeout' || kind === 'dns') && options.onUnavailable?.(req, res, info) === true) return;
    answerFault(req, res, next, info, options.errorDocument);
  };

  const middleware = (req: Req, res: Res, next: Next, hand?: ProxyRequest): void => {
    const raw = targetOf(req, hand);
    if (raw === undefined) { next(); return; }
    const parsed = parseProxyTarget(raw, req);
    if (!parsed.ok) { fault(req, res, next, raw, 'bad-target', new Error(parsed.reason)); return; }
    const t = parsed.target;
    const fwd = forwardInfo(req);
    const headers = requestHeaders(req, fwd, { preserveHost: !!options.preserveHost, xForwarded: options.xForwarded ?? true, forwarded: !!options.forwarded, via, targetHost: t.host, set: options.headers });
    // computed only for a response that carries a URL header
    const reverse = (): readonly ReverseMap[] => (options.reverse === false ? [] : Array.isArray(options.reverse) ? options.reverse as readonly ReverseMap[]
      : [{ from: t.origin + '/', to: `${fwd.proto}://${req.headers.host ?? t.host}/` }]);
    const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
    let controller: { abort(e: Error): void; pause(): void; resume(): void } | undefined;
    let started = false;
    let finished = false;
    const onClose = (): void => {
      // the client went away before the answer was complete: stop the backend request too
      if (!finished) { finished = true; controller?.abort(new Error('client closed the connection')); }
    };
    res.once('close', onClose);
    const done = (): void => { finished = true; res.off('close', onClose); };
    try {
      agentFor(t).dispatch({
        origin: t.origin, path: t.path, method: req.method ?? 'GET', headers, body: hasBody ? req : null,
        headersTimeout: options.headersTimeout ?? 60000, bodyTimeout: options.bodyTimeout ?? 60000,
      }, {
        onRequestStart(c) {
          controller = c;
          if (finished) c.abort(new Error('client closed the connection'));
        },
        onResponseStart(_c, status, h, statusMessage) {
          if (status < 200) return; // 100 Continue and other interim answers stay between us and the backend
          started = true;
          const out = responseHeaders(h, { reverse: h.location || h['content-location'] || h.uri ? reverse() : [], cookieDomain: options.cookieDomain ?? {}, cookiePath: options.cookiePath ?? {}, via, httpVersion: '1.1' });
          if (statusMessage) res.writeHead(status, statusMessage, out); else res.writeHead(status, out);
        },
        onResponseData(c, chunk) {
          if (!res.write(chunk)) { c.pause(); res.once('drain', () => c.resume()); }
        },
        onResponseEnd(_c, trailers) {
          done();
          if (trailers && Object.keys(trailers).length && res.hasHeader('trailer')) res.addTrailers(trailers as Record<string, string>);
          res.end();
        },
        onResponseError(_c, err) {
          const clientGone = finished;
          done();
          if (clientGone) return;
          // after the headers went out a fault can only cut the connection: a truncated body must
          // not look complete to the client
          if (started || res.headersSent) { res.destroy(err); return; }
          fault(req, res, next, raw, classify(err), err);
        },
      });
    } catch (err) {
      done();
      fault(req, res, next, raw, 'bad-target', err as Error);
    }
  };

  return Object.assign(middleware, {
    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, hand?: ProxyRequest): void {
      const raw = targetOf(req, hand);
      const parsed = raw === undefined ? undefined : parseProxyTarget(raw, req);
      if (!parsed?.ok) { refuse(socket, faultStatus['bad-target']); return; }
      const fwd = forwardInfo(req);
      const headers = requestHeaders(req, fwd, { preserveHost: !!options.preserveHost, xForwarded: options.xForwarded ?? true, forwarded: !!options.forwarded, via, targetHost: parsed.target.host, set: options.headers });
      proxyUpgrade(agentFor(parsed.target), parsed.target, req, socket, head, headers, { headersTimeout: options.headersTimeout ?? 60000, faultStatus });
    },
    async close(): Promise<void> {
      await Promise.all([...agents.values()].map((a) => a.close()));
      agents.clear();
    },
  });
}
