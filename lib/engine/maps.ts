/**
 * RewriteMap sources: `int:` functions, `txt:`/`rnd:` files (Apache's format, reloaded when the
 * file's mtime changes), `prg:` (one long-running child, line protocol, serialised, restarted if it
 * dies) and user functions (sync or async).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import createDebug from 'debug';
import { escapeUri, unescapeLoose } from './escape.js';

const debug = createDebug('modrewrite:map');

/** A lookup: a value, undefined for "not found", or a promise of either. */
export type MapResult = string | undefined | Promise<string | undefined>;

export interface RewriteMapSource {
  lookup(key: string): MapResult;
  /** Releases resources (prg child). */
  close?(): void;
}

/** A user map: a JS function from key to value (undefined/null/'' = not found), sync or async. */
export type UserMapFunction = (key: string) => string | undefined | null | Promise<string | undefined | null>;

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
    if (!out.has(m[1])) out.set(m[1], m[2]);
  }
  return out;
}

/** txt: and rnd: maps, cached until the file's mtime (or size) changes. */
export class FileMap implements RewriteMapSource {
  private entries = new Map<string, string>();
  private stamp = '';
  constructor(readonly path: string, readonly random: boolean) {
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

/**
 * prg: a long-running child fed `key\n`, answering one line. Lookups are queued (Apache serialises
 * them with a mutex); `NULL` means not found; a dead child is restarted on the next lookup.
 */
export class ProgramMap implements RewriteMapSource {
  private child?: ChildProcessWithoutNullStreams;
  private buffer = '';
  private readonly waiting: ((line: string | undefined) => void)[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(readonly command: string, readonly args: readonly string[] = [], readonly timeoutMs = 5000) {}

  private ensure(): ChildProcessWithoutNullStreams {
    if (this.child && this.child.exitCode === null && !this.child.killed) return this.child;
    const child = spawn(this.command, this.args as string[], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.buffer = '';
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl = this.buffer.indexOf('\n');
      while (nl >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        this.waiting.shift()?.(line);
        nl = this.buffer.indexOf('\n');
      }
    });
    const fail = (): void => {
      while (this.waiting.length) this.waiting.shift()?.(undefined);
    };
    child.on('exit', fail);
    child.on('error', (err) => { debug('prg %s: %s', this.command, err.message); fail(); });
    child.stdin.on('error', () => fail());
    child.stderr.resume();
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    (child.stderr as unknown as { unref?: () => void }).unref?.();
    this.child = child;
    return child;
  }

  lookup(key: string): Promise<string | undefined> {
    // A key with a newline would desynchronise the protocol: Apache answers "not found" without I/O.
    if (key.includes('\n') || this.closed) return Promise.resolve(undefined);
    const run = (): Promise<string | undefined> =>
      new Promise((resolve) => {
        const child = this.ensure();
        let done = false;
        const timer = setTimeout(() => finish(undefined), this.timeoutMs);
        const finish = (line: string | undefined): void => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          const i = this.waiting.indexOf(finish);
          if (i >= 0) this.waiting.splice(i, 1);
          resolve(line === undefined || line.toUpperCase() === 'NULL' ? undefined : line);
        };
        this.waiting.push(finish);
        child.stdin.write(Buffer.from(key + '\n', 'latin1'));
      });
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  close(): void {
    this.closed = true;
    this.child?.kill();
  }
}

/** Adapts a user function to the map interface (null and '' count as not found, like Apache). */
export function functionMap(fn: UserMapFunction): RewriteMapSource {
  return {
    lookup(key: string): MapResult {
      const v = fn(key);
      if (v && typeof (v as Promise<unknown>).then === 'function') {
        return (v as Promise<string | undefined | null>).then((x) => (x == null || x === '' ? undefined : String(x)));
      }
      return v == null || v === '' ? undefined : String(v);
    },
  };
}
