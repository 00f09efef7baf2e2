/**
 * The lint checks' stable codes: `MR` and three digits, grouped by hundreds (0xx load, 1xx
 * patterns, 2xx rule order and back-references, 3xx redirects and loops, 4xx variables, tests and
 * modules). A code never changes meaning once released; a retired check keeps its number unused.
 * Each code also has a kebab-case name (SARIF's `name`, the JSON `name`), a default severity and a
 * help text.
 */

export type LintSeverity = 'error' | 'warning' | 'info';

export interface LintRuleSpec {
  readonly code: LintCode;
  readonly name: string;
  /** The usual severity; a check may lower it for one finding (MR101: polynomial → info). */
  readonly severity: LintSeverity;
  /** One sentence: what the check finds (SARIF's shortDescription, the README table). */
  readonly summary: string;
  /** Why it matters and what Apache does (SARIF's help text). */
  readonly help: string;
}

export type LintCode =
  | 'MR001'
  | 'MR002'
  | 'MR101'
  | 'MR102'
  | 'MR103'
  | 'MR201'
  | 'MR202'
  | 'MR203'
  | 'MR204'
  | 'MR301'
  | 'MR302'
  | 'MR303'
  | 'MR304'
  | 'MR305'
  | 'MR401'
  | 'MR402'
  | 'MR403'
  | 'MR404';

const spec = (
  code: LintCode,
  name: string,
  severity: LintSeverity,
  summary: string,
  help: string,
): LintRuleSpec => ({ code, name, severity, summary, help });

/** Every check, in code order. */
export const LINT_RULES: readonly LintRuleSpec[] = [
  spec(
    'MR001',
    'load-error',
    'error',
    'The file does not load: modrewrite (and in most cases Apache) refuses it.',
    'A directive, flag or pattern that the loader refuses; the message carries the ERR_* ' +
      'code of the load error.',
  ),
  spec(
    'MR002',
    'load-warning',
    'info',
    'The file loads, with a directive accepted without effect.',
    'A load warning (WARN_NO_EFFECT, WARN_HANDLER): the directive is read but changes ' +
      'nothing here.',
  ),
  spec(
    'MR101',
    'redos',
    'warning',
    'A pattern whose backtracking time grows exponentially (warning) or polynomially (info) ' +
      "with the URL's length.",
    "Analysed with recheck as Apache's PCRE runs the pattern (a backtracking matcher): an " +
      "attacker's URL can make each request burn CPU until PCRE's match limit. modrewrite " +
      "itself refuses some of these shapes at load and runs the others on V8's linear-time " +
      'engine, but the file is what you deploy to Apache.',
  ),
  spec(
    'MR102',
    'perdir-leading-slash',
    'error',
    'A per-directory (.htaccess) pattern that requires a leading `/`: it never matches.',
    'In an .htaccess Apache strips the directory prefix, slash included, before matching: ' +
      'the subject of `/blog/x` is `blog/x`. Write `^blog/` (or `^/?blog/` to share the rule ' +
      'with server context).',
  ),
  spec(
    'MR103',
    'server-no-leading-slash',
    'error',
    'A server-context pattern that cannot match a URL-path, which always starts with `/`.',
    'In server (vhost) context the subject is the whole URL-path, `/blog/x`. Write `^/blog/` ' +
      '(or `^/?blog/`).',
  ),
  spec(
    'MR201',
    'unreachable-rule',
    'warning',
    'A rule that can never run: an earlier catch-all without conditions ends every pass.',
    'An unconditional rule whose pattern matches every URL and which stops processing ([L], ' +
      '[END], [F], [G], [R] with [L]) is reached by every request first. Move the rule above ' +
      'it or give the catch-all conditions.',
  ),
  spec(
    'MR202',
    'chain-last',
    'warning',
    '`[C]` (chain) on the last rule: there is nothing to chain to.',
    'The chain flag links a rule to the next one; on the last rule of the file it has no ' +
      'effect. Remove it.',
  ),
  spec(
    'MR203',
    'cond-backref-missing',
    'warning',
    '`%N` refers to a group that no matching RewriteCond captures: it expands to an empty string.',
    '`%1`..`%9` come from the last RewriteCond that matched with a regular expression (not ' +
      'negated). Add a capturing group to that condition, or use `$N` for the rule pattern.',
  ),
  spec(
    'MR204',
    'rule-backref-missing',
    'warning',
    "`$N` beyond the rule pattern's capturing groups: it expands to an empty string.",
    '`$1`..`$9` are the groups of the RewriteRule pattern (a negated pattern has none). Add ' +
      'the group or fix the number.',
  ),
  spec(
    'MR301',
    'rewrite-loop',
    'warning',
    'A per-directory rule that rewrites to a URL it matches again, with nothing to stop it: ' +
      'an internal-redirect loop (500).',
    'In an .htaccess every internal redirect runs the rules again; Apache stops at ' +
      'LimitInternalRecursion (10) with a 500. Guard the rule (`RewriteCond ' +
      '%{REQUEST_FILENAME} !-f`, `RewriteRule ^index\\.php$ - [L]` first) or use [END].',
  ),
  spec(
    'MR302',
    'redirect-without-last',
    'warning',
    '`[R]` without `[L]`: the rules after it still run and may rewrite the redirect target.',
    'A redirect is sent only after the whole pass; until then later rules keep rewriting its ' +
      'URL. Add L (`[R=301,L]`).',
  ),
  spec(
    'MR303',
    'relative-redirect',
    'error',
    'A relative `[R]` target in an .htaccess without RewriteBase: the Location header ' +
      'carries the filesystem path.',
    'Apache prefixes a relative per-directory result with the directory path ' +
      '(`/var/www/html/new`), and the redirect sends that path to the client. Add `RewriteBase ' +
      '/` or write the target as `/new`.',
  ),
  spec(
    'MR304',
    'qsa-no-effect',
    'info',
    '`[QSA]` on a substitution without `?`: the query string is kept anyway, the flag does ' +
      'nothing.',
    'QSA appends the original query to a substitution that sets its own (`?x=1`); without ' +
      'one the query passes unchanged. Remove QSA, or add the query you meant.',
  ),
  spec(
    'MR305',
    'query-overwritten',
    'warning',
    'A per-directory rule that matches its own result again: the second round replaces the ' +
      'query string it set.',
    'The internal redirect runs the rules again; the rewrite to the same file is then ' +
      'ignored, but the query it builds (`q=index.php`) replaces the first one (`q=foo/bar`). ' +
      'Guard the rule (`RewriteCond %{REQUEST_FILENAME} !-f`, or `RewriteRule ^index\\.php$ - ' +
      '[L]` first) or use [END].',
  ),
  spec(
    'MR401',
    'unknown-variable',
    'warning',
    '`%{NAME}` is no variable Apache knows: it expands to an empty string.',
    'mod_rewrite knows a fixed list of variables (and HTTP:, ENV:, SSL:, LA-U:, LA-F: ' +
      'prefixes). A request header is `%{HTTP:Header-Name}`.',
  ),
  spec(
    'MR402',
    'file-test-on-url',
    'warning',
    'A file test (`-f`, `-d`, `-s`, …) on a URL-path: it tests `/path` at the filesystem ' +
      'root and is false.',
    'REQUEST_URI is a URL-path, not a file. Test `%{REQUEST_FILENAME}` in an .htaccess, ' +
      '`%{DOCUMENT_ROOT}%{REQUEST_URI}` or `%{LA-U:REQUEST_FILENAME}` in server context (where ' +
      'REQUEST_FILENAME still equals the URL-path).',
  ),
  spec(
    'MR403',
    'proxy-needs-mod-proxy',
    'info',
    '`[P]` needs mod_proxy (and a proxy module for the scheme) loaded in Apache; without it ' +
      'the request fails.',
    'Lint cannot see the server configuration: check that mod_proxy and mod_proxy_http are ' +
      'loaded (modrewrite proxies through `site({ proxy })` / `rewrite({ proxy })` / ' +
      '`modrewrite serve`).',
  ),
  spec(
    'MR404',
    'engine-missing',
    'warning',
    'Rewrite rules without `RewriteEngine On`: Apache does not run them.',
    "mod_rewrite is off by default. modrewrite's rewrite() and compile() imply it for the " +
      'rules you hand them, but in an .htaccess (and a vhost) Apache needs the line. ' +
      '`RewriteEngine Off` with rules is reported too.',
  ),
];

const BY_CODE = new Map(LINT_RULES.map((r) => [r.code, r]));

/** The spec of a code (every LintCode has one). */
export function lintRule(code: LintCode): LintRuleSpec {
  return BY_CODE.get(code)!;
}
