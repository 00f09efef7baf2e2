/**
 * mod_autoindex's borrowed routines, byte for byte: apr_strfsize (the Size column), apr_strnatcmp
 * (VersionSort), ap_strcmp_match (IndexIgnore and icon patterns), apr_fnmatch with
 * APR_FNM_PERIOD (the client's `P=`), ap_os_escape_path (links). Rows marked "recorded" appear in
 * conformance case 170.
 */
import {
  fnmatchPeriod,
  osEscapePath,
  strcmp,
  strcmpMatch,
  strfsize,
  strnatcmp,
} from '../../../lib/site/autoindex-format';

test.each<[number, string]>([
  [-1, '  - '],
  [0, '  0 '],
  [2, '  2 '],
  [972, '972 '], // recorded
  [973, '1.0K'], // recorded
  [1023, '1.0K'], // recorded
  [1024, '1.0K'], // recorded
  [1536, '1.5K'],
  [9 * 1024 + 972, '9.9K'],
  [10239, ' 10K'], // recorded
  [10240, ' 10K'], // recorded
  [20000, ' 20K'], // recorded
  [972 * 1024, '972K'],
  [973 * 1024, '1.0M'],
  [5 * 1024 * 1024 * 1024, '5.0G'],
])('strfsize(%d) is %j', (size, text) => {
  expect(strfsize(size)).toBe(text);
});

test.each<[string, string, number]>([
  ['file9.txt', 'file10.txt', -1], // recorded: 9 before 10
  ['file1.txt', 'file9.txt', -1],
  ['big.bin', 'big2.bin', -1], // recorded: '.' < '2'
  ['a01', 'a1', -1], // leading zero: compared left-aligned
  ['a1', 'a1', 0],
  ['x 2', 'x2', 0], // white space is skipped
  ['File2.txt', 'README', -1], // upper case first (ASCII)
  ['\xe9', 'a', -1], // a byte above 0x7f is a negative char
])('strnatcmp(%j, %j) has the sign of %d', (a, b, sign) => {
  // `|| 0`: Math.sign(-0) is -0
  expect(Math.sign(strnatcmp(a, b)) || 0).toBe(sign);
  expect(Math.sign(strnatcmp(b, a)) || 0).toBe(-sign || 0);
});

test('strnatcmp folds ASCII case when asked; strcmp compares unsigned bytes', () => {
  expect(strnatcmp('ABC', 'abc', true)).toBe(0);
  expect(Math.sign(strnatcmp('ABC', 'abc'))).toBe(-1);
  expect(strcmp('Abc', 'aBC', true)).toBe(0);
  expect(Math.sign(strcmp('\xe9', 'a'))).toBe(1);
});

test.each<[string, string, boolean]>([
  ['.hidden', '.??*', true], // recorded: hidden by Debian's IndexIgnore
  ['.a', '.??*', false], // recorded: listed
  ['x~', '*~', true],
  ['RCS', 'RCS', true],
  ['rcs', 'RCS', false],
  ['/srv/list/README', '*README', true],
  ['/srv/list/core', '*/core', true],
  ['/srv/list/..', '*..', true],
  ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab', '*a*a*a*a*a*a*a*a*c', false],
])('ap_strcmp_match(%j, %j) is %s', (str, pattern, matches) => {
  expect(strcmpMatch(str, pattern)).toBe(matches);
});

test('ap_strcasecmp_match for types', () => {
  expect(strcmpMatch('TEXT/HTML', 'text/*', true)).toBe(true);
  expect(strcmpMatch('image/png', 'text/*', true)).toBe(false);
});

test.each<[string, string, boolean]>([
  ['*.txt', 'a.txt', true],
  ['*.txt', '.a.txt', false], // APR_FNM_PERIOD: a leading dot must be matched by a dot
  ['.*', '.a', true],
  ['[ab]*', 'b.txt', true],
  ['[!ab]*', 'b.txt', false],
  ['[a-c]?', 'c1', true],
])('apr_fnmatch(%j, %j) is %s', (pattern, name, matches) => {
  expect(fnmatchPeriod(pattern, name)).toBe(matches);
});

test.each<[string, string]>([
  ['a&b <c>.txt', 'a&b%20%3cc%3e.txt'], // recorded (before ap_escape_html)
  ['sp ace.txt', 'sp%20ace.txt'],
  ['sub/', 'sub/'],
  ['a:b', './a:b'], // not a scheme
])('ap_os_escape_path(%j) is %j', (name, escaped) => {
  expect(osEscapePath(name)).toBe(escaped);
});
