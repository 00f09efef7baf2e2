/**
 * `.htaccess` discovery and merging, as Apache's directory walk does it with `AllowOverride All`:
 * every directory from the document root down to the request's file contributes its `.htaccess`,
 * merged parent → child (inheritRules). Each file is compiled once and re-checked (stat: mtime,
 * size, inode) at most every `recheckMs`; no watchers.
 */
import { readFileSync, statSync, type Stats } from 'node:fs';
import { compileText, type CompileOptions } from '../compile/compile.js';
import type { AccessConfig } from '../compile/access.js';
import { inheritRules } from '../compile/inherit.js';
import type { RuleSet } from '../compile/ruleset.js';
import { fsPath } from '../common/bytes.js';
import { RewriteError } from '../errors.js';
import { normalizeFsPath, underRoot } from './paths.js';
import { mergeSection, overrideKey, type DirectoryWalk } from './directory-walk.js';
import { OVERRIDE_ALL, readsHtaccess, type OverrideSpec } from '../syntax/directory-sections.js';

/** What applies in one directory after merging. */
export interface DirectoryConfig {
  /** The merged rule set (undefined: no `.htaccess` on the way, only the defaults). */
  readonly ruleSet: RuleSet | undefined;
  /**
   * The filesystem directory (ending in `/`) whose rewrite configuration is in effect: the prefix
   * per-directory rules strip.
   */
  readonly rewriteDir: string;
  /**
   * The access configuration of each `.htaccess` on the way, from the root down (site/access.ts
   * applies them).
   */
  readonly access: readonly AccessConfig[];
  /**
   * A `.htaccess` on the way that cannot be used: 500 (broken) or 403 (unreadable), like Apache.
   */
  readonly failure?: { readonly status: 403 | 500; readonly file: string; readonly error: Error };
  /**
   * The server sections and `.htaccess` files the walk merged, in order (unmerged): two requests
   * with the same ones share Apache's per-directory configuration (site/walk-identity.ts).
   */
  readonly walked?: readonly RuleSet[];
}

interface Entry {
  checkedAt: number;
  signature: string;
  ruleSet?: RuleSet;
  failure?: DirectoryConfig['failure'];
  version: number;
}

export interface HtaccessStoreOptions {
  /** @default '.htaccess' (Apache's AccessFileName) */
  readonly fileName?: string;
  /**
   * How often (ms) a file is stat'ed again to see whether it changed. 0: on every request.
   * @default 1000
   */
  readonly recheckMs?: number;
  readonly compile?: Omit<CompileOptions, 'context' | 'file'>;
  /**
   * Where a broken `.htaccess` is reported (once per version of the file).
   * @default console.error
   */
  readonly log?: (message: string) => void;
  /**
   * The parent configuration every directory inherits from (the server's `<Directory>` defaults).
   */
  readonly base?: RuleSet;
  /** The server config's `<Directory>`/`<Location>` sections (site/directory-walk.ts). */
  readonly walk?: DirectoryWalk;
}

let versions = 0;

/**
 * Directories whose `.htaccess` state is remembered (present, absent or broken). The keys come from
 * request paths: a symbolic link to `.` makes `/l/l/l/…` endless distinct directories, so the cache
 * is bounded; the least recently used entry goes first (re-reading it costs a stat and a compile).
 */
export const MAX_HTACCESS_ENTRIES = 4096;
/**
 * Merged configurations remembered, counted in directories (each remembers the version of every
 * directory above it: a deep path weighs more). Oldest first out.
 */
export const MAX_MERGED_WEIGHT = 65_536;

interface Merged {
  config: DirectoryConfig;
  versions: number[];
  checkedAt: number;
}

/** Compiled files remembered by identity (device, inode, mtime, size); oldest out. */
export const MAX_COMPILED_FILES = 1024;

export class HtaccessStore {
  /** Per directory (ending in `/`): its `.htaccess`, or null with the time its absence was seen. */
  private readonly entries = new Map<string, Entry | { absentAt: number }>();
  private readonly merged = new Map<string, Merged>();
  private mergedWeight = 0;
  private readonly byIdentity = new Map<string, RuleSet>();
  private readonly fileName: string;
  private readonly recheckMs: number;

  constructor(
    readonly root: string,
    private readonly options: HtaccessStoreOptions = {},
  ) {
    this.fileName = options.fileName ?? '.htaccess';
    this.recheckMs = options.recheckMs ?? 1000;
  }

  /**
   * The configuration for `filename` (an absolute path under the root; `isDirectory` when the
   * walk ends at a directory, whose own `.htaccess` then applies too).
   */
  configForPath(path: string, isDirectory: boolean, uri?: string): DirectoryConfig {
    // `..` must not walk the store out of the root (or make endless keys): resolved first
    const filename = normalizeFsPath(path);
    const walk = this.options.walk;
    if (!walk) return this.walkedConfig(filename, isDirectory);
    // with <Directory>/<Location> sections: also outside the root; the regex and Location
    // sections per request (site/directory-walk.ts)
    const walked = underRoot(filename, this.root)
      ? this.walkedConfig(filename, isDirectory)
      : walk.outside(filename, isDirectory);
    return walk.late(walked, filename, isDirectory, uri);
  }

  /** The `MATCH_*` variables of the config's `<DirectoryMatch>`/`<LocationMatch>` named groups. */
  setMatchEnv(filename: string, isDirectory: boolean, uri: string, env: Map<string, string>): void {
    this.options.walk?.setMatchEnv(normalizeFsPath(filename), isDirectory, uri, env);
  }

  /** Whether paths outside the root have a configuration too (the server config's sections). */
  get walksOutsideRoot(): boolean {
    return this.options.walk !== undefined;
  }

  private walkedConfig(filename: string, isDirectory: boolean): DirectoryConfig {
    const slash = filename.lastIndexOf('/');
    const deepest = isDirectory
      ? filename.endsWith('/')
        ? filename
        : filename + '/'
      : filename.slice(0, slash + 1);
    const now = Date.now();
    const cached = this.merged.get(deepest);
    // within the re-check interval nothing is looked at again: one map lookup per request
    if (cached && now - cached.checkedAt < this.recheckMs) return cached.config;
    return this.configFor(directoriesOf(this.root, filename, isDirectory), now);
  }

  /**
   * The configuration for the directories `dirs` (filesystem paths ending in `/`, from the
   * document root down, each an existing directory).
   */
  configFor(dirs: readonly string[], now = Date.now()): DirectoryConfig {
    const key = dirs[dirs.length - 1];
    const plan = this.options.walk?.plan(dirs);
    const entries = dirs.map((d, i) =>
      plan && !readsHtaccess(plan.overrides[i]) ? null : this.entry(d, now, plan?.overrides[i]),
    );
    const cached = this.merged.get(key);
    if (
      cached &&
      cached.versions.length === entries.length &&
      cached.versions.every((v, i) => v === (entries[i]?.version ?? 0))
    ) {
      cached.checkedAt = now;
      return cached.config;
    }
    let ruleSet = this.options.base;
    let rewriteDir = dirs[0];
    let failure: DirectoryConfig['failure'];
    const access: AccessConfig[] = [];
    const walked: RuleSet[] = [];
    for (let i = 0; i < dirs.length; i++) {
      for (const s of plan?.sections[i] ?? []) {
        ruleSet = mergeSection(s, ruleSet, access);
        walked.push(s.ruleSet);
        if (s.ruleSet.hasRewriteDirectives) rewriteDir = s.rewriteDir;
      }
      const e = entries[i];
      if (!e) continue;
      if (e.failure) {
        failure = e.failure;
        break;
      }
      const child = e.ruleSet!;
      walked.push(child);
      if (child.access) access.push(child.access);
      if (child.hasRewriteDirectives) rewriteDir = dirs[i];
      ruleSet = ruleSet ? inheritRules(ruleSet, child) : child;
    }
    const config: DirectoryConfig = { ruleSet, rewriteDir, access, failure, walked };
    this.remember(key, { config, versions: entries.map((e) => e?.version ?? 0), checkedAt: now });
    return config;
  }

  /** How much is cached (for tests and monitoring): every number stays under its bound. */
  cacheSizes(): { entries: number; merged: number; mergedWeight: number; compiled: number } {
    return {
      entries: this.entries.size,
      merged: this.merged.size,
      mergedWeight: this.mergedWeight,
      compiled: this.byIdentity.size,
    };
  }

  private remember(key: string, m: Merged): void {
    const old = this.merged.get(key);
    if (old) {
      this.mergedWeight -= old.versions.length;
      this.merged.delete(key);
    }
    // Map iteration is insertion order: the first key is the oldest
    while (this.merged.size && this.mergedWeight + m.versions.length > MAX_MERGED_WEIGHT) {
      const [oldestKey, oldest] = this.merged.entries().next().value!;
      this.mergedWeight -= oldest.versions.length;
      this.merged.delete(oldestKey);
    }
    this.merged.set(key, m);
    this.mergedWeight += m.versions.length;
  }

  private store(dir: string, value: Entry | { absentAt: number }): void {
    this.entries.delete(dir);
    if (this.entries.size >= MAX_HTACCESS_ENTRIES)
      this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(dir, value);
  }

  /**
   * The rule set of one file. The same file is often reached under many directory names (a
   * symbolic link to `.` inside the root): it is read and compiled once per version (device,
   * inode, mtime, size), whatever the name.
   */
  private compiled(file: string, st: Stats, overrides?: OverrideSpec): RuleSet {
    const limited = overrides && overrides !== OVERRIDE_ALL ? overrides : undefined;
    const identity = `${st.dev}:${st.ino}:${st.mtimeMs}:${st.size}${limited ? overrideKey(limited) : ''}`;
    const known = this.byIdentity.get(identity);
    if (known) return known;
    const ruleSet = compileText(readFileSync(fsPath(file), 'utf8'), {
      ...this.options.compile,
      context: 'directory',
      file,
      // the pipeline's access phase applies them (site/access.ts)
      accessControl: true,
      // SetEnvIf, SetEnv, ErrorDocument, <If>: the pipeline applies them (site/env.ts); the fixups
      // apply mod_alias's redirects (site/alias.ts)
      siteDirectives: true,
      // AllowOverride other than All (a <Directory> section): each line's class is checked
      overrides: limited,
    });
    // load warnings (WARN_NO_EFFECT...): once per version of the file, like its errors
    const log = this.options.log ?? ((m: string) => console.error(m));
    for (const w of ruleSet.warnings ?? [])
      log(`modrewrite: ${file}:${w.line}:${w.column}: warning ${w.code}: ${w.message}`);
    if (this.byIdentity.size >= MAX_COMPILED_FILES)
      this.byIdentity.delete(this.byIdentity.keys().next().value!);
    this.byIdentity.set(identity, ruleSet);
    return ruleSet;
  }

  private entry(dir: string, now: number, overrides?: OverrideSpec): Entry | null {
    const cached = this.entries.get(dir);
    let e = cached && 'absentAt' in cached ? null : cached;
    const seenAt =
      cached === undefined ? undefined : 'absentAt' in cached ? cached.absentAt : cached.checkedAt;
    if (seenAt !== undefined && seenAt + this.recheckMs > now && this.recheckMs > 0) {
      // least recently used goes first: the directories near the root, on every walk, stay
      this.entries.delete(dir);
      this.entries.set(dir, cached!);
      return e ?? null;
    }
    const file = dir + this.fileName;
    let st: Stats | undefined;
    let statError: Error | undefined;
    try {
      st = statSync(fsPath(file), { throwIfNoEntry: false });
    } catch (err) {
      statError = err as Error;
    }
    // a directory whose path is too long cannot be on the walk (it fails first, 403): only a
    // lexical lookup (the body limit of a status answer for a grown URL-path, case 311) gets here
    const tooLong = (statError as NodeJS.ErrnoException | undefined)?.code === 'ENAMETOOLONG';
    if (!st && (!statError || tooLong)) {
      this.store(dir, { absentAt: now });
      return null;
    }
    const signature = st
      ? `${st.mtimeMs}:${st.size}:${st.ino}`
      : `error:${(statError as NodeJS.ErrnoException).code}`;
    if (e && e.signature === signature) {
      e.checkedAt = now;
      this.store(dir, e);
      return e;
    }
    e = { checkedAt: now, signature, version: ++versions };
    try {
      if (statError) throw statError;
      if (!st!.isFile()) throw new Error(`${file} is not a regular file`);
      e.ruleSet = this.compiled(file, st!, overrides);
    } catch (err) {
      // Apache: a .htaccess that cannot be opened (permissions, a symlink loop) is a 403 ("unable
      // to check htaccess file"); one that does not parse is a 500
      const status = err instanceof RewriteError ? 500 : 403;
      const error =
        err instanceof RewriteError ? err : new Error(`${file}: ${(err as Error).message}`);
      e.failure = { status, file, error };
      (this.options.log ?? ((m: string) => console.error(m)))(
        `modrewrite: ${file}: ${status === 403 ? 'unable to check htaccess file, ensure it is readable' : 'invalid configuration'}: ${error.message}`,
      );
    }
    this.store(dir, e);
    return e;
  }
}

/**
 * The directories Apache's walk passes for `filename` (an absolute path under `root`): the root,
 * each directory below it on the way, and `filename` itself when it is a directory.
 */
export function directoriesOf(root: string, filename: string, isDirectory: boolean): string[] {
  const r = root.endsWith('/') ? root : root + '/';
  const dirs = [r];
  if (!underRoot(filename, r)) return dirs;
  const rest = filename.slice(r.length).split('/');
  const n = isDirectory ? rest.length : rest.length - 1;
  let cur = r;
  for (let i = 0; i < n; i++) {
    if (!rest[i]) continue;
    cur += rest[i] + '/';
    dirs.push(cur);
  }
  return dirs;
}
