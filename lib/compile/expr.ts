/**
 * A subset of Apache's ap_expr for `RewriteCond expr "..."`: string and integer comparisons,
 * `=~`/`!~` with `/re/` or `m#re#` (captures become %N), `-strmatch -strcmatch -fnmatch`,
 * `-f -d -s -e -l -z -n`, `&&`, `||`, `!`,
 * parentheses, `true`/`false`, quoted strings with `%{VAR}` interpolation, and the functions
 * `tolower toupper escape unescape req http`. Anything else is a load-time ERR_EXPR.
 *
 * This is the parser (load time); engine/expr.ts evaluates the tree per request.
 */
import { compilePcre, PcreError } from './pcre.js';

export type ExprNode =
  | { type: 'bool'; v: boolean }
  | { type: 'not'; e: ExprNode }
  | { type: 'and' | 'or'; a: ExprNode; b: ExprNode }
  | { type: 'cmp'; op: string; a: Word; b: Word }
  | { type: 'match'; neg: boolean; a: Word; re: RegExp }
  | { type: 'unary'; op: string; a: Word };

/** A piece of a quoted ap_expr string: literal text or a `%{VAR}` reference. */
export type StringPart = { type: 'literal'; text: string } | { type: 'variable'; name: string };

export type Word =
  | { type: 'str'; parts: StringPart[] }
  | { type: 'var'; name: string }
  | { type: 'fn'; name: string; arg: Word };

const FNS = ['tolower', 'toupper', 'escape', 'unescape', 'req', 'http'];

/**
 * Binary operators; `-strmatch`, `-strcmatch`, `-fnmatch` are apr_fnmatch (util_expr_eval.c
 * op_strmatch, op_strcmatch, op_fnmatch); `-ipmatch` is matched to be refused.
 */
const COMPARISON =
  /^(==|!=|<=|>=|=|<|>|-eq|-ne|-lt|-le|-gt|-ge|-ipmatch|-strmatch|-strcmatch|-fnmatch)/;
const INTEGER_COMPARISONS = ['-eq', '-ne', '-lt', '-le', '-gt', '-ge'];
const FNMATCH_OPERATORS = ['-strmatch', '-strcmatch', '-fnmatch'];

/** Parses an expression; throws (Error, or PcreError for a bad regex) on anything unsupported. */
export function parseExpr(src: string): ExprNode {
  return new ExprParser(src).parse();
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

  private word(): Word {
    this.ws();
    const c = this.src[this.i];
    if (c === "'" || c === '"') return this.quoted(c);
    if (this.src.startsWith('%{', this.i)) return { type: 'var', name: this.varRef() };
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
        parts.push({ type: 'variable', name: this.varRef() });
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
    const un = /^-([fdselznFUAhLx])\s/.exec(this.rest());
    if (un) {
      this.i += 2;
      return { type: 'unary', op: un[1]!, a: this.word() };
    }
    return this.comparison(this.word());
  }

  /** What follows a word: `=~`, `!~` or a comparison operator, and its right side. */
  private comparison(a: Word): ExprNode {
    this.ws();
    if (this.eat('=~')) return { type: 'match', neg: false, a, re: this.regex() };
    if (this.eat('!~')) return { type: 'match', neg: true, a, re: this.regex() };
    const op = COMPARISON.exec(this.rest());
    if (!op) return this.fail('expected a comparison operator');
    const name = op[1]!;
    if (
      name.startsWith('-') &&
      !INTEGER_COMPARISONS.includes(name) &&
      !FNMATCH_OPERATORS.includes(name)
    )
      this.fail(`operator '${name}' is not supported`);
    this.i += name.length;
    return { type: 'cmp', op: name, a, b: this.word() };
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
