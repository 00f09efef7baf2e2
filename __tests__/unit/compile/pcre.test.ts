/**
 * The PCRE translator (lib/compile/pcre.ts): termination on every input (issue 9, item 14),
 * POSIX classes looked up without prototype keys (item 3), caseless matching as PCRE does it on
 * bytes, and the ReDoS guard (item 17). What must not hang (termination on fuzzed input, real
 * requests against pathological patterns) runs in child processes, in
 * __tests__/reliability/pcre-termination.test.ts.
 */
import { compileText } from '../../../lib/compile/compile';
import { RewriteError } from '../../../lib/errors';
import { compilePcre, PcreError } from '../../../lib/compile/pcre';
import { utf8ToBytes } from '../../../lib/common/bytes';

const loadError = (text: string): RewriteError => {
  try {
    compileText(text);
  } catch (err) {
    return err as RewriteError;
  }
  throw new Error(`expected a RewriteError for ${text}`);
};

describe('escapes as PCRE2 reads them (checked with LC_ALL=C grep -P)', () => {
  test.each([
    ['^a\\vb$', 'a\fb', true], // \v is vertical whitespace in PCRE, not only VT
    ['^a[\\v]b$', 'a\x0bb', true],
    ['^a\\vb$', 'a b', false],
    ['^a[\\h]b$', 'a\tb', true],
    ['^\\cJ$', '\n', true],
    ['^\\x41\\x{42}$', 'AB', true],
  ])('%s on %j → %s', (pattern, subject, expected) => {
    expect(compilePcre(pattern, false).test(subject)).toBe(expected);
  });
  test.each(['x\\u0041', '\\U', '[a-\\d]', '[z-a]'])('%s is refused', (pattern) => {
    expect(() => compilePcre(pattern, false)).toThrow(PcreError);
  });
});

describe('issue 9 item 3: POSIX class names are not prototype keys', () => {
  test.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'bogus'])(
    '[[:%s:]] is an unknown POSIX class (PCRE)',
    (name) => {
      expect(loadError(`RewriteRule ^/[[:${name}:]]$ /x`)).toMatchObject({
        code: 'ERR_REGEX',
        line: 1,
        column: 16,
        message: expect.stringContaining('unknown POSIX class name'),
      });
    },
  );
  test.each([
    ['[[.a.]]', 'POSIX collating elements are not supported'],
    ['[[=a=]]', 'POSIX collating elements are not supported'],
  ])('%s is refused as PCRE refuses it', (cls, message) => {
    expect(loadError(`RewriteRule ^/${cls}$ /x`)).toMatchObject({
      code: 'ERR_REGEX',
      message: expect.stringContaining(message),
    });
  });
  test.each([
    ['alpha', 'q', '1'],
    ['digit', '7', 'a'],
    ['alnum', 'Z', '-'],
    ['upper', 'Q', 'q'],
    ['lower', 'q', 'Q'],
    ['space', '\t', 'x'],
    ['blank', ' ', '\n'],
    ['punct', '~', 'a'],
    ['xdigit', 'F', 'g'],
    ['word', '_', '-'],
    ['cntrl', '\x7f', ' '],
    ['print', ' ', '\x7f'],
    ['graph', '!', ' '],
    ['ascii', '\x7f', '\x80'],
  ])('[[:%s:]] matches %j, not %j', (name, yes, no) => {
    const re = compilePcre(`^[[:${name}:]]$`, false);
    expect(re.test(yes)).toBe(true);
    expect(re.test(no)).toBe(false);
  });
});

describe('issue 9 item 17: [NC] is PCRE caseless matching on bytes (ASCII letters only)', () => {
  // Expected values from PCRE2 itself: `printf SUBJECT | LC_ALL=C grep -qP '(?i)PATTERN'` (the C-locale
  // tables Apache's ap_regcomp uses, no UTF mode). Patterns and subjects are written as UTF-8 text or \x bytes.
  test.each([
    ['^/abc$', '/ABC', true],
    ['^/[a-c]+$', '/BCA', true],
    ['^/[^a]$', '/A', false],
    ['^/\\xe9$', '/\xc9', false],
    ['^/[\\xe0-\\xef]$', '/\xc9', false],
    ['^/é$', utf8ToBytes('/É'), false],
    ['^/[[:upper:]]$', '/a', true],
    ['^/[[:lower:]]+$', '/ABC', true],
    ['^/[^[:lower:]]$', '/A', false],
    ['^/\\x41$', '/a', true],
    ['^/(a)\\1$', '/aA', true],
    ['^/[X-c]$', '/x', true],
    ['^/[X-c]$', '/_', true],
    ['^/[X-c]$', '/C', true],
    ['^/[X-c]$', '/D', false],
    ['^/k$', '/K', true],
    ['^/\\Qa.b\\E$', '/A.B', true],
    ['^/\\Qa.b\\E$', '/AxB', false],
    ['^/\\xff$', '/\xdf', false],
    ['^/[\\w]+$', '/aZ_', true],
  ])('%s [NC] on %j → %s', (pattern, subject, expected) => {
    expect(compilePcre(utf8ToBytes(pattern), true).test(subject)).toBe(expected);
    // a leading (?i) means the same
    expect(compilePcre(utf8ToBytes(`(?i)${pattern}`), false).test(subject)).toBe(expected);
  });
  test('[NC] patterns no longer use the i flag (the linear engine refuses it), except with back-references', () => {
    expect(compilePcre('^/(a+)+$', true).flags).not.toContain('i');
    expect(compilePcre('^/(a)\\1$', true).flags).toContain('i');
  });
  test('group names are not case-folded', () => {
    const m = compilePcre('^/(?<Name>x)(?P<other>y)$', true).exec('/XY');
    expect(m?.groups).toEqual({ Name: 'X', other: 'Y' });
  });
});

describe('issue 9 item 17: \\Z at the end is translated without a lookahead, with PCRE results', () => {
  test.each([
    ['^/a\\Z', '/a', '/a'],
    ['^/a\\Z', '/a\n', '/a'],
    ['^/(.*)\\Z', '/ab\n', '/ab\n'],
    ['^/a\\Z', '/a\n\n', null],
    ['^/(a)|b\\Z', '/b', 'b'],
    ['^/(a)|/b\\Z', '/b\n', '/b'],
  ])('%s on %j: $0 = %j', (pattern, subject, whole) => {
    const m = compilePcre(pattern, false).exec(subject);
    expect(m ? m[0] : null).toBe(whole);
  });
  test('the extra group never shows: captures keep their numbers and count', () => {
    const m = compilePcre('^/(a)(b)?\\Z', false).exec('/a\n');
    expect(m && [...m]).toEqual(['/a', 'a', undefined]);
  });
  test('\\Z not at the end still works (with a lookahead)', () => {
    expect(compilePcre('^/a\\Z\\n?', false).exec('/a\n')?.[0]).toBe('/a\n');
  });
});

describe('issue 9 item 17: a leading lookahead runs as a separate guard (both parts linear)', () => {
  test.each([
    ['^(?!/api)(.*)$', '/api/x', null],
    ['^(?!/api)(.*)$', '/x', ['/x', '/x']],
    ['^(?=/a)(/a+)+$', '/aaa', ['/aaa', '/aaa']],
    ['^(?=/a)(/a+)+$', '/b', null],
    ['^(?!/a)(?!/b)/(.)', '/c', ['/c', 'c']],
    ['^(?!/a)(?!/b)/(.)', '/b', null],
    // not split (a capture inside the lookahead, or a top-level |): same results through the lookahead
    ['^(?!(/a))/(.)', '/c', ['/c', undefined, 'c']],
    ['^(?!/x)/a|b', '/zb', ['b']],
    ['^(?!/api)(.*)\\Z', '/x\n', ['/x\n', '/x\n']], // DOTALL: .* takes the newline, as in PCRE
    ['^(?!/api)/x\\Z', '/x\n', ['/x']],
  ])('%s on %j', (pattern, subject, expected) => {
    const m = compilePcre(pattern, false).exec(subject);
    expect(m ? [...m] : null).toEqual(expected);
  });
  test('[NC] applies to the guard too', () => {
    const re = compilePcre('^(?!/API)/(.*)$', true);
    expect(re.test('/api/x')).toBe(false);
    expect(re.test('/other')).toBe(true);
  });
  test('the guarded rule is not mistaken for a plain literal (no string-compare shortcut)', () => {
    const rs = compileText('RewriteRule ^(?!/a)/b$ /x');
    expect(rs.rules[0]?.literal).toBeUndefined();
  });
});

describe('issue 9 item 17: bounds above 16 are written as chunks of 16 (the linear engine takes them)', () => {
  const linear = (re: RegExp): boolean => {
    try {
      new RegExp(re.source, re.flags + 'l');
      return true;
    } catch {
      return false;
    }
  };
  test.each([
    ['^/([0-9]{1,32})$', '/' + '1'.repeat(32), ['/' + '1'.repeat(32), '1'.repeat(32)]],
    ['^/([0-9]{1,32})$', '/' + '1'.repeat(33), null],
    ['^/(x{20})$', '/' + 'x'.repeat(20), ['/' + 'x'.repeat(20), 'x'.repeat(20)]],
    ['^/(x{20})$', '/' + 'x'.repeat(19), null],
    ['^/a{17,}$', '/' + 'a'.repeat(17), ['/' + 'a'.repeat(17)]],
    ['^/a{17,}$', '/' + 'a'.repeat(16), null],
    ['^/(?:ab){20}$', '/' + 'ab'.repeat(20), ['/' + 'ab'.repeat(20)]],
    ['^/(a{2,40})(a*)$', '/' + 'a'.repeat(30), ['/' + 'a'.repeat(30), 'a'.repeat(30), '']],
    ['^/(a{2,40}?)(a*)$', '/' + 'a'.repeat(30), ['/' + 'a'.repeat(30), 'aa', 'a'.repeat(28)]],
    ['^/(a{18,40})(a{5})$', '/' + 'a'.repeat(30), ['/' + 'a'.repeat(30), 'a'.repeat(25), 'aaaaa']],
  ])('%s on %j', (pattern, subject, expected) => {
    const re = compilePcre(pattern, false);
    const m = re.exec(subject);
    expect(m ? [...m] : null).toEqual(expected);
    expect(linear(re)).toBe(true);
  });
  test('with [NC] the chunks are folded too', () => {
    const re = compilePcre('^/[a-c]{1,20}$', true);
    expect(re.test('/ABCabcABC')).toBe(true);
    expect(linear(re)).toBe(true);
  });
  test('a capturing group is not written twice: its quantifier stays (off the linear engine)', () => {
    const re = compilePcre('^/(ab){20}$', false);
    expect(re.exec('/' + 'ab'.repeat(20))?.[1]).toBe('ab');
    expect(linear(re)).toBe(false);
  });
  test('after \\Q..\\E the bound applies to the last character only, as in PCRE', () => {
    expect(compilePcre('^/\\Qab\\E{20}$', false).test('/a' + 'b'.repeat(20))).toBe(true);
  });
  test('inside a repeated group the chunks are not enough (V8 multiplies the bounds): refused there', () => {
    expect(() => compilePcre('^/(a{1,20})+$', false)).toThrow(/backtrack exponentially/);
  });
});

describe('issue 9 item 17: pathological patterns finish fast or are refused at load', () => {
  test.each([
    ['a lookahead', 'RewriteRule ^/(?!x)(a+)+$ /x', 20],
    ['a back-reference', 'RewriteRule ^/(b)(a+)+\\1$ /x', 18],
    ['a bounded quantifier above 1024 (not expanded)', 'RewriteRule ^/(a{1,2000})+$ /x', 15],
    ['a bounded quantifier on a capturing group', 'RewriteRule ^/((a)+){1,20}$ /x', 15],
    ['\\Z not at the end', 'RewriteRule ^/(a+)+\\Z/ /x', 15],
    ['[NC] with a back-reference', 'RewriteRule ^/(b)(a|A)+\\1$ /x [NC]', 18],
  ])(
    'refused at load (ERR_REGEX_UNSUPPORTED, positioned at the group): nested quantifier with %s',
    (_what, text, column) => {
      expect(loadError(text)).toMatchObject({
        code: 'ERR_REGEX_UNSUPPORTED',
        line: 1,
        column,
        message: expect.stringContaining('backtrack exponentially'),
      });
    },
  );

  test.each([
    ['^/((?!admin/).)*$', '/x/y'],
    ['^/(?:(?!a|b).)*$', '/xyz'],
    ['^/(\\d{1,32})$', '/123'],
    ['^/(a)\\1$', '/aa'],
    ['^(?!/api)(.*)$', '/x'],
  ])('not refused: %s (no exponential shape)', (pattern, subject) => {
    expect(compileText(`RewriteRule ${pattern} /x`).rules[0]?.re.test(subject)).toBe(true);
  });

  test('a PcreError carries the offset of the repeated group', () => {
    try {
      compilePcre('^/x(?=y)(a+)+', false);
      throw new Error('not refused');
    } catch (err) {
      expect(err).toBeInstanceOf(PcreError);
      expect((err as PcreError).offset).toBe(8);
    }
  });
});
