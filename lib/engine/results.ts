/**
 * Turning a finished rule pass into an Outcome the way hook_uri2file / hook_fixup do: external
 * redirects (escaping, unchanged query not re-escaped), [P] (mod_proxy canonicalisation), local
 * results and the prefix_stat file-or-URL decision.
 */
import { Action } from './apply.js';
import { absoluteUri } from './uri.js';
import {
  encodePathForUrl,
  escapeUri,
  hasCtlOrSpace,
  proxyCanon,
  queryForUrl,
} from '../common/escape.js';
import type { Outcome } from './outcome.js';
import type { StatusCause } from '../errors.js';
import { type EvalContext, type FsView } from './state.js';

export const isRedirectStatus = (s: number): boolean => s >= 300 && s <= 399;

/** escape_absolute_uri: escape what follows the authority (ldap: each ?-separated part). */
export function escapeAbsolute(uri: string, skip: number): string {
  let cp = skip;
  if (uri[cp - 1] === '/') {
    while (cp < uri.length && uri[cp] !== '/') cp++;
    if (cp >= uri.length || cp + 1 >= uri.length) return uri;
    cp++;
    if (uri.slice(0, 4).toLowerCase() === 'ldap') {
      return uri.slice(0, cp) + uri.slice(cp).split('?').slice(0, 5).map(escapeUri).join('?');
    }
  }
  return uri.slice(0, cp) + escapeUri(uri.slice(cp));
}

export function redirectOutcome(ctx: EvalContext, action: Action, oargs: string | null): Outcome {
  const st = ctx.state;
  const skip = absoluteUri(st.filename).skip;
  let location = action !== Action.NoEscape ? escapeAbsolute(st.filename, skip) : st.filename;
  if (st.args !== null) {
    const noescape = action === Action.NoEscape || (oargs !== null && st.args === oargs);
    location += '?' + (noescape ? st.args : escapeUri(st.args));
  }
  return { type: 'redirect', status: isRedirectStatus(ctx.status) ? ctx.status : 302, location };
}

/**
 * mod_proxy's `unix:/path|http://…` prefix, and a netloc's numeric port (module constants: a
 * regex literal inside the function would be a new RegExp object on every [P]).
 */
const UNIX_PREFIX = /^unix:[^|]*\|/i;
const NUMERIC_PORT = /:(\d+)$/;
const U = 'u'.charCodeAt(0);

/** What mod_proxy makes of the [P] target URL: canonicalised path (unless NE) plus the query. */
export function proxyOutcome(ctx: EvalContext, action: Action): Outcome {
  const st = ctx.state;
  let target = st.filename;
  if (ctx.perdir === null && st.pathInfo) target += st.pathInfo;
  // mod_proxy's `unix:/path/to.sock|http://host/path`: the socket part is not part of the URL
  const unix = (target.charCodeAt(0) | 0x20) === U ? UNIX_PREFIX.exec(target) : null;
  if (unix) {
    const rest = proxyOutcome(
      { ...ctx, state: { ...st, filename: target.slice(unix[0].length), pathInfo: '' } },
      action,
    );
    return rest.type === 'proxy' ? { ...rest, target: unix[0] + rest.target } : rest;
  }
  const noCanon = action === Action.NoEscape;
  if (noCanon) {
    if (st.args !== null) target += '?' + st.args;
    // proxy_http_canon checks the netloc (ap_proxy_canon_netloc, 400) before the raw path's
    // control characters and spaces (403): `http://h:port$1` with `a b?q` is a bad port (rule set
    // 301964, case 522)
    if (portBeforeQuery(target))
      return refused(400, 'bad-request', 'proxy: bad port number in URL');
    if (hasCtlOrSpace(target))
      return refused(403, 'unsafe', 'proxy-nocanon URL contains control characters or spaces');
    return proxyTo(ctx, target, noCanon);
  }
  const canonical = canonicalProxyTarget(target, st.args);
  if (canonical === undefined)
    return refused(400, 'bad-request', 'proxy: port number out of range');
  return proxyTo(ctx, canonical, noCanon);
}

/** The status mod_proxy's checks of a [P] URL answer with. */
function refused(status: 400 | 403, cause: StatusCause, reason: string): Outcome {
  return { type: 'status', status, cause, reason };
}

/**
 * An NE target whose query follows its port with no path between (`http://h:8000?x=1`): mod_proxy
 * reads the netloc up to the first `/`, so the query is part of the port, a bad one (400; case
 * 408, rule set 300174). Without a port (`http://h?x=1`, `http://[::1]?x=1`) the request goes on.
 */
function portBeforeQuery(target: string): boolean {
  const skip = absoluteUri(target).skip;
  const slash = target.indexOf('/', skip);
  const netloc = slash < 0 ? target.slice(skip) : target.slice(skip, slash);
  const query = netloc.indexOf('?');
  if (query < 0) return false;
  // the port's `:` comes after an IPv6 literal's `]`
  return netloc.lastIndexOf(':', query) > netloc.lastIndexOf(']', query);
}

/**
 * mod_proxy's canonicalisation of a [P] URL (not NE, no `unix:` socket): the path escaped, the
 * query appended; undefined for a numeric port out of range (a 400, recorded).
 */
export function canonicalProxyTarget(target: string, args: string | null): string | undefined {
  const abs = absoluteUri(target);
  let pathStart = target.indexOf('/', abs.skip || 0);
  if (abs.skip && target[abs.skip - 1] !== '/') pathStart = abs.skip;
  const head = pathStart < 0 ? target : target.slice(0, pathStart);
  const path = pathStart < 0 ? '/' : target.slice(pathStart);
  const port = head.includes(':', abs.skip) ? NUMERIC_PORT.exec(head.slice(abs.skip)) : null;
  if (port && Number(port[1]) > 65535) return undefined;
  return head + proxyCanon(path) + (args !== null ? '?' + args : '');
}

/**
 * The proxy outcome, `self: true` only when set, so outcomes of other [P] rules keep their shape.
 * Two literals, not a spread: spreading a mark object was 60 % of proxyOutcome's own time.
 */
function proxyTo(ctx: EvalContext, target: string, noCanon: boolean): Outcome {
  if (ctx.proxySelf) return { type: 'proxy', target, noCanon, self: true };
  return { type: 'proxy', target, noCanon };
}

export function localOutcome(path: string, args: string | null, file: boolean): Outcome {
  const url = encodePathForUrl(path) + (args !== null ? '?' + queryForUrl(args) : '');
  return file ? { type: 'file', path, args, url } : { type: 'rewrite', path, args, url };
}

/**
 * prefix_stat stats the first path segment (`/usr` of `/usr/share/x`) on every local rewrite.
 * Top-level entries of the filesystem change rarely, so results are kept for at most one second:
 * a timer empties the cache a second after its first entry, so a lookup reads no clock. (With a
 * cold CPU cache, the clock read and the WeakMap lookup per rewrite measured about 2 µs.)
 */
export const PREFIX_STAT_TTL_MS = 1000;

/** The answers for one FsView: first segment → exists. */
type SegmentCache = Map<string, boolean>;

const prefixStatCache = new WeakMap<FsView, SegmentCache>();

/** The FsView asked last and its cache: nearly every process has one (no WeakMap lookup then). */
let lastFs: FsView | undefined;
let lastCache: SegmentCache | undefined;

function segmentCacheOf(fs: FsView): SegmentCache {
  if (fs === lastFs && lastCache) return lastCache;
  let cache = prefixStatCache.get(fs);
  if (!cache) {
    cache = new Map();
    prefixStatCache.set(fs, cache);
  }
  lastFs = fs;
  lastCache = cache;
  return cache;
}

export function firstSegmentExists(fs: FsView, statpath: string): boolean {
  const cache = segmentCacheOf(fs);
  const hit = cache.get(statpath);
  if (hit !== undefined) return hit;
  const exists = !!fs.stat(statpath);
  if (cache.size === 0) expireLater(cache);
  if (cache.size > 1024) cache.clear();
  cache.set(statpath, exists);
  return exists;
}

/** Empties `cache` one TTL from now; the timer never keeps a process (or a worker) alive. */
function expireLater(cache: SegmentCache): void {
  const timer = setTimeout(() => cache.clear(), PREFIX_STAT_TTL_MS) as { unref?: () => void };
  timer.unref?.();
}

/** What prefix_stat stats: the first segment with its `/` (`/usr` of `/usr/share/x`), if any. */
export function firstSegmentOf(path: string): string | undefined {
  if (path.charCodeAt(0) !== 0x2f) return undefined;
  const end = path.indexOf('/', 1);
  const statpath = end < 0 ? path : path.slice(0, end);
  // none for `/` or `//x`
  return statpath === '/' ? undefined : statpath;
}

/** prefix_stat (2.4.60+): may the local result be used as a filesystem path? */
export function prefixStat(
  ctx: EvalContext,
  path: string,
  lastsub: { outputText: string; flags: { unsafePrefixStat: boolean } } | null,
  unsafeOption: boolean,
): boolean {
  const statpath = firstSegmentOf(path);
  if (statpath === undefined || !firstSegmentExists(ctx.fs, statpath)) return false;
  if (!lastsub || unsafeOption) return true;
  if (lastsub.flags.unsafePrefixStat) return true;
  const docroot = ctx.server.documentRoot;
  return lastsub.outputText.startsWith(statpath) || path.startsWith(docroot);
}
