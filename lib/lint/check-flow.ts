/**
 * Checks on where a rule sends the request: MR301 (an internal-redirect loop in an .htaccess),
 * MR302 ([R] without [L]), MR303 (a relative redirect without RewriteBase), MR304 (QSA without a
 * query). Behaviour observed with Debian's Apache 2.4 (conformance/record.mjs) is cited per check.
 */
import type { Template } from '../compile/template.js';
import { argPos, offsetOf, templateParts, type LintReport } from './diagnostic.js';
import type { LintCond, LintModel, LintRule } from './model.js';

/**
 * Variables whose value no internal redirect changes: a condition on them cannot stop a loop (it
 * holds in every round if it held in the first). THE_REQUEST is the original request line.
 */
const INVARIANT = new Set([
  'HTTP_ACCEPT',
  'HTTP_COOKIE',
  'HTTP_FORWARDED',
  'HTTP_HOST',
  'HTTP_PROXY_CONNECTION',
  'HTTP_REFERER',
  'HTTP_USER_AGENT',
  'HTTPS',
  'REMOTE_ADDR',
  'REMOTE_HOST',
  'REMOTE_PORT',
  'REMOTE_USER',
  'REMOTE_IDENT',
  'REQUEST_METHOD',
  'REQUEST_SCHEME',
  'SERVER_ADDR',
  'SERVER_ADMIN',
  'SERVER_NAME',
  'SERVER_PORT',
  'SERVER_PROTOCOL',
  'SERVER_SOFTWARE',
  'DOCUMENT_ROOT',
  'CONTEXT_DOCUMENT_ROOT',
  'CONTEXT_PREFIX',
  'THE_REQUEST',
  'API_VERSION',
  'IPV6',
  'AUTH_TYPE',
  'CONN_REMOTE_ADDR',
]);

/** A template whose value is the same in every round of the same request. */
function invariant(t: Template | undefined): boolean {
  if (!t) return false;
  return templateParts(t).every((p) => {
    if (p.type === 'lit' || p.type === 'esc') return true;
    if (p.type !== 'var') return false;
    const name = p.name.toUpperCase();
    return INVARIANT.has(name) || /^(HTTP|SSL):/.test(name);
  });
}

const invariantCond = (c: LintCond): boolean =>
  !c.expr && c.test.type !== 'file' && invariant(c.input);

/** A loop candidate: rewrites (no redirect, status, proxy, END) with only invariant conditions. */
function rewritesEveryRound(rule: LintRule, lastRule: LintRule | undefined): boolean {
  const f = rule.flags;
  if (rule.substitution === '-' || !rule.output || !rule.re || rule.negate) return false;
  if (f.redirect || f.status || f.proxy || f.end || f.chain || f.skip || f.next) return false;
  // without L the rules after it may change the result in the same round
  if (!f.last && rule !== lastRule) return false;
  return !rule.conditional && rule.conds.every(invariantCond);
}

/** A rewrite's result as the next round sees it: the subject, and the query it sets (if any). */
interface Rewritten {
  readonly subject: string;
  readonly query?: string;
}

/**
 * The substitution expanded for `m`; undefined when a part cannot be known (a map, a changing
 * variable).
 */
function expand(rule: LintRule, m: RegExpExecArray): string | undefined {
  let out = '';
  for (const p of rule.output!.parts) {
    if (p.type === 'lit' || p.type === 'esc') out += p.s;
    else if (p.type === 'rr') out += m[p.n] ?? '';
    else if (
      p.type === 'rc' ||
      (p.type === 'var' && invariant({ parts: [p], constant: false, text: '' }))
    )
      out += 'x';
    else return undefined;
  }
  return out;
}

/**
 * The next round's subject of a rewrite of `subject` by `rule`, or undefined when it cannot be
 * known (a map, a variable that changes, an absolute URL, a URL-path outside RewriteBase). A
 * relative `x` stays in this directory (`x` again); `/base/x` becomes `x` under `RewriteBase
 * /base`.
 */
function rewrite(rule: LintRule, subject: string, base: string | undefined): Rewritten | undefined {
  const m = rule.re!.exec(subject);
  const out = m ? expand(rule, m) : undefined;
  if (out === undefined || /^[a-z][a-z0-9+.-]*:/i.test(out)) return undefined;
  const q = out.indexOf('?');
  const path = q < 0 ? out : out.slice(0, q);
  const query = q < 0 ? undefined : out.slice(q + 1);
  if (!path.startsWith('/')) return { subject: path, query };
  // a URL-path comes back to this directory only under its URL, which RewriteBase states: without
  // it the directory is unknown (recorded: /seen from /sub/.htaccess does not re-run its rules,
  // conformance/cases/082-dir-noslash.json)
  const prefix = base === undefined ? undefined : base.endsWith('/') ? base : base + '/';
  if (prefix === undefined || !path.startsWith(prefix)) return undefined;
  return { subject: path.slice(prefix.length), query };
}

type Round =
  | { type: 'again'; next: Rewritten }
  /** The rule rewrote to the same file (ignored), having set `query`. */
  | { type: 'fixpoint'; query?: string }
  | { type: 'stops' }
  | { type: 'unknown' };

/**
 * One internal-redirect round for `subject`, as far as it can be known without a filesystem: the
 * rules run from the top; a rule that may apply but whose outcome is unknown ends the simulation.
 */
function round(model: LintModel, loop: LintRule, subject: string): Round {
  for (const rule of model.rules) {
    if (!rule.re) return { type: 'unknown' };
    const matches = rule.re.test(subject) !== rule.negate;
    if (!matches) continue;
    if (rule !== loop && (rule.conds.length || rule.conditional)) return { type: 'unknown' };
    if (rule === loop) {
      const next = rewrite(rule, subject, model.base);
      if (next === undefined) return { type: 'unknown' };
      // hook_fixup: "initial URL equal rewritten URL ... [IGNORING REWRITE]": a fixpoint ends it
      return next.subject === subject
        ? { type: 'fixpoint', query: next.query }
        : { type: 'again', next };
    }
    if (rule.substitution !== '-') return { type: 'unknown' };
    if (rule.flags.last || rule.flags.end || rule.flags.status) return { type: 'stops' };
  }
  return { type: 'stops' };
}

/** Subjects a rule may see first (per-directory: no leading slash). */
const FIRST_SUBJECTS = ['foo', 'foo/bar', 'foo.html', 'index.html', ''];

/** What re-running the rule on its own result does. */
type Rerun =
  | { type: 'loop'; trail: string[] }
  /** The second round keeps the file but replaces the query the first round set. */
  | { type: 'query'; trail: string[]; first: string; second: string };

/** The rounds a loop goes through (3 distinct rewrites in a row), or a clobbered query. */
function rerun(model: LintModel, rule: LintRule): Rerun | undefined {
  const first = FIRST_SUBJECTS.find((s) => rule.re!.test(s));
  if (first === undefined) return undefined;
  const r1 = rewrite(rule, first, model.base);
  if (r1 === undefined || r1.subject === first) return undefined;
  const trail = [first, r1.subject];
  let subject = r1.subject;
  for (let k = 0; k < 3; k++) {
    const r = round(model, rule, subject);
    // with QSA the first query is appended after the second one, and a later key usually wins
    const clobbers = r1.query !== undefined && r.type === 'fixpoint' && r.query !== r1.query;
    if (clobbers && k === 0 && !rule.flags.qsappend)
      return { type: 'query', trail, first: r1.query!, second: r.query ?? '' };
    if (r.type !== 'again') return undefined;
    trail.push(r.next.subject);
    subject = r.next.subject;
  }
  return { type: 'loop', trail };
}

/**
 * The subdirectory the loop goes through (`public/` for `public/foo`), if it leaves this one: an
 * .htaccess there replaces these rules (Apache merges per-directory configs; a child's own rewrite
 * rules win unless RewriteOptions Inherit), which lint cannot see. `index.php/foo` stays here.
 */
function subdirectory(trail: readonly string[]): string | undefined {
  for (const subject of trail.slice(1)) {
    const slash = subject.indexOf('/');
    const first = subject.slice(0, slash);
    if (slash > 0 && !first.includes('.')) return `${first}/`;
  }
  return undefined;
}

/**
 * MR301. Recorded from Debian's Apache 2.4.71 in an .htaccess: `RewriteRule ^grow/(.*)$ grow/x$1
 * [L]` answers /grow/foo with 500 (LimitInternalRecursion), while `^same/(.*)$ same/a [L]` serves
 * same/a (a rewrite to the same file is ignored) and `RewriteRule ^ci/index\.php - [L]` before
 * `^ci/(.*)$ ci/index.php/$1 [L]` stops the loop (404 for the path info, no 500).
 */
export function checkLoops(model: LintModel, report: LintReport): void {
  if (model.context !== 'directory') return;
  for (const rule of model.rules) {
    if (!rewritesEveryRound(rule, model.rules[model.rules.length - 1])) continue;
    const found = rerun(model, rule);
    if (found?.type === 'loop') reportLoop(report, rule, found.trail);
    else if (found?.type === 'query') reportQuery(report, rule, found);
  }
}

const STOP_HINT =
  "add a condition that stops it (RewriteCond %{REQUEST_FILENAME} !-f, or a rule like 'RewriteRule ^index\\.php - [L]' first), or use [END]";

function reportLoop(report: LintReport, rule: LintRule, trail: readonly string[]): void {
  const into = subdirectory(trail);
  report.add(
    'MR301',
    rule.d.pos,
    `internal-redirect loop: each round matches this rule again (${trail.map((s) => `'${s}'`).join(' → ')} → …); Apache answers 500 after LimitInternalRecursion${into ? `, unless ${into} has an .htaccess of its own with rewrite rules (they take over there)` : ''}`,
    STOP_HINT,
    into ? 'info' : 'warning',
  );
}

/**
 * MR305. Recorded from Debian's Apache 2.4.71 in an .htaccess: `RewriteRule ^(.*)$
 * index.php?q=$1 [L]` answers /foo/bar with index.php and the query `q=index.php`: the second
 * round's rewrite to the same file is ignored, but its query stays.
 */
function reportQuery(
  report: LintReport,
  rule: LintRule,
  found: { trail: string[]; first: string; second: string },
): void {
  const [first, target] = found.trail;
  report.add(
    'MR305',
    rule.d.pos,
    `the rule runs again on its own result: '${first}' → '${target}?${found.first}', then '${target}' → '${target}?${found.second}'; Apache keeps the file but the script gets the query '${found.second}'`,
    STOP_HINT,
  );
}

/** MR302: [R] without [L] with rules after it. */
export function checkRedirectWithoutLast(model: LintModel, report: LintReport): void {
  for (const rule of model.rules) {
    const f = rule.flags;
    if (!f.redirect || f.status || f.last || f.end || !rule.d.flags) continue;
    // `-` redirects nowhere (recorded: `^/noop$ - [R=301]` answers 404, 030-server-flow.json)
    if (rule.index === model.rules.length - 1 || rule.substitution === '-') continue;
    report.add(
      'MR302',
      rule.d.flags.pos,
      '[R] without [L]: the rules after this one still run and can rewrite the redirect target',
      `add L: '[${rule.d.flags.text.slice(1, -1)},L]'`,
    );
  }
}

/**
 * MR303. Recorded from Debian's Apache 2.4: `RewriteRule ^ra$ b [R,L]` in an .htaccess without
 * RewriteBase redirects to `http://www.example.com{DOCROOT}/b`
 * (conformance/cases/070-dir-root.json).
 */
export function checkRelativeRedirect(model: LintModel, report: LintReport): void {
  if (model.context !== 'directory' || model.base !== undefined) return;
  for (const rule of model.rules) {
    const f = rule.flags;
    if (!f.redirect || f.status) continue;
    const s = rule.substitution;
    // a result that starts with a variable or back-reference may well be absolute
    if (s === '-' || s.startsWith('/') || /^[$%]/.test(s) || /^[a-z][a-z0-9+.-]*:/i.test(s))
      continue;
    report.add(
      'MR303',
      rule.d.substitution.pos,
      `relative redirect target '${s}' without RewriteBase: Apache puts the directory's filesystem path in the Location header`,
      `write '/${s}' (the URL-path), or add 'RewriteBase /' to the file`,
    );
  }
}

/** MR304: QSA where the substitution sets no query. */
export function checkQsa(model: LintModel, report: LintReport): void {
  for (const rule of model.rules) {
    if (!rule.flags.qsappend || rule.substitution.includes('?') || !rule.d.flags) continue;
    // a variable, map or %N may bring a `?` that splitout_queryargs splits off (a $N may not:
    // since 2.4.60 Apache refuses a `?` from a back-reference unless UnsafeAllow3F)
    if (/%\{|\$\{|%\d/.test(rule.substitution)) continue;
    const flags = rule.d.flags;
    const qsa = /\bqsa|\bqsappend/i.exec(flags.text);
    report.add(
      'MR304',
      argPos(flags, qsa ? qsa.index : offsetOf(flags, 'Q')),
      `QSA has no effect: the substitution '${rule.substitution}' sets no query string, so the original one is kept anyway`,
      'remove QSA, or add the query the substitution should set (…?key=value)',
    );
  }
}
