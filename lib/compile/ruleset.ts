/** The compiled, immutable rule set the engine evaluates. */
import type { ConfigDefinitions } from '../syntax/config-vars.js';
import type { SourcePosition } from '../errors.js';
import type { ExprNode } from './expr.js';
import type { RewriteMapSource } from '../common/maps.js';
import type { CondFlags, RuleFlags } from './flags.js';
import type { Template } from './template.js';
import type { AccessConfig } from './access.js';
import type { CompiledWhen, EnvConfig } from './env.js';
import type { AutoindexConfig } from './autoindex.js';
import type { ExpiresLayer, HeaderAction } from './headers.js';
import type { RewriteWarning } from '../errors.js';
import type { FilesMime, MimeSettings } from './mime.js';
import type { CompiledSection } from './directory-sections.js';
import type { AliasConfig } from './alias.js';
import type { CompiledVirtualHost, ServerSettings } from './virtual-host.js';

export type CondTest =
  | { readonly type: 'regex'; readonly re: RegExp }
  | { readonly type: 'str'; readonly op: '=' | '<' | '>' | '<=' | '>='; readonly value: string }
  | { readonly type: 'int'; readonly op: 'eq' | 'gt' | 'ge' | 'lt' | 'le'; readonly value: number }
  | { readonly type: 'file'; readonly test: 'f' | 's' | 'd' | 'x' | 'l' | 'F' | 'U' }
  | { readonly type: 'expr'; readonly expr: ExprNode };

export interface CompiledCond {
  readonly input: Template;
  readonly test: CondTest;
  readonly negate: boolean;
  readonly flags: CondFlags;
  /** The pattern as written (for traces). */
  readonly source: string;
  readonly pos: SourcePosition;
}

export interface CompiledRule {
  readonly re: RegExp;
  /** Set when the pattern is `^literal$`: matching is then a string comparison. */
  readonly literal?: string;
  readonly negate: boolean;
  /** null for `-` (no substitution). */
  readonly output: Template | null;
  /**
   * The substitution text as stored by Apache (trailing `?` removed): prefix_stat compares against
   * it.
   */
  readonly outputText: string;
  /** The trailing `?` (or QSD without any `?`): discard the query, never split the expansion. */
  readonly qsnone: boolean;
  readonly flags: RuleFlags;
  readonly conds: readonly CompiledCond[];
  /** The pattern as written. */
  readonly pattern: string;
  readonly pos: SourcePosition;
  /** Named parameters of a typed `path:` rule: name → group number. */
  readonly params?: ReadonlyMap<string, number>;
}

export type RewriteOptionName =
  | 'Inherit'
  | 'InheritBefore'
  | 'InheritDown'
  | 'InheritDownBefore'
  | 'IgnoreInherit'
  | 'AllowNoSlash'
  | 'AllowAnyURI'
  | 'MergeBase'
  | 'IgnoreContextInfo'
  | 'LegacyPrefixDocRoot'
  | 'UnsafePrefixStat';

export interface RuleSet {
  /**
   * undefined when the source never said RewriteEngine (then the parent's state applies; default
   * off).
   */
  readonly engine: boolean | undefined;
  readonly rules: readonly CompiledRule[];
  readonly maps: ReadonlyMap<string, RewriteMapSource>;
  readonly base?: string;
  readonly options: ReadonlySet<RewriteOptionName>;
  /**
   * Whether the source had any mod_rewrite directive (a child without any inherits the parent's
   * config).
   */
  readonly hasRewriteDirectives: boolean;
  readonly directorySlash?: boolean;
  /** mod_mime's AddType: extension (lower-case, no dot) → type. */
  readonly addTypes?: ReadonlyMap<string, string>;
  /** mod_mime's AddEncoding: extension (lower-case, no dot) → encoding. */
  readonly addEncodings?: ReadonlyMap<string, string>;
  /** mod_mime's other per-extension settings and core's file-serving ones (compile/mime.ts). */
  readonly mime?: MimeSettings;
  /** mod_mime/core settings inside `<Files>`/`<FilesMatch>` sections, from the root down. */
  readonly filesMime?: readonly FilesMime[];
  /** Load warnings of this file (WARN_NO_EFFECT, WARN_HANDLER), once each. */
  readonly warnings?: readonly RewriteWarning[];
  /** core's AddDefaultCharset: the charset added to text/plain and text/html, false for Off. */
  readonly defaultCharset?: string | false;
  /** From `DirectoryIndex` (mod_dir): the index names; empty for `disabled`. */
  readonly directoryIndex?: readonly string[];
  /** `Options` FollowSymLinks (or All): on, off, or undecided here (on by default). */
  readonly followSymLinks?: boolean;
  /** `Options` SymLinksIfOwnerMatch: on, off, or undecided here (off by default). */
  readonly symLinksIfOwnerMatch?: boolean;
  /** `Options` MultiViews: on, off, or undecided here (off by default): mod_negotiation. */
  readonly multiViews?: boolean;
  /** From `Options`: whether a directory without an index file is listed (mod_autoindex) or 403. */
  readonly indexes?: boolean;
  /** core's TraceEnable (server config): whether TRACE is echoed (true) or 405 (false). */
  readonly traceEnable?: boolean;
  /** core's ServerTokens (main server config): the ServerSignature's banner (set_banner). */
  readonly serverBanner?: string;
  /** mod_autoindex's IndexIgnore, IndexOptions... of this file (merged with the parents'). */
  readonly autoindex?: AutoindexConfig;
  readonly file?: string;
  /**
   * `Require`/`Order`/`Allow`/`Deny`/`Satisfy` and `<Files>` sections (only with `accessControl`).
   */
  readonly access?: AccessConfig;
  /**
   * Other directives of `<Files>`/`<FilesMatch>` sections, in order (parents' first after a merge).
   */
  readonly filesScoped?: readonly FilesScope[];
  /** mod_setenvif, mod_env and ErrorDocument (only with `siteDirectives`). */
  readonly env?: EnvConfig;
  /** mod_headers' Header/RequestHeader actions, parent directories' first (merge order). */
  readonly headers?: readonly HeaderAction[];
  /** mod_expires' settings, parent directories' first; a later layer overrides. */
  readonly expires?: readonly ExpiresLayer[];
  /** mod_alias's redirects (and, in server config, aliases) (only with `siteDirectives`). */
  readonly alias?: AliasConfig;
  /** mod_dir's FallbackResource: the URL a missing file is served by; false for `disabled`. */
  readonly fallbackResource?: string | false;
  /** mod_dir's DirectoryIndexRedirect: the status of a redirect to the index found; false: Off. */
  readonly directoryIndexRedirect?: number | false;
  /**
   * The server config's `<Directory>`/`<Location>` sections (site(), serve:
   * site/directory-walk.ts).
   */
  readonly sections?: readonly CompiledSection[];
  /** core's ServerName, ServerAlias, DocumentRoot, UseCanonicalName of this server config. */
  readonly server?: ServerSettings;
  /** The server config's `<VirtualHost>` sections, each merged over it (site/virtual-hosts.ts). */
  readonly virtualHosts?: readonly CompiledVirtualHost[];
  /** What core's file and if walks match in this source (site/walk-identity.ts). */
  readonly fileWalk?: FileWalkSections;
  /**
   * The mod_rewrite directives of each `<If>`/`<ElseIf>`/`<Else>` section, parent directories'
   * first: while a section holds, ap_if_walk merges its config over the directory's
   * (site/if-rewrite.ts).
   */
  readonly ifRewrites?: readonly IfRewriteSection[];
  /**
   * A server config's Define'd names and values once it was read, when it has Define or UnDefine
   * lines: what its `.htaccess` files' `${NAME}` and `<IfDefine>` see (as in Apache).
   */
  readonly definitions?: ConfigDefinitions;
}

/** One `<If>` section's mod_rewrite configuration and the chain that must hold. */
export interface IfRewriteSection {
  readonly when: CompiledWhen;
  readonly ruleSet: RuleSet;
}

/**
 * Every `<Files>`/`<FilesMatch>` section of a source (whatever it holds) and whether it has `<If>`
 * sections: what decides whether two requests end with the same per-directory configuration.
 */
export interface FileWalkSections {
  /** Each section's test on a file name (what follows the last `/`), in file order. */
  readonly files: readonly ((fileName: string) => boolean)[];
  readonly ifs: boolean;
}

/** One `<Files>`/`<FilesMatch>` section's non-access directives and its file-name test. */
export interface FilesScope {
  /** Tested against the last segment of the filename, as core's file walk does. */
  readonly matches: (fileName: string) => boolean;
  readonly ruleSet: RuleSet;
}
