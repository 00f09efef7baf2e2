import type { SourcePosition } from '../errors.js';
import type { FilesSection } from './sections.js';
import type { AuthzFrame, LimitSection } from './limit.js';

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
}

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
/** mod_mime's `AddType type ext...` and `AddEncoding encoding ext...` (extensions lower-case, no dot). */
export interface MimeMapDirective extends Base {
  readonly type: 'AddType' | 'AddEncoding';
  readonly value: string;
  readonly extensions: readonly string[];
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

/** The access directives modrewrite applies (mod_authz_core's and mod_access_compat's). */
export type AccessDirectiveName =
  'Require' | 'Order' | 'Allow' | 'Deny' | 'Satisfy' | 'AuthMerging';

/** `Require`, `Order`, `Allow`, `Deny`, `Satisfy`: checked and compiled in compile/access.ts. */
export interface AccessDirective extends Base {
  readonly type: 'Access';
  readonly name: AccessDirectiveName;
  readonly args: readonly Arg[];
  /** The `<Files>`/`<FilesMatch>` section it stands in; none: the whole directory. */
  readonly files?: FilesSection;
  /** The arguments as written (after the directive name, trimmed): `Require expr` parses its own. */
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
/** mod_alias's `Alias` and `AliasMatch` (server config only). */
export interface AliasDirective extends Base {
  readonly type: 'Alias';
  readonly regex: boolean;
  readonly pattern: Arg;
  readonly target: string;
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
  | RedirectDirective
  | AliasDirective
  | FallbackResourceDirective;

export interface ParsedConfig {
  readonly file?: string;
  readonly directives: readonly Directive[];
}
