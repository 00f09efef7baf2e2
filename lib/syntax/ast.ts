import type { SourcePosition } from '../errors.js';
import type { EnvDirective } from './env.js';
import type { FilesSection, IfCondition } from './sections.js';
import type { ExpiresDirective, HeaderDirective } from './headers.js';
import type { AuthzFrame, LimitSection } from './limit.js';
import type { AllowOverrideDirective } from './directory-sections.js';
import type { ServerSettingDirective } from './virtual-host.js';

/** A source argument and where it starts. */
export interface Arg {
  readonly text: string;
  readonly pos: SourcePosition;
  /**
   * The source position of offset `k` of `text`, where the argument runs over continuation lines
   * (non-enumerable; absent for arguments not taken verbatim from one logical line).
   */
  readonly at?: (k: number) => SourcePosition;
}

interface Base {
  readonly pos: SourcePosition;
  /**
   * The `<If>` chain the directive stands in (site(), htaccess(), serve); see syntax/env.ts
   * APPLIED_IN_IF.
   */
  readonly when?: IfCondition;
}
/** A directive node's position (for directive types declared outside this file). */
export type SourcePositioned = Base;

export interface EngineDirective extends Base {
  readonly type: 'RewriteEngine';
  readonly on: boolean;
}
export interface CondDirective extends Base {
  readonly type: 'RewriteCond';
  readonly testString: Arg;
  readonly pattern: Arg;
  readonly flags?: Arg;
}
export interface RuleDirective extends Base {
  readonly type: 'RewriteRule';
  readonly pattern: Arg;
  readonly substitution: Arg;
  readonly flags?: Arg;
}
export interface MapDirective extends Base {
  readonly type: 'RewriteMap';
  readonly name: string;
  readonly source: Arg;
  readonly options?: string;
}
export interface BaseDirective extends Base {
  readonly type: 'RewriteBase';
  readonly path: string;
}
export interface OptionsDirective extends Base {
  readonly type: 'RewriteOptions';
  readonly options: readonly Arg[];
}
export interface DirectorySlashDirective extends Base {
  readonly type: 'DirectorySlash';
  readonly on: boolean;
}
export interface DirectoryIndexDirective extends Base {
  readonly type: 'DirectoryIndex';
  readonly names: readonly string[];
}
/**
 * mod_mime's `AddType type ext...` and `AddEncoding encoding ext...` (extensions lower-case, no
 * dot).
 */
export interface MimeMapDirective extends Base {
  readonly type: 'AddType' | 'AddEncoding';
  readonly value: string;
  readonly extensions: readonly string[];
  /** The `<Files>`/`<FilesMatch>` section it stands in (TYPO3's `AddType text/html` in one). */
  readonly files?: FilesSection;
}
/** core's `AddDefaultCharset On|Off|charset`: a charset name, or false for Off. */
export interface DefaultCharsetDirective extends Base {
  readonly type: 'AddDefaultCharset';
  readonly charset: string | false;
}
export interface ApacheOptionsDirective extends Base {
  readonly type: 'Options';
  readonly values: readonly string[];
}

/**
 * mod_autoindex's directives (syntax/autoindex.ts checks them, compile/autoindex.ts folds them).
 */
export type AutoindexDirectiveName =
  | 'IndexIgnore'
  | 'IndexIgnoreReset'
  | 'IndexOptions'
  | 'IndexOrderDefault'
  | 'HeaderName'
  | 'ReadmeName'
  | 'AddIcon'
  | 'AddIconByType'
  | 'AddIconByEncoding'
  | 'AddAlt'
  | 'AddAltByType'
  | 'AddAltByEncoding'
  | 'DefaultIcon'
  | 'IndexStyleSheet'
  | 'IndexHeadInsert'
  | 'AddDescription';
export interface AutoindexDirective extends Base {
  readonly type: 'Autoindex';
  readonly name: AutoindexDirectiveName;
  readonly args: readonly Arg[];
}

/**
 * core's `ServerTokens` (main server config only): the banner ap_get_server_banner() gives the
 * ServerSignature footer (set_banner).
 */
export interface ServerTokensDirective extends Base {
  readonly type: 'ServerTokens';
  readonly banner: string;
}

/** core's `TraceEnable On|Off` (server config only). */
export interface TraceEnableDirective extends Base {
  readonly type: 'TraceEnable';
  readonly on: boolean;
}

/**
 * mod_mime's other directives, core's file-serving ones (FileETag, AcceptPathInfo, ...) and those
 * of modules without effect here (mod_deflate, mod_filter, mod_negotiation): see syntax/mime.ts.
 */
export interface MimeDirective extends Base {
  readonly type: 'Mime';
  /** The directive as Apache spells it (`AddCharset`). */
  readonly name: string;
  readonly args: readonly string[];
  /** `no-effect`: accepted, reported once per file as WARN_NO_EFFECT. */
  readonly effect: 'apply' | 'no-effect';
  /** The `<Files>`/`<FilesMatch>` section it stands in, if any. */
  readonly files?: FilesSection;
}

/** The access directives modrewrite applies (mod_authz_core's and mod_access_compat's). */
export type AccessDirectiveName =
  | 'Require'
  | 'Order'
  | 'Allow'
  | 'Deny'
  | 'Satisfy'
  | 'AuthMerging'
  | 'AuthType'
  | 'AuthName'
  | 'AuthUserFile'
  | 'AuthBasicProvider';

/** `Require`, `Order`, `Allow`, `Deny`, `Satisfy`: checked and compiled in compile/access.ts. */
export interface AccessDirective extends Base {
  readonly type: 'Access';
  readonly name: AccessDirectiveName;
  readonly args: readonly Arg[];
  /** The `<Files>`/`<FilesMatch>` section it stands in; none: the whole directory. */
  readonly files?: FilesSection;
  /**
   * The arguments as written (after the directive name, trimmed): `Require expr` parses its own.
   */
  readonly raw: string;
  /** The `<Limit>`/`<LimitExcept>` it stands in: the methods it applies to. */
  readonly limit?: LimitSection;
  /** The innermost `<RequireAll|Any|None>` it stands in. */
  readonly authz?: AuthzFrame;
}

/**
 * mod_alias's `Redirect`, `RedirectMatch`, `RedirectPermanent`, `RedirectTemp` (read in
 * syntax/alias.ts). Without `pattern` it applies to every request of its directory.
 */
export interface RedirectDirective extends Base {
  readonly type: 'Redirect';
  readonly name: 'Redirect' | 'RedirectMatch' | 'RedirectPermanent' | 'RedirectTemp';
  readonly status: number;
  /** `RedirectMatch`: `pattern` is a regular expression (else a URL-path prefix). */
  readonly regex: boolean;
  readonly pattern?: Arg;
  /** The URL (3xx only). */
  readonly target?: string;
}
/** mod_dir's `FallbackResource`: the URL a missing file is served by; false for `disabled`. */
export interface FallbackResourceDirective extends Base {
  readonly type: 'FallbackResource';
  readonly url: string | false;
}
/**
 * mod_dir's `DirectoryIndexRedirect`: the status of an external redirect to the index file found
 * (300-399), or false for `Off`.
 */
export interface DirectoryIndexRedirectDirective extends Base {
  readonly type: 'DirectoryIndexRedirect';
  readonly status: number | false;
}
/** mod_alias's `Alias` and `AliasMatch` (server config only). */
export interface AliasDirective extends Base {
  readonly type: 'Alias';
  readonly regex: boolean;
  readonly pattern: Arg;
  readonly target: string;
  /** ScriptAlias/ScriptAliasMatch: the handler mod_alias forces (`cgi-script`). */
  readonly handler?: string;
}

/**
 * A directive inside `<Files>`/`<FilesMatch>` other than an access directive: it applies to the
 * files the section matches, merged after the directory's own (core's file walk). Only the
 * directives listed in FILE_SCOPED_DIRECTIVES (parse.ts) may stand there.
 */
export interface FilesScopedDirective extends Base {
  readonly type: 'FilesScoped';
  readonly files: FilesSection;
  readonly directive: Directive;
}

/** Every directive the parser produces; a discriminated union on `type`. */
export type Directive =
  | EngineDirective
  | CondDirective
  | RuleDirective
  | MapDirective
  | BaseDirective
  | OptionsDirective
  | DirectorySlashDirective
  | DirectoryIndexDirective
  | ApacheOptionsDirective
  | DefaultCharsetDirective
  | MimeMapDirective
  | AccessDirective
  | FilesScopedDirective
  | EnvDirective
  | AutoindexDirective
  | TraceEnableDirective
  | ServerTokensDirective
  | HeaderDirective
  | ExpiresDirective
  | MimeDirective
  | RedirectDirective
  | AliasDirective
  | FallbackResourceDirective
  | DirectoryIndexRedirectDirective
  | AllowOverrideDirective
  | ServerSettingDirective;

export interface ParsedConfig {
  readonly file?: string;
  readonly directives: readonly Directive[];
}
