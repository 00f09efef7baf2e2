/**
 * mod_alias's directives, read the way modules/mappers/mod_alias.c `add_redirect_internal` and
 * `add_alias_internal` read them (Apache 2.4.71, recorded in conformance cases 180–186):
 *
 * - `Redirect [status] URL-path URL` (TAKE123), `RedirectMatch [status] regex URL` (TAKE23),
 *   `RedirectPermanent`/`RedirectTemp URL-path URL` (TAKE2). The status is `permanent` (301),
 *   `temp` (302, the default), `seeother` (303), `gone` (410) or a number. A 3xx needs a URL (an
 *   absolute URL or a `/path`; RedirectMatch's is checked per request); any other status must not
 *   have one: `Redirect 403 /private` answers 403 for that path.
 * - The forms without a URL-path apply to every request of the directory (Apache's ap_expr
 *   forms): `Redirect gone`, `Redirect 403`, and a 3xx with only a target (`Redirect 301 /x`,
 *   `Redirect /x`). The target is then a string expression: modrewrite accepts a constant one.
 * - `Alias URL-path path` and `AliasMatch regex path`: server config only (not in `.htaccess`).
 */
import type { ProblemSink } from './parse.js';
import type { AliasDirective, Arg, RedirectDirective } from './ast.js';
import type { SourcePosition } from '../errors.js';

export type AliasDirectiveName =
  | 'Redirect'
  | 'RedirectMatch'
  | 'RedirectPermanent'
  | 'RedirectTemp'
  | 'Alias'
  | 'AliasMatch'
  | 'ScriptAlias'
  | 'ScriptAliasMatch';

type AliasName = 'Alias' | 'AliasMatch' | 'ScriptAlias' | 'ScriptAliasMatch';

/** mod_alias's directives by lower-case name. */
export const ALIAS_DIRECTIVES = new Map<string, AliasDirectiveName>(
  (
    [
      'Redirect',
      'RedirectMatch',
      'RedirectPermanent',
      'RedirectTemp',
      'Alias',
      'AliasMatch',
      'ScriptAlias',
      'ScriptAliasMatch',
    ] as const
  ).map((n) => [n.toLowerCase(), n]),
);

const STATUS_WORDS = new Map<string, number>([
  ['permanent', 301],
  ['temp', 302],
  ['seeother', 303],
  ['gone', 410],
]);

/** ap_is_HTTP_REDIRECT. */
export const isRedirectStatus = (status: number): boolean => status >= 300 && status <= 399;

/** ap_is_url: a scheme (alphanumerics, `+`, `-`, `.`) and a colon. */
export function isUrl(text: string): boolean {
  return /^[A-Za-z0-9+.-]+:/.test(text);
}

/** How many arguments each directive takes (Apache's TAKE123, TAKE23, TAKE2, TAKE12). */
const ARITY = new Map<AliasDirectiveName, { min: number; max: number; text: string }>([
  ['Redirect', { min: 1, max: 3, text: 'one, two, or three arguments' }],
  ['RedirectMatch', { min: 2, max: 3, text: 'two or three arguments' }],
  ['RedirectPermanent', { min: 2, max: 2, text: 'two arguments' }],
  ['RedirectTemp', { min: 2, max: 2, text: 'two arguments' }],
  ['Alias', { min: 1, max: 2, text: 'one or two arguments' }],
  ['AliasMatch', { min: 2, max: 2, text: 'two arguments' }],
  ['ScriptAlias', { min: 1, max: 2, text: 'one or two arguments' }],
  ['ScriptAliasMatch', { min: 2, max: 2, text: 'two arguments' }],
]);

/** Reads one mod_alias directive's arguments; undefined (with a problem) when Apache refuses it. */
export function parseAliasDirective(
  name: AliasDirectiveName,
  words: readonly Arg[],
  pos: SourcePosition,
  directoryContext: boolean,
  sink: ProblemSink,
): RedirectDirective | AliasDirective | undefined {
  const arity = ARITY.get(name)!;
  if (words.length < arity.min || words.length > arity.max) {
    sink.add('ERR_DIRECTIVE_ARGS', `${name} takes ${arity.text}`, words[arity.max]?.pos ?? pos);
    return undefined;
  }
  if (name.includes('Alias')) return alias(name as AliasName, words, pos, directoryContext, sink);
  return redirect(name as RedirectName, words, pos, directoryContext, sink);
}

type RedirectName = Exclude<AliasDirectiveName, AliasName>;

function alias(
  name: AliasName,
  words: readonly Arg[],
  pos: SourcePosition,
  directoryContext: boolean,
  sink: ProblemSink,
): AliasDirective | undefined {
  // RSRC_CONF (and <Location> for the one-argument form): never in an .htaccess file
  if (directoryContext) {
    sink.add('ERR_CONTEXT', `${name} not allowed here`, pos);
    return undefined;
  }
  const [pattern, target] = words;
  if (!target) {
    sink.add('ERR_DIRECTIVE_ARGS', 'Alias must have two arguments when used globally', pos);
    return undefined;
  }
  const regex = name.endsWith('Match');
  // mod_alias.c add_alias: ScriptAlias* sets the handler cgi-script (cmd->info) for mod_cgi
  if (name.startsWith('Script'))
    return { type: 'Alias', regex, pattern, target: target.text, pos, handler: 'cgi-script' };
  return { type: 'Alias', regex, pattern, target: target.text, pos };
}

/**
 * The status a first argument names (`permanent`, `temp`, `seeother`, `gone` or a number), or the
 * directive's own (301 for RedirectPermanent, else 302) when it names none (`understood` false).
 */
function redirectStatus(name: RedirectName, arg1: Arg): { status: number; understood: boolean } {
  const keyword = STATUS_WORDS.get(arg1.text.toLowerCase());
  // apr_isdigit(*arg1) then atoi: `301abc` is 301
  const number = /^\d/.test(arg1.text) ? Number.parseInt(arg1.text, 10) : undefined;
  if (keyword !== undefined) return { status: keyword, understood: true };
  if (number !== undefined) return { status: number, understood: true };
  return { status: name === 'RedirectPermanent' ? 301 : 302, understood: false };
}

/** add_redirect_internal: which argument is the status, the URL-path and the URL. */
function redirect(
  name: RedirectName,
  words: readonly Arg[],
  pos: SourcePosition,
  directoryContext: boolean,
  sink: ProblemSink,
): RedirectDirective | undefined {
  const [arg1, arg2, arg3] = words as [Arg, Arg | undefined, Arg | undefined];
  const regex = name === 'RedirectMatch';
  const base = { type: 'Redirect', name, regex, pos } as const;
  const { status, understood } = redirectStatus(name, arg1);
  if (arg3 && !understood) {
    sink.add('ERR_DIRECTIVE_ARGS', 'Redirect: invalid first argument (of three)', arg1.pos);
    return undefined;
  }
  if (status < 300 || status > 599) {
    // Apache answers such a status with an error page of that code (`Redirect 200` → a "200 OK"
    // page saying "internal error"): nothing a site means, refused rather than imitated
    sink.add(
      'ERR_DIRECTIVE_ARGS',
      `${name}: status ${status} is not supported by modrewrite (3xx, 4xx or 5xx)`,
      arg1.pos,
    );
    return undefined;
  }
  // the forms without a URL-path: every request of the directory (recorded, case 186); in
  // server config Apache reads `Redirect 301 /x` as a URL-path without a URL (case 189)
  if (!directoryContext && (!arg2 || (understood && !arg3 && isRedirectStatus(status)))) {
    const message = arg2
      ? 'URL to redirect to is missing'
      : `${name} without a URL-path is not supported in server config by modrewrite`;
    sink.add('ERR_DIRECTIVE_ARGS', message, arg1.pos);
    return undefined;
  }
  if (understood && arg2 && !arg3 && isRedirectStatus(status))
    return wholeDirectory(base, status, arg2, sink);
  if (understood && !arg2) {
    if (isRedirectStatus(status)) {
      sink.add('ERR_DIRECTIVE_ARGS', 'URL to redirect to is missing', arg1.pos);
      return undefined;
    }
    return { ...base, status };
  }
  if (!understood && !arg2) return wholeDirectory(base, status, arg1, sink);
  const [pattern, url] = understood ? [arg2!, arg3] : [arg1, arg2];
  return pathRedirect(base, status, pattern, url, sink);
}

/** The forms with a URL-path: a 3xx needs a URL (absolute, or a path), other statuses none. */
function pathRedirect(
  base: Pick<RedirectDirective, 'type' | 'name' | 'regex' | 'pos'>,
  status: number,
  pattern: Arg,
  url: Arg | undefined,
  sink: ProblemSink,
): RedirectDirective | undefined {
  if (isRedirectStatus(status)) {
    if (!url) {
      sink.add('ERR_DIRECTIVE_ARGS', 'URL to redirect to is missing', pattern.pos);
      return undefined;
    }
    if (!base.regex && !isUrl(url.text) && !url.text.startsWith('/')) {
      sink.add('ERR_DIRECTIVE_ARGS', 'Redirect to non-URL', url.pos);
      return undefined;
    }
  } else if (url) {
    sink.add('ERR_DIRECTIVE_ARGS', 'Redirect URL not valid for this status', url.pos);
    return undefined;
  }
  return { ...base, status, pattern, target: url?.text };
}

/**
 * Apache reads the target of a form without a URL-path as an ap_expr string: modrewrite accepts
 * one without `%{...}`, `$`, or `\` (then it is the text itself), and refuses the rest.
 */
function wholeDirectory(
  base: Pick<RedirectDirective, 'type' | 'name' | 'regex' | 'pos'>,
  status: number,
  target: Arg,
  sink: ProblemSink,
): RedirectDirective | undefined {
  if (/[%$\\]/.test(target.text)) {
    sink.add(
      'ERR_DIRECTIVE_ARGS',
      `${base.name}: the expression '${target.text}' (a target without a URL-path) ` +
        'is not supported by modrewrite: only a constant one is',
      target.pos,
    );
    return undefined;
  }
  return { ...base, status, target: target.text };
}
