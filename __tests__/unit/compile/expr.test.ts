/**
 * lib/compile/expr.ts: the ap_expr subset of `RewriteCond expr` (https://httpd.apache.org/docs/2.4/expr.html):
 * `!` binds tightest, then `&&`, then `||`; comparisons, `=~`/`!~` with /re/ or m#re#, unary
 * file and string tests, functions. Anything outside the subset is refused at load (ERR_EXPR).
 */
import {
  parseExpr,
  parseExprString,
  type ExprNode,
  type StringPart,
  type Word,
} from '../../../lib/compile/expr';

function word(w: Word): string {
  switch (w.type) {
    case 'var':
      return `%{${w.name}}`;
    case 'fn':
      return `${w.name}(${word(w.arg)})`;
    case 'str':
      return `'${w.parts.map(part).join('')}'`;
  }
}

function part(p: StringPart): string {
  if (p.type === 'literal') return p.text;
  if (p.type === 'variable') return `%{${p.name}}`;
  return word(p.fn);
}

/** A fully parenthesised reading of the tree. */
function show(e: ExprNode): string {
  switch (e.type) {
    case 'bool':
      return String(e.v);
    case 'not':
      return `!${show(e.e)}`;
    case 'and':
    case 'or':
      return `(${show(e.a)} ${e.type === 'and' ? '&&' : '||'} ${show(e.b)})`;
    case 'cmp':
      return `(${word(e.a)} ${e.op} ${word(e.b)})`;
    case 'match':
      return `(${word(e.a)} ${e.neg ? '!~' : '=~'} /${e.re.source}/)`;
    case 'unary':
      return `(-${e.op} ${word(e.a)})`;
    case 'in':
      return `(${word(e.a)} in {${e.list.map(word).join(', ')}})`;
    case 'ipmatch':
      return `(${word(e.a)} -ipmatch ${e.net.address})`;
  }
}

describe('parseExpr: the tree', () => {
  test.each([
    ["%{HTTP_HOST} == 'example.com'", "(%{HTTP_HOST} == 'example.com')"],
    ['%{HTTP_HOST} = "a"', "(%{HTTP_HOST} = 'a')"],
    ["%{REQUEST_METHOD} != 'GET'", "(%{REQUEST_METHOD} != 'GET')"],
    ['%{TIME_HOUR} -lt 12', "(%{TIME_HOUR} -lt '12')"],
    ['%{TIME_HOUR} -ge -1', "(%{TIME_HOUR} -ge '-1')"],
    ['true', 'true'],
    ['!false', '!false'],
    ['true || false && false', '(true || (false && false))'], // && binds tighter
    ['(true || false) && false', '((true || false) && false)'],
    ['!true && false', '(!true && false)'], // ! binds tightest
    ["-f '%{REQUEST_FILENAME}'", "(-f '%{REQUEST_FILENAME}')"],
    ['-z %{QUERY_STRING}', '(-z %{QUERY_STRING})'],
    ["'%{HTTP_HOST}:%{SERVER_PORT}' == 'a:80'", "('%{HTTP_HOST}:%{SERVER_PORT}' == 'a:80')"],
    ["tolower(%{HTTP_HOST}) == 'x'", "(tolower(%{HTTP_HOST}) == 'x')"],
    ["req('X-Forwarded-Proto') == 'https'", "(req('X-Forwarded-Proto') == 'https')"],
    ["'a\\'b' == 'x'", "('a'b' == 'x')"],
    ["%{REMOTE_USER} in {'alice', 'bob'}", "(%{REMOTE_USER} in {'alice', 'bob'})"],
    ["%{REMOTE_USER} in{'a'} && true", "((%{REMOTE_USER} in {'a'}) && true)"],
    ["%{REMOTE_ADDR} -ipmatch '10.0.0.0/8'", '(%{REMOTE_ADDR} -ipmatch 10.0.0.0)'],
    ["-R '192.168.1'", '(%{REMOTE_ADDR} -ipmatch 192.168.1.0)'],
    ["%{REQUEST_URI} -strmatch '/a/*'", "(%{REQUEST_URI} -strmatch '/a/*')"],
    ['-T %{QUERY_STRING}', '(-T %{QUERY_STRING})'],
    ["%{QUERY_STRING} -strmatch 'a=*'", "(%{QUERY_STRING} -strmatch 'a=*')"],
    ["%{REQUEST_URI} -fnmatch '/sub/*'", "(%{REQUEST_URI} -fnmatch '/sub/*')"],
    // util_expr_parse.y's `%{func:string}`: a string function's call, nested references kept
    ["%{tolower:%{HTTP_HOST}} == 'a'", "(tolower('%{HTTP_HOST}') == 'a')"],
    ["'<%{toupper:x%{REQUEST_URI}y}>' == 'a'", "('<toupper('x%{REQUEST_URI}y')>' == 'a')"],
    [
      "%{escape:%{unescape:%{QUERY_STRING}}} == 'a'",
      "(escape('unescape('%{QUERY_STRING}')') == 'a')",
    ],
    // the prefixed variables keep their reading (their argument is plain text)
    ["%{HTTP:X-A} == 'a'", "(%{HTTP:X-A} == 'a')"],
  ])('%s → %s', (src, expected) => {
    expect(show(parseExpr(src))).toBe(expected);
  });

  test.each<[string, string, string, boolean]>([
    ['%{REQUEST_URI} =~ m#^/api#', '/api/v1', '/x/api', false],
    ['%{HTTP_HOST} =~ /^WWW\\./i', 'www.example.com', 'example.com', false],
    ['%{REQUEST_URI} !~ /\\.php$/', 'index.php', 'a.php.txt', true],
  ])('%s: the regex matches %j and not %j', (src, yes, no, neg) => {
    const e = parseExpr(src);
    if (e.type !== 'match') throw new Error('not a match node');
    expect(e.neg).toBe(neg);
    expect(e.re.test(yes)).toBe(true);
    expect(e.re.test(no)).toBe(false);
  });

  test.each([
    ["%{HTTP_HOST} == 'a", 'unterminated string'],
    ['%{HTTP_HOST == "a"', 'unterminated %{'],
    ['%{HTTP_HOST} ==', 'expected a string'],
    ['%{HTTP_HOST}', 'expected a comparison operator'],
    // subnet_parse_arg: a constant network, checked at load
    ['%{REMOTE_ADDR} -ipmatch %{X}', 'requires subnet/netmask as constant argument'],
    ["%{REMOTE_ADDR} -ipmatch 'not-a-net'", 'parsing of subnet/netmask failed'],
    ["-R '10.0.0.0/33'", 'parsing of subnet/netmask failed'],
    ["%{X} -nosuchop 'a'", 'expected a comparison operator'],
    ["md5(%{X}) == 'a'", 'expected a string'], // not a supported function
    ['(true', "expected ')'"],
    ['true false', 'unexpected text'],
    ['%{REQUEST_URI} =~ /unterminated', 'unterminated regular expression'],
    ["tolower(%{X} == 'a'", "expected ')'"],
    // util_expr_scan.l ends a regex at the first delimiter, a backslash before it included
    ['%{REQUEST_URI} =~ /^\\/api/', '\\ at end of pattern'],
    // ap_expr also takes the flags s, m and g: outside the subset, refused at load
    ['%{REQUEST_URI} =~ /a/s', 'unexpected text'],
    ["%{REMOTE_USER} in {'a'", "expected '}'"],
    ["%{REMOTE_USER} in {'a' 'b'}", "expected '}'"],
    ["%{tolower:%{HTTP_HOST} == 'a'", 'unterminated %{'],
  ])('%s is refused: %s', (src, message) => {
    expect(() => parseExpr(src)).toThrow(message);
  });
});

describe('parseExprString: a whole ap_expr string (ErrorDocument)', () => {
  test.each([
    ['plain text', "'plain text'"],
    ['a \\%{REQUEST_URI} b', "'a \\%{REQUEST_URI} b'"], // backslashes as written
    ['%{tolower:%{REQUEST_URI}}!', "'tolower('%{REQUEST_URI}')!'"],
    ['%{nosuchfn:x}', "'%{nosuchfn:x}'"], // a variable name, as before
  ])('%s → %s', (src, expected) => {
    expect(word(parseExprString(src))).toBe(expected);
  });
  test('an unclosed call is refused', () => {
    expect(() => parseExprString('%{tolower:%{REQUEST_URI}')).toThrow('unterminated %{');
  });
});
