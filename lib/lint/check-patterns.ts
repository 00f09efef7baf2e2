/**
 * Checks on patterns and back-references: MR102/MR103 (a pattern that cannot match in its
 * context), MR201 (rules after a catch-all), MR202 ([C] on the last rule), MR203/MR204 (`%N`/`$N`
 * with no group behind them).
 */
import { utf8ToBytes } from '../common/bytes.js';
import { translatePcre } from '../compile/pcre.js';
import { topLevelBar } from '../compile/prefix-index.js';
import type { Template } from '../compile/template.js';
import type { Arg } from '../syntax/ast.js';
import { argPos, offsetOf, templateParts, type LintReport } from './diagnostic.js';
import type { LintModel, LintRule } from './model.js';

/** The pattern's JS translation, or undefined when it does not translate (a load error). */
function translated(pattern: string): string | undefined {
  try {
    return translatePcre(utf8ToBytes(pattern), false).source;
  } catch {
    return undefined;
  }
}

/** What the anchored pattern requires first: `^X…` with X not optional; undefined otherwise. */
function requiredLead(src: string): string | undefined {
  if (!src.startsWith('^') || topLevelBar(src)) return undefined;
  const m = /^\^(\\\/|\\\.|\\-|[A-Za-z0-9_~-]|\$)(.?)(.?)/.exec(src);
  if (!m) return undefined;
  const next = m[2];
  // a quantifier that allows zero of it (`^/?`, `^/*`, `^/{0,1}`) makes it optional
  if (next === '?' || next === '*' || (next === '{' && m[3] === '0')) return undefined;
  return m[1] === '\\/' ? '/' : m[1];
}

/**
 * MR102: per-directory patterns starting with `^/`. Apache strips the directory prefix with its
 * slash before matching (hook_fixup): recorded from Debian's Apache 2.4, `RewriteRule ^^/abs$ …`
 * in conformance/cases/070-dir-root.json and `^/sub/a` in 080-dir-sub.json never match.
 * MR103: server patterns that cannot see the leading `/` of the URL-path (hook_uri2file matches
 * r->uri, which always starts with `/`).
 */
export function checkAnchors(model: LintModel, report: LintReport): void {
  for (const rule of model.rules) {
    // from here on the subject may be another rule's result (`http://host/b` after an [R] without
    // [L], recorded in conformance/cases/030-server-flow.json): any pattern may match it
    if (model.rules.slice(0, rule.index).some((r) => leavesOddSubject(r, model.context))) return;
    if (rule.negate) continue;
    const src = translated(rule.pattern);
    const lead = src && requiredLead(src);
    if (!lead) continue;
    const at = argPos(rule.d.pattern, 0);
    if (model.context === 'directory' && lead === '/')
      report.add(
        'MR102',
        at,
        `pattern '${rule.pattern}' starts with '^/': in an .htaccess the subject has no leading slash, so it never matches`,
        `write '^${rule.pattern.slice(2)}' (or '^/?${rule.pattern.slice(2)}' to match in both contexts)`,
      );
    else if (model.context === 'server' && lead !== '/')
      report.add(
        'MR103',
        at,
        `pattern '${rule.pattern}' cannot match: in server context the subject is the URL-path, which starts with '/'`,
        `write '^/${rule.pattern.slice(1)}' (or '^/?${rule.pattern.slice(1)}' to match in both contexts)`,
      );
  }
}

/**
 * Whether a rule may hand the rules after it a subject of the other shape: one without a leading
 * `/` in server context (an absolute URL, an [R] target, a relative path), one with it per
 * directory (a URL-path outside the directory is not stripped again). Rules that stop don't.
 */
function leavesOddSubject(rule: LintRule, context: 'server' | 'directory'): boolean {
  const f = rule.flags;
  if (rule.substitution === '-' || f.last || f.end || f.status || f.proxy) return false;
  if (f.redirect || /^[$%]/.test(rule.substitution)) return true;
  return rule.substitution.startsWith('/') === (context === 'directory');
}

/**
 * Subjects every catch-all pattern matches, per context (per-directory subjects lose the slash).
 */
const PROBES = {
  server: ['/', '/a', '/index.php', '/a/b/c.html', '/-_~.x', '/A/B.C/', '/%20?', '/\n'],
  directory: ['', 'a', 'index.php', 'a/b/c.html', '-_~.x', 'A/B.C/', '.htaccess', '%20?', '\n'],
};

const LOOKAROUND = /\(\?<?[=!]/;

/** A rule that matches every subject and ends every pass it runs in. */
function isTerminalCatchAll(rule: LintRule, probes: readonly string[]): boolean {
  const f = rule.flags;
  if (rule.conds.length || rule.conditional || rule.negate || !rule.re) return false;
  if (f.chain || f.skip || f.nosubreq) return false;
  // a lookaround excludes subjects the probes may not hold: EspoCRM's `^((?!public/).*)$` lets
  // every `public/…` request through to the rules after it
  if (LOOKAROUND.test(rule.pattern)) return false;
  // [P] implies [L] (cmd_rewriterule_setflag); [F], [G] and R=4xx set `status`
  const stops = f.last || f.end || f.status || f.proxy;
  return stops && probes.every((s) => rule.re!.test(s));
}

/** Whether an earlier rule can jump over rule `i` ([S=n]) or makes it part of a chain ([C]). */
function bypassed(rules: readonly LintRule[], i: number): boolean {
  if (i > 0 && rules[i - 1]!.flags.chain) return true;
  return rules.slice(0, i).some((r) => r.flags.skip > 0 && r.index + r.flags.skip >= i);
}

/** MR201: every rule after an unconditional, terminal catch-all. */
export function checkUnreachable(model: LintModel, report: LintReport): void {
  const probes = PROBES[model.context];
  const rules = model.rules;
  const at = rules.findIndex((r, i) => isTerminalCatchAll(r, probes) && !bypassed(rules, i));
  if (at < 0) return;
  const catchAll = rules[at]!;
  for (const rule of rules.slice(at + 1))
    report.add(
      'MR201',
      rule.d.pos,
      `this rule never runs: the catch-all at line ${catchAll.d.pos.line} ('${catchAll.pattern}' with ${catchAll.d.flags?.text ?? 'no flags'}) matches every request first and stops`,
      `move this rule above line ${catchAll.d.pos.line}, or give the catch-all a RewriteCond`,
    );
}

/** MR202: `[C]` on the last rule. */
export function checkChainLast(model: LintModel, report: LintReport): void {
  const last = model.rules[model.rules.length - 1];
  if (!last?.flags.chain || !last.d.flags) return;
  report.add(
    'MR202',
    argPos(last.d.flags, offsetOf(last.d.flags, 'C')),
    'the last rule has [C] (chain): there is no next rule to chain to',
    'remove the C flag',
  );
}

/** The `$N`/`%N` references of a template. */
function references(t: Template | undefined, type: 'rr' | 'rc'): number[] {
  return templateParts(t).flatMap((p) => (p.type === type ? [p.n] : []));
}

/** Groups available to `%N` after the conditions before `upTo`: the largest matching regex's. */
function condGroups(rule: LintRule, upTo: number): number | undefined {
  let most: number | undefined;
  for (const c of rule.conds.slice(0, upTo)) {
    // apply_rewrite_cond keeps back-references only of a regex condition that matched, not negated
    // `expr` with `=~` sets them too (conformance/cases/021-server-expansion.json): assume all nine
    if (c.expr && !c.negate) return 9;
    if (c.test.type !== 'regex' || c.negate) continue;
    most = Math.max(most ?? 0, c.test.groups);
  }
  return most;
}

function reportPercent(report: LintReport, arg: Arg, n: number, groups: number | undefined): void {
  const at = offsetOf(arg, `%${n}`);
  // `%20` meant as a URL escape: Apache reads %2 and a literal 0 (recorded: `x?a=b%20c` → `a=b0c`,
  // conformance/cases/024-server-http10-backrefs.json)
  const escape = /^[0-9a-fA-F]$/.test(arg.text[at + 2] ?? '');
  const hint = escape
    ? `to write the URL escape %${arg.text.slice(at + 1, at + 3)}, escape the percent sign: \\%${arg.text.slice(at + 1, at + 3)}`
    : groups === undefined
      ? `%${n} needs a RewriteCond with a regular expression before it; for the rule pattern's group write $${n}`
      : `add a capturing group to the RewriteCond pattern, or use $${n} for the rule pattern`;
  const why =
    groups === undefined
      ? 'no RewriteCond before it matches a regular expression'
      : `the conditions capture ${groups} group${groups === 1 ? '' : 's'}`;
  report.add('MR203', argPos(arg, at), `%${n} is always empty: ${why}`, hint);
}

/** MR203 and MR204 for one rule: its substitution and its conditions' test strings. */
function checkRuleRefs(rule: LintRule, report: LintReport): void {
  const uses: { arg: Arg; t: Template | undefined; conds: number }[] = [
    ...rule.conds.map((c, k) => ({ arg: c.d.testString, t: c.input, conds: k })),
    { arg: rule.d.substitution, t: rule.output, conds: rule.conds.length },
  ];
  for (const { arg, t, conds } of uses) {
    const groups = condGroups(rule, conds);
    for (const n of new Set(references(t, 'rc')))
      if (groups === undefined || n > groups) reportPercent(report, arg, n, groups);
    if (!rule.re) continue;
    for (const n of new Set(references(t, 'rr'))) {
      if (n === 0 || n <= rule.groups) continue;
      const why = rule.negate
        ? 'a negated pattern sets no back-references'
        : `the pattern has ${rule.groups} capturing group${rule.groups === 1 ? '' : 's'}`;
      report.add(
        'MR204',
        argPos(arg, offsetOf(arg, `$${n}`)),
        `$${n} is always empty: ${why}`,
        rule.negate
          ? 'a negated pattern captures nothing: match positively, or use %N from a RewriteCond'
          : `add a capturing group ( ) to '${rule.pattern}', or fix the number`,
      );
    }
  }
}

export function checkBackrefs(model: LintModel, report: LintReport): void {
  for (const rule of model.rules) checkRuleRefs(rule, report);
}
