/**
 * Name resolution as in a network namespace with only `lo` up: `localhost` resolves to 127.0.0.1,
 * every other name fails at once with ENOTFOUND. For `proxy({ lookup })` in tests and for
 * `modrewrite serve --no-dns`: no rule can make the proxy look a name up.
 */
import type { LookupFunction } from 'node:net';

/**
 * A `lookup` for `proxy()` that resolves only `localhost` (to 127.0.0.1): no rule can make the
 * proxy resolve another name.
 * @example
 * const toBackend = proxy({ lookup: loopbackOnlyLookup }); // [P] to http://example.com/ → 502
 */
export const loopbackOnlyLookup = ((hostname: string, options: unknown, cb?: unknown) => {
  const callback = (typeof options === 'function' ? options : cb) as (
    e: Error | null,
    a?: unknown,
    f?: number,
  ) => void;
  const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all;
  if (hostname === 'localhost') {
    process.nextTick(() =>
      all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4),
    );
    return;
  }
  process.nextTick(() =>
    callback(
      Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname} (loopback only)`), {
        code: 'ENOTFOUND',
        hostname,
      }),
    ),
  );
}) as unknown as LookupFunction;
