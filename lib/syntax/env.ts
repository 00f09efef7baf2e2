/**
 * Argument parsing for mod_setenvif (`SetEnvIf`, `SetEnvIfNoCase`, `BrowserMatch`,
 * `BrowserMatchNoCase`, `SetEnvIfExpr`), mod_env (`SetEnv`, `UnsetEnv`, `PassEnv`) and core's
 * `ErrorDocument`, as modules/metadata/mod_setenvif.c, mod_env.c and server/core.c read them.
 * Only for a caller that applies them (site(), htaccess(), serve): elsewhere they are refused.
 */
import { isKnownStatus } from '../common/status.js';
import type { SourcePosition } from '../errors.js';
import type { Arg } from './ast.js';
import { parseConfWords, type LogicalLine } from './lexer.js';
import type { FilesSection, IfCondition } from './sections.js';

/** One `name[=value]` / `!name` of a SetEnvIf line: value null unsets. */
export interface EnvFeature {
  readonly name: string;
  readonly value: string | null;
}

interface EnvBase {
  readonly pos: SourcePosition;
  /** The `<Files>`/`<FilesMatch>` section it stands in. */
  readonly files?: FilesSection;
  /** The `<If>` chain it stands in. */
  readonly when?: IfCondition;
}

/** `SetEnvIf attribute regex features...` and its NoCase / BrowserMatch forms. */
export interface SetEnvIfDirective extends EnvBase {
  readonly type: 'SetEnvIf';
  /** The directive as written (for messages). */
  readonly directive: string;
  /** `User-Agent` for BrowserMatch. */
  readonly attribute: string;
  readonly pattern: Arg;
  readonly nocase: boolean;
  readonly features: readonly EnvFeature[];
}

/** `SetEnvIfExpr "expr" features...`. */
export interface SetEnvIfExprDirective extends EnvBase {
  readonly type: 'SetEnvIfExpr';
  readonly expr: Arg;
  readonly features: readonly EnvFeature[];
}

/**
 * `SetEnv name [value]`, `UnsetEnv names...`, `PassEnv names...` (value from the process
 * environment).
 */
export interface EnvVarDirective extends EnvBase {
  readonly type: 'SetEnv' | 'UnsetEnv' | 'PassEnv';
  readonly names: readonly string[];
  /** SetEnv's value ('' when omitted). */
  readonly value?: string;
}

/** What an ErrorDocument answers with. */
export type ErrorAction =
  | { readonly type: 'default' }
  /** The text as an ap_expr string (`%{VAR}` expanded per request). */
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'local'; readonly url: string }
  | { readonly type: 'external'; readonly url: string };

/** `ErrorDocument code action`. */
export interface ErrorDocumentDirective extends EnvBase {
  readonly type: 'ErrorDocument';
  readonly status: number;
  readonly action: ErrorAction;
}

/** core's `ServerSignature On|Off|EMail` (per directory, any override: OR_ALL). */
export interface ServerSignatureDirective extends EnvBase {
  readonly type: 'ServerSignature';
  readonly value: ServerSignature;
}

/** What core's ap_psignature puts under Apache's pages. */
export type ServerSignature = 'on' | 'off' | 'email';

export type EnvDirective =
  | SetEnvIfDirective
  | SetEnvIfExprDirective
  | EnvVarDirective
  | ErrorDocumentDirective
  | ServerSignatureDirective;

/** The directive names this file reads, lower-case → Apache's spelling. */
export const ENV_DIRECTIVES = new Map(
  [
    'SetEnvIf',
    'SetEnvIfNoCase',
    'BrowserMatch',
    'BrowserMatchNoCase',
    'SetEnvIfExpr',
    'SetEnv',
    'UnsetEnv',
    'PassEnv',
    'ErrorDocument',
    'ServerSignature',
  ].map((n) => [n.toLowerCase(), n]),
);

/**
 * Other modules' directives (lower-case names) that may stand inside `<If>`: their compiled form
 * must read `Directive.when` (parse.ts sets it on every directive inside `<If>`) and apply the
 * directive only when the chain holds (compile/env.ts `compileScope`, site/env.ts `chainHolds`).
 * A name not listed here (nor in ENV_DIRECTIVES) is refused inside `<If>`, never applied
 * unconditionally.
 */
export const APPLIED_IN_IF = new Set<string>([
  // the access phase applies `<If>` bodies after the rest (site/access.ts)
  'require',
  'order',
  'allow',
  'deny',
  'satisfy',
  // mod_headers keeps the chain on each action and tests it as the headers go out (site/headers.ts)
  'header',
  'requestheader',
  // mod_alias's fixup tries a held section's redirects first (compile/alias.ts, site/alias.ts)
  'redirect',
  'redirectmatch',
  'redirectpermanent',
  'redirecttemp',
  // mod_rewrite's config of a held section replaces the directory's (compile.ts compileIfRewrites)
  'rewriteengine',
  'rewriterule',
  'rewritecond',
  'rewriteoptions',
  'rewritebase',
]);

export type EnvParse = EnvDirective | { readonly error: string; readonly pos: SourcePosition };

/** Parses one of ENV_DIRECTIVES (`name` is its lower-case form). */
export function parseEnvDirective(
  name: string,
  line: LogicalLine,
  scope: { readonly files?: FilesSection; readonly when?: IfCondition },
): EnvParse {
  const pos = line.at(0);
  const directive = ENV_DIRECTIVES.get(name)!;
  const words = parseConfWords(line, directive.length);
  const base = {
    pos,
    ...(scope.files && { files: scope.files }),
    ...(scope.when && { when: scope.when }),
  };
  switch (name) {
    case 'setenvif':
    case 'setenvifnocase':
    case 'browsermatch':
    case 'browsermatchnocase':
      return setEnvIf(directive, words, base);
    case 'setenvifexpr': {
      const [expr, ...rest] = words;
      if (!expr?.text) return { error: 'Missing expression for SetEnvIfExpr', pos };
      if (!rest.length) return { error: 'Missing envariable expression for SetEnvIfExpr', pos };
      return { type: 'SetEnvIfExpr', expr, features: rest.map(feature), ...base };
    }
    case 'setenv':
      if (!words.length || !words[0].text || words.length > 2)
        return {
          error:
            'SetEnv takes one or two arguments.  An environment variable name and an optional value to pass to CGI.',
          pos: words[2]?.pos ?? pos,
        };
      return { type: 'SetEnv', names: [words[0].text], value: words[1]?.text ?? '', ...base };
    case 'unsetenv':
    case 'passenv':
      if (!words.length) return { error: `${directive} requires at least one argument`, pos };
      return {
        type: name === 'unsetenv' ? 'UnsetEnv' : 'PassEnv',
        names: words.map((w) => w.text),
        ...base,
      };
    case 'serversignature':
      return serverSignature(words, base);
    default:
      return errorDocument(words, base);
  }
}

/** core.c `set_signature_flag`: On, Off or EMail, case-insensitive (TAKE1). */
function serverSignature(words: readonly Arg[], base: EnvBase): EnvParse {
  if (words.length !== 1)
    return {
      error: 'ServerSignature takes one argument, En-/disable server signature (on|off|email)',
      pos: base.pos,
    };
  const value = words[0].text.toLowerCase();
  if (value !== 'on' && value !== 'off' && value !== 'email')
    return { error: 'ServerSignature: use one of: off | on | email', pos: words[0].pos };
  return { type: 'ServerSignature', value, ...base };
}

/** mod_setenvif's `add_setenvif_core`. */
function setEnvIf(directive: string, words: readonly Arg[], base: EnvBase): EnvParse {
  const browser = directive.startsWith('Browser');
  const attribute = browser ? undefined : words[0];
  const rest = browser ? words : words.slice(1);
  if (!browser && !attribute?.text)
    return { error: `Missing header-field name for ${directive}`, pos: base.pos };
  const [pattern, ...features] = rest;
  if (!pattern?.text)
    return { error: `Missing regular expression for ${directive}`, pos: base.pos };
  if (!features.length)
    return { error: `Missing envariable expression for ${directive}`, pos: base.pos };
  return {
    type: 'SetEnvIf',
    directive,
    attribute: attribute?.text ?? 'User-Agent',
    pattern,
    nocase: directive.endsWith('NoCase'),
    features: features.map(feature),
    ...base,
  };
}

/** `name=value` sets, `!name` unsets, `name` (or `name=`) sets "1" (ap_getword on '='). */
function feature(word: Arg): EnvFeature {
  const eq = word.text.indexOf('=');
  const name = eq < 0 ? word.text : word.text.slice(0, eq);
  const value = eq < 0 ? '' : word.text.slice(eq + 1);
  if (value !== '') return { name, value };
  if (name.startsWith('!')) return { name: name.slice(1), value: null };
  return { name, value: '1' };
}

/**
 * core.c `set_error_document`: a message when it has a space or is neither a `/path` nor a URL;
 * `default` restores Apache's own page; a full URL for 401 is ignored by Apache (refused here).
 */
function errorDocument(words: readonly Arg[], base: EnvBase): EnvParse {
  if (words.length !== 2)
    return {
      error: 'ErrorDocument takes two arguments, Change responses for HTTP errors',
      pos: base.pos,
    };
  const [code, msg] = [words[0].text, words[1].text];
  // set_error_document: a status ap_index_of_response does not know (its index is 500's) is
  // refused, but 500 itself; atoi reads the leading digits
  const status = /^\d/.test(code) ? Number.parseInt(code, 10) : 0;
  if (status !== 500 && !isKnownStatus(status))
    return { error: `Unsupported HTTP response code ${code}`, pos: words[0].pos };
  // ap_is_url: a scheme of letters, digits, `+`, `-`, `.` before a colon
  const isUrl = /^[A-Za-z0-9+.-]+:/.test(msg);
  let action: ErrorAction;
  if (msg.includes(' ') || !(msg.startsWith('/') || isUrl)) action = { type: 'text', text: msg };
  else if (msg.startsWith('/')) action = { type: 'local', url: msg };
  else action = { type: 'external', url: msg };
  if (msg.toLowerCase() === 'default') action = { type: 'default' };
  if (status === 401 && action.type === 'external')
    return {
      error: 'cannot use a full URL in a 401 ErrorDocument directive (Apache ignores it)',
      pos: words[1].pos,
    };
  return { type: 'ErrorDocument', status, action, ...base };
}
