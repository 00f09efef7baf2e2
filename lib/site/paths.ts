/** Path containment: what may be served, and from where. */
import { realpathSync, statSync } from 'node:fs';
import { fsPath, utf8ToBytes } from '../engine/bytes.js';
import { resolve } from 'node:path';

/** Whether `path` is `root` or inside it (plain string check on absolute, normalised paths). */
export function underRoot(path: string, root: string): boolean {
  const r = root.endsWith('/') ? root : root + '/';
  return path.startsWith(r) || path === r.slice(0, -1);
}

/** realpath, or undefined when the path does not resolve (missing, loop, no permission). */
export function realpathOf(p: string): string | undefined {
  try { return realpathSync(fsPath(p), { encoding: 'latin1' }); } catch { return undefined; }
}

/** Why a path cannot be stat'ed: undefined when it exists or simply is not there (ENOENT, ENOTDIR). */
export function statFailure(p: string): string | undefined {
  try { statSync(fsPath(p)); return undefined; } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? undefined : code ?? 'EIO';
  }
}

/** Roots as absolute real paths (a root that does not exist yet is kept as written). */
export function resolveRoots(roots: readonly string[]): string[] {
  return roots.map((r) => { const abs = utf8ToBytes(resolve(r)); return realpathOf(abs) ?? abs; });
}

/** Whether any segment of `path` below `root` starts with a dot; which one for `.ht*`. */
export function dotSegment(path: string, root: string): 'none' | 'ht' | 'dot' {
  const rel = underRoot(path, root) ? path.slice(root.replace(/\/$/, '').length) : path;
  let found: 'none' | 'ht' | 'dot' = 'none';
  for (const seg of rel.split('/')) {
    if (!seg.startsWith('.') || seg === '.' || seg === '..') continue;
    found = 'dot';
  }
  const last = rel.slice(rel.lastIndexOf('/') + 1);
  return last.startsWith('.ht') ? 'ht' : found;
}
