/**
 * `site({ root, config })`: a virtual host with a DocumentRoot — server-context rules, `.htaccess`
 * files, DirectorySlash, DirectoryIndex, static files and Apache's error pages, with `[P]` handed
 * to the proxy. See pipeline.ts for the decisions; this file answers them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RuleSet } from '../compile/ruleset.js';
import { bytesToUtf8 } from '../engine/bytes.js';
import { escapeUri } from '../engine/escape.js';
import { handOff } from '../http/hand-off.js';
import { loadRules } from '../http/load-rules.js';
import { compileTrust, requestView } from '../http/request-view.js';
import { appendVary, sendRedirect, sendStatus } from '../http/respond.js';
import { refuse } from '../http/upgrade.js';
import { debug, forceContentType } from '../http/rewrite.js';
import type { Handler, Next, ProxyHandler, ProxyRequest, RulesInput } from '../http/types.js';
import type { UserMapFunction, RewriteMapSource } from '../engine/maps.js';
import { HtaccessStore } from './htaccess-store.js';
import { DirCache, dotSegment, realpathOf, resolveRoots, underRoot } from './paths.js';
import { resolveRequest, type SiteConfig, type SiteResult } from './pipeline.js';
import { serveFile } from './static-file.js';

export interface SiteRequest extends IncomingMessage {
  /** The file the request was mapped to (set before a handler runs). */
  filename?: string;
  /** PATH_INFO of that mapping. */
  pathInfo?: string;
}

export interface SiteOptions<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse> {
  /** DocumentRoot. */
  readonly root: string;
  /** Server-context directives (text, `{ file }` or a compiled RuleSet): RewriteEngine/Cond/Rule/Map/Options, DirectorySlash, DirectoryIndex. */
  readonly config?: RulesInput;
  /** Further folders a filesystem substitution may be served from (the document root always may). @default [] */
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
  /** A missing file calls `next()` (with `req.url` rewritten) instead of answering 404. @default true */
  readonly fallthrough?: boolean;
  /** Symbolic links: `inside` follows links whose target stays under the roots, `follow` any, `deny` none. @default 'inside' */
  readonly symlinks?: 'inside' | 'follow' | 'deny';
  /** Serve dotfiles other than `.ht*` (those are always 403, like Apache's stock config). @default false */
  readonly dotfiles?: boolean;
  readonly maps?: Readonly<Record<string, UserMapFunction | RewriteMapSource>>;
  /** Folder relative map paths in `config` resolve against. @default the config file's folder, else cwd */
  readonly mapRoot?: string;
  readonly serverName?: string;
  readonly serverAliases?: readonly string[];
  readonly trustProxy?: boolean | string | readonly string[] | ((addr: string, i: number) => boolean);
  /** Trace every decision to `debug('modrewrite:engine')`, or to this function. */
  readonly trace?: boolean | ((line: string) => void);
  /** Add X-Filename, X-Query and X-Env-* to every response (what the conformance recorder asks Apache for). @default false */
  readonly debugHeaders?: boolean;
  /** Where broken `.htaccess` files are reported. @default console.error */
  readonly log?: (message: string) => void;
}

/** Creates the site middleware. */
export function site<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse>(options: SiteOptions<Req, Res>): ((req: Req, res: Res, next?: Next) => void) & { upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer, next?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void) => void } {
  const root = resolveRoots([options.root])[0];
  const serverRules: RuleSet | undefined = options.config === undefined ? undefined
    : loadRules(options.config, { context: 'server', maps: options.maps, mapRoot: options.mapRoot });
  const ht = options.htaccess ?? true;
  const recheckMs = ht === true || ht === false ? 1000 : ht.recheckMs ?? 1000;
  const store = ht === false ? undefined : new HtaccessStore(root, {
    fileName: ht === true ? undefined : ht.fileName, recheckMs: ht === true ? undefined : ht.recheckMs, log: options.log,
    // maps are server configuration: RewriteMaps declared in `config` are usable in every .htaccess
    compile: { maps: { ...options.maps, ...Object.fromEntries(serverRules?.maps ?? []) }, mapRoot: options.mapRoot },
  });
  const roots = [root, ...resolveRoots(options.allowedRoots ?? [])];
  const config: SiteConfig = {
    root, serverRules, store, allowedRoots: roots,
    server: { documentRoot: root, serverName: options.serverName, serverAliases: options.serverAliases },
    directorySlash: options.directorySlash ?? true,
    directoryIndex: options.directoryIndex ?? ['index.html'],
    // the directories above a file are re-checked as often as the .htaccess files in them
    dirs: new DirCache(recheckMs),
  };
  const trust = compileTrust(options.trustProxy);
  const traceFn = options.trace === true || (options.trace === undefined && debug.enabled) ? (l: string) => debug(l) : typeof options.trace === 'function' ? options.trace : undefined;
  const symlinks = options.symlinks ?? 'inside';
  const extensionHandlers = Object.entries(options.addHandler ?? {});

  const middleware = function siteMiddleware(req: Req, res: Res, next?: Next): void {
    const done: Next = next ?? ((err?: unknown) => sendStatus(req, res, err ? (err as { status?: number }).status ?? 500 : 404));
    // `OPTIONS *` is the server's own business (core answers it; no file is mapped)
    if (req.url === '*') {
      if (req.method === 'OPTIONS') { res.setHeader('Allow', 'GET,POST,OPTIONS,HEAD'); res.setHeader('Content-Length', 0); res.end(); }
      else sendStatus(req, res, 400);
      return;
    }
    resolveRequest(config, { view: requestView(req, trust), target: req.url ?? '/', trace: traceFn }).then(
      (r) => answer(req, res, done, r),
      (err) => done(err),
    );
  };

  /** `server.on('upgrade', s.upgrade)`: WebSocket handshakes through the same vhost; [P] → proxy.upgrade. */
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer, next?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void): void => {
    resolveRequest(config, { view: requestView(req, trust), target: req.url ?? '/' }).then((r) => {
      const up = (options.proxy as { upgrade?: (q: IncomingMessage, s: Duplex, h: Buffer, p: ProxyRequest) => void } | undefined)?.upgrade;
      if (r.kind === 'proxy' && up) { up(req, socket, head, r.self ? { target: r.target, noCanon: r.noCanon, self: true } : { target: r.target, noCanon: r.noCanon }); return; }
      if (r.kind !== 'proxy' && next && r.kind !== 'redirect' && r.kind !== 'status') { next(req, socket, head); return; }
      const status = r.kind === 'redirect' || r.kind === 'status' ? r.status : r.kind === 'proxy' ? 403 : 404;
      refuse(socket, status, r.kind === 'redirect' ? r.location : undefined);
    }, () => socket.destroy());
  };
  return Object.assign(middleware, { upgrade });

  function answer(req: Req, res: Res, next: Next, r: SiteResult): void {
    const { acc } = r;
    // only when there is something to tell: a new property on every request costs (hidden class)
    if (acc.env.size || acc.internalRedirects) (req as unknown as { rewrite: object }).rewrite = { env: envObject(acc.env), result: r.kind, internalRedirects: acc.internalRedirects };
    if (options.debugHeaders) {
      res.setHeader('X-Filename', 'filename' in r && r.filename ? r.filename : '');
      res.setHeader('X-Query', r.args ?? '');
      for (const [k, v] of acc.env) if (v && !/[\x00-\x1f\x7f]/.test(v)) res.setHeader(`X-Env-${k}`, v);
    }
    if (acc.cookies.length) res.setHeader('Set-Cookie', acc.cookies);
    switch (r.kind) {
      case 'redirect': sendRedirect(req, res, r.status, r.location); return;
      case 'status':
        if (r.status >= 500) (options.log ?? debug)(`modrewrite: ${req.url}: ${r.status} ${r.reason ?? ''}`);
        sendStatus(req, res, r.status, undefined, r.notes);
        return;
      case 'proxy':
        appendVary(res, acc.vary);
        if (options.proxy) { handOff(options.proxy, req, res, next, r); return; }
        sendStatus(req, res, 403);
        return;
      case 'file': break;
    }
    const { filename, pathInfo, stat } = r;
    const handlerName = acc.handler ?? extensionHandlers.find(([ext]) => filename.endsWith(ext))?.[1];
    const handler = handlerName ? options.handlers?.[handlerName] : undefined;
    const servedFrom = roots.find((x) => underRoot(filename, x));
    if (!servedFrom) { sendStatus(req, res, 404); return; }
    const dots = dotSegment(filename, servedFrom);
    if (dots === 'ht') { sendStatus(req, res, 403); return; }
    if (dots === 'dot' && !options.dotfiles) { sendStatus(req, res, 404); return; }
    // the walk saw every segment with lstat: without a link on the way the real path is the path
    if (stat && symlinks !== 'follow' && r.symlink) {
      const real = realpathOf(filename);
      if (!real || (symlinks === 'deny' ? real !== filename : !roots.some((x) => underRoot(real, x)))) { sendStatus(req, res, 403); return; }
    }
    // Vary goes on what the file or the app answers, never on Apache's own error pages (recorded)
    if (acc.contentType) forceContentType(res, acc.contentType);
    if (handler && stat) {
      // set only for handlers: two new properties on every request would cost (hidden classes)
      const sreq = req as Req & SiteRequest;
      sreq.filename = filename;
      sreq.pathInfo = pathInfo;
      appendVary(res, acc.vary);
      handler(sreq, res, next);
      return;
    }
    if (!stat || pathInfo || stat.isDirectory()) {
      if (options.fallthrough ?? true) {
        appendVary(res, acc.vary);
        // the app sees the rewritten URL-path (a server-context rewrite keeps r->uri in Apache)
        req.url = escapeUri(r.path) + (r.args !== null ? '?' + r.args : '');
        next();
        return;
      }
      sendStatus(req, res, 404);
      return;
    }
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS') { res.setHeader('Allow', 'GET,POST,OPTIONS,HEAD'); res.statusCode = 200; res.setHeader('Content-Length', 0); res.end(); return; }
    // Apache's default handler delivers a file for GET, HEAD and POST alike (recorded)
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') { res.setHeader('Allow', 'GET,POST,OPTIONS,HEAD'); sendStatus(req, res, 405); return; }
    appendVary(res, acc.vary);
    serveFile(req, res, filename, {
      contentType: acc.contentType,
      onError: (status) => { if (!res.headersSent) sendStatus(req, res, status === 404 ? 404 : status >= 500 ? 500 : 403); else res.destroy(); },
    });
  }
}

/** The environment for `req.rewrite.env` (byte strings decoded as UTF-8). */
export function envObject(env: ReadonlyMap<string, string>): Record<string, string> {
  const o: Record<string, string> = {};
  for (const [k, v] of env) o[k] = bytesToUtf8(v);
  return o;
}
