/**
 * `<Directory>`, `<DirectoryMatch>`, `<Location>`, `<LocationMatch>` sections of a server config
 * compiled: each body as a directory-context RuleSet (what an `.htaccess` may hold, plus
 * `AllowOverride`), with the test Apache's walks apply to it (server/request.c
 * `ap_directory_walk`, `ap_location_walk`). site/directory-walk.ts merges them.
 */
import type { SourcePosition } from '../errors.js';
import type { Directive } from '../syntax/ast.js';
import type {
  AllowOverrideDirective,
  ContainerBody,
  ContainerSection,
  OverrideSpec,
} from '../syntax/directory-sections.js';
import { parseLines, type ProblemSink } from '../syntax/parse.js';
import { fnmatchRegExp } from './access.js';
import { compilePcre, PcreError } from './pcre.js';
import type { RuleSet } from './ruleset.js';
import { utf8ToBytes } from '../common/bytes.js';

/** What a `<Directory>` says about the `.htaccess` files below it (undefined fields: not said). */
export interface OverrideSetting {
  readonly spec?: Omit<OverrideSpec, 'list'>;
  /** `AllowOverrideList`; null: `None`. */
  readonly list?: ReadonlySet<string> | null;
}

/** One compiled section. */
export interface CompiledSection {
  readonly section: ContainerSection;
  /**
   * Its number of `/` (ap_count_dirs): a plain `<Directory>`'s walk level, every `<Directory>`'s
   * sort key.
   */
  readonly components: number;
  /**
   * The test: a directory path ending in `/` (plain `<Directory>`), r->filename (regex), or the
   * URL-path.
   */
  readonly matches: (subject: string) => boolean;
  readonly ruleSet: RuleSet;
  /** mod_rewrite's per-directory prefix in this section (Apache's `cmd->path` with a `/` added). */
  readonly rewriteDir: string;
  readonly override?: OverrideSetting;
  /**
   * A regex section with named groups: the `MATCH_<NAME>` variables (upper case) a match sets
   * (core.c dirsection/urlsection `refs`, set by the walks); undefined when it has none.
   */
  readonly matchEnv?: (subject: string) => [string, string][] | undefined;
}

/** The compile step for one body (compile.ts's compileDirectives with the site's options). */
export type CompileBody = (directives: readonly Directive[]) => RuleSet;

/** apr_fnmatch_test: the path has wildcard characters. */
const hasWildcard = (p: string): boolean => /[*?[]/.test(p);

/** Compiles every section (problems into `sink`, positioned at the lines of the config). */
export function compileSections(
  bodies: readonly ContainerBody[],
  parseOptions: Parameters<typeof parseLines>[1],
  compileBody: CompileBody,
  sink: ProblemSink,
): readonly CompiledSection[] {
  const out: CompiledSection[] = [];
  for (const body of bodies) {
    const { section } = body;
    const { directives } = parseLines(body.lines, { ...parseOptions, section }, sink);
    const settings = directives.filter(
      (d): d is AllowOverrideDirective => d.type === 'AllowOverride',
    );
    const ruleSet = compileBody(directives.filter((d) => d.type !== 'AllowOverride'));
    // paths and URL-paths are byte strings (common/bytes.ts), as the pattern must be
    const pattern = utf8ToBytes(section.pattern);
    const compiled = sectionTest({ ...section, pattern }, sink);
    if (!compiled) continue;
    const { matches, matchEnv } = compiled;
    out.push({
      section,
      components: slashes(pattern),
      matches,
      ruleSet,
      rewriteDir: pattern.endsWith('/') ? pattern : pattern + '/',
      override: overrideSetting(settings),
      ...(matchEnv && { matchEnv }),
    });
  }
  return out;
}

/** The `AllowOverride` lines of one section, the last of each kind winning (core's merge). */
function overrideSetting(settings: readonly AllowOverrideDirective[]): OverrideSetting | undefined {
  if (!settings.length) return undefined;
  let spec: OverrideSetting['spec'];
  let list: OverrideSetting['list'];
  for (const s of settings) {
    if (s.spec) spec = s.spec;
    if (s.list !== undefined) list = s.list;
  }
  return { spec, list };
}

/**
 * core.c dirsection's d_components: ap_count_dirs of the path — or of the regex text, by which
 * regex sections are sorted too (core_reorder_directories); `/` counts as 0: first of all.
 */
export function slashes(path: string): number {
  if (path === '/') return 0;
  let n = 0;
  for (const c of path) if (c === '/') n++;
  return n;
}

/**
 * The walk's test for a section: regex (PCRE, case-sensitive unless `(?i)`), apr_fnmatch with
 * APR_FNM_PATHNAME, a `<Directory>` path compared whole (strcmp), a `<Location>` path as a prefix
 * ending at a segment boundary (ap_location_walk).
 */
function sectionTest(section: ContainerSection, sink: ProblemSink): SectionTest | undefined {
  const { pattern } = section;
  if (section.regex) return regexTest(pattern, section.opener, section.pos, sink);
  if (hasWildcard(pattern)) {
    const re = fnmatchRegExp(pattern);
    return { matches: (s) => re.test(s) };
  }
  if (section.kind === 'directory')
    return { matches: pattern === '/' ? () => true : (s) => s === pattern };
  return { matches: (uri) => locationPrefix(pattern, uri) };
}

interface SectionTest {
  readonly matches: (subject: string) => boolean;
  readonly matchEnv?: CompiledSection['matchEnv'];
}

/** ap_location_walk's strncmp test: `/a` matches `/a`, `/a/`, `/a/b`, never `/ab`. */
export function locationPrefix(pattern: string, uri: string): boolean {
  if (!uri.startsWith(pattern)) return false;
  if (pattern === '' || pattern.endsWith('/')) return true;
  const next = uri.charAt(pattern.length);
  return next === '' || next === '/';
}

function regexTest(
  pattern: string,
  opener: string,
  pos: SourcePosition,
  sink: ProblemSink,
): SectionTest | undefined {
  try {
    const re = compilePcre(pattern, false);
    const matches = (s: string): boolean => {
      re.lastIndex = 0;
      return re.test(s);
    };
    // only named groups become MATCH_* (numbered ones do not: recorded, case 221)
    if (!/\(\?<[A-Za-z_]/.test(re.source)) return { matches };
    const matchEnv = (s: string): [string, string][] | undefined => {
      re.lastIndex = 0;
      const groups = re.exec(s)?.groups;
      if (!groups) return undefined;
      return Object.entries(groups)
        .filter((e): e is [string, string] => e[1] !== undefined)
        .map(([name, value]) => ['MATCH_' + name.toUpperCase(), value]);
    };
    return { matches, matchEnv };
  } catch (err) {
    if (!(err instanceof PcreError)) throw err;
    sink.add(
      err.unsupported ? 'ERR_REGEX_UNSUPPORTED' : 'ERR_REGEX',
      `${opener}>: Regex could not be compiled: ${err.message}`,
      pos,
    );
    return undefined;
  }
}
