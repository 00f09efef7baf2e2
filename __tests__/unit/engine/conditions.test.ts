/**
 * lib/engine/conditions.ts: every CondPattern form (apache-semantics.md §1.4): regex (with %N),
 * `!` negation, the "lexicographic" compares that are length-first without NC, `=` (a bare `=` is
 * a regex), the integer compares with atoi, file tests, expr; [OR] chains; [NC].
 */
import { atoi, compareLength, strcasecmp } from '../../../lib/engine/conditions';
import { serverOutcome } from '../../helpers/evaluate';

describe('the comparison helpers', () => {
  test.each([
    ['aa', 'b', 1], // the longer is greater, whatever the bytes
    ['10', '9', 1],
    ['b', 'aa', -1],
    ['abc', 'abd', -1],
    ['abc', 'abc', 0],
    ['', '', 0],
  ])('compareLength(%j, %j) → %i', (a, b, expected) => {
    expect(Math.sign(compareLength(a, b))).toBe(expected);
  });
  test.each([
    ['ABC', 'abc', 0],
    ['aa', 'b', -1], // true dictionary order
    ['B', 'a', 1],
  ])('strcasecmp(%j, %j) → %i', (a, b, expected) => {
    expect(Math.sign(strcasecmp(a, b))).toBe(expected);
  });
  test.each([
    ['42', 42],
    ['  7x', 7],
    ['-3', -3],
    ['+5', 5],
    ['x1', 0],
    ['', 0],
  ])('atoi(%j) → %i', (s, expected) => {
    expect(atoi(s)).toBe(expected);
  });
});

/** One condition on %{QUERY_STRING} guarding a rule that always rewrites to /yes. */
const cond = (pattern: string, flags = ''): string =>
  `RewriteCond %{QUERY_STRING} ${pattern} ${flags}\nRewriteRule ^ /yes`;

describe('CondPattern forms against %{QUERY_STRING}', () => {
  test.each<[string, string, string, boolean]>([
    ['regex', '^a=(\\d+)$', 'a=12', true],
    ['regex, no match', '^a=(\\d+)$', 'a=x', false],
    ['negated regex', '!^a=', 'b=1', true],
    ['=str', '=a=1', 'a=1', true],
    ['=str, other case', '=A=1', 'a=1', false],
    ['=str with NC', '=A=1 [NC]', 'a=1', true],
    ['="" is the empty string', '=""', '', true],
    ['bare = is a regex for "="', '=', 'x=y', true],
    ['<str: length first', '<b', 'aa', false], // "aa" is longer: greater
    ['>str: length first', '>9', '10', true],
    ['>str with NC: dictionary order', '>b [NC]', 'aa', false],
    ['<=str equal', '<=abc', 'abc', true],
    ['>=str', '>=abd', 'abc', false],
    ['-eq', '-eq12', '12', true],
    ['-eq with atoi', '-eq12', '12abc', true],
    ['-ne', '-ne12', '13', true],
    ['-gt', '-gt5', '10', true], // integers, not strings
    ['-lt', '-lt5', '10', false],
    ['-ge', '-ge10', '10', true],
    ['-le', '-le-1', '-2', true],
    ['"-gt 22" (number in the same argument)', '"-gt 22"', '23', true],
    ['a bare -lt is a regex', '-lt', 'x-lty', true],
    ['-f on a missing file', '-f', '/nonexistent', false],
    ['!-f on a missing file', '!-f', '/nonexistent', true],
    ['-d on a missing directory', '-d', '/nonexistent', false],
  ])('%s: %s on %j → %s', (_what, pattern, query, matched) => {
    expect(
      serverOutcome(
        cond(pattern.replace(/ \[NC\]$/, ''), / \[NC\]$/.test(pattern) ? '[NC]' : ''),
        `/x?${query}`,
      ),
    ).toBe(matched ? `rewrite /yes?${query}` : 'pass');
  });
});

describe('chains, back-references, expr', () => {
  test.each([
    // A [OR] B, C means (A || B) && C
    [
      'RewriteCond %{QUERY_STRING} a [OR]\nRewriteCond %{QUERY_STRING} b\nRewriteCond %{QUERY_STRING} c\nRewriteRule ^ /yes',
      '/x?ac',
      'rewrite /yes?ac',
    ],
    [
      'RewriteCond %{QUERY_STRING} a [OR]\nRewriteCond %{QUERY_STRING} b\nRewriteCond %{QUERY_STRING} c\nRewriteRule ^ /yes',
      '/x?ab',
      'pass',
    ],
    [
      'RewriteCond %{QUERY_STRING} a [OR]\nRewriteCond %{QUERY_STRING} b [OR]\nRewriteCond %{QUERY_STRING} c\nRewriteRule ^ /yes',
      '/x?c',
      'rewrite /yes?c',
    ],
    // %N come from the last matched condition
    [
      'RewriteCond %{QUERY_STRING} ^id=(\\d+)\nRewriteRule ^/p$ /item/%1?',
      '/p?id=7',
      'rewrite /item/7',
    ],
    [
      'RewriteCond %{QUERY_STRING} (a)\nRewriteCond %{QUERY_STRING} (b)\nRewriteRule ^ /%1?',
      '/x?ab',
      'rewrite /b',
    ],
    // a negated regex sets no %N
    [
      'RewriteCond %{QUERY_STRING} (a)\nRewriteCond %{QUERY_STRING} !(z)\nRewriteRule ^ /v%1?',
      '/x?a',
      'rewrite /va',
    ],
    // $N of the rule are visible in its conditions
    ['RewriteCond $1 =admin\nRewriteRule ^/(\\w+)/ - [F]', '/admin/x', 'status 403'],
    // the CondPattern is not expanded: %{SERVER_NAME} is literal text
    ['RewriteCond %{HTTP_HOST} !^%{SERVER_NAME}$\nRewriteRule ^ - [F]', '/x', 'status 403'],
    [
      'RewriteCond "%{HTTP_HOST}::www.example.com" "^(.*)::\\1$"\nRewriteRule ^ /same',
      '/x',
      'rewrite /same',
    ],
    // expr
    [
      'RewriteCond expr "%{QUERY_STRING} == \'a=1\'"\nRewriteRule ^ /yes',
      '/x?a=1',
      'rewrite /yes?a=1',
    ],
    [
      'RewriteCond expr "%{REQUEST_URI} =~ m#^/(\\w+)#"\nRewriteRule ^ /got-%1',
      '/abc/d',
      'rewrite /got-abc',
    ],
    [
      'RewriteCond expr "%{QUERY_STRING} -lt 5 && true"\nRewriteRule ^ /yes?',
      '/x?3',
      'rewrite /yes',
    ],
    // T_OP_IN: the string equals one of the list's
    [
      "RewriteCond expr \"%{QUERY_STRING} in {'a', 'b'}\"\nRewriteRule ^ /in?",
      '/x?b',
      'rewrite /in',
    ],
    ["RewriteCond expr \"%{QUERY_STRING} in {'a', 'b'}\"\nRewriteRule ^ /in?", '/x?ab', 'pass'],
    // [NC] on a regex condition
    ['RewriteCond %{HTTP_HOST} ^WWW\\. [NC]\nRewriteRule ^ /www?', '/x', 'rewrite /www'],
  ])('%j on %s → %s', (rules, target, expected) => {
    expect(serverOutcome(rules, target)).toBe(expected);
  });
});
