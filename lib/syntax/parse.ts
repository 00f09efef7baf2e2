/**
 * Apache directive text → AST with positions. Collects every problem instead of stopping at the
 * first; the compiler adds its own problems to the same list.
 */
import { AUTOINDEX_DIRECTIVES, parseAutoindex, parseTraceEnable } from './autoindex.js';
import {
  codeFrame,
  type RewriteErrorCode,
  type RewriteProblem,
  type RewriteWarning,
  type RewriteWarningCode,
  type SourcePosition,
} from '../errors.js';
import type { AccessDirectiveName, Arg, Directive } from './ast.js';
import {
  logicalLines,
  MAX_RULES_TEXT,
  parseConfWords,
  parseRewriteArgs,
  type LogicalLine,
} from './lexer.js';
import { APPLIED_IN_IF, ENV_DIRECTIVES, parseEnvDirective } from './env.js';
import { HEADER_DIRECTIVES, parseHeaderLine } from './headers.js';
import { checkOptions, isFilesScoped, parseMimeDirective } from './mime.js';
import { ALIAS_DIRECTIVES, parseAliasDirective } from './alias.js';
import {
  allowOverrideDirective,
  containerOpening,
  overrideAllows,
  type ContainerBody,
  type ContainerSection,
  type OverrideSpec,
} from './directory-sections.js';
import {
  scopedLines,
  type FilesSection,
  type SectionProblem,
  type ScopedLine,
} from './sections.js';
import { IncludeReader } from './include.js';
import { ConfigVariables, processEnvironment, type ConfigEnvironment } from './config-vars.js';
import {
  serverDirective,
  virtualHostOpening,
  type VirtualHostBody,
  type VirtualHostSection,
} from './virtual-host.js';

export type ConfigContext = 'server' | 'directory';

export interface ParseOptions {
  /** File name used in error messages. */
  readonly file?: string;
  /** `server` (vhost config) or `directory` (.htaccess / <Directory>). @default 'server' */
  readonly context?: ConfigContext;
  /** Skip directives other than mod_rewrite's (useful for whole vhost files). @default false */
  readonly ignoreUnknownDirectives?: boolean;
  /** Names `<IfDefine>` sees as defined (`apache2 -D NAME`). @default [] */
  readonly defines?: readonly string[];
  /**
   * The environment `${NAME}` falls back to after the Define'd names (Apache: its process
   * environment). @default process.env
   */
  readonly environment?: ConfigEnvironment;
  /**
   * @internal The Define state the lines start from and change (shared with the sections' and
   * vhosts' bodies; an `.htaccess` gets a copy of its server's final state). @default made from
   * `defines` and `environment`
   */
  readonly variables?: ConfigVariables;
  /** Folder relative `<IfFile>` paths resolve against (Apache's ServerRoot). @default cwd */
  readonly serverRoot?: string;
  /** Compiles an `<IfVersion ~ regex>` pattern (Apache: PCRE). @default RegExp */
  readonly regex?: (pattern: string) => RegExp;
  /**
   * Whether `<Files>`, `<FilesMatch>` and the access directives (`Require`, `Order`, `Allow`,
   * `Deny`, `Satisfy`) are read: only for a caller that enforces them (site(), htaccess(),
   * serve). Elsewhere they are refused, never silently dropped. @default false
   */
  readonly accessControl?: boolean;
  /**
   * Whether the directives only a site applies are read — mod_setenvif's, mod_env's, mod_headers',
   * mod_expires', mod_alias's, core's `ErrorDocument` and `<If>` sections, mod_dir's
   * `FallbackResource`: only for a caller that applies them (site(), htaccess(), serve).
   * Elsewhere they are refused. @default false
   */
  readonly siteDirectives?: boolean;
  /** @internal The body of this server-config section is read (directory context). */
  readonly section?: ContainerSection;
  /** @internal An `.htaccess` read under this `AllowOverride`: other directives are refused. */
  readonly overrides?: OverrideSpec;
  /** @internal The body of this `<VirtualHost>` is read (server context). */
  readonly virtualHost?: VirtualHostSection;
  /**
   * @internal `Include`/`IncludeOptional` of this configuration (made by parse() for a server
   * context; an `.htaccess` has none: core's `not allowed here`).
   */
  readonly includes?: IncludeReader;
}

/** The access directives by lower-case name. */
const ACCESS_DIRECTIVES = new Map<string, AccessDirectiveName>(
  (
    [
      'Require',
      'Order',
      'Allow',
      'Deny',
      'Satisfy',
      'AuthMerging',
      'AuthType',
      'AuthName',
      'AuthUserFile',
      'AuthBasicProvider',
    ] as const
  ).map((n) => [n.toLowerCase(), n]),
);

export interface ParseResult {
  readonly directives: Directive[];
  readonly problems: RewriteProblem[];
  /** The `<Directory>`/`<Location>` sections of a server config, bodies unread. */
  readonly containers?: readonly ContainerBody[];
  /** The `<VirtualHost>` sections of a site's server config, bodies unread. */
  readonly virtualHosts?: readonly VirtualHostBody[];
}

/** A helper that records a positioned problem with its code frame. */
export class ProblemSink {
  readonly problems: RewriteProblem[] = [];
  /** Load warnings (the configuration still loads). */
  readonly warnings: RewriteWarning[] = [];
  /** The lines of the files Include read, for their code frames. */
  private readonly included = new Map<string, string[]>();
  constructor(private readonly sourceOf: (pos: SourcePosition) => string) {}
  /** An included file's text: problems positioned in it get its lines as code frames. */
  addSource(file: string, text: string): void {
    this.included.set(file, text.split(/\r?\n/));
  }
  private lineOf(pos: SourcePosition): string {
    const lines = pos.file === undefined ? undefined : this.included.get(pos.file);
    return lines ? (lines[pos.line - 1] ?? '') : this.sourceOf(pos);
  }
  warning(code: RewriteWarningCode, message: string, pos: SourcePosition): void {
    const frame = codeFrame(this.lineOf(pos), pos.column);
    this.warnings.push({
      code,
      message,
      file: pos.file,
      line: pos.line,
      column: pos.column,
      frame,
    });
  }
  add(code: RewriteErrorCode, message: string, pos: SourcePosition): void {
    this.problems.push({
      code,
      message,
      file: pos.file,
      line: pos.line,
      column: pos.column,
      frame: codeFrame(this.lineOf(pos), pos.column),
    });
  }
}

export function sourceLineLookup(source: string): (pos: SourcePosition) => string {
  const lines = source.split(/\r?\n/);
  return (pos) => lines[pos.line - 1] ?? '';
}

const onOff = (arg: Arg | undefined): boolean | undefined => {
  const v = arg?.text.toLowerCase();
  return v === 'on' ? true : v === 'off' ? false : undefined;
};

/**
 * Parses Apache configuration text (the mod_rewrite directives plus DirectorySlash, DirectoryIndex
 * and Options) into directives with positions, and the problems found.
 * @example
 * const { directives, problems } = parse('RewriteRule ^/a$ /b [L]', { file: 'site.conf' });
 * directives[0]; // { type: 'RewriteRule', pattern: { text: '^/a$', pos: { line: 1, … } }, … }
 */
export function parse(
  source: string,
  options: ParseOptions = {},
  sink = new ProblemSink(sourceLineLookup(source)),
): ParseResult {
  const directives: Directive[] = [];
  if (source.length > MAX_RULES_TEXT) {
    sink.add(
      'ERR_LIMIT',
      `rule text of ${source.length} characters exceeds the limit of ${MAX_RULES_TEXT}`,
      { file: options.file, line: 1, column: 1 },
    );
    return { directives, problems: sink.problems };
  }
  // a server configuration reads its Include lines (syntax/include.ts); an .htaccess may not
  const includes =
    options.includes ??
    ((options.context ?? 'server') === 'server'
      ? new IncludeReader(options.serverRoot ?? process.cwd(), (f, t) => sink.addSource(f, t))
      : undefined);
  const variables = options.variables ?? configVariables(options);
  return parseLines(logicalLines(source, options.file), { ...options, includes, variables }, sink);
}

/** A configuration's Define state at its start: the `-D` names, and the environment. */
export function configVariables(options: {
  readonly defines?: readonly string[];
  readonly environment?: ConfigEnvironment;
}): ConfigVariables {
  return new ConfigVariables(
    { names: options.defines },
    options.environment ?? processEnvironment(),
  );
}

/**
 * Like parse(), on lines already split (a `<Directory>` section's body:
 * compile/directory-sections.ts).
 */
export function parseLines(
  logical: readonly LogicalLine[],
  options: ParseOptions,
  sink: ProblemSink,
): ParseResult {
  const context = options.context ?? 'server';
  const directives: Directive[] = [];
  const containers: ContainerBody[] = [];
  const virtualHosts: VirtualHostBody[] = [];
  const where = { ...options, context, inSection: options.section?.opener };
  const lines = scopedLines(
    logical,
    {
      ...options,
      includes: options.overrides ? undefined : options.includes,
      filesSections: options.accessControl === true,
      ifSections: options.siteDirectives === true,
      containers: (lower, args, pos) =>
        virtualHostOpening(lower, args, pos, where, virtualHosts) ??
        containerOpening(lower, args, pos, { ...options, context }, containers),
    },
    (p) => reportSectionProblem(p, options, sink),
  );
  for (const scoped of lines) {
    if (options.overrides && !overrideAllows(scoped.line, options.overrides, sink)) continue;
    const { line, files } = scoped;
    const env = envDirective(scoped, options, sink);
    if (env !== null) {
      if (env) directives.push(env);
      continue;
    }
    const access = accessDirective(scoped, options, sink);
    const read = access === null ? parseLine(line, context, options, sink, files) : access;
    const parsed = read && siteOnlyRefused(read, options, sink) ? undefined : read;
    // inside <Files>: only the directives modrewrite can scope to files (FILE_SCOPED_DIRECTIVES);
    // Header and Expires* carry their own section (compile/headers.ts)
    const d =
      parsed && access === null && files && !SELF_SCOPED.has(parsed.type)
        ? filesScoped(parsed, files, sink)
        : parsed;
    // inside <If>: the chain goes with the directive (only APPLIED_IN_IF ones get here)
    if (d) directives.push(scoped.when && !d.when ? { ...d, when: scoped.when } : d);
  }
  return { directives, problems: sink.problems, containers, virtualHosts };
}

/**
 * A section problem as a load problem (an unknown section is skipped with
 * `ignoreUnknownDirectives`).
 */
function reportSectionProblem(p: SectionProblem, options: ParseOptions, sink: ProblemSink): void {
  if (p.type === 'context') {
    if (!options.ignoreUnknownDirectives) sink.add('ERR_CONTEXT', p.message, p.pos);
    return;
  }
  if (p.type === 'undefined-variable') {
    sink.warning('WARN_UNDEFINED_VARIABLE', p.message, p.pos);
    return;
  }
  if (p.type === 'unknown') {
    if (!options.ignoreUnknownDirectives) sink.add('ERR_UNKNOWN_DIRECTIVE', p.message, p.pos);
    return;
  }
  const code =
    p.type === 'args'
      ? 'ERR_DIRECTIVE_ARGS'
      : p.type === 'limit'
        ? 'ERR_LIMIT'
        : p.type === 'file'
          ? 'ERR_FILE'
          : 'ERR_SYNTAX_ARGS';
  sink.add(code, p.message, p.pos);
}

/**
 * A mod_setenvif / mod_env / ErrorDocument directive (in or out of `<Files>` and `<If>`); inside
 * `<If>`, any other directive is refused (it would apply whatever the condition says). null: not
 * one of them and not inside `<If>`.
 */
function envDirective(
  scoped: ScopedLine,
  options: ParseOptions,
  sink: ProblemSink,
): Directive | undefined | null {
  const m = /^(\S+)/.exec(scoped.line.text);
  if (!m) return undefined;
  const lower = m[1].toLowerCase();
  const pos = scoped.line.at(0);
  // rewrite() keeps core's ServerSignature to itself: its pages carry none (serverSignature)
  const siteOnly =
    ENV_DIRECTIVES.has(lower) && !(lower === 'serversignature' && !options.siteDirectives);
  if (!siteOnly) {
    if (!scoped.when || APPLIED_IN_IF.has(lower)) return null;
    sink.add(
      'ERR_CONTEXT',
      `${m[1]} inside <If> is not supported by modrewrite (only SetEnv, UnsetEnv, SetEnvIf*, BrowserMatch*, ErrorDocument, Require/Order/Allow/Deny/Satisfy, Header, RequestHeader and Redirect* are applied per request)`,
      pos,
    );
    return undefined;
  }
  if (!options.siteDirectives) {
    if (!options.ignoreUnknownDirectives)
      sink.add(
        'ERR_CONTEXT',
        `${m[1]} is applied only by site(), htaccess() and modrewrite serve, not here`,
        pos,
      );
    return undefined;
  }
  const parsed = parseEnvDirective(lower, scoped.line, scoped);
  if ('error' in parsed) {
    sink.add('ERR_DIRECTIVE_ARGS', parsed.error, parsed.pos);
    return undefined;
  }
  return parsed;
}

/**
 * An access directive (or, inside `<Files>`, any directive: only access directives are applied
 * there). null: not an access directive, outside `<Files>` — parseLine's turn.
 */
function accessDirective(
  scoped: ScopedLine,
  options: ParseOptions,
  sink: ProblemSink,
): Directive | undefined | null {
  const { line, files, limit, authz } = scoped;
  const m = /^(\S+)/.exec(line.text);
  if (!m) return undefined;
  const name = ACCESS_DIRECTIVES.get(m[1].toLowerCase());
  const pos = line.at(0);
  // inside <RequireAll|Any|None> Apache allows only the authorization directives (OR_AUTHCFG)
  if (authz && name !== 'Require') {
    sink.add('ERR_CONTEXT', `${m[1]} not allowed here (inside ${authz.opener}>)`, pos);
    return undefined;
  }
  if (name === undefined) return null;
  if (!options.accessControl) {
    if (!options.ignoreUnknownDirectives)
      sink.add(
        'ERR_CONTEXT',
        `${name} is applied only in the .htaccess files of site(), htaccess() and modrewrite serve (it needs a document root), not here`,
        pos,
      );
    return undefined;
  }
  const args = parseConfWords(line, m[1].length);
  // Require's providers read the rest of the line themselves (`Require expr ...`)
  const raw = line.text.slice(m[1].length).trim();
  return {
    type: 'Access',
    name,
    args,
    raw,
    pos,
    ...(files && { files }),
    ...(limit && { limit }),
    ...(authz && { authz }),
  };
}

/**
 * The directives modrewrite applies per file inside `<Files>`/`<FilesMatch>` (besides the access
 * directives): each is merged over the directory's settings for the files the section matches.
 * Any other directive there is refused (500), never applied to the whole directory nor dropped.
 */
export const FILE_SCOPED_DIRECTIVES: ReadonlySet<Directive['type']> = new Set<Directive['type']>([
  'AddDefaultCharset',
]);

/**
 * Directives that act on the files a site serves (mod_mime, AddDefaultCharset, mod_autoindex,
 * TraceEnable): `rewrite()` has no document root to apply them to, so there they are a load error
 * naming the entry points that do (or skipped with `ignoreUnknownDirectives`), never ignored.
 */
const SITE_ONLY: ReadonlySet<Directive['type']> = new Set<Directive['type']>([
  'AddType',
  'AddEncoding',
  'AddDefaultCharset',
  'Autoindex',
  'TraceEnable',
]);

/**
 * True when `d` is a site-only directive read where no site applies it (reported, unless ignored).
 */
function siteOnlyRefused(d: Directive, options: ParseOptions, sink: ProblemSink): boolean {
  if (options.siteDirectives || options.accessControl) return false;
  const siteOnly =
    SITE_ONLY.has(d.type) ||
    (d.type === 'Mime' && d.effect === 'apply' && !READ_TIME.has(d.name.toLowerCase()));
  if (!siteOnly) return false;
  if (!options.ignoreUnknownDirectives) {
    const name = d.type === 'Mime' || d.type === 'Autoindex' ? d.name : d.type;
    sink.add(
      'ERR_CONTEXT',
      `${name} is applied only by site(), htaccess() and modrewrite serve (it needs a document root), not here`,
      d.pos,
    );
  }
  return true;
}

/**
 * core's directives that act while the configuration is read (EXEC_ON_READ: syntax/sections.ts),
 * whatever middleware reads it: `${NAME}` and `<IfDefine>` need no document root.
 */
const READ_TIME: ReadonlySet<string> = new Set(['define', 'undefine']);

/** Directives that carry their own `<Files>` section (compiled with it in compile/headers.ts). */
const SELF_SCOPED: ReadonlySet<Directive['type']> = new Set<Directive['type']>([
  'Header',
  'Expires',
]);

function filesScoped(d: Directive, files: FilesSection, sink: ProblemSink): Directive | undefined {
  // mod_mime's and core's file settings keep their section: compile.ts groups them
  // (compile/mime.ts)
  const mime = d.type === 'AddType' || d.type === 'AddEncoding';
  if (mime || (d.type === 'Mime' && isFilesScoped(d.name))) return { ...d, files };
  if (FILE_SCOPED_DIRECTIVES.has(d.type))
    return { type: 'FilesScoped', files, directive: d, pos: d.pos };
  // Apache would apply it to the matching files; modrewrite cannot: the file is refused (500)
  sink.add(
    'ERR_CONTEXT',
    `${d.type} inside ${files.opener}> is not supported by modrewrite (there: access, mod_mime, mod_headers, mod_expires, mod_setenvif and mod_env directives, ErrorDocument, ${[...FILE_SCOPED_DIRECTIVES].join(', ')})`,
    d.pos,
  );
  return undefined;
}

function parseLine(
  line: LogicalLine,
  context: ConfigContext,
  options: ParseOptions,
  sink: ProblemSink,
  files?: FilesSection,
): Directive | undefined {
  const m = /^(\S+)/.exec(line.text);
  if (!m) return undefined;
  const name = m[1];
  const lower = name.toLowerCase();
  if (HEADER_DIRECTIVES.has(lower)) return responseDirective(line, name, options, sink, files);
  const input: LineInput = {
    line,
    name,
    rest: name.length,
    pos: line.at(0),
    context,
    options,
    sink,
  };
  const parser = LINE_PARSERS.get(lower);
  return parser ? parser(input) : mimeOrUnknown(input);
}

/** One configuration line as a directive's parser sees it. */
interface LineInput {
  readonly line: LogicalLine;
  /** The directive's name as written. */
  readonly name: string;
  /** Where the arguments start in the line (the name's length). */
  readonly rest: number;
  /** The directive's position (its name). */
  readonly pos: SourcePosition;
  readonly context: ConfigContext;
  readonly options: ParseOptions;
  readonly sink: ProblemSink;
}

type LineParser = (l: LineInput) => Directive | undefined;

const wordsOf = (l: LineInput): Arg[] => parseConfWords(l.line, l.rest);

/** `RewriteEngine` and `DirectorySlash`: On or Off. */
function onOffDirective(l: LineInput): Directive | undefined {
  const type = l.name.toLowerCase() === 'rewriteengine' ? 'RewriteEngine' : 'DirectorySlash';
  const words = wordsOf(l);
  const on = onOff(words[0]);
  if (words.length !== 1 || on === undefined) {
    l.sink.add('ERR_DIRECTIVE_ARGS', `${type} must be On or Off`, words[0]?.pos ?? l.pos);
    return undefined;
  }
  return { type, on, pos: l.pos };
}

/** core: `On` means iso-8859-1 (Apache's DEFAULT_ADD_DEFAULT_CHARSET_NAME), `Off` none. */
function addDefaultCharset(l: LineInput): Directive | undefined {
  const words = wordsOf(l);
  const value = words[0]?.text;
  if (words.length !== 1 || !value) {
    l.sink.add(
      'ERR_DIRECTIVE_ARGS',
      'AddDefaultCharset takes one argument: On, Off or a charset',
      words[1]?.pos ?? l.pos,
    );
    return undefined;
  }
  const lower = value.toLowerCase();
  const charset = lower === 'off' ? false : lower === 'on' ? 'iso-8859-1' : value;
  return { type: 'AddDefaultCharset', charset, pos: l.pos };
}

/** mod_mime: extensions are compared case-insensitively, with or without their leading dot. */
function addTypeOrEncoding(l: LineInput): Directive | undefined {
  const type = l.name.toLowerCase() === 'addtype' ? 'AddType' : 'AddEncoding';
  const words = wordsOf(l);
  if (words.length < 2) {
    const message = `${type} requires at least two arguments`;
    l.sink.add('ERR_DIRECTIVE_ARGS', message, words[0]?.pos ?? l.pos);
    return undefined;
  }
  const [value, ...exts] = words.map((w) => w.text);
  const extensions = exts.map((e) => e.replace(/^\./, '').toLowerCase());
  return { type, value: value!, extensions, pos: l.pos };
}

/**
 * core's ServerSignature where no site answers (rewrite()): its error pages carry no footer, which
 * is `Off` (Apache's default), so On/EMail are refused rather than ignored. site(), htaccess() and
 * serve apply it (syntax/env.ts, site/site.ts `signatureOf`).
 */
function serverSignature(l: LineInput): undefined {
  const words = wordsOf(l);
  if (words.length === 1 && words[0]?.text.toLowerCase() === 'off') return undefined;
  l.sink.add(
    'ERR_DIRECTIVE_ARGS',
    'ServerSignature: only Off is supported (error pages carry no signature)',
    words[0]?.pos ?? l.pos,
  );
  return undefined;
}

/**
 * core.c set_banner: the banner of each ServerTokens value (AP_SERVER_BASEPRODUCT "Apache", the
 * version modrewrite emulates, Debian's PLATFORM); Full adds the version components of modules,
 * none of which the emulated ones add.
 */
const SERVER_TOKENS = new Map<string, string>([
  ['prod', 'Apache'],
  ['productonly', 'Apache'],
  ['major', 'Apache/2'],
  ['minor', 'Apache/2.4'],
  ['min', 'Apache/2.4.71'],
  ['minimal', 'Apache/2.4.71'],
  ['os', 'Apache/2.4.71 (Debian)'],
  ['full', 'Apache/2.4.71 (Debian)'],
]);

/** core.c set_serv_tokens: GLOBAL_ONLY (ap_check_cmd_context), one of SERVER_TOKENS. */
function serverTokens(l: LineInput): Directive | undefined {
  const where = l.options.virtualHost
    ? '<VirtualHost'
    : l.options.section
      ? l.options.section.opener
      : undefined;
  if (l.context === 'directory' && !l.options.section) {
    l.sink.add('ERR_CONTEXT', 'ServerTokens not allowed here', l.pos);
    return undefined;
  }
  if (where) {
    l.sink.add('ERR_CONTEXT', `ServerTokens cannot occur within ${where}> section`, l.pos);
    return undefined;
  }
  const words = wordsOf(l);
  const banner = words.length === 1 ? SERVER_TOKENS.get(words[0]!.text.toLowerCase()) : undefined;
  if (banner === undefined) {
    l.sink.add(
      'ERR_DIRECTIVE_ARGS',
      words.length === 1
        ? "ServerTokens takes 1 argument: 'Prod(uctOnly)', 'Major', 'Minor', 'Min(imal)', 'OS', or 'Full'"
        : 'ServerTokens takes one argument, Tokens displayed in the Server: header - Min[imal], OS or Full',
      words[0]?.pos ?? l.pos,
    );
    return undefined;
  }
  return { type: 'ServerTokens', banner, pos: l.pos };
}

/** RewriteCond and RewriteRule: two arguments and optional `[flags]` (parseargline). */
function rewriteCondOrRule(l: LineInput): Directive | undefined {
  const isRule = l.name.toLowerCase() === 'rewriterule';
  const parsed = parseRewriteArgs(l.line, l.rest);
  if ('error' in parsed) {
    const what = isRule ? 'RewriteRule' : 'RewriteCond';
    const code = parsed.error.startsWith('bad flag')
      ? 'ERR_SYNTAX_FLAG_DELIMITERS'
      : 'ERR_SYNTAX_ARGS';
    l.sink.add(code, `${what}: ${parsed.error}`, parsed.pos);
    return undefined;
  }
  const [a1, a2, a3] = parsed.args;
  const pos = l.pos;
  return isRule
    ? { type: 'RewriteRule', pattern: a1, substitution: a2, flags: a3, pos }
    : { type: 'RewriteCond', testString: a1, pattern: a2, flags: a3, pos };
}

/** RewriteMap name type:source [options]: server context only. */
function rewriteMap(l: LineInput): Directive | undefined {
  const words = wordsOf(l);
  if (l.context === 'directory') {
    const message = 'RewriteMap not allowed here (only in server config or virtual host)';
    l.sink.add('ERR_CONTEXT', message, l.pos);
    return undefined;
  }
  if (words.length < 2 || words.length > 3) {
    l.sink.add(
      'ERR_DIRECTIVE_ARGS',
      'RewriteMap takes two or three arguments: a name and a type:source',
      words[0]?.pos ?? l.pos,
    );
    return undefined;
  }
  const [name, source, mapOptions] = words as [Arg, Arg, Arg | undefined];
  return { type: 'RewriteMap', name: name.text, source, options: mapOptions?.text, pos: l.pos };
}

/** RewriteBase URL-path: per-directory only, and a path. */
function rewriteBase(l: LineInput): Directive | undefined {
  const words = wordsOf(l);
  if (l.context === 'server') {
    l.sink.add('ERR_CONTEXT', 'RewriteBase: only valid in per-directory config files', l.pos);
    return undefined;
  }
  const path = words[0];
  if (words.length !== 1 || !path || path.text === '') {
    l.sink.add('ERR_DIRECTIVE_ARGS', 'RewriteBase: empty URL not allowed', path?.pos ?? l.pos);
    return undefined;
  }
  if (!path.text.startsWith('/')) {
    l.sink.add('ERR_DIRECTIVE_ARGS', 'RewriteBase: argument is not a valid URL', path.pos);
    return undefined;
  }
  return { type: 'RewriteBase', path: path.text, pos: l.pos };
}

/** mod_dir: `DirectoryIndex disabled` alone turns index lookups off. */
function directoryIndex(l: LineInput): Directive | undefined {
  const words = wordsOf(l).map((w) => w.text);
  if (!words.length) {
    l.sink.add('ERR_DIRECTIVE_ARGS', 'DirectoryIndex requires at least one argument', l.pos);
    return undefined;
  }
  const disabled = words.length === 1 && words[0]!.toLowerCase() === 'disabled';
  return { type: 'DirectoryIndex', names: disabled ? [] : words, pos: l.pos };
}

/** core's Options (the values modrewrite knows: checkOptions). */
function apacheOptions(l: LineInput): Directive | undefined {
  const values = wordsOf(l).map((w) => w.text);
  const problem = checkOptions(values);
  if (problem) l.sink.add('ERR_DIRECTIVE_ARGS', problem, l.pos);
  return problem ? undefined : { type: 'Options', values, pos: l.pos };
}

const autoindexDirective: LineParser = (l) =>
  parseAutoindex(AUTOINDEX_DIRECTIVES.get(l.name.toLowerCase())!, wordsOf(l), l.pos, l.sink);
const aliasLine: LineParser = (l) =>
  aliasDirective(l.name, l.line, l.rest, l.context, l.options, l.sink);

/** parseLine's directives by lower-case name (mod_mime's and unknown names: mimeOrUnknown). */
const LINE_PARSERS = new Map<string, LineParser>([
  ['rewriteengine', onOffDirective],
  ['directoryslash', onOffDirective],
  ['adddefaultcharset', addDefaultCharset],
  ['addtype', addTypeOrEncoding],
  ['addencoding', addTypeOrEncoding],
  ['serversignature', serverSignature],
  ['servertokens', serverTokens],
  ['rewritecond', rewriteCondOrRule],
  ['rewriterule', rewriteCondOrRule],
  ['rewritemap', rewriteMap],
  ['rewritebase', rewriteBase],
  ['rewriteoptions', (l) => ({ type: 'RewriteOptions', options: wordsOf(l), pos: l.pos })],
  ['directoryindex', directoryIndex],
  ['options', apacheOptions],
  [
    'allowoverride',
    (l) => allowOverrideDirective(l.name, wordsOf(l), l.options.section, l.pos, l.sink),
  ],
  [
    'allowoverridelist',
    (l) => allowOverrideDirective(l.name, wordsOf(l), l.options.section, l.pos, l.sink),
  ],
  ['traceenable', (l) => parseTraceEnable(wordsOf(l), l.context, l.pos, l.sink)],
  ['indexignore', autoindexDirective],
  ['indexignorereset', autoindexDirective],
  ['indexoptions', autoindexDirective],
  ['indexorderdefault', autoindexDirective],
  ['headername', autoindexDirective],
  ['readmename', autoindexDirective],
  ['addicon', autoindexDirective],
  ['addiconbytype', autoindexDirective],
  ['addiconbyencoding', autoindexDirective],
  ['addalt', autoindexDirective],
  ['addaltbytype', autoindexDirective],
  ['addaltbyencoding', autoindexDirective],
  ['defaulticon', autoindexDirective],
  ['indexstylesheet', autoindexDirective],
  ['indexheadinsert', autoindexDirective],
  ['adddescription', autoindexDirective],
  ['fallbackresource', (l) => fallbackResource(l.name, l.line, l.rest, l.options, l.sink)],
  [
    'directoryindexredirect',
    (l) => directoryIndexRedirect(l.name, l.line, l.rest, l.options, l.sink),
  ],
  ['redirect', aliasLine],
  ['redirectmatch', aliasLine],
  ['redirectpermanent', aliasLine],
  ['redirecttemp', aliasLine],
  ['alias', aliasLine],
  ['aliasmatch', aliasLine],
  ['scriptalias', aliasLine],
  ['scriptaliasmatch', aliasLine],
]);

/** mod_mime's other directives, or a directive no emulated module has (Apache: a load error). */
function mimeOrUnknown(l: LineInput): Directive | undefined {
  // ServerName, ServerAlias, DocumentRoot, the log directives (syntax/virtual-host.ts)
  const where = { ...l.options, context: l.context, inSection: l.options.section?.opener };
  const server = serverDirective(l.name, wordsOf(l), where, l.pos, l.sink);
  if (server !== null)
    return server && !('type' in server)
      ? { type: 'Mime', ...server, effect: 'no-effect', pos: l.pos }
      : server;
  const mime = parseMimeDirective(l.name, wordsOf(l), l.context, l.pos, !!l.options.section);
  if (mime?.type === 'refused') l.sink.add(mime.code, mime.message, mime.pos);
  if (mime)
    return mime.type === 'parsed' ? { type: 'Mime', ...mime.directive, pos: l.pos } : undefined;
  if (!l.options.ignoreUnknownDirectives) {
    l.sink.add(
      'ERR_UNKNOWN_DIRECTIVE',
      `Invalid command '${l.name}', perhaps misspelled or defined by a module not included in the server configuration`,
      l.pos,
    );
  }
  return undefined;
}

/**
 * mod_headers' and mod_expires' directives: applied to responses only where there is a document
 * root and a response to apply them to (site(), htaccess(), serve); elsewhere refused, never
 * dropped.
 */
function responseDirective(
  line: LogicalLine,
  name: string,
  options: ParseOptions,
  sink: ProblemSink,
  files: FilesSection | undefined,
): Directive | undefined {
  if (!options.accessControl && !options.siteDirectives) {
    if (!options.ignoreUnknownDirectives)
      sink.add(
        'ERR_CONTEXT',
        `${name} is applied only by site(), htaccess() and modrewrite serve (it acts on the response), not here`,
        line.at(0),
      );
    return undefined;
  }
  return parseHeaderLine(line, name, sink, files);
}

/** mod_alias's directives, where the caller applies them (syntax/alias.ts reads them). */
function aliasDirective(
  name: string,
  line: LogicalLine,
  rest: number,
  context: ConfigContext,
  options: ParseOptions,
  sink: ProblemSink,
): Directive | undefined {
  const canonical = ALIAS_DIRECTIVES.get(name.toLowerCase())!;
  if (!options.siteDirectives) {
    if (!options.ignoreUnknownDirectives)
      sink.add(
        'ERR_CONTEXT',
        `${canonical} is applied only by site(), htaccess() and modrewrite serve, not here`,
        line.at(0),
      );
    return undefined;
  }
  const words = parseConfWords(line, rest);
  return parseAliasDirective(canonical, words, line.at(0), context === 'directory', sink);
}

/**
 * The one argument of a mod_dir directive that only site(), htaccess() and modrewrite serve apply
 * (TAKE1): undefined, with the problem reported, anywhere else or with another number of words.
 */
function siteDirectiveArgument(
  directive: 'DirectoryIndexRedirect' | 'FallbackResource',
  name: string,
  line: LogicalLine,
  rest: number,
  options: ParseOptions,
  sink: ProblemSink,
): string | undefined {
  const pos = line.at(0);
  if (!options.siteDirectives) {
    if (!options.ignoreUnknownDirectives)
      sink.add(
        'ERR_CONTEXT',
        `${directive} is applied only by site(), htaccess() and modrewrite serve, not here`,
        pos,
      );
    return undefined;
  }
  const words = parseConfWords(line, rest);
  if (words.length !== 1) {
    sink.add('ERR_DIRECTIVE_ARGS', `${name} takes one argument`, words[1]?.pos ?? pos);
    return undefined;
  }
  return words[0].text;
}

/**
 * mod_dir's configure_redirect: `On` and `temp` are 302, `permanent` 301, `seeother` 303, a number
 * 300-399 itself, `Off` none; anything else refuses the file (Apache's messages).
 */
function directoryIndexRedirect(
  name: string,
  line: LogicalLine,
  rest: number,
  options: ParseOptions,
  sink: ProblemSink,
): Directive | undefined {
  const pos = line.at(0);
  const arg = siteDirectiveArgument('DirectoryIndexRedirect', name, line, rest, options, sink);
  if (arg === undefined) return undefined;
  const named = INDEX_REDIRECTS.get(arg.toLowerCase());
  if (named !== undefined) return { type: 'DirectoryIndexRedirect', status: named, pos };
  if (/^\d/.test(arg)) {
    const status = parseInt(arg, 10); // atoi
    if (status >= 300 && status <= 399) return { type: 'DirectoryIndexRedirect', status, pos };
    sink.add(
      'ERR_DIRECTIVE_ARGS',
      'DirectoryIndexRedirect only accepts values between 300 and 399',
      pos,
    );
    return undefined;
  }
  sink.add('ERR_DIRECTIVE_ARGS', 'DirectoryIndexRedirect ON|OFF|permanent|temp|seeother|3xx', pos);
  return undefined;
}

const INDEX_REDIRECTS: ReadonlyMap<string, number | false> = new Map<string, number | false>([
  ['on', 302],
  ['off', false],
  ['permanent', 301],
  ['temp', 302],
  ['seeother', 303],
]);

/** mod_dir's `FallbackResource url|disabled` (TAKE1), where the caller applies it. */
function fallbackResource(
  name: string,
  line: LogicalLine,
  rest: number,
  options: ParseOptions,
  sink: ProblemSink,
): Directive | undefined {
  const url = siteDirectiveArgument('FallbackResource', name, line, rest, options, sink);
  if (url === undefined) return undefined;
  return {
    type: 'FallbackResource',
    url: url.toLowerCase() === 'disabled' ? false : url,
    pos: line.at(0),
  };
}
