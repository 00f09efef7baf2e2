/**
 * The virtual file tree `-f`/`-d`/`-s` and the URL-to-file mapping see: a set of paths under the
 * DocumentRoot. It answers the `node:fs` shim of the browser bundle (shims/node-fs.ts: `<IfFile>` at
 * load) and the outcome box (which file a URL maps to), so they read the tree explain() is given.
 */

interface VirtualStat {
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  readonly size: number;
  readonly mode: number;
  readonly mtimeMs: number;
  readonly mtime: Date;
}

let files = new Set<string>();
let dirs = new Set<string>(['/']);

/** Replaces the tree: `root` plus each relative path (`dir/` a directory, its parents implied). */
export function setVirtualFiles(root: string, paths: readonly string[]): void {
  files = new Set();
  dirs = new Set(['/']);
  const base = root.replace(/\/+$/, '');
  addParents(base);
  for (const given of paths) {
    const rel = given.trim().replace(/^\/+/, '');
    if (!rel) continue;
    const full = `${base}/${rel}`;
    if (rel.endsWith('/')) dirs.add(full.replace(/\/+$/, ''));
    else files.add(full);
    addParents(full);
  }
}

function addParents(path: string): void {
  let cut = path.lastIndexOf('/');
  while (cut > 0) {
    dirs.add(path.slice(0, cut));
    cut = path.lastIndexOf('/', cut - 1);
  }
}

function statOf(kind: 'file' | 'dir'): VirtualStat {
  return {
    isFile: () => kind === 'file',
    isDirectory: () => kind === 'dir',
    isSymbolicLink: () => false,
    size: kind === 'file' ? 1 : 4096,
    mode: kind === 'file' ? 0o100644 : 0o40755,
    mtimeMs: 0,
    mtime: new Date(0),
  };
}

/** stat() of the virtual tree: undefined when the path does not exist. */
export function virtualStat(path: unknown): VirtualStat | undefined {
  if (typeof path !== 'string') return undefined;
  const p = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (files.has(p)) return statOf('file');
  if (dirs.has(p)) return statOf('dir');
  return undefined;
}
