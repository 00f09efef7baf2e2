/**
 * `htaccess({ root })`: the rules of the `.htaccess` files under `root`, applied the way Apache
 * with `AllowOverride All` applies them, as a middleware that rewrites `req.url` and calls
 * `next()` — serving stays with whatever comes next (express.static, routes, staticFirst).
 * Redirects and F/G/R=4xx are answered here; `[P]` goes to `options.proxy`. A broken `.htaccess`
 * answers 500 for requests under it (logged once per version), `.ht*` files are 403.
 */
import { setRuleAllow } from './methods.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { escapeUri, queryForUrl } from '../common/escape.js';
import { splitServerName } from '../compile/virtual-host.js';
import { invalidHost } from '../engine/request.js';
import { handOff } from '../http/hand-off.js';
import { compileTrust, requestView } from '../http/request-view.js';
import type { RequestView } from '../engine/request.js';
import {
  addCookies,
  answerSafely,
  appendVary,
  checkHeader,
  failSafely,
  forceContentType,
  isValidHeaderValue,
  sendRedirect,
  sendStatus,
} from '../http/respond.js';
import { refreshExpress4Query, traceSink } from '../http/adapter.js';
import type { Next, ProxyHandler, RewriteInfo } from '../http/types.js';
import type { UserMapFunction, RewriteMapSource } from '../common/maps.js';
import { answeredBodyLimit } from './body-limit.js';
import { HtaccessStore } from './htaccess-store.js';
import { dotSegment, resolveRoots } from './paths.js';
import {
  fileSettingsFor,
  indexLookup,
  resolveRequest,
  siteRewriteInfo,
  type SiteConfig,
  type SiteResult,
} from './pipeline.js';
import { declaredType, layeredSettings } from './mime.js';
import { sendErrorDocument, signPages } from './error-document.js';
import { noteHandlerType, startHeaders } from './headers.js';
import { envObject, mountOf } from './site.js';
import { checkMapTimeout } from '../engine/budget.js';

export interface HtaccessOptions<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
> {
  readonly root: string;
  /** @default '.htaccess' */
  readonly fileName?: string;
  /** How often (ms) each `.htaccess` is stat'ed for changes; 0 = every request. @default 1000 */
  readonly recheckMs?: number;
  readonly proxy?: ProxyHandler<Req, Res>;
  readonly maps?: Readonly<Record<string, UserMapFunction | RewriteMapSource>>;
  /** Names `<IfDefine>` sees as defined, like `apache2 -D NAME`. @default [] */
  readonly defines?: readonly string[];
  /**
   * The environment `${NAME}` in an `.htaccess` falls back to (Apache: its process environment,
   * which an `.htaccess` author can read); `{}` for none. @default process.env
   */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /**
   * Apache's ServerRoot, as in site(): what relative `<IfFile>` paths resolve against.
   * @default process.cwd()
   */
  readonly mapRoot?: string;
  /**
   * How long one request may wait for asynchronous map answers, in ms; then `next(err)` with
   * ERR_MAP_TIMEOUT (500).
   * @default DEFAULT_MAP_TIMEOUT (10 000)
   */
  readonly mapTimeout?: number;
  readonly serverName?: string;
  /**
   * Proxies to trust (proxy-addr syntax).
   * @default the Express app's `trust proxy` setting (nothing outside Express)
   */
  readonly trustProxy?:
    boolean | string | readonly string[] | ((addr: string, i: number) => boolean);
  readonly trace?: boolean | ((line: string) => void);
  readonly log?: (message: string) => void;
}

/**
 * Creates the `.htaccess` middleware: the rules (and access sections) of the `.htaccess` files
 * under `options.root` rewrite `req.url`, then `next()` — serving stays with what follows.
 * @example
 * app.use(htaccess({ root: '/srv/www' }));
 * app.use(express.static('/srv/www'));
 */
export function htaccess<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
>(options: HtaccessOptions<Req, Res>): (req: Req, res: Res, next: Next) => void {
  const config = htaccessConfig(options);
  const answerer = new HtaccessAnswer<Req, Res>(
    config,
    options.proxy,
    compileTrust(options.trustProxy),
    traceSink(options.trace),
  );
  const { trust, traceFn } = answerer;
  return (req, res, next) => {
    const mount = mountOf(req);
    const view = requestView(req, trust);
    // an exception while answering goes to next(err); it never escapes as an unhandled rejection
    resolveRequest(config, {
      view,
      target: req.url ?? '/',
      trace: traceFn,
      mountPath: mount?.path,
    }).then(
      (r) =>
        answerSafely(res, next, () => {
          // mod_headers and mod_expires act on whatever answers: this middleware or what follows
          startHeaders(config, req, res, r, view);
          signPages(res, r, view, config);
          answerer.handle(req, res, next, r);
        }),
      (err) => failSafely(res, next, err),
    );
  };
}

type FileResult = Extract<SiteResult, { type: 'file' }>;

/** express.static's default `index`: what it answers a directory URL with. */
const EXPRESS_STATIC_INDEX: readonly string[] = ['index.html'];

/** The site configuration htaccess() runs the pipeline with: `.htaccess` files, no server rules. */
function htaccessConfig<Req extends IncomingMessage, Res extends ServerResponse>(
  options: HtaccessOptions<Req, Res>,
): SiteConfig {
  const root = resolveRoots([options.root])[0];
  const mapTimeout = checkMapTimeout(options.mapTimeout);
  const store = new HtaccessStore(root, {
    fileName: options.fileName,
    recheckMs: options.recheckMs,
    log: options.log,
    compile: {
      maps: options.maps,
      defines: options.defines,
      environment: options.environment,
      // one ServerRoot for every .htaccess, as in Apache (not each file's own folder)
      mapRoot: options.mapRoot ?? process.cwd(),
    },
  });
  return {
    root,
    store,
    allowedRoots: [root],
    server: { documentRoot: root, ...splitServerName(options.serverName) },
    // mod_dir's 301 where a per-directory rule rewrote a slashless directory URL or rewrote to one
    // (Apache's fixup order: mod_dir after mod_rewrite); other directory URLs are left to
    // express.static & co
    directorySlash: 'after-rewrite',
    directoryIndex: [],
    // .htaccess files cannot declare maps: only user maps can make a request wait
    mapTimeout: Object.keys(options.maps ?? {}).length ? mapTimeout : undefined,
  };
}

/** Answers what the pipeline decided for one request (or for an ErrorDocument's own request). */
class HtaccessAnswer<Req extends IncomingMessage, Res extends ServerResponse> {
  constructor(
    readonly config: SiteConfig,
    private readonly proxy: ProxyHandler<Req, Res> | undefined,
    readonly trust: (addr: string, i: number) => boolean,
    readonly traceFn: ((line: string) => void) | undefined,
  ) {}

  handle(req: Req, res: Res, next: Next, r: SiteResult): void {
    const { acc } = r;
    if (acc.env.size)
      (req as unknown as { rewrite: RewriteInfo }).rewrite = siteRewriteInfo(r, envObject(acc.env));
    if (acc.contentType) checkHeader('Content-Type', acc.contentType);
    addCookies(res, acc.cookies);
    if (acc.authenticate) res.setHeader('WWW-Authenticate', acc.authenticate);
    if (answeredBodyLimit(this.config, req, res, r)) return;
    if (r.type === 'redirect') {
      // a Host Apache's fix_hostname refuses never reaches a Location (%{HTTP_HOST} would
      // reflect it): 400
      if (invalidHost(req.headers)) sendStatus(req, res, 400);
      // a rule's [R] answers an ErrorDocument's request too (site.ts, case 305)
      else if ((acc.errorStatus !== undefined || acc.statusOf) && !r.rule)
        this.sendError(req, res, next, r.status, r);
      else sendRedirect(req, res, r.status, r.location);
      return;
    }
    if (r.type === 'status') {
      setRuleAllow(res, r.status, true);
      this.sendError(req, res, next, r.status, r, r.notes);
      return;
    }
    appendVary(res, acc.vary);
    if (r.type === 'proxy') {
      if (this.proxy) handOff(this.proxy, req, res, next, r);
      else sendStatus(req, res, 403);
      return;
    }
    // TRACE is left to the app (site() answers it as Apache's core does)
    if (r.type === 'trace') {
      next();
      return;
    }
    if (dotSegment(r.filename, this.config.root) === 'ht') {
      this.sendError(req, res, next, 403, r);
      return;
    }
    if (this.indexChecked(req, res, next, r)) return;
    this.passOn(req, res, next, r);
  }

  /**
   * express.static answers a directory URL with its own index (`index.html` by default) where
   * Apache's mod_dir looks that index up with a sub-request first: one its access sections refuse
   * (Batflat's `<Files ~ "\.(sdb|md|html|txt)$">` denies themes/default/index.html) makes
   * fixup_dir answer that status (error_notfound: "rather than allow autoindex") instead of
   * serving it. The sub-request runs here and its refusal is answered; an index it allows, or
   * none, is left to what follows. True when the answer went asynchronous (or was sent).
   */
  private indexChecked(req: Req, res: Res, next: Next, r: FileResult): boolean {
    if (!r.stat?.isDirectory() || r.pathInfo || !r.uri.endsWith('/')) return false;
    const view = requestView(req, this.trust);
    this.indexStatus(view, req.method, r).then(
      (status) =>
        answerSafely(res, next, () => {
          if (status) this.sendError(req, res, next, status, r);
          else this.passOn(req, res, next, r);
        }),
      (err) => failSafely(res, next, err),
    );
    return true;
  }

  /**
   * The status Apache answers the directory with where express.static would serve its index, or
   * 0. First express.static's own index, looked up as mod_dir would (its refusal answers). Then an
   * `.htaccess` DirectoryIndex without that name: it replaces the list mod_dir looks up, so Apache
   * never serves express.static's index, and when none of its own names is there, Options
   * -Indexes makes mod_autoindex refuse the directory (AH01276: 403) for GET and HEAD (real-world
   * Mibew: `DirectoryIndex index.php` and `Options -Indexes` over a theme folder holding an
   * index.html); a refused sub-request's status answers instead (fixup_dir's error_notfound).
   */
  private async indexStatus(
    view: RequestView,
    method: string | undefined,
    r: FileResult,
  ): Promise<number> {
    const express = await indexLookup(this.config, view, r.filename, r.uri, EXPRESS_STATIC_INDEX);
    if (express.errorStatus) return express.errorStatus;
    const rs = this.config.store?.configForPath(r.filename, true, r.uri).ruleSet;
    const own = rs?.directoryIndex;
    const listing = method === 'GET' || method === 'HEAD';
    if (!own || !listing || rs?.indexes !== false) return 0;
    if (EXPRESS_STATIC_INDEX.some((n) => own.includes(n))) return 0;
    const found = await indexLookup(this.config, view, r.filename, r.uri, own);
    return found.found ? 0 : found.errorStatus || 403;
  }

  /** The request goes on to what follows, with the rewritten URL and the types set here. */
  private passOn(req: Req, res: Res, next: Next, r: FileResult): void {
    const { acc } = r;
    if (acc.contentType) forceContentType(res, acc.contentType);
    else this.declareType(res, r);
    if (acc.internalRedirects || acc.fastRedirected) {
      req.url = escapeUri(r.path) + (r.args !== null ? '?' + queryForUrl(r.args) : '');
      refreshExpress4Query(req);
    }
    // an ErrorDocument's page keeps its status: express.static (send) leaves statusCode alone
    if (acc.errorStatus !== undefined) res.statusCode = acc.errorStatus;
    // a redirect rule's r->status, kept by a later local rewrite (case 333)
    else if (acc.redirectStatus !== undefined) res.statusCode = acc.redirectStatus;
    next();
  }

  /**
   * An `.htaccess` AddType for the file's extension, or a ForceType: its type goes on the
   * response before the next middleware (express.static keeps a Content-Type already set), as
   * mod_mime and core type it for Apache's handler and mod_expires; other types stay the app's.
   */
  private declareType(res: Res, r: Extract<SiteResult, { type: 'file' }>): void {
    if (!r.stat?.isFile() || r.pathInfo) return;
    const settings = fileSettingsFor(this.config, r.filename, r.uri);
    const base = layeredSettings(this.config.serverRules, undefined);
    const type = declaredType(r.filename, settings, base);
    if (type === undefined || !isValidHeaderValue(type)) return;
    res.setHeader('Content-Type', type);
    // a 304 goes out without it: mod_expires still reads the handler's type (headers.ts)
    noteHandlerType(res, type);
  }

  /**
   * An error htaccess() answers itself, through ErrorDocument (site/error-document.ts): the local
   * URL is handed on to what comes next with the status kept. A 404 that the next middleware
   * answers is that middleware's own: no ErrorDocument applies to it.
   */
  private sendError(
    req: Req,
    res: Res,
    next: Next,
    status: number,
    r: SiteResult,
    notes?: string,
  ): void {
    sendErrorDocument(req, res, status, r, notes, {
      config: this.config,
      trust: this.trust,
      trace: this.traceFn,
      mountPath: mountOf(req)?.path,
      answer: (again) =>
        answerSafely(res, next, () => {
          // the ErrorDocument's own request answers through its own Header lines (case 332)
          startHeaders(this.config, req, res, again, requestView(req, this.trust));
          this.handle(req, res, next, again);
        }),
      fail: (err) => failSafely(res, next, err),
    });
  }
}
