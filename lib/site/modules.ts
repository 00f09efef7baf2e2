/**
 * Handler modules: the Node counterpart of "any .py file in this folder is a web app". A module
 * exports `(req, res, next) => void` (CommonJS `module.exports`, or a default export). Only files
 * inside `dir` are loaded, each once.
 */
import { existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { resolve, sep } from 'node:path';
import type { Handler, Next } from '../http/types.js';
import { sendStatus } from '../http/respond.js';

type ModuleFn = (req: IncomingMessage, res: ServerResponse, next: Next) => unknown;

const load = createRequire(resolve('modrewrite-handler-loader.js'));

export class ModuleLoader {
  /**
   * Paths remembered at most. The keys come from request paths, and a symbolic link to `.` in the
   * folder names one module under endless paths; oldest out (Node's own require cache is keyed by
   * the real path, so a forgotten path costs a stat, not a second load).
   */
  static readonly MAX_ENTRIES = 1024;
  private readonly cache = new Map<string, ModuleFn>();
  readonly dir: string;
  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  get size(): number {
    return this.cache.size;
  }

  /**
   * The handler in `file` (an absolute path), or undefined when it is not a module inside `dir`.
   */
  get(file: string): ModuleFn | undefined {
    const abs = resolve(file);
    if (!abs.startsWith(this.dir + sep)) return undefined;
    let fn = this.cache.get(abs);
    if (fn) return fn;
    if (!existsSync(abs) || !statSync(abs).isFile()) return undefined;
    const mod = load(abs) as ModuleFn | { default?: ModuleFn };
    fn = typeof mod === 'function' ? mod : mod?.default;
    if (typeof fn !== 'function')
      throw new Error(`${abs} does not export a (req, res, next) handler`);
    if (this.cache.size >= ModuleLoader.MAX_ENTRIES)
      this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(abs, fn);
    return fn;
  }
}

/** Runs a module's handler; a throw or a rejected promise goes to `next(err)`. */
export function runModule(
  fn: ModuleFn,
  req: IncomingMessage,
  res: ServerResponse,
  next: Next,
): void {
  try {
    const r = fn(req, res, next);
    if (r && typeof (r as Promise<unknown>).then === 'function')
      (r as Promise<unknown>).then(undefined, next);
  } catch (err) {
    next(err);
  }
}

/**
 * A `site()` handler (for `addHandler` / `[H=]`) that runs the module the request was mapped to
 * (`req.filename`), if it lies inside `dir`; anything else is a 403.
 * @example
 * const handlers = { 'node-module': moduleHandler({ dir: '/srv/www/app' }) };
 * app.use(site({ root: '/srv/www', handlers, addHandler: { '.js': 'node-module' } }));
 */
export function moduleHandler<Req extends IncomingMessage, Res extends ServerResponse>(options: {
  dir: string;
}): Handler<Req, Res> {
  const loader = new ModuleLoader(options.dir);
  return (req, res, next) => {
    const file = (req as { filename?: string }).filename;
    let fn: ModuleFn | undefined;
    try {
      fn = file ? loader.get(file) : undefined;
    } catch (err) {
      next(err);
      return;
    }
    if (!fn) {
      sendStatus(req, res, 403);
      return;
    }
    runModule(fn, req, res, next);
  };
}
