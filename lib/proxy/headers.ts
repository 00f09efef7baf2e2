/**
 * Header hygiene for the reverse proxy: hop-by-hop headers out (RFC 9110 7.6.1 and every token
 * named in Connection), X-Forwarded-* like Apache's `ProxyAddHeaders On`, optional RFC 7239
 * Forwarded and Via, and the ProxyPassReverse-style mapping of backend URLs in responses.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/** RFC 9110 7.6.1, plus the old names still seen in the wild. */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

/**
 * What connectionTokens answers for a message without a Connection header (most): shared, never
 * mutated.
 */
const NO_TOKENS: ReadonlySet<string> = new Set();

/** Header names the Connection header lists (they are hop-by-hop for this message only). */
export function connectionTokens(headers: IncomingHttpHeaders): ReadonlySet<string> {
  const c = headers.connection;
  if (!c) return NO_TOKENS;
  const common = commonTokens(c);
  if (common) return common;
  const out = new Set<string>();
  for (const v of Array.isArray(c) ? c : [c])
    for (const t of v.split(',')) {
      const n = t.trim().toLowerCase();
      if (n) out.add(n);
    }
  return out;
}

/**
 * `Connection: close`'s one token (a field named `close` is dropped too, RFC 9110 7.6.1): shared,
 * never mutated.
 */
const CLOSE_TOKEN: ReadonlySet<string> = new Set(['close']);

/**
 * The tokens of `Connection: keep-alive` (a hop-by-hop name already) or `close`, what nearly every
 * message carries, without a Set built per message; undefined for any other value.
 */
function commonTokens(c: string | string[]): ReadonlySet<string> | undefined {
  if (typeof c !== 'string' || c.length > 10) return undefined;
  const v = c.toLowerCase();
  return v === 'keep-alive' ? NO_TOKENS : v === 'close' ? CLOSE_TOKEN : undefined;
}

export interface ForwardInfo {
  /** The client address (REMOTE_ADDR after trustProxy). */
  readonly clientIp: string;
  /** The Host the client asked for. */
  readonly host: string | undefined;
  readonly proto: 'http' | 'https';
  /** X-Forwarded-Server (Apache: the ServerName). */
  readonly serverName: string;
  /** The peer is a trusted proxy: its forwarded headers are kept and appended to. */
  readonly trusted: boolean;
}

export interface RequestHeaderOptions {
  readonly preserveHost: boolean;
  readonly xForwarded: boolean;
  readonly forwarded: boolean;
  /** The Via pseudonym, or false. */
  readonly via: string | false;
  /**
   * Host[:port] of the backend (used unless preserveHost); requestHeaders' `targetHost` argument
   * gives it per request instead (the options stay one object per proxy).
   */
  readonly targetHost?: string;
  /** Extra headers to set (after hygiene). */
  readonly set?: Readonly<Record<string, string>>;
}

const FORWARDED_NAMES = new Set([
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-server',
  'x-forwarded-proto',
  'forwarded',
]);

/**
 * The headers the backend receives (a flat name → value map undici accepts). `implicitHost`: the
 * Host the dispatcher writes by itself when none is given (undici's client writes its origin's
 * host first either way): a Host equal to it is left to the dispatcher, the same bytes on the wire.
 */
export function requestHeaders(
  req: IncomingMessage,
  info: ForwardInfo,
  o: RequestHeaderOptions,
  targetHost = o.targetHost ?? '',
  implicitHost?: string,
): Record<string, string | string[]> {
  const drop = connectionTokens(req.headers);
  const out: Record<string, string | string[]> = {};
  const h = req.headers;
  for (const name in h) {
    const value = h[name];
    if (
      value === undefined ||
      HOP_BY_HOP.has(name) ||
      (drop.size && drop.has(name)) ||
      name === 'expect' ||
      name === 'host'
    )
      continue;
    // forwarded headers from an untrusted peer are not believed, and not passed on
    if (!info.trusted && FORWARDED_NAMES.has(name)) continue;
    out[name] = value;
  }
  // TE: trailers is the one TE value a proxy may pass on (it forwards trailers)
  const te = req.headers.te;
  if (te && /(^|,)\s*trailers\s*(,|$)/i.test(String(te))) out.te = 'trailers';
  const host = o.preserveHost && req.headers.host ? String(req.headers.host) : targetHost;
  if (host !== implicitHost) out.host = host;
  if (o.xForwarded) {
    appendHeader(out, 'x-forwarded-for', info.clientIp);
    if (info.host) appendHeader(out, 'x-forwarded-host', info.host);
    appendHeader(out, 'x-forwarded-server', info.serverName);
    // the scheme the client used (not Apache's: it sends no X-Forwarded-Proto)
    if (!info.trusted || !out['x-forwarded-proto']) out['x-forwarded-proto'] = info.proto;
  }
  if (o.forwarded) {
    const node = info.clientIp.includes(':') ? `"[${info.clientIp}]"` : info.clientIp;
    const parts = [`for=${node}`];
    if (info.host) parts.push(`host=${quoteIfNeeded(info.host)}`);
    parts.push(`proto=${info.proto}`);
    appendHeader(out, 'forwarded', parts.join(';'));
  }
  if (o.via) appendHeader(out, 'via', `${req.httpVersion} ${o.via}`);
  if (o.set) for (const [k, v] of Object.entries(o.set)) out[k.toLowerCase()] = v;
  return out;
}

function quoteIfNeeded(v: string): string {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(v) ? v : `"${v.replace(/(["\\])/g, '\\$1')}"`;
}

function appendHeader(h: Record<string, string | string[]>, name: string, value: string): void {
  const prev = h[name];
  h[name] =
    prev === undefined ? value : `${Array.isArray(prev) ? prev.join(', ') : prev}, ${value}`;
}

/** One ProxyPassReverse mapping: a backend URL prefix and the front URL (or path) it stands for. */
export interface ReverseMap {
  readonly from: string;
  readonly to: string;
}

export interface ResponseHeaderOptions {
  /** Backend URL prefixes → front prefixes (Location, Content-Location, URI). */
  readonly reverse: readonly ReverseMap[];
  /** ProxyPassReverseCookieDomain: backend domain → front domain. */
  readonly cookieDomain: Readonly<Record<string, string>>;
  /** ProxyPassReverseCookiePath: backend path prefix → front path prefix. */
  readonly cookiePath: Readonly<Record<string, string>>;
  readonly via: string | false;
  readonly httpVersion: string;
}

/**
 * The headers the client receives from a backend response, as an object for `res.writeHead`
 * (an object, not a flat list: site()'s Header and other writeHead wrappers read an object).
 * From a parsed header object; the relay itself uses rawResponseHeaders on undici's raw list.
 */
export function responseHeaders(
  headers: IncomingHttpHeaders,
  o: ResponseHeaderOptions,
): Record<string, string | string[]> {
  const raw: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) raw.push(name, one);
  }
  return rawResponseHeaders(raw, o);
}

/**
 * A raw header name or value (undici hands Buffers) as the string parseHeaders would make of it.
 */
function latin1(v: Buffer | string): string {
  return typeof v === 'string' ? v : v.toString('latin1');
}

/**
 * responseHeaders straight from undici's raw `[name, value, …]` list: one pass and one object
 * instead of undici's parsed copy and then ours (same result: names in lower case, a repeated field
 * one entry with its array, first-seen order). `reverseFor.reverseMaps()` is asked only when the
 * response carries a URL header (Location, Content-Location, URI).
 */
export function rawResponseHeaders(
  raw: readonly (Buffer | string)[],
  o: ResponseHeaderOptions,
  reverseFor?: { reverseMaps(): readonly ReverseMap[] },
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  let connection: string | string[] | undefined;
  let trailer: string | string[] | undefined;
  let urls = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = latin1(raw[i]).toLowerCase();
    const value = latin1(raw[i + 1]);
    if (name === 'connection') connection = addValue(connection, value);
    else if (name === 'trailer') trailer = addValue(trailer, value);
    // `__proto__` is never forwarded (assigning it to the parsed copy was a no-op before)
    else if (!HOP_BY_HOP.has(name) && name !== '__proto__') {
      const prev = Object.hasOwn(out, name) ? out[name] : undefined;
      out[name] = addValue(prev, value);
      if (name === 'location' || name === 'content-location' || name === 'uri') urls = true;
    }
  }
  if (connection !== undefined)
    for (const token of connectionTokens({ connection } as IncomingHttpHeaders)) delete out[token];
  const reverse = urls && reverseFor ? reverseFor.reverseMaps() : o.reverse;
  if (urls && reverse.length)
    for (const name of ['location', 'content-location', 'uri']) {
      const value = out[name];
      if (typeof value === 'string') out[name] = mapUrl(value, reverse);
    }
  const cookies = out['set-cookie'];
  if (
    cookies !== undefined &&
    (Object.keys(o.cookieDomain).length || Object.keys(o.cookiePath).length)
  )
    out['set-cookie'] = (Array.isArray(cookies) ? cookies : [cookies]).map((c) => mapCookie(c, o));
  if (o.via)
    out.via = [...(out.via ? [String(out.via)] : []), `${o.httpVersion} ${o.via}`].join(', ');
  // a declared trailer is only meaningful when it is sent: the proxy forwards trailers itself
  if (trailer !== undefined) out.trailer = trailer;
  return out;
}

/** A field seen once is a string, seen again an array (as undici's parseHeaders makes them). */
function addValue(prev: string | string[] | undefined, value: string): string | string[] {
  if (prev === undefined) return value;
  if (typeof prev === 'string') return [prev, value];
  prev.push(value);
  return prev;
}

/** Trailers from undici's raw list, for `res.addTrailers` (undefined when there are none). */
export function rawTrailers(
  raw: readonly (Buffer | string)[] | null,
): Record<string, string | string[]> | undefined {
  if (!raw || raw.length < 2) return undefined;
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = latin1(raw[i]).toLowerCase();
    if (name === '__proto__') continue;
    out[name] = addValue(Object.hasOwn(out, name) ? out[name] : undefined, latin1(raw[i + 1]));
  }
  return out;
}

export function mapUrl(url: string, maps: readonly ReverseMap[]): string {
  for (const m of maps) if (url.startsWith(m.from)) return m.to + url.slice(m.from.length);
  return url;
}

function mapCookie(cookie: string, o: ResponseHeaderOptions): string {
  return cookie.replace(/;\s*(domain|path)=([^;]*)/gi, (all, attr: string, value: string) => {
    const v = value.trim();
    if (attr.toLowerCase() === 'domain') {
      const to =
        ownValue(o.cookieDomain, v.toLowerCase()) ??
        ownValue(o.cookieDomain, v.replace(/^\./, '').toLowerCase());
      return to === undefined ? all : `; ${attr}=${to}`;
    }
    for (const [from, to] of Object.entries(o.cookiePath))
      if (v.startsWith(from)) return `; ${attr}=${to}${v.slice(from.length)}`;
    return all;
  });
}

/** A table the user wrote, read by a key from the backend: only its own entries count. */
function ownValue(table: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
