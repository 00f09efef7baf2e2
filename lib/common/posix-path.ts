/**
 * The few POSIX path operations the compile and engine layers need on every request or load,
 * written here so that those layers run without `node:path` (explain() in a browser). Same results
 * as `node:path`'s posix functions for the inputs used here (checked against them in the unit
 * test).
 */

/** The working directory when there is one (Node), else `/` (a browser). */
export function currentDirectory(): string {
  const proc = (globalThis as { process?: { cwd?: () => string } }).process;
  return typeof proc?.cwd === 'function' ? proc.cwd() : '/';
}

/**
 * `.`/`..` segments resolved, repeated slashes folded, no trailing slash but on `/` (absolute
 * paths).
 */
export function normalizeAbsolute(path: string): string {
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  const joined = '/' + out.join('/');
  // node's posix.normalize keeps one trailing slash
  return path.endsWith('/') && joined !== '/' ? joined + '/' : joined;
}

export const isAbsolutePath = (path: string): boolean => path.startsWith('/');

/** posix.resolve(from, to): `to` against `from` (against the working directory when relative). */
export function resolvePath(from: string, to: string): string {
  if (isAbsolutePath(to)) return normalizeAbsolute(to).replace(/(.)\/$/, '$1');
  const base = isAbsolutePath(from) ? from : currentDirectory() + '/' + from;
  return normalizeAbsolute(base + '/' + to).replace(/(.)\/$/, '$1');
}

/** The last segment (posix.basename without a suffix). */
export function baseName(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}
