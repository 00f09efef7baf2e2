/**
 * The `debug` namespaces of this package (`modrewrite:engine`, `modrewrite:proxy`,
 * `modrewrite:map`), typed here rather than through @types/debug so the shipped .d.ts files
 * type-check in a project without @types/debug (issue 9, item 11;
 * `__tests__/e2e/package-types.test.ts`).
 */
import createDebug from 'debug';

/** A debug log as this package uses it. */
export interface DebugLog {
  (formatter: string, ...args: unknown[]): void;
  readonly enabled: boolean;
}

/** The debug log of one namespace (enabled by `DEBUG=modrewrite:*`). */
export function debugLog(namespace: string): DebugLog {
  return createDebug(namespace);
}
