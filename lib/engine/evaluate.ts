/**
 * The engine entry points: server context (hook_uri2file) and per-directory context (hook_fixup
 * plus the internal-redirect loop capped like LimitInternalRecursion). Pure: no `res`, the
 * filesystem and maps are injected. Synchronous unless a map answers asynchronously, in which
 * case the evaluation is re-run after the answer arrives (map results are cached per request).
 */
import { lstatSync, statSync } from 'node:fs';
import type { RuleSet } from '../compile/ruleset.js';
import { absoluteUri, Action, applyList } from './apply.js';
import { encodePathForUrl, escapeUri, hasCtlOrSpace, proxyCanon } from './escape.js';
import type { Evaluation, Outcome } from './outcome.js';
import { parseTarget, type RequestView, type ServerInfo } from './request.js';
import { append, NeedAsync, NONE, type EvalContext, type FsView, type RequestState } from './state.js';

/** LimitInternalRecursion's default. */
export const MAX_INTERNAL_REDIRECTS = 10;

// throwIfNoEntry: a missing file is the common case on this path; exceptions would cost ~10 µs each
export const nodeFs: FsView = {
  stat(p) { try { return statSync(p, { throwIfNoEntry: false }); } catch { return undefined; } },
  lstat(p) { try { return lstatSync(p, { throwIfNoEntry: false }); } catch { return undefined; } },
};

export interface EvaluateInput {
  readonly view: RequestView;
  readonly server: ServerInfo;
  /** Decoded URL-path (r->uri) and raw query of the request. */
  readonly uri: string;
  readonly args: string | null;
  readonly fs?: FsView;
  /** Environment already set (e.g. by an earlier pass). */
  readonly env?: ReadonlyMap<string, string>;
  /** END was set by an earlier pass of the same request. */
  readonly end?: boolean;
  readonly trace?: (line: string) => void;
  /** Per-directory: the URL-path of the directory the rules belong to (default `/`). */
  readonly directory?: string;
}

function makeContext(ruleSet: RuleSet, input: EvaluateInput, state: RequestState, mapCache: Map<string, string | undefined>, redirected: boolean, perdirDir?: string): EvalContext {
  return {
    subrequest: usesLookahead(ruleSet) ? makeSubrequest(ruleSet, input, mapCache, perdirDir) : undefined,
    view: input.view, server: input.server, fs: input.fs ?? nodeFs, maps: ruleSet.maps, mapCache, state,
    perdir: null, rr: null, rc: null, varyThis: NONE, vary: NONE, responseVary: NONE, cookies: NONE, cookieNames: undefined,
    status: 0, uriReduced: false, end: !!input.end, trace: input.trace, redirected, original: { uri: input.uri },
  };
}

/** The `-U` look-ahead: a dry run of the same rules for another URL (see applyCond). */
function makeSubrequest(ruleSet: RuleSet, input: EvaluateInput, mapCache: Map<string, string | undefined>, perdirDir?: string) {
  return (url: string): { type: string; status?: number } => {
    const parsed = parseTarget(url);
    if (!parsed.ok) return { type: 'status', status: parsed.status };
    // the sub-request runs the same rules with IS_SUBREQ true ([NS] and [R] rules are skipped
    // there, and it does not look ahead again)
    const subInput: EvaluateInput = { ...input, view: { ...subView(input.view), isSubreq: true }, uri: parsed.uri, args: parsed.args, env: undefined, end: false, trace: undefined };
    if (perdirDir === undefined) {
      const st: RequestState = { uri: parsed.uri, args: parsed.args, filename: parsed.uri, pathInfo: '', env: new Map() };
      return serverPass(ruleSet, makeContext(ruleSet, subInput, st, mapCache, false));
    }
    const mapped = mapToFile(input.server.documentRoot.replace(/\/$/, ''), parsed.uri, input.fs ?? nodeFs);
    if (!(mapped.filename + mapped.pathInfo + '/').startsWith(perdirDir)) return PASS;
    const st: RequestState = { uri: parsed.uri, args: parsed.args, filename: mapped.filename, pathInfo: mapped.pathInfo, env: new Map() };
    const r = directoryPass(ruleSet, makeContext(ruleSet, subInput, st, mapCache, false, perdirDir), perdirDir);
    return r.kind === 'outcome' ? r.outcome : { type: 'rewrite' };
  };
}

const lookahead = new WeakMap<RuleSet, boolean>();
/** Whether any condition is a `-U` look-ahead (only then does a context need the sub-request hook). */
function usesLookahead(ruleSet: RuleSet): boolean {
  let v = lookahead.get(ruleSet);
  if (v === undefined) {
    v = ruleSet.rules.some((r) => r.conds.some((c) => c.test.kind === 'file' && c.test.test === 'U'));
    lookahead.set(ruleSet, v);
  }
  return v;
}

/** A plain copy of a request view (getters evaluated), so `isSubreq` can be overridden. */
function subView(v: RequestView): RequestView {
  return {
    method: 'GET', target: v.target, protocol: v.protocol, headers: v.headers, remoteAddr: v.remoteAddr, remotePort: v.remotePort,
    connRemoteAddr: v.connRemoteAddr, localAddr: v.localAddr, localPort: v.localPort, secure: v.secure, tls: v.tls,
  };
}

/** The outcome of most requests, shared. */
const PASS: Outcome = Object.freeze({ type: 'pass' });

const isRedirectStatus = (s: number): boolean => s >= 300 && s <= 399;

/** escape_absolute_uri: escape what follows the authority (ldap: each ?-separated part). */
function escapeAbsolute(uri: string, skip: number): string {
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

function redirectOutcome(ctx: EvalContext, action: Action, oargs: string | null): Outcome {
  const st = ctx.state;
  const skip = absoluteUri(st.filename).skip;
  let location = action !== Action.NoEscape ? escapeAbsolute(st.filename, skip) : st.filename;
  if (st.args !== null) {
    const noescape = action === Action.NoEscape || (oargs !== null && st.args === oargs);
    location += '?' + (noescape ? st.args : escapeUri(st.args));
  }
  return { type: 'redirect', status: isRedirectStatus(ctx.status) ? ctx.status : 302, location };
}

/** What mod_proxy makes of `proxy:URL`: canonicalised path (unless NE) plus the query. */
function proxyOutcome(ctx: EvalContext, action: Action): Outcome {
  const st = ctx.state;
  let target = st.filename.slice('proxy:'.length);
  if (ctx.perdir === null && st.pathInfo) target += st.pathInfo;
  const noCanon = action === Action.NoEscape;
  if (noCanon) {
    if (st.args !== null) target += '?' + st.args;
    if (hasCtlOrSpace(target)) return { type: 'status', status: 403, reason: 'proxy-nocanon URL contains control characters or spaces' };
    return { type: 'proxy', target, noCanon };
  }
  const abs = absoluteUri(target);
  let pathStart = target.indexOf('/', abs.skip || 0);
  if (abs.skip && target[abs.skip - 1] !== '/') pathStart = abs.skip;
  const head = pathStart < 0 ? target : target.slice(0, pathStart);
  const path = pathStart < 0 ? '/' : target.slice(pathStart);
  // mod_proxy's canonicalisation of the netloc: a numeric port out of range is a 400 (recorded)
  const port = /:(\d+)$/.exec(head.slice(abs.skip));
  if (port && Number(port[1]) > 65535) return { type: 'status', status: 400, reason: 'proxy: port number out of range' };
  return { type: 'proxy', target: head + proxyCanon(path) + (st.args !== null ? '?' + st.args : ''), noCanon };
}

function localOutcome(path: string, args: string | null, file: boolean): Outcome {
  const url = encodePathForUrl(path) + (args !== null ? '?' + args : '');
  return file ? { type: 'file', path, args, url } : { type: 'rewrite', path, args, url };
}

/**
 * prefix_stat stats the first path segment (`/usr` of `/usr/share/x`) on every local rewrite.
 * Top-level entries of the filesystem change rarely, so results are kept for one second.
 */
const PREFIX_STAT_TTL_MS = 1000;
const prefixStatCache = new WeakMap<FsView, Map<string, { exists: boolean; at: number }>>();
function firstSegmentExists(fs: FsView, statpath: string): boolean {
  let cache = prefixStatCache.get(fs);
  if (!cache) { cache = new Map(); prefixStatCache.set(fs, cache); }
  const now = Date.now();
  const hit = cache.get(statpath);
  if (hit && now - hit.at < PREFIX_STAT_TTL_MS) return hit.exists;
  const exists = !!fs.stat(statpath);
  if (cache.size > 1024) cache.clear();
  cache.set(statpath, { exists, at: now });
  return exists;
}

/** prefix_stat (2.4.60+): may the local result be used as a filesystem path? */
function prefixStat(ctx: EvalContext, path: string, lastsub: { outputText: string; flags: { unsafePrefixStat: boolean } } | null, unsafeOption: boolean): boolean {
  const m = /^\/[^/]*/.exec(path);
  if (!m || m[0] === '/') return false;
  const statpath = m[0];
  if (!firstSegmentExists(ctx.fs, statpath)) return false;
  if (!lastsub || unsafeOption) return true;
  if (lastsub.flags.unsafePrefixStat) return true;
  const docroot = ctx.server.documentRoot;
  return lastsub.outputText.startsWith(statpath) || path.startsWith(docroot);
}

/** One server-context pass (hook_uri2file). */
function serverPass(ruleSet: RuleSet, ctx: EvalContext): Outcome {
  const st = ctx.state;
  if (ctx.end) return PASS;
  if (!ruleSet.options.has('AllowAnyURI') && (ctx.view.target === '*' || !st.uri.startsWith('/'))) return PASS;
  const oargs = st.args;
  st.filename = st.uri;
  const { action, lastsub, reason } = applyList(ruleSet.rules, ctx);
  if (action === Action.None) return PASS;
  const f = st.filename;
  const abs = absoluteUri(f);
  const toProxy = f.startsWith('proxy:');
  const willEscape = abs.skip > 0 && action !== Action.NoEscape;
  if (st.args !== null && !willEscape && hasCtlOrSpace(st.args)) return { type: 'status', status: 403, reason: 'Rewritten query string contains control characters or spaces' };
  if (action === Action.Status || action === Action.StatusSet) return { type: 'status', status: ctx.status, reason };
  if (toProxy) return proxyOutcome(ctx, action);
  if (abs.skip) return redirectOutcome(ctx, action, oargs);
  if (f.startsWith('passthrough:')) return localOutcome(f.slice(12), st.args, false);
  if (!f.startsWith('/')) return { type: 'status', status: 400, reason: 'local result is not an absolute path' };
  const isFile = !ctx.uriReduced && prefixStat(ctx, f, lastsub, ruleSet.options.has('UnsafePrefixStat'));
  if (isFile) {
    const root = ctx.server.documentRoot.replace(/\/$/, '');
    if (f.startsWith(root + '/')) return localOutcome(f.slice(root.length), st.args, false);
    return localOutcome(f, st.args, true);
  }
  return localOutcome(f, st.args, false);
}

/** subst_prefix_path: replace the directory prefix `match` of `input` by `subst`. */
function substPrefixPath(input: string, match: string, subst: string): string {
  let len = match.length;
  if (len && match[len - 1] === '/') len--;
  if (input.startsWith(match.slice(0, len)) && input[len] === '/') {
    const s = subst.endsWith('/') || subst === '' ? subst : subst + '/';
    return s + input.slice(len + 1);
  }
  return input;
}

/** Apache's directory walk: the longest existing prefix is the filename, the rest PATH_INFO. */
export function mapToFile(docRoot: string, uri: string, fs: FsView): { filename: string; pathInfo: string } {
  const root = docRoot.replace(/\/$/, '');
  const segs = uri.split('/');
  let path = root;
  for (let i = 1; i < segs.length; i++) {
    const candidate = path + '/' + segs[i];
    if (segs[i] === '' && i === segs.length - 1) return { filename: candidate, pathInfo: '' };
    const st = fs.stat(candidate);
    if (!st) return { filename: candidate, pathInfo: segs.slice(i + 1).length ? '/' + segs.slice(i + 1).join('/') : '' };
    if (!st.isDirectory()) return { filename: candidate, pathInfo: segs.slice(i + 1).length ? '/' + segs.slice(i + 1).join('/') : '' };
    path = candidate;
  }
  return { filename: path, pathInfo: '' };
}

type DirResult = { kind: 'outcome'; outcome: Outcome } | { kind: 'internal'; url: string };

/** One per-directory pass (hook_fixup) for the directory `dir` (a filesystem path ending in `/`). */
function directoryPass(ruleSet: RuleSet, ctx: EvalContext, dir: string): DirResult {
  const st = ctx.state;
  const done = (outcome: Outcome): DirResult => ({ kind: 'outcome', outcome });
  // The directory itself without a trailing slash: decline so mod_dir can redirect. (In Apache this
  // can only happen for a real directory; a mount without one on disk must not decline.)
  if (!ruleSet.options.has('AllowNoSlash') && st.filename.length === dir.length - 1 && dir.startsWith(st.filename) && ctx.fs.stat(st.filename)?.isDirectory()) return done(PASS);
  if (ctx.end) return done(PASS);
  if (ruleSet.followSymLinks === false) return done({ type: 'status', status: 403, reason: 'Options FollowSymLinks and SymLinksIfOwnerMatch are both off' });
  const ofilename = st.filename;
  const oargs = st.args;
  ctx.perdir = dir;
  ctx.base = ruleSet.base;
  const { action, reason } = applyList(ruleSet.rules, ctx);
  if (action === Action.None) { st.filename = ofilename; return done(PASS); }
  const abs = absoluteUri(st.filename);
  const toProxy = st.filename.startsWith('proxy:');
  const willEscape = abs.skip > 0 && action !== Action.NoEscape;
  if (st.args !== null && !willEscape && hasCtlOrSpace(st.args)) return done({ type: 'status', status: 403, reason: 'Rewritten query string contains control characters or spaces' });
  if (action === Action.Status || action === Action.StatusSet) return done({ type: 'status', status: ctx.status, reason });
  if (toProxy) return done(proxyOutcome(ctx, action));
  if (abs.skip) {
    if (ruleSet.base !== undefined) {
      const slash = st.filename.indexOf('/', abs.skip);
      if (slash >= 0 && slash + 1 < st.filename.length) {
        const cp = st.filename.slice(slash + 1);
        const cp2 = substPrefixPath(cp, dir.startsWith('/') ? dir.slice(1) : dir, ruleSet.base.slice(1));
        if (cp2 !== cp) st.filename = st.filename.slice(0, slash + 1) + cp2;
      }
    }
    return done(redirectOutcome(ctx, action, oargs));
  }
  let f = st.filename;
  if (f.startsWith('passthrough:')) f = f.slice(12);
  if (!f.startsWith('/')) return done({ type: 'status', status: 400, reason: 'local result is not an absolute path' });
  if (f === ofilename) {
    ctx.trace?.(`initial URL equal rewritten URL: ${f} [IGNORING REWRITE]`);
    return done(PASS);
  }
  if (ruleSet.base !== undefined) {
    f = substPrefixPath(f, dir, ruleSet.base);
  } else {
    const root = ctx.server.documentRoot.replace(/\/$/, '');
    if (f.startsWith(root) && f[root.length] === '/') f = f.slice(root.length);
  }
  ctx.trace?.(`internal redirect with ${f} [INTERNAL REDIRECT]`);
  return { kind: 'internal', url: f + (st.args !== null ? '?' + st.args : '') };
}

/** The evaluation of a request no rule touched, shared. */
const UNTOUCHED: Evaluation = Object.freeze({
  outcome: PASS,
  effects: Object.freeze({ vary: NONE, cookies: NONE, env: new Map() as ReadonlyMap<string, string>, end: false, internalRedirects: 0 }),
});

function finish(ctx: EvalContext, outcome: Outcome, internalRedirects: number): Evaluation {
  if (outcome === PASS && ctx.responseVary === NONE && ctx.cookies === NONE && ctx.state.env.size === 0 && !ctx.forcedType && !ctx.forcedHandler && !ctx.end && !internalRedirects) return UNTOUCHED;
  return {
    outcome,
    effects: {
      vary: ctx.responseVary, cookies: ctx.cookies, env: ctx.state.env, contentType: ctx.forcedType, handler: ctx.forcedHandler,
      end: ctx.end, internalRedirects,
    },
  };
}

const EMPTY_ENV: ReadonlyMap<string, string> = new Map();
/** Rule sets without maps never write the cache: they share this one. */
const NO_MAPS_CACHE = new Map<string, string | undefined>();

/**
 * Runs `attempt` synchronously; if a map lookup suspends it, awaits and re-runs (cache kept).
 * The attempt takes its arguments explicitly so the synchronous path allocates no closure.
 */
function drive<A>(attempt: (arg: A, cache: Map<string, string | undefined>) => Evaluation, arg: A, hasMaps: boolean): Evaluation | Promise<Evaluation> {
  const cache = hasMaps ? new Map<string, string | undefined>() : NO_MAPS_CACHE;
  try {
    return attempt(arg, cache);
  } catch (err) {
    if (!(err instanceof NeedAsync)) throw err;
    const again = async (p: Promise<unknown>): Promise<Evaluation> => {
      for (let pending: Promise<unknown> | undefined = p; pending;) {
        await pending;
        pending = undefined;
        try {
          return attempt(arg, cache);
        } catch (e) {
          if (!(e instanceof NeedAsync)) throw e;
          pending = e.promise;
        }
      }
      throw new Error('unreachable');
    };
    return again(err.promise);
  }
}

/** Evaluates server-context rules (patterns see `/path`). */
export function evaluateServer(ruleSet: RuleSet, input: EvaluateInput): Evaluation | Promise<Evaluation> {
  if (ruleSet.engine !== true) return { outcome: PASS, effects: { vary: NONE, cookies: NONE, env: new Map(input.env ?? []), end: !!input.end, internalRedirects: 0 } };
  return drive(attemptServer, { ruleSet, input }, ruleSet.maps.size > 0);
}

function attemptServer(a: { ruleSet: RuleSet; input: EvaluateInput }, cache: Map<string, string | undefined>): Evaluation {
  const { ruleSet, input } = a;
  const state: RequestState = { uri: input.uri, args: input.args, filename: input.uri, pathInfo: '', env: (input.env ?? EMPTY_ENV) as Map<string, string>, envShared: true };
  const ctx = makeContext(ruleSet, input, state, cache, false);
  return finish(ctx, serverPass(ruleSet, ctx), 0);
}

function renameEnv(env: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of env) out.set('REDIRECT_' + k, v);
  out.set('REDIRECT_STATUS', '200');
  return out;
}

/**
 * Evaluates per-directory rules for the directory `input.directory` (URL-path, default `/`)
 * under `server.documentRoot`, following internal redirects while they stay in that directory.
 */
export function evaluateDirectory(ruleSet: RuleSet, input: EvaluateInput): Evaluation | Promise<Evaluation> {
  if (ruleSet.engine !== true) return { outcome: PASS, effects: { vary: NONE, cookies: NONE, env: new Map(input.env ?? []), end: !!input.end, internalRedirects: 0 } };
  const fs = input.fs ?? nodeFs;
  const root = input.server.documentRoot.replace(/\/$/, '');
  const dirUrl = (input.directory ?? '/').replace(/\/?$/, '/');
  const dir = root + dirUrl;
  return drive((_: null, cache: Map<string, string | undefined>) => {
    let uri = input.uri;
    let args = input.args;
    let env = new Map(input.env ?? []);
    let end = !!input.end;
    const vary: string[] = [];
    const cookies: string[] = [];
    for (let round = 0; ; round++) {
      const mapped = mapToFile(root, uri, fs);
      const state: RequestState = { uri, args, filename: mapped.filename, pathInfo: mapped.pathInfo, env };
      const ctx = makeContext(ruleSet, { ...input, end }, state, cache, round > 0, dir);
      ctx.responseVary = append(ctx.responseVary, ...vary);
      ctx.cookies = append(ctx.cookies, ...cookies);
      // rules of a directory apply only to requests inside it (or to the directory itself)
      if (round === 0 && !(mapped.filename + mapped.pathInfo + '/').startsWith(dir)) return finish(ctx, PASS, 0);
      const result = directoryPass(ruleSet, ctx, dir);
      if (result.kind === 'outcome') {
        if (round > 0 && result.outcome.type === 'pass') return finish(ctx, localOutcome(uri, args, false), round);
        return finish(ctx, result.outcome, round);
      }
      if (round + 1 > MAX_INTERNAL_REDIRECTS) {
        ctx.trace?.(`Request exceeded the limit of ${MAX_INTERNAL_REDIRECTS} internal redirects due to probable configuration error.`);
        return finish(ctx, { type: 'status', status: 500, reason: 'recursion' }, round);
      }
      const parsed = parseTarget(result.url);
      if (!parsed.ok) return finish(ctx, { type: 'status', status: parsed.status }, round);
      vary.splice(0, vary.length, ...ctx.responseVary);
      cookies.splice(0, cookies.length, ...ctx.cookies);
      end = ctx.end;
      env = renameEnv(ctx.state.env);
      uri = parsed.uri;
      args = parsed.args;
      // Left the directory: the rules no longer apply; the app sees the new URL.
      if (!(uri + '/').startsWith(dirUrl) || (uri + '/') === dirUrl && !uri.endsWith('/') && dirUrl !== '/') {
        const c2 = makeContext(ruleSet, input, { uri, args, filename: uri, pathInfo: '', env }, cache, true);
        c2.responseVary = append(c2.responseVary, ...vary);
        c2.cookies = append(c2.cookies, ...cookies);
        c2.end = end;
        return finish(c2, localOutcome(uri, args, false), round + 1);
      }
    }
  }, null, ruleSet.maps.size > 0);
}
