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
import { debugLog, type DebugLog } from '../debug-log.js';
import { Agent, type Dispatcher } from 'undici';
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
import { requestHeaders, responseHeaders, type ForwardInfo, type ReverseMap } from './headers.js';
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
  /** X-Forwarded-For/-Host/-Server (as Apache's ProxyAddHeaders On) and X-Forwarded-Proto. @default true */
  readonly xForwarded?: boolean;
  /** RFC 7239 Forwarded. @default false */
  readonly forwarded?: boolean;
  /** Add Via (true: this host's name). @default false */
  readonly via?: boolean | string;
  /** Whose forwarded headers to believe and pass on (proxy-addr syntax). @default false: inbound X-Forwarded-* and Forwarded are dropped */
  readonly trustProxy?:
    boolean | string | readonly string[] | ((addr: string, i: number) => boolean);
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
    /** The `[P]` hand-off rewrite(), site() and htaccess() use (also callable from your own ProxyHandler). */
    forward(req: Req, res: Res, next: Next, hand: ProxyRequest): void;
    [kProxyHandOff](req: Req, res: Res, next: Next, hand: ProxyRequest): void;
    /** For `server.on('upgrade', p.upgrade)`: WebSocket and other upgrades, to `target` or `hand.target`. */
    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, hand?: ProxyRequest): void;
    /** Closes the pools (idle connections now, busy ones when done). */
    close(): Promise<void>;
  };

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
  // a URL target is checked once, here (a path alone is this server itself)
  if (options.target !== undefined && !options.target.startsWith('/')) {
    const checked = parseProxyTarget(options.target.replace(/\/?$/, '/'));
    if (!checked.ok) throw new RewriteError('ERR_OPTIONS', `proxy(): target: ${checked.reason}`);
  }
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
          timeout: options.connectTimeout ?? 10000,
          socketPath: t.socketPath,
          lookup: options.lookup,
          rejectUnauthorized: options.rejectUnauthorized ?? true,
          ca: options.ca as string | Buffer | (string | Buffer)[] | undefined,
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
    const secure = trusting
      ? requestView(req, trust).secure
      : !!(req.socket as { encrypted?: boolean }).encrypted;
    return {
      // each hop adds the address it was contacted from (an IPv4-mapped IPv6 address as IPv4)
      clientIp: peer.startsWith('::ffff:') ? peer.slice(7) : peer,
      host: req.headers.host,
      proto: secure ? 'https' : 'http',
      serverName,
      // the peer's own forwarded headers are believed (and appended to) only if it is trusted
      trusted: trusting && !!peer && trust(peer, 0),
    };
  };

  const targetOf = (req: IncomingMessage, hand?: ProxyRequest): string | undefined =>
    hand?.target ??
    (options.target ? options.target.replace(/\/$/, '') + (req.url ?? '/') : undefined);

  const report = (req: IncomingMessage, info: FaultInfo, answered: string): void => {
    const line = escapeControls(
      `modrewrite: proxy ${info.kind}: ${req.method} ${req.url} -> ${info.target}: ${info.error.message} (${answered})`,
    );
    debugProxy(line);
    try {
      options.log?.(line, info);
    } catch (err) {
      // a logger must never take the request (or the process) down
      debugProxy('log hook threw: %s', (err as Error).message);
    }
  };

  const fault = (
    req: Req,
    res: Res,
    next: Next,
    target: string,
    kind: FaultKind,
    error: Error,
  ): void => {
    const info: FaultInfo = { status: faultStatus[kind], kind, error, target };
    report(req, info, `answered ${info.status}`);
    if (
      (kind === 'refused' || kind === 'connect-timeout' || kind === 'dns') &&
      options.onUnavailable?.(req, res, info) === true
    )
      return;
    answerFault(req, res, next, info, options.errorDocument);
  };

  const forward = (req: Req, res: Res, next: Next, hand?: ProxyRequest): void => {
    const raw = targetOf(req, hand);
    if (raw === undefined) {
      next();
      return;
    }
    const parsed = parseProxyTarget(raw, req, hand?.self === true);
    if (!parsed.ok) {
      fault(req, res, next, raw, 'bad-target', new Error(parsed.reason));
      return;
    }
    const t = parsed.target;
    // ProxyPreserveHost sends the client's Host on: it must be an authority too (Apache answers 400
    // for a request whose Host is not one)
    if (
      options.preserveHost &&
      req.headers.host !== undefined &&
      !validAuthority(req.headers.host)
    ) {
      sendStatus(req, res, 400);
      return;
    }
    const body = planBody(req);
    if (body.kind === 'lost') {
      fault(
        req,
        res,
        next,
        raw,
        'body-consumed',
        new RewriteRuntimeError('ERR_PROXY_BODY_CONSUMED', `modrewrite: ${body.reason}`, {
          status: 500,
        }),
      );
      return;
    }
    const fwd = forwardInfo(req);
    const headers = requestHeaders(req, fwd, {
      preserveHost: !!options.preserveHost,
      xForwarded: options.xForwarded ?? true,
      forwarded: !!options.forwarded,
      via,
      targetHost: t.host,
      set: options.headers,
    });
    if (body.kind === 'buffer') reframe(headers, body.body, body.contentType);
    // computed only for a response that carries a URL header
    const reverse = (): readonly ReverseMap[] =>
      options.reverse === false
        ? []
        : Array.isArray(options.reverse)
          ? (options.reverse as readonly ReverseMap[])
          : [{ from: t.origin + '/', to: `${fwd.proto}://${req.headers.host ?? t.host}/` }];
    let controller: { abort(e: Error): void; pause(): void; resume(): void } | undefined;
    let started = false;
    let finished = false;
    const onClose = (): void => {
      // the client went away before the answer was complete: stop the backend request too
      if (!finished) {
        finished = true;
        controller?.abort(new Error('client closed the connection'));
      }
    };
    res.once('close', onClose);
    const done = (): void => {
      finished = true;
      res.off('close', onClose);
    };
    try {
      agentFor(t).dispatch(
        {
          origin: t.origin,
          path: t.path,
          method: req.method ?? 'GET',
          headers,
          body: body.kind === 'buffer' ? body.body : body.kind === 'stream' ? req : null,
          headersTimeout: options.headersTimeout ?? 60000,
          bodyTimeout: options.bodyTimeout ?? 60000,
        },
        {
          onRequestStart(c) {
            controller = c;
            if (finished) c.abort(new Error('client closed the connection'));
          },
          onResponseStart(_c, status, h, statusMessage) {
            if (status < 200) return; // 100 Continue and other interim answers stay between us and the backend
            started = true;
            const out = responseHeaders(h, {
              reverse: h.location || h['content-location'] || h.uri ? reverse() : [],
              cookieDomain: options.cookieDomain ?? {},
              cookiePath: options.cookiePath ?? {},
              via,
              httpVersion: '1.1',
            });
            if (statusMessage) res.writeHead(status, statusMessage, out);
            else res.writeHead(status, out);
          },
          onResponseData(c, chunk) {
            if (!res.write(chunk)) {
              c.pause();
              res.once('drain', () => c.resume());
            }
          },
          onResponseEnd(_c, trailers) {
            done();
            if (trailers && Object.keys(trailers).length && res.hasHeader('trailer'))
              res.addTrailers(trailers as Record<string, string>);
            res.end();
          },
          onResponseError(_c, err) {
            const clientGone = finished;
            done();
            if (clientGone) return;
            // after the headers went out a fault can only cut the connection: a truncated body must
            // not look complete to the client
            const kind = classify(err);
            if (started || res.headersSent) {
              report(
                req,
                { status: res.statusCode, kind, error: err, target: raw },
                'client connection aborted after the response started',
              );
              res.destroy(err);
              return;
            }
            fault(req, res, next, raw, kind, err);
          },
        },
      );
    } catch (err) {
      done();
      fault(req, res, next, raw, 'bad-target', err as Error);
    }
  };

  // three parameters: Express 4/5 and Connect call a 4-parameter function only with an error
  const middleware = function proxyMiddleware(req: Req, res: Res, next: Next): void {
    forward(req, res, next, undefined);
  };

  return Object.assign(middleware, {
    forward,
    [kProxyHandOff]: forward,
    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, hand?: ProxyRequest): void {
      const raw = targetOf(req, hand);
      const parsed =
        raw === undefined ? undefined : parseProxyTarget(raw, req, hand?.self === true);
      if (!parsed?.ok) {
        const reason = parsed && !parsed.ok ? parsed.reason : 'no target';
        report(
          req,
          {
            status: faultStatus['bad-target'],
            kind: 'bad-target',
            error: new Error(reason),
            target: raw ?? '',
          },
          `answered ${faultStatus['bad-target']}`,
        );
        refuse(socket, faultStatus['bad-target']);
        return;
      }
      if (
        options.preserveHost &&
        req.headers.host !== undefined &&
        !validAuthority(req.headers.host)
      ) {
        refuse(socket, 400);
        return;
      }
      const fwd = forwardInfo(req);
      const headers = requestHeaders(req, fwd, {
        preserveHost: !!options.preserveHost,
        xForwarded: options.xForwarded ?? true,
        forwarded: !!options.forwarded,
        via,
        targetHost: parsed.target.host,
        set: options.headers,
      });
      proxyUpgrade(agentFor(parsed.target), parsed.target, req, socket, head, headers, {
        headersTimeout: options.headersTimeout ?? 60000,
        faultStatus,
        report: (kind, error, answered) =>
          report(req, { status: faultStatus[kind], kind, error, target: raw ?? '' }, answered),
      });
    },
    async close(): Promise<void> {
      await Promise.all([...agents.values()].map((a) => a.close()));
      agents.clear();
    },
  });
}

/** Request data in a log line: control characters as `\xHH` (like Apache's ap_escape_logitem), so a decoded CR/LF cannot forge a line. */
function escapeControls(line: string): string {
  return line.replace(
    /[\x00-\x1f\x7f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/** A re-serialised body replaces the client's framing (body-parser also undid any Content-Encoding). */
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
