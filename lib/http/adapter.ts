/**
 * Helpers every middleware on node:http shares (rewrite(), site(), htaccess()): the engine's trace
 * log and Express 4's parsed query. site/ and proxy/ import these from here, never from the
 * rewrite() module.
 */
import type { IncomingMessage } from 'node:http';
import { debugLog, type DebugLog } from '../debug-log.js';

/** The `modrewrite:engine` namespace: where `trace: true` sends every decision. */
export const debug: DebugLog = debugLog('modrewrite:engine');

/**
 * The one reading of the `trace` option, for rewrite(), site() and htaccess() alike: a function
 * gets the lines; `true` sends them to `modrewrite:engine`; not given, they go there only when
 * `DEBUG` enables that namespace; `false` turns them off even then.
 */
export function traceSink(
  option: boolean | ((line: string) => void) | undefined,
): ((line: string) => void) | undefined {
  if (typeof option === 'function') return option;
  if (option === true || (option === undefined && debug.enabled)) return (line) => debug(line);
  return undefined;
}

/**
 * Express 4 parses `req.query` once, before any middleware, into a plain writable property, so a
 * rewritten query would stay invisible to routes. There (and only there) we re-run the app's own
 * query parser. Express 5 exposes `req.query` as a getter over `req.url` and needs nothing; we
 * never assign a getter (expressjs/express#4433). In Express 5 the getter on the prototype
 * decides, even for a request a middleware gave its own `query`: that one is left as it was set.
 */
export function refreshExpress4Query(req: IncomingMessage): void {
  // Express 5 gives `query` as a getter of the request's prototype: nothing to do
  if (queryIsGetter(req)) return;
  // plain node:http has no own `query`: nothing to do, and nothing allocated
  if (!Object.prototype.hasOwnProperty.call(req, 'query')) return;
  const desc = Object.getOwnPropertyDescriptor(req, 'query');
  const app = (req as unknown as { app?: { get?: (k: string) => unknown } }).app;
  const parse = app?.get?.('query parser fn');
  if (!desc || !('value' in desc) || !desc.writable || typeof parse !== 'function') return;
  const q = (req.url ?? '').indexOf('?');
  (req as unknown as { query: unknown }).query = parse(q < 0 ? '' : (req.url ?? '').slice(q + 1));
}

/** The last request prototype seen (an app's `app.request`), and whether it is Express 5's. */
let lastPrototype: object | null = null;
let lastIsGetter = false;

/**
 * Whether `query` is an accessor of the request's prototype chain (Express 5). One prototype per
 * app, so a one-entry memo answers nearly every request; a lookup on the request object itself
 * (hasOwnProperty) costs several µs on a cold cache (bench:express-cold).
 */
function queryIsGetter(req: IncomingMessage): boolean {
  const prototype = Object.getPrototypeOf(req) as object | null;
  if (prototype !== lastPrototype) {
    lastPrototype = prototype;
    lastIsGetter = accessorOnChain(prototype, 'query');
  }
  return lastIsGetter;
}

function accessorOnChain(object: object | null, key: string): boolean {
  for (let o = object; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    const desc = Object.getOwnPropertyDescriptor(o, key);
    if (desc) return desc.get !== undefined;
  }
  return false;
}
