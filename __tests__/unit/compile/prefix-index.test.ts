/**
 * lib/compile/prefix-index.ts: the literal-prefix index may only skip rules whose regex cannot
 * match; a fully literal pattern may become a string comparison. (More rows, and the random
 * superset check, are in __tests__/unit/engine.test.ts.)
 */
import { compile } from '../../../lib/compile/compile';
import { buildRuleIndex, fullLiteral, literalPrefix } from '../../../lib/compile/prefix-index';

const re = (pattern: string, flags = ''): RegExp =>
  compile(`RewriteRule ${pattern} /x ${flags}`).rules[0]!.re;

describe('fullLiteral: ^literal$ patterns (case-sensitive) only', () => {
  test.each<[string, string, string | undefined]>([
    ['^/about$', '', '/about'],
    ['^/a\\.html$', '', '/a.html'],
    ['^/about', '', undefined], // a prefix only
    ['^/about$', '[NC]', undefined], // caseless: not a string comparison
    ['^/ab?$', '', undefined],
    ['^/a+$', '', undefined],
    ['/about$', '', undefined], // unanchored
    ['^/(about)$', '', undefined],
    ['^/a|^/b$', '', undefined],
  ])('%s %s → %j', (pattern, flags, expected) => {
    expect(fullLiteral(re(pattern, flags))).toBe(expected);
  });
});

describe('literalPrefix: what every match must start with', () => {
  test.each([
    ['^/old/(\\d+)$', '/old/'],
    ['^/a/b?c', '/a/'], // b is optional
    ['^/ab*', '/a'],
    ['^/ab+', '/ab'], // one b at least
    ['^/a{2}', '/'],
    ['^(?:/x)/y', '/x'], // reading stops at the group's end: shorter, still sound
    ['/x', ''],
    ['^/x|/y', ''],
    ['^/legal/(terms|privacy)$', '/legal/'], // the | is inside a group after the prefix
    ['^/a(?:b|c)', '/a'],
    ['^(?:/a|/b)x', ''], // the | is inside the group the reading enters
    ['^/a[|]b|/c', ''], // a | in a class is a character; the last one alternates
    ['^/a[|]b', '/a'],
    ['^/a\\|b', '/a|b'], // an escaped | is a character
    ['^/a(b)|/c', ''],
  ])('%s → %j', (pattern, expected) => {
    expect(literalPrefix(re(pattern))).toBe(expected);
  });
});

describe('buildRuleIndex: candidates keep every rule that can match, in order', () => {
  const filler = Array.from({ length: 16 }, (_, k) => `RewriteRule ^/f${k}/ /x`);
  const rules = compile(
    [
      ...filler,
      'RewriteRule ^/Admin/ /a [NC]', // 16
      'RewriteRule !^/keep /b', // 17: negated, always a candidate
      'RewriteRule ^/c/ /c [C]', // 18: chain members always stay
      'RewriteRule ^/d/ /d', // 19
      'RewriteRule ^/f1/deeper /deep', // 20
    ].join('\n'),
  ).rules;
  const index = buildRuleIndex(rules)!;

  test('a list under 16 rules is not indexed', () => {
    expect(buildRuleIndex(rules.slice(0, 15))).toBeUndefined();
  });

  test.each<[string, number[]]>([
    ['/f3/x', [3, 17, 18, 19]],
    ['/f1/deeper/x', [1, 17, 18, 19, 20]],
    ['/f1/other', [1, 17, 18, 19]],
    ['/aDMIN/x', [16, 17, 18, 19]],
    ['/nothing', [17, 18, 19]],
  ])('%s → %j', (subject, expected) => {
    expect(index.candidates(subject)).toEqual(expected);
    // and every rule whose regex matches is among them
    rules.forEach((r, i) => {
      if (r.re.test(subject) !== r.negate) expect(expected).toContain(i);
    });
  });
});

describe('buildRuleIndex: alternation after the prefix', () => {
  const filler = Array.from({ length: 16 }, (_, k) => `RewriteRule ^/f${k}/ /x`);
  const rules = compile(
    [
      ...filler,
      'RewriteRule ^/legal/(terms|privacy)$ /p', // 16: indexed under /legal/
      'RewriteRule ^(?:/a|/b)x /ab', // 17: always a candidate
      'RewriteRule ^/c|/d /cd', // 18: always a candidate
    ].join('\n'),
  ).rules;
  const index = buildRuleIndex(rules)!;

  test.each<[string, number[]]>([
    ['/legal/terms', [16, 17, 18]],
    ['/other/privacy', [17, 18]],
    ['/bx', [17, 18]],
    ['/x/d', [17, 18]],
  ])('%s → %j, and every rule that matches is among them', (subject, expected) => {
    expect(index.candidates(subject)).toEqual(expected);
    rules.forEach((r, i) => {
      if (r.re.test(subject)) expect(expected).toContain(i);
    });
  });
});
