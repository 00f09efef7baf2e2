import type { SourcePosition } from '../errors.js';
import type { FilesSection } from './sections.js';

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
 * mod_mime's other directives, core's file-serving ones (FileETag, AcceptPathInfo, ...) and those of
 * modules without effect here (mod_deflate, mod_filter, mod_negotiation): see syntax/mime.ts.
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
export type AccessDirectiveName = 'Require' | 'Order' | 'Allow' | 'Deny' | 'Satisfy';

/** `Require`, `Order`, `Allow`, `Deny`, `Satisfy`: checked and compiled in compile/access.ts. */
export interface AccessDirective extends Base {
  readonly type: 'Access';
  readonly name: AccessDirectiveName;
  readonly args: readonly Arg[];
  /** The `<Files>`/`<FilesMatch>` section it stands in; none: the whole directory. */
  readonly files?: FilesSection;
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
  | MimeDirective
  | AccessDirective;

export interface ParsedConfig {
  readonly file?: string;
  readonly directives: readonly Directive[];
}
