/**
 * RewriteMap sources: `int:` functions, `txt:`/`rnd:` files (Apache's format, reloaded when the
 * file's mtime changes), `prg:` (program-map.ts) and user functions (sync or async).
 */
import { readFileSync, statSync } from 'node:fs';
import { debugLog } from '../debug-log.js';
import { escapeUri, unescapeLoose } from './escape.js';

export { ProgramMap, PRG_TIMEOUT_MS, PRG_BACKOFF_MS, PRG_BACKOFF_MAX_MS } from './program-map.js';

const debug = debugLog('modrewrite:map');

/** A lookup: a value, undefined for "not found", or a promise of either. */
export type MapResult = string | undefined | Promise<string | undefined>;

export interface RewriteMapSource {
  lookup(key: string): MapResult;
  /** Releases resources (prg child). */
  close?(): void;
}

/** A user map: a JS function from key to value (undefined/null/'' = not found), sync or async. */
export type UserMapFunction = (
  key: string,
) => string | undefined | null | Promise<string | undefined | null>;

const toUpper = (s: string): string => s.replace(/[a-z]+/g, (m) => m.toUpperCase());
const toLower = (s: string): string => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());

/** `int:` maps. A Map: the name is rule text (`int:constructor` is not found, as in Apache). */
export const INTERNAL_MAPS: ReadonlyMap<string, (key: string) => string> = new Map([
  ['toupper', toUpper],
  ['tolower', toLower],
  ['escape', escapeUri],
  ['unescape', unescapeLoose],
]);

/** Apache's txt map format: first whitespace-separated token is the key, the next is the value. */
export function parseMapFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const l = line.slice(0, 1024);
    if (l === '' || l[0] === '#' || /^\s/.test(l)) continue;
    const m = /^(\S+)\s+([^\s]+)/.exec(l);
    if (!m) continue;
    if (!out.has(m[1]!)) out.set(m[1]!, m[2]!);
  }
  return out;
}

/** txt: and rnd: maps, cached until the file's mtime (or size) changes. */
export class FileMap implements RewriteMapSource {
  private entries = new Map<string, string>();
  private stamp = '';
  constructor(
    readonly path: string,
    readonly random: boolean,
  ) {
    this.reload();
  }

  private reload(): void {
    const st = statSync(this.path);
    const stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    if (stamp === this.stamp) return;
    // read bytes as a byte string, like every other string the engine handles
    this.entries = parseMapFile(readFileSync(this.path).toString('latin1'));
    this.stamp = stamp;
    debug('loaded %s (%d keys)', this.path, this.entries.size);
  }

  lookup(key: string): string | undefined {
    try {
      this.reload();
    } catch (err) {
      debug('cannot reload %s: %s', this.path, (err as Error).message);
    }
    const v = this.entries.get(key);
    if (v === undefined || !this.random) return v;
    const choices = v.split('|');
    return choices[Math.floor(Math.random() * choices.length)];
  }
}

/** Adapts a user function to the map interface (null and '' count as not found, like Apache). */
export function functionMap(fn: UserMapFunction): RewriteMapSource {
  return {
    lookup(key: string): MapResult {
      const v = fn(key);
      if (v && typeof (v as Promise<unknown>).then === 'function') {
        return (v as Promise<string | undefined | null>).then((x) =>
          x == null || x === '' ? undefined : String(x),
        );
      }
      return v == null || v === '' ? undefined : String(v);
    },
  };
}
