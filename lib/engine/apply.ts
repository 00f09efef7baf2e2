/**
 * apply_rewrite_rule / apply_rewrite_list: one pass over a rule list, with Apache's flow flags
 * (C, S, L, END, N with its round cap, PT, P) and condition logic (OR groups, NV, Vary).
 */
import { ruleIndexFor } from '../compile/prefix-index.js';
import type { CompiledCond, CompiledRule } from '../compile/ruleset.js';
import type { Template } from '../compile/template.js';
import { expand } from './expand.js';
import { append, NONE, type EvalContext } from './state.js';
import { applyCond } from './conditions.js';
import { forceTypeHandler, setCookie, setEnv } from './side-effects.js';
import { absoluteUri, fullyQualify, reduceUri, splitQuery } from './uri.js';
import { capturesOf, flagNames, type StopReason } from './trace.js';

/** Apache's LimitRequestLine default; a filename over twice this is a 500 (PR 60478). */
export const LIMIT_REQUEST_LINE = 8190;

export const enum RuleRc {
  NoMatch,
  Match,
  NoSub,
  StatusSet,
}

export const enum Action {
  None = 0,
  Normal = 1,
  NoEscape = 2,
  Status = 3,
  StatusSet = 4,
}

export interface ListResult {
  readonly action: Action;
  readonly lastsub: CompiledRule | null;
  /** Why a Status action happened, for errors passed on. */
  readonly reason?: 'rounds' | 'length';
}

/**
 * What a rule's pattern is matched against: r->filename (+ PATH_INFO, minus the directory in
 * per-dir context).
 */
export function subjectOf(ctx: EvalContext): string {
  const st = ctx.state;
  let uri = st.filename;
  if (ctx.perdir !== null) {
    if (st.pathInfo) uri += st.pathInfo;
    if (uri.startsWith(ctx.perdir)) uri = uri.slice(ctx.perdir.length);
  }
  return uri;
}

/**
 * apply_rewrite_rule: the pattern, then the conditions, then the substitution and its flags.
 * `deferCaptures` (the rule's conditions never read `$N`, see ListPlan): the pattern is only
 * tested, and its captures are taken once the conditions hold — a rule like `^/(.*)$` guarded by
 * a Host condition then allocates nothing for the requests its condition turns away.
 */
export function applyRule(rule: CompiledRule, ctx: EvalContext, deferCaptures = false): RuleRc {
  const uri = subjectOf(ctx);
  ctx.subject = uri;
  const lazy = deferCaptures && !ctx.trace;
  const m = lazy ? testPattern(rule, uri) : matchPattern(rule, uri);
  const matched = (m !== null) !== rule.negate;
  if (ctx.trace) traceRule(rule, ctx, uri, m, matched);
  if (!matched) return RuleRc.NoMatch;
  ctx.varyThis = NONE;
  ctx.rc = null;
  ctx.rr = rule.negate || lazy ? null : { src: uri, m };
  if (!conditionsHold(rule, ctx)) return RuleRc.NoMatch;
  if (lazy && !rule.negate) ctx.rr = { src: uri, m: matchPattern(rule, uri) };
  let expanded = '';
  if (rule.output) {
    const qmark = rule.flags.unsafeAllow3F ? undefined : { unsafe: -1, tracking: true };
    expanded = expand(rule.output, ctx, rule, qmark);
    if (qmark && qmark.unsafe > 0) {
      ctx.trace?.({
        type: 'note',
        message: 'Unsafe URL with %3f URL rewritten without UnsafeAllow3F',
      });
      ctx.status = 403;
      return RuleRc.StatusSet;
    }
  }
  setEnvAndCookies(rule, ctx);
  if (!rule.output) {
    forceTypeHandler(rule, ctx);
    if (rule.flags.status) ctx.status = rule.flags.forcedStatus;
    return RuleRc.NoSub;
  }
  return substitute(rule, ctx, expanded);
}

/** The rule's pattern against the subject; a literal pattern is compared, not run. */
function matchPattern(rule: CompiledRule, uri: string): RegExpExecArray | null {
  if (rule.literal !== undefined) {
    return uri === rule.literal
      ? (Object.assign([uri], { index: 0, input: uri }) as RegExpExecArray)
      : null;
  }
  rule.re.lastIndex = 0;
  return rule.re.exec(uri);
}

/** Stands for a match whose captures were not taken (testPattern). */
const MATCHED = Object.freeze([]) as unknown as RegExpExecArray;

/** Whether the rule's pattern matches, without building the match (no captures allocated). */
function testPattern(rule: CompiledRule, uri: string): RegExpExecArray | null {
  if (rule.literal !== undefined) return uri === rule.literal ? MATCHED : null;
  rule.re.lastIndex = 0;
  return rule.re.test(uri) ? MATCHED : null;
}

function traceRule(
  rule: CompiledRule,
  ctx: EvalContext,
  subject: string,
  m: RegExpExecArray | null,
  matched: boolean,
): void {
  const st = ctx.state;
  ctx.trace?.({
    type: 'rule',
    pos: rule.pos,
    pattern: rule.pattern,
    negate: rule.negate,
    path: ctx.perdir !== null ? st.filename + st.pathInfo : st.filename,
    perdir: ctx.perdir,
    subject,
    matched,
    captures: matched ? capturesOf(m) : [],
    flags: flagNames(rule.flags),
  });
}

/**
 * The rule's conditions, in order: a false one fails the rule unless it is in an [OR] chain (the
 * chain holds when one member does, and the rest of it is skipped); each condition's Vary headers
 * count only when it was evaluated to the end ([NV] drops them).
 */
function conditionsHold(rule: CompiledRule, ctx: EvalContext): boolean {
  const conds = rule.conds;
  for (let i = 0; i < conds.length; i++) {
    const c = conds[i]!;
    const rc = applyCond(c, ctx);
    if (c.flags.novary) ctx.varyThis = NONE;
    if (c.flags.ornext) {
      if (!rc) {
        ctx.varyThis = NONE;
        continue;
      }
      // skip the rest of the [OR] chain, its last member included
      while (i < conds.length && conds[i]!.flags.ornext) i++;
    } else if (!rc) {
      ctx.trace?.({ type: 'conditions-failed', pos: rule.pos });
      return false;
    }
    if (ctx.varyThis.length) {
      ctx.vary = append(ctx.vary, ...ctx.varyThis);
      ctx.varyThis = NONE;
    }
  }
  return true;
}

/** [E=] and [CO=], expanded after the substitution (apply_rewrite_rule's do_expand_env/cookie). */
function setEnvAndCookies(rule: CompiledRule, ctx: EvalContext): void {
  for (const e of rule.flags.env) {
    const spec = expand(e, ctx, null);
    setEnv(spec, ctx);
    if (ctx.trace) traceEnv(spec, ctx);
  }
  for (const c of rule.flags.cookies) {
    const before = ctx.cookies.length;
    setCookie(expand(c, ctx, null), ctx);
    if (ctx.cookies.length > before) ctx.trace?.({ type: 'cookie', value: ctx.cookies[before]! });
  }
}

/**
 * The expanded substitution becomes the new filename: the per-directory prefix (or `/`) is added
 * to a relative one, the query string split off, then [P] and [R] qualify it and anything else is
 * a local path (reduced to a path when it names this server).
 */
function substitute(rule: CompiledRule, ctx: EvalContext, expanded: string): RuleRc {
  const st = ctx.state;
  const prefixed = withPrefix(rule, ctx, expanded);
  const prefixAdded = prefixed !== undefined;
  st.filename = prefixed ?? expanded;
  if (ctx.perdir !== null && rule.flags.discardPathInfo) st.pathInfo = '';
  splitQuery(st, rule);
  ctx.trace?.({
    type: 'substitution',
    pos: rule.pos,
    template: rule.outputText,
    result: expanded,
    filename: st.filename,
    args: st.args,
    ...(prefixAdded && ctx.perdir !== null ? { prefixAdded: ctx.perdir } : {}),
  });
  if (rule.flags.proxy) {
    // a path is "this server itself"; mod_rewrite qualifies it with the client's Host, which must
    // not decide where the proxy connects (see proxy/target.ts)
    ctx.proxySelf = !absoluteUri(st.filename).skip;
    fullyQualify(ctx);
    ctx.handoff = 'proxy';
    return RuleRc.Match;
  }
  if (rule.flags.redirect) {
    fullyQualify(ctx);
    ctx.status = rule.flags.forcedStatus;
    return RuleRc.Match;
  }
  reduceUri(ctx);
  if (absoluteUri(st.filename).skip) {
    ctx.status = rule.flags.forcedStatus;
    return RuleRc.Match;
  }
  if (!rule.flags.unc && !prefixAdded && !rule.outputText.startsWith('//')) {
    st.filename = withoutDoubleSlashes(st.filename);
  }
  forceTypeHandler(rule, ctx);
  return RuleRc.Match;
}

/**
 * A relative substitution with the per-directory prefix (or `/` in server context, unless [P] or
 * [R] qualifies it later); undefined when it was a path or a URL already.
 */
function withPrefix(rule: CompiledRule, ctx: EvalContext, uri: string): string | undefined {
  if (uri.startsWith('/') || absoluteUri(uri).skip) return undefined;
  if (ctx.perdir !== null) return ctx.perdir + uri;
  if (!rule.flags.proxy && !rule.flags.redirect) return '/' + uri;
  return undefined;
}

/** The leading `//` collapsed to one `/` (without [UNC], a substitution is not a UNC path). */
function withoutDoubleSlashes(filename: string): string {
  let i = 0;
  while (filename[i] === '/' && filename[i + 1] === '/') i++;
  return i ? filename.slice(i) : filename;
}

/**
 * What applyList does after a rule matched: go on with the next rule, stop, or start over ([N]).
 */
const enum Next {
  Rule,
  Stop,
  Round,
}

/** What a rule list needs per request, worked out once per list. */
interface ListPlan {
  readonly index: ReturnType<typeof ruleIndexFor>;
  /** Per rule: it has conditions and none reads `$N`, so its captures can wait (applyRule). */
  readonly deferCaptures: readonly boolean[];
}

const plans = new WeakMap<readonly CompiledRule[], ListPlan>();

/** The list planned last: most processes run one list per pass, so no WeakMap lookup then. */
let lastRules: readonly CompiledRule[] | undefined;
let lastPlan: ListPlan | undefined;

function planFor(rules: readonly CompiledRule[]): ListPlan {
  if (rules === lastRules && lastPlan) return lastPlan;
  let plan = plans.get(rules);
  if (plan === undefined) {
    plan = {
      index: ruleIndexFor(rules),
      deferCaptures: rules.map((r) => r.conds.length > 0 && !r.conds.some(readsRuleCaptures)),
    };
    plans.set(rules, plan);
  }
  lastRules = rules;
  lastPlan = plan;
  return plan;
}

/** A condition whose TestString may read `$N` (an ap_expr is assumed to). */
function readsRuleCaptures(c: CompiledCond): boolean {
  return c.test.type === 'expr' || templateReadsCaptures(c.input, 0);
}

function templateReadsCaptures(t: Template, depth: number): boolean {
  // nesting is bounded at compile time (MAX_TEMPLATE_NESTING); the depth guard is a backstop
  if (depth > 100) return true;
  return t.parts.some(
    (p) =>
      p.type === 'rr' ||
      (p.type === 'map' &&
        (templateReadsCaptures(p.key, depth + 1) ||
          (p.dflt !== undefined && templateReadsCaptures(p.dflt, depth + 1)))),
  );
}

/** The state of one apply_rewrite_list across its rounds. */
interface ListState {
  readonly rules: readonly CompiledRule[];
  readonly index: ReturnType<typeof ruleIndexFor>;
  readonly deferCaptures: readonly boolean[];
  changed: Action;
  lastsub: CompiledRule | null;
  round: number;
}

/** apply_rewrite_list. */
export function applyList(rules: readonly CompiledRule[], ctx: EvalContext): ListResult {
  const plan = planFor(rules);
  const list: ListState = {
    rules,
    index: plan.index,
    deferCaptures: plan.deferCaptures,
    changed: Action.None,
    lastsub: null,
    round: 1,
  };
  for (;;) {
    const result = applyRound(list, ctx);
    if (result !== Next.Round) return result;
  }
}

/** One round over the rule list (the whole pass unless an [N] rule starts another). */
function applyRound(list: ListState, ctx: EvalContext): ListResult | Next.Round {
  const { rules, index } = list;
  const subreq = !!ctx.view.isSubreq;
  let cand = index?.candidates(subjectOf(ctx));
  let ck = 0;
  for (let i = 0; i < rules.length; i++) {
    if (cand) {
      // jump over rules whose literal prefix the subject lacks (they cannot match)
      while (ck < cand.length && cand[ck]! < i) ck++;
      if (ck >= cand.length) break;
      i = cand[ck]!;
    }
    const p = rules[i]!;
    if (subreq && (p.flags.nosubreq || p.flags.redirect)) continue;
    if (ctx.vary.length) ctx.vary = NONE;
    const rc = applyRule(p, ctx, list.deferCaptures[i]);
    if (rc === RuleRc.NoMatch) {
      if (p.flags.chain) i = skipChain(rules, i, ctx);
      continue;
    }
    const next = afterMatch(list, p, rc, ctx);
    if (next === Next.Round) return next;
    if (next === Next.Stop) return resultOf(list);
    if (next !== Next.Rule) return next;
    if (rc !== RuleRc.NoSub && index) {
      // the subject changed: so did the rules that can match it
      cand = index.candidates(subjectOf(ctx));
      ck = 0;
    }
    if (p.flags.skip > 0) {
      ctx.trace?.({ type: 'skip', reason: 'skip', pos: p.pos, count: p.flags.skip });
      i = Math.min(rules.length, i + p.flags.skip);
    }
  }
  // the last rule was tried (a rule that stopped the pass returned above)
  ctx.trace?.({ type: 'stop', reason: 'no-more-rules' });
  return resultOf(list);
}

/** Nothing matched: the result of most passes, shared. */
const UNCHANGED: ListResult = Object.freeze({ action: Action.None, lastsub: null });

function resultOf(list: ListState): ListResult {
  if (list.changed === Action.None && list.lastsub === null) return UNCHANGED;
  return { action: list.changed, lastsub: list.lastsub };
}

/** A rule that matched (or set a status): its flow flags decide what the list does next. */
function afterMatch(
  list: ListState,
  p: CompiledRule,
  rc: RuleRc,
  ctx: EvalContext,
): ListResult | Next {
  if (p.output) list.lastsub = p;
  if (ctx.state.filename.length > 2 * LIMIT_REQUEST_LINE) {
    ctx.status = 500;
    stopped(ctx, 'length', p);
    return { action: Action.Status, lastsub: list.lastsub, reason: 'length' };
  }
  if (ctx.vary.length) ctx.responseVary = append(ctx.responseVary, ...ctx.vary);
  if (rc === RuleRc.StatusSet) {
    stopped(ctx, 'unsafe', p);
    return { action: Action.StatusSet, lastsub: list.lastsub };
  }
  if (p.flags.status) {
    stopped(ctx, 'status', p);
    return { action: Action.Status, lastsub: list.lastsub };
  }
  if (rc !== RuleRc.NoSub) list.changed = p.flags.noescape ? Action.NoEscape : Action.Normal;
  if (p.flags.passthrough) {
    ctx.handoff = 'passthrough';
    list.changed = Action.Normal;
    stopped(ctx, 'passthrough', p);
    return Next.Stop;
  }
  if (p.flags.end) {
    ctx.end = true;
    stopped(ctx, 'end', p);
    return Next.Stop;
  }
  if (p.flags.proxy || p.flags.last) {
    stopped(ctx, p.flags.proxy ? 'proxy' : 'last', p);
    return Next.Stop;
  }
  if (p.flags.next) return nextRound(list, p, ctx);
  return Next.Rule;
}

/** [N]: another round, unless the rule's round cap is reached (500, as Apache). */
function nextRound(list: ListState, p: CompiledRule, ctx: EvalContext): ListResult | Next {
  if (++list.round >= p.flags.maxRounds) {
    ctx.trace?.({
      type: 'note',
      message: `RewriteRule '${p.pattern}' and URI '${ctx.state.uri}' exceeded maximum number of rounds (${p.flags.maxRounds}) via the [N] flag`,
    });
    ctx.status = 500;
    stopped(ctx, 'rounds', p);
    return { action: Action.Status, lastsub: list.lastsub, reason: 'rounds' };
  }
  ctx.trace?.({ type: 'next', pos: p.pos, round: list.round });
  return Next.Round;
}

/** A [C] rule that did not match: the rest of its chain is skipped; the index of its last rule. */
function skipChain(rules: readonly CompiledRule[], from: number, ctx: EvalContext): number {
  let i = from;
  let p = rules[i]!;
  while (i < rules.length && p.flags.chain) {
    i++;
    if (i >= rules.length) break;
    p = rules[i]!;
  }
  ctx.trace?.({
    type: 'skip',
    reason: 'chain',
    pos: rules[from]!.pos,
    count: Math.min(i, rules.length - 1) - from,
  });
  return i;
}

/** The env event of an E= spec as setEnv read it (`!NAME` removes, `NAME:value` sets). */
function traceEnv(spec: string, ctx: EvalContext): void {
  const colon = spec.indexOf(':');
  if (spec.startsWith('!')) ctx.trace?.({ type: 'env', name: spec.slice(1), value: null });
  else if (colon < 0) ctx.trace?.({ type: 'env', name: spec, value: '' });
  else ctx.trace?.({ type: 'env', name: spec.slice(0, colon), value: spec.slice(colon + 1) });
}

/** The stop event of the rule that ended the pass (no allocation when tracing is off). */
function stopped(ctx: EvalContext, reason: StopReason, rule: CompiledRule): void {
  ctx.trace?.({ type: 'stop', reason, pos: rule.pos });
}
