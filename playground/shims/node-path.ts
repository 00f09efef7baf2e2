/** `node:path` in the browser bundle: the POSIX functions the engine uses. */

export function normalize(path: string): string {
  const absolute = path.startsWith('/');
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
      continue;
    }
    out.push(seg);
  }
  const joined = out.join('/');
  const tail = path.endsWith('/') && joined ? '/' : '';
  if (absolute) return '/' + joined + tail;
  return (joined || '.') + tail;
}

export function isAbsolute(path: string): boolean {
  return path.startsWith('/');
}

export function join(...parts: string[]): string {
  return normalize(parts.filter((p) => p !== '').join('/') || '.');
}

export function resolve(...parts: string[]): string {
  let path = '';
  for (let i = parts.length - 1; i >= 0 && !path.startsWith('/'); i--)
    path = parts[i] + (path ? '/' + path : '');
  const full = normalize(path.startsWith('/') ? path : '/' + path);
  return full.length > 1 ? full.replace(/\/$/, '') : full;
}

export function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

export function dirname(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const cut = trimmed.lastIndexOf('/');
  if (cut < 0) return '.';
  return cut === 0 ? '/' : trimmed.slice(0, cut);
}

export const sep = '/';
export const posix = { normalize, isAbsolute, join, resolve, basename, dirname, sep };
export default posix;
