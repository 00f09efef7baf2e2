/**
 * MR101 (lib/lint/redos.ts): ReDoS-prone patterns, found by recheck. These rows run recheck itself
 * (2.9 MB of Scala.js, up to ~300 ms a pattern), so they live in the slow group rather than in
 * `__tests__/unit/lint/lint.test.ts`, whose rows lint without an analyser as a browser does.
 */
import { lintSync } from '../../lib/lint/lint';
import { recheckAnalyser, type RedosAnalyser } from '../../lib/lint/redos';
import { LINT_RULES, type LintSeverity } from '../../lib/lint/rules';

interface Row {
  readonly why: string;
  readonly rules: string;
  /** Where the finding is (line:column); undefined: the rules must NOT trip MR101. */
  readonly at?: string;
  readonly severity?: LintSeverity;
  readonly message?: RegExp;
}

const ON = 'RewriteEngine On\n';

const trips = (why: string, rules: string, at: string, more: Partial<Row> = {}): Row => ({
  why,
  rules,
  at,
  ...more,
});
const passes = (why: string, rules: string): Row => ({ why, rules });

const ROWS: readonly Row[] = [
  trips('exponential backtracking', ON + 'RewriteRule ^(\\w+\\s?)*$ - [F]', '2:13', {
    severity: 'warning',
    message: /exponential time .*attack string: /,
  }),
  trips('polynomial backtracking (info)', ON + 'RewriteRule (.+)/$ /$1 [R=301,L]', '2:13', {
    severity: 'info',
    message: /polynomial \(degree 2\)/,
  }),
  trips(
    'in a condition, after its !',
    ON + 'RewriteCond %{QUERY_STRING} !^(a+)+$\nRewriteRule ^ - [F]',
    '2:30',
  ),
  trips('a RedirectMatch pattern', 'RedirectMatch 301 ^/(a|aa)+$ /x', '1:19', {
    message: /^RedirectMatch pattern/,
  }),
  trips(
    'a <FilesMatch> pattern',
    '<FilesMatch "^(\\w+\\s?)*$">\nRequire all denied\n</FilesMatch>',
    '1:1',
    {
      message: /^<FilesMatch> pattern/,
    },
  ),
  trips('a SetEnvIf pattern', 'SetEnvIfNoCase User-Agent "^(a+)+$" bot', '1:27', {
    message: /^SetEnvIfNoCase pattern/,
  }),
  passes('a RedirectMatch without backtracking', 'RedirectMatch 301 ^/old/(.*)$ /new/$1'),
  passes('a literal pattern', ON + 'RewriteRule ^index\\.php$ - [L]'),
  passes('a catch-all', ON + 'RewriteRule ^(.*)$ index.php?q=$1 [L]'),
];

let redos: RedosAnalyser;
beforeAll(async () => {
  redos = await recheckAnalyser();
});

test.each(ROWS)('MR101 $why', (row) => {
  const found = lintSync(row.rules, { context: 'directory', redos }).diagnostics.filter(
    (d) => d.code === 'MR101',
  );
  if (row.at === undefined) {
    expect(found).toEqual([]);
    return;
  }
  expect(found.map((d) => `${d.line}:${d.column}`)).toContain(row.at);
  const d = found.find((f) => `${f.line}:${f.column}` === row.at)!;
  const defaultSeverity = LINT_RULES.find((r) => r.code === 'MR101')!.severity;
  expect(d.severity).toBe(row.severity ?? defaultSeverity);
  if (row.message) expect(d.message).toMatch(row.message);
});
