/**
 * Apache's request processing for one virtual host, as far as it decides what a request maps to:
 * translate_name (server-context rules), the directory walk with `.htaccess` merging, the
 * per-directory rewrite fixup, mod_dir's fixup (DirectorySlash, DirectoryIndex sub-requests), and
 * internal redirects that re-enter the whole pipeline (ap_internal_redirect). Pure of HTTP: the
 * result says what to answer; site.ts answers it.
 */
import { dirname } from 'node:path';
import type { Stats } from 'node:fs';
import type { RuleSet } from '../compile/ruleset.js';
import { RewriteRuntimeError, type StatusCause } from '../errors.js';
import { finish, makeContext, nodeFs, subView, type EvaluateInput } from '../engine/context.js';
import {
  directoryPass,
  MAX_INTERNAL_REDIRECTS,
  renameEnv,
  type DirResult,
} from '../engine/directory.js';
import { escapeUri } from '../common/escape.js';
import { PASS, type Evaluation } from '../engine/outcome.js';
import { constructUrl, parseTarget, type RequestView, type ServerInfo } from '../engine/request.js';
import { evaluateServer } from '../engine/evaluate.js';
import { NeedAsync, type RequestState } from '../engine/state.js';
import { MapBudget } from '../engine/budget.js';
import { accessDenied } from './access.js';
import { aliasRedirect, translateAlias } from './alias.js';
import { fallbackTarget } from './fallback.js';
import type { HtaccessStore } from './htaccess-store.js';
import {
  normalizeFsPath,
  statFailure,
  underRoot,
  walk,
  type DirCache,
  type Walked,
} from './paths.js';

export interface SiteConfig {
  readonly root: string;
  readonly server: ServerInfo;
  readonly serverRules?: RuleSet;
  readonly store?: HtaccessStore;
  readonly allowedRoots: readonly string[];
  readonly directorySlash: boolean;
  readonly directoryIndex: readonly string[];
  /** Directory stats of recent walks (see DirCache). */
  readonly dirs?: DirCache;
  /** Per-request budget for asynchronous map answers, in ms (see MapBudget). @default none */
  readonly mapTimeout?: number;
}

/** Side effects collected on the way (Set-Cookie from [CO], Vary, env, T=, H=). */
export interface Collected {
  vary: string[];
  cookies: string[];
  env: Map<string, string>;
  contentType?: string;
  handler?: string;
  end: boolean;
  internalRedirects: number;
  /** A FallbackResource sub-request was taken over (ap_internal_fast_redirect): the URL changed. */
  fastRedirected?: boolean;
}

export type SiteResult = {
  readonly acc: Collected;
  readonly uri: string;
  readonly args: string | null;
} & (
  | { readonly kind: 'redirect'; readonly status: number; readonly location: string }
  | {
      readonly kind: 'status';
      readonly status: number;
      /** Why the rules answered it (logged with its code, `statusErrorCode`). */
      readonly cause?: StatusCause;
      readonly reason?: string;
      readonly filename?: string;
      readonly notes?: string;
    }
  | {
      readonly kind: 'proxy';
      readonly target: string;
      readonly noCanon: boolean;
      readonly self?: boolean;
    }
  /** The default handler's turn: serve `filename` (it may not exist, or be a directory). */
  | {
      readonly kind: 'file';
      readonly filename: string;
      readonly pathInfo: string;
      readonly stat: Stats | undefined;
      readonly path: string;
      readonly symlink: boolean;
    }
);

type Pass =
  | SiteResult
  | {
      readonly kind: 'internal';
      readonly url: string;
      readonly acc: Collected;
      readonly filename: string;
      readonly stat: Stats | undefined;
    };

export interface RequestInput {
  readonly view: RequestView;
  readonly target: string;
  readonly trace?: (line: string) => void;
  /** The mount path (Express's `req.baseUrl`): every this-server URL built includes it. */
  readonly mountPath?: string;
  /** The request named the mount path itself, without its trailing slash (`/site` for a mount at `/site`). */
  readonly bareMount?: boolean;
}

/** Runs the pipeline for a request-target. */
export async function resolveRequest(
  siteConfig: SiteConfig,
  input: RequestInput,
): Promise<SiteResult> {
  const site = input.mountPath
    ? { ...siteConfig, server: { ...siteConfig.server, mountPath: input.mountPath } }
    : siteConfig;
  const parsed = parseTarget(input.target);
  const acc: Collected = {
    vary: [],
    cookies: [],
    env: new Map(),
    end: false,
    internalRedirects: 0,
  };
  if (!parsed.ok) return { kind: 'status', status: parsed.status, acc, uri: '', args: null };
  let uri = parsed.uri;
  let args = parsed.args;
  // one budget for every map wait of the request: its passes, internal redirects and index sub-requests
  const budget = site.mapTimeout === undefined ? undefined : new MapBudget(site.mapTimeout);
  for (let round = 0; ; round++) {
    const p0 = passWithFallback(site, input.view, uri, args, acc, round > 0, input.trace, budget);
    const p = p0 instanceof Promise ? await p0 : p0;
    if (p.kind === 'internal') {
      const overLimit = recursionLimit(round, acc, uri, args);
      if (overLimit) return overLimit;
      const next = parseTarget(p.url);
      if (!next.ok) return { kind: 'status', status: next.status, acc, uri, args };
      redirectInternally(acc);
      input.trace?.(`internal redirect to ${p.url}`);
      uri = next.uri;
      args = next.args;
      continue;
    }
    if (p.kind !== 'file') return p;
    // mod_dir (fixup, after mod_rewrite's): only for a directory without PATH_INFO
    if (!p.stat?.isDirectory() || p.pathInfo) return p;
    const cfg = dirSettings(site, p.filename);
    // `/site` for a site mounted at `/site` arrives as `/`: it is the root directory without its slash
    const bareRoot = input.bareMount === true && round === 0 && uri === '/';
    if (!uri.endsWith('/') || bareRoot) {
      if (!cfg.slash) return p;
      const path = bareRoot ? '/' : `${escapeUri(uri)}/`;
      const location = constructUrl(
        input.view,
        site.server,
        `${path}${args !== null ? '?' + args : ''}`,
      );
      return { kind: 'redirect', status: 301, location, acc, uri, args };
    }
    // HEAD is a GET to Apache (header_only)
    if (!['GET', 'HEAD', 'POST'].includes(input.view.method)) return p;
    let errorStatus = 0;
    let taken: Pass | undefined;
    for (const name of cfg.index) {
      const subTarget =
        (name.startsWith('/') ? name : escapeUri(uri) + name) + (args !== null ? '?' + args : '');
      const sub = parseTarget(subTarget);
      if (!sub.ok) continue;
      const subAcc: Collected = {
        ...acc,
        vary: [...acc.vary],
        cookies: [...acc.cookies],
        env: new Map(acc.env),
      };
      const view = { ...subView(input.view), method: input.view.method, isSubreq: true };
      const r0 = passWithFallback(
        site,
        view,
        sub.uri,
        sub.args,
        subAcc,
        false,
        input.trace,
        budget,
      );
      const r = r0 instanceof Promise ? await r0 : r0;
      if (
        ((r.kind === 'file' || r.kind === 'internal') && r.stat?.isFile()) ||
        r.kind === 'proxy'
      ) {
        taken = r;
        uri = sub.uri;
        args = sub.args;
        break;
      }
      if (r.kind === 'redirect') return r;
      if (r.kind === 'status' && r.status !== 404) errorStatus = r.status;
    }
    if (!taken) return errorStatus ? { kind: 'status', status: errorStatus, acc, uri, args } : p;
    Object.assign(acc, taken.acc);
    if (taken.kind !== 'internal') return { ...taken, uri, args } as SiteResult;
    // the index's own rules rewrote it: the fast-redirected request follows that rewrite
    const overLimit = recursionLimit(round, acc, uri, args);
    if (overLimit) return overLimit;
    const next = parseTarget(taken.url);
    if (!next.ok) return { kind: 'status', status: next.status, acc, uri, args };
    redirectInternally(acc);
    uri = next.uri;
    args = next.args;
  }
}

/**
 * What the `.htaccess` files (else the server config) of a file's directory say about answering it:
 * core's AddDefaultCharset and mod_mime's AddType/AddEncoding.
 */
export function fileSettingsFor(
  site: SiteConfig,
  filename: string,
): Pick<RuleSet, 'defaultCharset' | 'addTypes' | 'addEncodings'> {
  const dir = dirname(filename);
  const rs =
    site.store && underRoot(dir, site.root)
      ? site.store.configForPath(dir, true).ruleSet
      : undefined;
  return {
    defaultCharset: rs?.defaultCharset ?? site.serverRules?.defaultCharset,
    addTypes: rs?.addTypes ?? site.serverRules?.addTypes,
    addEncodings: rs?.addEncodings ?? site.serverRules?.addEncodings,
  };
}

/** DirectorySlash and DirectoryIndex in effect for a directory. */
function dirSettings(
  site: SiteConfig,
  dirPath: string,
): { slash: boolean; index: readonly string[] } {
  const rs =
    site.store && underRoot(dirPath, site.root)
      ? site.store.configForPath(dirPath, true).ruleSet
      : undefined;
  return {
    slash: rs?.directorySlash ?? site.serverRules?.directorySlash ?? site.directorySlash,
    index: rs?.directoryIndex ?? site.serverRules?.directoryIndex ?? site.directoryIndex,
  };
}

/**
 * One trip through translate_name, the directory walk and the per-directory fixup. Synchronous
 * unless an asynchronous map answers (then a Promise): most requests never wait for a microtask.
 */
function onePass(
  site: SiteConfig,
  view: RequestView,
  uri: string,
  args: string | null,
  acc: Collected,
  redirected: boolean,
  trace?: (l: string) => void,
  mapBudget?: MapBudget,
): Pass | Promise<Pass> {
  const base: EvaluateInput = {
    view,
    server: site.server,
    uri,
    args,
    fs: nodeFs,
    env: acc.env,
    end: acc.end,
    trace,
    mapBudget,
  };
  if (!site.serverRules || site.serverRules.engine !== true)
    return afterServer(site, base, uri, args, acc, redirected, undefined);
  const ev = evaluateServer(site.serverRules, base);
  return ev instanceof Promise
    ? ev.then((e) => afterServer(site, base, uri, args, acc, redirected, e))
    : afterServer(site, base, uri, args, acc, redirected, ev);
}

function afterServer(
  site: SiteConfig,
  base: EvaluateInput,
  uri: string,
  args: string | null,
  acc: Collected,
  redirected: boolean,
  ev: Evaluation | undefined,
): Pass | Promise<Pass> {
  let path = uri;
  let mapped: Walked | undefined;
  if (ev) {
    collect(acc, ev);
    const o = ev.outcome;
    if (o.type === 'redirect')
      return { kind: 'redirect', status: o.status, location: o.location, acc, uri, args };
    if (o.type === 'status')
      return { kind: 'status', status: o.status, cause: o.cause, reason: o.reason, acc, uri, args };
    if (o.type === 'proxy')
      return { kind: 'proxy', target: o.target, noCanon: o.noCanon, self: o.self, acc, uri, args };
    if (o.type === 'rewrite') {
      path = o.path;
      args = o.args;
    }
    if (o.type === 'file') {
      args = o.args;
      // a filesystem path: only under the document root or an allowed root; otherwise a URL-path.
      // `..` from request data is resolved first, as the directory walk would (no string trick)
      const file = normalizeFsPath(o.path);
      const allowed = site.allowedRoots.find((r) => underRoot(file, r));
      if (allowed) mapped = walk(allowed, file.slice(allowed.replace(/\/$/, '').length), site.dirs);
      else path = o.path;
    }
  }
  // mod_alias's translate_name runs when mod_rewrite's declined: no rule applied, or [PT]
  const o = ev?.outcome;
  if (!o || o.type === 'pass' || (o.type === 'rewrite' && o.passThrough)) {
    const t = translateAlias(site.serverRules?.alias, base, path, args, {
      allowed: site.allowedRoots,
      dirs: site.dirs,
    });
    if (t && t.kind !== 'walked') return { ...t, acc, uri, args };
    if (t) mapped = t.walked;
  }
  if (!mapped) {
    if (path === '*' || !path.startsWith('/'))
      return { kind: 'status', status: 400, acc, uri, args };
    // core's translate: docroot + the path, merged like apr_filepath_merge (empty segments skipped,
    // `..` resolved); above the document root is the stock `<Directory />` denial: 403
    const local = normalizeFsPath(site.root.replace(/\/$/, '') + path);
    if (!underRoot(local, site.root))
      return {
        kind: 'status',
        status: 403,
        reason: `${local} is outside the document root`,
        acc,
        uri,
        args,
      };
    mapped = walk(site.root, local.slice(site.root.replace(/\/$/, '').length) || '/', site.dirs);
  }
  const stat = mapped.stat;
  // a path that exists but cannot be stat'ed (symlink loop, no search permission): Apache's walk says 403
  if (!stat && statFailure(mapped.filename))
    return {
      kind: 'status',
      status: 403,
      reason: `cannot stat ${mapped.filename}`,
      acc,
      uri,
      args,
    };
  // the file as mapped, when no .htaccess rule applies to it
  const mappedFile = (): SiteResult => ({
    kind: 'file',
    filename: mapped.filename,
    pathInfo: mapped.pathInfo,
    stat,
    acc,
    uri,
    args,
    path,
    symlink: mapped.symlink,
  });
  if (!site.store || !underRoot(mapped.filename, site.root)) return mappedFile();
  const cfg = site.store.configForPath(mapped.filename, !!stat?.isDirectory() && !mapped.pathInfo);
  if (cfg.failure) {
    const notes =
      cfg.failure.status === 403
        ? 'Server unable to read htaccess file, denying access to be safe'
        : undefined;
    return {
      kind: 'status',
      status: cfg.failure.status,
      reason: cfg.failure.error.message,
      notes,
      acc,
      uri,
      args,
      filename: mapped.filename,
    };
  }
  // the access phase precedes the fixups (per-directory rewriting): a denied file is 403 whatever
  // the rules would do; an internal redirect comes back here for its own filename
  if (accessDenied(cfg.access, mapped.filename, acc.env, base.view, { uri, args, vary: acc.vary }))
    return {
      kind: 'status',
      status: 403,
      reason: `client denied by server configuration: ${mapped.filename}`,
      acc,
      uri,
      args,
      filename: mapped.filename,
    };
  const rs = cfg.ruleSet;
  const filename = mapped.filename;
  // mod_alias's fixup (after mod_rewrite's): the .htaccess redirects, on the original URL-path
  const fixup = (): SiteResult | undefined => {
    const answer = aliasRedirect(rs?.alias, uri, args, base.view, site.server);
    if (answer?.kind === 'status') return { ...answer, acc, uri, args, filename };
    return answer && { ...answer, acc, uri, args };
  };
  if (!rs || rs.engine !== true) return fixup() ?? mappedFile();
  // END in the server context ends here too; env set there is visible
  const dirInput: EvaluateInput = {
    ...base,
    args,
    env: acc.env,
    end: acc.end,
    directory: undefined,
  };
  const m = mapped;
  const result = retrying(dirInput.mapBudget, (cache) => {
    const state: RequestState = {
      uri,
      args,
      filename: m.filename,
      pathInfo: m.pathInfo,
      env: new Map(acc.env),
    };
    const ctx = makeContext(rs, dirInput, state, cache, redirected, cfg.rewriteDir);
    const r = directoryPass(rs, ctx, cfg.rewriteDir);
    return { r, ev: finish(ctx, r.kind === 'outcome' ? r.outcome : PASS, 0) };
  });
  return result instanceof Promise
    ? result.then((x) => afterDirectory(x, acc, uri, args, path, m, fixup))
    : afterDirectory(result, acc, uri, args, path, m, fixup);
}

function afterDirectory(
  result: { r: DirResult; ev: Evaluation },
  acc: Collected,
  uri: string,
  args: string | null,
  path: string,
  mapped: Walked,
  aliasFixup: () => SiteResult | undefined,
): Pass {
  const stat = mapped.stat;
  collect(acc, result.ev);
  const r = result.r;
  if (r.kind !== 'internal') {
    const o = r.outcome;
    if (o.type === 'redirect')
      return { kind: 'redirect', status: o.status, location: o.location, acc, uri, args };
    if (o.type === 'status')
      return { kind: 'status', status: o.status, cause: o.cause, reason: o.reason, acc, uri, args };
  }
  // the fixups run on after an internal rewrite (RUN_ALL): a matching Redirect wins (case 181)
  const redirected = aliasFixup();
  if (redirected) return redirected;
  if (r.kind === 'internal')
    return { kind: 'internal', url: r.url, acc, filename: mapped.filename, stat };
  const o = r.outcome;
  if (o.type === 'proxy')
    return { kind: 'proxy', target: o.target, noCanon: o.noCanon, self: o.self, acc, uri, args };
  return {
    kind: 'file',
    filename: mapped.filename,
    pathInfo: mapped.pathInfo,
    stat,
    acc,
    uri,
    args,
    path,
    symlink: mapped.symlink,
  };
}

/**
 * One pass, then mod_dir's FallbackResource for a request that mapped to nothing (site/fallback.ts):
 * the fallback sub-request's result is taken over when it is a file (or [P]), a redirect or an
 * error status propagates, anything else leaves the 404. Synchronous unless a pass waits.
 */
function passWithFallback(
  site: SiteConfig,
  view: RequestView,
  uri: string,
  args: string | null,
  acc: Collected,
  redirected: boolean,
  trace?: (l: string) => void,
  mapBudget?: MapBudget,
  depth = 0,
): Pass | Promise<Pass> {
  const next = (p: Pass): Pass | Promise<Pass> => {
    if (p.kind !== 'file' || p.stat || acc.handler) return p;
    const dir = dirname(p.filename);
    const config =
      site.store && underRoot(dir, site.root)
        ? site.store.configForPath(dir, true).ruleSet
        : site.serverRules;
    const target = fallbackTarget(config, uri, args);
    const sub = target === undefined ? undefined : parseTarget(target);
    if (!sub?.ok) return p;
    // the sub-request nesting limit (ap_is_recursion_limit_exceeded): 500
    if (depth >= MAX_INTERNAL_REDIRECTS)
      return {
        kind: 'status',
        status: 500,
        cause: 'recursion',
        reason: 'recursion',
        acc,
        uri,
        args,
      };
    trace?.(`FallbackResource: sub-request for ${target}`);
    const subAcc: Collected = {
      ...acc,
      vary: [...acc.vary],
      cookies: [...acc.cookies],
      env: new Map(acc.env),
    };
    // ap_sub_req_lookup_uri: a GET sub-request
    const subRequest = { ...subView(view), isSubreq: true };
    const taken = (r: Pass): Pass => {
      const file = (r.kind === 'file' || r.kind === 'internal') && r.stat?.isFile();
      if (file || r.kind === 'proxy' || r.kind === 'redirect') {
        Object.assign(acc, r.acc, { fastRedirected: true });
        return { ...r, acc } as Pass;
      }
      if (r.kind === 'status' && r.status !== 404) return { ...r, acc, uri, args };
      return p;
    };
    const r0 = passWithFallback(
      site,
      subRequest,
      sub.uri,
      sub.args,
      subAcc,
      false,
      trace,
      mapBudget,
      depth + 1,
    );
    return r0 instanceof Promise ? r0.then(taken) : taken(r0);
  };
  const p0 = onePass(site, view, uri, args, acc, redirected, trace, mapBudget);
  return p0 instanceof Promise ? p0.then(next) : next(p0);
}

/** ap_internal_redirect: env renamed REDIRECT_*, notes (the forced type and handler) not carried over (recorded). */
function redirectInternally(acc: Collected): void {
  acc.env = renameEnv(acc.env);
  acc.internalRedirects++;
  acc.contentType = undefined;
  acc.handler = undefined;
}

function collect(acc: Collected, ev: Evaluation): void {
  const e = ev.effects;
  for (const v of e.vary) if (!acc.vary.includes(v)) acc.vary.push(v);
  acc.cookies.push(...e.cookies);
  acc.env = new Map(e.env);
  if (e.contentType) acc.contentType = e.contentType;
  if (e.handler) acc.handler = e.handler;
  acc.end = e.end;
}

/**
 * Apache's LimitInternalRecursion: the internal redirect after round `round` would exceed
 * MAX_INTERNAL_REDIRECTS, so the request ends in a 500 (AH00124), as recorded.
 */
function recursionLimit(
  round: number,
  acc: Collected,
  uri: string,
  args: string | null,
): SiteResult | undefined {
  if (round + 1 <= MAX_INTERNAL_REDIRECTS) return undefined;
  return { kind: 'status', status: 500, cause: 'recursion', reason: 'recursion', acc, uri, args };
}

/**
 * How often one pass may be suspended by asynchronous maps: each suspension settles one more
 * lookup (cached), so a pass with more distinct lookups than this is a configuration error.
 */
const MAX_ASYNC_ROUNDS = 64;

/** Runs `f` synchronously; when an asynchronous map suspends it, waits and runs it again (cache kept). */
function retrying<T>(
  budget: MapBudget | undefined,
  f: (cache: Map<string, string | undefined>) => T,
): T | Promise<T> {
  const cache = new Map<string, string | undefined>();
  try {
    return f(cache);
  } catch (err) {
    if (!(err instanceof NeedAsync)) throw err;
    return (async () => {
      let pending: NeedAsync = err;
      for (let i = 0; i < MAX_ASYNC_ROUNDS; i++) {
        await (budget ? budget.wait(pending) : pending.promise);
        try {
          return f(cache);
        } catch (e) {
          if (!(e instanceof NeedAsync)) throw e;
          pending = e;
        }
      }
      throw new RewriteRuntimeError(
        'ERR_MAP_TIMEOUT',
        `map lookups did not settle within ${MAX_ASYNC_ROUNDS} rounds of one pass`,
        { status: 500 },
      );
    })();
  }
}
