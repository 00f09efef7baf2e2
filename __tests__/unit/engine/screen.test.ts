/**
 * lib/engine/screen.ts and lib/compile/pattern-shape.ts: rewrite() answers a request no rule
 * matches, and a plain [L] rewrite, without the engine. Whatever the screen answers must be what
 * evaluateServer answers: generated rule lists (short ones and ones long enough for the prefix
 * index) and requests, each compared with the engine's evaluation.
 */
import fc from 'fast-check';
import { compilePcre } from '../../../lib/compile/pcre';
import { compileText } from '../../../lib/compile/compile';
import { patternShape, shapeMatches } from '../../../lib/compile/pattern-shape';
import { UNTOUCHED } from '../../../lib/engine/context';
import { evaluateServer } from '../../../lib/engine/evaluate';
import type { Evaluation } from '../../../lib/engine/outcome';
import { parseTarget, type RequestView } from '../../../lib/engine/request';
import {
  ASK_ENGINE,
  buildScreen,
  NO_RULE_MATCHES,
  screenEvaluation,
  screenServer,
} from '../../../lib/engine/screen';
import type { FsView } from '../../../lib/engine/state';
import { FUZZ_SEED } from '../../fuzz/support/config';
import { requestView } from '../../helpers/evaluate';

/** FUZZ_SEED (the fuzz suites' variable) varies the generated inputs. */
const SEED = FUZZ_SEED;

describe('pattern shapes answer what the regex answers', () => {
  const PATTERNS = [
    '^/(.*)$',
    '^/a/(.*)$',
    '^/a/.*',
    '^/a',
    '^/a$',
    '^/a/$',
    '^/a\\.b$',
    '^example\\.com$',
    '^/k$',
    '^/a+$',
    '^/ab?$',
    '^/(.*)',
    '^/.*$',
    '\\.(bak|old)$',
    'a.b',
    'ab+c',
    'ab*c',
    '/a|/b',
    '^/a|/b',
    '^(?:/a)(.*)$',
    '^/a/(.*)\\Z',
    '^(?!/a)(.*)$',
    '^/ä$',
    '^$',
    '^',
    '',
  ];
  const subject = fc
    .array(fc.constantFrom('/', 'a', 'A', 'b', 'B', 'k', 'K', '\u212a', '.', 'ä', '\n', 'c', 'x'), {
      maxLength: 8,
    })
    .map((chars) => chars.join(''));

  test.each(PATTERNS.flatMap((p) => [[p, false] as const, [p, true] as const]))(
    '%j (caseless %s)',
    (pattern, nocase) => {
      const re = compilePcre(pattern, nocase);
      const shape = patternShape(re);
      fc.assert(
        fc.property(subject, (s) => {
          re.lastIndex = 0;
          expect(shapeMatches(shape, s)).toBe(re.test(s));
        }),
        { seed: SEED, numRuns: 400 },
      );
    },
  );

  test('the commonest shapes are recognised (else the screen gains nothing)', () => {
    const kind = (p: string, nocase = false) => patternShape(compilePcre(p, nocase)).kind;
    expect(kind('^/(.*)$')).toBe('prefix');
    expect(kind('^/wp-admin')).toBe('prefix');
    expect(kind('^example\\.com$', true)).toBe('exact');
    expect(kind('\\.(bak|old|orig|swp)$')).toBe('contains');
    // a multiline-free `$` without dotAll `.*` is no prefix: `.` stops at a newline
    expect(kind('^/a/(\\d+)$')).toBe('regex');
    expect(kind('^/a/(.*)\\Z')).toBe('regex');
  });
});

const PATTERNS = [
  '^/(.*)$',
  '^/a/(.*)$',
  '^/a/(\\d+)$',
  '^/b$',
  '\\.(bak|old)$',
  '!^/a',
  '^/(a|b)/(.*)',
  '^/x/.*',
  '^(.*)$',
  '/c/',
  '^/ä/(.*)$',
  '^/a/(.*)\\Z',
  '^(?!/a)(.*)$',
  '^/k$',
];
const SUBSTITUTIONS = [
  '/t/$1',
  '/t?q=$1',
  '/t/$1?',
  '/$1',
  '//$1',
  '-',
  'http://example.com/$1',
  't/$1',
  '/usr/$1',
  '/t/$2',
  '/t/%1',
  '/t/%{HTTP_HOST}',
  '/t?x=$1&',
  '/a\\ b',
  '/usr?x=$1',
  '/usr',
  '/u$1/x',
  '/t?a/b=$1',
  '/usr/x?a=$1?b',
  '/us?r/$1',
  'http://127.0.0.1:8000$1',
  'http://b.example/x/$1?y=1',
  'https://h$1?',
  'http://h:70000/$1',
  'HTTP://h/a b/$1',
  '/t?$1',
  '/t?&x=$1&',
  '/t/$1?y=$1',
];
const FLAGS = [
  '',
  '[L]',
  '[L,QSA]',
  '[L,QSD]',
  '[L,NC]',
  '[R=301,L]',
  '[F]',
  '[C]',
  '[S=1]',
  '[L,B]',
  '[END]',
  '[PT,L]',
  '[L,E=X:1]',
  '[L,QSL]',
  '[L,NS]',
  '[L,UnsafeAllow3F]',
  '[L,T=text/plain]',
  '[P]',
  '[P,QSA]',
  '[P,NE]',
  '[P,L]',
  '[P,QSD]',
];
const CONDITIONS = [
  '%{HTTP_HOST} ^example\\.com$ [NC]',
  '%{HTTP_HOST} !^www\\.',
  '%{HTTP_HOST} =example.com',
  '%{HTTP_HOST} (.+)',
  '%{HTTP:X-A} ^1$',
  '%{HTTP_USER_AGENT} (iPhone|Android) [NC]',
  '%{QUERY_STRING} a=',
  '%{HTTP_HOST} ^a [OR]',
  '%{HTTP:X-A} ^$',
  '%{HTTP_HOST} >m',
  '%{HTTP:Constructor} ^$',
];

const ruleText = fc
  .tuple(
    fc.array(fc.constantFrom(...CONDITIONS), { maxLength: 2 }),
    fc.constantFrom(...PATTERNS),
    fc.constantFrom(...SUBSTITUTIONS),
    fc.constantFrom(...FLAGS),
  )
  .map(([conds, pattern, sub, flags]) =>
    [...conds.map((c) => `RewriteCond ${c}`), `RewriteRule ${pattern} ${sub} ${flags}`].join('\n'),
  );

/** Up to 24 rules: from 16 on, the screen walks the prefix index's candidates. */
const ruleList = fc
  .array(ruleText, { minLength: 1, maxLength: 24 })
  .map((rules) => `RewriteEngine on\n${rules.join('\n')}\n`);

/** A rule whose substitution and flags the screen may apply itself ([L] local, or [P]). */
const directRuleText = fc
  .tuple(
    fc.array(fc.constantFrom(...CONDITIONS), { maxLength: 1 }),
    fc.constantFrom(...PATTERNS),
    fc.oneof(
      fc.tuple(
        fc.constantFrom(...SUBSTITUTIONS.filter((sub) => sub.startsWith('/'))),
        fc.constantFrom('[L]', '[L,QSA]', '[L,QSD]', '[L,QSL]', '[L,NS]'),
      ),
      fc.tuple(
        fc.constantFrom(...SUBSTITUTIONS.filter((sub) => /^https?:/i.test(sub))),
        fc.constantFrom('[P]', '[P,QSA]', '[P,QSD]', '[P,L]', '[P,NE]', '[P,QSL]'),
      ),
    ),
  )
  .map(([conds, pattern, [sub, flags]]) =>
    [...conds.map((c) => `RewriteCond ${c}`), `RewriteRule ${pattern} ${sub} ${flags}`].join('\n'),
  );

/** Up to 3 rules, half of them direct: the screen's own answers, more often. */
const shortRuleList = fc
  .array(fc.oneof(ruleText, directRuleText), { minLength: 1, maxLength: 3 })
  .map((rules) => `RewriteEngine on\n${rules.join('\n')}\n`);

const request: fc.Arbitrary<GeneratedRequest> = fc.record({
  path: fc
    .array(
      fc.constantFrom(
        '/',
        'a',
        'b',
        'c',
        'x',
        'k',
        'K',
        'ä',
        '.bak',
        '%3F',
        '1',
        '23',
        '//',
        '%20',
      ),
      {
        minLength: 1,
        maxLength: 5,
      },
    )
    .map((parts) => `/${parts.join('')}`),
  query: fc.constantFrom(null, 'q=1', 'a=1&b', ''),
  host: fc.constantFrom('example.com', 'EXAMPLE.COM', 'www.example.com', 'a.b', undefined),
  xa: fc.constantFrom('1', '', undefined, ['1', '2']),
  agent: fc.constantFrom('iPhone', 'curl', undefined),
});

interface GeneratedRequest {
  readonly path: string;
  readonly query: string | null;
  readonly host: string | undefined;
  readonly xa: string | string[] | undefined;
  readonly agent: string | undefined;
}

/** The engine's view of the request, with exactly the headers the screen read (no default Host). */
function viewOf(target: string, headers: RequestView['headers']): RequestView {
  return { ...requestView(target), headers };
}

/** A filesystem where `/usr` exists (prefix_stat then makes the engine decide). */
const fs: FsView = {
  stat: (path) =>
    path === '/usr'
      ? { isFile: () => false, isDirectory: () => true, size: 0, mode: 0o755 }
      : undefined,
  lstat: () => undefined,
};

/** How often each answer was given (each must be, for the comparison to mean something). */
interface Seen {
  none: number;
  direct: number;
  proxy: number;
  engine: number;
}

/** One generated rule list and request: the screen's answer against the engine's evaluation. */
function compareWithEngine(text: string, r: GeneratedRequest, seen: Seen): void {
  let ruleSet;
  try {
    ruleSet = compileText(text, { context: 'server' });
  } catch {
    return; // a combination Apache refuses too ([C] on the last rule and such)
  }
  const target = r.query === null ? r.path : `${r.path}?${r.query}`;
  const parsed = parseTarget(target);
  if (parsed.type === 'refused') return;
  const headers: Record<string, string | string[]> = {};
  if (r.host !== undefined) headers.host = r.host;
  if (r.xa !== undefined) headers['x-a'] = r.xa;
  if (r.agent !== undefined) headers['user-agent'] = r.agent;
  const screen = buildScreen(ruleSet, { fs, direct: true });
  if (screen === undefined) throw new Error('the generated rule sets turn the engine on');
  const answer = screenServer(screen, parsed.uri, parsed.args, headers);
  // site()'s form: the same decision, always as an Evaluation
  const screened = screenEvaluation(screen, parsed.uri, parsed.args, headers);
  expect(screened === ASK_ENGINE).toBe(answer === ASK_ENGINE);
  // the generated walk (engine/screen-code.ts) and the generic one answer alike
  expect(screen.code.answer).toBeDefined();
  const generic = buildScreen(ruleSet, { fs, direct: true, generated: false })!;
  expect(generic.code.answer).toBeUndefined();
  expect(screenServer(generic, parsed.uri, parsed.args, headers)).toEqual(answer);
  expect(screenEvaluation(generic, parsed.uri, parsed.args, headers)).toEqual(screened);
  if (answer === ASK_ENGINE) {
    seen.engine++;
    return;
  }
  const evaluation = evaluateServer(ruleSet, {
    view: viewOf(target, headers),
    server: { documentRoot: '/srv/www', serverName: 'www.example.com' },
    uri: parsed.uri,
    args: parsed.args,
    fs,
  }) as Evaluation;
  if (answer === NO_RULE_MATCHES) {
    seen.none++;
    expect(evaluation).toBe(UNTOUCHED);
    expect(screened).toBe(UNTOUCHED);
    return;
  }
  expect(evaluation.effects).toBe(UNTOUCHED.effects);
  expect(screened).toEqual(evaluation);
  if (typeof answer !== 'string') {
    seen.proxy++;
    expect(answer).toEqual(evaluation);
    return;
  }
  seen.direct++;
  expect(evaluation.outcome).toMatchObject({ type: 'rewrite', url: answer });
  expect(evaluation.outcome).not.toHaveProperty('passThrough');
}

describe('screenServer answers what evaluateServer answers', () => {
  test.each([
    [
      'up to 24 rules (the prefix index from 16 on)',
      ruleList,
      { none: 200, direct: 60, proxy: 10 },
    ],
    ['up to 3 rules (more direct answers)', shortRuleList, { none: 200, direct: 80, proxy: 60 }],
  ])('generated rule lists and requests: %s', (_name, rules, least) => {
    const seen: Seen = { none: 0, direct: 0, proxy: 0, engine: 0 };
    fc.assert(
      fc.property(rules, request, (text, r) => compareWithEngine(text, r, seen)),
      { seed: SEED, numRuns: 4000 },
    );
    if (process.env.SCREEN_COUNTS) console.log(seen);
    expect(seen.none).toBeGreaterThan(least.none);
    expect(seen.direct).toBeGreaterThan(least.direct);
    expect(seen.proxy).toBeGreaterThan(least.proxy);
    expect(seen.engine).toBeGreaterThan(200);
  });

  test('RewriteEngine off has no screen: the engine answers', () => {
    const rules = compileText('RewriteEngine off\nRewriteRule ^/a$ /b [L]\n', {
      context: 'server',
    });
    expect(buildScreen(rules, { fs, direct: true })).toBeUndefined();
  });

  test('without direct answers, a rewrite is left to the engine', () => {
    const rules = compileText('RewriteEngine on\nRewriteRule ^/a/(.*)$ /b?x=$1 [L]\n', {
      context: 'server',
    });
    const screen = buildScreen(rules, { fs, direct: false })!;
    expect(screenServer(screen, '/a/7', null, {})).toBe(ASK_ENGINE);
    expect(screenServer(screen, '/c', null, {})).toBe(NO_RULE_MATCHES);
    const direct = buildScreen(rules, { fs, direct: true })!;
    expect(screenServer(direct, '/a/7', 'y=1', {})).toBe('/b?x=7');
  });
});
