/**
 * The per-request budget for asynchronous maps. A user map whose Promise never settles would hold
 * its request forever (Apache has no asynchronous maps: its lookups block a worker, and a hung
 * `prg:` program hangs it for good). Every wait of one request for map answers counts against
 * one budget; when it is spent the request fails with ERR_MAP_TIMEOUT (HTTP 500).
 */
import { RewriteError, RewriteRuntimeError } from '../errors.js';
import type { NeedAsync } from './state.js';

/** Default `mapTimeout`: how long one request may wait for asynchronous map answers, in ms. */
export const DEFAULT_MAP_TIMEOUT = 10_000;

/** Checks a `mapTimeout` option: a positive number of milliseconds, or Infinity for no budget. */
export function checkMapTimeout(value: unknown): number {
  if (value === undefined) return DEFAULT_MAP_TIMEOUT;
  if (typeof value !== 'number' || !(value > 0)) {
    throw new RewriteError(
      'ERR_OPTIONS',
      `mapTimeout must be a positive number of milliseconds (or Infinity), got ${String(value)}`,
    );
  }
  return value;
}

export class MapBudget {
  /**
   * Set when the request first waits: a request whose maps all answer synchronously never reads the
   * clock.
   */
  private deadline = 0;

  constructor(readonly timeoutMs: number) {}

  /**
   * Waits for a suspended lookup; rejects with ERR_MAP_TIMEOUT once the request's budget is spent.
   */
  wait(pending: NeedAsync): Promise<unknown> {
    // setTimeout cannot wait longer than 2^31-1 ms (it would fire at once): such budgets are "none"
    if (this.timeoutMs > 0x7fffffff) return pending.promise;
    if (this.deadline === 0) this.deadline = Date.now() + this.timeoutMs;
    const left = Math.max(0, this.deadline - Date.now());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(this.spent(pending)), left);
      pending.promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  private spent(pending: NeedAsync): RewriteRuntimeError {
    const which = pending.map === undefined ? 'an asynchronous map' : `map '${pending.map}'`;
    return new RewriteRuntimeError(
      'ERR_MAP_TIMEOUT',
      `modrewrite: ${which} did not answer within the request's budget of ${this.timeoutMs} ms (mapTimeout)`,
      { status: 500 },
    );
  }
}
