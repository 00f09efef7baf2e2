/**
 * A file tree in memory for `-f`/`-d`/`-s` conditions and the per-directory walk: the engine asks
 * an `FsView`, and this one answers from a list of paths below the document root. Browser-safe.
 */
import type { FsView } from '../engine/state.js';

/**
 * Files below the document root: path → content (its byte length is the file's size). A path
 * ending in `/` is a directory; every parent of an entry is a directory too. A leading `/` is
 * optional (paths are relative to the document root either way).
 */
export type VirtualFiles = Readonly<Record<string, string>>;

type Stat = NonNullable<ReturnType<FsView['stat']>>;

const FILE_MODE = 0o100644;
const DIR_MODE = 0o040755;

function fileStat(size: number): Stat {
  return { isFile: () => true, isDirectory: () => false, size, mode: FILE_MODE };
}

const DIR_STAT: Stat = { isFile: () => false, isDirectory: () => true, size: 4096, mode: DIR_MODE };

const encoder = new TextEncoder();

/**
 * An FsView over `files` under `documentRoot`: the document root and its ancestors are
 * directories (prefix_stat looks at the first segment), everything else comes from the list.
 */
export function virtualFs(documentRoot: string, files: VirtualFiles = {}): FsView {
  const root = documentRoot.replace(/\/+$/, '');
  const entries = new Map<string, Stat>();
  const addDirs = (path: string): void => {
    for (let i = path.indexOf('/', 1); i > 0; i = path.indexOf('/', i + 1))
      entries.set(path.slice(0, i), DIR_STAT);
  };
  addDirs(root + '/');
  entries.set(root || '/', DIR_STAT);
  for (const name of Object.keys(files)) {
    const relative = name.replace(/^\/+/, '');
    const full = root + '/' + relative;
    addDirs(full);
    if (full.endsWith('/')) entries.set(full.replace(/\/+$/, ''), DIR_STAT);
    // sizes are bytes, as stat() reports them (the content is UTF-8 text)
    else entries.set(full, fileStat(encoder.encode(files[name]!).length));
  }
  const stat = (p: string): Stat | undefined => {
    if (p.length <= 1 || !p.endsWith('/')) return entries.get(p);
    // `file/` is not a file (ENOTDIR), `dir/` is the directory
    const dir = entries.get(p.replace(/\/+$/, ''));
    return dir?.isDirectory() ? dir : undefined;
  };
  return {
    stat,
    // no symbolic links in a virtual tree
    lstat: (p) => (stat(p) ? { isSymbolicLink: () => false } : undefined),
  };
}
