/**
 * lib/lint: every check has rows with rules that trip it (and where) and rules that must not.
 * The expectations about Apache's behaviour are cited in the checks (recorded cases, httpd source).
 */
import { lintSync } from '../../../lib/lint/lint';
import { LINT_RULES, type LintCode, type LintSeverity } from '../../../lib/lint/rules';

type Context = 'server' | 'directory';

interface Row {
  readonly why: string;
  readonly code: LintCode;
  readonly context: Context;
  readonly rules: string;
  /** Where the finding is (line:column); undefined: the rules must NOT trip the code. */
  readonly at?: string;
  readonly severity?: LintSeverity;
  readonly hint?: RegExp;
  readonly message?: RegExp;
}

const ON = 'RewriteEngine On\n';
const WORDPRESS =
  ON +
  'RewriteBase /\nRewriteRule ^index\\.php$ - [L]\nRewriteCond %{REQUEST_FILENAME} !-f\nRewriteCond %{REQUEST_FILENAME} !-d\nRewriteRule . /index.php [L]\n';

const trips = (
  code: LintCode,
  why: string,
  context: Context,
  rules: string,
  at: string,
  more: Partial<Row> = {},
): Row => ({ code, why, context, rules, at, ...more });
const passes = (code: LintCode, why: string, context: Context, rules: string): Row => ({
  code,
  why,
  context,
  rules,
});

const ROWS: readonly Row[] = [
  trips('MR001', 'an unknown flag', 'directory', ON + 'RewriteRule ^a$ b [XYZ]', '2:20', {
    message: /unknown flag 'XYZ' \(ERR_UNKNOWN_FLAG\)/,
  }),
  passes('MR001', 'a rule that loads', 'directory', ON + 'RewriteRule ^a$ b [L]'),
  trips(
    'MR002',
    'a directive without effect',
    'directory',
    'AddOutputFilterByType DEFLATE text/html',
    '1:1',
    {
      message: /WARN_NO_EFFECT/,
    },
  ),
  passes('MR002', 'rewrite rules only', 'directory', ON + 'RewriteRule ^a$ b'),
  trips('MR102', '^/ in an .htaccess', 'directory', ON + 'RewriteRule ^/old$ /new [L]', '2:13', {
    severity: 'error',
    hint: /'\^old\$'/,
  }),
  trips('MR102', '^\\/ in an .htaccess', 'directory', ON + 'RewriteRule ^\\/old$ /new [L]', '2:13'),
  passes('MR102', 'an optional slash', 'directory', ON + 'RewriteRule ^/?old$ /new [L]'),
  passes('MR102', 'no slash', 'directory', ON + 'RewriteRule ^old$ /new [L]'),
  passes('MR102', 'a negated pattern', 'directory', ON + 'RewriteRule !^/x - [F]'),
  passes('MR102', 'a top-level alternative', 'directory', ON + 'RewriteRule ^/x|y$ - [F]'),
  passes('MR102', 'server context', 'server', ON + 'RewriteRule ^/old$ /new [L]'),
  trips(
    'MR103',
    'no slash in server context',
    'server',
    ON + 'RewriteRule ^old$ /new [L]',
    '2:13',
    {
      hint: /'\^\/old\$'/,
    },
  ),
  trips('MR103', '^$ in server context', 'server', ON + 'RewriteRule ^$ /home [L]', '2:13'),
  passes('MR103', 'an optional slash', 'server', ON + 'RewriteRule ^/?old$ /new [L]'),
  passes('MR103', 'a group first', 'server', ON + 'RewriteRule ^(.*)$ /x$1 [L]'),
  passes('MR103', 'directory context', 'directory', ON + 'RewriteRule ^old$ /new [L]'),
  trips(
    'MR201',
    'after an unconditional [L] catch-all',
    'directory',
    ON + 'RewriteRule ^ index.php [L]\nRewriteRule ^a$ b [L]',
    '3:1',
    {
      message: /catch-all at line 2/,
    },
  ),
  trips(
    'MR201',
    'after [F] on .*',
    'server',
    ON + 'RewriteRule .* - [F]\nRewriteRule ^/a$ /b',
    '3:1',
  ),
  trips(
    'MR201',
    'after a [P] catch-all',
    'server',
    ON + 'RewriteRule ^/(.*)$ http://127.0.0.1:9/$1 [P]\nRewriteRule ^/a$ /b',
    '3:1',
  ),
  passes(
    'MR201',
    'the catch-all has conditions',
    'directory',
    ON + 'RewriteCond %{REQUEST_FILENAME} !-f\nRewriteRule ^ index.php [L]\nRewriteRule ^a$ b [L]',
  ),
  passes(
    'MR201',
    'a lookahead excludes what the rules after it take (real-world EspoCRM)',
    'directory',
    ON + 'RewriteRule ^((?!public/).*)$ public/$1 [L,NC]\nRewriteRule .* - [E=X:1]',
  ),
  passes(
    'MR201',
    'the catch-all does not stop',
    'directory',
    ON + 'RewriteRule ^(.*)$ $1 [E=X:1]\nRewriteRule ^a$ b [L]',
  ),
  passes(
    'MR201',
    'an earlier [S=1] jumps over it',
    'directory',
    ON + 'RewriteRule ^x$ - [S=1]\nRewriteRule ^ index.php [L]\nRewriteRule ^a$ b [L]',
  ),
  passes(
    'MR201',
    'not every URL',
    'directory',
    ON + 'RewriteRule ^a ix.php [L]\nRewriteRule ^b$ c [L]',
  ),
  passes('MR201', 'WordPress', 'directory', WORDPRESS),
  trips('MR202', '[C] on the last rule', 'directory', ON + 'RewriteRule ^a$ b [C]', '2:20'),
  passes(
    'MR202',
    '[C] with a next rule',
    'directory',
    ON + 'RewriteRule ^a$ b [C]\nRewriteRule ^b$ c',
  ),
  trips('MR203', '%1 without any condition', 'directory', ON + 'RewriteRule ^a$ b?x=%1', '2:21', {
    hint: /write \$1/,
  }),
  trips(
    'MR203',
    '%1 after a condition without groups',
    'directory',
    ON + 'RewriteCond %{HTTP_HOST} ^www\\.\nRewriteRule ^a$ /%1 [L]',
    '3:18',
  ),
  trips(
    'MR203',
    '%1 after a negated condition only',
    'directory',
    ON + 'RewriteCond %{HTTP_HOST} !^(www)\\.\nRewriteRule ^a$ /%1 [L]',
    '3:18',
  ),
  trips(
    'MR203',
    '%2 in a later condition',
    'directory',
    ON + 'RewriteCond %{HTTP_HOST} ^(www)\\.\nRewriteCond %2 ^x\nRewriteRule ^a$ b',
    '3:13',
  ),
  passes(
    'MR203',
    'a capturing condition',
    'directory',
    ON + 'RewriteCond %{HTTP_HOST} ^(www)\\.(.+)$\nRewriteRule ^a$ http://%2/ [R=301,L]',
  ),
  trips('MR204', '$2 with one group', 'directory', ON + 'RewriteRule ^(a)$ /x/$2 [L]', '2:22'),
  trips(
    'MR204',
    '$1 with a negated pattern',
    'directory',
    ON + 'RewriteRule !^(a)$ /x/$1 [L]',
    '2:23',
    {
      message: /negated pattern/,
    },
  ),
  trips(
    'MR204',
    '$1 in a condition',
    'directory',
    ON + 'RewriteCond $1 !^index\nRewriteRule ^a$ b [L]',
    '2:13',
  ),
  passes('MR204', 'groups enough', 'directory', ON + 'RewriteRule ^(a)/(b)$ /$2/$1 [L]'),
  passes('MR204', '$0', 'directory', ON + 'RewriteRule ^a$ /x/$0 [L]'),
  trips(
    'MR301',
    'a path that grows each round',
    'directory',
    ON + 'RewriteRule ^(.*)$ index.php/$1 [L]',
    '2:1',
    {
      message: /'foo' → 'index\.php\/foo' → 'index\.php\/index\.php\/foo'/,
    },
  ),
  trips(
    'MR301',
    'a condition on the host does not stop it',
    'directory',
    ON + 'RewriteCond %{HTTP_HOST} ^example\nRewriteRule ^(.*)$ app/$1 [L]',
    '3:1',
    { severity: 'info', message: /unless app\/ has an \.htaccess of its own/ },
  ),
  trips(
    'MR301',
    'THE_REQUEST does not change between rounds',
    'directory',
    ON + 'RewriteCond %{THE_REQUEST} \\s/+(.*)\\s\nRewriteRule ^(.*)$ index.php/$1 [L]',
    '3:1',
  ),
  passes(
    'MR301',
    'a rewrite to the same file is ignored by Apache (no loop)',
    'directory',
    ON + 'RewriteRule ^(.*)$ index.php [L]',
  ),
  passes(
    'MR301',
    'the query string is no part of the file',
    'directory',
    ON + 'RewriteRule ^(.*)$ index.php?q=$1 [L]',
  ),
  passes(
    'MR301',
    'a -f condition stops it',
    'directory',
    ON + 'RewriteCond %{REQUEST_FILENAME} !-f\nRewriteRule ^(.*)$ index.php/$1 [L]',
  ),
  passes(
    'MR301',
    'a $1 guard stops it',
    'directory',
    ON + 'RewriteCond $1 !^index\\.php\nRewriteRule ^(.*)$ index.php/$1 [L]',
  ),
  passes(
    'MR301',
    'an earlier - [L] stops it',
    'directory',
    ON + 'RewriteRule ^index\\.php - [L]\nRewriteRule ^(.*)$ index.php/$1 [L]',
  ),
  passes('MR301', '[END] stops it', 'directory', ON + 'RewriteRule ^(.*)$ index.php/$1 [END]'),
  passes(
    'MR301',
    'a redirect is no internal loop',
    'directory',
    ON + 'RewriteRule ^(.*)$ /x/$1 [R,L]',
  ),
  passes(
    'MR301',
    'server context has no rounds',
    'server',
    ON + 'RewriteRule ^/(.*)$ /index.php/$1 [L]',
  ),
  passes('MR301', 'WordPress', 'directory', WORDPRESS),
  trips(
    'MR302',
    '[R] without [L], with rules after it',
    'directory',
    ON + 'RewriteBase /\nRewriteRule ^a$ /b [R=301]\nRewriteRule ^c$ d',
    '3:20',
    {
      hint: /\[R=301,L\]/,
    },
  ),
  passes('MR302', '[R,L]', 'directory', ON + 'RewriteRule ^a$ /b [R=301,L]\nRewriteRule ^c$ d'),
  passes('MR302', 'the last rule', 'directory', ON + 'RewriteRule ^a$ /b [R=301]'),
  passes(
    'MR302',
    'R with a status that is no redirect',
    'directory',
    ON + 'RewriteRule ^a$ - [R=404]\nRewriteRule ^c$ d',
  ),
  trips(
    'MR303',
    'relative [R] without RewriteBase',
    'directory',
    ON + 'RewriteRule ^a$ b [R,L]',
    '2:17',
    {
      severity: 'error',
    },
  ),
  passes('MR303', 'with RewriteBase', 'directory', ON + 'RewriteBase /\nRewriteRule ^a$ b [R,L]'),
  passes('MR303', 'a URL-path', 'directory', ON + 'RewriteRule ^a$ /b [R,L]'),
  passes(
    'MR303',
    'an absolute URL',
    'directory',
    ON + 'RewriteRule ^a$ https://example.com/b [R,L]',
  ),
  passes('MR303', 'a variable first', 'directory', ON + 'RewriteRule ^a$ %{ENV:BASE}/b [R,L]'),
  passes('MR303', 'server context', 'server', ON + 'RewriteRule ^/a$ b [R,L]'),
  trips('MR304', 'QSA without ?', 'directory', ON + 'RewriteRule ^a$ index.php [QSA,L]', '2:28'),
  passes(
    'MR304',
    'a variable may bring the query',
    'directory',
    ON + 'RewriteRule ^a$ /x%{ENV:Q} [QSA,L]',
  ),
  passes(
    'MR304',
    'QSA with a query',
    'directory',
    ON + 'RewriteRule ^(.*)$ index.php?q=$1 [QSA,L]',
  ),
  trips(
    'MR305',
    'q=$1 rewritten again',
    'directory',
    ON + 'RewriteRule ^(.*)$ index.php?q=$1 [L]',
    '2:1',
    {
      message: /'foo' → 'index\.php\?q=foo', then 'index\.php' → 'index\.php\?q=index\.php'/,
    },
  ),
  passes(
    'MR305',
    'a -f guard',
    'directory',
    ON + 'RewriteCond %{REQUEST_FILENAME} !-f\nRewriteRule ^(.*)$ index.php?q=$1 [L]',
  ),
  passes('MR305', 'a constant query', 'directory', ON + 'RewriteRule ^(.*)$ index.php?page=1 [L]'),
  passes(
    'MR305',
    'QSA keeps the first query after the second',
    'directory',
    ON + 'RewriteRule ^(.*)$ index.php?q=$1 [QSA,L]',
  ),
  passes('MR305', 'WordPress', 'directory', WORDPRESS),
  trips(
    'MR401',
    'a typo',
    'directory',
    ON + 'RewriteCond %{REQUEST_FILNAME} !-f\nRewriteRule ^ index.php [L]',
    '2:13',
    {
      hint: /did you mean %\{REQUEST_FILENAME\}\?/,
    },
  ),
  trips(
    'MR401',
    'a header as a variable',
    'directory',
    ON +
      'RewriteCond %{HTTP_X_FORWARDED_PROTO} !https\nRewriteRule ^ https://%{HTTP_HOST}/ [R=301,L]',
    '2:13',
    {
      hint: /%\{HTTP:x-forwarded-proto\}/,
    },
  ),
  trips('MR401', 'an unknown prefix', 'directory', ON + 'RewriteRule ^a$ /b?%{EVN:X} [L]', '2:20', {
    hint: /%\{ENV:X\}/,
  }),
  passes(
    'MR401',
    'lower case is fine (Apache upper-cases)',
    'directory',
    ON + 'RewriteCond %{request_uri} ^/a\nRewriteRule ^ - [F]',
  ),
  passes(
    'MR401',
    'prefixed names',
    'directory',
    ON +
      'RewriteCond %{HTTP:X-Forwarded-Proto}%{ENV:REDIRECT_STATUS}%{SSL:SSL_PROTOCOL}%{LA-U:REMOTE_USER} ^x\nRewriteRule ^ - [F]',
  ),
  trips(
    'MR402',
    '-f on REQUEST_URI',
    'directory',
    ON + 'RewriteCond %{REQUEST_URI} !-f\nRewriteRule ^ index.php [L]',
    '2:28',
  ),
  trips(
    'MR402',
    '-f on REQUEST_FILENAME in server context',
    'server',
    ON + 'RewriteCond %{REQUEST_FILENAME} !-f\nRewriteRule ^ /index.php [L]',
    '2:33',
    {
      hint: /DOCUMENT_ROOT/,
    },
  ),
  passes(
    'MR402',
    'REQUEST_FILENAME in an .htaccess',
    'directory',
    ON + 'RewriteCond %{REQUEST_FILENAME} !-f\nRewriteRule ^ index.php [L]',
  ),
  passes(
    'MR402',
    'DOCUMENT_ROOT and REQUEST_URI in server context',
    'server',
    ON + 'RewriteCond %{DOCUMENT_ROOT}%{REQUEST_URI} !-f\nRewriteRule ^ /index.php [L]',
  ),
  trips(
    'MR403',
    '[P]',
    'directory',
    ON + 'RewriteRule ^api/(.*)$ http://127.0.0.1:9/$1 [P]',
    '2:46',
    {
      severity: 'info',
    },
  ),
  passes('MR403', 'no [P]', 'directory', ON + 'RewriteRule ^api/(.*)$ /v1/$1 [L]'),
  trips('MR404', 'no RewriteEngine in an .htaccess', 'directory', 'RewriteRule ^a$ b', '1:1', {
    severity: 'warning',
  }),
  trips('MR404', 'no RewriteEngine in server context', 'server', 'RewriteRule ^/a$ /b', '1:1', {
    severity: 'info',
  }),
  trips('MR404', 'RewriteEngine Off', 'directory', 'RewriteEngine Off\nRewriteRule ^a$ b', '1:1', {
    severity: 'info',
  }),
  passes('MR404', 'RewriteEngine On', 'directory', ON + 'RewriteRule ^a$ b'),
  passes('MR404', 'no rules', 'directory', 'RewriteEngine Off\n'),
  // context-dependent rows: what the corpus of recorded cases taught (cited in the checks)
  passes(
    'MR102',
    'after a rule that may leave a URL-path',
    'directory',
    ON + 'RewriteRule ^a$ /b\nRewriteRule ^/b$ c [L]',
  ),
  passes(
    'MR103',
    'after an [R] without [L] the subject is a URL',
    'server',
    ON + 'RewriteRule ^/cont$ /b [R]\nRewriteRule ^http://[^/]+/b$ http://www.example.com/c [R,L]',
  ),
  passes(
    'MR203',
    'an expr condition with =~ captures',
    'directory',
    ON + 'RewriteCond expr "%{QUERY_STRING} =~ /^id=(\\d+)$/"\nRewriteRule ^a$ /r?got=%1 [L]',
  ),
  trips(
    'MR203',
    '%20 meant as a URL escape',
    'server',
    ON + 'RewriteRule ^/a$ http://x.example/x?a=b%20c [R,L]',
    '2:40',
    {
      hint: /escape the percent sign: \\%20/,
    },
  ),
  trips(
    'MR305',
    'a URL-path under RewriteBase',
    'directory',
    ON + 'RewriteBase /\nRewriteRule ^(.*)$ /index.php?q=$1 [L]',
    '3:1',
  ),
  passes(
    'MR305',
    'a URL-path without RewriteBase: the directory is unknown',
    'directory',
    ON + 'RewriteRule ^(.*)$ /seen?v=$1 [L]',
  ),
  trips(
    'MR301',
    'a URL-path under RewriteBase',
    'directory',
    ON + 'RewriteBase /app/\nRewriteRule ^(.*)$ /app/index.php/$1 [L]',
    '3:1',
  ),
  passes(
    'MR302',
    '- redirects nowhere',
    'server',
    ON + 'RewriteRule ^/noop$ - [R=301]\nRewriteRule ^/c$ /d',
  ),
];

test.each(ROWS)('$code $why ($context)', (row) => {
  const found = lintSync(row.rules, { context: row.context }).diagnostics.filter(
    (d) => d.code === row.code,
  );
  if (row.at === undefined) {
    expect(found).toEqual([]);
    return;
  }
  expect(found.map((d) => `${d.line}:${d.column}`)).toContain(row.at);
  const d = found.find((f) => `${f.line}:${f.column}` === row.at)!;
  expect(d.severity).toBe(row.severity ?? LINT_RULES.find((r) => r.code === row.code)!.severity);
  if (row.hint) expect(d.hint).toMatch(row.hint);
  if (row.message) expect(d.message).toMatch(row.message);
});

test('every code has a row that trips it and one that must not', () => {
  for (const { code } of LINT_RULES) {
    if (code === 'MR101') continue; // rows in __tests__/lint/redos.test.ts (recheck)
    expect(ROWS.some((r) => r.code === code && r.at !== undefined)).toBe(true);
    expect(ROWS.some((r) => r.code === code && r.at === undefined)).toBe(true);
  }
});

test.each<[string | undefined, Context | undefined, Context, string]>([
  ['.htaccess', undefined, 'directory', 'file name'],
  ['site/app.htaccess', undefined, 'directory', 'file name'],
  ['vhost.conf', undefined, 'server', 'default'],
  [undefined, undefined, 'server', 'default'],
  ['.htaccess', 'server', 'server', 'given'],
])('the context of %j with %j is %s (%s)', (file, context, expected, from) => {
  const r = lintSync('RewriteEngine On\n', { file, context });
  expect(r.context).toBe(expected);
  expect(r.contextFrom).toBe(from);
});

test('diagnostics carry the file and come sorted by line and column', () => {
  const r = lintSync('RewriteRule ^/a$ b [R]\nRewriteRule ^x$ y [C]\n', { file: 'x/.htaccess' });
  const where = r.diagnostics.map((d) => [d.line, d.column]);
  expect(where).toEqual([...where].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!));
  expect(new Set(r.diagnostics.map((d) => d.file))).toEqual(new Set(['x/.htaccess']));
  expect(r.rules).toBe(2);
});

test('without an analyser there is no MR101 (lintSync is what a browser runs)', () => {
  const r = lintSync(ON + 'RewriteRule ^(a+)+$ - [F]', { context: 'directory' });
  expect(r.diagnostics.map((d) => d.code)).not.toContain('MR101');
});
