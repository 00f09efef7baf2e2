/**
 * lib/syntax/lexer.ts: Apache's config reader (server/util.c ap_cfg_getline: `\` right before the
 * newline continues the line; leading and trailing blanks trimmed; `#` lines are comments),
 * core's ap_getword_conf (quotes, `\"` and `\\` inside words) and mod_rewrite's own parseargline
 * for RewriteRule/RewriteCond (apache-semantics.md §1.1).
 */
import { logicalLines, parseConfWords, parseRewriteArgs } from '../../../lib/syntax/lexer';

describe('logicalLines: physical lines → directives', () => {
  test.each<[string, string, [string, number][]]>([
    ['one line', 'RewriteEngine on', [['RewriteEngine on', 1]]],
    ['leading and trailing blanks trimmed', '  \tRewriteEngine on \t', [['RewriteEngine on', 1]]],
    ['blank lines and comments dropped', '\n# c\n   # c2\nA b\n', [['A b', 4]]],
    [
      'CRLF line ends',
      'A b\r\nC d\r\n',
      [
        ['A b', 1],
        ['C d', 2],
      ],
    ],
    ['a byte-order mark is not part of the first directive', '\uFEFFA b', [['A b', 1]]],
    ['\\ before the newline joins the next line', 'A \\\n  b', [['A   b', 1]]],
    ['\\ before CRLF joins too', 'A \\\r\nb', [['A b', 1]]],
    [
      'several continuations keep the first line number',
      'A \\\nb \\\nc\nD',
      [
        ['A b c', 1],
        ['D', 4],
      ],
    ],
    [
      '\\ followed by a blank is no continuation',
      'A \\ \nb',
      [
        ['A \\', 1],
        ['b', 2],
      ],
    ],
    [
      'a comment continued swallows the next line (ap_cfg_getline joins first)',
      '# c \\\nA b\nC',
      [['C', 3]],
    ],
    ['a \\ on the last line ends the text', 'A b\\', [['A b', 1]]],
  ])('%s', (_what, source, expected) => {
    expect(logicalLines(source).map((l) => [l.text, l.line])).toEqual(expected);
  });

  test('positions inside a continued line point at the physical line and column', () => {
    const [line] = logicalLines('RewriteRule ^/a$ \\\n    /b [L]', 'x.conf');
    const at = line!.text.indexOf('/b');
    expect(line!.at(at)).toEqual({ file: 'x.conf', line: 2, column: 5 });
    expect(line!.at(0)).toEqual({ file: 'x.conf', line: 1, column: 1 });
    expect(line!.sourceLineAt(at)).toBe('    /b [L]');
  });
});

/** parseRewriteArgs on `RewriteRule <args>`: the texts, or the error. */
function rewriteArgs(args: string): string[] | string {
  const [line] = logicalLines(`RewriteRule ${args}`);
  const r = parseRewriteArgs(line!, 'RewriteRule'.length);
  return 'error' in r ? r.error : r.args.map((a) => a.text);
}

describe('parseRewriteArgs: mod_rewrite parseargline', () => {
  test.each<[string, string[] | string]>([
    ['^/a$ /b', ['^/a$', '/b']],
    ['^/a$ /b [L,R=301]', ['^/a$', '/b', '[L,R=301]']],
    ['"^/a b$" "/c d" [L]', ['^/a b$', '/c d', '[L]']],
    ["'^/a$' '/b'", ['^/a$', '/b']],
    // the closing quote ends the argument: "…"[P] needs no blank (httpd's own tests use it)
    ['"^/a$" "/b"[P]', ['^/a$', '/b', '[P]']],
    // backslash-blank keeps the blank and the backslash (the regex sees "\ ")
    ['^/a\\ b$ /c\\ d', ['^/a\\ b$', '/c\\ d']],
    ['^/a$ - [F]', ['^/a$', '-', '[F]']],
    ['"[B= ?]" x "[B= ?]"', ['[B= ?]', 'x', '[B= ?]']],
    ['^/a$ /b [L] trailing words', ['^/a$', '/b', '[L]']], // after the third: ignored, as Apache
    ['^/a$', 'bad argument line: at least two arguments required'],
    ['^/a$ /b L', expect.stringContaining("third argument must begin with '['") as never],
    ['^/a$ /b [L', expect.stringContaining("third argument must end with ']'") as never],
    ['^/a$ /b [L] ', ['^/a$', '/b', '[L]']],
  ])('RewriteRule %s', (args, expected) => {
    expect(rewriteArgs(args)).toEqual(expected);
  });
});

/** parseConfWords on `Directive <args>`. */
function confWords(args: string): string[] {
  const [line] = logicalLines(`Directive ${args}`);
  return parseConfWords(line!, 'Directive'.length).map((a) => a.text);
}

describe('parseConfWords: core ap_getword_conf', () => {
  test.each<[string, string[]]>([
    ['on', ['on']],
    ['a  b\tc', ['a', 'b', 'c']],
    ['"a b" c', ['a b', 'c']],
    ["'a b' c", ['a b', 'c']],
    ['"a \\"q\\" b"', ['a "q" b']],
    ["'it\\'s'", ["it's"]],
    ['"a\\\\b"', ['a\\b']],
    ['"a\\nb"', ['a\\nb']], // only \\ and \<quote> are escapes
    ['"unclosed words', ['unclosed words']],
    ['""', ['']],
    ['a"b c"', ['a"b', 'c"']], // a quote inside a word is an ordinary character
  ])('Directive %s', (args, expected) => {
    expect(confWords(args)).toEqual(expected);
  });

  // ap_getword_conf's substring_conf turns `\\` into `\` in unquoted words too
  // (server/util.c: `start[i] == '\\' && (start[i + 1] == '\\' || (quote && …))`), so
  // `Header set X a\\b` sends `a\b`
  test('an unquoted word: \\\\ is one backslash, as in quotes', () => {
    expect(confWords('a\\\\b')).toEqual(['a\\b']);
  });
});
