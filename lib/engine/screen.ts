/**
 * The screen of a server-context rule list: from the URL-path, the query and the request headers
 * alone, it answers the two commonest evaluations without building one (on a shared core, what a
 * request costs is mostly the code and data it touches):
 * - no rule matches (most URLs of a site): the engine's UNTOUCHED;
 * - the first rule that matches is a plain local rewrite with [L] (`^/old/(\d+)$ /new?id=$1 [L]`):
 *   the rewritten URL, as the engine's outcome would give it.
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
  exactShape,
  patternShape,
  shapeMatches,
  type PatternShape,
} from '../compile/pattern-shape.js';
import { ruleIndexFor, type RuleIndex } from '../compile/prefix-index.js';
import type { CompiledCond, CompiledRule, CondTest, RuleSet } from '../compile/ruleset.js';
import { encodePathForUrl, hasCtlOrSpace } from '../common/escape.js';
import { LIMIT_REQUEST_LINE } from './apply.js';
import { stringTest } from './conditions.js';
import { firstSegmentExists, firstSegmentOf } from './results.js';
import type { FsView } from './state.js';
import { splitAfter, type QueryFlags } from './uri.js';

/** Request headers as node:http gives them (lower-case names). */
export type ScreenHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** What screenServer answers: a rewritten URL (`/new?id=7`), or one of these two. */
export type ScreenAnswer = string | typeof NO_RULE_MATCHES | typeof ASK_ENGINE;
export const NO_RULE_MATCHES = null;
export const ASK_ENGINE = undefined;

/** Where prefix_stat looks, and whether a direct rewrite may be answered. */
export interface ScreenOptions {
  readonly fs: FsView;
  /** False when the caller needs the engine's whole evaluation for every rewrite. */
  readonly direct: boolean;
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
}

/** A rule set's screen, built once by its user (rewrite()) and read by every request. */
export interface Screen extends ScreenOptions {
  readonly index: RuleIndex | undefined;
  readonly rules: readonly ScreenRule[];
}

/**
 * The screen of a server-context rule set; undefined when its engine is off (the engine answers
 * that, with the environment it passes on).
 */
export function buildScreen(ruleSet: RuleSet, options: ScreenOptions): Screen | undefined {
  if (ruleSet.engine !== true) return undefined;
  const rules = ruleSet.rules;
  return { ...options, index: ruleIndexFor(rules), rules: rules.map(screenRule) };
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
    return directRewrite(direct, m, uri, args, screen.fs);
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
  const raw = Object.hasOwn(headers, c.header) ? headers[c.header] : undefined;
  const value = raw === undefined ? '' : typeof raw === 'string' ? raw : raw.join(', ');
  const rc = c.shape ? shapeMatches(c.shape, value) : stringTest(c.str!, value, c.nocase);
  return rc !== c.negate;
}

/** Flags a direct rule may carry besides their defaults ([L] it must carry). */
const DIRECT_FLAGS: ReadonlySet<string> = new Set<keyof RuleFlags>([
  'last',
  'nocase',
  'nosubreq',
  'qsappend',
  'qsdiscard',
  'qslast',
  'maxRounds',
  'forcedStatus',
]);
const DEFAULT_FLAGS = defaultRuleFlags();

/**
 * A rule the screen can apply itself: a pattern (not negated), a substitution that starts with a
 * `/` and is made of text and `$N` only, [L], no other flag that does anything to a local path,
 * and conditions (if any) that only read Host, which never enters Vary.
 */
function directRule(rule: CompiledRule, conds: readonly HeaderCond[]): DirectRule | undefined {
  if (rule.negate || !rule.output || !rule.flags.last || !onlyDirectFlags(rule.flags))
    return undefined;
  if (conds.length !== rule.conds.length || conds.some((c) => c.header !== 'host'))
    return undefined;
  const parts = rule.output.parts;
  const first = parts[0];
  if (first?.type !== 'lit' || !first.s.startsWith('/')) return undefined;
  const pieces: (string | number)[] = [];
  for (const part of parts) {
    if (part.type === 'rr') pieces.push(part.n);
    else if (part.type === 'lit' || part.type === 'esc') pieces.push(part.s);
    else return undefined;
  }
  const { qsdiscard, qslast, qsappend } = rule.flags;
  const query = { qsdiscard, qslast, qsappend };
  const segment = constantSegment(first.s, rule.qsnone, qslast);
  return { re: rule.re, pieces, qsnone: rule.qsnone, query, segment };
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
 * apply_rewrite_rule and hook_uri2file for a direct rule: the substitution, the query split, and
 * the local URL. Whatever takes another turn in the engine is left to it: a `?` from a
 * back-reference (the %3f check), a `//` start, an over-long result, a query with controls, and
 * a result whose first segment exists on disk (prefix_stat may make it a file).
 */
function directRewrite(
  rule: DirectRule,
  m: RegExpExecArray,
  uri: string,
  args: string | null,
  fs: FsView,
): ScreenAnswer {
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
  // the result is a path: no scheme, so a query is split as for any path
  if (rule.qsnone) st.args = null;
  else splitAfter(st, rule.query, 0);
  const f = st.filename;
  if (f.charCodeAt(1) === 0x2f || f.length > 2 * LIMIT_REQUEST_LINE) return ASK_ENGINE;
  if (st.args !== null && hasCtlOrSpace(st.args)) return ASK_ENGINE;
  const segment = rule.segment !== undefined ? rule.segment : (firstSegmentOf(f) ?? null);
  if (segment !== null && firstSegmentExists(fs, segment)) return ASK_ENGINE;
  return encodePathForUrl(f) + (st.args !== null ? '?' + st.args : '');
}
