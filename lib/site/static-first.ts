/**
 * `staticFirst({ root })`: files on disk win; everything else falls through (to the proxy, in
 * the "static before [P]" ordering of seed 004). GET and HEAD only; never a file outside `root`
 * (dot-segments are resolved before the check, symlinks per `symlinks`), never a dotfile.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { nodeFs } from '../engine/node-fs.js';
import { parseTarget } from '../engine/request.js';
import { sendStatus } from '../http/respond.js';
import type { Next } from '../http/types.js';
import { dotSegment, realpathOf, resolveRoots, underRoot } from './paths.js';
import { serveFile } from './static-file.js';

export interface StaticFirstOptions {
  readonly root: string;
  /**
   * Index file served for a directory URL ending in `/` (false: directories fall through).
   * @default false
   */
  readonly index?: string | false;
  /**
   * `inside`: follow links whose target stays under root; `follow`: any; `deny`: none.
   * @default 'inside'
   */
  readonly symlinks?: 'inside' | 'follow' | 'deny';
  /** Cache-Control max-age (ms). */
  readonly maxAge?: number;
}

/**
 * Creates a middleware that serves regular files under `options.root` (GET and HEAD) and lets
 * everything else fall through: "static files before the `[P]` rule".
 * @example
 * app.use(staticFirst({ root: '/srv/www' }));
 * app.use(rewrite('RewriteRule ^/(.*) http://127.0.0.1:8000/$1 [P]', { proxy: proxy() }));
 */
export function staticFirst<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
>(options: StaticFirstOptions): (req: Req, res: Res, next: Next) => void {
  const root = resolveRoots([options.root])[0].replace(/\/$/, '');
  const symlinks = options.symlinks ?? 'inside';
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      next();
      return;
    }
    const parsed = parseTarget(req.url ?? '/');
    if (parsed.type === 'refused' || !parsed.uri.startsWith('/') || parsed.uri.includes('\0')) {
      next();
      return;
    }
    let filename = root + parsed.uri.replace(/\/{2,}/g, '/');
    if (filename.endsWith('/')) {
      if (!options.index) {
        next();
        return;
      }
      filename += options.index;
    }
    if (!underRoot(filename, root) || dotSegment(filename, root) !== 'none') {
      next();
      return;
    }
    const st = nodeFs.stat(filename);
    if (!st?.isFile()) {
      next();
      return;
    }
    if (symlinks !== 'follow') {
      const real = realpathOf(filename);
      if (!real || (symlinks === 'deny' ? real !== filename : !underRoot(real, root))) {
        next();
        return;
      }
    }
    serveFile(req, res, filename, {
      maxAge: options.maxAge,
      onError: (status, err) => {
        if (res.headersSent) {
          res.destroy(err);
          return;
        }
        if (status === 404) next();
        else sendStatus(req, res, status >= 500 ? 500 : status);
      },
    });
  };
}
