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
import type { ExprEnv } from '../engine/expr.js';
import { MAX_INTERNAL_REDIRECTS, renameEnv } from '../engine/directory.js';
import { exceedsRedirectLimit } from '../engine/internal-redirect.js';
import { ifChainsOf, sameWalk, walkFileName, type WalkIdentity } from './walk-identity.js';
import { escapeUri } from '../common/escape.js';
import type { Evaluation, Outcome } from '../engine/outcome.js';
import type { RewriteInfo } from '../http/types.js';
import {
  constructUrl,
  parseRedirectTarget,
  parseTarget,
  type RequestView,
  type ServerInfo,
} from '../engine/request.js';
import {
  evaluateDirectoryPass,
  evaluateServer,
  type DirectoryPassResult,
} from '../engine/evaluate.js';
import { MapBudget } from '../engine/budget.js';
import { screenEvaluation, type Screen } from '../engine/screen.js';
import { accessCheck, accessDenied, type AccessResult } from './access.js';
import type { AuthIdentity } from './authn.js';
import { passwordCheck } from './password.js';
import type { CompiledWhen, EnvConfig } from '../compile/env.js';
import type { ErrorAction, ServerSignature } from '../syntax/env.js';
import {
  applyEnvVars,
  chainHolds,
  directoryEnv,
  exprEnvironment,
  errorDocumentFor,
  signatureFor,
  postReadRequest,
  resolveScopes,
  runSetEnvIf,
  type RequestFacts,
} from './env.js';
import { declinesNoSlash, htFileDenied } from './phases.js';
import { withHeldIfRewrites } from './if-rewrite.js';
import { requestHeadersBeforeRedirect } from './headers.js';
import { layeredSettings, withFilesSections, type FileSettings } from './mime.js';
import { negotiate, type Negotiated } from './negotiation.js';
import { aliasRedirect, declaredRoots, translateAlias } from './alias.js';
import { fallbackTarget } from './fallback.js';
import { forcedHandlerStatus } from './forced-handler.js';
import type { DirectoryConfig, HtaccessStore } from './htaccess-store.js';
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
   * lacks its slash, or rewrote a URL to one — Apache's mod_dir still redirects there, while every
   * other slashless directory is left to what follows the middleware (express.static redirects it
   * itself).
   */
  readonly directorySlash: boolean | 'after-rewrite';
  readonly directoryIndex: readonly string[];
  /** Directory stats of recent walks (see DirCache). */
  readonly dirs?: DirCache;
  /** The server rules' screen (engine/screen.ts), built with them: a plain first pass asks it. */
  readonly screen?: Screen;
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
  /**
   * A ScriptAlias mapped the request: its `cgi-script` handler means "run it", which modrewrite
   * cannot (no mod_cgi): a 500, never the script's source (`AddHandler cgi-script` alone serves
   * the file, as Apache without mod_cgi does: case 191).
   */
  scriptAliased?: boolean;
  end: boolean;
  internalRedirects: number;
  /** The ErrorDocument for a status, in this pass's configuration (site/env.ts). */
  errorDocument?: (status: number) => ErrorAction | undefined;
  /** core's ServerSignature in this pass's configuration (site/env.ts `signatureFor`). */
  signature?: () => ServerSignature | undefined;
  /** Set on an ErrorDocument's own request: the status it answers for. */
  errorStatus?: number;
  /**
   * Set on an ErrorDocument's own request: the answer it stands for (its failure sends that one's
   * page).
   */
  errorOf?: SiteResult;
  /**
   * Set on an ErrorDocument's own request: the cookies the requests before it set (already on the
   * response), whose names a [CO] there sets no more.
   */
  cookiesBefore?: readonly string[];
  /**
   * The file the directory walk mapped the request to: whose configuration answers (mod_headers,
   * mod_expires).
   */
  scope?: {
    readonly filename: string;
    readonly directory: boolean;
    readonly uri?: string;
    /** The merged `.htaccess` configuration the walk found for it (undefined: none looked up). */
    config?: DirectoryConfig;
    /** What the configuration's `<If>` chains gave (site/walk-identity.ts ifChainsOf). */
    ifs?: readonly boolean[];
  };
  /**
   * What the request's own walk found before its first internal redirect (null: nothing):
   * mod_autoindex includes a HeaderName only if that is a regular file (rr->finfo; case 347).
   */
  firstMapped?: Stats | null;
  /** A FallbackResource sub-request was taken over (ap_internal_fast_redirect): the URL changed. */
  fastRedirected?: boolean;
  /**
   * r->status as a redirect rule left it before a later rule rewrote to a local path (the engine's
   * Effects.status): the answer goes out with it, ap_internal_redirect carries it to the new
   * request (new->status) and its REDIRECT_STATUS (recorded, case 333).
   */
  redirectStatus?: number;
  /**
   * The request that was internally redirected with that status (ap_die_r's r_1st_err): an error
   * in a request after it is a recursive one, answered with its page (recorded, case 333).
   */
  statusOf?: Extract<SiteResult, { type: 'status' }>;
  /**
   * mod_negotiation's headers (Content-Location, Vary, TCN, Alternates): in r->err_headers_out,
   * so on every answer, its error pages included (the 406, recorded in case 483).
   */
  negotiation?: readonly (readonly [string, string])[];
  /** mod_auth_basic's WWW-Authenticate (err_headers_out: on the 401 whatever answers it). */
  authenticate?: string;
  /**
   * r->user and r->ap_auth_type as the last access phase left them: an internal redirect or
   * sub-request to the same walk keeps them (ap_process_request_internal copies r->prev's or
   * r->main's), another walk authenticates again or has none (case 499).
   */
  identity?: AuthIdentity;
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
      /**
       * A RewriteRule's [R] (not mod_alias's or mod_dir's): it answers even an ErrorDocument's
       * request.
       */
      readonly rule?: true;
    }
  | {
      readonly type: 'status';
      readonly status: number;
      /** Why the rules answered it (logged with its code, `statusErrorCode`). */
      readonly cause?: StatusCause;
      readonly reason?: string;
      readonly filename?: string;
      /** r->path_info where the walk set it (a per-directory rule's status: case 504). */
      readonly pathInfo?: string;
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
      /** r->filename where it is not `filename`: `redirect:/url` under a forced handler. */
      readonly requestFilename?: string;
    }
  /** TRACE, answered by core in map_to_storage (before any .htaccess): site/methods.ts. */
  | { readonly type: 'trace' }
);

type Pass =
  | SiteResult
  | {
      readonly type: 'internal';
      readonly url: string;
      /** r->uri when the rule rewrote: the requested path, or what a server [PT] passed on. */
      readonly uri: string;
      readonly acc: Collected;
      readonly filename: string;
      readonly stat: Stats | undefined;
      readonly pathInfo: string;
      readonly symlink: boolean;
      /** The query string of `url` (the rest is the URL-path). */
      readonly args: string | null;
    };

export interface RequestInput {
  readonly view: RequestView;
  readonly target: string;
  readonly trace?: (line: string) => void;
  /** The mount path (Express's `req.baseUrl`): every this-server URL built includes it. */
  readonly mountPath?: string;
  /**
   * The request named the mount path itself, without its trailing slash (`/site` for a mount at
   * `/site`).
   */
  readonly bareMount?: boolean;
  /** An ErrorDocument's internal redirect: the environment it starts with (REDIRECT_STATUS...). */
  readonly errorRedirect?: {
    readonly env: Map<string, string>;
    readonly internalRedirects: number;
    readonly status: number;
    readonly original: SiteResult;
  };
}

/**
 * Where a request is in the pipeline: its URL-path and query (changed by internal redirects) and
 * the side effects collected on the way.
 */
interface Position {
  uri: string;
  args: string | null;
  readonly acc: Collected;
  /** The walk of the request an internal redirect came from (r->prev; case 343). */
  prevWalk?: WalkIdentity;
}

/** Runs the pipeline for a request-target. */
export async function resolveRequest(
  siteConfig: SiteConfig,
  input: RequestInput,
): Promise<SiteResult> {
  return resolveRequestNow(siteConfig, input);
}

/**
 * The pipeline for a request-target, synchronous unless a pass waits (an asynchronous map, a
 * DirectoryIndex sub-request): most requests are answered without a promise or a microtask.
 * Throws what resolveRequest would reject with.
 */
export function resolveRequestNow(
  siteConfig: SiteConfig,
  input: RequestInput,
): SiteResult | Promise<SiteResult> {
  const site = input.mountPath
    ? { ...siteConfig, server: { ...siteConfig.server, mountPath: input.mountPath } }
    : siteConfig;
  const parsed = parseTarget(input.target);
  const acc = startCollected(input);
  if (parsed.type === 'refused')
    return { type: 'status', status: parsed.status, acc, uri: '', args: null };
  // an ErrorDocument's request comes after the one it answers for (r->prev; case 330)
  const original = input.errorRedirect?.original;
  const prevWalk = original && scopeWalk(original.acc);
  const at: Position = { uri: parsed.uri, args: parsed.args, acc, prevWalk };
  // one budget for every map wait of the request: its passes, internal redirects and index
  // sub-requests
  const budget = site.mapTimeout === undefined ? undefined : new MapBudget(site.mapTimeout);
  return roundsFrom(0, { site, input, at, budget });
}

/** What every round of one request reads. */
interface Rounds {
  readonly site: SiteConfig;
  readonly input: RequestInput;
  readonly at: Position;
  readonly budget: MapBudget | undefined;
}

/**
 * The pipeline's rounds from `first` on (each internal redirect is a round; bounded by
 * recursionLimit): synchronous until one waits, then on in its promise.
 */
function roundsFrom(first: number, rounds: Rounds): SiteResult | Promise<SiteResult> {
  const { site, input, at, budget } = rounds;
  for (let round = first; ; round++) {
    const redirected = round > 0 || input.errorRedirect !== undefined;
    const { uri, args, acc } = at;
    const p = passWithFallback({
      site,
      view: input.view,
      uri,
      args,
      acc,
      redirected,
      trace: input.trace,
      mapBudget: budget,
      parentWalk: at.prevWalk,
    });
    if (p instanceof Promise)
      return p.then((q) => settle(afterRound(q, round, rounds), round, rounds));
    const r = afterRound(p, round, rounds);
    if (r instanceof Promise) return settle(r, round, rounds);
    if (r) return r;
  }
}

/** A round's answer, or the rounds after it (the round decided to go on). */
function settle(
  r: SiteResult | undefined | Promise<SiteResult | undefined>,
  round: number,
  rounds: Rounds,
): SiteResult | Promise<SiteResult> {
  if (r instanceof Promise) return r.then((answer) => answer ?? roundsFrom(round + 1, rounds));
  return r ?? roundsFrom(round + 1, rounds);
}

/** What one round's pass decided: the answer, or undefined to go on (`at` moved on). */
function afterRound(
  p: Pass,
  round: number,
  { site, input, at, budget }: Rounds,
): SiteResult | undefined | Promise<SiteResult | undefined> {
  // mod_dir and the internal redirect see r->uri as the pass left it: a server-context [PT]
  // rule's URL-path (hook_uri2file sets r->uri; recorded, case 345)
  if (p.type === 'internal') {
    at.uri = p.uri;
    return followInternalRedirect(site, input, p, at, round);
  }
  if (p.type !== 'file') return p;
  // mod_dir (fixup, after mod_rewrite's): only for a directory without PATH_INFO
  if (!p.stat?.isDirectory() || p.pathInfo) return p;
  at.uri = p.uri;
  return directoryFixup(site, input, p, at, round, budget);
}

/** The request's side effects so far: none, or an ErrorDocument's starting environment. */
function startCollected(input: RequestInput): Collected {
  return {
    vary: [],
    cookies: [],
    env: input.errorRedirect?.env ?? new Map(),
    end: false,
    internalRedirects: input.errorRedirect?.internalRedirects ?? 0,
    errorStatus: input.errorRedirect?.status,
    errorOf: input.errorRedirect?.original,
    cookiesBefore: cookiesSetBy(input.errorRedirect?.original),
  };
}

/** The cookies `r` and the requests before it put on the response (undefined: none). */
function cookiesSetBy(r: SiteResult | undefined): readonly string[] | undefined {
  if (!r) return undefined;
  const { cookies, cookiesBefore } = r.acc;
  return cookiesBefore ? [...cookiesBefore, ...cookies] : cookies;
}

/**
 * A per-directory rule rewrote the request: ap_internal_redirect to its URL (into `at`), unless
 * mod_dir redirects first or the recursion limit is reached (then that answer).
 */
function followInternalRedirect(
  site: SiteConfig,
  input: RequestInput,
  p: Extract<Pass, { type: 'internal' }>,
  at: Position,
  round: number,
): SiteResult | undefined {
  const { uri, args, acc } = at;
  const next = parseRedirectTarget(p.url);
  // mod_dir's fixup runs after mod_rewrite's: a directory URL without its slash is redirected
  // even though a per-directory rule rewrote it (finfo is still the directory), with the query
  // the rule left in r->args (splitout_queryargs already ran: `index.php?q=$1` gives ?q=…)
  const slashArgs = next.type === 'target' ? next.args : args;
  const slash =
    p.stat?.isDirectory() && !p.pathInfo
      ? slashRedirect(site, input, uri, slashArgs, p.filename, round === 0, acc, true)
      : undefined;
  if (slash) return slash;
  // a forced handler replaces mod_rewrite's redirect-handler: no redirect (site/forced-handler.ts)
  if (acc.handler) return forcedHandlerAnswer(site, input, p, at);
  const overLimit = recursionLimit(acc, uri, args);
  if (overLimit) return overLimit;
  requestHeadersBeforeRedirect(site, input.view, acc, uri, args);
  at.prevWalk = scopeWalk(acc);
  if (acc.firstMapped === undefined) acc.firstMapped = p.stat ?? null;
  redirectInternally(acc, uri, args);
  if (next.type === 'refused') {
    // ap_process_request_internal refuses the new URL (`..` above the root, `%2F`) before its
    // walks: the new request answers with the server's configuration only, not the ErrorDocument
    // or Header lines of the .htaccess that redirected (seed 6020, case 430)
    serverPrelude(site, input.view, p.url, null, acc);
    return { type: 'status', status: next.status, acc, uri, args };
  }
  input.trace?.(`internal redirect to ${p.url}`);
  at.uri = next.uri;
  at.args = next.args;
  return undefined;
}

/** The default handler's answer to `redirect:/url` (site/forced-handler.ts). */
function forcedHandlerAnswer(
  site: SiteConfig,
  input: RequestInput,
  p: Extract<Pass, { type: 'internal' }>,
  at: Position,
): SiteResult {
  const { uri, acc } = at;
  // r->args is the rule's query string (splitout_queryargs ran before the redirect was dropped)
  const { filename, stat, pathInfo, symlink, args } = p;
  // an ErrorDocument's own request is a GET (ap_die_r)
  const method = acc.errorStatus !== undefined ? 'GET' : input.view.method;
  const acceptPathInfo = fileSettingsFor(site, filename, uri).mime?.acceptPathInfo;
  const status = forcedHandlerStatus(p, method, acceptPathInfo);
  // r->filename (REQUEST_FILENAME) is `redirect:` and the URL-path, without the query
  const path = p.args === null ? p.url : p.url.slice(0, p.url.length - p.args.length - 1);
  if (status === undefined) {
    const requestFilename = `redirect:${path}`;
    return {
      type: 'file',
      filename,
      pathInfo,
      stat,
      acc,
      uri,
      args,
      path: uri,
      symlink,
      requestFilename,
    };
  }
  const reason = `handler ${acc.handler}: the default handler cannot open redirect:${path}`;
  return { type: 'status', status, reason, acc, uri, args, filename: `redirect:${path}` };
}

/**
 * mod_dir's fixup for a directory: DirectorySlash's redirect, else the DirectoryIndex
 * sub-requests; the index taken goes on (into `at`) when its own rules rewrote it.
 */
function directoryFixup(
  site: SiteConfig,
  input: RequestInput,
  p: Extract<SiteResult, { type: 'file' }>,
  at: Position,
  round: number,
  budget: MapBudget | undefined,
): SiteResult | undefined | Promise<SiteResult | undefined> {
  const { uri, args, acc } = at;
  // `/site` for a site mounted at `/site` arrives as `/`: it is the root directory without its
  // slash
  const bareRoot = input.bareMount === true && round === 0 && uri === '/';
  // after an internal redirect (round > 0) the directory URL is a rewritten one: mod_dir
  // redirects to that r->uri, where express.static behind htaccess() would use the client's URL
  const rewritten = round > 0;
  if (!uri.endsWith('/') || bareRoot)
    return slashRedirect(site, input, uri, args, p.filename, round === 0, acc, rewritten) ?? p;
  const found = indexSubrequests(site, input, p.filename, at, budget);
  const go = (f: IndexFound): SiteResult | undefined => takeIndex(site, input, p, f, at);
  return found instanceof Promise ? found.then(go) : go(found);
}

/** What the DirectoryIndex sub-requests found: the one taken, or a status to answer. */
type IndexFound =
  | {
      readonly type: 'taken';
      readonly pass: Pass;
      readonly uri: string;
      readonly args: string | null;
    }
  | { readonly type: 'answer'; readonly answer: SiteResult }
  | { readonly type: 'none'; readonly errorStatus: number };

/**
 * The index sub-requests run for every method (mod_dir has no method check), each as a GET:
 * OPTIONS and DELETE reach the index file's handler, as in Apache (case 171). The first index that is a file
 * (or [P]) is taken; a redirect answers; another error status is remembered.
 */
async function indexSubrequests(
  site: SiteConfig,
  input: Pick<RequestInput, 'view' | 'trace'>,
  dir: string,
  at: Position,
  budget: MapBudget | undefined,
  given?: readonly string[],
): Promise<IndexFound> {
  const { uri, args, acc } = at;
  const settings = dirSettings(site, dir, uri);
  const names = given ?? settings.index;
  let errorStatus = 0;
  // the request's own walk, with what its <If> chains gave (case 330), when it made one
  const parentWalk = scopeWalk(acc) ?? walkOf(site, dir, uri);
  for (const name of names) {
    const subTarget =
      (name.startsWith('/') ? name : escapeUri(uri) + name) + (args !== null ? '?' + args : '');
    const sub = parseTarget(subTarget);
    if (sub.type === 'refused') continue;
    const subAcc = copyCollected(acc);
    // ap_sub_req_lookup_uri asks with GET (its rules see REQUEST_METHOD GET); the fast redirect
    // keeps the request's own method for the answer
    const view = { ...subView(input.view), isSubreq: true };
    const r0 = passWithFallback({
      site,
      view,
      uri: sub.uri,
      args: sub.args,
      acc: subAcc,
      redirected: false,
      trace: input.trace,
      mapBudget: budget,
      parentWalk,
    });
    const r = r0 instanceof Promise ? await r0 : r0;
    keepSubrequestCookies(acc, subAcc);
    const file = (r.type === 'file' || r.type === 'internal') && r.stat?.isFile();
    if ((file || r.type === 'proxy') && settings.indexRedirect) {
      // DirectoryIndexRedirect: an external redirect to the index's r->uri (ap_construct_url,
      // the sub-request's query string left out) instead of the fast redirect (case 508)
      const location = constructUrl(input.view, site.server, sub.uri);
      const status = settings.indexRedirect;
      return { type: 'answer', answer: { type: 'redirect', status, location, acc, uri, args } };
    }
    // ap_internal_fast_redirect takes rr->uri and rr->args: the sub-request's own, or those of
    // the FallbackResource its fixup took for a missing index (case 509)
    if (file && r.type === 'file') return { type: 'taken', pass: r, uri: r.uri, args: r.args };
    if (file || r.type === 'proxy') return { type: 'taken', pass: r, uri: sub.uri, args: sub.args };
    if (r.type === 'redirect') return { type: 'answer', answer: r };
    if (r.type === 'status' && r.status !== 404) errorStatus = r.status;
  }
  return { type: 'none', errorStatus };
}

/**
 * mod_dir's fixup in a listed subdirectory's sub-request (ap_sub_req_lookup_dirent runs the
 * fixups): the status fixup_dir ends it with when no DirectoryIndex name is taken and one of their
 * sub-requests failed with another status than 404 (its error_notfound), else 0 (an index taken,
 * a redirect, none found). make_autoindex_entry leaves such an entry out (case 493: a
 * `<Files *.php>` deny hides phpwcms' content/form/). `view` is the entry's sub-request;
 * `names` replaces the DirectoryIndex list in effect (htaccess(): express.static's own index).
 */
export async function indexErrorStatus(
  site: SiteConfig,
  view: RequestView,
  dir: string,
  uri: string,
  names?: readonly string[],
): Promise<number> {
  const found = await indexLookup(site, view, dir, uri, names);
  return found.found ? 0 : found.errorStatus;
}

/**
 * mod_dir's fixup_dir over `names` (default: the DirectoryIndex in effect): whether one of its
 * sub-requests was taken (a file, a proxy or a redirect answers), and otherwise the status of a
 * refused one (0: none, or only 404s).
 */
export async function indexLookup(
  site: SiteConfig,
  view: RequestView,
  dir: string,
  uri: string,
  names?: readonly string[],
): Promise<{ found: boolean; errorStatus: number }> {
  const acc = startCollected({ view, target: uri });
  const budget = site.mapTimeout === undefined ? undefined : new MapBudget(site.mapTimeout);
  const at = { uri, args: null, acc };
  const found = await indexSubrequests(site, { view }, dir, at, budget, names);
  return found.type === 'none'
    ? { found: false, errorStatus: found.errorStatus }
    : { found: true, errorStatus: 0 };
}

/**
 * The walked configuration of the directory request at `uri` (its filename named with the slash,
 * as the directory walk leaves it), or undefined without a store.
 */
export function walkOf(site: SiteConfig, dir: string, uri: string): WalkIdentity | undefined {
  const store = site.store;
  if (!store || !(store.walksOutsideRoot || underRoot(dir, site.root))) return undefined;
  const config = store.configForPath(dir, true, uri);
  return { config, fileName: uri.endsWith('/') ? '' : walkFileName(dir) };
}

/** The index taken answers, or (rewritten by its own rules) the fast-redirected request goes on. */
function takeIndex(
  site: SiteConfig,
  input: RequestInput,
  p: Extract<SiteResult, { type: 'file' }>,
  found: IndexFound,
  at: Position,
): SiteResult | undefined {
  const { acc } = at;
  if (found.type === 'answer') return found.answer;
  if (found.type === 'none') {
    const { uri, args } = at;
    return found.errorStatus ? { type: 'status', status: found.errorStatus, acc, uri, args } : p;
  }
  const { pass: taken, uri, args } = found;
  // ap_internal_fast_redirect keeps the request's pool: a sub-request's END is not carried over,
  // so the rewritten index's internal redirect runs the rules again (recorded, case 470)
  Object.assign(acc, taken.acc, { end: acc.end });
  if (taken.type !== 'internal') return { ...taken, uri, args } as SiteResult;
  // the index's rules forced a handler ([H=]): ap_internal_fast_redirect takes the sub-request's
  // r->filename `redirect:/url` and its handler, which replaced redirect-handler, with the index
  // file's finfo, so no redirect happens and the default handler answers (403 for GET and POST),
  // in either order of mod_dir's and mod_rewrite's fixups (seed 8281, case 498)
  if (acc.handler) return forcedHandlerAnswer(site, input, taken, { ...at, uri, args });
  // the index's own rules rewrote it: the fast-redirected request follows that rewrite
  const overLimit = recursionLimit(acc, uri, args);
  if (overLimit) return overLimit;
  const next = parseTarget(taken.url);
  if (next.type === 'refused') return { type: 'status', status: next.status, acc, uri, args };
  at.prevWalk = scopeWalk(acc);
  if (acc.firstMapped === undefined) acc.firstMapped = p.stat ?? null;
  redirectInternally(acc, uri, args);
  at.uri = next.uri;
  at.args = next.args;
  return undefined;
}

/**
 * mod_rewrite's add_cookie puts a [CO] cookie on the main request (rmain->err_headers_out): one
 * a sub-request's rules set is sent whether or not its answer is taken (recorded, case 322).
 */
function keepSubrequestCookies(acc: Collected, sub: Collected): void {
  for (const c of sub.cookies) if (!hasCookieNamed(acc.cookies, c)) acc.cookies.push(c);
}

/**
 * A sub-request's own copy of the side effects (taken over when its answer is). mod_rewrite keeps
 * END as userdata of r->pool (really_last_key), and a sub-request has a pool of its own: its rules
 * run after the request's END (recorded, case 470).
 */
function copyCollected(acc: Collected): Collected {
  const env = new Map(acc.env);
  return { ...acc, vary: [...acc.vary], cookies: [...acc.cookies], env, end: false };
}

/**
 * What decides how a file is answered in its directory: core's AddDefaultCharset, mod_mime and
 * core's file settings, layered Debian's mime.conf → server config → `.htaccess` files
 * (site/mime.ts).
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
): {
  slash: boolean | 'after-rewrite';
  index: readonly string[];
  indexRedirect: number | false | undefined;
} {
  const rs =
    site.store && underRoot(dirPath, site.root)
      ? site.store.configForPath(dirPath, true, uri).ruleSet
      : undefined;
  return {
    slash: rs?.directorySlash ?? site.serverRules?.directorySlash ?? site.directorySlash,
    index: rs?.directoryIndex ?? site.serverRules?.directoryIndex ?? site.directoryIndex,
    indexRedirect: rs?.directoryIndexRedirect ?? site.serverRules?.directoryIndexRedirect,
  };
}

/** What one pass (onePass, passWithFallback) works on: the request as this round sees it. */
interface PassRequest {
  readonly site: SiteConfig;
  readonly view: RequestView;
  readonly uri: string;
  readonly args: string | null;
  /** What the request has collected so far (env, Vary, cookies…); the pass adds to it. */
  readonly acc: Collected;
  /** An internal redirect (or an ErrorDocument) led here: the environment is `REDIRECT_*`. */
  readonly redirected: boolean;
  readonly trace?: ((l: string) => void) | undefined;
  readonly mapBudget?: MapBudget | undefined;
  /**
   * A sub-request's parent (r->main) or an internal redirect's previous request (r->prev): the
   * access checks are skipped when this one walks alike (cases 340, 343).
   */
  readonly parentWalk?: WalkIdentity;
}

/**
 * A new request before its walks: the server's SetEnvIf (ap_post_read_request), and the server's
 * ErrorDocuments and ServerSignature (r->per_dir_config is lookup_defaults until the walks).
 */
function serverPrelude(
  site: SiteConfig,
  view: RequestView,
  uri: string,
  args: string | null,
  acc: Collected,
): void {
  const serverEnv = site.serverRules?.env;
  if (!serverEnv) {
    acc.errorDocument = undefined;
    acc.signature = undefined;
    return;
  }
  const facts: RequestFacts = { view, server: site.server, uri, args, filename: '', pathInfo: '' };
  postReadRequest(serverEnv, facts, acc.env, acc.vary);
  acc.errorDocument = (status) => errorDocumentFor(serverEnv, status, facts, acc.env);
  acc.signature = () => signatureFor(serverEnv, facts, acc.env);
}

/**
 * One trip through translate_name, the directory walk and the per-directory fixup. Synchronous
 * unless an asynchronous map answers (then a Promise): most requests never wait for a microtask.
 */
function onePass(request: PassRequest): Pass | Promise<Pass> {
  const { site, view, uri, args, acc, trace, mapBudget } = request;
  serverPrelude(site, view, uri, args, acc);
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
    return afterServer(request, base, undefined);
  const ev = screened(request) ?? evaluateServer(site.serverRules, base);
  return ev instanceof Promise
    ? ev.then((e) => afterServer(request, base, e))
    : afterServer(request, base, ev);
}

/**
 * The screen's evaluation of a plain first pass: not an internal redirect or a sub-request
 * ([NS] rules apply), untraced, no [END] of an earlier pass, no `*` target (the not-a-path stop),
 * and no environment before the rules (the server's SetEnvIf: the engine's evaluation carries
 * it). Undefined: the engine evaluates.
 */
function screened(request: PassRequest): Evaluation | undefined {
  const { site, view, acc } = request;
  if (!site.screen || request.redirected || view.isSubreq || request.trace) return undefined;
  if (acc.end || acc.env.size > 0 || view.target === '*') return undefined;
  return screenEvaluation(site.screen, request.uri, request.args, view.headers);
}

/**
 * One pass's request after the server-context rules, as the later phases see it (one object per
 * pass, handed from phase to phase instead of closures over a long function's locals).
 */
interface Mapping {
  readonly site: SiteConfig;
  readonly base: EvaluateInput;
  readonly acc: Collected;
  /** r->uri: the URL-path the pass started with, or the one a [PT] rule passed through. */
  uri: string;
  /** r->args, as the server-context rules left it. */
  args: string | null;
  /** The URL-path translate_name maps (the server rules' rewrite of `uri`). */
  path: string;
  readonly redirected: boolean;
  /** The file translate_name found (mod_alias or a filesystem substitution). */
  mapped?: Walked;
  readonly parentWalk?: WalkIdentity;
}

/** Every phase after mod_rewrite's translate_name: mod_alias's, the walk, access, the fixups. */
function afterServer(
  request: PassRequest,
  base: EvaluateInput,
  ev: Evaluation | undefined,
): Pass | Promise<Pass> {
  const { site, acc, uri, args, redirected, parentWalk } = request;
  const m: Mapping = { site, base, acc, uri, args, path: uri, redirected, parentWalk };
  const answered = ev ? serverOutcome(m, ev) : undefined;
  if (answered) return answered;
  const translated = translateName(m, ev?.outcome);
  if (translated) return translated;
  return mapToStorage(m, m.mapped!);
}

/** What the server-context rules decided: an answer, or the new path / file (into `m`). */
function serverOutcome(m: Mapping, ev: Evaluation): SiteResult | undefined {
  const { acc, uri, site } = m;
  collect(acc, ev);
  const o = ev.outcome;
  if (o.type === 'redirect') {
    const { status, location } = o;
    return { type: 'redirect', status, location, rule: true, acc, uri, args: m.args };
  }
  if (o.type === 'status') {
    const { status, cause, reason } = o;
    // r->filename and r->args as the rules left them (hook_uri2file does not restore them: case 507)
    const left = ev.effects.refusedAs;
    if (left) return { type: 'status', status, cause, reason, acc, uri, ...left };
    return { type: 'status', status, cause, reason, acc, uri, args: m.args };
  }
  if (o.type === 'proxy') {
    const { target, noCanon, self } = o;
    return { type: 'proxy', target, noCanon, self, acc, uri, args: m.args };
  }
  if (o.type === 'rewrite') {
    m.path = o.path;
    m.args = o.args;
    // [PT]: hook_uri2file sets r->uri to the rewritten URL-path before it declines, so the later
    // phases (the .htaccess rules' REQUEST_URI, mod_dir) see it (recorded, case 345)
    if (o.passThrough) m.uri = o.path;
  }
  if (o.type === 'file') {
    m.args = o.args;
    // a filesystem path: only under the document root or an allowed root; otherwise a URL-path.
    // `..` from request data is resolved first, as the directory walk would (no string trick)
    const file = normalizeFsPath(o.path);
    const allowed = site.allowedRoots.find((r) => underRoot(file, r));
    if (allowed) m.mapped = walk(allowed, file.slice(allowed.replace(/\/$/, '').length), site.dirs);
    else m.path = o.path;
  }
  return undefined;
}

/**
 * mod_alias's translate_name (when mod_rewrite's declined: no rule applied, or [PT]), core's
 * TRACE, then core's translate (docroot + path) for a path nothing mapped yet (into `m.mapped`).
 */
function translateName(m: Mapping, o: Outcome | undefined): SiteResult | undefined {
  const { site, base, acc, uri } = m;
  if (!o || o.type === 'pass' || (o.type === 'rewrite' && o.passThrough)) {
    const t = translateAlias(site.serverRules?.alias, base, m.path, m.args, {
      allowed: site.allowedRoots,
      declared: declaredRoots(site.serverRules?.sections),
      dirs: site.dirs,
    });
    if (t && t.type !== 'walked') return { ...t, acc, uri, args: m.args };
    if (t) m.mapped = t.walked;
    // ScriptAlias: mod_alias.c translate_alias_redir sets r->handler = "cgi-script"
    if (t?.handler) {
      acc.handler = t.handler;
      acc.scriptAliased = true;
    }
  }
  // core's ap_send_http_trace (map_to_storage): after translate_name, before the directory walk
  const traced = site.traceEnable !== undefined && base.view.method === 'TRACE';
  if (traced && !base.view.isSubreq && !m.redirected)
    return { type: 'trace', acc, uri, args: m.args };
  if (m.mapped) return undefined;
  const path = m.path;
  if (path === '*' || !path.startsWith('/'))
    return { type: 'status', status: 400, acc, uri, args: m.args };
  // core's translate: docroot + the path, merged like apr_filepath_merge (empty segments skipped,
  // `..` resolved); above the document root is the stock `<Directory />` denial: 403
  const root = site.root.replace(/\/$/, '');
  if (cannotMap(root, path)) {
    const reason = `Cannot map ${path} to file (File name too long)`;
    return { type: 'status', status: 403, reason, acc, uri, args: m.args };
  }
  const local = normalizeFsPath(root + path);
  if (!underRoot(local, site.root)) {
    const reason = `${local} is outside the document root`;
    return { type: 'status', status: 403, reason, acc, uri, args: m.args };
  }
  m.mapped = walk(site.root, local.slice(root.length) || '/', site.dirs);
  return undefined;
}

/** apr_filepath_merge's limit (APR_PATH_MAX, Linux's PATH_MAX): the buffer it would need. */
const APR_PATH_MAX = 4096;

/**
 * core's ap_core_translate merges the DocumentRoot with the URL-path (its leading slashes
 * stripped); apr_filepath_merge refuses with ENAMETOOLONG when root + path + 4 exceeds
 * APR_PATH_MAX, and core answers 403 (AH00127 "Cannot map … to file", recorded in case 311: a
 * rule that keeps prefixing the path grows it past the limit before LimitInternalRecursion).
 */
function cannotMap(root: string, path: string): boolean {
  const relative = path.replace(/^\/+/, '');
  return root.length + relative.length + 4 > APR_PATH_MAX;
}

/**
 * map_to_storage's directory walk (the merged `.htaccess` configuration of the mapped file), then
 * header_parser, the access checks and the fixups.
 */
function mapToStorage(m: Mapping, mapped: Walked): Pass | Promise<Pass> {
  const { site, acc, uri } = m;
  const stat = mapped.stat;
  const directory = !!stat?.isDirectory() && !mapped.pathInfo;
  // a path that exists but cannot be stat'ed (symlink loop, no search permission, a name over
  // NAME_MAX): Apache's walk says 403 before it sets r->per_dir_config, so no `.htaccess` line
  // (Header always, ErrorDocument) acts on the answer (recorded: real-world, a 256-byte name)
  if (!stat && statFailure(mapped.filename)) {
    const reason = `cannot stat ${mapped.filename}`;
    return { type: 'status', status: 403, reason, acc, uri, args: m.args };
  }
  const scope = { filename: mapped.filename, directory, uri, config: undefined };
  acc.scope = scope;
  const store = site.store;
  const cfg =
    store && (store.walksOutsideRoot || underRoot(mapped.filename, site.root))
      ? store.configForPath(mapped.filename, directory, uri)
      : undefined;
  // what mod_headers and mod_expires read for this file later (site/headers.ts headerScope)
  acc.scope.config = cfg;
  if (store?.walksOutsideRoot) store.setMatchEnv(mapped.filename, directory, uri, acc.env);
  const dirEnv = cfg?.failure ? undefined : cfg?.ruleSet?.env;
  // most sites have none of these modules' directives: nothing is allocated for them
  const envConfig =
    dirEnv || site.serverRules?.env
      ? headerParser(site, dirEnv, requestFacts(m, mapped), acc)
      : undefined;
  if (!cfg && !stat && site.serverRules?.multiViews) {
    // MultiViews needs the walked configuration of the variants (typeChecker): none here
    const reason = 'MultiViews without a directory walk is not emulated';
    return { type: 'status', status: 500, reason, acc, uri, args: m.args };
  }
  if (!cfg) {
    acc.identity = undefined;
    return mappedFile(m, mapped, envConfig);
  }
  if (cfg.failure) return htaccessFailure(m, mapped, cfg.failure);
  const denied = accessPhase(m, mapped, cfg);
  if (denied instanceof Promise)
    return denied.then((answer) => answer ?? afterAccess(m, mapped, cfg, envConfig));
  if (denied) return denied;
  return afterAccess(m, mapped, cfg, envConfig);
}

/** mapToStorage once access is granted: MultiViews' type checker, then the fixups. */
function afterAccess(
  m: Mapping,
  mapped: Walked,
  cfg: DirectoryConfig,
  envConfig: EnvConfig | undefined,
): Pass | Promise<Pass> {
  const stat = mapped.stat;
  // mod_negotiation's type_checker (handle_multi): only for a file that does not exist; the walk's
  // configuration holds the sections and .htaccess files, the server's own Options lie below them
  const multiViews = cfg.ruleSet?.multiViews ?? m.site.serverRules?.multiViews;
  if (!stat && multiViews) return typeChecker(m, mapped, cfg, envConfig);
  return directoryFixups(m, mapped, cfg, envConfig);
}

/**
 * MultiViews (site/negotiation.ts): the chosen variant's sub-request is promoted into the request
 * (ap_internal_fast_redirect), so the fixups (per-directory rewriting: REQUEST_FILENAME is the
 * variant, `-f` holds; REQUEST_URI names it too, recorded in case 481) see the variant.
 */
function typeChecker(
  m: Mapping,
  mapped: Walked,
  cfg: DirectoryConfig,
  envConfig: EnvConfig | undefined,
): Pass | Promise<Pass> {
  const { site, acc, args, base } = m;
  const n = negotiate({
    filename: mapped.filename,
    method: base.view.method,
    pathInfo: mapped.pathInfo,
    headers: base.view.headers,
    env: acc.env,
    settingsOf: (f) => fileSettingsFor(site, f, m.uri),
    refused: (f) => variantRefused(m, f),
  });
  if (n.type === 'declined') return directoryFixups(m, mapped, cfg, envConfig);
  const filename = mapped.filename;
  if (n.type === 'status') {
    const { status, reason } = n;
    return { type: 'status', status, reason, acc, uri: m.uri, args, filename };
  }
  acc.negotiation = n.headers;
  if (n.type === 'list') {
    const reason = `no acceptable variant: ${filename}`;
    const notes = n.variantList;
    return { type: 'status', status: 406, reason, notes, acc, uri: m.uri, args, filename };
  }
  return chosenVariant(m, mapped, n, envConfig);
}

/** The fast redirect to the chosen variant: its URL, file and configuration (ap_sub_req_lookup_dirent). */
function chosenVariant(
  m: Mapping,
  mapped: Walked,
  n: Extract<Negotiated, { type: 'choice' }>,
  envConfig: EnvConfig | undefined,
): Pass | Promise<Pass> {
  const { pathInfo } = mapped;
  const path = pathInfo && m.uri.endsWith(pathInfo) ? m.uri.slice(0, -pathInfo.length) : m.uri;
  m.uri = path.slice(0, path.lastIndexOf('/') + 1) + n.fileName + pathInfo;
  const variant: Walked = {
    filename: n.filename,
    pathInfo,
    stat: n.stat,
    symlink: mapped.symlink || !!nodeFs.lstat(n.filename)?.isSymbolicLink(),
  };
  const cfg = m.site.store!.configForPath(n.filename, false, m.uri);
  m.acc.scope = { filename: n.filename, directory: false, uri: m.uri, config: cfg };
  return directoryFixups(m, variant, cfg, envConfig);
}

/** A variant's sub-request refused by its own access checks or a broken `.htaccess`: skipped. */
function variantRefused(m: Mapping, filename: string): boolean {
  const store = m.site.store;
  if (!store) return false;
  const cfg = store.configForPath(filename, false, m.uri);
  if (cfg.failure) return true;
  const { acc, base } = m;
  const mapped: Walked = { filename, pathInfo: '', stat: undefined, symlink: false };
  const holds = (when: CompiledWhen): boolean =>
    chainHolds(when, () => exprEnvironment(requestFacts(m, mapped), acc.env, []));
  const request = { uri: m.uri, args: m.args, vary: [] };
  return accessDenied(cfg.access, filename, acc.env, base.view, request, holds);
}

/** What mod_setenvif and the `<If>` expressions read about the request and its file. */
function requestFacts(m: Mapping, mapped: Walked): RequestFacts {
  const { base, site, uri, args } = m;
  const { filename, pathInfo } = mapped;
  return { view: base.view, server: site.server, uri, args, filename, pathInfo };
}

/** The file as mapped, when no `.htaccess` rule applies to it (mod_env's fixup still runs). */
function mappedFile(m: Mapping, mapped: Walked, envConfig: EnvConfig | undefined): SiteResult {
  fixups(envConfig, m.acc);
  return fileResult(mapped, m.acc, m.uri, m.args, m.path);
}

/** A `.htaccess` on the way that cannot be used: 500 (broken) or 403 (unreadable), like Apache. */
function htaccessFailure(
  m: Mapping,
  mapped: Walked,
  failure: NonNullable<DirectoryConfig['failure']>,
): SiteResult {
  const notes =
    failure.status === 403
      ? 'Server unable to read htaccess file, denying access to be safe'
      : undefined;
  const { acc, uri, args } = m;
  const reason = failure.error.message;
  const filename = mapped.filename;
  return { type: 'status', status: failure.status, reason, notes, acc, uri, args, filename };
}

/**
 * The access phase precedes the fixups (per-directory rewriting): a denied file is 403 whatever
 * the rules would do; an internal redirect comes back here for its own filename. The stock
 * `<FilesMatch "^\.ht">Require all denied</FilesMatch>` is an access check too, so it precedes
 * per-directory rewriting (a rule routing /.htaccess to index.php never runs).
 */
function accessPhase(
  m: Mapping,
  mapped: Walked,
  cfg: DirectoryConfig,
): SiteResult | undefined | Promise<SiteResult | undefined> {
  const { acc, uri, args, base } = m;
  const filename = mapped.filename;
  // ap_process_request_internal: a sub-request or internal redirect that walked to its parent's
  // or previous request's configuration is not checked again (site/walk-identity.ts); `.ht`
  // names match Debian's <FilesMatch>, so walk apart
  const ifs = heldIfs(m, mapped, cfg);
  if (acc.scope) acc.scope.ifs = ifs;
  headerIfVary(m, mapped, cfg);
  if (m.parentWalk && !htFileDenied(filename)) {
    // the request's own walk, built only when there is one to compare with (most have none)
    const own = { config: cfg, fileName: walkFileName(filename), ifs };
    if (sameWalk(m.site.serverRules, m.parentWalk, own)) return undefined;
  }
  const holds = (when: CompiledWhen): boolean =>
    chainHolds(when, () => exprEnvironment(requestFacts(m, mapped), acc.env, acc.vary));
  // a bcrypt password is checked off this turn of the event loop (site/password.ts)
  const request = { uri, args, vary: acc.vary, passwordCheck };
  const result = accessCheck(cfg.access, filename, acc.env, base.view, request, holds);
  if (result instanceof Promise) return result.then((waited) => accessAnswer(m, filename, waited));
  return accessAnswer(m, filename, result);
}

/** The access phase's answer as the pipeline's: nothing (granted), 500, 401 or 403. */
function accessAnswer(m: Mapping, filename: string, result: AccessResult): SiteResult | undefined {
  const { acc, uri, args } = m;
  acc.identity =
    result.type === 'granted' || result.type === 'unauthorized' ? result.identity : undefined;
  if (result.type === 'granted') return undefined;
  if (result.type === 'error')
    return { type: 'status', status: 500, reason: result.reason, acc, uri, args, filename };
  if (result.type === 'unauthorized') {
    // note_basic_auth_failure: in err_headers_out, so on the 401 page and its ErrorDocument
    acc.authenticate = `Basic realm="${result.realm}"`;
    const reason = `authentication required: ${uri}`;
    return { type: 'status', status: 401, reason, acc, uri, args, filename };
  }
  const reason = `client denied by server configuration: ${filename}`;
  return { type: 'status', status: 403, reason, acc, uri, args, filename };
}

/**
 * What each `<If>` chain of the configuration gives for the request (ap_if_walk), undefined
 * without any; read for its value only (no Vary is added).
 */
function heldIfs(m: Mapping, mapped: Walked, cfg: DirectoryConfig): boolean[] | undefined {
  const chains = ifChainsOf(cfg, m.site.serverRules);
  if (!chains.length) return undefined;
  const env = (): ReturnType<typeof exprEnvironment> =>
    exprEnvironment(requestFacts(m, mapped), m.acc.env, []);
  return chains.map((when) => chainHolds(when, env));
}

/**
 * ap_if_walk puts the request headers an `<If>` reads into Vary, a section holding only Header
 * lines included (recorded, case 544); mod_headers itself evaluates the chain again when the
 * response goes out. Not for a Header line scoped to `<Files>` (core merges such an `<If>` only
 * for the files it names, which this list does not tell apart).
 */
function headerIfVary(m: Mapping, mapped: Walked, cfg: DirectoryConfig): void {
  let env: ExprEnv | undefined;
  const expr = (): ExprEnv =>
    (env ??= exprEnvironment(requestFacts(m, mapped), m.acc.env, m.acc.vary));
  for (const actions of [m.site.serverRules?.headers, cfg.ruleSet?.headers])
    for (const a of actions ?? []) if (a.ifChain && !a.files) chainHolds(a.ifChain, expr);
}

/**
 * mod_alias's fixup (after mod_rewrite's): the `.htaccess` redirects, on the original URL-path
 * (r->uri) with the query string as it is now (r->args: a per-directory rewrite's splitout_queryargs
 * has replaced it, so fixup_redir appends the rule's query, recorded in case 310).
 */
function aliasFixup(
  m: Mapping,
  rs: RuleSet | undefined,
  mapped: Walked,
  args = m.args,
): SiteResult | undefined {
  const { acc, uri } = m;
  const filename = mapped.filename;
  const alias = rs?.alias;
  // a Redirect inside <If> applies while its chain holds; ap_if_walk tested it before the
  // fixups, on the request's own query (case 460)
  const holds =
    alias?.ifRedirects?.length || alias?.ifEveryRequest?.length
      ? (when: CompiledWhen): boolean =>
          chainHolds(when, () => exprEnvironment(requestFacts(m, mapped), acc.env, acc.vary))
      : undefined;
  const answer = aliasRedirect(alias, uri, args, m.base.view, m.site.server, holds);
  if (answer?.type === 'status') return { ...answer, acc, uri, args, filename };
  return answer && { ...answer, acc, uri, args };
}

/** The fixups: per-directory rewriting (mod_rewrite), then mod_alias's and mod_env's. */
function directoryFixups(
  m: Mapping,
  mapped: Walked,
  cfg: DirectoryConfig,
  envConfig: EnvConfig | undefined,
): Pass | Promise<Pass> {
  const { acc, base } = m;
  // no closure per request unless an <If> section holds mod_rewrite directives
  const { ruleSet: rs, rewriteDir } = cfg.ruleSet?.ifRewrites
    ? withHeldIfRewrites(cfg, (when) =>
        chainHolds(when, () => exprEnvironment(requestFacts(m, mapped), acc.env, acc.vary)),
      )
    : cfg;
  // hook_fixup: the .htaccess of the very directory the URL names without its slash is not
  // applied (unless RewriteOptions AllowNoSlash), so mod_dir can redirect to the slash
  if (!rs || rs.engine !== true || declinesNoSlash(rs, rewriteDir, mapped))
    return aliasFixup(m, cfg.ruleSet, mapped) ?? mappedFile(m, mapped, envConfig);
  // END in the server context ends here too; env set there is visible
  // every field spelled out: `{ ...base }` took a slow copy on every request (the profile)
  const result = evaluateDirectoryPass(rs, {
    view: acc.identity ? authenticatedView(base.view, acc.identity) : base.view,
    server: base.server,
    uri: m.uri,
    args: m.args,
    fs: walkedFs(mapped),
    env: acc.env,
    end: acc.end,
    trace: base.trace,
    mapBudget: base.mapBudget,
    directory: undefined,
    filename: mapped.filename,
    pathInfo: mapped.pathInfo,
    redirected: m.redirected,
    rewriteDir,
  });
  const own = cfg.ruleSet;
  return result instanceof Promise
    ? result.then((x) => afterDirectory(x, m, mapped, own, envConfig))
    : afterDirectory(result, m, mapped, own, envConfig);
}

/**
 * The request as the fixups see it once check_user_id ran: REMOTE_USER and AUTH_TYPE (the server
 * context and `<If>`, evaluated before the access phase, see neither: recorded, case 499).
 */
function authenticatedView(view: RequestView, identity: AuthIdentity): RequestView {
  return { ...view, remoteUser: identity.user, authType: identity.authType };
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
  acc.signature = () => signatureFor(config, facts, acc.env);
  return config;
}

/** mod_env's fixup (after per-directory rewriting); returns `acc` for spreading into results. */
function fixups(config: EnvConfig | undefined, acc: Collected): { acc: Collected } {
  applyEnvVars(config, acc.env);
  return { acc };
}

function afterDirectory(
  pass: DirectoryPassResult,
  m: Mapping,
  mapped: Walked,
  rs: RuleSet | undefined,
  envConfig: EnvConfig | undefined,
): Pass {
  const { acc, uri, args } = m;
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
    // the page's REQUEST_FILENAME and QUERY_STRING are r->filename and r->args as the rules left
    // them (hook_fixup returns the status without restoring them): the mapped file after a
    // `-` rule (the recorder's `Header always set X-Filename` names it on [R=200]'s page, case
    // 501), the rewritten ones after a rule that rewrote first (case 504)
    if (o.type === 'status') {
      const { status, cause, reason } = o;
      const left = r.left;
      return {
        type: 'status',
        status,
        cause,
        reason,
        acc,
        uri,
        args: left ? left.args : args,
        filename: left ? left.filename : mapped.filename,
        pathInfo: left ? left.pathInfo : r.discardedPathInfo ? '' : mapped.pathInfo,
      };
    }
  }
  // the fixups run on after an internal rewrite (RUN_ALL): a matching Redirect wins (case 181)
  const rewrittenArgs =
    r.type === 'internal' ? r.args : r.outcome.type === 'rewrite' ? r.outcome.args : args;
  const redirected = aliasFixup(m, rs, mapped, rewrittenArgs);
  if (redirected) return redirected;
  fixups(envConfig, acc);
  if (r.type === 'internal') {
    const { filename, stat, pathInfo, symlink } = mapped;
    const url = r.url;
    const uri = m.uri;
    return { type: 'internal', url, uri, args: r.args, acc, filename, stat, pathInfo, symlink };
  }
  const o = r.outcome;
  if (o.type === 'proxy')
    return { type: 'proxy', target: o.target, noCanon: o.noCanon, self: o.self, acc, uri, args };
  // a rewrite back to the same file: the file stays, the query string the rule set is kept (case
  // 230)
  const query = o.type === 'rewrite' ? o.args : args;
  const served = r.discardedPathInfo ? { ...mapped, pathInfo: '' } : mapped;
  return fileResult(served, acc, uri, query, m.path);
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
 * One pass, then mod_dir's FallbackResource for a request that mapped to nothing
 * (site/fallback.ts): the fallback sub-request's result is taken over when it is a file (or [P]), a
 * redirect or an error status propagates, anything else leaves the 404. Synchronous unless a pass
 * waits.
 */
function passWithFallback(request: PassRequest, depth = 0): Pass | Promise<Pass> {
  const { site, view, uri, args, acc, trace, mapBudget } = request;
  const next = (p: Pass): Pass | Promise<Pass> =>
    p.type !== 'file' || p.stat || acc.handler
      ? p
      : fallbackResource(site, { view, uri, args, acc, trace, mapBudget, depth }, p);
  const p0 = onePass(request);
  return p0 instanceof Promise ? p0.then(next) : next(p0);
}

/** The request a FallbackResource sub-request is made for. */
interface FallbackFrom {
  readonly view: RequestView;
  readonly uri: string;
  readonly args: string | null;
  readonly acc: Collected;
  readonly trace?: (l: string) => void;
  readonly mapBudget?: MapBudget;
  /** Sub-requests nested so far. */
  readonly depth: number;
}

/** FallbackResource of the missing file's directory: its sub-request, and what is taken of it. */
function fallbackResource(
  site: SiteConfig,
  from: FallbackFrom,
  p: Extract<Pass, { type: 'file' }>,
): Pass | Promise<Pass> {
  const { uri, args, acc, view, depth } = from;
  const dir = dirname(p.filename);
  const config =
    site.store && underRoot(dir, site.root)
      ? site.store.configForPath(dir, true, uri).ruleSet
      : site.serverRules;
  const target = fallbackTarget(config, uri, args);
  const sub = target === undefined ? undefined : parseTarget(target);
  if (sub?.type !== 'target') return p;
  // the sub-request nesting limit (ap_is_recursion_limit_exceeded): 500
  if (depth >= MAX_INTERNAL_REDIRECTS)
    return { type: 'status', status: 500, cause: 'recursion', reason: 'recursion', acc, uri, args };
  from.trace?.(`FallbackResource: sub-request for ${target}`);
  const taken = (r: Pass): Pass => {
    keepSubrequestCookies(acc, subAcc);
    const file = (r.type === 'file' || r.type === 'internal') && r.stat?.isFile();
    if (file || r.type === 'proxy' || r.type === 'redirect') {
      // the sub-request's END stayed in its own pool (case 470)
      Object.assign(acc, r.acc, { fastRedirected: true, end: acc.end });
      return { ...r, acc } as Pass;
    }
    if (r.type === 'status' && r.status !== 404) return { ...r, acc, uri, args };
    return p;
  };
  // ap_sub_req_lookup_uri: a GET sub-request
  const subRequest = { ...subView(view), isSubreq: true };
  const { trace, mapBudget } = from;
  const subAcc = copyCollected(acc);
  const r0 = passWithFallback(
    {
      site,
      view: subRequest,
      uri: sub.uri,
      args: sub.args,
      acc: subAcc,
      redirected: false,
      trace,
      mapBudget,
      parentWalk: scopeWalk(acc) ?? missingFileWalk(site, p.filename, uri),
    },
    depth + 1,
  );
  return r0 instanceof Promise ? r0.then(taken) : taken(r0);
}

/** The walked configuration of a request for the missing `filename` (FallbackResource's parent). */
function missingFileWalk(
  site: SiteConfig,
  filename: string,
  uri: string,
): WalkIdentity | undefined {
  const store = site.store;
  if (!store || !(store.walksOutsideRoot || underRoot(filename, site.root))) return undefined;
  return { config: store.configForPath(filename, false, uri), fileName: walkFileName(filename) };
}

/**
 * The walk of the request about to redirect internally (what its directory walk mapped), which
 * the new request compares its own with: ap_process_request_internal skips the access checks
 * when `r->prev->per_dir_config == r->per_dir_config` (site/walk-identity.ts; case 343).
 */
function scopeWalk(acc: Collected): WalkIdentity | undefined {
  const scope = acc.scope;
  if (!scope?.config) return undefined;
  const slash = scope.directory && scope.uri?.endsWith('/');
  const fileName = slash ? '' : walkFileName(scope.filename);
  return { config: scope.config, fileName, ifs: scope.ifs };
}

/**
 * ap_internal_redirect: env renamed REDIRECT_*, notes (the forced type and handler) not carried
 * over (recorded).
 */
function redirectInternally(acc: Collected, uri: string, args: string | null): void {
  const status = acc.errorStatus ?? acc.redirectStatus;
  // the first request redirected with a status other than 200: ap_die_r's r_1st_err
  if (acc.redirectStatus !== undefined && !acc.statusOf)
    acc.statusOf = { type: 'status', status: acc.redirectStatus, acc: { ...acc }, uri, args };
  acc.env = renameEnv(acc.env);
  // REDIRECT_STATUS is the redirecting request's status: an ErrorDocument's keeps the error
  // (recorded), a redirect rule's stays (case 333)
  if (status !== undefined) acc.env.set('REDIRECT_STATUS', String(status));
  acc.internalRedirects++;
  acc.scope = undefined;
  acc.contentType = undefined;
  acc.handler = undefined;
}

function collect(acc: Collected, ev: Evaluation): void {
  const e = ev.effects;
  for (const v of e.vary) if (!acc.vary.includes(v)) acc.vary.push(v);
  // mod_rewrite's add_cookie sets a name once per main request (a note in rmain's pool), so a
  // [CO] matched again after an internal redirect adds nothing (recorded, case 306), nor after
  // ap_die's redirect to an ErrorDocument: the same request pool (recorded, case 322)
  for (const c of e.cookies)
    if (!hasCookieNamed(acc.cookies, c) && !hasCookieNamed(acc.cookiesBefore ?? [], c))
      acc.cookies.push(c);
  // a copy (the acc's is changed later); an empty one without the iterator protocol (most requests)
  acc.env = e.env.size ? new Map(e.env) : new Map();
  if (e.contentType) acc.contentType = e.contentType;
  if (e.handler) acc.handler = e.handler;
  if (e.status !== undefined) acc.redirectStatus = e.status;
  acc.end = e.end;
}

function hasCookieNamed(cookies: readonly string[], cookie: string): boolean {
  const prefix = cookie.slice(0, cookie.indexOf('=') + 1);
  return cookies.some((c) => c.startsWith(prefix));
}

/**
 * Apache's LimitInternalRecursion: one more internal redirect would exceed
 * MAX_INTERNAL_REDIRECTS, so the request ends in a 500 (AH00124), as recorded. The count is the
 * whole r->prev chain (ap_is_recursion_limit_exceeded): an ErrorDocument's request starts with the
 * redirects that led to it (case 341).
 */
function recursionLimit(acc: Collected, uri: string, args: string | null): SiteResult | undefined {
  if (!exceedsRedirectLimit(acc.internalRedirects + 1)) return undefined;
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
