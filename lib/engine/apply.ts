/**
 * apply_rewrite_rule / apply_rewrite_list: one pass over a rule list, with Apache's flow flags
 * (C, S, L, END, N with its round cap, PT, P) and condition logic (OR groups, NV, Vary).
 */
import { ruleIndexFor } from '../compile/prefix-index.js';
import type { CompiledRule } from '../compile/ruleset.js';
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

/** What a rule's pattern is matched against: r->filename (+ PATH_INFO, minus the directory in per-dir context). */
export function subjectOf(ctx: EvalContext): string {
  const st = ctx.state;
  let uri = st.filename;
  if (ctx.perdir !== null) {
    if (st.pathInfo) uri += st.pathInfo;
    if (uri.startsWith(ctx.perdir)) uri = uri.slice(ctx.perdir.length);
  }
  return uri;
}

export function applyRule(rule: CompiledRule, ctx: EvalContext): RuleRc {
  const st = ctx.state;
  const uri = subjectOf(ctx);
  ctx.subject = uri;
  let m: RegExpExecArray | null;
  if (rule.literal !== undefined) {
    m =
      uri === rule.literal
        ? (Object.assign([uri], { index: 0, input: uri }) as RegExpExecArray)
        : null;
  } else {
    rule.re.lastIndex = 0;
    m = rule.re.exec(uri);
  }
  const matched = (m !== null) !== rule.negate;
  ctx.trace?.({
    type: 'rule',
    pos: rule.pos,
    pattern: rule.pattern,
    negate: rule.negate,
    path: ctx.perdir !== null ? st.filename + st.pathInfo : st.filename,
    perdir: ctx.perdir,
    subject: uri,
    matched,
    captures: matched ? capturesOf(m) : [],
    flags: flagNames(rule.flags),
  });
  if (!matched) return RuleRc.NoMatch;
  ctx.varyThis = NONE;
  ctx.rc = null;
  ctx.rr = rule.negate ? null : { src: uri, m };
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
      return RuleRc.NoMatch;
    }
    if (ctx.varyThis.length) {
      ctx.vary = append(ctx.vary, ...ctx.varyThis);
      ctx.varyThis = NONE;
    }
  }
  let newuri = '';
  if (rule.output) {
    const qmark = rule.flags.unsafeAllow3F ? undefined : { unsafe: -1, tracking: true };
    newuri = expand(rule.output, ctx, rule, qmark);
    if (qmark && qmark.unsafe > 0) {
      ctx.trace?.({
        type: 'note',
        message: 'Unsafe URL with %3f URL rewritten without UnsafeAllow3F',
      });
      ctx.status = 403;
      return RuleRc.StatusSet;
    }
  }
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
  const expanded = newuri;
  if (!rule.output) {
    forceTypeHandler(rule, ctx);
    if (rule.flags.status) ctx.status = rule.flags.forcedStatus;
    return RuleRc.NoSub;
  }
  let prefixAdded = false;
  if (!newuri.startsWith('/') && !absoluteUri(newuri).skip) {
    if (ctx.perdir !== null) {
      newuri = ctx.perdir + newuri;
      prefixAdded = true;
    } else if (!rule.flags.proxy && !rule.flags.redirect) {
      newuri = '/' + newuri;
      prefixAdded = true;
    }
  }
  st.filename = newuri;
  if (ctx.perdir !== null && rule.flags.discardPathInfo) st.pathInfo = '';
  splitQuery(ctx, rule);
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
  if (
    !rule.flags.unc &&
    !prefixAdded &&
    !(rule.outputText[0] === '/' && rule.outputText[1] === '/')
  ) {
    let i = 0;
    while (st.filename[i] === '/' && st.filename[i + 1] === '/') i++;
    if (i) st.filename = st.filename.slice(i);
  }
  forceTypeHandler(rule, ctx);
  return RuleRc.Match;
}

/** apply_rewrite_list. */
export function applyList(rules: readonly CompiledRule[], ctx: EvalContext): ListResult {
  let changed = Action.None;
  let lastsub: CompiledRule | null = null;
  let round = 1;
  const subreq = !!ctx.view.isSubreq;
  const index = ruleIndexFor(rules);
  loop: for (;;) {
    let cand = index?.candidates(subjectOf(ctx));
    let ck = 0;
    for (let i = 0; i < rules.length; i++) {
      if (cand) {
        // jump over rules whose literal prefix the subject lacks (they cannot match)
        while (ck < cand.length && cand[ck]! < i) ck++;
        if (ck >= cand.length) break;
        i = cand[ck]!;
      }
      let p = rules[i]!;
      if (subreq && (p.flags.nosubreq || p.flags.redirect)) continue;
      if (ctx.vary.length) ctx.vary = NONE;
      const rc = applyRule(p, ctx);
      if (rc !== RuleRc.NoMatch) {
        if (p.output) lastsub = p;
        if (ctx.state.filename.length > 2 * LIMIT_REQUEST_LINE) {
          ctx.status = 500;
          stopped(ctx, 'length', p);
          return { action: Action.Status, lastsub, reason: 'length' };
        }
        if (ctx.vary.length) ctx.responseVary = append(ctx.responseVary, ...ctx.vary);
        if (rc === RuleRc.StatusSet) {
          stopped(ctx, 'unsafe', p);
          return { action: Action.StatusSet, lastsub };
        }
        if (p.flags.status) {
          stopped(ctx, 'status', p);
          return { action: Action.Status, lastsub };
        }
        if (rc !== RuleRc.NoSub) {
          changed = p.flags.noescape ? Action.NoEscape : Action.Normal;
          if (index) {
            cand = index.candidates(subjectOf(ctx));
            ck = 0;
          }
        }
        if (p.flags.passthrough) {
          ctx.handoff = 'passthrough';
          changed = Action.Normal;
          stopped(ctx, 'passthrough', p);
          break loop;
        }
        if (p.flags.end) {
          ctx.end = true;
          stopped(ctx, 'end', p);
          break loop;
        }
        if (p.flags.proxy || p.flags.last) {
          stopped(ctx, p.flags.proxy ? 'proxy' : 'last', p);
          break loop;
        }
        if (p.flags.next) {
          if (++round >= p.flags.maxRounds) {
            ctx.trace?.({
              type: 'note',
              message: `RewriteRule '${p.pattern}' and URI '${ctx.state.uri}' exceeded maximum number of rounds (${p.flags.maxRounds}) via the [N] flag`,
            });
            ctx.status = 500;
            stopped(ctx, 'rounds', p);
            return { action: Action.Status, lastsub, reason: 'rounds' };
          }
          ctx.trace?.({ type: 'next', pos: p.pos, round });
          continue loop;
        }
        if (p.flags.skip > 0) {
          ctx.trace?.({ type: 'skip', reason: 'skip', pos: p.pos, count: p.flags.skip });
          i = Math.min(rules.length, i + p.flags.skip);
        }
      } else if (p.flags.chain) {
        const from = i;
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
      }
    }
    // the last rule was tried (a rule that stopped the pass broke out of `loop` above)
    ctx.trace?.({ type: 'stop', reason: 'no-more-rules' });
    break;
  }
  return { action: changed, lastsub };
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
