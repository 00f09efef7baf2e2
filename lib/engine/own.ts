/**
 * Lookups keyed by rule or request text. A plain object answers `constructor`, `__proto__`,
 * `toString`... from Object.prototype; these helpers only ever see own properties.
 */

/** `table[name]` when `table` has it as an own property, else undefined. */
export function ownValue<T>(
  table: Readonly<Record<string, T>> | undefined,
  name: string,
): T | undefined {
  return table !== undefined && Object.hasOwn(table, name) ? table[name] : undefined;
}

/**
 * A handler named by `[H=...]` (rule text, possibly expanded from the request) or by AddHandler:
 * only a registered function, never something inherited (`constructor` would call `Object()` and
 * leave the request without an answer).
 */
export function registeredHandler<H>(
  handlers: Readonly<Record<string, H>> | undefined,
  name: string,
): H | undefined {
  const h = ownValue(handlers, name);
  return typeof h === 'function' ? h : undefined;
}

/** Sets `o[key] = value` as an own, enumerable property, also for `__proto__`. */
export function setOwn(o: Record<string, string>, key: string, value: string): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}
