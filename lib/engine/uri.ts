/**
 * URL handling inside a rule pass: absolute-URI detection, query splitting, qualification and
 * self-reduction.
 */
import type { RuleFlags } from '../compile/flags.js';
import type { CompiledRule } from '../compile/ruleset.js';
import { constructUrl, requestHost } from './request.js';
import { type EvalContext } from './state.js';
import { atoi } from './conditions.js';

export const SCHEMES: readonly [string, boolean][] = [
  ['ajp://', true],
  ['balancer://', true],
  ['ftp://', false],
  ['fcgi://', true],
  ['gopher://', false],
  ['http://', true],
  ['https://', true],
  ['h2://', true],
  ['h2c://', true],
  ['ldap://', false],
  ['mailto:', true],
  ['news:', false],
  ['nntp://', false],
  ['scgi://', true],
  ['ws://', true],
  ['wss://', true],
];

/**
 * is_absolute_uri: length of the scheme prefix (0 if not absolute) and whether it takes a query.
 */
export const NOT_ABSOLUTE = Object.freeze({ skip: 0, query: false });

/**
 * The first letters of the schemes above and of `unix:`, lower-case, as a table indexed by char
 * code: asked 3–4 times per rewrite, and a table read is cheaper than a Set lookup.
 */
const SCHEME_FIRST = new Uint8Array(128);
for (const first of SCHEMES.map(([s]) => s.charCodeAt(0)).concat('u'.charCodeAt(0)))
  SCHEME_FIRST[first] = 1;

/** What absoluteUri answers for each scheme, made once (no object per call). */
const SCHEME_RESULTS = SCHEMES.map(([scheme, query]) =>
  Object.freeze({ scheme, result: Object.freeze({ skip: scheme.length, query }) }),
);
const UNIX_SOCKET = Object.freeze({ skip: 5, query: true });
const UNIX_SOCKET_SLASHES = Object.freeze({ skip: 7, query: true });

/**
 * The last answer: a rule's result is asked about 3–4 times in a row (its query split, the
 * qualification, [P]'s outcome), and the answer depends on the string alone.
 */
let lastUri = '';
let lastAbsolute: { readonly skip: number; readonly query: boolean } = NOT_ABSOLUTE;

export function absoluteUri(uri: string): { readonly skip: number; readonly query: boolean } {
  if (uri.length <= 5) return NOT_ABSOLUTE;
  const first = uri.charCodeAt(0) | 0x20;
  if (first >= 0x80 || SCHEME_FIRST[first] !== 1) return NOT_ABSOLUTE;
  if (uri === lastUri) return lastAbsolute;
  lastAbsolute = absoluteSchemeOf(uri);
  lastUri = uri;
  return lastAbsolute;
}

function absoluteSchemeOf(uri: string): { readonly skip: number; readonly query: boolean } {
  const lower = uri.slice(0, 12).toLowerCase();
  for (const { scheme, result } of SCHEME_RESULTS) if (lower.startsWith(scheme)) return result;
  if (lower.startsWith('unix:'))
    return uri[5] === '/' && uri[6] === '/' ? UNIX_SOCKET_SLASHES : UNIX_SOCKET;
  return NOT_ABSOLUTE;
}

/** Apache's splitout_queryargs, on the two fields of the request state it reads and writes. */
export function splitQuery(
  st: { filename: string; args: string | null },
  rule: CompiledRule,
): void {
  if (rule.qsnone) {
    st.args = null;
    return;
  }
  const abs = absoluteUri(st.filename);
  if (abs.skip && !abs.query) {
    st.args = null;
    return;
  }
  splitAfter(st, rule.flags, abs.skip);
}

/** The query flags splitAfter reads. */
export type QueryFlags = Pick<RuleFlags, 'qsdiscard' | 'qslast' | 'qsappend'>;

/**
 * splitout_queryargs once the scheme of an absolute URL (`skip` characters; 0 for a path) is
 * known to take a query: the `?` found, [QSD], [QSL] and [QSA] applied.
 */
export function splitAfter(
  st: { filename: string; args: string | null },
  flags: QueryFlags,
  skip: number,
): void {
  if (flags.qsdiscard) st.args = null;
  const q = flags.qslast ? st.filename.lastIndexOf('?') : st.filename.indexOf('?', skip);
  if (q < skip || q < 0) return;
  const query = st.filename.slice(q + 1);
  st.filename = st.filename.slice(0, q);
  if (flags.qsappend) {
    if (query) st.args = st.args !== null ? `${query}&${st.args}` : `${query}&`;
  } else {
    st.args = query;
  }
  if (st.args !== null) {
    if (st.args === '') st.args = null;
    else if (st.args.endsWith('&')) st.args = st.args.slice(0, -1);
  }
}

export function schemeOf(ctx: EvalContext): string {
  return ctx.view.secure ? 'https' : 'http';
}

/** fully_qualify_uri. */
export function fullyQualify(ctx: EvalContext): void {
  const st = ctx.state;
  if (absoluteUri(st.filename).skip) return;
  st.filename = constructUrl(
    ctx.view,
    ctx.server,
    (st.filename.startsWith('/') ? '' : '/') + st.filename,
  );
}

/** reduce_uri: `http://<this host>[:port]/path` → `/path`. */
export function reduceUri(ctx: EvalContext): void {
  const st = ctx.state;
  const f = st.filename;
  // both schemes start with `h`: a path (`/…`, the usual result) is turned away before any slicing
  if ((f.charCodeAt(0) | 0x20) !== 0x68) return;
  const scheme = schemeOf(ctx);
  if (!(
    f.length > scheme.length + 3 && f.slice(0, scheme.length + 3).toLowerCase() === `${scheme}://`
  ))
    return;
  const rest = f.slice(scheme.length + 3);
  const m = /^([^/:]*)(?::([^/]*))?(\/.*)?$/s.exec(rest);
  if (!m) return;
  const def = ctx.view.secure ? 443 : 80;
  const port = m[2] !== undefined ? atoi(m[2]) : def;
  const url = m[3] ?? '/';
  // ap_matches_request_vhost: the configured ServerName/ServerAlias (not the Host header) on the
  // server's own port, s->port: ServerName's port or a <VirtualHost>'s, else 0 — so on a main
  // server whose ServerName names no port, `http://name/` (port 80) is not this server and stays
  // a redirect (recorded, case 349). Without a configured name, the host and port the client
  // asked for stand in for them.
  const { name, port: ourPort } = requestHost(ctx.view, ctx.server);
  const hosts = ctx.server.serverName
    ? [ctx.server.serverName, ...(ctx.server.serverAliases ?? [])].map((h) => h.toLowerCase())
    : [name.toLowerCase()];
  const portOk = ctx.server.serverName
    ? port === (ctx.server.serverPort ?? 0)
    : port === (ctx.server.serverPort ?? ourPort);
  if (!hosts.includes(m[1]!.toLowerCase()) || !portOk) return;
  // mounted (Express's baseUrl): only URLs under the mount are this site's; the local path is below
  // it
  const mount = ctx.server.mountPath ?? '';
  if (mount && url !== mount && !url.startsWith(mount + '/')) return;
  st.filename = url.slice(mount.length) || '/';
  ctx.uriReduced = true;
}
