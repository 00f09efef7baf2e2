/**
 * What the engine knows about a request: a small, framework-free view, plus the URL parsing and
 * normalisation Apache's core does before mod_rewrite runs.
 */
import { unescapePath } from '../common/escape.js';

export interface TlsInfo {
  readonly protocol?: string;
  readonly cipher?: string;
  readonly cipherBits?: number;
  /** Any further SSL_* variables (name → value). */
  readonly vars?: Readonly<Record<string, string>>;
}

/** The request as the engine sees it. Strings are byte strings (see bytes.ts). */
export interface RequestView {
  readonly method: string;
  /** The request-target exactly as received (THE_REQUEST uses it). */
  readonly target: string;
  /** e.g. `HTTP/1.1`. */
  readonly protocol: string;
  /** Lower-case header names, as node:http gives them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly remoteAddr: string;
  readonly remotePort: number;
  readonly connRemoteAddr: string;
  readonly localAddr: string;
  readonly localPort: number;
  readonly secure: boolean;
  readonly tls?: TlsInfo;
  /** True for sub-requests (modrewrite's -F/-U look-aheads). */
  readonly isSubreq?: boolean;
  /** REMOTE_USER: r->user once authentication ran (site(): per-directory context only). */
  readonly remoteUser?: string;
  /** AUTH_TYPE: r->ap_auth_type, the AuthType as written, once authentication ran. */
  readonly authType?: string;
}

/** Server facts that Apache takes from its configuration. */
export interface ServerInfo {
  /** ServerName; also the host used in redirects when the request has no Host header. */
  readonly serverName?: string;
  /** ServerAlias names (self-reduction of absolute URLs to this server). */
  readonly serverAliases?: readonly string[];
  /** UseCanonicalName On: use serverName/serverPort instead of the Host header. @default false */
  readonly useCanonicalName?: boolean;
  readonly serverPort?: number;
  readonly serverAdmin?: string;
  readonly serverSoftware?: string;
  readonly documentRoot: string;
  /**
   * The URL-path the site is mounted at (Express's `req.baseUrl`, no trailing slash): part of every
   * this-server URL.
   */
  readonly mountPath?: string;
}

export function headerValue(headers: RequestView['headers'], name: string): string {
  const key = name.toLowerCase();
  // own properties only: a header named by rule text (`constructor`) must not reach
  // Object.prototype
  const v = Object.hasOwn(headers, key) ? headers[key] : undefined;
  if (v === undefined) return '';
  return Array.isArray(v) ? v.join(', ') : v;
}

/**
 * vhost.c's fix_hostname with HttpProtocolOptions Strict (Apache's default): the Host header as
 * `{ name, port }` (name lower-cased, a trailing dot dropped, port undefined when absent), or
 * undefined when Apache answers 400. Recorded with Apache 2.4.71: `a@b`, `a b`, `a#b`, empty,
 * `a/b`, `a\b`, `a..b`, `a:80:80`, `a:abc`, `a:0`, `a:99999`, `localhost:`, `[::1`, `[zz]`,
 * `0x7f.1`, `1.2.3`, `80`, non-ASCII and any of `!$&'()*+,;=~` are 400; `a_b`, `-a`, `.a`, `a.`,
 * `[::1]:81` and `a.b:081` are accepted.
 */
export function parseHost(host: string): { name: string; port?: number } | undefined {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::([0-9]+))?$/.exec(host);
  if (!m) return undefined;
  const port = m[2] === undefined ? undefined : parseInt(m[2], 10);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  let name = m[1]!.toLowerCase();
  if (name.startsWith('[')) return name.includes(':') ? { name, port } : undefined;
  // apr_parse_addr_port takes a bare number for a port; strict mode refuses it (RFC 3986 7.4)
  if (/^[0-9]+$/.test(name)) return undefined;
  if (name.includes('..') || !/^[a-z0-9._-]+$/.test(name)) return undefined;
  if (name.length > 1 && name.endsWith('.')) name = name.slice(0, -1);
  return strictHostnameCheck(name) ? { name, port } : undefined;
}

/**
 * strict_hostname_check: a dotted-decimal name is a full IPv4 address; otherwise the top-level
 * label starts with a letter.
 */
function strictHostnameCheck(name: string): boolean {
  if (/^[0-9.]+$/.test(name)) {
    const labels = name.split('.');
    return (
      labels.length === 4 && labels.every((l) => l !== '' && !(l.length > 1 && l.startsWith('0')))
    );
  }
  const dot = name.lastIndexOf('.');
  if (dot < 0 || dot === name.length - 1) return true;
  return /[a-z]/.test(name[dot + 1]!);
}

/**
 * Host name and port the client asked for (Host header), IPv6 literals kept in brackets. A Host
 * Apache would refuse with 400 is never reflected: it counts as absent (ServerName, else the
 * local address).
 */
export function requestHost(view: RequestView, server: ServerInfo): { name: string; port: number } {
  const defaultPort = view.secure ? 443 : 80;
  if (server.useCanonicalName && server.serverName)
    return { name: server.serverName, port: server.serverPort ?? defaultPort };
  const host = parseHost(headerValue(view.headers, 'host'));
  if (!host) {
    // no Host (HTTP/1.0): ServerName and its port, else the scheme's default port (as Apache)
    return {
      name:
        server.serverName ??
        (view.localAddr.includes(':') ? `[${view.localAddr}]` : view.localAddr),
      port: server.serverPort ?? defaultPort,
    };
  }
  // UseCanonicalName Off: the port the client named in Host, else the scheme's default (as Apache)
  return { name: host.name, port: host.port ?? defaultPort };
}

/** A Host header that is present and Apache would answer 400 for (absent is fine: HTTP/1.0). */
export function invalidHost(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): boolean {
  const host = headers.host;
  if (host === undefined) return false;
  return parseHost(Array.isArray(host) ? host.join(', ') : host) === undefined;
}

/**
 * ap_construct_url: `scheme://host[:port]` + the mount path + `path` for this request (the port
 * only when not the scheme's default).
 */
export function constructUrl(view: RequestView, server: ServerInfo, path: string): string {
  const { name, port } = requestHost(view, server);
  const def = view.secure ? 443 : 80;
  return `${view.secure ? 'https' : 'http'}://${name}${port === def ? '' : `:${port}`}${server.mountPath ?? ''}${path}`;
}

export type ParsedTarget =
  { type: 'target'; uri: string; args: string | null } | { type: 'refused'; status: 400 | 404 };

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/**
 * Whether the path has `%`, `/.` or `//`: what ap_normalize_path / ap_unescape_url would change.
 * A loop, not a regex: on every request, and a regex's own machine code is one more thing a cold
 * CPU cache has to fetch.
 */
const NOT_PLAIN = -2;

/**
 * For an origin-form target with no `#`, no `%` and no `/.` or `//` in its path (what
 * parseTarget would return unchanged): where its `?` is, -1 without one. NOT_PLAIN otherwise.
 */
function plainQueryIndex(target: string): number {
  if (target.charCodeAt(0) !== 0x2f) return NOT_PLAIN;
  let q = -1;
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c === 0x23) return NOT_PLAIN;
    if (q >= 0) continue;
    if (c === 0x3f) q = i;
    else if (c === 0x25) return NOT_PLAIN;
    else if (c === 0x2f) {
      const next = target.charCodeAt(i + 1);
      if (next === 0x2e || next === 0x2f) return NOT_PLAIN;
    }
  }
  return q;
}

/**
 * ap_parse_uri on the URL of an internal redirect (internal_internal_redirect): apr_uri_parse
 * takes everything from the first `#` as the fragment, so the new request's path ends there and a
 * query after it is lost; only the request line refuses a fragment (ap_parse_request_line, 400).
 * Pimcore's `/var/assets%{REQUEST_URI} [PT]` for /a%23b.jpg goes on as /var/assets/a (case 358).
 */
export function parseRedirectTarget(url: string): ParsedTarget {
  const hash = url.indexOf('#');
  return parseTarget(hash < 0 ? url : url.slice(0, hash));
}

/** How a request-target is normalised: MergeSlashes and AllowEncodedSlashes (both Apache's). */
export interface TargetOptions {
  readonly mergeSlashes?: boolean;
  readonly allowEncodedSlashes?: boolean;
}

/** The defaults, shared: parseTarget runs on every request and allocates nothing for them. */
const DEFAULT_TARGET_OPTIONS: TargetOptions = Object.freeze({});

/**
 * ap_normalize_path (decode %-escaped unreserved characters, merge slashes, resolve `.` and `..`;
 * going above the root is a 400) followed by ap_unescape_url (bad `%` → 400, `%2F`/`%00` → 404).
 */
export function parseTarget(
  target: string,
  options: TargetOptions = DEFAULT_TARGET_OPTIONS,
): ParsedTarget {
  // nearly every request: one pass over the target, and nothing to decode or normalise
  const plain = plainQueryIndex(target);
  if (plain !== NOT_PLAIN)
    return plain < 0
      ? { type: 'target', uri: target, args: null }
      : { type: 'target', uri: target.slice(0, plain), args: target.slice(plain + 1) };
  // a fragment has no place in a request-target: Apache answers 400 (recorded)
  if (target.includes('#')) return { type: 'refused', status: 400 };
  const q = target.indexOf('?');
  let path = q < 0 ? target : target.slice(0, q);
  const args = q < 0 ? null : target.slice(q + 1);
  // origin-form (`/…`, nearly every request) cannot be absolute-form: no scheme test for it
  if (path.charCodeAt(0) !== 0x2f && /^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    // absolute-form: keep only the path
    const slash = path.indexOf('/', path.indexOf('//') + 2);
    path = slash < 0 ? '/' : path.slice(slash);
  }
  if (!path.startsWith('/'))
    return path === '*' ? { type: 'target', uri: '*', args } : { type: 'refused', status: 400 };
  // an absolute-form target's path with nothing to decode or normalise (no `?` or `#` left in it)
  if (plainQueryIndex(path) !== NOT_PLAIN) return { type: 'target', uri: path, args };
  // decode unreserved escapes first, so %2e%2e is a real dot-segment
  let decoded = '';
  for (let i = 0; i < path.length; i++) {
    if (path[i] === '%') {
      const hex = path.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return { type: 'refused', status: 400 };
      const ch = String.fromCharCode(parseInt(hex, 16));
      if (UNRESERVED.test(ch)) {
        decoded += ch;
        i += 2;
        continue;
      }
      decoded += path.slice(i, i + 3);
      i += 2;
      continue;
    }
    decoded += path[i];
  }
  const segs = decoded.split('/');
  const out: string[] = [];
  for (let i = 1; i < segs.length; i++) {
    const s = segs[i]!;
    const last = i === segs.length - 1;
    if (s === '' && !last && options.mergeSlashes !== false) continue;
    if (s === '.') {
      if (last) out.push('');
      continue;
    }
    if (s === '..') {
      if (out.length === 0) return { type: 'refused', status: 400 };
      out.pop();
      if (last) out.push('');
      continue;
    }
    out.push(s);
  }
  const normalised = '/' + out.join('/');
  const un = unescapePath(normalised, options.allowEncodedSlashes);
  if (un.type === 'refused') return un;
  return { type: 'target', uri: un.value, args };
}
