/**
 * `node:fs` in the browser bundle: stats answer from the playground's virtual file tree; nothing
 * can be read (map files, MIME tables), which the engine reports as it reports a missing file.
 */
import { virtualStat } from '../src/vfs.js';

function missing(path: unknown): Error {
  const err = new Error(`ENOENT: no such file in the playground: ${String(path)}`);
  (err as Error & { code: string }).code = 'ENOENT';
  return err;
}

export function statSync(path: unknown, options?: { throwIfNoEntry?: boolean }) {
  const st = virtualStat(path);
  if (!st && options?.throwIfNoEntry !== false) throw missing(path);
  return st;
}

export const lstatSync = statSync;

export function existsSync(path: unknown): boolean {
  return virtualStat(path) !== undefined;
}

export function readFileSync(path: unknown): never {
  throw missing(path);
}

/** Include's directory listings: the playground has no configuration files to include. */
export function readdirSync(path: unknown): never {
  throw missing(path);
}

export default { statSync, lstatSync, existsSync, readFileSync, readdirSync };
