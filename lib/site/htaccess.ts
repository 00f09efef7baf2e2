/**
 * `htaccess({ root })`: the rules of the `.htaccess` files under `root`, applied the way Apache
 * with `AllowOverride All` applies them, as a middleware that rewrites `req.url` and calls
 * `next()` — serving stays with whatever comes next (express.static, routes, staticFirst).
 * Redirects and F/G/R=4xx are answered here; `[P]` goes to `options.proxy`. A broken `.htaccess`
 * answers 500 for requests under it (logged once per version), `.ht*` files are 403.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { escapeUri } from '../engine/escape.js';
import { handOff } from '../http/hand-off.js';
import { compileTrust, requestView } from '../http/request-view.js';
import { appendVary, sendRedirect, sendStatus } from '../http/respond.js';
import { debug, forceContentType, refreshExpress4Query } from '../http/rewrite.js';
import type { Next, ProxyHandler } from '../http/types.js';
import type { UserMapFunction, RewriteMapSource } from '../engine/maps.js';
import { HtaccessStore } from './htaccess-store.js';
import { dotSegment, resolveRoots } from './paths.js';
import { resolveRequest, type SiteConfig } from './pipeline.js';
import { envObject } from './site.js';

export interface HtaccessOptions<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse> {
  readonly root: string;
  /** @default '.htaccess' */
  readonly fileName?: string;
  /** How often (ms) each `.htaccess` is stat'ed for changes; 0 = every request. @default 1000 */
  readonly recheckMs?: number;
  readonly proxy?: ProxyHandler<Req, Res>;
  readonly maps?: Readonly<Record<string, UserMapFunction | RewriteMapSource>>;
  readonly serverName?: string;
  readonly trustProxy?: boolean | string | readonly string[] | ((addr: string, i: number) => boolean);
  readonly trace?: boolean | ((line: string) => void);
  readonly log?: (message: string) => void;
}

export function htaccess<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse>(options: HtaccessOptions<Req, Res>): (req: Req, res: Res, next: Next) => void {
  const root = resolveRoots([options.root])[0];
  const store = new HtaccessStore(root, { fileName: options.fileName, recheckMs: options.recheckMs, log: options.log, compile: { maps: options.maps } });
  const config: SiteConfig = {
    root, store, allowedRoots: [root], server: { documentRoot: root, serverName: options.serverName },
    directorySlash: false, directoryIndex: [],
  };
  const trust = compileTrust(options.trustProxy);
  const traceFn = options.trace === true || (options.trace === undefined && debug.enabled) ? (l: string) => debug(l) : typeof options.trace === 'function' ? options.trace : undefined;
  return (req, res, next) => {
    resolveRequest(config, { view: requestView(req, trust), target: req.url ?? '/', trace: traceFn }).then((r) => {
      const { acc } = r;
      if (acc.env.size) (req as unknown as { rewrite: object }).rewrite = { env: envObject(acc.env), result: r.kind, internalRedirects: acc.internalRedirects };
      if (acc.cookies.length) res.setHeader('Set-Cookie', acc.cookies);
      if (r.kind === 'redirect') { sendRedirect(req, res, r.status, r.location); return; }
      if (r.kind === 'status') { sendStatus(req, res, r.status, undefined, r.notes); return; }
      appendVary(res, acc.vary);
      if (r.kind === 'proxy') {
        if (options.proxy) handOff(options.proxy, req, res, next, r);
        else sendStatus(req, res, 403);
        return;
      }
      if (dotSegment(r.filename, root) === 'ht') { sendStatus(req, res, 403); return; }
      if (acc.contentType) forceContentType(res, acc.contentType);
      if (acc.internalRedirects) {
        req.url = escapeUri(r.path) + (r.args !== null ? '?' + r.args : '');
        refreshExpress4Query(req);
      }
      next();
    }, next);
  };
}
