/**
 * `scriptAlias(pattern, dir)`: mod_wsgi's `WSGIScriptAliasMatch ^/python_app/([^/]+) /dir/$1.py`
 * for handler modules. The first capture names the module (`dir/<name>.js`); the matched prefix
 * becomes `req.scriptName`, the rest of the path `req.pathInfo`. Only modules inside `dir`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Next } from '../http/types.js';
import { ModuleLoader, runModule } from './modules.js';
import { mountOf } from './site.js';

export interface ScriptRequest extends IncomingMessage {
  /** The URL-path prefix that named the script (SCRIPT_NAME). */
  scriptName?: string;
  /** The rest of the URL-path after it (PATH_INFO). */
  pathInfo?: string;
}

/**
 * Creates mod_wsgi's `WSGIScriptAliasMatch` for handler modules: the first capture of `pattern`
 * names the module `dir/<name>.js`, which runs as `(req, res, next)` with `req.scriptName` (the
 * matched prefix) and `req.pathInfo` (the rest of the path).
 * @example
 * // GET /python_app/hello/test runs /srv/apps/hello.js,
 * // with req.scriptName '/python_app/hello' and req.pathInfo '/test'
 * app.use(scriptAlias(/^\/python_app\/([^/]+)/, '/srv/apps'));
 */
export function scriptAlias<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
>(
  pattern: RegExp | string,
  dir: string,
  options: { extension?: string } = {},
): (req: Req, res: Res, next: Next) => void {
  const re = typeof pattern === 'string' ? new RegExp(pattern) : pattern;
  const ext = options.extension ?? '.js';
  const loader = new ModuleLoader(dir);
  return (req, res, next) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      next();
      return;
    }
    const m = re.exec(path);
    // the name must be one path segment: no separators, no dot-segments
    if (
      !m ||
      m.index !== 0 ||
      m[1] === undefined ||
      !/^[^/\\\0]+$/.test(m[1]) ||
      m[1] === '.' ||
      m[1] === '..'
    ) {
      next();
      return;
    }
    let fn;
    try {
      fn = loader.get(join(loader.dir, m[1] + ext));
    } catch (err) {
      next(err);
      return;
    }
    if (!fn) {
      next();
      return;
    }
    const sreq = req as Req & ScriptRequest;
    // SCRIPT_NAME is the URL-path the client used: under a mount, the mount path comes first
    sreq.scriptName = (mountOf(req)?.path ?? '') + m[0];
    sreq.pathInfo = path.slice(m[0].length);
    runModule(fn, req, res, next);
  };
}
