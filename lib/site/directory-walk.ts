/**
 * The server config's `<Directory>`/`<Location>` sections in Apache's merge order
 * (server/request.c):
 *
 * 1. `ap_directory_walk`, level by level from `/` down to the file's directory: the plain
 *    `<Directory>` sections of that level (shortest path first, then config order; `<Directory />`
 *    at the first level), then the level's `.htaccess` when `AllowOverride` lets it be read.
 * 2. After the walk, `<Directory ~>` and `<DirectoryMatch>` in config order, tested on r->filename.
 * 3. `ap_file_walk`: `<Files>` (kept in each RuleSet's `filesScoped`, applied per file as today).
 * 4. `ap_location_walk` (re-run after map_to_storage): `<Location>`/`<LocationMatch>` in config
 *    order, tested on the URL-path: they override everything.
 *
 * Steps 1 is merged by the HtaccessStore (its per-directory cache); 2 and 4 per request, only
 * when the config has such sections, with a cache per merged configuration and set of matches.
 */
import type { AccessConfig, FilesAccess } from '../compile/access.js';
import type { FilesMime } from '../compile/mime.js';
import type { FilesSection } from '../syntax/sections.js';
import {
  slashes,
  type CompiledSection,
  type OverrideSetting,
} from '../compile/directory-sections.js';
import { realpathOf } from './paths.js';
import { inheritRules } from '../compile/inherit.js';
import type { RuleSet } from '../compile/ruleset.js';
import { OVERRIDE_ALL, type OverrideSpec } from '../syntax/directory-sections.js';
import type { DirectoryConfig } from './htaccess-store.js';

/** `AllowOverride None`: Apache 2.4's default above the document root. */
export const OVERRIDE_NONE: OverrideSpec = {
  classes: new Set(),
  nonfatalOverride: false,
  nonfatalUnknown: false,
};

/** What the walk merges at each level of a directory list (see HtaccessStore.configFor). */
export interface WalkPlan {
  /**
   * Per level: the plain `<Directory>` sections merged before its `.htaccess` (level 0 includes
   * those above the root).
   */
  readonly sections: readonly (readonly CompiledSection[])[];
  /** Per level: the `AllowOverride` in effect for its `.htaccess`. */
  readonly overrides: readonly OverrideSpec[];
}

/** Merged configurations remembered per configuration and set of late sections matched. */
const MAX_LATE_VARIANTS = 256;

/** The sections of one site, sorted the way the walks visit them. */
export class DirectoryWalk {
  private readonly plain: readonly CompiledSection[];
  private readonly regexes: readonly CompiledSection[];
  private readonly locations: readonly CompiledSection[];
  private readonly named: readonly CompiledSection[];
  private readonly lateCache = new WeakMap<DirectoryConfig, Map<string, DirectoryConfig>>();
  private readonly outsideCache = new Map<string, DirectoryConfig>();

  /**
   * `rootOverride`: the document root's AllowOverride before the config's own sections (site():
   * All).
   */
  constructor(
    sections: readonly CompiledSection[],
    private readonly rootOverride: OverrideSpec = OVERRIDE_ALL,
  ) {
    // core_reorder_directories: plain sections by number of components (stable: config order)
    this.plain = sections
      .filter((s) => s.section.kind === 'directory' && !s.section.regex)
      .map(realDirectory)
      .sort((a, b) => a.components - b.components);
    this.regexes = sections
      .filter((s) => s.section.kind === 'directory' && s.section.regex)
      .sort((a, b) => a.components - b.components);
    this.locations = sections.filter((s) => s.section.kind === 'location').map(afterFiles);
    // in the order the walks merge them: a later section's variable wins
    this.named = [...this.regexes, ...this.locations].filter((s) => s.matchEnv);
  }

  /**
   * Steps 1's sections and AllowOverride for `dirs` (filesystem paths ending in `/`, root first).
   */
  plan(dirs: readonly string[]): WalkPlan {
    const levels = [...ancestorsOf(dirs[0]), ...dirs];
    const above = levels.length - dirs.length;
    const sections: CompiledSection[][] = dirs.map(() => []);
    const overrides: OverrideSpec[] = [];
    let override = OVERRIDE_NONE;
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i];
      const mine = sections[Math.max(0, i - above)];
      // the document root's default comes first at its level; the config's sections override it
      if (i === above) override = this.rootOverride;
      const depth = i === 0 ? 0 : slashes(level);
      for (const s of this.plain) {
        const at = s.components === 0 ? 0 : s.components;
        if ((at === 0 ? i !== 0 : at !== depth) || !s.matches(level)) continue;
        mine.push(s);
        override = applyOverride(override, s.override);
      }
      if (i >= above) overrides.push(override);
    }
    return { sections, overrides };
  }

  /**
   * Steps 2 and 4 over the walked configuration of `filename` (`isDirectory`: the walk ended at
   * it) for the URL-path `uri` (undefined: Location sections are not applied).
   */
  late(
    config: DirectoryConfig,
    filename: string,
    isDirectory: boolean,
    uri: string | undefined,
  ): DirectoryConfig {
    if (config.failure || (!this.regexes.length && !this.locations.length)) return config;
    const subject = isDirectory && !filename.endsWith('/') ? filename + '/' : filename;
    const matched = this.regexes.filter((s) => s.matches(subject));
    if (uri !== undefined) matched.push(...this.locations.filter((s) => locationMatches(s, uri)));
    if (!matched.length) return config;
    const key = matched.map((s) => this.indexOf(s)).join(',');
    let variants = this.lateCache.get(config);
    const known = variants?.get(key);
    if (known) return known;
    const merged = mergeSections(config, matched);
    if (!variants) this.lateCache.set(config, (variants = new Map()));
    if (variants.size < MAX_LATE_VARIANTS) variants.set(key, merged);
    return merged;
  }

  /**
   * Step 1 for a file outside the document root (an allowed root, an Alias target): the plain
   * `<Directory>` sections on its way, no `.htaccess` (site() reads them under its root only).
   */
  outside(filename: string, isDirectory: boolean): DirectoryConfig {
    const dir = isDirectory
      ? filename.replace(/\/?$/, '/')
      : filename.slice(0, filename.lastIndexOf('/') + 1);
    const known = this.outsideCache.get(dir);
    if (known) return known;
    const dirs = [...ancestorsOf(dir), dir];
    const plan = this.plan(dirs);
    const access: AccessConfig[] = [];
    let ruleSet: RuleSet | undefined;
    let rewriteDir = dirs[0];
    const sections = plan.sections.flat();
    for (const s of sections) {
      ruleSet = mergeSection(s, ruleSet, access);
      if (s.ruleSet.hasRewriteDirectives) rewriteDir = s.rewriteDir;
    }
    const walked = sections.map((s) => s.ruleSet);
    const config: DirectoryConfig = { ruleSet, rewriteDir, access, walked };
    if (this.outsideCache.size >= MAX_LATE_VARIANTS)
      this.outsideCache.delete(this.outsideCache.keys().next().value!);
    this.outsideCache.set(dir, config);
    return config;
  }

  /**
   * The `MATCH_*` variables of the regex sections with named groups that match this request
   * (the walks set them in r->subprocess_env, before any module's hook reads it).
   */
  setMatchEnv(filename: string, isDirectory: boolean, uri: string, env: Map<string, string>): void {
    if (!this.named.length) return;
    const subject = isDirectory && !filename.endsWith('/') ? filename + '/' : filename;
    for (const s of this.named) {
      const pairs = s.matchEnv!(s.section.kind === 'location' ? uri : subject);
      for (const [name, value] of pairs ?? []) env.set(name, value);
    }
  }

  private indexOf(s: CompiledSection): number {
    const i = this.regexes.indexOf(s);
    return i >= 0 ? i : this.regexes.length + this.locations.indexOf(s);
  }
}

/**
 * The walk of a site whose server config has sections (undefined: none, nothing per request);
 * `htaccess`: whether `.htaccess` files are read (site()'s `htaccess: false` is AllowOverride
 * None).
 */
export function directoryWalk(
  serverRules: RuleSet | undefined,
  htaccess: boolean,
): DirectoryWalk | undefined {
  const sections = serverRules?.sections;
  if (!sections?.length) return undefined;
  return new DirectoryWalk(sections, htaccess ? OVERRIDE_ALL : OVERRIDE_NONE);
}

/**
 * site() serves from the real path of its root (symbolic links resolved): a `<Directory>` path
 * that exists is resolved the same way, or a link in it would make the section never match.
 */
function realDirectory(s: CompiledSection): CompiledSection {
  const path = s.rewriteDir;
  if (path === '/' || /[*?[]/.test(path)) return s;
  const real = realpathOf(path);
  if (real === undefined || real + '/' === path) return s;
  const dir = real.endsWith('/') ? real : real + '/';
  return { ...s, components: slashes(dir), matches: (d) => d === dir, rewriteDir: dir };
}

/** Matches every file name: see afterFiles. */
const ANY_FILE = (): boolean => true;

/**
 * core's file walk (`<Files>`) runs before the location walk, so a `<Location>`'s mod_headers and
 * mod_expires entries, and its access rules, come after those of every `<Files>` section.
 * site/headers.ts puts the entries of `<Files>` sections after the directory's: the Location's are
 * marked like them (a test every name passes), which keeps them last, in order.
 */
function afterFiles(s: CompiledSection): CompiledSection {
  const rs = s.ruleSet;
  const headers = rs.headers?.map((a) => (a.files ? a : { ...a, files: ANY_FILE }));
  const expires = rs.expires?.map((l) => (l.files ? l : { ...l, files: ANY_FILE }));
  const access = accessAfterFiles(rs.access);
  return { ...s, ruleSet: { ...rs, headers, expires, access, ...mimeAfterFiles(rs) } };
}

/** A `<Files>` section test every name passes, for the entries moved after the real ones. */
const EVERY_FILE: FilesSection = {
  opener: '<Files',
  regex: true,
  pattern: '',
  pos: { line: 0, column: 0 },
};

/**
 * And for mod_mime and AddDefaultCharset (inherit.ts settingsForFile, site/mime.ts
 * withFilesSections apply the `<Files>` settings after the directory's): recorded, case 224.
 */
function mimeAfterFiles(
  rs: RuleSet,
): Pick<
  RuleSet,
  'addTypes' | 'addEncodings' | 'mime' | 'filesMime' | 'defaultCharset' | 'filesScoped'
> {
  const mime = rs.addTypes || rs.addEncodings || rs.mime;
  const own: FilesMime = {
    section: EVERY_FILE,
    matches: ANY_FILE,
    addTypes: rs.addTypes,
    addEncodings: rs.addEncodings,
    mime: rs.mime,
  };
  const charset =
    rs.defaultCharset === undefined
      ? undefined
      : { matches: ANY_FILE, ruleSet: { ...rs, defaultCharset: rs.defaultCharset } };
  return {
    addTypes: undefined,
    addEncodings: undefined,
    mime: undefined,
    filesMime: mime ? [own, ...(rs.filesMime ?? [])] : rs.filesMime,
    defaultCharset: undefined,
    filesScoped: charset ? [charset, ...(rs.filesScoped ?? [])] : rs.filesScoped,
  };
}

/** The same for the access phase (site/access.ts applies every `<Files>` after every directory). */
function accessAfterFiles(access: AccessConfig | undefined): AccessConfig | undefined {
  if (!access) return undefined;
  const own: FilesAccess = {
    section: EVERY_FILE,
    matches: ANY_FILE,
    access: access.directory,
  };
  return { ...access, directory: {}, files: [own, ...access.files] };
}

/**
 * `<Location>` tests the URL-path with its `//` merged (ap_no2slash); `<LocationMatch>` the URI as
 * is.
 */
function locationMatches(s: CompiledSection, uri: string): boolean {
  return s.matches(s.section.regex ? uri : uri.replace(/\/{2,}/g, '/'));
}

/** One section merged like a child directory: its rules, its access layer, its rewrite prefix. */
export function mergeSection(
  s: CompiledSection,
  ruleSet: RuleSet | undefined,
  access: AccessConfig[],
): RuleSet {
  if (s.ruleSet.access) access.push(s.ruleSet.access);
  return ruleSet ? inheritRules(ruleSet, s.ruleSet) : s.ruleSet;
}

function mergeSections(
  config: DirectoryConfig,
  sections: readonly CompiledSection[],
): DirectoryConfig {
  const access = [...config.access];
  const walked = [...(config.walked ?? [])];
  let ruleSet = config.ruleSet;
  let rewriteDir = config.rewriteDir;
  for (const s of sections) {
    ruleSet = mergeSection(s, ruleSet, access);
    walked.push(s.ruleSet);
    if (s.ruleSet.hasRewriteDirectives) rewriteDir = s.rewriteDir;
  }
  return { ...config, ruleSet, rewriteDir, access, walked };
}

/** core's merge of AllowOverride / AllowOverrideList: each replaces what it names. */
export function applyOverride(
  current: OverrideSpec,
  setting: OverrideSetting | undefined,
): OverrideSpec {
  if (!setting) return current;
  const base = setting.spec ? { ...setting.spec, list: current.list } : current;
  if (setting.list === undefined) return base;
  return { ...base, list: setting.list ?? undefined };
}

/** The directories above `root` (ending in `/`): `/`, `/srv/`... — not `root` itself. */
export function ancestorsOf(root: string): string[] {
  const out: string[] = [];
  let i = root.indexOf('/', 0);
  while (i >= 0 && i < root.length - 1) {
    out.push(root.slice(0, i + 1));
    i = root.indexOf('/', i + 1);
  }
  return out;
}

/** A stable text for an AllowOverride (the compiled-file cache keys on it). */
export function overrideKey(spec: OverrideSpec): string {
  const sorted = (set: ReadonlySet<string> | undefined): string =>
    set ? [...set].sort().join(',') : '*';
  return `|${sorted(spec.classes)}|${sorted(spec.options)}|${spec.nonfatalOverride}|${spec.nonfatalUnknown}|${sorted(spec.list)}`;
}
