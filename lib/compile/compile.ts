/**
 * AST → RuleSet. Every regex, flag, template and map is built here, once; everything that can
 * fail fails here with a positioned problem (all problems are collected, then thrown together).
 */
import {
  ConfigVariables,
  processEnvironment,
  type ConfigDefinitions,
  type ConfigEnvironment,
} from '../syntax/config-vars.js';
import { existsSync } from 'node:fs';
import {
  currentDirectory,
  isAbsolutePath as isAbsolute,
  resolvePath as resolve,
} from '../common/posix-path.js';
import { throwIfProblems, type SourcePosition } from '../errors.js';
import type {
  AccessDirective,
  AliasDirective,
  Arg,
  AutoindexDirective,
  Directive,
  FilesScopedDirective,
  MimeDirective,
  RedirectDirective,
} from '../syntax/ast.js';
import { IncludeReader } from '../syntax/include.js';
import type { FilesSection } from '../syntax/sections.js';
import { compileAccess, filesMatcher } from './access.js';
import { compileAlias } from './alias.js';
import { ifSectionGroups } from './if-sections.js';
import { compileAutoindex, indexesAfter } from './autoindex.js';
import { FOLLOW_SYMLINKS, MULTIVIEWS, optionAfter, SYMLINKS_IF_OWNER } from './core-options.js';
import { compileEnv, compileIfAccess } from './env.js';
import type { AccessConfig } from './access.js';
import type { EnvDirective } from '../syntax/env.js';
import { compileExpires, compileHeaders } from './headers.js';
import type { ExpiresDirective, HeaderDirective } from '../syntax/headers.js';
import { compileFilesMime, compileMime, withRemovals } from './mime.js';
import {
  parse,
  parseLines,
  ProblemSink,
  sourceLineLookup,
  type ConfigContext,
  type ParseOptions,
  type ParseResult,
} from '../syntax/parse.js';
import { compileVirtualHosts, serverSettings } from './virtual-host.js';
import type { ContainerBody, OverrideSpec } from '../syntax/directory-sections.js';
import { compileSections } from './directory-sections.js';
import { bytesToUtf8, utf8ToBytes } from '../common/bytes.js';
import { parseExpr } from './expr.js';
import {
  FileMap,
  functionMap,
  INTERNAL_MAPS,
  ProgramMap,
  type RewriteMapSource,
  type UserMapFunction,
} from '../common/maps.js';
import { parseCondFlags, parseRuleFlags, splitFlags, type CondFlags } from './flags.js';
import {
  checkContext,
  checkOptionsObject,
  chooseContext,
  describeValue,
  optionsError,
  withImpliedEngine,
} from './entry.js';
import { compilePcre, PcreError } from './pcre.js';
import { fullLiteral } from './prefix-index.js';
import type {
  CompiledCond,
  CompiledRule,
  CondTest,
  FileWalkSections,
  FilesScope,
  IfRewriteSection,
  RewriteOptionName,
  RuleSet,
} from './ruleset.js';
import { parseTemplate, TemplateLimitError, type Template } from './template.js';

export interface CompileOptions {
  readonly file?: string;
  readonly context?: ConfigContext;
  readonly ignoreUnknownDirectives?: boolean;
  /** User maps by name (functions, sync or async, or map sources); usable as `${name:key}`. */
  readonly maps?: Readonly<Record<string, UserMapFunction | RewriteMapSource>>;
  /**
   * Folder that relative `txt:`/`rnd:`/`prg:` paths resolve against (Apache's ServerRoot).
   * @default the rules file's folder, else cwd
   */
  readonly mapRoot?: string;
  /** Names `<IfDefine>` sees as defined, like `apache2 -D NAME`. @default [] (nothing defined) */
  readonly defines?: readonly string[];
  /**
   * The environment `${NAME}` in the text falls back to after the Define'd names (Apache: its
   * process environment). @default process.env
   */
  readonly environment?: ConfigEnvironment;
  /**
   * @internal An `.htaccess`'s server: its Define'd names and values once its config was read
   * (`RuleSet.definitions`); replaces `defines`.
   */
  readonly definitions?: ConfigDefinitions;
  /**
   * @internal Read `<Files>`/`<FilesMatch>` and the access directives into `RuleSet.access`: only
   * for a caller that enforces them (the `.htaccess` store of site()/htaccess()/serve). Without
   * it they are refused (ERR_CONTEXT). @default false
   */
  readonly accessControl?: boolean;
  /**
   * @internal Read the directives only a site applies (mod_setenvif, mod_env, ErrorDocument,
   * `<If>`, mod_headers, mod_expires, mod_alias, FallbackResource): only for site(), htaccess() and
   * serve. Without it they are refused. @default false
   */
  readonly siteDirectives?: boolean;
  /**
   * @internal An `.htaccess` under a `<Directory>`'s AllowOverride: each directive's class is
   * checked.
   */
  readonly overrides?: OverrideSpec;
}

/**
 * RewriteOptions by lower-case name. A Map: option names are rule text (`constructor` is unknown).
 */
const OPTION_NAMES = new Map<string, RewriteOptionName>(
  (
    [
      'Inherit',
      'InheritBefore',
      'InheritDown',
      'InheritDownBefore',
      'IgnoreInherit',
      'AllowNoSlash',
      'AllowAnyURI',
      'MergeBase',
      'IgnoreContextInfo',
      'LegacyPrefixDocRoot',
      'UnsafePrefixStat',
    ] as RewriteOptionName[]
  ).map((n) => [n.toLowerCase(), n]),
);

const shift = (pos: SourcePosition, by: number): SourcePosition => ({
  ...pos,
  column: pos.column + by,
});

/**
 * The position of offset `k` inside an argument, across continuation lines where it runs over them.
 */
const argAt = (arg: Arg, k: number): SourcePosition => (arg.at ? arg.at(k) : shift(arg.pos, k));

/**
 * `compile(text)`: Apache rule text → a RuleSet, the way `rewrite(text)` reads it — RewriteEngine
 * is on unless the text says `RewriteEngine Off`, and a `file` named `.htaccess`/`*.htaccess`
 * without an explicit `context` is read in directory context. Throws one RewriteSyntaxError
 * listing every problem, or ERR_OPTIONS for arguments that are not rules.
 * @example
 * const ruleSet = compile('RewriteRule ^/old/(.*)$ /new/$1 [R=301,L]');
 * evaluateServer(ruleSet, input); // { outcome: { type: 'redirect', status: 301, … }, effects }
 */
export function compile(source: string, options: CompileOptions = {}): RuleSet {
  checkCompileArguments('compile()', source, options);
  return withImpliedEngine(compileText(source, options));
}

/**
 * Like `compile()`, but `engine` stays `undefined` when the text never says RewriteEngine (Apache's
 * "inherit the parent's state, off at the top"): for configurations merged with `inheritRules()`
 * and for `.htaccess` files, which follow Apache.
 * @example
 * compileText('RewriteRule ^a$ b', { context: 'directory' }).engine; // undefined: not said
 */
export function compileText(source: string, options: CompileOptions = {}): RuleSet {
  checkCompileArguments('compileText()', source, options);
  const context = chooseContext(options.context, options.file).context;
  if (context !== options.context) options = { ...options, context };
  const sink = new ProblemSink(sourceLineLookup(source));
  const serverRoot = serverRootOf(options);
  const parseOptions = {
    ...options,
    // <IfFile> paths are ServerRoot-relative, like map paths; <IfVersion ~ re> is PCRE
    serverRoot,
    regex: (pattern: string) => compilePcre(pattern, false),
    // one Define state for the whole config, read in order, section and vhost bodies too
    variables: new ConfigVariables(
      options.definitions ?? { names: options.defines },
      options.environment ?? processEnvironment(),
    ),
    // one reader for the whole server config, section and vhost bodies too (the include depth)
    includes:
      context === 'server'
        ? new IncludeReader(serverRoot, (file, text) => sink.addSource(file, text))
        : undefined,
  };
  const compiled = compileParsed(parse(source, parseOptions, sink), parseOptions, options, sink);
  throwIfProblems(sink.problems);
  return compiled;
}

/**
 * One server config's directives, sections and `<VirtualHost>` bodies compiled
 * (compile/virtual-host.ts).
 */
function compileParsed(
  parsed: ParseResult,
  parseOptions: ParseOptions,
  options: CompileOptions,
  sink: ProblemSink,
): RuleSet {
  const { directives, containers } = parsed;
  const set = compileDirectives(directives, options, sink);
  const server = serverSettings(directives, serverRootOf(options));
  const withServer = server ? { ...set, server } : set;
  const sections = containers?.length
    ? withSections(withServer, containers, parseOptions, options, sink)
    : withServer;
  const withHosts = withDefinitions(
    compileVirtualHosts(sections, parsed, (body) => {
      const bodyOptions = { ...parseOptions, virtualHost: body.section };
      return compileParsed(parseLines(body.lines, bodyOptions, sink), bodyOptions, options, sink);
    }),
    parseOptions.variables,
  );
  // the sections' and vhosts' warnings too: the file's warnings are reported once, from the main
  // server's set (a <Directory>'s LogLevel or HostnameLookups was lost without a <VirtualHost>)
  if (parseOptions.virtualHost || !sink.warnings.length) return withHosts;
  return { ...withHosts, warnings: [...sink.warnings] };
}

/**
 * A server config that ran Define/UnDefine carries the final state, for its `.htaccess` files
 * (the whole config is read before any request: core.c's server_config_defined_vars).
 */
function withDefinitions(set: RuleSet, variables: ConfigVariables | undefined): RuleSet {
  if (!variables?.changed || set.definitions) return set;
  return { ...set, definitions: variables.definitions() };
}

/** Apache's ServerRoot for relative paths in the rules (maps, `<IfFile>`). */
function serverRootOf(options: CompileOptions): string {
  return options.mapRoot ?? (options.file ? resolve(options.file, '..') : currentDirectory());
}

function checkCompileArguments(where: string, source: unknown, options: unknown): void {
  if (typeof source !== 'string')
    throw optionsError(where, `rules must be Apache text (a string), got ${describeValue(source)}`);
  checkOptionsObject(where, options);
  checkContext(where, (options as CompileOptions | undefined)?.context);
}

/** What compileDirectives gathers, directive by directive, before each module compiles its part. */
interface Gathered {
  readonly sink: ProblemSink;
  /** ServerRoot for relative map paths. */
  readonly mapRoot: string;
  engine?: boolean;
  readonly rules: CompiledRule[];
  readonly maps: Map<string, RewriteMapSource>;
  readonly opts: Set<RewriteOptionName>;
  base?: string;
  directorySlash?: boolean;
  defaultCharset?: string | false;
  addTypes?: Map<string, string>;
  addEncodings?: Map<string, string>;
  followSymLinks?: boolean;
  symLinksIfOwnerMatch?: boolean;
  indexes?: boolean;
  multiViews?: boolean;
  traceEnable?: boolean;
  serverBanner?: string;
  readonly autoindex: AutoindexDirective[];
  directoryIndex?: readonly string[];
  /** The RewriteConds waiting for their RewriteRule. */
  pendingConds: CompiledCond[];
  readonly access: AccessDirective[];
  readonly scoped: FilesScopedDirective[];
  readonly envDirectives: EnvDirective[];
  readonly headers: HeaderDirective[];
  readonly expires: ExpiresDirective[];
  readonly mimeDirectives: MimeDirective[];
  readonly alias: (RedirectDirective | AliasDirective)[];
  fallbackResource?: string | false;
  indexRedirect?: number | false;
}

/** How each directive is gathered: one handler per type (a missing one is a type error). */
type Gatherers = {
  // an intersection, not Extract: AddType and AddEncoding share one interface
  readonly [T in Directive['type']]: (d: Directive & { readonly type: T }, g: Gathered) => void;
};

const pushEnv = (d: EnvDirective, g: Gathered): void => void g.envDirectives.push(d);
const pushAlias = (d: RedirectDirective | AliasDirective, g: Gathered): void =>
  void g.alias.push(d);

const GATHER: Gatherers = {
  RewriteEngine: (d, g) => (g.engine = d.on),
  RewriteBase: (d, g) => (g.base = d.path),
  DirectorySlash: (d, g) => (g.directorySlash = d.on),
  AddDefaultCharset: (d, g) => (g.defaultCharset = d.charset),
  AddType: (d, g) => {
    g.addTypes ??= new Map();
    // mod_mime's add_extension_info lower-cases the type, parameters included (case 492)
    for (const ext of d.extensions) g.addTypes.set(ext, d.value.toLowerCase());
  },
  AddEncoding: (d, g) => {
    g.addEncodings ??= new Map();
    for (const ext of d.extensions) g.addEncodings.set(ext, d.value);
  },
  // mod_dir's add_index: lines in one context add to the list; `disabled` alone clears it
  DirectoryIndex: (d, g) =>
    (g.directoryIndex = d.names.length ? [...(g.directoryIndex ?? []), ...d.names] : []),
  Options: (d, g) => {
    g.followSymLinks = optionAfter(d.values, FOLLOW_SYMLINKS) ?? g.followSymLinks;
    g.symLinksIfOwnerMatch = optionAfter(d.values, SYMLINKS_IF_OWNER) ?? g.symLinksIfOwnerMatch;
    g.indexes = indexesAfter(d.values) ?? g.indexes;
    g.multiViews = optionAfter(d.values, MULTIVIEWS) ?? g.multiViews;
  },
  Autoindex: (d, g) => void g.autoindex.push(d),
  TraceEnable: (d, g) => (g.traceEnable = d.on),
  ServerTokens: (d, g) => (g.serverBanner = d.banner),
  RewriteOptions: (d, g) => {
    for (const o of d.options) {
      const key = o.text.toLowerCase();
      if (key.startsWith('maxredirects=')) continue; // Apache: warning, ignored
      const known = OPTION_NAMES.get(key);
      if (!known) g.sink.add('ERR_OPTION', `RewriteOptions: unknown option '${o.text}'`, o.pos);
      else g.opts.add(known);
    }
  },
  RewriteMap: (d, g) => {
    const m = compileMap(d.name, d.source, g.mapRoot, g.sink);
    if (m) g.maps.set(d.name, m);
  },
  RewriteCond: (d, g) => {
    const c = compileCond(d.testString, d.pattern, d.flags, d.pos, g.sink);
    if (c) g.pendingConds.push(c);
  },
  RewriteRule: (d, g) => {
    const r = compileRule(d.pattern, d.substitution, d.flags, d.pos, g.pendingConds, g.sink);
    if (r) g.rules.push(r);
    g.pendingConds = [];
  },
  Access: (d, g) => void g.access.push(d),
  FilesScoped: (d, g) => void g.scoped.push(d),
  SetEnvIf: pushEnv,
  SetEnvIfExpr: pushEnv,
  SetEnv: pushEnv,
  UnsetEnv: pushEnv,
  PassEnv: pushEnv,
  ErrorDocument: pushEnv,
  ServerSignature: pushEnv,
  Header: (d, g) => void g.headers.push(d),
  Expires: (d, g) => void g.expires.push(d),
  Mime: (d, g) => {
    // RemoveType is mod_mime's `AddType "" ext`: in order with AddType (it hides mime.types too)
    if (d.name === 'RemoveType') {
      g.addTypes ??= new Map();
      for (const ext of d.args) g.addTypes.set(ext.replace(/^\./, '').toLowerCase(), '');
    }
    g.mimeDirectives.push(d);
  },
  Redirect: pushAlias,
  Alias: pushAlias,
  FallbackResource: (d, g) => (g.fallbackResource = d.url),
  DirectoryIndexRedirect: (d, g) => (g.indexRedirect = d.status),
  // a <Directory> section's: compile/directory-sections.ts reads it
  AllowOverride: () => undefined,
  // ServerName, ServerAlias, DocumentRoot: compile/virtual-host.ts reads them
  ServerSetting: () => undefined,
};

export function compileDirectives(
  directives: readonly Directive[],
  options: CompileOptions,
  sink: ProblemSink,
): RuleSet {
  const g: Gathered = {
    sink,
    mapRoot: serverRootOf(options),
    rules: [],
    maps: new Map(),
    opts: new Set(),
    autoindex: [],
    pendingConds: [],
    access: [],
    scoped: [],
    envDirectives: [],
    headers: [],
    expires: [],
    mimeDirectives: [],
    alias: [],
  };
  for (const [name, m] of Object.entries(options.maps ?? {}))
    g.maps.set(name, typeof m === 'function' ? functionMap(m) : m);
  let hasRewrite = false;
  const filesMime = new Map<FilesSection, Directive[]>();
  const rewritesInIf: Directive[] = [];
  for (const d of directives) {
    if ((d.type === 'Mime' || d.type === 'AddType' || d.type === 'AddEncoding') && d.files) {
      // a <Files> section's own settings, compiled on their own below (compile/mime.ts)
      filesMime.set(d.files, [...(filesMime.get(d.files) ?? []), { ...d, files: undefined }]);
      continue;
    }
    if (d.type.startsWith('Rewrite') && d.when) {
      // a section's own mod_rewrite config, not the directory's (compileIfRewrites)
      rewritesInIf.push(d);
      continue;
    }
    if (d.type.startsWith('Rewrite')) hasRewrite = true;
    (GATHER[d.type] as (d: Directive, g: Gathered) => void)(d, g);
  }
  const set = ruleSetOf(g, options, hasRewrite, filesMime);
  const ifRewrites = compileIfRewrites(rewritesInIf, options, sink);
  const fileWalk = fileWalkOf(directives);
  return { ...set, ...(fileWalk && { fileWalk }), ...(ifRewrites && { ifRewrites }) };
}

/**
 * The mod_rewrite directives of each `<If>` section, compiled as a configuration of their own
 * (mod_rewrite's create_dir_config runs for the section, whose path core names "*If"): while the
 * section holds it is merged over the directory's (site/if-rewrite.ts; recorded, case 461).
 */
function compileIfRewrites(
  directives: readonly Directive[],
  options: CompileOptions,
  sink: ProblemSink,
): IfRewriteSection[] | undefined {
  if (!directives.length) return undefined;
  if (options.context !== 'directory') {
    // in the server configuration the section is per-directory for every request's fixups: not
    // modelled, so refused rather than ignored
    for (const d of directives)
      sink.add(
        'ERR_CONTEXT',
        `${d.type} inside <If> in the server configuration is not supported by modrewrite (in an .htaccess it is)`,
        d.pos,
      );
    return undefined;
  }
  return ifSectionGroups(directives, sink).map((group) => ({
    when: group.when,
    ruleSet: compileDirectives(
      group.directives.map((d) => ({ ...d, when: undefined })),
      options,
      sink,
    ),
  }));
}

/**
 * The `<Files>` and `<If>` sections the directives stand in (undefined: none). A section's test
 * failing to compile is reported where its directives are compiled, so a sink of its own here.
 */
function fileWalkOf(directives: readonly Directive[]): FileWalkSections | undefined {
  const sections = new Set<FilesSection>();
  let ifs = false;
  for (const d of directives) {
    const files = (d as { readonly files?: FilesSection }).files;
    if (files) sections.add(files);
    if (d.when) ifs = true;
  }
  if (!sections.size && !ifs) return undefined;
  const quiet = new ProblemSink(() => '');
  const files: ((fileName: string) => boolean)[] = [];
  for (const section of sections) {
    // a section that does not compile matches nothing (its directives are refused)
    files.push(filesMatcher(section, quiet) ?? (() => false));
  }
  return { files, ifs };
}

/** The RuleSet of what was gathered: each module compiles its directives, in Apache's order. */
function ruleSetOf(
  g: Gathered,
  options: CompileOptions,
  hasRewriteDirectives: boolean,
  filesMime: ReadonlyMap<FilesSection, Directive[]>,
): RuleSet {
  const { sink, mapRoot } = g;
  const mime = compileMime(g.mimeDirectives, sink, mapRoot);
  return {
    engine: g.engine,
    rules: g.rules,
    maps: g.maps,
    base: g.base,
    options: g.opts,
    hasRewriteDirectives,
    directorySlash: g.directorySlash,
    defaultCharset: g.defaultCharset,
    addTypes: g.addTypes,
    addEncodings: withRemovals(g.addEncodings, mime.removedEncodings),
    mime: mime.settings,
    filesMime: compileFilesMime(filesMime, (ds) => compileDirectives(ds, options, sink), sink),
    warnings: sink.warnings.length ? sink.warnings : undefined,
    directoryIndex: g.directoryIndex,
    followSymLinks: g.followSymLinks,
    symLinksIfOwnerMatch: g.symLinksIfOwnerMatch,
    indexes: g.indexes,
    multiViews: g.multiViews,
    traceEnable: g.traceEnable,
    serverBanner: g.serverBanner,
    autoindex: compileAutoindex(g.autoindex, sink),
    file: options.file,
    access: withIfAccess(
      compileAccess(
        g.access.filter((d) => !d.when),
        sink,
        serverRootOf(options),
      ),
      compileIfAccess(
        g.access.filter((d) => d.when),
        sink,
        compileAccess,
      ),
    ),
    filesScoped: compileFilesScoped(g.scoped, options, sink),
    env: compileEnv(g.envDirectives, sink),
    headers: g.headers.length
      ? compileHeaders(g.headers, options.context ?? 'server', sink)
      : undefined,
    expires: g.expires.length ? compileExpires(g.expires, sink) : undefined,
    alias: compileAlias(g.alias, mapRoot, options.context ?? 'server', sink),
    fallbackResource: g.fallbackResource,
    directoryIndexRedirect: g.indexRedirect,
  };
}

/**
 * The directives of each `<Files>`/`<FilesMatch>` section (in file order), compiled like a
 * directory of their own and kept with the section's name test; site() merges the matching ones
 * over the directory's settings for a file (inherit.ts `settingsForFile`).
 */
function compileFilesScoped(
  scoped: readonly FilesScopedDirective[],
  options: CompileOptions,
  sink: ProblemSink,
): readonly FilesScope[] | undefined {
  if (!scoped.length) return undefined;
  const bySection = new Map<FilesSection, Directive[]>();
  for (const d of scoped) {
    const list = bySection.get(d.files) ?? [];
    list.push(d.directive);
    bySection.set(d.files, list);
  }
  const scopes: FilesScope[] = [];
  for (const [section, directives] of bySection) {
    const matches = filesMatcher(section, sink);
    const ruleSet = compileDirectives(directives, { ...options, maps: undefined }, sink);
    if (matches) scopes.push({ matches, ruleSet });
  }
  return scopes;
}

function compileMap(
  name: string,
  source: Arg,
  mapRoot: string,
  sink: ProblemSink,
): RewriteMapSource | undefined {
  const text = source.text;
  const colon = text.indexOf(':');
  let type = colon > 0 ? text.slice(0, colon).toLowerCase() : 'txt';
  let rest = colon > 0 ? text.slice(colon + 1) : text;
  if (
    !['int', 'txt', 'rnd', 'prg', 'dbm', 'dbd', 'fastdbd'].includes(type) &&
    !/^dbm=/.test(type)
  ) {
    // Apache treats an unknown type: prefix as a txt file path
    type = 'txt';
    rest = text;
  }
  const path = (p: string): string => (isAbsolute(p) ? p : resolve(mapRoot, p));
  try {
    switch (type) {
      case 'int': {
        const fn = INTERNAL_MAPS.get(rest);
        if (!fn) {
          sink.add('ERR_MAP', `RewriteMap: internal map not found: ${rest}`, source.pos);
          return undefined;
        }
        return { lookup: fn };
      }
      case 'txt':
      case 'rnd': {
        const p = path(rest);
        if (!existsSync(p)) {
          sink.add('ERR_MAP', `RewriteMap: file for map ${name} not found:${p}`, source.pos);
          return undefined;
        }
        return new FileMap(p, type === 'rnd');
      }
      case 'prg': {
        const [cmd = '', ...args] = rest.trim().split(/\s+/);
        const p = path(cmd);
        if (!existsSync(p)) {
          sink.add('ERR_MAP', `RewriteMap: map file or program not found:${p}`, source.pos);
          return undefined;
        }
        return new ProgramMap(p, args);
      }
      default:
        sink.add(
          'ERR_MAP',
          `RewriteMap: map type '${type}' is not supported by modrewrite (use a user map function)`,
          source.pos,
        );
        return undefined;
    }
  } catch (err) {
    sink.add('ERR_MAP', `RewriteMap: ${(err as Error).message}`, source.pos);
    return undefined;
  }
}

/**
 * Compiles a pattern given as a byte string (Apache matches bytes: a pattern written in UTF-8
 * matches the UTF-8 bytes of the subject). Errors quote the pattern as written and sit at the
 * character the translator's byte offset falls in.
 */
function compileRegex(
  bytes: string,
  nocase: boolean,
  where: (k: number) => SourcePosition,
  what: string,
  sink: ProblemSink,
): RegExp | undefined {
  try {
    return compilePcre(bytes, nocase);
  } catch (err) {
    const e = err as PcreError;
    sink.add(
      e.unsupported ? 'ERR_REGEX_UNSUPPORTED' : 'ERR_REGEX',
      `${what}: cannot compile regular expression '${bytesToUtf8(bytes)}': ${e.message}`,
      where(charsBefore(bytes, e.offset ?? 0)),
    );
    return undefined;
  }
}

/** How many characters of the UTF-8 text a byte string spells lie before its byte `offset`. */
function charsBefore(bytes: string, offset: number): number {
  const head = bytes.slice(0, Math.max(0, offset));
  // a byte offset inside a multi-byte character points at that character (its partial bytes decode
  // to one U+FFFD, dropped here)
  return bytesToUtf8(head).replace(/\uFFFD$/, '').length;
}

/** parseTemplate, with a too-deep `${map:` nesting reported as a positioned ERR_LIMIT. */
function templateAt(
  bytes: string,
  arg: Arg,
  what: string,
  sink: ProblemSink,
): Template | undefined {
  try {
    return parseTemplate(bytes);
  } catch (err) {
    if (!(err instanceof TemplateLimitError)) throw err;
    sink.add('ERR_LIMIT', `${what}: ${err.message}`, argAt(arg, charsBefore(bytes, err.offset)));
    return undefined;
  }
}

/** A RewriteCond's `[flags]`; unknown ones are problems. */
function condFlagsOf(flagsArg: Arg | undefined, sink: ProblemSink): CondFlags {
  if (!flagsArg) return { nocase: false, ornext: false, novary: false };
  const parsed = parseCondFlags(splitFlags(flagsArg.text));
  for (const e of parsed.errors)
    sink.add('ERR_UNKNOWN_FLAG', e.message, argAt(flagsArg, e.token.offset));
  return parsed.flags;
}

/** `RewriteCond expr "…"`: an ap_expr, its regexes compiled as PCRE. */
function exprTest(
  p: string,
  patternArg: Arg,
  skip: number,
  sink: ProblemSink,
): CondTest | undefined {
  try {
    return { type: 'expr', expr: parseExpr(p) };
  } catch (err) {
    if (err instanceof PcreError) {
      const code = err.unsupported ? 'ERR_REGEX_UNSUPPORTED' : 'ERR_REGEX';
      sink.add(
        code,
        `RewriteCond: cannot compile regular expression in expression "${bytesToUtf8(p)}": ${err.message}`,
        argAt(patternArg, skip + charsBefore(p, err.offset)),
      );
      return undefined;
    }
    sink.add(
      'ERR_EXPR',
      `RewriteCond: cannot compile expression "${p}": ${(err as Error).message}`,
      patternArg.pos,
    );
    return undefined;
  }
}

/**
 * The CondPatterns that are not regexes (as cmd_rewritecond reads them): `-f`-style file tests
 * (`-h` and `-L` are `-l`), `-lt`…`-eq` integers (`-ne` is a negated `-eq`: `flip`), `<`, `>`,
 * `<=`, `>=` and `=` strings (`=""` is the empty string); undefined: a regex.
 */
function comparisonTest(p: string): { test: CondTest; flip: boolean } | undefined {
  if (p.length === 2 && p[0] === '-' && 'fsdxhLlUF'.includes(p[1]!)) {
    const t =
      p[1] === 'h' || p[1] === 'L' ? 'l' : (p[1] as 'f' | 's' | 'd' | 'x' | 'l' | 'F' | 'U');
    return { test: { type: 'file', test: t }, flip: false };
  }
  if (p.length >= 4 && /^-(lt|le|gt|ge|eq|ne)/.test(p)) {
    const op = p.slice(1, 3);
    const m = /^\s*([+-]?\d+)/.exec(p.slice(3));
    const value = m ? parseInt(m[1]!, 10) : 0;
    if (op === 'ne') return { test: { type: 'int', op: 'eq', value }, flip: true };
    const intOp = op as 'eq' | 'gt' | 'ge' | 'lt' | 'le';
    return { test: { type: 'int', op: intOp, value }, flip: false };
  }
  if (p.length >= 2 && (p[0] === '<' || p[0] === '>')) {
    const op = (p[1] === '=' ? p.slice(0, 2) : p[0]) as '<' | '>' | '<=' | '>=';
    return { test: { type: 'str', op, value: p.slice(op.length) }, flip: false };
  }
  if (p.length >= 2 && p[0] === '=') {
    const v = p.slice(1);
    return { test: { type: 'str', op: '=', value: v === '""' ? '' : v }, flip: false };
  }
  return undefined;
}

export function compileCond(
  testString: Arg,
  patternArg: Arg,
  flagsArg: Arg | undefined,
  pos: SourcePosition,
  sink: ProblemSink,
): CompiledCond | undefined {
  let flags = condFlagsOf(flagsArg, sink);
  let p = utf8ToBytes(patternArg.text);
  let negate = false;
  let skip = 0;
  if (p.startsWith('!')) {
    negate = true;
    p = p.slice(1);
    skip = 1;
  }
  let test: CondTest | undefined;
  const isExpr = testString.text.toLowerCase() === 'expr';
  const comparison = isExpr ? undefined : comparisonTest(p);
  if (isExpr) {
    test = exprTest(p, patternArg, skip, sink);
    if (!test) return undefined;
  } else if (comparison) {
    test = comparison.test;
    if (comparison.flip) negate = !negate;
  } else {
    const re = compileRegex(
      p,
      flags.nocase,
      (k) => argAt(patternArg, skip + k),
      'RewriteCond',
      sink,
    );
    if (!re) return undefined;
    test = { type: 'regex', re };
  }
  // NC is ignored (with a warning in Apache) on everything but regex and string comparisons
  if (test.type !== 'regex' && test.type !== 'str') flags = { ...flags, nocase: false };
  const input = templateAt(utf8ToBytes(testString.text), testString, 'RewriteCond', sink);
  if (!input) return undefined;
  return { input, test, negate, flags, source: patternArg.text, pos };
}

export function compileRule(
  patternArg: Arg,
  substitution: Arg,
  flagsArg: Arg | undefined,
  pos: SourcePosition,
  conds: CompiledCond[],
  sink: ProblemSink,
  params?: ReadonlyMap<string, number>,
  prebuilt?: RegExp,
): CompiledRule | undefined {
  const { flags, errors } = parseRuleFlags(flagsArg ? splitFlags(flagsArg.text) : []);
  for (const e of errors)
    sink.add(e.code, e.message, argAt(flagsArg!, e.token.offset + (e.valueOffset ?? 0)));
  let pattern = patternArg.text;
  let negate = false;
  if (pattern.startsWith('!')) {
    negate = true;
    pattern = pattern.slice(1);
  }
  const re =
    prebuilt ??
    compileRegex(
      utf8ToBytes(pattern),
      flags.nocase,
      (k) => argAt(patternArg, (negate ? 1 : 0) + k),
      'RewriteRule',
      sink,
    );
  if (!re || errors.length) return undefined;
  let out = utf8ToBytes(substitution.text);
  const nosub = out === '-';
  let qsnone = false;
  if (!nosub && out.endsWith('?')) {
    // A trailing ?: with QSA it stays and means "split at the last ?" (so a ? from $1 stays in the
    // path); without QSA Apache strips it and discards the query (QSNONE)
    if (flags.qsappend) flags.qslast = true;
    else {
      qsnone = true;
      out = out.slice(0, -1);
    }
  } else if (flags.qsdiscard && !out.includes('?')) {
    qsnone = true;
  }
  const output = nosub || flags.status ? null : templateAt(out, substitution, 'RewriteRule', sink);
  if (output === undefined) return undefined;
  return {
    re,
    literal: fullLiteral(re),
    negate,
    output,
    outputText: out,
    qsnone,
    flags,
    conds,
    pattern: patternArg.text,
    pos,
    params,
  };
}

/**
 * Compiles source text in `directory` context conveniently (used by tests and .htaccess loading).
 */
export function compileDirectoryText(
  source: string,
  options: Omit<CompileOptions, 'context'> = {},
): RuleSet {
  return compileText(source, { ...options, context: 'directory' });
}

/**
 * The server config's `<Directory>`/`<Location>` sections, each body compiled in directory context.
 */
function withSections(
  set: RuleSet,
  containers: readonly ContainerBody[],
  parseOptions: ParseOptions,
  options: CompileOptions,
  sink: ProblemSink,
): RuleSet {
  // what an .htaccess may hold (site(), serve), with the server's maps usable in the rules
  const body: CompileOptions = {
    ...options,
    context: 'directory',
    accessControl: true,
    siteDirectives: true,
    maps: Object.fromEntries(set.maps),
  };
  const sections = compileSections(
    containers,
    { ...parseOptions, context: 'directory', accessControl: true, siteDirectives: true },
    (directives) => compileDirectives(directives, body, sink),
    sink,
  );
  return { ...set, sections };
}

/** A file's access configuration with its `<If>` bodies (which alone make one). */
function withIfAccess(
  top: AccessConfig | undefined,
  ifs: NonNullable<AccessConfig['ifs']>,
): AccessConfig | undefined {
  if (!ifs.length) return top;
  return { directory: top?.directory ?? {}, files: top?.files ?? [], ifs };
}
