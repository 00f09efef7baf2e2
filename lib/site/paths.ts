/** Path containment: what may be served, and from where. */
import { lstatSync, realpathSync, statSync, type Stats } from 'node:fs';
import { fsPath, utf8ToBytes } from '../common/bytes.js';
import { posix, resolve } from 'node:path';

/**
 * A `.` or `..` segment: such a path is not normalised, and a string comparison would lie about it.
 */
const DOT_SEGMENT = /\/\.\.?(?:\/|$)/;

/**
 * Whether `path` is `root` or inside it. A string comparison, so it fails closed on a path with a
 * `.`/`..` segment (`/www/../etc` starts with `/www/`): normalise first (normalizeFsPath).
 */
export function underRoot(path: string, root: string): boolean {
  // called several times per request: no string is built (root + '/' was, in the profile)
  const length = root.endsWith('/') ? root.length - 1 : root.length;
  if (!path.startsWith(root.slice(0, length))) return false;
  if (path.length !== length && path.charCodeAt(length) !== SLASH) return false;
  // only then the regular expression, and only when a dot follows a slash somewhere
  return !(path.includes('/.') && DOT_SEGMENT.test(path));
}
const SLASH = 0x2f;

/** realpath, or undefined when the path does not resolve (missing, loop, no permission). */
export function realpathOf(p: string): string | undefined {
  try {
    return realpathSync(fsPath(p), { encoding: 'latin1' });
  } catch {
    return undefined;
  }
}

/**
 * Why a path cannot be stat'ed: undefined when it exists or simply is not there (ENOENT, ENOTDIR).
 */
export function statFailure(p: string): string | undefined {
  try {
    statSync(fsPath(p));
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? undefined : (code ?? 'EIO');
  }
}

/**
 * An absolute filesystem path with `.`/`..` segments resolved and repeated slashes merged, the
 * trailing slash kept (it marks a directory): what Apache's directory walk makes of r->filename
 * (apr_filepath_merge, lexical; symbolic links are checked separately).
 */
export function normalizeFsPath(p: string): string {
  if (!DOT_SEGMENT.test(p) && !p.includes('//')) return p;
  return posix.normalize(p);
}

/** Roots as absolute real paths (a root that does not exist yet is kept as written). */
export function resolveRoots(roots: readonly string[]): string[] {
  return roots.map((r) => {
    const abs = utf8ToBytes(resolve(r));
    return realpathOf(abs) ?? abs;
  });
}

/** Whether any segment of `path` below `root` starts with a dot; which one for `.ht*`. */
export function dotSegment(path: string, root: string): 'none' | 'ht' | 'dot' {
  const rel = underRoot(path, root) ? path.slice(root.replace(/\/$/, '').length) : path;
  if (!rel.includes('/.')) return 'none';
  let found: 'none' | 'ht' | 'dot' = 'none';
  for (const seg of rel.split('/')) {
    if (!seg.startsWith('.') || seg === '.' || seg === '..') continue;
    found = 'dot';
  }
  const last = rel.slice(rel.lastIndexOf('/') + 1);
  return last.startsWith('.ht') ? 'ht' : found;
}

export interface Walked {
  readonly filename: string;
  readonly pathInfo: string;
  /** stat() of `filename` (links followed), undefined when it does not exist. */
  readonly stat: Stats | undefined;
  /** Whether a symbolic link was met on the way (only then is a realpath check needed). */
  readonly symlink: boolean;
}

/**
 * Apache's directory walk (like engine/mapToFile) with lstat, so one system call per segment
 * also tells whether any segment is a symbolic link.
 */
export function walk(docRoot: string, uri: string, dirs?: DirCache): Walked {
  const root = docRoot.replace(/\/$/, '');
  const segs = uri.split('/');
  let path = root;
  let symlink = false;
  let last: Stats | undefined;
  const now = dirs ? Date.now() : 0;
  for (let i = 1; i < segs.length; i++) {
    const candidate = path + '/' + segs[i];
    if (segs[i] === '' && i === segs.length - 1)
      return { filename: candidate, pathInfo: '', stat: last ?? statQuiet(path), symlink };
    const cached = i < segs.length - 1 ? dirs?.get(candidate, now) : undefined;
    let st = cached ? cached.stat : lstatQuiet(candidate);
    if (cached) symlink ||= cached.link;
    else if (st?.isSymbolicLink()) {
      symlink = true;
      st = statQuiet(candidate);
      dirs?.set(candidate, st, true, now);
    } else dirs?.set(candidate, st, false, now);
    if (!st || !st.isDirectory()) {
      const rest = segs.slice(i + 1);
      return {
        filename: candidate,
        pathInfo: rest.length ? '/' + rest.join('/') : '',
        stat: st,
        symlink,
      };
    }
    path = candidate;
    last = st;
  }
  return { filename: path, pathInfo: '', stat: last ?? statQuiet(path), symlink };
}

/**
 * Directories seen by recent walks (positive results only, for `ttlMs`): the segments above a file
 * rarely change, the file itself is always looked at afresh.
 */
export class DirCache {
  /** Directories remembered at most (keys come from request paths); full: start afresh. */
  static readonly MAX_ENTRIES = 10_000;
  private readonly map = new Map<string, { stat: Stats; link: boolean; at: number }>();
  constructor(private readonly ttlMs: number) {}
  get size(): number {
    return this.map.size;
  }
  get(p: string, now: number): { stat: Stats; link: boolean } | undefined {
    const e = this.map.get(p);
    if (!e) return undefined;
    if (now - e.at < this.ttlMs) return e;
    this.map.delete(p);
    return undefined;
  }
  set(p: string, stat: Stats | undefined, link: boolean, now: number): void {
    if (!this.ttlMs || !stat?.isDirectory()) return;
    if (this.map.size >= DirCache.MAX_ENTRIES) this.map.clear();
    this.map.set(p, { stat, link, at: now });
  }
}

function lstatQuiet(p: string): Stats | undefined {
  try {
    return lstatSync(fsPath(p), { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

export function statQuiet(p: string): Stats | undefined {
  try {
    return statSync(fsPath(p), { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}
