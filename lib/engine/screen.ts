/**
 * The screen of a server-context rule list: from the URL-path, the query and the request headers
 * alone, it answers the commonest evaluations without building one (on a shared core, what a
 * request costs is mostly the code and data it touches). rewrite() asks it through screenServer,
 * site()'s translate_name through screenEvaluation:
 * - no rule matches (most URLs of a site): the engine's UNTOUCHED;
 * - the first rule that matches is a plain local rewrite with [L] (`^/old/(\d+)$ /new?id=$1 [L]`):
 *   the rewritten URL, as the engine's outcome would give it;
 * - the first rule that matches is a plain [P] to an http(s) URL its text names
 *   (`^/api/(.*)$ http://127.0.0.1:8000/$1 [P]`): the engine's proxy evaluation.
 * Anything else, and anything it cannot decide cheaply, is ASK_ENGINE: the engine decides it as
 * before.
 *
 * Why this is the engine's answer: apply_rewrite_rule tests the pattern first and reads the
 * conditions only after it matched, and a rule whose pattern or a condition fails sets nothing (a
 * failing condition's Vary is dropped with it). A failed [C] rule skips the rest of its chain in
 * the engine; the screen tests those rules too, which can only send more requests to the engine.
 * The first rule that does match is then the first the engine applies, with nothing set before it
 * (unless a [C] rule before it failed: such a rule is left to the engine).
 */
import { defaultRuleFlags, type RuleFlags } from '../compile/flags.js';
import {
  equalsFolded,
  exactShape,
  patternShape,
  shapeMatches,
  type PatternShape,
} from '../compile/pattern-shape.js';
import { literalPrefix, ruleIndexFor, type RuleIndex } from '../compile/prefix-index.js';
import { regexInfo } from '../compile/pcre.js';
import type { CompiledCond, CompiledRule, CondTest, RuleSet } from '../compile/ruleset.js';
import { encodePathForUrl, hasCtlOrSpace } from '../common/escape.js';
import { LIMIT_REQUEST_LINE } from './apply.js';
import { stringTest } from './conditions.js';
import { UNTOUCHED } from './context.js';
import type { Evaluation } from './outcome.js';
import {
  canonicalProxyTarget,
  firstSegmentExists,
  firstSegmentOf,
  localOutcome,
} from './results.js';
import { generateScreen, type CodeLocal, type ScreenCode } from './screen-code.js';
import type { FsView } from './state.js';
import { absoluteUri, splitAfter, type QueryFlags } from './uri.js';

/** Request headers as node:http gives them (lower-case names). */
export type ScreenHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * What screenServer answers: a rewritten URL (`/new?id=7`), the evaluation of a direct [P], or one
 * of these two.
 */
export type ScreenAnswer = string | Evaluation | typeof NO_RULE_MATCHES | typeof ASK_ENGINE;
export const NO_RULE_MATCHES = null;
export const ASK_ENGINE = undefined;

/** Where prefix_stat looks, and whether a direct rewrite may be answered. */
export interface ScreenOptions {
  readonly fs: FsView;
  /** False when the caller needs the engine's whole evaluation for every rewrite. */
  readonly direct: boolean;
  /** False: the generic walk only, no generated code (engine/screen-code.ts). @default true */
  readonly generated?: boolean;
}

/** A condition whose TestString is one request header and whose CondPattern is a regex or `=…`. */
interface HeaderCond {
  readonly header: string;
  /** A regex CondPattern's test (compile/pattern-shape.ts); undefined: a string comparison. */
  readonly shape: PatternShape | undefined;
  readonly str: StringTest | undefined;
  readonly nocase: boolean;
  readonly negate: boolean;
}

type StringTest = Extract<CondTest, { type: 'str' }>;

/**
 * A rule as the screen reads it, everything in one small object: on a core shared with other
 * processes, each object a request touches is a cache miss (bench:express-cold).
 */
interface ScreenRule {
  /** The pattern's test (a literal pattern: the comparison the engine makes). */
  readonly pattern: PatternShape;
  readonly negate: boolean;
  /**
   * The leading conditions the screen can evaluate, up to the first it cannot or the first [OR]
   * (a false member of an OR chain fails nothing by itself).
   */
  readonly conds: readonly HeaderCond[];
  /** A plain local rewrite with [L] the screen applies itself (directRule). */
  readonly direct: DirectRule | undefined;
}

/** What applying a direct rule reads. */
interface DirectRule {
  readonly re: RegExp;
  /** The substitution: text, and back-reference numbers (`$N`). */
  readonly pieces: readonly (string | number)[];
  /** A trailing `?` (or [QSD] without any `?`): the query is discarded, nothing split. */
  readonly qsnone: boolean;
  readonly query: QueryFlags;
  /**
   * What prefix_stat stats when the substitution's text alone decides it (`/target` of
   * `/target?n=$1`): a string, or null for none; undefined when it depends on the captures.
   */
  readonly segment: string | null | undefined;
  /** [P] to the http(s) URL the substitution's text begins with: a proxy target, no local path. */
  readonly proxy: boolean;
}

/** A rule set's screen, built once by its user (rewrite()) and read by every request. */
export interface Screen extends ScreenOptions {
  readonly index: RuleIndex | undefined;
  readonly rules: readonly ScreenRule[];
  /** The walk as generated code (engine/screen-code.ts), per applier; undefined: the generic. */
  readonly code: {
    readonly answer: ScreenCode<ReturnType<typeof directAnswer>> | undefined;
    readonly evaluation: ScreenCode<ReturnType<typeof directEvaluation>> | undefined;
  };
}

/**
 * The screen of a server-context rule set; undefined when its engine is off (the engine answers
 * that, with the environment it passes on).
 */
export function buildScreen(ruleSet: RuleSet, options: ScreenOptions): Screen | undefined {
  if (ruleSet.engine !== true) return undefined;
  const rules = ruleSet.rules;
  const base = { ...options, index: ruleIndexFor(rules), rules: rules.map(screenRule) };
  const code = {
    answer: generated(rules, base, directAnswer),
    evaluation: generated(rules, base, directEvaluation),
  };
  return { ...base, code };
}

/** Rule sets past this size keep the generic screen (their generated code would be too large). */
const MAX_GENERATED_RULES = 400;

/** The generated walk of a screen for one applier (undefined: the generic walk stays). */
function generated<T>(
  rules: readonly CompiledRule[],
  screen: Omit<Screen, 'code'>,
  apply: Applier<T>,
): ScreenCode<T | typeof ASK_ENGINE> | undefined {
  if (screen.generated === false || rules.length > MAX_GENERATED_RULES) return undefined;
  const { rules: screenRules, fs } = screen;
  const direct = (rule: ScreenRule): DirectRule | undefined =>
    screen.direct ? rule.direct : undefined;
  const codeRules = screenRules.map((rule, i) => ({
    pattern: rule.pattern,
    negate: rule.negate,
    direct: direct(rule)?.re,
    local: apply === (directAnswer as unknown) ? codeLocal(direct(rule)) : undefined,
    conds: rule.conds,
    prefix: indexedPrefix(rules, i),
  }));
  return generateScreen<T | typeof ASK_ENGINE>(codeRules, {
    holds: (i, j, value) => {
      const c = screenRules[i]!.conds[j]!;
      return stringTest(c.str!, value, c.nocase);
    },
    direct: (i, m, uri, args) => apply(screenRules[i]!.direct!, m, uri, args, fs),
    segmentExists: (segment) => firstSegmentExists(fs, segment),
    segmentOf: firstSegmentOf,
    encodePath: encodePathForUrl,
    hasCtlOrSpace,
    folded: equalsFolded,
    headerValue,
    maxFilename: 2 * LIMIT_REQUEST_LINE,
  });
}

/** A direct local rewrite as the generated code applies it ([P] stays with directEvaluation). */
function codeLocal(rule: DirectRule | undefined): CodeLocal | undefined {
  if (rule === undefined || rule.proxy) return undefined;
  return { pieces: rule.pieces, qsnone: rule.qsnone, ...rule.query, segment: rule.segment };
}

/** A request header's value as engine/variables.ts reads it: absent is '', a list is joined. */
function headerValue(raw: unknown): string {
  if (raw === undefined) return '';
  return typeof raw === 'string' ? raw : (raw as readonly string[]).join(', ');
}

/**
 * The literal prefix compile/prefix-index.ts indexes rule i by ('' for none): not for a negated
 * pattern or a member of a [C] chain; a caseless one counts as none here.
 */
function indexedPrefix(rules: readonly CompiledRule[], i: number): string {
  const rule = rules[i]!;
  const chained = rule.flags.chain || (i > 0 && rules[i - 1]!.flags.chain);
  if (rule.negate || chained || regexInfo(rule.re).nocase) return '';
  return literalPrefix(rule.re);
}

function screenRule(rule: CompiledRule, i: number, rules: readonly CompiledRule[]): ScreenRule {
  const conds = leadingHeaderConds(rule);
  // a rule after a [C] one is skipped when its chain fails: the engine decides it
  const direct = rules[i - 1]?.flags.chain ? undefined : directRule(rule, conds);
  const pattern =
    rule.literal !== undefined ? exactShape(rule.literal, rule.re) : patternShape(rule.re);
  return { pattern, negate: rule.negate, conds, direct };
}

function leadingHeaderConds(rule: CompiledRule): HeaderCond[] {
  const out: HeaderCond[] = [];
  for (const cond of rule.conds) {
    const header = headerTested(cond);
    if (header === undefined || cond.flags.ornext) break;
    const test = cond.test;
    out.push({
      header,
      shape: test.type === 'regex' ? patternShape(test.re) : undefined,
      str: test.type === 'str' ? test : undefined,
      nocase: cond.flags.nocase,
      negate: cond.negate,
    });
  }
  return out;
}

/** The header a condition reads, when it reads one header only and tests it by regex or `=`… */
function headerTested(cond: CompiledCond): string | undefined {
  const parts = cond.input.parts;
  if (parts.length !== 1) return undefined;
  const part = parts[0]!;
  if (part.type !== 'var' || !('header' in part.ref)) return undefined;
  const type = cond.test.type;
  return type === 'regex' || type === 'str' ? part.ref.header : undefined;
}

/**
 * Screens one request (no environment, [END] or trace of an earlier pass; `headers` what the
 * engine's view reads: the request's own, for an origin-form target).
 */
export function screenServer(
  screen: Screen,
  uri: string,
  args: string | null,
  headers: ScreenHeaders,
): ScreenAnswer {
  const code = screen.code.answer;
  if (code) return code(uri, args, headers);
  return screenWith(screen, uri, args, headers, directAnswer);
}

/**
 * screenServer for a caller that wants the engine's Evaluation whatever the answer (site()'s
 * translate_name): UNTOUCHED when no rule matches.
 */
export function screenEvaluation(
  screen: Screen,
  uri: string,
  args: string | null,
  headers: ScreenHeaders,
): Evaluation | typeof ASK_ENGINE {
  const code = screen.code.evaluation;
  const answer = code
    ? code(uri, args, headers)
    : screenWith(screen, uri, args, headers, directEvaluation);
  return answer === NO_RULE_MATCHES ? UNTOUCHED : answer;
}

/** How a caller takes the direct rule that matched (its match gives the captures). */
type Applier<T> = (
  rule: DirectRule,
  m: RegExpExecArray,
  uri: string,
  args: string | null,
  fs: FsView,
) => T | typeof ASK_ENGINE;

function screenWith<T>(
  screen: Screen,
  uri: string,
  args: string | null,
  headers: ScreenHeaders,
  apply: Applier<T>,
): T | typeof NO_RULE_MATCHES | typeof ASK_ENGINE {
  const { index, rules } = screen;
  const cand = index?.candidates(uri);
  const count = cand ? cand.length : rules.length;
  for (let k = 0; k < count; k++) {
    const rule = rules[cand ? cand[k]! : k]!;
    const direct = screen.direct ? rule.direct : undefined;
    if (direct === undefined) {
      if (shapeMatches(rule.pattern, uri) === rule.negate || !allHold(rule.conds, headers))
        continue;
      return ASK_ENGINE;
    }
    // a direct rule's pattern runs once: its match gives the captures too
    direct.re.lastIndex = 0;
    const m = direct.re.exec(uri);
    if (m === null || !allHold(rule.conds, headers)) continue;
    return apply(direct, m, uri, args, screen.fs);
  }
  return NO_RULE_MATCHES;
}

/** The rule's leading header conditions all hold (false: the rule cannot match). */
function allHold(conds: readonly HeaderCond[], headers: ScreenHeaders): boolean {
  for (let k = 0; k < conds.length; k++) if (!holds(conds[k]!, headers)) return false;
  return true;
}

/** apply_rewrite_cond for a header condition, read as engine/variables.ts reads a header. */
function holds(c: HeaderCond, headers: ScreenHeaders): boolean {
  const value = headerValue(Object.hasOwn(headers, c.header) ? headers[c.header] : undefined);
  const rc = c.shape ? shapeMatches(c.shape, value) : stringTest(c.str!, value, c.nocase);
  return rc !== c.negate;
}

/** Flags a direct rule may carry besides their defaults ([L] it must carry). */
const DIRECT_FLAGS: ReadonlySet<string> = new Set<keyof RuleFlags>([
  'last',
  'proxy',
  'nocase',
  'nosubreq',
  'qsappend',
  'qsdiscard',
  'qslast',
  'maxRounds',
  'forcedStatus',
]);
const DEFAULT_FLAGS = defaultRuleFlags();

/** The scheme a direct [P] substitution's text must start with (absoluteUri's http and https). */
const HTTP_URL = /^https?:\/\//i;

/**
 * A rule the screen can apply itself: a pattern (not negated), a substitution made of text and
 * `$N` only that starts with a `/` ([L]) or with `http://` or `https://` ([P]), no other flag that
 * does anything to the result, and conditions (if any) that only read Host, which never enters
 * Vary.
 */
function directRule(rule: CompiledRule, conds: readonly HeaderCond[]): DirectRule | undefined {
  const proxy = rule.flags.proxy;
  if (rule.negate || !rule.output || !(rule.flags.last || proxy) || !onlyDirectFlags(rule.flags))
    return undefined;
  if (conds.length !== rule.conds.length || conds.some((c) => c.header !== 'host'))
    return undefined;
  const parts = rule.output.parts;
  const first = parts[0];
  if (first?.type !== 'lit') return undefined;
  if (proxy ? !HTTP_URL.test(first.s) : !first.s.startsWith('/')) return undefined;
  const pieces: (string | number)[] = [];
  for (const part of parts) {
    if (part.type === 'rr') pieces.push(part.n);
    else if (part.type === 'lit' || part.type === 'esc') pieces.push(part.s);
    else return undefined;
  }
  const { qsdiscard, qslast, qsappend } = rule.flags;
  const query = { qsdiscard, qslast, qsappend };
  const segment = proxy ? null : constantSegment(first.s, rule.qsnone, qslast);
  return { re: rule.re, pieces, qsnone: rule.qsnone, query, segment, proxy };
}

/**
 * The first segment of every result of a substitution that starts with the text `head`, when
 * `head` decides it: a `/` in it before any `?` ends the segment there, and a `?` before any `/`
 * (split at the first `?`: not [QSL], not a trailing `?`) ends the path there.
 */
function constantSegment(
  head: string,
  qsnone: boolean,
  qslast: boolean,
): string | null | undefined {
  const slash = head.indexOf('/', 1);
  const question = qsnone || qslast ? -1 : head.indexOf('?');
  const questionFirst = question >= 0 && (slash < 0 || question < slash);
  if (questionFirst) return firstSegmentOf(head.slice(0, question)) ?? null;
  const slashFirst = slash >= 0 && (head.lastIndexOf('?', slash) < 0 || qsnone);
  return slashFirst ? (firstSegmentOf(head.slice(0, slash + 1)) ?? null) : undefined;
}

function onlyDirectFlags(flags: RuleFlags): boolean {
  return (Object.keys(flags) as (keyof RuleFlags)[]).every((key) => {
    if (DIRECT_FLAGS.has(key)) return true;
    const value: unknown = flags[key];
    return Array.isArray(value) ? value.length === 0 : value === DEFAULT_FLAGS[key];
  });
}

/**
 * rewrite()'s answer for a direct rule: a local rewrite as its URL (all req.url needs), a [P] as
 * the engine's evaluation.
 */
function directAnswer(
  rule: DirectRule,
  m: RegExpExecArray,
  uri: string,
  args: string | null,
  fs: FsView,
): string | Evaluation | typeof ASK_ENGINE {
  if (rule.proxy) return directEvaluation(rule, m, uri, args, fs);
  const st = directLocal(rule, m, uri, args, fs);
  if (st === ASK_ENGINE) return ASK_ENGINE;
  // a `#` in the query goes into req.url as %23: localOutcome's (common/escape.ts queryForUrl)
  if (st.args !== null && st.args.includes('#')) return ASK_ENGINE;
  return encodePathForUrl(st.filename) + (st.args !== null ? '?' + st.args : '');
}

/** The engine's evaluation of a direct rule: the local rewrite or the proxy target, no effects. */
function directEvaluation(
  rule: DirectRule,
  m: RegExpExecArray,
  uri: string,
  args: string | null,
  fs: FsView,
): Evaluation | typeof ASK_ENGINE {
  if (rule.proxy) {
    const st = substituted(rule, m, uri, args);
    if (st === ASK_ENGINE) return ASK_ENGINE;
    // mod_proxy's canonicalisation (engine/results.ts proxyOutcome); a bad port is the engine's
    const target = canonicalProxyTarget(st.filename, st.args);
    if (target === undefined) return ASK_ENGINE;
    return { outcome: { type: 'proxy', target, noCanon: false }, effects: UNTOUCHED.effects };
  }
  const st = directLocal(rule, m, uri, args, fs);
  if (st === ASK_ENGINE) return ASK_ENGINE;
  // a `#` in the query goes into req.url as %23: localOutcome's (common/escape.ts queryForUrl)
  if (st.args !== null && st.args.includes('#')) return ASK_ENGINE;
  return { outcome: localOutcome(st.filename, st.args, false), effects: UNTOUCHED.effects };
}

/** The filename and query a direct rule leaves (apply_rewrite_rule and splitout_queryargs). */
interface Substituted {
  filename: string;
  args: string | null;
}

/**
 * apply_rewrite_rule for a direct rule: the substitution and the query split. Whatever takes
 * another turn in the engine is left to it: a `?` from a back-reference (the %3f check), an
 * over-long result and a query with controls.
 */
function substituted(
  rule: DirectRule,
  m: RegExpExecArray,
  uri: string,
  args: string | null,
): Substituted | typeof ASK_ENGINE {
  // not a path (`*`): the engine's not-a-path stop
  if (uri.charCodeAt(0) !== 0x2f) return ASK_ENGINE;
  let filename = '';
  for (const piece of rule.pieces) {
    if (typeof piece === 'string') {
      filename += piece;
      continue;
    }
    const value = m[piece] ?? '';
    if (value.includes('?')) return ASK_ENGINE;
    filename += value;
  }
  const st = { filename, args };
  if (rule.qsnone) st.args = null;
  // a path splits from its start; a URL after its scheme (engine/uri.ts splitQuery)
  else if (!rule.proxy) splitAfter(st, rule.query, 0);
  else splitAfter(st, rule.query, absoluteUri(filename).skip);
  if (st.filename.length > 2 * LIMIT_REQUEST_LINE) return ASK_ENGINE;
  if (st.args !== null && hasCtlOrSpace(st.args)) return ASK_ENGINE;
  return st;
}

/**
 * hook_uri2file for a direct local rewrite: a `//` start and a result whose first segment exists
 * on disk (prefix_stat may make it a file) are left to the engine.
 */
function directLocal(
  rule: DirectRule,
  m: RegExpExecArray,
  uri: string,
  args: string | null,
  fs: FsView,
): Substituted | typeof ASK_ENGINE {
  const st = substituted(rule, m, uri, args);
  if (st === ASK_ENGINE) return ASK_ENGINE;
  const f = st.filename;
  if (f.charCodeAt(1) === 0x2f) return ASK_ENGINE;
  const segment = rule.segment !== undefined ? rule.segment : (firstSegmentOf(f) ?? null);
  if (segment !== null && firstSegmentExists(fs, segment)) return ASK_ENGINE;
  return st;
}
