/**
 * `[P]` targets: `http://host[:port]/path`, `https://…`, Apache's
 * `unix:/path/to.sock|http://host/path`, and a path alone (proxy to this server itself). Parsed by
 * hand, byte-exact: the path goes to the backend as mod_rewrite/mod_proxy produced it.
 */
import type { IncomingMessage } from 'node:http';

export interface ParsedTarget {
  readonly protocol: 'http:' | 'https:';
  /** Host name as written (IPv6 without brackets). */
  readonly hostname: string;
  readonly port: number;
  /** `protocol//host[:port]`: the key of the connection pool. */
  readonly origin: string;
  /** Host header value for the backend. */
  readonly host: string;
  /** Path and query, starting with `/`. */
  readonly path: string;
  /** Unix domain socket, when the target named one. */
  readonly socketPath?: string;
}

export type TargetResult =
  { type: 'parsed'; target: ParsedTarget } | { type: 'refused'; reason: string };

/** A cached scheme-and-authority: its parse, and its Host in lower case (compared per request). */
interface CachedOrigin {
  /** `scheme://authority`, without the path's `/`. */
  readonly prefix: string;
  readonly base: TargetResult;
  readonly hostLower: string;
}

const originCache = new Map<string, CachedOrigin>();

/**
 * The origin the last target named: a rule set sends nearly every request to the same backend, and
 * comparing the target's start with it costs neither the slice nor the Map lookup per request.
 */
let lastOrigin: CachedOrigin | undefined;

/**
 * parseProxyTarget with the scheme-and-authority part cached (a rule set names few backends):
 * per request only the path is cut off.
 */
export function parseProxyTargetCached(
  raw: string,
  self?: IncomingMessage,
  isSelf = false,
): TargetResult {
  if (isSelf) return parseProxyTarget(raw, self, isSelf);
  const cached = sameOrigin(raw, lastOrigin) ?? cachedOrigin(raw);
  if (cached === undefined) return parseProxyTarget(raw, self, isSelf);
  lastOrigin = cached;
  const { base } = cached;
  if (base.type === 'refused') return base;
  // the request's own host: see parseProxyTarget
  if (self && sameHost(self.headers.host, cached.hostLower)) return parseProxyTarget(raw, self);
  const t = base.target;
  const target: ParsedTarget = {
    protocol: t.protocol,
    hostname: t.hostname,
    port: t.port,
    origin: t.origin,
    host: t.host,
    path: raw.slice(cached.prefix.length),
    socketPath: t.socketPath,
  };
  return { type: 'parsed', target };
}

/**
 * `last` when `raw` is `last.prefix` followed by a path: then raw's first `://` and the first `/`
 * after it are last's (the prefix has no `/` after its `://`), as cachedOrigin would find them.
 * The path goes on as it is, a `#` in it too (case 409).
 */
function sameOrigin(raw: string, last: CachedOrigin | undefined): CachedOrigin | undefined {
  if (last === undefined) return undefined;
  const end = last.prefix.length;
  return raw.charCodeAt(end) === 0x2f && raw.startsWith(last.prefix) ? last : undefined;
}

/**
 * The cache entry of raw's scheme-and-authority; undefined for what the cache does not hold (no
 * `://` or no path, a `unix:` socket, a `#` before the path: parseProxyTarget ends the authority
 * there).
 */
function cachedOrigin(raw: string): CachedOrigin | undefined {
  const sep = raw.indexOf('://');
  const slash = sep < 0 ? -1 : raw.indexOf('/', sep + 3);
  if (sep < 0 || slash < 0 || raw.startsWith('unix:')) return undefined;
  const prefix = raw.slice(0, slash);
  if (prefix.includes('#')) return undefined;
  let cached = originCache.get(prefix);
  if (!cached) {
    const base = parseProxyTarget(prefix + '/');
    const hostLower = base.type === 'parsed' ? base.target.host.toLowerCase() : '';
    cached = { prefix, base, hostLower };
    if (originCache.size > 1000) originCache.clear();
    originCache.set(prefix, cached);
  }
  return cached;
}

/**
 * A Host header naming `hostLower` (ASCII, a valid authority), case-insensitively; a header of
 * another length cannot (only U+0130 changes length when lowered, and not to ASCII).
 */
function sameHost(host: string | undefined, hostLower: string): boolean {
  return host !== undefined && host.length === hostLower.length && host.toLowerCase() === hostLower;
}

/**
 * A host as RFC 3986 allows it, without %-escapes: a reg-name (unreserved, sub-delims) or a
 * bracketed IP literal. Anything else (a tab, CR/LF, space, `<`, `%`, a second colon...) is refused
 * before any connection: undici's URL parser would silently delete a tab or CR/LF and connect to
 * the remainder, past a RewriteCond that denied the host as written. Apache 2.4.71 answers such a
 * target with 500 (AH00898, recorded with `RewriteRule ^/h/([^/]*)/(.*)$ http://$1/$2 [P]` and
 * `/h/127.0.0.1%09:PORT/x`, `%20`, `%0d%0a`, `%3c`, `:PORT:1`, `:PORTx`). `%` is refused because
 * the URL parser would decode `%31%32%37.0.0.1` to `127.0.0.1` (Apache looks the name up as written
 * and fails).
 */
const REG_NAME = /^[A-Za-z0-9\-._~!$&'()*+,;=]+$/;
const IP_LITERAL = /^\[[0-9A-Fa-f:.]+\]$/;
const PORT = /^\d{1,5}$/;

/**
 * Is `authority` (`host[:port]`, no userinfo) one a request may be sent to? (also for a preserved
 * Host header)
 */
export function validAuthority(authority: string): boolean {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/s.exec(authority);
  if (!m || !(REG_NAME.test(m[1]) || IP_LITERAL.test(m[1]))) return false;
  // an empty port (`host:`) too: Apache answers `http://127.0.0.1:/x` with 500 (conformance case 101-seed-004)
  return m[2] === undefined || PORT.test(m[2]);
}

export function parseProxyTarget(
  raw: string,
  self?: IncomingMessage,
  isSelf = false,
): TargetResult {
  let socketPath: string | undefined;
  let url = raw;
  const unix = /^unix:([^|]+)\|(.*)$/is.exec(raw);
  if (unix) {
    socketPath = unix[1];
    url = unix[2];
  }
  // a path alone: this server itself, on the address the request came in on
  if (url.startsWith('/') && self) return { type: 'parsed', target: selfTarget(self, url) };
  const m = /^(https?):\/\/([^/?#]*)(.*)$/is.exec(url);
  if (!m) return { type: 'refused', reason: `not a proxy target URL: ${raw}` };
  const protocol = (m[1].toLowerCase() + ':') as 'http:' | 'https:';
  let path = m[3] || '/';
  if (path.startsWith('?') || path.startsWith('#')) path = '/' + path;
  // a `#` and what follows stay: mod_proxy_http rebuilds the request line from apr_uri_parse's
  // path, query and fragment, so the backend gets them as they are (case 409)
  // a substitution that was a path ([P] to "this server itself", qualified by mod_rewrite with the
  // request's Host): the connection goes to the local address and port the request came in on,
  // whatever the Host names — never to another service, never through a resolver
  if (isSelf && self && !socketPath) return { type: 'parsed', target: selfTarget(self, path) };
  // userinfo is dropped, as apr_uri_parse does (the last `@` ends it)
  const authority = m[2].slice(m[2].lastIndexOf('@') + 1);
  if (!validAuthority(authority)) return invalidAuthority(raw);
  const hm = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(authority)!;
  const hostname = hm[1].startsWith('[') ? hm[1].slice(1, -1) : hm[1];
  if (!hostname) return { type: 'refused', reason: `no host in ${raw}` };
  const defPort = protocol === 'https:' ? 443 : 80;
  const port = hm[2] ? Number(hm[2]) : defPort;
  if (port < 1 || port > 65535) return { type: 'refused', reason: `port out of range in ${raw}` };
  const hostPart = hm[1] + (port === defPort ? '' : `:${port}`);
  // the request's own host (a path-only [P] qualified by mod_rewrite): connect to this server on
  // the address the request came in on, without asking any resolver
  if (
    self &&
    !socketPath &&
    self.socket.localPort &&
    String(self.headers.host ?? '').toLowerCase() === hostPart.toLowerCase() &&
    (self.socket.localPort === port || !/:\d+$/.test(hostPart))
  ) {
    return { type: 'parsed', target: selfTarget(self, path) };
  }
  return {
    type: 'parsed',
    target: {
      protocol,
      hostname,
      port,
      origin: `${protocol}//${hostPart}`,
      host: hostPart,
      path,
      socketPath,
    },
  };
}

function invalidAuthority(raw: string): TargetResult {
  return { type: 'refused', reason: `invalid host or port in proxy target ${JSON.stringify(raw)}` };
}

/** Where this server was reached: the local address and port of the request's connection. */
function selfOrigin(self: IncomingMessage): {
  secure: boolean;
  local: string;
  origin: string;
  host: string;
} {
  const local = self.socket.localAddress ?? '127.0.0.1';
  const secure = !!(self.socket as { encrypted?: boolean }).encrypted;
  const host = `${local.includes(':') ? `[${local}]` : local}:${self.socket.localPort}`;
  return { secure, local, host, origin: `${secure ? 'https' : 'http'}://${host}` };
}

/**
 * A target on this server itself: connect locally, send the request's own Host (else the local
 * address).
 */
function selfTarget(self: IncomingMessage, path: string): ParsedTarget {
  const o = selfOrigin(self);
  const host = self.headers.host ? String(self.headers.host) : o.host;
  return {
    protocol: o.secure ? 'https:' : 'http:',
    hostname: o.local,
    port: self.socket.localPort ?? 0,
    origin: o.origin,
    host,
    path,
  };
}
