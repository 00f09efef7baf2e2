/**
 * `site({ root, config })`: a virtual host with a DocumentRoot — server-context rules, `.htaccess`
 * files, DirectorySlash, DirectoryIndex, static files and Apache's error pages, with `[P]` handed
 * to the proxy. See pipeline.ts for the decisions; this file answers them.
 */
import { statSync, type Stats } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { statusErrorCode } from '../errors.js';
import { inferenceNote, optionsError, withImpliedEngine } from '../compile/entry.js';
import type { RuleSet } from '../compile/ruleset.js';
import { splitServerName } from '../compile/virtual-host.js';
import { bytesToUtf8 } from '../common/bytes.js';
import { escapeUri, queryForUrl } from '../common/escape.js';
import { registeredHandler, setOwn } from '../engine/own.js';
import { invalidHost } from '../engine/request.js';
import { handOff } from '../http/hand-off.js';
import { checkSiteOptions } from '../http/check-options.js';
import { checkRulesInput, loadRules, ownedPrograms } from '../http/load-rules.js';
import { compileTrust, requestView } from '../http/request-view.js';
import {
  addCookies,
  answerSafely,
  appendVary,
  forceContentType,
  isValidHeaderValue,
  sendFailure,
  sendRedirect,
  sendStatus,
  setCheckedHeader,
  setServerAdmin,
  setSignature,
  signatureAddress,
} from '../http/respond.js';
import { refuse } from '../http/upgrade.js';
import { debug, traceSink } from '../http/adapter.js';
import type {
  Handler,
  Next,
  ProxyHandler,
  ProxyRequest,
  RewriteInfo,
  RulesInput,
} from '../http/types.js';
import { checkMapTimeout } from '../engine/budget.js';
import { nodeFs } from '../engine/node-fs.js';
import { buildScreen } from '../engine/screen.js';
import type { UserMapFunction, RewriteMapSource } from '../common/maps.js';
import { HtaccessStore } from './htaccess-store.js';
import { directoryWalk } from './directory-walk.js';
import { virtualHostConfig, virtualHostSite, type SiteHandler } from './virtual-hosts.js';
import { DirCache, dotSegment, realpathOf, resolveRoots, underRoot } from './paths.js';
import {
  fileSettingsFor,
  resolveRequest,
  resolveRequestNow,
  siteRewriteInfo,
  type SiteConfig,
  type SiteResult,
} from './pipeline.js';
import { sendErrorDocument, signPages } from './error-document.js';
import { answerPreconditionFailed, fileErrorStatus, serveFile } from './static-file.js';
import { rangeLimits } from './byterange.js';
import { FileCache, type CachedFile, type FileCacheOptions } from './file-cache.js';
import { deflateAccepted, gzipOnlyHtmlRefuses } from './deflate.js';
import {
  answerDirectory,
  directoryContentType,
  fileContentType,
  listsDirectories,
} from './directory-handler.js';
import { answerOtherMethod, answerTrace, isDeliveryMethod, setRuleAllow } from './methods.js';
import { earlyRequestHeaders, startHeaders } from './headers.js';
import type { RequestView } from '../engine/request.js';
import { answeredBodyLimit } from './body-limit.js';
import {
  apacheETag,
  deflateVaries,
  fileHeaders,
  handlerFor,
  UNEMULATED_HANDLERS,
  type FileSettings,
} from './mime.js';

export interface SiteRequest extends IncomingMessage {
  /** The file the request was mapped to (set before a handler runs). */
  filename?: string;
  /** PATH_INFO of that mapping. */
  pathInfo?: string;
}

export interface SiteOptions<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
> {
  /**
   * DocumentRoot. Without it, the main server's `DocumentRoot` in `config` (core's
   * set_document_root); one of the two is required.
   */
  readonly root?: string;
  /**
   * Server-context directives (text, `{ file }` or a compiled RuleSet): RewriteEngine/Cond/Rule/Map/Options,
   * DirectorySlash, DirectoryIndex, and `<Directory>`/`<Location>` sections (with `AllowOverride`;
   * the document root defaults to `AllowOverride All`), merged in Apache's order.
   * @example
   * site({ root: '/srv/www', config: '<Directory "/srv/www/private">\n  Require all denied\n</Directory>' });
   */
  readonly config?: RulesInput;
  /**
   * Further folders a filesystem substitution may be served from (the document root always may).
   * @default []
   */
  readonly allowedRoots?: readonly string[];
  /** Read `.htaccess` files (AllowOverride All), or tune their reading. @default true */
  readonly htaccess?: boolean | { readonly fileName?: string; readonly recheckMs?: number };
  /** mod_dir's DirectorySlash. @default true */
  readonly directorySlash?: boolean;
  /** mod_dir's DirectoryIndex names. @default ['index.html'] */
  readonly directoryIndex?: readonly string[];
  /** `[P]` outcomes go here; without it they answer 403 like Apache without mod_proxy. */
  readonly proxy?: ProxyHandler<Req, Res>;
  /** Handlers by name ([H=name], or `addHandler`), e.g. `moduleHandler()`. */
  readonly handlers?: Readonly<Record<string, Handler<Req & SiteRequest, Res>>>;
  /** AddHandler: file extension (with dot) → handler name. */
  readonly addHandler?: Readonly<Record<string, string>>;
  /**
   * A missing file calls `next()` (with `req.url` rewritten) instead of answering 404.
   * @default true
   */
  readonly fallthrough?: boolean;
  /**
   * Symbolic links: `inside` follows links whose target stays under the roots, `follow` any, `deny`
   * none.
   * @default 'inside'
   */
  readonly symlinks?: 'inside' | 'follow' | 'deny';
  /**
   * Serve dotfiles other than `.ht*` (those are 403, like Apache's stock `<FilesMatch "^\.ht">`,
   * unless an `.htaccess` `<Files>` section grants them as in Apache: case 391).
   * @default false
   */
  readonly dotfiles?: boolean;
  readonly maps?: Readonly<Record<string, UserMapFunction | RewriteMapSource>>;
  /**
   * How long one request may wait for asynchronous map answers, in ms; then 500 (ERR_MAP_TIMEOUT,
   * logged). `Infinity`: no limit.
   * @default DEFAULT_MAP_TIMEOUT (10 000)
   */
  readonly mapTimeout?: number;
  /**
   * The port `<VirtualHost addr:port>` sections are matched against (the port Apache listened
   * on for this config, e.g. 80 when serve runs on 8080). @default the connection's local port
   */
  readonly vhostPort?: number;
  /**
   * Names `<IfDefine>` sees as defined (in `config` and every `.htaccess`), like `apache2 -D NAME`.
   * @default []
   */
  readonly defines?: readonly string[];
  /**
   * The environment `${NAME}` in `config` and in every `.htaccess` falls back to after the
   * Define'd names (Apache: its process environment, which an `.htaccess` author can read too);
   * `{}` for none. @default process.env
   */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /**
   * Folder relative map paths in `config` resolve against.
   * @default the config file's folder, else cwd
   */
  readonly mapRoot?: string;
  readonly serverName?: string;
  readonly serverAliases?: readonly string[];
  /**
   * @internal `root` is a `<VirtualHost>`'s DocumentRoot: when it does not exist, Apache only
   * warns (core.c set_document_root, AH00112) and every request under it finds nothing (case 451).
   */
  readonly vhostRoot?: boolean;
  /**
   * Proxies to trust (proxy-addr syntax).
   * @default the Express app's `trust proxy` setting (nothing outside Express)
   */
  readonly trustProxy?:
    boolean | string | readonly string[] | ((addr: string, i: number) => boolean);
  /** Trace every decision to `debug('modrewrite:engine')`, or to this function. */
  readonly trace?: boolean | ((line: string) => void);
  /**
   * Add X-Filename, X-Query and X-Env-* to every response (what the conformance recorder asks
   * Apache for).
   * @default false
   */
  readonly debugHeaders?: boolean;
  /** Where broken `.htaccess` files are reported. @default console.error */
  readonly log?: (message: string) => void;
  /**
   * Small files answered from memory while their stat() is unchanged (site/file-cache.ts), or
   * false to read every file from disk. @default { maxBytes: 32 MiB, maxFileBytes: 256 KiB }
   */
  readonly fileCache?: boolean | FileCacheOptions;
}

/**
 * Creates the site middleware: a whole Apache vhost over the document root `options.root` —
 * server-context rules (`config`), every `.htaccess` on the way, mod_dir, the static files with
 * Apache's types and error pages, internal redirects. `upgrade` takes WebSocket upgrades for `[P]`.
 * @example
 * const app = express();
 * app.use(site({ root: '/srv/www', config: { file: '/etc/site/rewrite.conf' } }));
 * // or with the server rules inline, and a proxy for [P]:
 * const config = 'RewriteRule ^/api/(.*) http://127.0.0.1:8000/$1 [P]';
 * app.use(site({ root: '/srv/www', config, proxy: proxy() }));
 */
export function site<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
>(given: SiteOptions<Req, Res>): SiteHandler<Req, Res> {
  const options = withDocumentRoot(given);
  // <VirtualHost> sections: one site() per vhost, chosen per request (site/virtual-hosts.ts)
  const vhosts = virtualHostConfig(options);
  // the prg: maps of a config compiled for its DocumentRoot are still this site's to close
  const owned = { ...options, config: given.config };
  if (vhosts) return virtualHostSite(owned, vhosts, site<Req, Res>);
  const { config, serverRules, store, roots, trust, traceFn } = resolveSite(options);
  const fileCache = fileCacheOf(options.fileCache);
  const answerer = new SiteAnswer<Req, Res>({
    options,
    config,
    trust,
    traceFn,
    roots,
    symlinks: options.symlinks ?? 'inside',
    fallthrough: options.fallthrough ?? true,
    extensionHandlers: Object.entries(options.addHandler ?? {}),
    fileCache,
  });
  const middleware = siteMiddlewareOf(answerer);

  /**
   * `server.on('upgrade', s.upgrade)`: WebSocket handshakes through the same vhost; [P] →
   * proxy.upgrade.
   */
  const upgrade = (
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    next?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void,
  ): void => siteUpgrade(config, trust, options.proxy, { req, socket, head, next });
  // close(): the prg: children of RewriteMaps in `config` end (they also end with the process)
  const programs = ownedPrograms(given.config, serverRules, options.maps);
  const close = (): void => {
    for (const program of programs) program.close();
  };
  const result = Object.assign(middleware, { upgrade, close });
  caches.set(result, { store, dirs: config.dirs!, fileCache });
  if (programs.length === 0) closesNothing.add(result);
  return result;
}

/** The site() handlers whose close() has nothing to release (no prg: map of their own). */
const closesNothing = new WeakSet<object>();

/**
 * Internal (serve's reload): whether `handler`'s close() releases anything. True for any handler
 * site() did not make itself without a program to end (e.g. one over `<VirtualHost>` sections).
 */
export function siteReleasesOnClose(handler: object): boolean {
  return !closesNothing.has(handler);
}

/** The middleware itself: the pipeline (site/pipeline.ts) for each request, then its answer. */
function siteMiddlewareOf<Req extends IncomingMessage, Res extends ServerResponse>(
  answerer: SiteAnswer<Req, Res>,
): (req: Req, res: Res, next?: Next) => void {
  const { options, config, trust, traceFn } = answerer.ctx;
  const log = (message: string): void => (options.log ?? debug)(message);
  return function siteMiddleware(req: Req, res: Res, next?: Next): void {
    const done: Next =
      next ?? ((err?: unknown) => (err ? sendFailure(req, res, err) : sendStatus(req, res, 404)));
    if (answeredByServer(req, res, config)) return;
    // an exception while answering is this vhost's 500 page (like Apache's), logged; it never
    // escapes
    const fail = (err: unknown): void => {
      log(`modrewrite: ${req.url}: 500 ${(err as Error)?.message ?? String(err)}`);
      sendFailure(req, res, err);
    };
    const mount = mountOf(req);
    const view = requestView(req, trust);
    const answer = (r: SiteResult): void =>
      answerSafely(res, fail, () => answerer.answer(req, res, done, r, view));
    const failed = (err: unknown): void => {
      // e.g. ERR_MAP_TIMEOUT: a map that never answered (the error log says which)
      const code = (err as { code?: string }).code;
      log(`modrewrite: ${req.url}: 500 ${code ? code + ': ' : ''}${(err as Error).message}`);
      answerSafely(res, fail, () => done(err));
    };
    earlyRequestHeaders(config, req, view);
    let r: SiteResult | Promise<SiteResult>;
    try {
      // synchronous unless a map or a sub-request waits: no promise, no microtask per request
      r = resolveRequestNow(config, {
        view,
        target: req.url ?? '/',
        trace: traceFn,
        mountPath: mount?.path,
        bareMount: mount?.bare,
      });
    } catch (err) {
      failed(err);
      return;
    }
    if (r instanceof Promise) r.then(answer, failed);
    else answer(r);
  };
}

/**
 * The ServerSignature of a page answered before any section applies (ap_read_request's 400s): the
 * server config's own lines, outside `<Files>`/`<If>` (its lookup_defaults; case 440). The Host
 * is not read: it is the one refused, so the name is ServerName's (requestHost).
 */
function signServerPage(req: IncomingMessage, res: ServerResponse, config: SiteConfig): void {
  const lines = config.serverRules?.env?.signatures.filter((e) => !e.files && !e.when);
  const kind = lines?.[lines.length - 1]?.value;
  if (!kind || kind === 'off') return;
  const view = requestView(req, () => false);
  const noHost = Object.create(view, { headers: { value: {}, enumerable: true } }) as RequestView;
  setSignature(
    res,
    signatureAddress(kind, noHost, config.server, config.serverRules?.serverBanner),
  );
}

/** What the server answers before mapping anything; true when it did. */
function answeredByServer(req: IncomingMessage, res: ServerResponse, config: SiteConfig): boolean {
  // `OPTIONS *` is the server's own business: http_core's map_to_storage hook
  // (http_send_options) answers DONE, "Send HTTP pong, without Allow header"; no file is mapped
  if (req.url === '*') {
    if (req.method === 'OPTIONS') {
      res.setHeader('Content-Length', 0);
      res.end();
    } else sendStatus(req, res, 400);
    return true;
  }
  // a Host Apache's fix_hostname refuses is a 400 (recorded), never reflected into a Location;
  // so is an HTTP/1.1 request without one (ap_read_request; node refuses it before us unless the
  // server says requireHostHeader: false, as serve's does: case 456)
  if (refusedHost(req.headers) || missingHost(req)) {
    setServerAdmin(res, config.server.serverAdmin);
    signServerPage(req, res, config);
    sendStatus(req, res, 400);
    return true;
  }
  return false;
}

/**
 * The last Host header found valid. Keep-alive clients send the same Host on every request, and
 * checking it (engine/request.ts parseHost, a pure function of the string) was 1.3% of serve's
 * CPU under `[P]` load (the profile): an equal string is the same answer.
 */
let lastValidHost: string | undefined;

/** invalidHost(), answered from `lastValidHost` when the Host header is that string. */
/**
 * The server's name and port (s->port, which self-reduction compares): the option, written as
 * Apache's ServerName (`host[:port]`), else the configuration's ServerName and port.
 */
function serverNameOf(
  option: string | undefined,
  serverRules: RuleSet | undefined,
): { serverName?: string; serverPort?: number } {
  const own = serverRules?.server;
  const named = splitServerName(option ?? own?.serverName);
  const serverPort = named.serverPort ?? own?.serverPort;
  return { ...named, ...(serverPort !== undefined && { serverPort }) };
}

/** ap_read_request: HTTP/1.1 and later must name the host (absolute-form targets aside). */
function missingHost(req: IncomingMessage): boolean {
  if (req.headers.host !== undefined || req.httpVersionMajor !== 1 || req.httpVersionMinor < 1)
    return false;
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(req.url ?? '');
}

function refusedHost(headers: IncomingMessage['headers']): boolean {
  const host = headers.host;
  if (host !== undefined && host === lastValidHost) return false;
  if (invalidHost(headers)) return true;
  if (typeof host === 'string') lastValidHost = host;
  return false;
}

/** What site()'s answers read: its options and what was resolved from them once. */
interface SiteContext<Req extends IncomingMessage, Res extends ServerResponse> {
  readonly options: SiteOptions<Req, Res>;
  readonly config: SiteConfig;
  readonly trust: (addr: string, i: number) => boolean;
  readonly traceFn: ((line: string) => void) | undefined;
  readonly roots: readonly string[];
  readonly symlinks: 'inside' | 'follow' | 'deny';
  readonly fallthrough: boolean;
  readonly extensionHandlers: readonly [string, string][];
  readonly fileCache: FileCache | undefined;
}

function fileCacheOf(option: boolean | FileCacheOptions | undefined): FileCache | undefined {
  if (option === false) return undefined;
  return new FileCache(option === true ? {} : option);
}

/** The default handler's turn in the pipeline's words (site/pipeline.ts). */
type FileAnswer = Extract<SiteResult, { type: 'file' }>;

/**
 * Turns what the pipeline decided into HTTP: redirects, error pages (ErrorDocument), files,
 * handlers.
 */
class SiteAnswer<Req extends IncomingMessage, Res extends ServerResponse> {
  constructor(readonly ctx: SiteContext<Req, Res>) {}

  answer(req: Req, res: Res, next: Next, r: SiteResult, view: RequestView): void {
    const { options, config } = this.ctx;
    const { acc } = r;
    this.prepare(req, res, r, view);
    if (answeredBodyLimit(config, req, res, r)) return;
    switch (r.type) {
      case 'redirect':
        // a rule's [R] answers even an ErrorDocument's own request (ap_die_r sees that request's
        // status still 200); mod_alias's and mod_dir's redirects there give the first status with
        // Apache's "Additionally" paragraph (recorded, case 305)
        // and after an internal redirect made with a redirect rule's r->status (case 333)
        if ((acc.errorStatus !== undefined || acc.statusOf) && !r.rule)
          this.sendError(req, res, next, r.status, r);
        else sendRedirect(req, res, r.status, r.location);
        return;
      case 'status':
        if (r.status >= 500)
          (options.log ?? debug)(
            `modrewrite: ${req.url}: ${r.status} ${statusErrorCode(r.cause)}${r.reason ? `: ${r.reason}` : ''}`,
          );
        setRuleAllow(res, r.status, config.traceEnable !== false);
        this.sendError(req, res, next, r.status, r, r.notes);
        return;
      case 'proxy':
        // no Vary from the conditions: mod_proxy_http replaces headers_out with the backend's,
        // keeping only Set-Cookie (ap_proxy_http_process_response; case 407)
        if (options.proxy) handOff(options.proxy, req, res, next, r);
        else sendStatus(req, res, 403);
        return;
      case 'trace':
        answerTrace(req, res, config.traceEnable !== false);
        return;
      case 'file':
        this.answerFile(req, res, next, r);
    }
  }

  /** What every answer carries: mod_headers' hook, `req.rewrite`, [CO]'s cookies, debug headers. */
  private prepare(req: Req, res: Res, r: SiteResult, view: RequestView): void {
    const { options, config } = this.ctx;
    const { acc } = r;
    // mod_headers and mod_expires act on whatever answers below (before [T=]'s hook: it wins)
    startHeaders(config, req, res, r, view);
    // only when there is something to tell: a new property on every request costs (hidden class)
    if (acc.env.size || acc.internalRedirects)
      (req as unknown as { rewrite: RewriteInfo }).rewrite = siteRewriteInfo(r, envObject(acc.env));
    if (options.debugHeaders) debugHeaders(res, r);
    addCookies(res, acc.cookies);
    if (acc.negotiation) negotiationHeaders(res, acc.negotiation);
    if (acc.authenticate) res.setHeader('WWW-Authenticate', acc.authenticate);
    signPages(res, r, view, config);
  }

  /** The default handler's turn: a handler, mod_dir's index, the app (fallthrough) or the file. */
  private answerFile(req: Req, res: Res, next: Next, r: FileAnswer): void {
    const { options, config } = this.ctx;
    const { acc, filename, pathInfo, stat } = r;
    const settings = fileSettingsFor(
      config,
      stat?.isDirectory() ? `${filename}/.` : filename,
      r.uri,
    );
    const handlerName = this.handlerNameOf(r, settings);
    const handler = handlerName ? registeredHandler(options.handlers, handlerName) : undefined;
    // a ScriptAlias'd file would run as a CGI script: not its source (a missing one is mod_cgi's
    // 404 too, a directory goes on to mod_dir: case 417)
    const unemulated =
      UNEMULATED_HANDLERS.has(handlerName ?? '') ||
      (acc.scriptAliased === true && handlerName === 'cgi-script' && stat?.isFile() === true);
    if (!handler && handlerName && unemulated) {
      (options.log ?? debug)(`modrewrite: ${req.url}: 500 handler ${handlerName} is not emulated`);
      sendStatus(req, res, 500);
      return;
    }
    if (this.refusedPath(req, res, next, r)) return;
    // an ErrorDocument's page keeps the status it answers for (the handler may still change it)
    if (acc.errorStatus !== undefined) res.statusCode = acc.errorStatus;
    // a redirect rule's r->status, kept by a later local rewrite (case 333)
    else if (acc.redirectStatus !== undefined) res.statusCode = acc.redirectStatus;
    // Vary goes on what the file or the app answers, never on Apache's own error pages (recorded)
    if (acc.contentType) forceContentType(res, acc.contentType);
    // core's AcceptPathInfo: On serves a file with PATH_INFO, Off refuses it even to a handler
    const acceptPathInfo = settings.mime?.acceptPathInfo;
    if (pathInfo && acceptPathInfo === 'off' && stat?.isFile()) {
      sendStatus(req, res, 404);
      return;
    }
    if (handler && stat) {
      runHandler(req, res, next, r, handler);
      return;
    }
    if (
      stat?.isDirectory() &&
      !pathInfo &&
      listsDirectories(handlerName) &&
      this.answeredDirectory(req, res, next, r)
    )
      return;
    // an ErrorDocument is fetched with GET (ap_die_r)
    const method = acc.errorStatus !== undefined ? 'GET' : (req.method ?? 'GET');
    const servePathInfo = acceptPathInfo === 'on' && stat?.isFile();
    if (!stat || (pathInfo && !servePathInfo) || stat.isDirectory()) {
      this.answerNoFile(req, res, next, r, method);
      return;
    }
    // Apache's default handler delivers a file for GET, HEAD and POST alike (recorded); OPTIONS,
    // 405 and 501 as site/methods.ts says
    if (!isDeliveryMethod(method)) {
      this.answerMethod(req, res, next, r, fileContentType(config, filename, acc.contentType));
      return;
    }
    this.deliver(req, res, next, r, stat, settings);
  }

  /** [H=] / SetHandler, else mod_mime's AddHandler, else the `addHandler` option's extensions. */
  private handlerNameOf(r: FileAnswer, settings: FileSettings): string | undefined {
    const { filename, acc } = r;
    return (
      acc.handler ??
      handlerFor(filename, settings.mime) ??
      this.ctx.extensionHandlers.find(([ext]) => filename.endsWith(ext))?.[1]
    );
  }

  /**
   * What is never served whatever the rules said: a file outside every root (404), a dotfile
   * other than `.ht*` (404 unless `dotfiles`), a symbolic link the `symlinks` option refuses (403).
   */
  private refusedPath(req: Req, res: Res, next: Next, r: FileAnswer): boolean {
    const { options, roots, symlinks } = this.ctx;
    const { filename, stat } = r;
    const servedFrom = roots.find((x) => underRoot(filename, x));
    const dots = servedFrom ? dotSegment(filename, servedFrom) : 'none';
    // `.ht*` is the access phase's (Debian's <FilesMatch "^\.ht">, which a <Files> section of an
    // .htaccess can override: case 391), not a dotfile here
    const status = !servedFrom ? 404 : dots === 'dot' && !options.dotfiles ? 404 : undefined;
    if (status) {
      this.sendError(req, res, next, status, r);
      return true;
    }
    // the walk saw every segment with lstat: without a link on the way the real path is the path
    if (!stat || symlinks === 'follow' || !r.symlink) return false;
    const real = realpathOf(filename);
    const refused =
      !real || (symlinks === 'deny' ? real !== filename : !roots.some((x) => underRoot(real, x)));
    if (refused) this.sendError(req, res, next, 403, r);
    return refused;
  }

  /** mod_dir and mod_autoindex for a directory (site/directory-handler.ts); false: not answered. */
  private answeredDirectory(req: Req, res: Res, next: Next, r: FileAnswer): boolean {
    const { config, trust, fallthrough } = this.ctx;
    return answerDirectory(req, res, {
      config,
      filename: r.filename,
      uri: r.uri,
      args: r.args,
      mountPath: mountOf(req)?.path ?? '',
      fallthrough,
      view: () => requestView(req, trust),
      env: r.acc.env,
      vary: r.acc.vary,
      cookies: r.acc.cookies,
      // an ErrorDocument's request: a GET, answered with its status (ap_die_r; case 334)
      method: r.acc.errorStatus !== undefined ? 'GET' : req.method,
      status: r.acc.errorStatus ?? r.acc.redirectStatus,
      fail: (status) => this.sendError(req, res, next, status, r),
    });
  }

  /**
   * Core's answer to a method other than GET/POST (site/methods.ts): OPTIONS, TRACE, 405 or 501,
   * with the Vary the rules added and a status a redirect rule left (case 333).
   */
  private answerMethod(
    req: Req,
    res: Res,
    next: Next,
    r: FileAnswer,
    contentType: string | undefined,
  ): void {
    const { acc } = r;
    const trace = this.ctx.config.traceEnable !== false;
    answerOtherMethod(
      req,
      res,
      { contentType, trace, vary: acc.vary, status: acc.redirectStatus },
      (status) => this.sendError(req, res, next, status, r),
    );
  }

  /**
   * Nothing to deliver (missing, a directory, PATH_INFO refused): the app, 404 or the method's
   * answer.
   */
  private answerNoFile(req: Req, res: Res, next: Next, r: FileAnswer, method: string): void {
    const { config, fallthrough } = this.ctx;
    const { acc } = r;
    // core's default handler: any method but GET/POST (HEAD is GET) is answered, file or not
    if (!fallthrough && !isDeliveryMethod(method)) {
      // mod_mime typed the missing file by its name all the same, and a directory as
      // httpd/unix-directory whatever handler a rule forced (OPTIONS sends it; idiom seed 103503)
      const contentType = r.stat?.isDirectory()
        ? directoryContentType(config, r.filename)
        : fileContentType(config, r.filename, acc.contentType);
      this.answerMethod(req, res, next, r, contentType);
      return;
    }
    if (fallthrough && acc.errorStatus === undefined) {
      appendVary(res, acc.vary);
      // the app sees the rewritten URL-path (a server-context rewrite keeps r->uri in Apache)
      req.url = escapeUri(r.path) + (r.args !== null ? '?' + queryForUrl(r.args) : '');
      next();
      return;
    }
    this.sendError(req, res, next, 404, r);
  }

  /** The file itself: from memory when cached, else streamed by send (site/static-file.ts). */
  private deliver(
    req: Req,
    res: Res,
    next: Next,
    r: FileAnswer,
    stat: Stats,
    settings: FileSettings,
  ): void {
    const { acc, filename } = r;
    appendVary(res, acc.vary);
    const cached = stat.isFile() ? this.ctx.fileCache?.get(filename, stat) : undefined;
    const { headers, eTag } = fileFacts(filename, stat, settings, cached);
    const type = acc.contentType ?? headers.type;
    // mod_deflate leaves a no-gzip response alone before it marks Vary (recorded, case 241)
    // ...and mod_filter's filter_harness drops it for a status other than 200 (an ErrorDocument's,
    // a redirect rule's kept one: case 334)
    // ...and gzip-only-text/html keeps it off any other type, before Vary too (case 374)
    const deflates =
      deflateVaries(type, headers.encoding, stat.size, settings.mime) &&
      !acc.env.has('no-gzip') &&
      !gzipOnlyHtmlRefuses(type, acc.env) &&
      res.statusCode === 200;
    const modified = cached?.lastModified ?? stat.mtime.toUTCString();
    serveFile(req, res, filename, {
      contentType: acc.contentType,
      modified,
      size: stat.size,
      rangeLimits: rangeLimits(settings.mime),
      defaultCharset: settings.defaultCharset,
      headers,
      eTag,
      cached,
      vary: deflates ? DEFLATE_VARY : undefined,
      compress:
        deflates && deflateAccepted(req.headers['accept-encoding'], acc.env)
          ? { lastModified: modified }
          : undefined,
      onError: (status) => {
        if (res.headersSent) res.destroy();
        else if (status === 412) answerPreconditionFailed(req, res);
        else {
          // ap_send_error_response clears headers_out, where the rules' and mod_deflate's Vary
          // went, send's Content-Range and the default handler's ETag, Last-Modified and
          // Accept-Ranges, and r->content_languages: a 416 page carries none (cases 373, 510)
          for (const name of HANDLER_FIELDS) res.removeHeader(name);
          this.sendError(req, res, next, fileErrorStatus(status), r);
        }
      },
    });
  }

  /** An error answer through core's ErrorDocument (site/error-document.ts). */
  sendError(req: Req, res: Res, next: Next, status: number, r: SiteResult, notes?: string): void {
    const { options, config, trust, traceFn } = this.ctx;
    sendErrorDocument(req, res, status, r, notes, {
      config,
      trust,
      trace: traceFn,
      mountPath: mountOf(req)?.path,
      beforeFirst: (first) => {
        if (!options.debugHeaders) return;
        for (const name of res.getHeaderNames())
          if (/^x-(env-|filename$|query$)/.test(name)) res.removeHeader(name);
        debugHeaders(res, first);
      },
      answer: (again) =>
        answerSafely(
          res,
          (err) => sendFailure(req, res, err),
          () => this.answer(req, res, next, again, requestView(req, trust)),
        ),
      fail: (err) => sendFailure(req, res, err),
    });
  }
}

/**
 * mod_negotiation's err_headers_out (site/negotiation.ts): before the Vary of headers_out, which
 * Apache's header filter overlays on them (ap_http_header_filter).
 */
function negotiationHeaders(
  res: ServerResponse,
  headers: readonly (readonly [string, string])[],
): void {
  for (const [name, value] of headers) {
    if (name === 'Vary') appendVary(res, value.split(', '));
    else res.setHeader(name, value);
  }
}

/** What mod_deflate adds to Vary for a type it compresses (made once: files are served often). */
const DEFLATE_VARY: readonly string[] = ['Accept-Encoding'];

/**
 * The fields a file's answer has set when its Range fails (416): r->headers_out's, and the
 * request_rec's language and encoding, which ap_send_error_response resets too.
 */
const HANDLER_FIELDS: readonly string[] = [
  'Vary',
  'Content-Range',
  'ETag',
  'Last-Modified',
  'Accept-Ranges',
  'Content-Language',
  'Content-Encoding',
];

/** A registered handler answers the mapped file (`req.filename`, `req.pathInfo`). */
function runHandler<Req extends IncomingMessage, Res extends ServerResponse>(
  req: Req,
  res: Res,
  next: Next,
  r: FileAnswer,
  handler: Handler<Req & SiteRequest, Res>,
): void {
  // set only for handlers: two new properties on every request would cost (hidden classes)
  const sreq = req as Req & SiteRequest;
  sreq.filename = r.filename;
  sreq.pathInfo = r.pathInfo;
  appendVary(res, r.acc.vary);
  handler(sreq, res, next);
}

/**
 * A WebSocket handshake through the site's pipeline: [P] goes to the proxy's upgrade, else refused.
 */
function siteUpgrade(
  config: SiteConfig,
  trust: (addr: string, i: number) => boolean,
  proxy: unknown,
  handshake: {
    req: IncomingMessage;
    socket: Duplex;
    head: Buffer;
    next?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  },
): void {
  const { req, socket, head, next } = handshake;
  if (invalidHost(req.headers)) {
    refuse(socket, 400);
    return;
  }
  resolveRequest(config, { view: requestView(req, trust), target: req.url ?? '/' })
    .then(
      (r) => {
        const up = (
          proxy as
            | { upgrade?: (q: IncomingMessage, s: Duplex, h: Buffer, p: ProxyRequest) => void }
            | undefined
        )?.upgrade;
        if (r.type === 'proxy' && up) {
          up(
            req,
            socket,
            head,
            r.self
              ? { target: r.target, noCanon: r.noCanon, self: true }
              : { target: r.target, noCanon: r.noCanon },
          );
          return;
        }
        if (r.type !== 'proxy' && next && r.type !== 'redirect' && r.type !== 'status') {
          next(req, socket, head);
          return;
        }
        const status =
          r.type === 'redirect' || r.type === 'status' ? r.status : r.type === 'proxy' ? 403 : 404;
        refuse(socket, status, r.type === 'redirect' ? r.location : undefined);
      },
      () => socket.destroy(),
    )
    .catch(() => socket.destroy());
}

/**
 * What site() resolves once from its options: the checked options, the compiled server config
 * (RewriteEngine implied, warnings logged), the .htaccess store, the roots and the pipeline's
 * SiteConfig with its defaults merged.
 */
function resolveSite<Req extends IncomingMessage, Res extends ServerResponse>(
  options: RootedOptions<Req, Res>,
) {
  checkSiteOptions(options);
  const root = resolveRoots([
    existingFolder(options.root, options.vhostRoot && (options.log ?? debug)),
  ])[0];
  const written = loadServerConfig(options);
  overriddenRoot(options, written?.server?.documentRoot);
  const serverRules: RuleSet | undefined = written && withImpliedEngine(written);
  const store = htaccessStoreOf(options, root, serverRules, written?.file);
  const roots = [root, ...resolveRoots(options.allowedRoots ?? [])];
  const config = siteConfigOf(options, { root, serverRules, store, roots });
  const trust = compileTrust(options.trustProxy);
  const traceFn = traceSink(options.trace);
  const note =
    written &&
    inferenceNote(
      `site() config${written.file ? ` (${written.file})` : ''}`,
      { context: 'server', because: 'given' },
      written,
    );
  if (note) traceFn?.(note);
  return { config, serverRules, store, roots, trust, traceFn };
}

/** `root` given and a different DocumentRoot in the config: the option wins, said once. */
function overriddenRoot(
  options: RootedOptions<never, never>,
  configRoot: string | undefined,
): void {
  if (configRoot === undefined || configRoot === resolve(options.root)) return;
  (options.log ?? ((m: string) => console.error(m)))(
    `modrewrite: warning: the config's DocumentRoot ${configRoot} is not used: root / --root ${resolve(options.root)} is served`,
  );
}

/** Site options whose document root is known. */
type RootedOptions<Req extends IncomingMessage, Res extends ServerResponse> = SiteOptions<
  Req,
  Res
> & { readonly root: string };

/**
 * The options with their document root: `root`, else the main server's `DocumentRoot` in `config`
 * (core.c set_document_root; case 416). The config is compiled once here and handed on compiled,
 * its warnings logged here.
 */
function withDocumentRoot<Req extends IncomingMessage, Res extends ServerResponse>(
  options: SiteOptions<Req, Res>,
): RootedOptions<Req, Res> {
  checkSiteOptions(options);
  if (options.root !== undefined) return options as RootedOptions<Req, Res>;
  const written = loadServerConfig(options)!;
  const root = written.server?.documentRoot;
  if (root === undefined)
    throw optionsError(
      'site()',
      'option `root` (the document root folder) is required: the config has no DocumentRoot outside <VirtualHost>',
    );
  return { ...options, root, config: { ...written, warnings: undefined } };
}

/**
 * `config`, compiled as the vhost's server context whatever its file is called (RewriteEngine is
 * implied for it like for rewrite(text), compile/entry.ts); its warnings logged.
 */
function loadServerConfig<Req extends IncomingMessage, Res extends ServerResponse>(
  options: SiteOptions<Req, Res>,
) {
  if (options.config === undefined) return undefined;
  checkRulesInput('site() config', options.config);
  const written = loadRules(options.config, {
    context: 'server',
    maps: options.maps,
    mapRoot: options.mapRoot,
    defines: options.defines,
    environment: options.environment,
    // Header/RequestHeader/Expires* in the server config act on every response of the site;
    // translate_name applies the server's Redirect and Alias lines (site/alias.ts)
    siteDirectives: true,
  });
  for (const w of written.warnings ?? [])
    (options.log ?? ((m: string) => console.error(m)))(
      `modrewrite: ${w.file ?? 'site() config'}:${w.line}:${w.column}: warning ${w.code}: ${w.message}`,
    );
  return written;
}

/** The .htaccess files below the root and the server's `<Directory>` walk, as Apache reads them. */
function htaccessStoreOf<Req extends IncomingMessage, Res extends ServerResponse>(
  options: SiteOptions<Req, Res>,
  root: string,
  serverRules: RuleSet | undefined,
  configFile: string | undefined,
): HtaccessStore | undefined {
  const ht = options.htaccess ?? true;
  // <Directory>/<Location> sections need the store's walk even when .htaccess files are off
  const walk = directoryWalk(serverRules, ht !== false);
  if (ht === false && !walk) return undefined;
  return new HtaccessStore(root, {
    walk,
    // the option, else the config's AccessFileName (core's access_name)
    fileName:
      (typeof ht === 'object' ? ht.fileName : undefined) ?? serverRules?.server?.accessFileName,
    recheckMs: typeof ht === 'object' ? ht.recheckMs : undefined,
    log: options.log,
    // maps are server configuration: RewriteMaps declared in `config` are usable in every .htaccess
    compile: {
      maps: { ...options.maps, ...Object.fromEntries(serverRules?.maps ?? []) },
      // one ServerRoot for the whole server, as in Apache: <IfFile> in an .htaccess
      // resolves against it, not against the .htaccess folder
      mapRoot: options.mapRoot ?? (configFile ? dirname(configFile) : process.cwd()),
      defines: options.defines,
      // ${NAME} and <IfDefine> in an .htaccess see the config's Defines once it was read
      definitions: serverRules?.definitions,
      environment: options.environment,
    },
  });
}

/** The pipeline's configuration: what was resolved, and the options' defaults merged once. */
function siteConfigOf<Req extends IncomingMessage, Res extends ServerResponse>(
  options: SiteOptions<Req, Res>,
  resolved: {
    root: string;
    serverRules: RuleSet | undefined;
    store: HtaccessStore | undefined;
    roots: string[];
  },
): SiteConfig {
  const { root, serverRules, store, roots } = resolved;
  const ht = options.htaccess ?? true;
  const recheckMs = ht === true || ht === false ? 1000 : (ht.recheckMs ?? 1000);
  const mapTimeout = checkMapTimeout(options.mapTimeout);
  const hasMaps = (serverRules?.maps.size ?? 0) > 0 || Object.keys(options.maps ?? {}).length > 0;
  return {
    root,
    serverRules,
    store,
    allowedRoots: roots,
    server: {
      documentRoot: root,
      // the option, else the config's own ServerName (core's, as in a <VirtualHost>), with the
      // port it names (s->port: a <VirtualHost>'s address port when it names none)
      ...serverNameOf(options.serverName, serverRules),
      serverAliases: options.serverAliases,
      // a <VirtualHost>'s UseCanonicalName (site/virtual-hosts.ts); Off otherwise
      useCanonicalName: serverRules?.server?.useCanonicalName,
      serverAdmin: serverRules?.server?.serverAdmin,
    },
    directorySlash: options.directorySlash ?? true,
    directoryIndex: options.directoryIndex ?? ['index.html'],
    // the directories above a file are re-checked as often as the .htaccess files in them
    dirs: new DirCache(recheckMs),
    // untraced requests ask it before the engine (site/pipeline.ts screened)
    screen: serverRules && buildScreen(serverRules, { fs: nodeFs, direct: true }),
    // without maps no request ever waits: no budget to allocate per request
    mapTimeout: hasMaps ? mapTimeout : undefined,
    traceEnable: serverRules?.traceEnable ?? true,
  };
}

interface FileFacts {
  readonly settings: FileSettings;
  readonly headers: ReturnType<typeof fileHeaders>;
  readonly eTag: string | false;
}

/**
 * mod_mime's fields and the ETag of a file: worked out once per version of a cached file and per
 * settings object (a directory chain's settings are one object until its .htaccess changes).
 */
function fileFacts(
  filename: string,
  stat: Stats,
  settings: FileSettings,
  cached: CachedFile | undefined,
): FileFacts {
  const known = cached?.derived as FileFacts | undefined;
  if (known && known.settings === settings) return known;
  const facts: FileFacts = {
    settings,
    headers: fileHeaders(filename, settings),
    eTag: apacheETag(filename, stat, settings.mime) ?? false,
  };
  // a weak ETag (modified within the last second) turns strong later: worked out again then
  if (cached && !(facts.eTag && facts.eTag.startsWith('W/'))) cached.derived = facts;
  return facts;
}

/**
 * The document root must be an existing folder, as in Apache: `apache2 -t` (2.4.71) with a missing
 * DocumentRoot stops with "AH00526: Syntax error ... DocumentRoot '...' is not a directory, or is
 * not readable" instead of starting and answering 404 for everything. A `<VirtualHost>`'s is only
 * warned about (`warn` given: set_document_root checks `cmd->server->is_virtual`; case 451).
 */
function existingFolder(root: string, warn?: ((message: string) => void) | false): string {
  const path = resolve(root);
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch {
    if (warn) {
      warn(`modrewrite: warning: <VirtualHost> DocumentRoot [${path}] does not exist`);
      return root;
    }
    throw optionsError('site()', `document root folder not found: ${path}`);
  }
  if (!stats.isDirectory()) throw optionsError('site()', `document root is not a folder: ${path}`);
  return root;
}

/** RFC 9110 token: what a header name can be. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * `debugHeaders`: what the conformance recorder asks Apache for. Its `Header always set` lines
 * skip a value holding control characters, so do we; a variable name with a control character
 * ([E=$1:v] from the request) is refused like any header built from request data (500). Other
 * names no header can carry (BrowserMatch's `gzip-only-text/html`, case 374) are skipped.
 */
function debugHeaders(res: ServerResponse, r: SiteResult): void {
  const own = r.type === 'file' ? r.requestFilename : undefined;
  const filename = own ?? ('filename' in r && r.filename ? r.filename : '');
  if (isValidHeaderValue(filename)) res.setHeader('X-Filename', filename);
  if (isValidHeaderValue(r.args ?? '')) res.setHeader('X-Query', r.args ?? '');
  for (const [k, v] of r.acc.env) {
    if (!/[\x00-\x1f\x7f]/.test(k) && !HEADER_NAME.test(k)) continue;
    if (v && !/[\x00-\x1f\x7f]/.test(v) && isValidHeaderValue(v))
      setCheckedHeader(res, `X-Env-${k}`, v);
  }
}

const caches = new WeakMap<
  object,
  { store: HtaccessStore | undefined; dirs: DirCache; fileCache: FileCache | undefined }
>();

/**
 * Internal: the sizes of a site()'s caches keyed by request data (each has a bound; tests check
 * it).
 */
export function siteCacheSizes(middleware: object):
  | {
      htaccessEntries: number;
      merged: number;
      mergedWeight: number;
      compiled: number;
      dirs: number;
      cachedFiles: number;
      cachedBytes: number;
    }
  | undefined {
  const c = caches.get(middleware);
  if (!c) return undefined;
  const s = c.store?.cacheSizes() ?? { entries: 0, merged: 0, mergedWeight: 0, compiled: 0 };
  return {
    htaccessEntries: s.entries,
    merged: s.merged,
    mergedWeight: s.mergedWeight,
    compiled: s.compiled,
    dirs: c.dirs.size,
    cachedFiles: c.fileCache?.size.files ?? 0,
    cachedBytes: c.fileCache?.size.bytes ?? 0,
  };
}

/**
 * The mount path of an Express router mount (`req.baseUrl`), and whether the request named it
 * without a trailing slash: Express hands both `/site` and `/site/` on as `req.url = '/'`.
 */
export function mountOf(req: IncomingMessage): { path: string; bare: boolean } | undefined {
  const base = (req as { baseUrl?: unknown }).baseUrl;
  if (typeof base !== 'string' || base === '') return undefined;
  const original = String((req as { originalUrl?: unknown }).originalUrl ?? '');
  const q = original.indexOf('?');
  return { path: base, bare: (q < 0 ? original : original.slice(0, q)) === base };
}

/** The environment for `req.rewrite.env` (byte strings decoded as UTF-8). */
export function envObject(env: ReadonlyMap<string, string>): Record<string, string> {
  const o: Record<string, string> = {};
  // a plain assignment defines an own property for every name but `__proto__` (Object.prototype's
  // only setter); defineProperty for each, on every request, cost more (the profile)
  for (const [k, v] of env) {
    if (k === '__proto__') setOwn(o, k, bytesToUtf8(v));
    else o[k] = bytesToUtf8(v);
  }
  return o;
}
