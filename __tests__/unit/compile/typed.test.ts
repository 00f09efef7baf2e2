/**
 * lib/compile/typed.ts: typed rules are the same rules as text (a pattern is Apache's, a `path` is
 * path-to-regexp's with `:name` usable in the substitution); a malformed rule is ERR_TYPED_RULE
 * naming rules[i] at line i + 1.
 */
import { compileTyped, type TypedRule } from '../../../lib/compile/typed';
import { RewriteError } from '../../../lib/errors';
import { serverOutcome } from '../../helpers/evaluate';

describe('compileTyped: behaves as the same rule written as text', () => {
  test.each<[string, TypedRule[], string, string]>([
    [
      'a pattern with flags as an array',
      [{ pattern: '^/old/(.*)$', substitution: '/new/$1', flags: ['R=301', 'L'] }],
      '/old/a?x=1',
      'redirect 301 http://www.example.com/new/a?x=1',
    ],
    [
      'flags as a bracketed string',
      [{ pattern: '^/a$', substitution: '/b', flags: '[QSD]' }],
      '/a?x=1',
      'rewrite /b',
    ],
    [
      'a path with a parameter used as :id',
      [{ path: '/users/:id', substitution: '/profile.php?id=:id' }],
      '/users/42',
      'rewrite /profile.php?id=42',
    ],
    [
      'a path matches the whole path only',
      [{ path: '/users/:id', substitution: '/x' }],
      '/users/42/more',
      'pass',
    ],
    [
      'an unknown :name stays literal',
      [{ path: '/a/:id', substitution: '/b/:other' }],
      '/a/1',
      'rewrite /b/:other',
    ],
    [
      'a RegExp pattern, its i flag as NC',
      [{ pattern: /^\/ADMIN/i, substitution: '-', flags: ['F'] }],
      '/admin/x',
      'status 403',
    ],
    [
      'conditions, with a RegExp pattern and OR',
      [
        {
          pattern: '^/',
          substitution: '/mobile%1',
          conditions: [
            { testString: '%{HTTP_USER_AGENT}', pattern: /^(iPhone)/, flags: ['OR'] },
            { testString: '%{HTTP_USER_AGENT}', pattern: '^(Android)', flags: '[NC]' },
          ],
          flags: ['L'],
        },
      ],
      '/x',
      'pass', // the default user agent of the helper is none: neither condition holds
    ],
  ])('%s', (_what, rules, target, expected) => {
    expect(serverOutcome(compileTyped(rules), target)).toBe(expected);
  });

  test('the conditions of a typed rule see the request', () => {
    const rules = compileTyped([
      {
        pattern: '^/(.*)',
        substitution: '/m/%1/$1',
        conditions: [{ testString: '%{HTTP_USER_AGENT}', pattern: '^(iphone)', flags: ['NC'] }],
      },
    ]);
    expect(serverOutcome(rules, '/x', { 'user-agent': 'iPhone OS' })).toBe('rewrite /m/iPhone/x');
  });
});

describe('compileTyped: malformed rules are ERR_TYPED_RULE at rules[i]', () => {
  test.each<[string, unknown[], number, string]>([
    ['not an object', [42], 1, 'rules[0]: a typed rule must be an object'],
    ['neither pattern nor path', [{ substitution: '/x' }], 1, 'needs a `pattern` or a `path`'],
    ['both', [{ pattern: '^/', path: '/a', substitution: '/x' }], 1, 'not both'],
    ['no substitution', [{ pattern: '^/' }], 1, 'needs a `substitution` string'],
    ['bad flags', [{ pattern: '^/', substitution: '/x', flags: 3 }], 1, '`flags` must be'],
    [
      'a bad condition, second rule',
      [
        { pattern: '^/', substitution: '/x' },
        { pattern: '^/', substitution: '/y', conditions: [{ pattern: 'x' }] },
      ],
      2,
      'rules[1].conditions[0]: needs a `testString`',
    ],
    ['an invalid path', [{ path: '/a/:', substitution: '/x' }], 1, "rules[0]: invalid path '/a/:'"],
  ])('%s', (_what, rules, line, message) => {
    let error: unknown;
    try {
      compileTyped(rules as TypedRule[]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RewriteError);
    const problem = (error as RewriteError).problems?.[0] ?? (error as RewriteError);
    expect(problem).toMatchObject({ code: 'ERR_TYPED_RULE', line });
    expect(problem.message).toContain(message);
  });

  test.each([[undefined], ['RewriteRule ^/ /x'], [{}]])(
    'compileTyped(%j) is ERR_OPTIONS',
    (rules) => {
      expect(() => compileTyped(rules as never)).toThrow(
        expect.objectContaining({ code: 'ERR_OPTIONS' }),
      );
    },
  );

  test('a bad flag inside a typed rule is the same error as in text', () => {
    expect(() => compileTyped([{ pattern: '^/', substitution: '/x', flags: ['QSX'] }])).toThrow(
      "RewriteRule: unknown flag 'QSX'",
    );
  });
});
