/**
 * Server-config containers (core.c `dirsection`, `urlsection`): `<Directory path>`,
 * `<Directory ~ re>`, `<DirectoryMatch re>`, `<Location path>`, `<Location ~ re>`,
 * `<LocationMatch re>`, and core's `AllowOverride` / `AllowOverrideList` (`set_override`,
 * `set_override_list`), with the check Apache's `ap_parse_htaccess` makes on every `.htaccess`
 * line (invoke_cmd: "<directive> not allowed here"). The sections' bodies are read by
 * sections.ts and compiled in directory context by compile/directory-sections.ts; site() merges
 * them in Apache's order (site/directory-walk.ts).
 */
import type { RewriteErrorCode, RewriteWarningCode, SourcePosition } from '../errors.js';
import type { Arg, SourcePositioned } from './ast.js';
import { getWordConf, type ContainerOpening } from './sections.js';
import { parseConfWords, type LogicalLine } from './lexer.js';
import { overrideClassOf, type OverrideClass } from './modules.js';

export type ContainerOpener = '<Directory' | '<DirectoryMatch' | '<Location' | '<LocationMatch';

/** The container openers by lower-case spelling. */
export const CONTAINER_OPENERS = new Map<string, ContainerOpener>([
  ['<directory', '<Directory'],
  ['<directorymatch', '<DirectoryMatch'],
  ['<location', '<Location'],
  ['<locationmatch', '<LocationMatch'],
]);

/** One `<Directory>`/`<Location>` section as written. */
export interface ContainerSection {
  readonly opener: ContainerOpener;
  /**
   * `directory`: matched against the filesystem path (directory walk); `location`: the URL-path.
   */
  readonly kind: 'directory' | 'location';
  /** The `~` form or a `...Match` section: `pattern` is a regular expression (PCRE). */
  readonly regex: boolean;
  /**
   * The path (`<Directory>`: with its trailing slash, as core's dirsection appends it), wildcard or
   * regex.
   */
  readonly pattern: string;
  readonly pos: SourcePosition;
}

/** A section with the lines of its body (compiled on their own, in directory context). */
export interface ContainerBody {
  readonly section: ContainerSection;
  readonly lines: readonly LogicalLine[];
}

/** core.c `dirsection` / `urlsection`: the opener's argument; an error in Apache's words. */
export function containerSection(
  opener: ContainerOpener,
  args: string,
  pos: SourcePosition,
): ContainerSection | { error: string } {
  const end = args.lastIndexOf('>');
  if (end < 0) return { error: `${opener}> directive missing closing '>'` };
  const arg = args.slice(0, end);
  if (arg.trim() === '') return { error: `${opener}> directive requires additional arguments` };
  const first = getWordConf(arg, 0);
  const match = opener.endsWith('Match');
  const tilde = !match && first.word === '~';
  const { word, next } = tilde ? getWordConf(arg, first.next) : first;
  if (next < arg.length) return { error: `Multiple ${opener}> arguments not (yet) supported.` };
  const kind = opener.startsWith('<Directory') ? 'directory' : 'location';
  const regex = match || tilde;
  if (regex || kind === 'location') return { opener, kind, regex, pattern: word, pos };
  // dirsection canonicalises the path (apr_filepath_merge against the working directory):
  // modrewrite needs the real path, so a relative one is refused rather than guessed
  if (!word.startsWith('/'))
    return { error: `${opener} "${word}">: modrewrite needs an absolute filesystem path` };
  const path = word.replace(/\/{2,}/g, '/');
  return { opener, kind, regex, pattern: path.endsWith('/') ? path : path + '/', pos };
}

/** What `AllowOverride` and `AllowOverrideList` allow in the `.htaccess` files of a directory. */
export interface OverrideSpec {
  /** The override classes allowed (`All`: every one; empty: None). */
  readonly classes: ReadonlySet<Exclude<OverrideClass, 'All'>>;
  /** `Options=...`: the option keywords (lower case) an `.htaccess` may change; undefined: all. */
  readonly options?: ReadonlySet<string>;
  /**
   * `Nonfatal=Override|All`: a directive of a class not allowed is skipped (a warning), not a 500.
   */
  readonly nonfatalOverride: boolean;
  /** `Nonfatal=Unknown|All`: an unknown directive is skipped (a warning), not a 500. */
  readonly nonfatalUnknown: boolean;
  /** `AllowOverrideList`: directives (lower case) allowed whatever their class. */
  readonly list?: ReadonlySet<string>;
}

const CLASSES = ['AuthConfig', 'FileInfo', 'Indexes', 'Limit', 'Options'] as const;

/**
 * `AllowOverride All` (site()'s default for the document root, as the recorder's `<Directory>`).
 */
export const OVERRIDE_ALL: OverrideSpec = {
  classes: new Set(CLASSES),
  nonfatalOverride: false,
  nonfatalUnknown: false,
};

/** The Options keywords `AllowOverride Options=` accepts (core.c `set_allow_opts`). */
const OPTION_NAMES = new Set([
  'indexes',
  'includes',
  'includesnoexec',
  'followsymlinks',
  'symlinksifownermatch',
  'execcgi',
  'multiviews',
  'all',
  'none',
]);

/** core.c `set_override`: the words of one `AllowOverride` line. */
export function parseAllowOverride(
  words: readonly string[],
): Omit<OverrideSpec, 'list'> | { error: string } {
  if (!words.length) return { error: 'AllowOverride requires at least one argument' };
  const classes = new Set<Exclude<OverrideClass, 'All'>>();
  let options: Set<string> | undefined;
  let nonfatalOverride = false;
  let nonfatalUnknown = false;
  for (const w of words) {
    const eq = w.indexOf('=');
    const key = (eq < 0 ? w : w.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? undefined : w.slice(eq + 1);
    const cls = CLASSES.find((c) => c.toLowerCase() === key);
    if (key === 'options') {
      classes.add('Options');
      if (value === undefined) options = undefined;
      else {
        options = new Set(value.split(',').map((o) => o.toLowerCase()));
        const bad = [...options].find((o) => !OPTION_NAMES.has(o));
        if (bad !== undefined) return { error: `Illegal option ${bad}` };
      }
    } else if (cls && value === undefined) classes.add(cls);
    else if (key === 'nonfatal') {
      const v = value?.toLowerCase();
      if (v !== 'override' && v !== 'unknown' && v !== 'all')
        return { error: `Unknown AllowOverride Nonfatal= value ${value ?? ''}` };
      nonfatalOverride ||= v !== 'unknown';
      nonfatalUnknown ||= v !== 'override';
    } else if (key === 'none' && value === undefined) classes.clear();
    else if (key === 'all' && value === undefined) CLASSES.forEach((c) => classes.add(c));
    else return { error: `Illegal override option ${w}` };
  }
  return { classes, options, nonfatalOverride, nonfatalUnknown };
}

/** core.c `set_override_list`: `None` alone, or directive names. undefined: None. */
export function parseAllowOverrideList(
  words: readonly string[],
): ReadonlySet<string> | undefined | { error: string } {
  if (!words.length) return { error: 'AllowOverrideList requires at least one argument' };
  if (words.length === 1 && words[0].toLowerCase() === 'none') return undefined;
  if (words.some((w) => w.toLowerCase() === 'none'))
    return { error: "'None' not allowed with other directives in AllowOverrideList" };
  return new Set(words.map((w) => w.toLowerCase()));
}

/**
 * Whether a directory's `.htaccess` is read at all (ap_directory_walk: some override or a list).
 */
export function readsHtaccess(spec: OverrideSpec): boolean {
  return spec.classes.size > 0 || spec.list !== undefined;
}

/** What the check says about one `.htaccess` line. */
export type OverrideVerdict =
  | { readonly type: 'allowed' }
  | { readonly type: 'refused'; readonly message: string }
  | { readonly type: 'skipped'; readonly message: string };

const ALLOWED: OverrideVerdict = { type: 'allowed' };

/**
 * ap_parse_htaccess's check of one line (config.c invoke_cmd / execute_now): a directive is
 * allowed when its module's override class is in `spec`, or it is in `AllowOverrideList`;
 * `Options` also needs each keyword in `Options=`. Unknown directives are left to the parser
 * (Invalid command) unless `Nonfatal=Unknown`.
 */
export function checkOverride(
  name: string,
  args: readonly string[],
  spec: OverrideSpec,
): OverrideVerdict {
  const lower = name.toLowerCase();
  const cls = overrideClassOf(lower);
  if (cls === undefined) {
    return spec.nonfatalUnknown && !lower.startsWith('<')
      ? {
          type: 'skipped',
          message: `Ignoring unknown directive '${name}' (AllowOverride Nonfatal)`,
        }
      : ALLOWED;
  }
  if (spec.list?.has(lower)) return ALLOWED;
  const inClass = cls === 'All' ? spec.classes.size > 0 : spec.classes.has(cls);
  let message = inClass ? undefined : `${name} not allowed here`;
  if (inClass && lower === 'options' && spec.options)
    message = optionNotAllowed(args, spec.options);
  if (message === undefined) return ALLOWED;
  return spec.nonfatalOverride
    ? { type: 'skipped', message: `${message} (skipped: AllowOverride Nonfatal)` }
    : { type: 'refused', message };
}

/** core.c `set_options`: "Option X not allowed here" for a keyword outside `Options=`. */
function optionNotAllowed(
  args: readonly string[],
  allowed: ReadonlySet<string>,
): string | undefined {
  for (const a of args) {
    const word = a.replace(/^[+-]/, '');
    const lower = word.toLowerCase();
    if (lower === 'none') continue;
    if (lower === 'all' ? allowed.size === 0 : !allowed.has(lower))
      return `Option ${word} not allowed here`;
  }
  return undefined;
}

/**
 * core's `AllowOverride` (spec) or `AllowOverrideList` (list; null: None) inside a `<Directory>`.
 */
export interface AllowOverrideDirective extends SourcePositioned {
  readonly type: 'AllowOverride';
  readonly spec?: Omit<OverrideSpec, 'list'>;
  readonly list?: ReadonlySet<string> | null;
}

/** Where the problems go (parse.ts's ProblemSink). */
interface Sink {
  add(code: RewriteErrorCode, message: string, pos: SourcePosition): void;
  warning(code: RewriteWarningCode, message: string, pos: SourcePosition): void;
}

/** Where a container opener was read: the file's context, whether site-only directives are
 * admitted, and the `<Directory>`/`<Location>` section it is inside, if any. */
interface ContainerWhere {
  readonly context: 'server' | 'directory';
  readonly siteDirectives?: boolean;
  readonly section?: ContainerSection;
}

/**
 * What the section reader does with a container opener met while reading `where`: refused in a
 * section or an `.htaccess` (Apache's words), skipped as ERR_CONTEXT where no site applies it
 * (rewrite()), else read into `out`. undefined: not a container opener.
 */
export function containerOpening(
  lower: string,
  args: string,
  pos: SourcePosition,
  where: ContainerWhere,
  out: ContainerBody[],
): ContainerOpening | undefined {
  const opener = CONTAINER_OPENERS.get(lower);
  if (!opener) return serverFiles(lower, pos, where, out);
  if (where.section) return { error: `${opener} not allowed in ${where.section.opener}> context` };
  // in an .htaccess (Apache: "<Directory not allowed here", a 500); its body is skipped
  if (where.context === 'directory')
    return { error: `${opener} not allowed here`, skip: true, opener };
  if (!where.siteDirectives)
    return {
      error: `${opener}> sections are applied only by site() and modrewrite serve (they need a document root), not here`,
      skip: true,
      opener,
    };
  const parsed = containerSection(opener, args, pos);
  if ('error' in parsed) return parsed;
  return { opener, close: (lines) => out.push({ section: parsed, lines }) };
}

/**
 * `<Files>`/`<FilesMatch>` at the top of a site's server config: Apache keeps them in the server's
 * defaults, the first configuration every directory walk merges — the same as inside an implicit
 * `<Directory />`, which is how they are read (the section with its own lines, in directory
 * context, where `<Files>` and the access directives are understood).
 */
function serverFiles(
  lower: string,
  pos: SourcePosition,
  where: ContainerWhere,
  out: ContainerBody[],
): ContainerOpening | undefined {
  if (lower !== '<files' && lower !== '<filesmatch') return undefined;
  if (where.context !== 'server' || !where.siteDirectives || where.section) return undefined;
  const section: ContainerSection = {
    opener: '<Directory',
    kind: 'directory',
    regex: false,
    pattern: '/',
    pos,
  };
  const opener = lower === '<files' ? '<Files' : '<FilesMatch';
  return { opener, close: (body, open, end) => out.push({ section, lines: [open, ...body, end] }) };
}

/**
 * The AllowOverride check of one `.htaccess` line: false when it must not be read (refused or
 * skipped).
 */
export function overrideAllows(line: LogicalLine, spec: OverrideSpec, sink: Sink): boolean {
  const m = /^(\S+)/.exec(line.text);
  if (!m) return true;
  const args = parseConfWords(line, m[1].length).map((a) => a.text);
  const verdict = checkOverride(m[1], args, spec);
  if (verdict.type === 'allowed') return true;
  if (verdict.type === 'refused') sink.add('ERR_CONTEXT', verdict.message, line.at(0));
  else sink.warning('WARN_NONFATAL', verdict.message, line.at(0));
  return false;
}

/**
 * `AllowOverride` / `AllowOverrideList`: only in a `<Directory>` section ("not allowed here"
 * elsewhere, as Apache); in `<Location>`, `<Directory ~>` and `<DirectoryMatch>` Apache accepts
 * them without effect (its "Useless use of AllowOverride"): a WARN_NO_EFFECT.
 */
export function allowOverrideDirective(
  name: string,
  words: readonly Arg[],
  section: ContainerSection | undefined,
  pos: SourcePosition,
  sink: Sink,
): AllowOverrideDirective | undefined {
  const spelled = name.toLowerCase() === 'allowoverride' ? 'AllowOverride' : 'AllowOverrideList';
  if (!section) {
    sink.add('ERR_CONTEXT', `${spelled} not allowed here`, pos);
    return undefined;
  }
  const texts = words.map((w) => w.text);
  const parsed =
    spelled === 'AllowOverride' ? parseAllowOverride(texts) : parseAllowOverrideList(texts);
  if (parsed && 'error' in parsed) {
    sink.add('ERR_DIRECTIVE_ARGS', parsed.error as string, pos);
    return undefined;
  }
  if (section.kind !== 'directory' || section.regex) {
    sink.warning(
      'WARN_NO_EFFECT',
      `Useless use of ${spelled} in ${section.opener}>: only a <Directory> path decides which .htaccess files are read`,
      pos,
    );
    return undefined;
  }
  return spelled === 'AllowOverride'
    ? { type: 'AllowOverride', spec: parsed as Omit<OverrideSpec, 'list'>, pos }
    : { type: 'AllowOverride', list: (parsed as ReadonlySet<string> | undefined) ?? null, pos };
}
