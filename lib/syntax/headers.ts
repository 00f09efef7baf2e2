/**
 * mod_headers' `Header` / `RequestHeader` and mod_expires' `ExpiresActive` / `ExpiresByType` /
 * `ExpiresDefault`: argument parsing into AST nodes (compile/headers.ts builds them).
 *
 * Argument rules follow mod_headers.c `header_cmd` / `header_inout_cmd` (2.4): an optional
 * `always`/`onsuccess` (Header only), the action, the header name (a `:` and what follows dropped),
 * then value, replacement (edit only) and one condition (`early`, `env=[!]VAR` or `expr=...`).
 */
import type { Arg, SourcePositioned } from './ast.js';
import type { LogicalLine } from './lexer.js';
import { parseConfWords } from './lexer.js';
import type { FilesSection, IfCondition } from './sections.js';
import type { ProblemSink } from './parse.js';

export type HeaderTable = 'onsuccess' | 'always' | 'request';
export type HeaderActionName =
  'set' | 'append' | 'add' | 'merge' | 'unset' | 'setifempty' | 'echo' | 'edit' | 'edit*' | 'note';

export type HeaderCondition =
  | { readonly type: 'early' }
  | { readonly type: 'env'; readonly name: string; readonly negate: boolean }
  | { readonly type: 'expr'; readonly arg: Arg };

/**
 * `Header [always|onsuccess] action name [value] [replacement] [condition]` or `RequestHeader ...`.
 */
export interface HeaderDirective extends SourcePositioned {
  readonly type: 'Header';
  readonly table: HeaderTable;
  readonly action: HeaderActionName;
  /** The header name (for `echo`: a regular expression over request header names). */
  readonly name: Arg;
  /** The value format (for `edit`: the regular expression). */
  readonly value?: Arg;
  /** `edit`/`edit*`: the substitution. */
  readonly replacement?: Arg;
  readonly condition?: HeaderCondition;
  /** The `<Files>`/`<FilesMatch>` section it stands in. */
  readonly files?: FilesSection;
  /** The `<If>`/`<ElseIf>`/`<Else>` chain it stands in: applied only when every test holds. */
  readonly when?: IfCondition;
}

/** mod_expires: `ExpiresActive On|Off`, `ExpiresByType type code`, `ExpiresDefault code`. */
export interface ExpiresDirective extends SourcePositioned {
  readonly type: 'Expires';
  readonly active?: boolean;
  /** ExpiresByType's MIME type (undefined: ExpiresDefault or ExpiresActive). */
  readonly mime?: string;
  readonly code?: Arg;
  readonly files?: FilesSection;
}

const ACTIONS = new Set<string>([
  'set',
  'append',
  'add',
  'merge',
  'unset',
  'setifempty',
  'echo',
  'edit',
  'edit*',
  'note',
]);

/** The directives of this file, by lower-case name. */
export const HEADER_DIRECTIVES = new Set([
  'header',
  'requestheader',
  'expiresactive',
  'expiresbytype',
  'expiresdefault',
]);

/** Parses one of HEADER_DIRECTIVES; undefined (with a problem) when the arguments are wrong. */
export function parseHeaderLine(
  line: LogicalLine,
  name: string,
  sink: ProblemSink,
  files: FilesSection | undefined,
): HeaderDirective | ExpiresDirective | undefined {
  const pos = line.at(0);
  const words = parseConfWords(line, name.length);
  const lower = name.toLowerCase();
  if (lower.startsWith('expires')) return parseExpires(lower, words, pos, sink, files);
  const fail = (message: string, at = pos): undefined => {
    sink.add('ERR_DIRECTIVE_ARGS', `${name}: ${message}`, at);
    return undefined;
  };
  let table: HeaderTable = lower === 'requestheader' ? 'request' : 'onsuccess';
  let i = 0;
  const first = words[0]?.text.toLowerCase();
  if (table === 'onsuccess' && (first === 'always' || first === 'onsuccess')) {
    table = first;
    i++;
  }
  const actionArg = words[i++];
  const action = actionArg?.text.toLowerCase();
  if (!actionArg || !action || !ACTIONS.has(action))
    return fail(
      "first argument must be 'add', 'set', 'append', 'merge', 'unset', 'echo', 'edit', 'edit*', 'setifempty' or 'note'",
      actionArg?.pos,
    );
  const headerName = words[i++];
  if (!headerName) return fail('a header name is required');
  const rest = words.slice(i);
  if (rest.length > 3) return fail('too many arguments', rest[3]!.pos);
  const d = headerArgs(action as HeaderActionName, rest, fail);
  if (!d) return undefined;
  if (d.action === 'echo' && table === 'request')
    return fail('echo is only valid on Header directives');
  const condition = d.clause ? parseCondition(d.clause, fail) : undefined;
  if (d.clause && !condition) return undefined;
  // the name is what precedes a colon (`Header set X-Foo: v` sets X-Foo)
  const colon = headerName.text.indexOf(':');
  const nameArg = colon < 0 ? headerName : { ...headerName, text: headerName.text.slice(0, colon) };
  return {
    type: 'Header',
    table,
    action: d.action,
    name: nameArg,
    value: d.value,
    replacement: d.replacement,
    condition,
    files,
    pos,
  };
}

/** Value, replacement and condition clause by action, as header_inout_cmd sorts them. */
function headerArgs(
  action: HeaderActionName,
  rest: readonly Arg[],
  fail: (m: string, at?: Arg['pos']) => undefined,
): { action: HeaderActionName; value?: Arg; replacement?: Arg; clause?: Arg } | undefined {
  const [a, b, c] = rest;
  if (action === 'edit' || action === 'edit*') {
    if (!a || !b) return fail('edit requires a match and a substitution');
    return { action, value: a, replacement: b, clause: c };
  }
  if (c) return fail('too many arguments', c.pos);
  if (action === 'unset' || action === 'echo') {
    if (b) return fail(`${action} takes two arguments`, b.pos);
    return { action, clause: a };
  }
  if (!a) return fail('requires three arguments');
  return { action, value: a, clause: b };
}

function parseCondition(
  clause: Arg,
  fail: (m: string, at?: Arg['pos']) => undefined,
): HeaderCondition | undefined {
  const text = clause.text;
  const lower = text.toLowerCase();
  if (lower === 'early') return { type: 'early' };
  if (lower.startsWith('env=')) {
    const negate = text[4] === '!';
    const name = text.slice(negate ? 5 : 4);
    if (!name)
      return fail(
        'missing environment variable name. envclause should be in the form env=envar',
        clause.pos,
      );
    return { type: 'env', name, negate };
  }
  if (lower.startsWith('expr=')) return { type: 'expr', arg: clause };
  return fail(`Unknown parameter: ${text}`, clause.pos);
}

function parseExpires(
  lower: string,
  words: readonly Arg[],
  pos: Arg['pos'],
  sink: ProblemSink,
  files: FilesSection | undefined,
): ExpiresDirective | undefined {
  const fail = (message: string, at = pos): undefined => {
    sink.add('ERR_DIRECTIVE_ARGS', message, at);
    return undefined;
  };
  if (lower === 'expiresactive') {
    const v = words[0]?.text.toLowerCase();
    if (words.length !== 1 || (v !== 'on' && v !== 'off'))
      return fail('ExpiresActive must be On or Off', words[0]?.pos);
    return { type: 'Expires', active: v === 'on', files, pos };
  }
  if (lower === 'expiresbytype') {
    if (words.length !== 2) return fail('ExpiresByType takes two arguments', words[0]?.pos);
    return { type: 'Expires', mime: words[0]!.text, code: words[1], files, pos };
  }
  if (words.length !== 1) return fail('ExpiresDefault takes one argument', words[0]?.pos);
  return { type: 'Expires', code: words[0], files, pos };
}
