/**
 * `directorySlash({ root })`: mod_dir's DirectorySlash as a middleware. A request for a real
 * directory without its trailing slash gets a 301 to the same URL plus `/` (query kept, the mount
 * path included, leading slashes collapsed, Location escaped like ap_escape_uri, Apache's page).
 * `DirectorySlash Off` in an `.htaccess` on the way, or `enabled: false`, turns it off.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { escapeUri } from '../common/escape.js';
import { constructUrl, parseTarget } from '../engine/request.js';
import { mapToFile } from '../engine/directory.js';
import { nodeFs } from '../engine/node-fs.js';
import { compileTrust, requestView } from '../http/request-view.js';
import { sendRedirect } from '../http/respond.js';
import type { Next } from '../http/types.js';
import { HtaccessStore } from './htaccess-store.js';
import { dotSegment, resolveRoots } from './paths.js';
import { mountOf } from './site.js';

export interface DirectorySlashOptions {
  readonly root: string;
  /** @default true */
  readonly enabled?: boolean;
  /** Honour `DirectorySlash` in `.htaccess` files under root. @default true */
  readonly htaccess?: boolean | { readonly recheckMs?: number };
  readonly trustProxy?:
    boolean | string | readonly string[] | ((addr: string, i: number) => boolean);
}

/** The `.htaccess` files whose `DirectorySlash Off` the middleware honours (none: `false`). */
function directorySlashStore(
  root: string,
  ht: NonNullable<DirectorySlashOptions['htaccess']>,
): HtaccessStore | undefined {
  if (ht === false) return undefined;
  return new HtaccessStore(root, {
    recheckMs: ht === true ? undefined : ht.recheckMs,
    compile: { ignoreUnknownDirectives: true },
    log: () => {},
  });
}

/**
 * Creates mod_dir's DirectorySlash as a middleware: a request for a real directory under
 * `options.root` without its trailing slash gets a 301 to the same path with the slash.
 * @example
 * app.use(directorySlash({ root: '/srv/www' })); // GET /docs → 301 Location: http://host/docs/
 * app.use(express.static('/srv/www'));
 */
export function directorySlash<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
>(options: DirectorySlashOptions): (req: Req, res: Res, next: Next) => void {
  const root = resolveRoots([options.root])[0];
  const enabled = options.enabled ?? true;
  const store = directorySlashStore(root, options.htaccess ?? true);
  const trust = compileTrust(options.trustProxy);
  return (req, res, next) => {
    if (!enabled) {
      next();
      return;
    }
    const url = req.url ?? '/';
    const parsed = parseTarget(url);
    const mount = mountOf(req);
    // `/mnt` for a middleware mounted at `/mnt` arrives as `/`: the root directory without its
    // slash
    const bareRoot = mount?.bare === true && parsed.type === 'target' && parsed.uri === '/';
    if (
      parsed.type === 'refused' ||
      parsed.uri === '*' ||
      (parsed.uri.endsWith('/') && !bareRoot)
    ) {
      next();
      return;
    }
    const mapped = mapToFile(root, parsed.uri.replace(/\/{2,}/g, '/'), nodeFs);
    if (
      mapped.pathInfo ||
      !nodeFs.stat(mapped.filename)?.isDirectory() ||
      dotSegment(mapped.filename, root) !== 'none'
    ) {
      next();
      return;
    }
    if (store) {
      const cfg = store.configForPath(mapped.filename, true);
      if (cfg.ruleSet?.directorySlash === false) {
        next();
        return;
      }
    }
    // the URL the client used: the mount path (Express's baseUrl) is part of it
    const base = mount?.path ?? '';
    const path = bareRoot ? base : (base + parsed.uri).replace(/^\/{2,}/, '/');
    const location = constructUrl(
      requestView(req, trust),
      { documentRoot: root },
      `${escapeUri(path)}/${parsed.args !== null ? '?' + parsed.args : ''}`,
    );
    sendRedirect(req, res, 301, location);
  };
}
