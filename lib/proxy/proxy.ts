/**
 * `proxy(options)`: the reverse proxy `[P]` hands off to (usable alone with `target`), on undici 7:
 * a keep-alive pool per origin, bodies streamed both ways with backpressure (never buffered),
 * header hygiene, ProxyPassReverse-style response mapping, trailers, timeouts, faults → 502/504
 * with error documents, and an `upgrade` handler for WebSockets.
 */
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { LookupFunction } from 'node:net';
import { hostname } from 'node:os';
import type { Duplex } from 'node:stream';
import { debugLog, type DebugLog } from '../debug-log.js';
import { Agent, Client, Pool, type Dispatcher } from 'undici';
import { RewriteError, RewriteRuntimeError } from '../errors.js';
import { kProxyHandOff } from '../http/hand-off.js';
import { compileTrust, requestView } from '../http/request-view.js';
import type { Next, ProxyRequest } from '../http/types.js';
import { sendStatus } from '../http/respond.js';
import { refuse } from '../http/upgrade.js';
import { planBody } from './body.js';
import {
  answerFault,
  classify,
  DEFAULT_FAULT_STATUS,
  type ErrorDocument,
  type FaultInfo,
  type FaultKind,
} from './faults.js';
import {
  rawResponseHeaders,
  rawTrailers,
  requestHeaders,
  type ForwardInfo,
  type RequestHeaderOptions,
  type ResponseHeaderOptions,
  type ReverseMap,
} from './headers.js';
import {
  parseProxyTargetCached as parseProxyTarget,
  validAuthority,
  type ParsedTarget,
} from './target.js';
import { proxyUpgrade } from './upgrade.js';

export interface ProxyOptions<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
> {
  /** Used alone (not behind `[P]`): the backend base URL; the request's URL is appended. */
  readonly target?: string;
  /** ProxyPreserveHost On: send the client's Host instead of the backend's. @default false */
  readonly preserveHost?: boolean;
  /**
   * X-Forwarded-For/-Host/-Server (as Apache's ProxyAddHeaders On) and X-Forwarded-Proto.
   * @default true
   */
  readonly xForwarded?: boolean;
  /** RFC 7239 Forwarded. @default false */
  readonly forwarded?: boolean;
  /** Add Via (true: this host's name). @default false */
  readonly via?: boolean | string;
  /**
   * Whose forwarded headers to believe and pass on (proxy-addr syntax).
   * @default false: inbound X-Forwarded-* and Forwarded are dropped
   */
  readonly trustProxy?:
    boolean | string | readonly string[] | ((addr: string, i: number) => boolean);
  /** X-Forwarded-Server (Apache: the ServerName). @default os.hostname() */
  readonly serverName?: string;
  /**
   * ProxyPassReverse: true maps URLs on the backend's origin back to the front's; or explicit maps.
   * @default true
   */
  readonly reverse?: boolean | readonly ReverseMap[];
  readonly cookieDomain?: Readonly<Record<string, string>>;
  readonly cookiePath?: Readonly<Record<string, string>>;
  /** Extra request headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Connections per origin. @default 64 */
  readonly connections?: number;
  /**
   * Idle keep-alive connections are closed after this (ms); keep it below the backend's.
   * @default 4000
   */
  readonly keepAliveTimeout?: number;
  /** @default 10000 */
  readonly connectTimeout?: number;
  /**
   * Time to wait for the backend's response headers (ms) → 504.
   * @default 60000 (Apache's Timeout)
   */
  readonly headersTimeout?: number;
  /**
   * Longest silence inside a response body (ms) → the client connection is aborted.
   * @default 60000
   */
  readonly bodyTimeout?: number;
  /** Largest backend response header block (bytes) → 502. @default 16384 */
  readonly maxHeaderSize?: number;
  /** TLS: verify the backend's certificate (default) against `ca` or the system's roots. */
  readonly rejectUnauthorized?: boolean;
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Status per fault kind (see DEFAULT_FAULT_STATUS / APACHE_FAULT_STATUS). */
  readonly faultStatus?: Partial<Record<FaultKind, number>>;
  /**
   * ErrorDocument for faults: a file, a handler, or 'next' (Express's error handler).
   * @default Apache's page
   */
  readonly errorDocument?: ErrorDocument<Req, Res>;
  /**
   * Called when the backend cannot be reached; return true when it answered the request (see
   * autostart()).
   */
  readonly onUnavailable?: (req: Req, res: Res, info: FaultInfo) => boolean | void;
  /** Name resolution for backends (net's `lookup`), e.g. to forbid lookups. */
  readonly lookup?: LookupFunction;
  /** Your own undici dispatcher (then pool, TLS and lookup options are yours). */
  readonly dispatcher?: Dispatcher;
  /**
   * Every fault (refused, DNS, TLS, reset, timeout, a consumed body, a bad target) is logged to
   * `debug('modrewrite:proxy')`; this receives the same line too (e.g. an error log).
   */
  readonly log?: (line: string, info: FaultInfo) => void;
}

export const debugProxy: DebugLog = debugLog('modrewrite:proxy');

export type ProxyMiddleware<Req extends IncomingMessage, Res extends ServerResponse> =
  /** A normal 3-parameter middleware: `app.use('/api', proxy({ target }))`. */
  ((req: Req, res: Res, next: Next) => void) & {
    /**
     * The `[P]` hand-off rewrite(), site() and htaccess() use (also callable from your own
     * ProxyHandler).
     */
    forward(req: Req, res: Res, next: Next, hand: ProxyRequest): void;
    [kProxyHandOff](req: Req, res: Res, next: Next, hand: ProxyRequest): void;
    /**
     * For `server.on('upgrade', p.upgrade)`: WebSocket and other upgrades, to `target` or
     * `hand.target`.
     */
    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, hand?: ProxyRequest): void;
    /** Closes the pools (idle connections now, busy ones when done). */
    close(): Promise<void>;
  };

/** proxy()'s defaults, merged once per proxy(): Apache's where it has one (Timeout is 60 s). */
export const PROXY_DEFAULTS = {
  connections: 64,
  keepAliveTimeout: 4000,
  maxHeaderSize: 16384,
  connectTimeout: 10000,
  headersTimeout: 60000,
  bodyTimeout: 60000,
} as const;

/** What proxy() resolves once from its options; every request reads it. */
interface ProxySetup<Req extends IncomingMessage, Res extends ServerResponse> {
  readonly options: ProxyOptions<Req, Res>;
  readonly trust: (addr: string, i: number) => boolean;
  /** A trustProxy was given (only then are inbound forwarded headers read). */
  readonly trusting: boolean;
  readonly faultStatus: Record<FaultKind, number>;
  readonly serverName: string;
  readonly via: string | false;
  readonly headersTimeout: number;
  readonly bodyTimeout: number;
  readonly pools: Pools;
  /** The response header options of a response without URL headers to map (most). */
  readonly responseOptions: ResponseHeaderOptions;
  /** The request header options (the backend's Host is given per request). */
  readonly requestOptions: RequestHeaderOptions;
}

/**
 * A setup read only where its Req/Res types do not matter (they appear in parameter position only).
 */
type AnyProxySetup = ProxySetup<never, never>;

/**
 * Creates the reverse proxy: the `[P]` hand-off of rewrite(), site() and htaccess() (pass it as
 * their `proxy` option), or, with `target`, a middleware of its own. `upgrade` forwards WebSockets.
 * @example
 * const toBackend = proxy({ errorDocument: { 502: '/srv/www/502.html' } });
 * app.use(rewrite('RewriteRule ^/api/(.*) http://127.0.0.1:8000/$1 [P]', { proxy: toBackend }));
 * // or alone:
 * app.use('/api', proxy({ target: 'http://127.0.0.1:8000/api' }));
 */
export function proxy<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
>(options: ProxyOptions<Req, Res> = {}): ProxyMiddleware<Req, Res> {
  const setup = resolveProxy(options);
  const forward = (req: Req, res: Res, next: Next, hand?: ProxyRequest): void =>
    forwardRequest(setup, req, res, next, hand);
  // three parameters: Express 4/5 and Connect call a 4-parameter function only with an error
  const middleware = function proxyMiddleware(req: Req, res: Res, next: Next): void {
    forward(req, res, next, undefined);
  };
  return Object.assign(middleware, {
    forward,
    [kProxyHandOff]: forward,
    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, hand?: ProxyRequest): void {
      upgradeRequest(setup, req, socket, head, hand);
    },
    close: (): Promise<void> => setup.pools.close(),
  });
}

function resolveProxy<Req extends IncomingMessage, Res extends ServerResponse>(
  options: ProxyOptions<Req, Res>,
): ProxySetup<Req, Res> {
  // a URL target is checked once, here (a path alone is this server itself)
  if (options.target !== undefined && !options.target.startsWith('/')) {
    const checked = parseProxyTarget(options.target.replace(/\/?$/, '/'));
    if (checked.type === 'refused')
      throw new RewriteError('ERR_OPTIONS', `proxy(): target: ${checked.reason}`);
  }
  const via = options.via === true ? hostname() : options.via || false;
  return {
    options,
    trust: compileTrust(options.trustProxy),
    trusting: options.trustProxy !== undefined && options.trustProxy !== false,
    faultStatus: { ...DEFAULT_FAULT_STATUS, ...options.faultStatus },
    serverName: options.serverName ?? hostname(),
    via,
    headersTimeout: options.headersTimeout ?? PROXY_DEFAULTS.headersTimeout,
    bodyTimeout: options.bodyTimeout ?? PROXY_DEFAULTS.bodyTimeout,
    pools: new Pools(options),
    responseOptions: {
      reverse: [],
      cookieDomain: options.cookieDomain ?? {},
      cookiePath: options.cookiePath ?? {},
      via,
      httpVersion: '1.1',
    },
    requestOptions: {
      preserveHost: !!options.preserveHost,
      xForwarded: options.xForwarded ?? true,
      forwarded: !!options.forwarded,
      via,
      set: options.headers,
    },
  };
}

/**
 * One keep-alive undici Agent per socket path (TCP origins share one), unless a dispatcher is
 * given. A request to a TCP origin goes straight to the pool its agent made for that origin while
 * the agent keeps it: the agent's own dispatch only looks that pool up (a layer of undici's
 * dispatch per request); it still creates, counts and closes its pools.
 */
class Pools {
  private readonly agents = new Map<string, Dispatcher>();
  /** The pool of each TCP origin, as the agent's factory made it (maybe closed since: checked). */
  private readonly direct = new Map<string, Pool | Client>();
  constructor(private readonly options: ProxyOptions<never, never>) {}

  dispatch(
    t: ParsedTarget,
    opts: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandler,
  ): void {
    const pool = t.socketPath === undefined ? this.direct.get(t.origin) : undefined;
    if (pool !== undefined && !pool.closed && !pool.destroyed) pool.dispatch(opts, handler);
    else this.for(t).dispatch(opts, handler);
  }

  for(t: ParsedTarget): Dispatcher {
    const { options } = this;
    if (options.dispatcher) return options.dispatcher;
    const key = t.socketPath ?? '';
    let agent = this.agents.get(key);
    if (!agent) {
      agent = new Agent({
        connections: options.connections ?? PROXY_DEFAULTS.connections,
        keepAliveTimeout: options.keepAliveTimeout ?? PROXY_DEFAULTS.keepAliveTimeout,
        maxHeaderSize: options.maxHeaderSize ?? PROXY_DEFAULTS.maxHeaderSize,
        connect: {
          timeout: options.connectTimeout ?? PROXY_DEFAULTS.connectTimeout,
          socketPath: t.socketPath,
          lookup: options.lookup,
          rejectUnauthorized: options.rejectUnauthorized ?? true,
          ca: options.ca as string | Buffer | (string | Buffer)[] | undefined,
        },
        factory: t.socketPath === undefined ? (origin, o) => this.made(origin, o) : undefined,
      });
      this.agents.set(key, agent);
    }
    return agent;
  }

  /** The agent's factory (undici's default one), remembering the pool by its origin. */
  private made(origin: string | URL, o: Agent.Options): Pool | Client {
    const pool = o.connections === 1 ? new Client(origin, o) : new Pool(origin, o);
    if (this.direct.size >= 1000) this.direct.clear();
    this.direct.set(String(origin), pool);
    return pool;
  }

  /** Closes the pools (idle connections now, busy ones when done). */
  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.close()));
    this.agents.clear();
    this.direct.clear();
  }
}

/** Who asked, as the forwarded headers tell the backend. */
function forwardInfo(setup: AnyProxySetup, req: IncomingMessage): ForwardInfo {
  const peer = req.socket.remoteAddress ?? '';
  // the scheme: the socket's, or a trusted proxy's X-Forwarded-Proto (only then is a view needed)
  const secure = setup.trusting
    ? requestView(req, setup.trust).secure
    : !!(req.socket as { encrypted?: boolean }).encrypted;
  return {
    // each hop adds the address it was contacted from (an IPv4-mapped IPv6 address as IPv4)
    clientIp: peer.startsWith('::ffff:') ? peer.slice(7) : peer,
    host: req.headers.host,
    proto: secure ? 'https' : 'http',
    serverName: setup.serverName,
    // the peer's own forwarded headers are believed (and appended to) only if it is trusted
    trusted: setup.trusting && !!peer && setup.trust(peer, 0),
  };
}

/** The request headers for the backend (hygiene, forwarded headers, Host). */
function backendHeaders(
  setup: AnyProxySetup,
  req: IncomingMessage,
  fwd: ForwardInfo,
  target: ParsedTarget,
): Record<string, string | string[]> {
  return requestHeaders(req, fwd, setup.requestOptions, target.host);
}

/** The Host undici's client writes for an origin (its URL's host), by origin; bounded. */
const clientHosts = new Map<string, string>();

/**
 * The Host undici writes by itself to a plain-HTTP origin of our own pools (see requestHeaders);
 * undefined for another dispatcher, or TLS (there a Host header also names the TLS server name).
 */
function implicitHost(setup: AnyProxySetup, t: ParsedTarget): string | undefined {
  if (setup.options.dispatcher || t.protocol !== 'http:') return undefined;
  let host = clientHosts.get(t.origin);
  if (host === undefined) {
    const url = new URL(t.origin);
    host = url.port ? `${url.hostname}:${url.port}` : url.hostname;
    if (clientHosts.size >= 1000) clientHosts.clear();
    clientHosts.set(t.origin, host);
  }
  return host;
}

function targetOf(
  setup: AnyProxySetup,
  req: IncomingMessage,
  hand?: ProxyRequest,
): string | undefined {
  const base = setup.options.target;
  return hand?.target ?? (base ? base.replace(/\/$/, '') + (req.url ?? '/') : undefined);
}

/**
 * ProxyPreserveHost sends the client's Host on: it must be an authority too (Apache answers 400
 * for a request whose Host is not one).
 */
function badPreservedHost(setup: AnyProxySetup, req: IncomingMessage): boolean {
  return (
    !!setup.options.preserveHost &&
    req.headers.host !== undefined &&
    !validAuthority(req.headers.host)
  );
}

/** A fault, logged: debug('modrewrite:proxy') and the `log` option. */
function report(
  setup: AnyProxySetup,
  req: IncomingMessage,
  info: FaultInfo,
  answered: string,
): void {
  const line = escapeControls(
    `modrewrite: proxy ${info.kind}: ${req.method} ${req.url} -> ${info.target}: ${info.error.message} (${answered})`,
  );
  debugProxy(line);
  try {
    setup.options.log?.(line, info);
  } catch (err) {
    // a logger must never take the request (or the process) down
    debugProxy('log hook threw: %s', (err as Error).message);
  }
}

/** A fault before the response started: logged, then onUnavailable or the error document. */
function fault<Req extends IncomingMessage, Res extends ServerResponse>(
  setup: ProxySetup<Req, Res>,
  exchange: { req: Req; res: Res; next: Next; target: string },
  kind: FaultKind,
  error: Error,
): void {
  const { req, res, next, target } = exchange;
  const info: FaultInfo = { status: setup.faultStatus[kind], kind, error, target };
  report(setup, req, info, `answered ${info.status}`);
  const unavailable = kind === 'refused' || kind === 'connect-timeout' || kind === 'dns';
  if (unavailable && setup.options.onUnavailable?.(req, res, info) === true) return;
  answerFault(req, res, next, info, setup.options.errorDocument);
}

/** One proxied request: target, body plan, headers, then the dispatch with its response relay. */
function forwardRequest<Req extends IncomingMessage, Res extends ServerResponse>(
  setup: ProxySetup<Req, Res>,
  req: Req,
  res: Res,
  next: Next,
  hand?: ProxyRequest,
): void {
  const raw = targetOf(setup, req, hand);
  if (raw === undefined) {
    next();
    return;
  }
  const parsed = parseProxyTarget(raw, req, hand?.self === true);
  if (parsed.type === 'refused') {
    fault(setup, { req, res, next, target: raw }, 'bad-target', new Error(parsed.reason));
    return;
  }
  if (badPreservedHost(setup, req)) {
    sendStatus(req, res, 400);
    return;
  }
  const body = planBody(req);
  if (body.type === 'lost') {
    const error = new RewriteRuntimeError('ERR_PROXY_BODY_CONSUMED', `modrewrite: ${body.reason}`, {
      status: 500,
    });
    fault(setup, { req, res, next, target: raw }, 'body-consumed', error);
    return;
  }
  // a request without a body is read to its end now, while the backend works: node:http would
  // otherwise drain it after the response (req._dump) and wait for its 'end' with one more listener
  if (body.type === 'none' && !req.readableEnded) req.resume();
  const t = parsed.target;
  const fwd = forwardInfo(setup, req);
  const headers = requestHeaders(req, fwd, setup.requestOptions, t.host, implicitHost(setup, t));
  if (body.type === 'buffer') reframe(headers, body.body, body.contentType);
  const relay = new ResponseRelay(setup, req, res, next, raw, fwd, t);
  try {
    setup.pools.dispatch(
      t,
      {
        origin: t.origin,
        path: t.path,
        method: req.method ?? 'GET',
        headers,
        body: body.type === 'buffer' ? body.body : body.type === 'stream' ? req : null,
        headersTimeout: setup.headersTimeout,
        bodyTimeout: setup.bodyTimeout,
      },
      relay,
    );
  } catch (err) {
    relay.done();
    fault(setup, relay, 'bad-target', err as Error);
  }
}

/** The relay answering on a client connection (one per connection: see watchClient). */
const kRelay = Symbol('modrewrite.proxyRelay');

type Watched = { [kRelay]?: { clientClosed(): void } | null };

/**
 * The client went away before the answer was complete: the backend request stops too. One
 * `close` listener per client connection, registered with its first proxied request (a listener
 * per response cost an add and a remove on every request, a visible share under Express).
 */
function onClientClose(this: Watched): void {
  this[kRelay]?.clientClosed();
}

/** "Content-Length: N" of a response, or -1 (absent, repeated, not a number). */
function declaredLength(out: Record<string, string | string[]>): number {
  const v = out['content-length'];
  return typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : -1;
}

/**
 * The backend's response to the client: headers mapped (ProxyPassReverse, cookies, Via), body
 * streamed with backpressure, trailers kept; a client that leaves aborts the backend request, and
 * a fault after the headers went out cuts the connection (a truncated body must not look whole).
 * It is also the exchange a fault is answered from (req, res, next, target).
 *
 * It speaks undici's dispatch-handler hooks of the core (onConnect, onHeaders, onData, onComplete,
 * onError): the newer controller API is a wrapper undici puts around them, which cost a wrapper,
 * a controller and a parsed copy of the headers and of the (empty) trailers per request.
 */
class ResponseRelay<Req extends IncomingMessage, Res extends ServerResponse>
  implements Dispatcher.DispatchHandler
{
  private abortRequest?: (err?: Error) => void;
  private resumeBody?: () => void;
  private paused = false;
  private started = false;
  private finished = false;
  /** Where the relay is registered for the client's close: the socket, or the response itself. */
  private watching?: Watched;
  /**
   * The first body chunk, held so that a small response goes out with one res.end(chunk) instead
   * of write() + end(): held until onComplete when it is the whole declared Content-Length (undici
   * completes the message in the same parse), else until the end of the tick (chunked framing).
   */
  private held?: Buffer;
  private wroteBody = false;
  /** The declared Content-Length (-1: none). */
  private length = -1;

  constructor(
    private readonly setup: ProxySetup<Req, Res>,
    readonly req: Req,
    readonly res: Res,
    readonly next: Next,
    readonly target: string,
    private readonly fwd: ForwardInfo,
    private readonly t: ParsedTarget,
  ) {
    this.watchClient();
  }

  /**
   * Registers for the client's close: on the connection, whose one listener serves every request
   * it carries; on the response itself when the connection already has a relay in flight (a
   * pipelining client) or is not an HTTP/1 socket.
   */
  private watchClient(): void {
    const socket = this.req.socket as (IncomingMessage['socket'] & Watched) | null;
    if (socket && this.req.httpVersionMajor === 1 && !socket.destroyed && !socket[kRelay]) {
      if (socket[kRelay] === undefined) socket.on('close', onClientClose);
      socket[kRelay] = this;
      this.watching = socket;
      return;
    }
    const res = this.res as Res & Watched;
    res[kRelay] = this;
    res.on('close', onClientClose);
    this.watching = res;
  }

  clientClosed(): void {
    if (this.finished) return;
    this.finished = true;
    this.held = undefined;
    this.detach();
    this.abortRequest?.(new Error('client closed the connection'));
  }

  done(): void {
    this.finished = true;
    this.detach();
  }

  private detach(): void {
    const w = this.watching;
    if (!w) return;
    this.watching = undefined;
    if (w[kRelay] === this) w[kRelay] = null;
    if (w === (this.res as unknown)) this.res.off('close', onClientClose);
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortRequest = abort;
    if (this.finished) abort(new Error('client closed the connection'));
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void, statusMessage: string): boolean {
    // 100 Continue and other interim answers stay between us and the backend
    if (status < 200) return true;
    this.started = true;
    this.resumeBody = resume;
    const out = rawResponseHeaders(raw, this.setup.responseOptions, this);
    this.length = declaredLength(out);
    const { res } = this;
    if (statusMessage) res.writeHead(status, statusMessage, out);
    else res.writeHead(status, out);
    return !this.paused;
  }

  onData(chunk: Buffer): boolean {
    if (!this.wroteBody && this.held === undefined) {
      if (chunk.length === this.length) {
        this.held = chunk;
        return true;
      }
      if (this.length < 0) {
        this.held = chunk;
        process.nextTick(flushHeld, this);
        return true;
      }
    }
    this.flush();
    this.write(chunk);
    return !this.paused;
  }

  /** The held first chunk goes out (the response continues past this tick). */
  flush(): void {
    const held = this.held;
    if (held === undefined) return;
    this.held = undefined;
    this.write(held);
  }

  private write(chunk: Buffer): void {
    this.wroteBody = true;
    const { res } = this;
    if (!res.write(chunk)) {
      this.paused = true;
      res.once('drain', () => this.resume());
    }
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.resumeBody?.();
  }

  onComplete(raw: Buffer[] | string[] | null): void {
    this.done();
    const { res } = this;
    const held = this.held;
    this.held = undefined;
    this.wroteBody = true;
    const trailers = rawTrailers(raw);
    if (trailers && res.hasHeader('trailer')) {
      if (held !== undefined) res.write(held);
      res.addTrailers(trailers as Record<string, string>);
      res.end();
    } else if (held !== undefined) endWith(res, held);
    else res.end();
  }

  onError(err: Error): void {
    const clientGone = this.finished;
    this.done();
    // a held chunk of a response that failed after it is dropped with the connection below
    this.held = undefined;
    if (clientGone) return;
    const kind = classify(err);
    const { req, res, target } = this;
    if (this.started || res.headersSent) {
      const info = { status: res.statusCode, kind, error: err, target };
      report(this.setup, req, info, 'client connection aborted after the response started');
      res.destroy(err);
      return;
    }
    fault(this.setup, this, kind, err);
  }

  /** Computed only for a response that carries a URL header. */
  reverseMaps(): readonly ReverseMap[] {
    const { reverse } = this.setup.options;
    if (reverse === false) return [];
    if (Array.isArray(reverse)) return reverse as readonly ReverseMap[];
    const host = this.req.headers.host ?? this.t.host;
    return [{ from: this.t.origin + '/', to: `${this.fwd.proto}://${host}/` }];
  }
}

function flushHeld(relay: ResponseRelay<never, never>): void {
  relay.flush();
}

/** A whole body up to this size is joined with the header block (see endWith). */
const ONE_WRITE_MAX = 16384;

/** node's own res.end, the one endWith's string form is meant for. */
const nodeEnd = ServerResponse.prototype.end;

/**
 * Ends the response with its whole (small) body. node:http joins a string body with the header
 * block into one string; a Buffer stays a chunk of its own in the socket's writev (header, body,
 * end), 2.7 % of the CPU of a request through Express + rewrite() [P] by measurement. `latin1`
 * maps each byte to one character and back, so the bytes on the wire are the same. Only when
 * res.end is node's own: a wrapper (e.g. compression) may read a string chunk as UTF-8.
 */
function endWith(res: ServerResponse, body: Buffer): void {
  if (body.length <= ONE_WRITE_MAX && res.end === nodeEnd)
    res.end(body.toString('latin1'), 'latin1');
  else res.end(body);
}

/** `server.on('upgrade', p.upgrade)`: the handshake to `target` or `hand.target`, then piped. */
function upgradeRequest(
  setup: AnyProxySetup,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  hand?: ProxyRequest,
): void {
  const raw = targetOf(setup, req, hand);
  const parsed = raw === undefined ? undefined : parseProxyTarget(raw, req, hand?.self === true);
  const badTarget = setup.faultStatus['bad-target'];
  if (parsed?.type !== 'parsed') {
    const reason = parsed?.type === 'refused' ? parsed.reason : 'no target';
    const info: FaultInfo = {
      status: badTarget,
      kind: 'bad-target',
      error: new Error(reason),
      target: raw ?? '',
    };
    report(setup, req, info, `answered ${badTarget}`);
    refuse(socket, badTarget);
    return;
  }
  if (badPreservedHost(setup, req)) {
    refuse(socket, 400);
    return;
  }
  const headers = backendHeaders(setup, req, forwardInfo(setup, req), parsed.target);
  proxyUpgrade(setup.pools.for(parsed.target), parsed.target, req, socket, head, headers, {
    headersTimeout: setup.headersTimeout,
    faultStatus: setup.faultStatus,
    report: (kind, error, answered) => {
      const info = { status: setup.faultStatus[kind], kind, error, target: raw ?? '' };
      report(setup, req, info, answered);
    },
  });
}

/**
 * Request data in a log line: control characters as `\xHH` (like Apache's ap_escape_logitem), so a
 * decoded CR/LF cannot forge a line.
 */
function escapeControls(line: string): string {
  return line.replace(
    /[\x00-\x1f\x7f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/**
 * A re-serialised body replaces the client's framing (body-parser also undid any Content-Encoding).
 */
function reframe(
  headers: Record<string, string | string[]>,
  body: Buffer,
  contentType: string | undefined,
): void {
  delete headers['transfer-encoding'];
  delete headers['content-encoding'];
  headers['content-length'] = String(body.length);
  if (contentType !== undefined) headers['content-type'] = contentType;
}
