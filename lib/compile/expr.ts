/**
 * A subset of Apache's ap_expr for `RewriteCond expr "..."`: string and integer comparisons,
 * `in {'a', 'b'}`, `-ipmatch`, `-R`, `-strmatch`, `-strcmatch`, `-fnmatch`, `-T`,
 * `=~`/`!~` with `/re/` or `m#re#` (captures become %N), `-f -d -s -e -l -z -n`, `&&`, `||`, `!`,
 * parentheses, `true`/`false`, quoted strings with `%{VAR}` interpolation, and the functions
 * `tolower toupper escape unescape req http`. Anything else is a load-time ERR_EXPR.
 *
 * This is the parser (load time); engine/expr.ts evaluates the tree per request.
 */
import { ipNet, type IpNet } from './ip.js';
import { compilePcre, PcreError } from './pcre.js';

export type ExprNode =
  | { type: 'bool'; v: boolean }
  | { type: 'not'; e: ExprNode }
  | { type: 'and' | 'or'; a: ExprNode; b: ExprNode }
  | { type: 'cmp'; op: string; a: Word; b: Word }
  | { type: 'in'; a: Word; list: Word[] }
  /** `-ipmatch 'net'` and `-R 'net'` (the client address): the network is a constant */
  | { type: 'ipmatch'; a: Word; net: IpNet }
  | { type: 'match'; neg: boolean; a: Word; re: RegExp }
  | { type: 'unary'; op: string; a: Word };

/**
 * A piece of a quoted ap_expr string: literal text, a `%{VAR}` reference, or a string function in
 * ap_expr's `%{func:string}` form (`%{tolower:%{HTTP_HOST}}`).
 */
export type StringPart =
  | { type: 'literal'; text: string }
  | { type: 'variable'; name: string }
  | { type: 'call'; fn: Extract<Word, { type: 'fn' }> };

export type Word =
  | { type: 'str'; parts: StringPart[] }
  | { type: 'var'; name: string }
  | { type: 'fn'; name: string; arg: Word };

const FNS = ['tolower', 'toupper', 'escape', 'unescape', 'req', 'http'];

/**
 * The functions also read in `%{func:string}` form (util_expr_parse.y: `T_VAR_BEGIN T_ID ':'
 * string T_VAR_END`, ap_expr_str_func_make). `%{HTTP:x}`, `%{req:x}`, `%{ENV:x}`… keep their
 * reading as a prefixed variable (whose argument is plain text).
 */
const STRING_FNS = ['tolower', 'toupper', 'escape', 'unescape'];

/** Binary operators (`-ipmatch` has a node of its own). */
const COMPARISON =
  /^(==|!=|<=|>=|=|<|>|-(?:eq|ne|lt|le|gt|ge|ipmatch|strmatch|strcmatch|fnmatch)(?![\w-]))/;

/** ap_expr's clock (misc_var_fn), which mod_rewrite's lookup_variable answers alike. */
export const TIME_VARIABLE_NAMES = [
  'TIME',
  'TIME_YEAR',
  'TIME_MON',
  'TIME_DAY',
  'TIME_HOUR',
  'TIME_MIN',
  'TIME_SEC',
  'TIME_WDAY',
] as const;

/** The variables an expression reads (`%{HTTP:x}`, `%{ENV:x}` as written), in order. */
export function exprVariables(node: ExprNode): string[] {
  switch (node.type) {
    case 'bool':
      return [];
    case 'not':
      return exprVariables(node.e);
    case 'and':
    case 'or':
      return [...exprVariables(node.a), ...exprVariables(node.b)];
    case 'cmp':
      return [...wordVariables(node.a), ...wordVariables(node.b)];
    case 'in':
      return [...wordVariables(node.a), ...node.list.flatMap(wordVariables)];
    case 'ipmatch':
    case 'match':
    case 'unary':
      return wordVariables(node.a);
  }
}

function wordVariables(w: Word): string[] {
  if (w.type === 'var') return [w.name];
  if (w.type === 'fn') return wordVariables(w.arg);
  return w.parts.flatMap((p) =>
    p.type === 'variable' ? [p.name] : p.type === 'call' ? wordVariables(p.fn) : [],
  );
}

/** Parses an expression; throws (Error, or PcreError for a bad regex) on anything unsupported. */
export function parseExpr(src: string): ExprNode {
  return new ExprParser(src).parse();
}

/**
 * An ap_expr string as a whole (ErrorDocument's argument, AP_EXPR_FLAG_STRING_RESULT): text with
 * `%{VAR}` and `%{func:string}` references, backslashes as written. Throws on an unclosed `%{`.
 */
export function parseExprString(src: string): Extract<Word, { type: 'str' }> {
  return new ExprParser(src).wholeString();
}

/** A recursive-descent parser over `src`; `i` is the offset reached. */
class ExprParser {
  private i = 0;

  constructor(private readonly src: string) {}

  parse(): ExprNode {
    const tree = this.or();
    this.ws();
    if (this.i < this.src.length) this.fail('unexpected text');
    return tree;
  }

  private ws(): void {
    while (/\s/.test(this.src[this.i] ?? '')) this.i++;
  }

  private fail(msg: string): never {
    throw new Error(`${msg} at offset ${this.i}`);
  }

  private peek(s: string): boolean {
    this.ws();
    return this.src.startsWith(s, this.i);
  }

  private eat(s: string): boolean {
    if (!this.peek(s)) return false;
    this.i += s.length;
    return true;
  }

  /** The text from the current offset on. */
  private rest(): string {
    return this.src.slice(this.i);
  }

  /** `%{NAME}` at the current offset: NAME. */
  private varRef(): string {
    const end = this.src.indexOf('}', this.i + 2);
    if (end < 0) this.fail('unterminated %{');
    const name = this.src.slice(this.i + 2, end);
    this.i = end + 1;
    return name;
  }

  /**
   * `%{…}` at the current offset: a variable, or a string function's call `%{func:string}`
   * whose argument runs to the matching `}` (text and nested references).
   */
  private reference(): Extract<StringPart, { type: 'variable' | 'call' }> {
    const call = /^%\{([a-z]+):/.exec(this.rest());
    if (!call || !STRING_FNS.includes(call[1]!)) return { type: 'variable', name: this.varRef() };
    this.i += call[0].length;
    const arg = this.stringUntil('}');
    if (this.src[this.i] !== '}') this.fail('unterminated %{');
    this.i++;
    return { type: 'call', fn: { type: 'fn', name: call[1]!, arg } };
  }

  /** Text and references up to `stop` (not eaten) or the end; no backslash escapes. */
  private stringUntil(stop: string | undefined): Extract<Word, { type: 'str' }> {
    const { src } = this;
    const parts: StringPart[] = [];
    let lit = '';
    while (this.i < src.length && src[this.i] !== stop) {
      if (src.startsWith('%{', this.i)) {
        if (lit) parts.push({ type: 'literal', text: lit });
        lit = '';
        parts.push(this.reference());
        continue;
      }
      lit += src[this.i++];
    }
    if (lit) parts.push({ type: 'literal', text: lit });
    return { type: 'str', parts };
  }

  wholeString(): Extract<Word, { type: 'str' }> {
    return this.stringUntil(undefined);
  }

  private word(): Word {
    this.ws();
    const c = this.src[this.i];
    if (c === "'" || c === '"') return this.quoted(c);
    if (this.src.startsWith('%{', this.i)) {
      const ref = this.reference();
      return ref.type === 'call' ? ref.fn : { type: 'var', name: ref.name };
    }
    const m = /^([a-z]+)\(/.exec(this.rest());
    if (m && FNS.includes(m[1]!)) {
      this.i += m[0].length;
      const arg = this.word();
      if (!this.eat(')')) this.fail("expected ')'");
      return { type: 'fn', name: m[1]!, arg };
    }
    const num = /^-?\d+/.exec(this.rest());
    if (num) {
      this.i += num[0].length;
      return { type: 'str', parts: [{ type: 'literal', text: num[0] }] };
    }
    return this.fail('expected a string, a number, a %{VARIABLE} or a function call');
  }

  /** A string quoted with `quote`: `\x` is x, `%{VAR}` is interpolated. */
  private quoted(quote: string): Word {
    const { src } = this;
    this.i++;
    const parts: StringPart[] = [];
    let lit = '';
    while (this.i < src.length && src[this.i] !== quote) {
      if (src[this.i] === '\\' && this.i + 1 < src.length) {
        lit += src[this.i + 1];
        this.i += 2;
        continue;
      }
      if (src.startsWith('%{', this.i)) {
        if (lit) parts.push({ type: 'literal', text: lit });
        lit = '';
        parts.push(this.reference());
        continue;
      }
      lit += src[this.i++];
    }
    if (src[this.i] !== quote) this.fail('unterminated string');
    this.i++;
    if (lit) parts.push({ type: 'literal', text: lit });
    return { type: 'str', parts };
  }

  /** `/re/`, `m#re#` (any delimiter), then `i` flags. */
  private regex(): RegExp {
    this.ws();
    let delim = this.src[this.i];
    if (delim === 'm') {
      this.i++;
      delim = this.src[this.i];
    }
    if (!delim || /[\s\w]/.test(delim)) return this.fail('expected a regular expression');
    const end = this.src.indexOf(delim, this.i + 1);
    if (end < 0) this.fail('unterminated regular expression');
    const bodyStart = this.i + 1;
    const body = this.src.slice(bodyStart, end);
    this.i = end + 1;
    let nocase = false;
    while (this.src[this.i] === 'i') {
      nocase = true;
      this.i++;
    }
    try {
      return compilePcre(body, nocase);
    } catch (err) {
      // keep the regex error a regex error, positioned within the expression
      if (err instanceof PcreError)
        throw new PcreError(err.message, bodyStart + err.offset, err.unsupported);
      throw err;
    }
  }

  private primary(): ExprNode {
    this.ws();
    if (this.eat('!')) return { type: 'not', e: this.primary() };
    if (this.eat('(')) {
      const e = this.or();
      if (!this.eat(')')) this.fail("expected ')'");
      return e;
    }
    if (/^true\b/.test(this.rest())) {
      this.i += 4;
      return { type: 'bool', v: true };
    }
    if (/^false\b/.test(this.rest())) {
      this.i += 5;
      return { type: 'bool', v: false };
    }
    const un = /^-([fdselznFUAhLxRT])\s/.exec(this.rest());
    if (un) {
      this.i += 2;
      // op_R: the client address (r->useragent_addr) in a constant network
      if (un[1] === 'R')
        return { type: 'ipmatch', a: { type: 'var', name: 'REMOTE_ADDR' }, net: this.network() };
      return { type: 'unary', op: un[1]!, a: this.word() };
    }
    return this.comparison(this.word());
  }

  /** What follows a word: `=~`, `!~` or a comparison operator, and its right side. */
  private comparison(a: Word): ExprNode {
    this.ws();
    if (this.eat('=~')) return { type: 'match', neg: false, a, re: this.regex() };
    if (this.eat('!~')) return { type: 'match', neg: true, a, re: this.regex() };
    if (/^in\s*\{/.test(this.rest())) {
      this.i += 2;
      return { type: 'in', a, list: this.wordList() };
    }
    const op = COMPARISON.exec(this.rest());
    if (!op) return this.fail('expected a comparison operator');
    const name = op[1]!;
    this.i += name.length;
    if (name === '-ipmatch') return { type: 'ipmatch', a, net: this.network() };
    return { type: 'cmp', op: name, a, b: this.word() };
  }

  /**
   * subnet_parse_arg: `-ipmatch` and `-R` take a constant `addr[/bits|/mask]` (apr_ipsubnet_create),
   * checked when the configuration is read.
   */
  private network(): IpNet {
    const w = this.word();
    const text = w.type === 'str' && w.parts.every((p) => p.type === 'literal') ? w.parts : null;
    if (!text) return this.fail('-ipmatch/-R requires subnet/netmask as constant argument');
    const net = ipNet(text.map((p) => (p.type === 'literal' ? p.text : '')).join(''));
    if (!net || 'error' in net) return this.fail('parsing of subnet/netmask failed');
    return net;
  }

  /** ap_expr's `{ word, word, ... }` (the right side of `in`). */
  private wordList(): Word[] {
    this.ws();
    if (!this.eat('{')) this.fail("expected '{'");
    const list = [this.word()];
    while (this.eat(',')) list.push(this.word());
    if (!this.eat('}')) this.fail("expected '}'");
    return list;
  }

  private and(): ExprNode {
    let a = this.primary();
    while (this.eat('&&')) a = { type: 'and', a, b: this.primary() };
    return a;
  }

  private or(): ExprNode {
    let a = this.and();
    while (this.eat('||')) a = { type: 'or', a, b: this.and() };
    return a;
  }
}
