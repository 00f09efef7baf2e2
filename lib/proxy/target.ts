/**
 * `[P]` targets: `http://host[:port]/path`, `https://…`, Apache's `unix:/path/to.sock|http://host/path`,
 * and a path alone (proxy to this server itself). Parsed by hand, byte-exact: the path goes to the
 * backend as mod_rewrite/mod_proxy produced it.
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

export type TargetResult = { ok: true; target: ParsedTarget } | { ok: false; reason: string };

const originCache = new Map<string, TargetResult>();

/**
 * parseProxyTarget with the scheme-and-authority part cached (a rule set names few backends):
 * per request only the path is cut off.
 */
export function parseProxyTargetCached(raw: string, self?: IncomingMessage): TargetResult {
  const sep = raw.indexOf('://');
  const slash = sep < 0 ? -1 : raw.indexOf('/', sep + 3);
  if (sep < 0 || slash < 0 || raw.startsWith('unix:') || raw.includes('#')) return parseProxyTarget(raw, self);
  const prefix = raw.slice(0, slash);
  let base = originCache.get(prefix);
  if (!base) {
    base = parseProxyTarget(prefix + '/');
    if (originCache.size > 1000) originCache.clear();
    originCache.set(prefix, base);
  }
  if (!base.ok) return base;
  const t = base.target;
  // the request's own host: see parseProxyTarget
  if (self && String(self.headers.host ?? '').toLowerCase() === t.host.toLowerCase()) return parseProxyTarget(raw, self);
  return { ok: true, target: { ...t, path: raw.slice(slash) } };
}

export function parseProxyTarget(raw: string, self?: IncomingMessage): TargetResult {
  let socketPath: string | undefined;
  let url = raw;
  const unix = /^unix:([^|]+)\|(.*)$/i.exec(raw);
  if (unix) {
    socketPath = unix[1];
    url = unix[2];
  }
  // a path alone: this server itself, on the address the request came in on
  if (url.startsWith('/') && self) return { ok: true, target: selfTarget(self, String(self.headers.host ?? selfOrigin(self).host), url) };
  const m = /^(https?):\/\/(\[[^\]]*\]|[^/?#:]*)(?::([^/?#]*))?([^#]*)$/i.exec(url);
  if (!m) return { ok: false, reason: `not a proxy target URL: ${raw}` };
  const protocol = (m[1].toLowerCase() + ':') as 'http:' | 'https:';
  const hostname = m[2].startsWith('[') ? m[2].slice(1, -1) : m[2];
  if (!hostname) return { ok: false, reason: `no host in ${raw}` };
  const defPort = protocol === 'https:' ? 443 : 80;
  if (m[3] !== undefined && !/^\d{1,5}$/.test(m[3])) return { ok: false, reason: `bad port in ${raw}` };
  const port = m[3] === undefined ? defPort : Number(m[3]);
  if (port < 1 || port > 65535) return { ok: false, reason: `port out of range in ${raw}` };
  const hostPart = m[2] + (port === defPort ? '' : `:${port}`);
  let path = m[4] || '/';
  if (path.startsWith('?')) path = '/' + path;
  // the request's own host (a path-only [P] qualified by mod_rewrite): connect to this server on
  // the address the request came in on, without asking any resolver
  if (self && !socketPath && self.socket.localPort && String(self.headers.host ?? '').toLowerCase() === hostPart.toLowerCase()
      && (self.socket.localPort === port || !/:\d+$/.test(hostPart))) {
    return { ok: true, target: selfTarget(self, hostPart, path) };
  }
  return { ok: true, target: { protocol, hostname, port, origin: `${protocol}//${hostPart}`, host: hostPart, path, socketPath } };
}

/** Where this server was reached: the local address and port of the request's connection. */
function selfOrigin(self: IncomingMessage): { secure: boolean; local: string; origin: string; host: string } {
  const local = self.socket.localAddress ?? '127.0.0.1';
  const secure = !!(self.socket as { encrypted?: boolean }).encrypted;
  const host = `${local.includes(':') ? `[${local}]` : local}:${self.socket.localPort}`;
  return { secure, local, host, origin: `${secure ? 'https' : 'http'}://${host}` };
}

/** A target on this server itself: connect locally, send `host` as the Host header. */
function selfTarget(self: IncomingMessage, host: string, path: string): ParsedTarget {
  const o = selfOrigin(self);
  return { protocol: o.secure ? 'https:' : 'http:', hostname: o.local, port: self.socket.localPort ?? 0, origin: o.origin, host, path };
}
