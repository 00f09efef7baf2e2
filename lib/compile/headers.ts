/**
 * mod_headers and mod_expires: AST → the compiled actions the site applies to each response
 * (site/headers.ts). Everything that can fail fails here: a regex, an `expr=` condition, a format
 * specifier or an expires code modrewrite cannot evaluate is a positioned load problem, never a
 * silently wrong header.
 */
import type { SourcePosition } from '../errors.js';
import type { ProblemSink } from '../syntax/parse.js';
import type {
  ExpiresDirective,
  HeaderActionName,
  HeaderDirective,
  HeaderTable,
} from '../syntax/headers.js';
import type { FilesSection, IfCondition } from '../syntax/sections.js';
import { filesMatcher } from './access.js';
import { exprVariables, parseExpr, TIME_VARIABLE_NAMES, type ExprNode, type Word } from './expr.js';
import { compilePcre, PcreError } from './pcre.js';

/** A piece of a mod_headers value format: text, `%{VAR}e`, `%{VAR}s` or `%t %D %l %i %b`. */
export type FormatPart =
  | { readonly type: 'literal'; readonly text: string }
  | { readonly type: 'env'; readonly name: string }
  | { readonly type: 'ssl'; readonly name: string }
  | { readonly type: 'specifier'; readonly letter: 't' | 'D' | 'l' | 'i' | 'b' };

export type HeaderWhen =
  | { readonly type: 'env'; readonly name: string; readonly negate: boolean }
  | { readonly type: 'expr'; readonly expr: ExprNode };

export interface HeaderAction {
  readonly table: HeaderTable;
  readonly action: HeaderActionName;
  readonly name: string;
  /** The value: a format, or (`"expr=..."`) an ap_expr string. */
  readonly format?: readonly FormatPart[] | { readonly expr: Word };
  /** `edit`/`edit*`: the pattern; `echo`: the request header name pattern. */
  readonly regex?: RegExp;
  readonly replacement?: string;
  readonly when?: HeaderWhen;
  /** Inside `<If>`/`<ElseIf>`/`<Else>`: every test must give `holds` (core's if walk). */
  readonly ifChain?: readonly { readonly expr: ExprNode; readonly holds: boolean }[];
  /** `early`: applied at post_read_request (server config only). */
  readonly early: boolean;
  /** Inside `<Files>`/`<FilesMatch>`: the file-name test. */
  readonly files?: (fileName: string) => boolean;
}

/** mod_expires' `A<seconds>` / `M<seconds>`. */
export interface ExpiresCode {
  readonly base: 'access' | 'modification';
  readonly seconds: number;
}

/** One directory's (or one `<Files>` section's) mod_expires settings. */
export interface ExpiresLayer {
  readonly active?: boolean;
  readonly byType: ReadonlyMap<string, ExpiresCode>;
  readonly default?: ExpiresCode;
  readonly files?: (fileName: string) => boolean;
}

/**
 * The ap_expr variables a Header condition or value may name; any other is a load problem
 * (ERR_EXPR). site/headers.ts answers each of them.
 */
export const HEADER_EXPR_VARIABLES = new Set([
  'REQUEST_URI',
  'DOCUMENT_URI',
  'REQUEST_FILENAME',
  'SCRIPT_FILENAME',
  'QUERY_STRING',
  'REQUEST_METHOD',
  'REQUEST_SCHEME',
  'CONTENT_TYPE',
  'HTTPS',
  'HTTP_HOST',
  'HTTP_USER_AGENT',
  'HTTP_REFERER',
  'HTTP_ACCEPT',
  'HTTP_COOKIE',
  'REMOTE_ADDR',
  'SERVER_NAME',
  'DOCUMENT_ROOT',
  'THE_REQUEST',
  'REQUEST_STATUS',
  'IS_SUBREQ',
  // r->user and r->ap_auth_type: set by the access phase, before any Header line is evaluated;
  // `<If>` (same list) runs before it and sees them empty (case 499)
  'REMOTE_USER',
  'AUTH_TYPE',
  // the rest of ap_expr's request, connection and time variables that mean what mod_rewrite's
  // lookup_variable says (site/headers.ts asks site/env.ts; case 541); not SERVER_SOFTWARE,
  // API_VERSION, SCRIPT_USER/SCRIPT_GROUP, whose ap_expr forms differ, nor HANDLER, LAST_MODIFIED
  'SERVER_PORT',
  'SERVER_PROTOCOL',
  'SERVER_ADMIN',
  'REMOTE_PORT',
  'REMOTE_HOST',
  'REMOTE_IDENT',
  'CONN_REMOTE_ADDR',
  'IPV6',
  'PATH_INFO',
  'CONTEXT_PREFIX',
  'CONTEXT_DOCUMENT_ROOT',
  'HTTP_FORWARDED',
  'HTTP_PROXY_CONNECTION',
  ...TIME_VARIABLE_NAMES,
]);
/** `%{func:arg}` forms: environment, request and response headers. */
const PREFIXES = new Set(['env', 'reqenv', 'http', 'req', 'resp']);

/** Compiles the Header/RequestHeader directives, in order. */
export function compileHeaders(
  directives: readonly HeaderDirective[],
  context: 'server' | 'directory',
  sink: ProblemSink,
): HeaderAction[] {
  const matchers = new Map<FilesSection, ((n: string) => boolean) | undefined>();
  const out: HeaderAction[] = [];
  for (const d of directives) {
    const files = d.files ? filesTest(d.files, matchers, sink) : undefined;
    if (d.files && !files) continue;
    const a = compileHeader(d, context, sink);
    const ifChain = d.when && compileIfChain(d.when, sink);
    if (d.when && !ifChain) continue;
    if (a) out.push({ ...a, ...(files && { files }), ...(ifChain && { ifChain }) });
  }
  return out;
}

function filesTest(
  section: FilesSection,
  matchers: Map<FilesSection, ((n: string) => boolean) | undefined>,
  sink: ProblemSink,
): ((n: string) => boolean) | undefined {
  if (!matchers.has(section)) matchers.set(section, filesMatcher(section, sink));
  return matchers.get(section);
}

function compileHeader(
  d: HeaderDirective,
  context: 'server' | 'directory',
  sink: ProblemSink,
): HeaderAction | undefined {
  const what = d.table === 'request' ? 'RequestHeader' : 'Header';
  const c = d.condition;
  // mod_headers applies early lines at post_read_request, from the server's own per-directory
  // defaults, and skips them in every later call: one in an .htaccess or a <Directory> section
  // never acts, but its value is still parsed (case 494)
  if (c?.type === 'early' && context === 'directory') {
    compileHeader({ ...d, condition: undefined }, context, sink);
    return undefined;
  }
  // an early response header would sit in the handler's own table from the start: not modelled
  if (c?.type === 'early' && d.table !== 'request') {
    sink.add(
      'ERR_CONTEXT',
      `${what}: 'early' is supported by modrewrite on RequestHeader only`,
      d.pos,
    );
    return undefined;
  }
  let when: HeaderWhen | undefined;
  if (c?.type === 'env') when = { type: 'env', name: c.name, negate: c.negate };
  if (c?.type === 'expr') {
    const expr = exprAt(c.arg.text.slice(5), c.arg.pos, what, sink);
    if (!expr) return undefined;
    when = { type: 'expr', expr };
  }
  const base = {
    table: d.table,
    action: d.action,
    name: d.name.text,
    when,
    early: !!c && c.type === 'early',
  };
  if (d.action === 'edit' || d.action === 'edit*' || d.action === 'echo') {
    const source = d.action === 'echo' ? d.name : d.value!;
    const regex = regexAt(source.text, source.pos, what, sink);
    if (!regex) return undefined;
    return { ...base, regex, replacement: d.replacement?.text };
  }
  if (d.action === 'unset' || !d.value) return base;
  const format = formatOf(d.value.text, d.value.pos, what, sink);
  return format ? { ...base, format } : undefined;
}

function regexAt(
  source: string,
  pos: SourcePosition,
  what: string,
  sink: ProblemSink,
): RegExp | undefined {
  try {
    return compilePcre(source, false);
  } catch (err) {
    if (!(err instanceof PcreError)) throw err;
    sink.add(
      err.unsupported ? 'ERR_REGEX_UNSUPPORTED' : 'ERR_REGEX',
      `${what}: regex could not be compiled: ${err.message}`,
      pos,
    );
    return undefined;
  }
}

/** The `<If>` chain of a Header line: each test parsed like an `expr=` condition. */
function compileIfChain(
  when: IfCondition,
  sink: ProblemSink,
): { expr: ExprNode; holds: boolean }[] | undefined {
  const chain: { expr: ExprNode; holds: boolean }[] = [];
  for (const test of when) {
    const expr = exprAt(test.expr, test.pos, '<If>', sink);
    if (!expr) return undefined;
    chain.push({ expr, holds: !test.negate });
  }
  return chain;
}

/** An `expr=` condition: parsed, and every variable one modrewrite can answer. */
function exprAt(
  text: string,
  pos: SourcePosition,
  what: string,
  sink: ProblemSink,
): ExprNode | undefined {
  let expr: ExprNode;
  try {
    expr = parseExpr(text);
  } catch (err) {
    sink.add(
      'ERR_EXPR',
      `${what}: cannot parse expression "${text}": ${(err as Error).message}`,
      pos,
    );
    return undefined;
  }
  const unknown = exprVariables(expr).find((v) => !isKnownVariable(v));
  if (unknown === undefined) return expr;
  sink.add(
    'ERR_EXPR',
    `${what}: the variable %{${unknown}} in "${text}" is not supported by modrewrite`,
    pos,
  );
  return undefined;
}

export function isKnownVariable(name: string): boolean {
  const colon = name.indexOf(':');
  if (colon > 0) return PREFIXES.has(name.slice(0, colon).toLowerCase());
  return HEADER_EXPR_VARIABLES.has(name);
}

/**
 * A value: `expr=<string>` is an ap_expr string (text with `%{VAR}`), anything else a mod_headers
 * format (parse_format_string): `\n \r \t \\` escapes, `%%`, `%t %D %l %i %b`, `%{VAR}e`,
 * `%{VAR}s`.
 */
function formatOf(
  text: string,
  pos: SourcePosition,
  what: string,
  sink: ProblemSink,
): HeaderAction['format'] | undefined {
  if (text.toLowerCase().startsWith('expr=')) {
    const source = text.slice(5);
    // a string expression is a double-quoted string without its quotes
    const expr = exprAt(`"${source.replace(/["\\]/g, '\\$&')}" == ""`, pos, what, sink);
    if (!expr || expr.type !== 'cmp') return undefined;
    return { expr: expr.a };
  }
  const parts: FormatPart[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '%') {
      const end = text.indexOf('%', i);
      parts.push({
        type: 'literal',
        text: unescapeFormat(text.slice(i, end < 0 ? text.length : end)),
      });
      i = end < 0 ? text.length : end;
      continue;
    }
    i++;
    if (i >= text.length || text[i] === '%') {
      parts.push({ type: 'literal', text: '%' });
      i++;
      continue;
    }
    let arg = '';
    if (text[i] === '{') {
      const close = text.indexOf('}', i);
      arg = text.slice(i + 1, close < 0 ? text.length : close);
      i = close < 0 ? text.length : close + 1;
    }
    const tag = text[i++];
    if (tag === 'e') parts.push({ type: 'env', name: arg });
    else if (tag === 's') parts.push({ type: 'ssl', name: arg });
    else if (tag === 't' || tag === 'D' || tag === 'l' || tag === 'i' || tag === 'b')
      parts.push({ type: 'specifier', letter: tag });
    else {
      sink.add('ERR_DIRECTIVE_ARGS', `${what}: Unrecognized header format %${tag ?? ''}`, pos);
      return undefined;
    }
  }
  return parts;
}

/** parse_misc_string's backslash escapes. */
function unescapeFormat(s: string): string {
  return s.replace(/\\([\\rnt])/g, (_m, c: string) =>
    c === 'r' ? '\r' : c === 'n' ? '\n' : c === 't' ? '\t' : '\\',
  );
}

/** Unit prefixes mod_expires accepts (it compares only the first one or two letters). */
const UNITS: readonly [string, number, number][] = [
  ['years', 1, 365 * 86400],
  ['months', 2, 30 * 86400],
  ['weeks', 1, 7 * 86400],
  ['days', 1, 86400],
  ['hours', 1, 3600],
  ['minutes', 2, 60],
  ['seconds', 1, 1],
];

/**
 * mod_expires' check_code: `A<sec>`, `M<sec>` or `access|now|modification [plus] {<n> <unit>}...`.
 */
export function parseExpiresCode(code: string): ExpiresCode | string {
  const short = /^([AM])(\d+)$/.exec(code);
  if (short)
    return { base: short[1] === 'A' ? 'access' : 'modification', seconds: Number(short[2]) };
  const words = code.trim().split(/\s+/);
  const first = (words.shift() ?? '').toLowerCase();
  const base =
    first === 'access' || first === 'now'
      ? 'access'
      : first === 'modification'
        ? 'modification'
        : undefined;
  if (!base) return `bad expires code, unrecognised <base> '${first}'`;
  if (words[0]?.toLowerCase().startsWith('p')) words.shift();
  let seconds = 0;
  while (words.length) {
    const n = words.shift()!;
    if (!/^\d+$/.test(n)) return `bad expires code, numeric value expected <num> '${n}'`;
    const unit = (words.shift() ?? '').toLowerCase();
    const found = UNITS.find(
      ([name, k]) =>
        unit.length >= 1 && name.startsWith(unit.slice(0, k)) && unit.slice(0, k).length === k,
    );
    if (!found) return `bad expires code, unrecognised <type> '${unit}'`;
    seconds += Number(n) * found[2];
  }
  return { base, seconds };
}

/** Compiles the Expires* directives: one layer for the directory, one per `<Files>` section. */
export function compileExpires(
  directives: readonly ExpiresDirective[],
  sink: ProblemSink,
): ExpiresLayer[] {
  const layers = new Map<
    FilesSection | undefined,
    { active?: boolean; byType: Map<string, ExpiresCode>; default?: ExpiresCode }
  >();
  for (const d of directives) {
    let layer = layers.get(d.files);
    if (!layer) layers.set(d.files, (layer = { byType: new Map() }));
    if (d.active !== undefined) {
      layer.active = d.active;
      continue;
    }
    const code = parseExpiresCode(d.code!.text);
    if (typeof code === 'string') {
      sink.add('ERR_DIRECTIVE_ARGS', code, d.code!.pos);
      continue;
    }
    if (d.mime === undefined) layer.default = code;
    else layer.byType.set(d.mime.toLowerCase(), code);
  }
  const out: ExpiresLayer[] = [];
  const matchers = new Map<FilesSection, ((n: string) => boolean) | undefined>();
  for (const [section, layer] of layers) {
    if (!section) {
      out.unshift(layer);
      continue;
    }
    const files = filesTest(section, matchers, sink);
    if (files) out.push({ ...layer, files });
  }
  return out;
}
