/**
 * Apache's request processing for one virtual host, as far as it decides what a request maps to:
 * translate_name (server-context rules), the directory walk with `.htaccess` merging, the
 * per-directory rewrite fixup, mod_dir's fixup (DirectorySlash, DirectoryIndex sub-requests), and
 * internal redirects that re-enter the whole pipeline (ap_internal_redirect). Pure of HTTP: the
 * result says what to answer; site.ts answers it.
 */
import { basename, dirname } from 'node:path';
import type { Stats } from 'node:fs';
import type { RuleSet } from '../compile/ruleset.js';
import { settingsForFile } from '../compile/inherit.js';
import type { StatusCause } from '../errors.js';
import { subView, type EvaluateInput } from '../engine/context.js';
import { nodeFs } from '../engine/node-fs.js';
import type { FsView } from '../engine/state.js';
import { MAX_INTERNAL_REDIRECTS, renameEnv } from '../engine/directory.js';
import { exceedsRedirectLimit } from '../engine/internal-redirect.js';
import { escapeUri } from '../common/escape.js';
import type { Evaluation, Outcome } from '../engine/outcome.js';
import type { RewriteInfo } from '../http/types.js';
import { constructUrl, parseTarget, type RequestView, type ServerInfo } from '../engine/request.js';
import {
  evaluateDirectoryPass,
  evaluateServer,
  type DirectoryPassResult,
} from '../engine/evaluate.js';
import { MapBudget } from '../engine/budget.js';
import { accessDenied } from './access.js';
import type { CompiledWhen, EnvConfig } from '../compile/env.js';
import type { ErrorAction } from '../syntax/env.js';
import {
  applyEnvVars,
  chainHolds,
  directoryEnv,
  exprEnvironment,
  errorDocumentFor,
  postReadRequest,
  resolveScopes,
  runSetEnvIf,
  type RequestFacts,
} from './env.js';
import { declinesNoSlash, htFileDenied } from './phases.js';
import { requestHeadersBeforeRedirect } from './headers.js';
import { layeredSettings, withFilesSections, type FileSettings } from './mime.js';
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
  /**
   * mod_dir's DirectorySlash default (an `.htaccess` or the server rules may set it per directory).
   * `'after-rewrite'` (htaccess()): only where a per-directory rule rewrote a directory URL that
   * lacks its slash — Apache's mod_dir still redirects there, while every other slashless
   * directory is left to what follows the middleware (express.static redirects it itself).
   */
  readonly directorySlash: boolean | 'after-rewrite';
  readonly directoryIndex: readonly string[];
  /** Directory stats of recent walks (see DirCache). */
  readonly dirs?: DirCache;
  /** Per-request budget for asynchronous map answers, in ms (see MapBudget). @default none */
  readonly mapTimeout?: number;
  /**
   * core's TraceEnable: TRACE is answered after the server-context rules (site/methods.ts), echoed
   * (true) or 405 (false); undefined: not intercepted (htaccess() leaves it to the app).
   */
  readonly traceEnable?: boolean;
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
  /** The ErrorDocument for a status, in this pass's configuration (site/env.ts). */
  errorDocument?: (status: number) => ErrorAction | undefined;
  /** Set on an ErrorDocument's own request: the status it answers for. */
  errorStatus?: number;
  /** Set on an ErrorDocument's own request: the answer it stands for (its failure sends that one's page). */
  errorOf?: SiteResult;
  /** The file the directory walk mapped the request to: whose configuration answers (mod_headers, mod_expires). */
  scope?: { readonly filename: string; readonly directory: boolean; readonly uri?: string };
  /** A FallbackResource sub-request was taken over (ap_internal_fast_redirect): the URL changed. */
  fastRedirected?: boolean;
}

export type SiteResult = {
  readonly acc: Collected;
  readonly uri: string;
  readonly args: string | null;
} & (
  | {
      readonly type: 'redirect';
      readonly status: number;
      readonly location: string;
      /** A RewriteRule's [R] (not mod_alias's or mod_dir's): it answers even an ErrorDocument's request. */
      readonly rule?: true;
    }
  | {
      readonly type: 'status';
      readonly status: number;
      /** Why the rules answered it (logged with its code, `statusErrorCode`). */
      readonly cause?: StatusCause;
      readonly reason?: string;
      readonly filename?: string;
      readonly notes?: string;
    }
  | {
      readonly type: 'proxy';
      readonly target: string;
      readonly noCanon: boolean;
      readonly self?: boolean;
    }
  /** The default handler's turn: serve `filename` (it may not exist, or be a directory). */
  | {
      readonly type: 'file';
      readonly filename: string;
      readonly pathInfo: string;
      readonly stat: Stats | undefined;
      readonly path: string;
      readonly symlink: boolean;
    }
  /** TRACE, answered by core in map_to_storage (before any .htaccess): site/methods.ts. */
  | { readonly type: 'trace' }
);

type Pass =
  | SiteResult
  | {
      readonly type: 'internal';
      readonly url: string;
      readonly acc: Collected;
      readonly filename: string;
      readonly stat: Stats | undefined;
      readonly pathInfo: string;
    };

export interface RequestInput {
  readonly view: RequestView;
  readonly target: string;
  readonly trace?: (line: string) => void;
  /** The mount path (Express's `req.baseUrl`): every this-server URL built includes it. */
  readonly mountPath?: string;
  /** The request named the mount path itself, without its trailing slash (`/site` for a mount at `/site`). */
  readonly bareMount?: boolean;
  /** An ErrorDocument's internal redirect: the environment it starts with (REDIRECT_STATUS...). */
  readonly errorRedirect?: {
    readonly env: Map<string, string>;
    readonly internalRedirects: number;
    readonly status: number;
    readonly original: SiteResult;
  };
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
    env: input.errorRedirect?.env ?? new Map(),
    end: false,
    internalRedirects: input.errorRedirect?.internalRedirects ?? 0,
    errorStatus: input.errorRedirect?.status,
    errorOf: input.errorRedirect?.original,
  };
  if (!parsed.ok) return { type: 'status', status: parsed.status, acc, uri: '', args: null };
  let uri = parsed.uri;
  let args = parsed.args;
  // one budget for every map wait of the request: its passes, internal redirects and index sub-requests
  const budget = site.mapTimeout === undefined ? undefined : new MapBudget(site.mapTimeout);
  for (let round = 0; ; round++) {
    const redirected = round > 0 || input.errorRedirect !== undefined;
    const p0 = passWithFallback(site, input.view, uri, args, acc, redirected, input.trace, budget);
    const p = p0 instanceof Promise ? await p0 : p0;
    if (p.type === 'internal') {
      const next = parseTarget(p.url);
      // mod_dir's fixup runs after mod_rewrite's: a directory URL without its slash is redirected
      // even though a per-directory rule rewrote it (finfo is still the directory), with the query
      // the rule left in r->args (splitout_queryargs already ran: `index.php?q=$1` gives ?q=…)
      const slashArgs = next.ok ? next.args : args;
      const slash =
        p.stat?.isDirectory() && !p.pathInfo
          ? slashRedirect(site, input, uri, slashArgs, p.filename, round === 0, acc, true)
          : undefined;
      if (slash) return slash;
      const overLimit = recursionLimit(round, acc, uri, args);
      if (overLimit) return overLimit;
      requestHeadersBeforeRedirect(site, input.view, acc, uri, args);
      if (!next.ok) return { type: 'status', status: next.status, acc, uri, args };
      redirectInternally(acc);
      input.trace?.(`internal redirect to ${p.url}`);
      uri = next.uri;
      args = next.args;
      continue;
    }
    if (p.type !== 'file') return p;
    // mod_dir (fixup, after mod_rewrite's): only for a directory without PATH_INFO
    if (!p.stat?.isDirectory() || p.pathInfo) return p;
    const cfg = dirSettings(site, p.filename, uri);
    // `/site` for a site mounted at `/site` arrives as `/`: it is the root directory without its slash
    const bareRoot = input.bareMount === true && round === 0 && uri === '/';
    if (!uri.endsWith('/') || bareRoot)
      return slashRedirect(site, input, uri, args, p.filename, round === 0, acc) ?? p;
    // the index sub-requests run for every method (mod_dir has no method check): OPTIONS and
    // DELETE reach the index file's handler, as in Apache (case 171)
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
        ((r.type === 'file' || r.type === 'internal') && r.stat?.isFile()) ||
        r.type === 'proxy'
      ) {
        taken = r;
        uri = sub.uri;
        args = sub.args;
        break;
      }
      if (r.type === 'redirect') return r;
      if (r.type === 'status' && r.status !== 404) errorStatus = r.status;
    }
    if (!taken) return errorStatus ? { type: 'status', status: errorStatus, acc, uri, args } : p;
    Object.assign(acc, taken.acc);
    if (taken.type !== 'internal') return { ...taken, uri, args } as SiteResult;
    // the index's own rules rewrote it: the fast-redirected request follows that rewrite
    const overLimit = recursionLimit(round, acc, uri, args);
    if (overLimit) return overLimit;
    const next = parseTarget(taken.url);
    if (!next.ok) return { type: 'status', status: next.status, acc, uri, args };
    redirectInternally(acc);
    uri = next.uri;
    args = next.args;
  }
}

/**
 * What decides how a file is answered in its directory: core's AddDefaultCharset, mod_mime and
 * core's file settings, layered Debian's mime.conf → server config → `.htaccess` files (site/mime.ts).
 */
export function fileSettingsFor(site: SiteConfig, filename: string, uri?: string): FileSettings {
  const dir = dirname(filename);
  const inDir =
    site.store && underRoot(dir, site.root)
      ? site.store.configForPath(dir, true, uri).ruleSet
      : undefined;
  const rs = inDir && settingsForFile(inDir, basename(filename));
  return withFilesSections(layeredSettings(site.serverRules, rs), rs?.filesMime, filename);
}

/**
 * mod_dir's DirectorySlash: a 301 to the directory URL with its slash (query kept), when the URL
 * lacks it and DirectorySlash is on for the directory; undefined otherwise.
 */
function slashRedirect(
  site: SiteConfig,
  input: RequestInput,
  uri: string,
  args: string | null,
  dirPath: string,
  firstRound: boolean,
  acc: Collected,
  rewritten = false,
): SiteResult | undefined {
  const bareRoot = input.bareMount === true && firstRound && uri === '/';
  if (uri.endsWith('/') && !bareRoot) return undefined;
  const slash = dirSettings(site, dirPath, uri).slash;
  if (slash === 'after-rewrite' ? !rewritten : !slash) return undefined;
  const path = bareRoot ? '/' : `${escapeUri(uri)}/`;
  const location = constructUrl(
    input.view,
    site.server,
    `${path}${args !== null ? '?' + args : ''}`,
  );
  return { type: 'redirect', status: 301, location, acc, uri, args };
}

/** DirectorySlash and DirectoryIndex in effect for a directory. */
function dirSettings(
  site: SiteConfig,
  dirPath: string,
  uri?: string,
): { slash: boolean | 'after-rewrite'; index: readonly string[] } {
  const rs =
    site.store && underRoot(dirPath, site.root)
      ? site.store.configForPath(dirPath, true, uri).ruleSet
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
  const serverEnv = site.serverRules?.env;
  if (serverEnv) {
    const facts: RequestFacts = {
      view,
      server: site.server,
      uri,
      args,
      filename: '',
      pathInfo: '',
    };
    postReadRequest(serverEnv, facts, acc.env, acc.vary);
    acc.errorDocument = (status) => errorDocumentFor(serverEnv, status, facts, acc.env);
  } else acc.errorDocument = undefined;
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
      return {
        type: 'redirect',
        status: o.status,
        location: o.location,
        rule: true,
        acc,
        uri,
        args,
      };
    if (o.type === 'status')
      return { type: 'status', status: o.status, cause: o.cause, reason: o.reason, acc, uri, args };
    if (o.type === 'proxy')
      return { type: 'proxy', target: o.target, noCanon: o.noCanon, self: o.self, acc, uri, args };
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
    if (t && t.type !== 'walked') return { ...t, acc, uri, args };
    if (t) mapped = t.walked;
  }
  // core's ap_send_http_trace (map_to_storage): after translate_name, before the directory walk
  const traced = site.traceEnable !== undefined && base.view.method === 'TRACE';
  if (traced && !base.view.isSubreq && !redirected) return { type: 'trace', acc, uri, args };
  if (!mapped) {
    if (path === '*' || !path.startsWith('/'))
      return { type: 'status', status: 400, acc, uri, args };
    // core's translate: docroot + the path, merged like apr_filepath_merge (empty segments skipped,
    // `..` resolved); above the document root is the stock `<Directory />` denial: 403
    const local = normalizeFsPath(site.root.replace(/\/$/, '') + path);
    if (!underRoot(local, site.root))
      return {
        type: 'status',
        status: 403,
        reason: `${local} is outside the document root`,
        acc,
        uri,
        args,
      };
    mapped = walk(site.root, local.slice(site.root.replace(/\/$/, '').length) || '/', site.dirs);
  }
  const stat = mapped.stat;
  acc.scope = {
    filename: mapped.filename,
    directory: !!stat?.isDirectory() && !mapped.pathInfo,
    uri,
  };
  // a path that exists but cannot be stat'ed (symlink loop, no search permission): Apache's walk says 403
  if (!stat && statFailure(mapped.filename))
    return {
      type: 'status',
      status: 403,
      reason: `cannot stat ${mapped.filename}`,
      acc,
      uri,
      args,
    };
  const cfg =
    site.store && (site.store.walksOutsideRoot || underRoot(mapped.filename, site.root))
      ? site.store.configForPath(mapped.filename, acc.scope.directory, uri)
      : undefined;
  if (site.store?.walksOutsideRoot)
    site.store.setMatchEnv(mapped.filename, acc.scope.directory, uri, acc.env);
  const dirEnv = cfg?.failure ? undefined : cfg?.ruleSet?.env;
  // most sites have none of these modules' directives: nothing is allocated for them
  const envConfig =
    dirEnv || site.serverRules?.env
      ? headerParser(
          site,
          dirEnv,
          {
            view: base.view,
            server: site.server,
            uri,
            args,
            filename: mapped.filename,
            pathInfo: mapped.pathInfo,
          },
          acc,
        )
      : undefined;
  // the file as mapped, when no .htaccess rule applies to it (mod_env's fixup still runs)
  const mappedFile = (): SiteResult => {
    fixups(envConfig, acc);
    return fileResult(mapped, acc, uri, args, path);
  };
  if (!cfg) return mappedFile();
  if (cfg.failure) {
    const notes =
      cfg.failure.status === 403
        ? 'Server unable to read htaccess file, denying access to be safe'
        : undefined;
    return {
      type: 'status',
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
  const holds = (when: CompiledWhen): boolean =>
    chainHolds(when, () =>
      exprEnvironment(
        {
          view: base.view,
          server: site.server,
          uri,
          args,
          filename: mapped.filename,
          pathInfo: mapped.pathInfo,
        },
        acc.env,
        acc.vary,
      ),
    );
  const request = { uri, args, vary: acc.vary };
  // the stock `<FilesMatch "^\.ht">Require all denied</FilesMatch>` is an access check too, so it
  // precedes per-directory rewriting (a rule routing /.htaccess to index.php never runs)
  if (
    accessDenied(cfg.access, mapped.filename, acc.env, base.view, request, holds) ||
    htFileDenied(mapped.filename)
  )
    return {
      type: 'status',
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
  const aliasFixup = (): SiteResult | undefined => {
    const answer = aliasRedirect(rs?.alias, uri, args, base.view, site.server);
    if (answer?.type === 'status') return { ...answer, acc, uri, args, filename };
    return answer && { ...answer, acc, uri, args };
  };
  if (!rs || rs.engine !== true) return aliasFixup() ?? mappedFile();
  // hook_fixup: the .htaccess of the very directory the URL names without its slash is not
  // applied (unless RewriteOptions AllowNoSlash), so mod_dir can redirect to the slash
  if (declinesNoSlash(rs, cfg.rewriteDir, mapped)) return aliasFixup() ?? mappedFile();
  // END in the server context ends here too; env set there is visible
  const m = mapped;
  const envFixup = (): unknown => fixups(envConfig, acc);
  const result = evaluateDirectoryPass(rs, {
    ...base,
    args,
    env: acc.env,
    end: acc.end,
    directory: undefined,
    filename: m.filename,
    pathInfo: m.pathInfo,
    redirected,
    rewriteDir: cfg.rewriteDir,
    fs: walkedFs(m),
  });
  return result instanceof Promise
    ? result.then((x) => afterDirectory(x, acc, uri, args, path, m, aliasFixup, envFixup))
    : afterDirectory(result, acc, uri, args, path, m, aliasFixup, envFixup);
}

/**
 * The engine's file tests with the walk's own stat() of the mapped file: `-f %{REQUEST_FILENAME}`
 * (every front controller has one) asks about the file the walk has just looked at.
 */
function walkedFs(m: Walked): FsView {
  const { filename, stat } = m;
  return {
    stat: (p) => (p === filename ? stat : nodeFs.stat(p)),
    lstat: nodeFs.lstat,
  };
}

/**
 * mod_setenvif's header_parser pass (after the directory walk, before the access checks and the
 * fixups where per-directory rewriting runs); the ErrorDocuments of this configuration from now on.
 */
function headerParser(
  site: SiteConfig,
  dirEnv: EnvConfig | undefined,
  facts: RequestFacts,
  acc: Collected,
): EnvConfig | undefined {
  const merged = directoryEnv(site.serverRules?.env, dirEnv);
  if (!merged) return undefined;
  const config = resolveScopes(merged, facts, acc.env, acc.vary);
  runSetEnvIf(config.setEnvIf, facts, acc.env, acc.vary);
  acc.errorDocument = (status) => errorDocumentFor(config, status, facts, acc.env);
  return config;
}

/** mod_env's fixup (after per-directory rewriting); returns `acc` for spreading into results. */
function fixups(config: EnvConfig | undefined, acc: Collected): { acc: Collected } {
  applyEnvVars(config, acc.env);
  return { acc };
}

function afterDirectory(
  pass: DirectoryPassResult,
  acc: Collected,
  uri: string,
  args: string | null,
  path: string,
  mapped: Walked,
  aliasFixup: () => SiteResult | undefined,
  envFixup: () => unknown,
): Pass {
  const stat = mapped.stat;
  collect(acc, pass.evaluation);
  const r = pass.result;
  if (r.type !== 'internal') {
    const o = r.outcome;
    if (o.type === 'redirect')
      return {
        type: 'redirect',
        status: o.status,
        location: o.location,
        rule: true,
        acc,
        uri,
        args,
      };
    if (o.type === 'status')
      return { type: 'status', status: o.status, cause: o.cause, reason: o.reason, acc, uri, args };
  }
  // the fixups run on after an internal rewrite (RUN_ALL): a matching Redirect wins (case 181)
  const redirected = aliasFixup();
  if (redirected) return redirected;
  envFixup();
  if (r.type === 'internal')
    return {
      type: 'internal',
      url: r.url,
      acc,
      filename: mapped.filename,
      stat,
      pathInfo: mapped.pathInfo,
    };
  const o = r.outcome;
  if (o.type === 'proxy')
    return { type: 'proxy', target: o.target, noCanon: o.noCanon, self: o.self, acc, uri, args };
  // a rewrite back to the same file: the file stays, the query string the rule set is kept (case 230)
  const query = o.type === 'rewrite' ? o.args : args;
  return fileResult(mapped, acc, uri, query, path);
}

/** The default handler's turn: the file the walk mapped (it may not exist, or be a directory). */
function fileResult(
  mapped: Walked,
  acc: Collected,
  uri: string,
  args: string | null,
  path: string,
): SiteResult {
  return {
    type: 'file',
    filename: mapped.filename,
    pathInfo: mapped.pathInfo,
    stat: mapped.stat,
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
    if (p.type !== 'file' || p.stat || acc.handler) return p;
    const dir = dirname(p.filename);
    const config =
      site.store && underRoot(dir, site.root)
        ? site.store.configForPath(dir, true, uri).ruleSet
        : site.serverRules;
    const target = fallbackTarget(config, uri, args);
    const sub = target === undefined ? undefined : parseTarget(target);
    if (!sub?.ok) return p;
    // the sub-request nesting limit (ap_is_recursion_limit_exceeded): 500
    if (depth >= MAX_INTERNAL_REDIRECTS)
      return {
        type: 'status',
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
      const file = (r.type === 'file' || r.type === 'internal') && r.stat?.isFile();
      if (file || r.type === 'proxy' || r.type === 'redirect') {
        Object.assign(acc, r.acc, { fastRedirected: true });
        return { ...r, acc } as Pass;
      }
      if (r.type === 'status' && r.status !== 404) return { ...r, acc, uri, args };
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
  // REDIRECT_STATUS is the redirecting request's status: an ErrorDocument's keeps the error (recorded)
  if (acc.errorStatus !== undefined) acc.env.set('REDIRECT_STATUS', String(acc.errorStatus));
  acc.internalRedirects++;
  acc.scope = undefined;
  acc.contentType = undefined;
  acc.handler = undefined;
}

function collect(acc: Collected, ev: Evaluation): void {
  const e = ev.effects;
  for (const v of e.vary) if (!acc.vary.includes(v)) acc.vary.push(v);
  // mod_rewrite's add_cookie sets a name once per main request (a note in rmain's pool), so a
  // [CO] matched again after an internal redirect adds nothing (recorded, case 306)
  for (const c of e.cookies) if (!hasCookieNamed(acc.cookies, c)) acc.cookies.push(c);
  acc.env = new Map(e.env);
  if (e.contentType) acc.contentType = e.contentType;
  if (e.handler) acc.handler = e.handler;
  acc.end = e.end;
}

function hasCookieNamed(cookies: readonly string[], cookie: string): boolean {
  const prefix = cookie.slice(0, cookie.indexOf('=') + 1);
  return cookies.some((c) => c.startsWith(prefix));
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
  if (!exceedsRedirectLimit(round + 1)) return undefined;
  return { type: 'status', status: 500, cause: 'recursion', reason: 'recursion', acc, uri, args };
}

/** `req.rewrite` for a site's answer: the one public shape (http/types.ts RewriteInfo). */
export function siteRewriteInfo(r: SiteResult, env: Record<string, string>): RewriteInfo {
  const { acc } = r;
  return {
    env,
    outcome: outcomeOf(r),
    contentType: acc.contentType,
    handler: acc.handler,
    trace: [],
    internalRedirects: acc.internalRedirects,
  };
}

/** How the site answered, as the engine's Outcome. */
function outcomeOf(r: SiteResult): Outcome {
  switch (r.type) {
    case 'redirect':
      return { type: 'redirect', status: r.status, location: r.location };
    case 'status':
      return { type: 'status', status: r.status, cause: r.cause ?? 'flag', reason: r.reason };
    case 'proxy':
      return { type: 'proxy', target: r.target, noCanon: r.noCanon };
    case 'file': {
      const url = escapeUri(r.path) + (r.args !== null ? '?' + r.args : '');
      return { type: 'file', path: r.filename, args: r.args, url };
    }
    default:
      return { type: 'pass' };
  }
}
