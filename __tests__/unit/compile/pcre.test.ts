/**
 * The PCRE translator (lib/compile/pcre.ts): termination on every input (issue 9, item 14),
 * POSIX classes looked up without prototype keys (item 3), caseless matching as PCRE does it on
 * bytes, and the ReDoS guard (item 17). Anything that could hang runs in a child process with a
 * time limit, so a regression fails instead of stalling the suite.
 */
import { compileText, RewriteError } from '../../../lib/index';
import { compilePcre, PcreError } from '../../../lib/compile/pcre';
import { utf8ToBytes } from '../../../lib/common/bytes';
import { removeBuiltLibrary, runIsolated } from '../../helpers/isolated';

afterAll(removeBuiltLibrary);

const loadError = (text: string): RewriteError => {
  try {
    compileText(text);
  } catch (err) {
    return err as RewriteError;
  }
  throw new Error(`expected a RewriteError for ${text}`);
};

describe('issue 9 item 14: (?P=name without ) is a positioned ERR_REGEX, not an endless loop', () => {
  const cases: [string, string, number, number][] = [
    ['in a RewriteRule', 'RewriteRule ^/(?P<n>x)(?P=n /x', 1, 27],
    ['in a RewriteCond', 'RewriteCond %{REQUEST_URI} (?P=n\nRewriteRule ^ /x', 1, 32],
    ['in an expr', 'RewriteCond expr "%{REQUEST_URI} =~ /(?P=n/"\nRewriteRule ^ /x', 1, 42],
  ];
  test('every case answers within the time limit (a child process, killed after 10 s)', async () => {
    const script = `
      const out = [];
      for (const text of ${JSON.stringify(cases.map((c) => c[1]))}) {
        try { lib.compileText(text); out.push('compiled'); }
        catch (e) { out.push([e.code, e.line, e.column, e.message.split('\\n')[0]]); }
      }
      console.log(JSON.stringify(out));`;
    const r = await runIsolated(script, 10_000);
    expect(r.timedOut).toBe(false);
    const results = JSON.parse(r.stdout) as [string, number, number, string][];
    cases.forEach(([, , line, column], k) => {
      expect(results[k]).toEqual([
        'ERR_REGEX',
        line,
        column,
        expect.stringContaining('syntax error in subpattern name'),
      ]);
    });
  });
});

/** Deterministic PRNG (mulberry32) so a failure names a reproducible seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TRICKY = [
  '(?<n>x)\\k<n>',
  '(?P<n>x)(?P=n)',
  "(?'n'x)\\k'n'",
  '\\k{n}',
  '[[:alpha:]]',
  '[[:^alpha:]]',
  '[[.a.]]',
  '[[=a=]]',
  '\\Qa.b\\E',
  '(?i)abc',
  '(?#comment)x',
  '\\x{41}',
  '\\x4',
  '[\\]]',
  '[]a]',
  '[^]a]',
  '(?|a|b)',
  '(?>a)',
  'a{2,5}+',
  'a{1,99999}',
  '(?=a)(?!b)(?<=c)(?<!d)',
  '\\Z',
  '\\cA',
  '[\\x41-\\x5a]',
  '[a-\\d]',
  '[z-a]',
  '(?P>n)',
  '(?R)',
  '(?(1)a|b)',
  '\\p{L}',
  '(a)\\1',
  '^/(a+)+$',
  '[\\Qa]\\E]',
  '\\',
  '(',
  ')',
  '[',
  '{',
  '*',
  'a**',
  '\\v\\V\\h\\H',
  '(?:a|b)*?',
];
const ALPHABET = [
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '\\',
  '?',
  '*',
  '+',
  '|',
  ':',
  '<',
  '>',
  '=',
  '!',
  'P',
  'k',
  'x',
  'Q',
  'E',
  'Z',
  '^',
  '$',
  '-',
  "'",
  '#',
  'a',
  '1',
  ',',
];

/** Every prefix of the tricky patterns, plus seeded mutations (insert, delete, splice). */
function fuzzInputs(seed: number, count: number): string[] {
  const inputs: string[] = [];
  for (const p of TRICKY) for (let k = 0; k <= p.length; k++) inputs.push(p.slice(0, k));
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  while (inputs.length < count) {
    let s = pick(TRICKY);
    const edits = 1 + Math.floor(rnd() * 4);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(rnd() * (s.length + 1));
      const op = rnd();
      if (op < 0.4) s = s.slice(0, at) + pick(ALPHABET) + s.slice(at);
      else if (op < 0.7) s = s.slice(0, at) + s.slice(at + 1);
      else s = s.slice(0, at) + pick(TRICKY) + s.slice(at);
    }
    inputs.push(s);
  }
  return inputs;
}

describe('issue 9 item 14: the translator ends on every input (fuzz)', () => {
  const SEED = 0x9e3779b9;
  const COUNT = 20_000;

  test(`${COUNT} prefixes and mutations (seed ${SEED}) each compile or throw PcreError, in a child with a 30 s limit`, async () => {
    const script = `
      const { compilePcre, PcreError } = require('./lib/compile/pcre.js');
      const inputs = ${JSON.stringify(fuzzInputs(SEED, COUNT))};
      let compiled = 0, refused = 0;
      const other = [];
      for (const p of inputs) {
        for (const nocase of [false, true]) {
          try { if (compilePcre(p, nocase) instanceof RegExp) compiled++; }
          catch (e) { if (e instanceof PcreError && Number.isInteger(e.offset) && e.offset >= 0 && e.offset <= p.length) refused++; else other.push([p, String(e)]); }
        }
      }
      console.log(JSON.stringify({ compiled, refused, other: other.slice(0, 5) }));`;
    const r = await runIsolated(script, 30_000);
    expect(r.timedOut).toBe(false);
    expect(r.stderr).toBe('');
    const result = JSON.parse(r.stdout) as { compiled: number; refused: number; other: unknown[] };
    expect(result.other).toEqual([]);
    expect(result.compiled + result.refused).toBe(2 * COUNT);
    // both outcomes are exercised (the corpus is not trivially all-valid or all-invalid)
    expect(result.compiled).toBeGreaterThan(COUNT / 10);
    expect(result.refused).toBeGreaterThan(COUNT / 10);
  }, 40_000);

  test('through compileText too: a rule with each input loads or fails with a positioned ERR_REGEX*, in a child with a 30 s limit', async () => {
    const inputs = fuzzInputs(SEED + 1, 2_000).filter((p) => p !== '' && !/[\s"']|\\$/.test(p));
    const script = `
      const bad = [];
      let loaded = 0, refused = 0;
      for (const p of ${JSON.stringify(inputs)}) {
        try { lib.compileText('RewriteRule ' + p + ' /x'); loaded++; }
        catch (e) { if (e instanceof lib.RewriteError && /^ERR_REGEX/.test(e.code) && e.line === 1 && e.column >= 13) refused++; else bad.push([p, e.code, e.column]); }
      }
      console.log(JSON.stringify({ loaded, refused, bad: bad.slice(0, 5) }));`;
    const r = await runIsolated(script, 30_000);
    expect(r.timedOut).toBe(false);
    const result = JSON.parse(r.stdout) as { loaded: number; refused: number; bad: unknown[] };
    expect(result.bad).toEqual([]);
    expect(result.loaded + result.refused).toBe(inputs.length);
  }, 40_000);
});

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
  const subject = '/' + 'a'.repeat(32) + '!';
  const linear: [string, string][] = [
    ['RewriteRule ^/(a+)+$ /x [NC]', subject],
    ['RewriteRule ^/(a+)+\\Z /x', subject],
    ['RewriteRule ^/(a|a)+$ /x [NC]', subject],
    ['RewriteRule ^/([a-z]+)*x$ /x [NC]', subject],
    ['RewriteRule ^/(\\w+\\s?)+$ /x [NC]', subject],
    ['RewriteCond %{REQUEST_URI} ^/(a+)+$ [NC]\nRewriteRule ^ /x', subject],
    ['RewriteCond expr "%{REQUEST_URI} =~ m#^/(a+)+$#i"\nRewriteRule ^ /x', subject],
    ['RewriteRule ^(?!/api)/(a+)+$ /x', subject],
    ['RewriteRule ^(?!/api)(?=/a)/(a+)+$ /x [NC]', subject],
    // polynomial, not exponential: 3000 characters took minutes while {1,32} kept it off the linear engine
    ['RewriteRule ^/[a-z]{1,32}(.*)(.*)(.*)x$ /x', '/' + 'a'.repeat(3000)],
  ];
  test('over real HTTP in a child process: every request is answered (killed after 20 s)', async () => {
    const script = `
      const http = require('node:http');
      const cases = ${JSON.stringify(linear)};
      (async () => {
        const out = [];
        for (const [rules, path] of cases) {
          const mw = lib.rewrite('RewriteEngine on\\n' + rules);
          const server = http.createServer((req, res) => mw(req, res, () => { res.end('next'); }));
          await new Promise((r) => server.listen(0, '127.0.0.1', r));
          const started = Date.now();
          const status = await new Promise((resolve, reject) => {
            http.get({ host: '127.0.0.1', port: server.address().port, path }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); }).on('error', reject);
          });
          out.push([status, Date.now() - started]);
          await new Promise((r) => server.close(r));
        }
        console.log(JSON.stringify(out));
      })();`;
    const r = await runIsolated(script, 20_000);
    expect(r.timedOut).toBe(false);
    expect(r.stderr).toBe('');
    const results = JSON.parse(r.stdout) as [number, number][];
    expect(results).toHaveLength(linear.length);
    for (const [status, ms] of results) {
      expect(status).toBe(200); // 'next' answers 200 when no rule matched (none of these paths match)
      expect(ms).toBeLessThan(2_000);
    }
  }, 30_000);

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
