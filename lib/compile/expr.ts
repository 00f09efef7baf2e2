/**
 * A subset of Apache's ap_expr for `RewriteCond expr "..."`: string and integer comparisons,
 * `=~`/`!~` with `/re/` or `m#re#` (captures become %N), `-f -d -s -e -l -z -n`, `&&`, `||`, `!`,
 * parentheses, `true`/`false`, quoted strings with `%{VAR}` interpolation, and the functions
 * `tolower toupper escape unescape req http`. Anything else is a load-time ERR_EXPR.
 *
 * This is the parser (load time); engine/expr.ts evaluates the tree per request.
 */
import { compilePcre, PcreError } from './pcre.js';

export type ExprNode =
  | { t: 'bool'; v: boolean }
  | { t: 'not'; e: ExprNode }
  | { t: 'and' | 'or'; a: ExprNode; b: ExprNode }
  | { t: 'cmp'; op: string; a: Word; b: Word }
  | { t: 'match'; neg: boolean; a: Word; re: RegExp }
  | { t: 'unary'; op: string; a: Word };

export type Word =
  | { t: 'str'; parts: ({ lit: string } | { v: string })[] }
  | { t: 'var'; name: string }
  | { t: 'fn'; name: string; arg: Word };

const FNS = ['tolower', 'toupper', 'escape', 'unescape', 'req', 'http'];

export function parseExpr(src: string): ExprNode {
  let i = 0;
  const ws = (): void => {
    while (/\s/.test(src[i] ?? '')) i++;
  };
  const fail = (msg: string): never => {
    throw new Error(`${msg} at offset ${i}`);
  };
  const peek = (s: string): boolean => {
    ws();
    return src.startsWith(s, i);
  };
  const eat = (s: string): boolean => {
    if (peek(s)) {
      i += s.length;
      return true;
    }
    return false;
  };

  const varRef = (): string => {
    const end = src.indexOf('}', i + 2);
    if (end < 0) fail('unterminated %{');
    const name = src.slice(i + 2, end);
    i = end + 1;
    return name;
  };
  const word = (): Word => {
    ws();
    const c = src[i];
    if (c === "'" || c === '"') {
      i++;
      const parts: ({ lit: string } | { v: string })[] = [];
      let lit = '';
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\' && i + 1 < src.length) {
          lit += src[i + 1];
          i += 2;
          continue;
        }
        if (src.startsWith('%{', i)) {
          if (lit) parts.push({ lit });
          lit = '';
          parts.push({ v: varRef() });
          continue;
        }
        lit += src[i++];
      }
      if (src[i] !== c) fail('unterminated string');
      i++;
      if (lit) parts.push({ lit });
      return { t: 'str', parts };
    }
    if (src.startsWith('%{', i)) return { t: 'var', name: varRef() };
    const m = /^([a-z]+)\(/.exec(src.slice(i));
    if (m && FNS.includes(m[1]!)) {
      i += m[0].length;
      const arg = word();
      if (!eat(')')) fail("expected ')'");
      return { t: 'fn', name: m[1]!, arg };
    }
    const num = /^-?\d+/.exec(src.slice(i));
    if (num) {
      i += num[0].length;
      return { t: 'str', parts: [{ lit: num[0] }] };
    }
    return fail('expected a string, a number, a %{VARIABLE} or a function call');
  };
  const regex = (): RegExp => {
    ws();
    let delim = src[i];
    if (delim === 'm') {
      i++;
      delim = src[i];
    }
    if (!delim || /[\s\w]/.test(delim)) return fail('expected a regular expression');
    const end = src.indexOf(delim, i + 1);
    if (end < 0) fail('unterminated regular expression');
    const bodyStart = i + 1;
    const body = src.slice(bodyStart, end);
    i = end + 1;
    let nocase = false;
    while (src[i] === 'i') {
      nocase = true;
      i++;
    }
    try {
      return compilePcre(body, nocase);
    } catch (err) {
      // keep the regex error a regex error, positioned within the expression
      if (err instanceof PcreError)
        throw new PcreError(err.message, bodyStart + err.offset, err.unsupported);
      throw err;
    }
  };
  const primary = (): ExprNode => {
    ws();
    if (eat('!')) return { t: 'not', e: primary() };
    if (eat('(')) {
      const e = or();
      if (!eat(')')) fail("expected ')'");
      return e;
    }
    if (/^true\b/.test(src.slice(i))) {
      i += 4;
      return { t: 'bool', v: true };
    }
    if (/^false\b/.test(src.slice(i))) {
      i += 5;
      return { t: 'bool', v: false };
    }
    const un = /^-([fdselznFUAhLx])\s/.exec(src.slice(i));
    if (un) {
      i += 2;
      return { t: 'unary', op: un[1]!, a: word() };
    }
    const a = word();
    ws();
    if (eat('=~')) return { t: 'match', neg: false, a, re: regex() };
    if (eat('!~')) return { t: 'match', neg: true, a, re: regex() };
    const op =
      /^(==|!=|<=|>=|=|<|>|-eq|-ne|-lt|-le|-gt|-ge|-ipmatch|-strmatch|-strcmatch|-fnmatch)/.exec(
        src.slice(i),
      );
    if (!op) return fail('expected a comparison operator');
    const name = op[1]!;
    if (name.startsWith('-') && !['-eq', '-ne', '-lt', '-le', '-gt', '-ge'].includes(name))
      fail(`operator '${name}' is not supported`);
    i += name.length;
    return { t: 'cmp', op: name, a, b: word() };
  };
  const and = (): ExprNode => {
    let a = primary();
    while (eat('&&')) a = { t: 'and', a, b: primary() };
    return a;
  };
  const or = (): ExprNode => {
    let a = and();
    while (eat('||')) a = { t: 'or', a, b: and() };
    return a;
  };
  const tree = or();
  ws();
  if (i < src.length) fail('unexpected text');
  return tree;
}
