/**
 * explain()'s structured trace, event by event: rules with positions and the subject they saw
 * (per-directory prefix stripped), captures, conditions with their expanded input, [OR]/[NC],
 * [C]/[S]/[N], END against L, internal redirect rounds, env and cookies, and why processing
 * stopped; plus the text lines the middlewares print, rendered from the same events.
 */
import { explainSync, type ExplainSource, type ExplainRequest } from '../../../lib/explain/core';
import type { TraceEvent } from '../../../lib/engine/trace';

type Pick = (events: readonly TraceEvent[]) => unknown;

const of =
  <T extends TraceEvent['type']>(
    type: T,
    fields: (e: Extract<TraceEvent, { type: T }>) => unknown,
  ) =>
  (events: readonly TraceEvent[]) =>
    events
      .filter((e): e is Extract<TraceEvent, { type: T }> => e.type === type)
      .map((e) => fields(e));

const DIR = (rules: string, directory = '/'): ExplainSource => ({
  rules,
  context: 'directory',
  directory,
  file: '.htaccess',
});

const CASES: [string, ExplainSource, ExplainRequest, Pick, unknown][] = [
  [
    'server: the subject is the URL-path; captures are $0..$N',
    { rules: 'RewriteRule ^/old/(\\w+)/(\\d+)?$ /new/$1' },
    { url: '/old/ab/' },
    of('rule', (e) => [e.subject, e.matched, e.captures, e.perdir, e.pos]),
    [['/old/ab/', true, ['/old/ab/', 'ab', null], null, { file: undefined, line: 1, column: 1 }]],
  ],
  [
    'directory: the prefix is stripped from the subject and re-added to the result',
    DIR('RewriteRule ^post/(\\d+)$ index.php?p=$1 [L]', '/blog'),
    { url: '/blog/post/7' },
    of('rule', (e) => [e.path, e.perdir, e.subject]),
    [
      ['/var/www/html/blog/post/7', '/var/www/html/blog/', 'post/7'],
      // the round after the internal redirect sees the new path, stripped the same way
      ['/var/www/html/blog/index.php', '/var/www/html/blog/', 'index.php'],
    ],
  ],
  [
    'conditions: expanded input, pattern, [NC], [OR], %N captures',
    {
      rules: [
        'RewriteCond %{HTTP_HOST} ^(www)\\.example\\.(com)$ [NC,OR]',
        'RewriteCond %{HTTP_HOST} =never',
        'RewriteRule ^/ /%2 [L]',
      ].join('\n'),
    },
    { url: '/x', headers: { Host: 'WWW.Example.com' } },
    of('cond', (e) => [e.input, e.pattern, e.nocase, e.ornext, e.matched, e.captures, e.pos.line]),
    [
      [
        'WWW.Example.com',
        '^(www)\\.example\\.(com)$',
        true,
        true,
        true,
        ['WWW.Example.com', 'WWW', 'com'],
        1,
      ],
    ],
  ],
  [
    'a failed condition skips the rule',
    { rules: 'RewriteCond %{QUERY_STRING} ^a=1$\nRewriteRule ^/x /y' },
    { url: '/x?a=2' },
    (ev) => ev.map((e) => e.type),
    ['pass', 'rule', 'cond', 'conditions-failed', 'stop', 'outcome'],
  ],
  [
    '[C]: a chain member that fails skips the rest of the chain',
    {
      rules:
        'RewriteRule ^/a /b [C]\nRewriteRule ^/b /c [C]\nRewriteRule ^/c /d\nRewriteRule ^/x /y',
    },
    { url: '/x' },
    of('skip', (e) => [e.reason, e.count, e.pos.line]),
    [['chain', 2, 1]],
  ],
  [
    '[S=2]: the next two rules are skipped',
    { rules: 'RewriteRule ^/a - [S=2]\nRewriteRule ^ /b\nRewriteRule ^ /c\nRewriteRule ^/a$ /d' },
    { url: '/a' },
    of('skip', (e) => [e.reason, e.count, e.pos.line]),
    [['skip', 2, 1]],
  ],
  [
    '[N]: the rules start again, round by round',
    { rules: 'RewriteRule ^/(.*)-(.*)$ /$1_$2 [N]' },
    { url: '/a-b-c' },
    of('next', (e) => e.round),
    [2, 3],
  ],
  [
    'L in directory context: the rules run again after the internal redirect',
    DIR('RewriteRule ^a$ b [L]\nRewriteRule ^b$ c [L]'),
    { url: '/a' },
    (ev) => [of('internal-redirect', (e) => e.url)(ev), of('pass', (e) => e.redirected)(ev)],
    [
      ['/b', '/c'],
      [false, true, true],
    ],
  ],
  [
    'END in directory context: the round after the internal redirect declines',
    DIR('RewriteRule ^a$ b [END]\nRewriteRule ^b$ c [L]'),
    { url: '/a' },
    of('stop', (e) => e.reason),
    ['end', 'end-earlier'],
  ],
  [
    'stop reasons: [F] is a status',
    { rules: 'RewriteRule ^/secret - [F]' },
    { url: '/secret' },
    of('stop', (e) => [e.reason, e.pos?.line]),
    [['status', 1]],
  ],
  [
    'stop reasons: [P] and [PT]',
    { rules: 'RewriteRule ^/api/(.*) http://127.0.0.1:3000/$1 [P]\nRewriteRule ^/pt /x [PT]' },
    { url: '/api/v' },
    of('stop', (e) => e.reason),
    ['proxy'],
  ],
  [
    'stop reasons: outside the rules\u2019 directory',
    DIR('RewriteRule ^ - [F]', '/blog'),
    { url: '/shop/1' },
    of('stop', (e) => e.reason),
    ['outside-directory'],
  ],
  [
    'stop reasons: RewriteEngine off',
    { rules: 'RewriteEngine off\nRewriteRule ^ - [F]' },
    { url: '/x' },
    of('stop', (e) => e.reason),
    ['engine-off'],
  ],
  [
    'E= and CO=: env and cookie events',
    { rules: 'RewriteRule ^/ - [E=A:1,E=!B,CO=seen:1:example.com]' },
    { url: '/' },
    (ev) => [of('env', (e) => [e.name, e.value])(ev), of('cookie', (e) => e.value)(ev)],
    [
      [
        ['A', '1'],
        ['B', null],
      ],
      ['seen=1; path=/; domain=example.com'],
    ],
  ],
  [
    'the substitution: template, expansion, per-dir prefix added, query split',
    DIR('RewriteBase /\nRewriteRule ^(.*)$ index.php?q=$1 [L]'),
    { url: '/x', files: { 'index.php': '' } },
    (ev) =>
      of('substitution', (e) => [e.template, e.result, e.filename, e.args, e.prefixAdded])(ev)[0],
    ['index.php?q=$1', 'index.php?q=x', '/var/www/html/index.php', 'q=x', '/var/www/html/'],
  ],
];

test.each(CASES)('%s', (_name, source, request, pick, expected) => {
  expect(pick(explainSync(source, request).trace)).toEqual(expected);
});

describe('the result', () => {
  test.each<[string, ExplainSource, ExplainRequest, Record<string, unknown>]>([
    [
      'redirect with the rule that matched and why it stopped',
      { rules: 'RewriteRule ^/old$ /new [R=301,L]', file: 'site.conf' },
      { url: 'http://example.com/old' },
      {
        summary: 'redirect 301 to http://example.com/new',
        matched: true,
        matchedRules: [{ file: 'site.conf', line: 1, column: 1 }],
        stop: { reason: 'last', pos: { file: 'site.conf', line: 1, column: 1 } },
      },
    ],
    [
      'no rule matched',
      { rules: 'RewriteRule ^/old$ /new' },
      { url: '/other' },
      { summary: 'pass through (nothing rewritten)', matched: false, matchedRules: [] },
    ],
    [
      'internal redirects counted, REDIRECT_ env',
      DIR('RewriteRule ^a$ b [E=FOO:1]'),
      { url: '/a' },
      { internalRedirects: 1, env: { REDIRECT_FOO: '1', REDIRECT_STATUS: '200' } },
    ],
    [
      'Vary from a header condition, Set-Cookie from CO=',
      {
        rules:
          'RewriteCond %{HTTP:Accept-Language} ^de\nRewriteRule ^/$ /de/ [CO=lang:de:example.com]',
      },
      { url: '/', headers: { 'Accept-Language': 'de' } },
      {
        headers: [
          ['Set-Cookie', 'lang=de; path=/; domain=example.com'],
          ['Vary', 'Accept-Language'],
        ],
      },
    ],
  ])('%s', (_name, source, request, expected) => {
    expect(explainSync(source, request)).toMatchObject(expected);
  });

  test('the text lines are the events rendered, with positions and the result', () => {
    const r = explainSync(
      { rules: 'RewriteCond %{HTTP_HOST} ^a\\.example$\nRewriteRule ^/x$ /y [L]', file: 'r.conf' },
      { url: 'http://a.example/x' },
    );
    expect(r.lines).toEqual([
      "server-context pass for uri '/x'",
      "r.conf:2:1: applying pattern '^/x$' to uri '/x'",
      "r.conf:1:1: RewriteCond: input='a.example' pattern='^a\\.example$' => matched",
      "r.conf:2:1: rewrite '/y' -> '/y'",
      'r.conf:2:1: stopped: [L]',
      'result: rewritten to /y',
    ]);
  });

  test('every rule is listed, tried or not, with its conditions and flags', () => {
    const r = explainSync(
      { rules: 'RewriteRule ^/a$ - [F]\nRewriteCond %{HTTPS} off\nRewriteRule ^/b$ /c [R=301,L]' },
      '/a',
    );
    expect(r.rules).toEqual([
      {
        pos: { line: 1, column: 1 },
        pattern: '^/a$',
        substitution: '-',
        flags: ['F'],
        conditions: [],
      },
      {
        pos: { line: 3, column: 1 },
        pattern: '^/b$',
        substitution: '/c',
        flags: ['R=301', 'L'],
        conditions: [{ line: 2, column: 1 }],
      },
    ]);
  });

  test('a synchronous explain refuses an asynchronous map', () => {
    const source: ExplainSource = {
      rules: 'RewriteRule ^/(.*) /${slow:$1}',
      maps: { slow: async (k: string) => k.toUpperCase() },
    };
    expect(() => explainSync(source, '/a')).toThrow(/asynchronously/);
  });
});

test('an asynchronous map: explainRules waits, and the trace is the last attempt only', async () => {
  const { explainRules } = await import('../../../lib/explain/core.js');
  const r = await explainRules(
    {
      rules: 'RewriteRule ^/u/(.*) /${upper:$1} [L]',
      maps: { upper: async (k: string) => k.toUpperCase() },
    },
    '/u/abc',
  );
  expect(r.summary).toBe('rewritten to /ABC');
  expect(r.trace.filter((e) => e.type === 'pass')).toHaveLength(1);
  expect(r.trace.filter((e) => e.type === 'map')).toEqual([
    { type: 'map', map: 'upper', key: 'abc', value: 'ABC' },
  ]);
});
