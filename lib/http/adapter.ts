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
 * never assign a getter (expressjs/express#4433).
 */
export function refreshExpress4Query(req: IncomingMessage): void {
  // Express 5 (and plain node:http) has no own `query`: nothing to do, and nothing allocated
  if (!Object.prototype.hasOwnProperty.call(req, 'query')) return;
  const desc = Object.getOwnPropertyDescriptor(req, 'query');
  const app = (req as unknown as { app?: { get?: (k: string) => unknown } }).app;
  const parse = app?.get?.('query parser fn');
  if (!desc || !('value' in desc) || !desc.writable || typeof parse !== 'function') return;
  const q = (req.url ?? '').indexOf('?');
  (req as unknown as { query: unknown }).query = parse(q < 0 ? '' : (req.url ?? '').slice(q + 1));
}
