/** Server context (hook_uri2file): patterns see the URL-path with its leading `/`. */
import type { RewriteOptionName, RuleSet } from '../compile/ruleset.js';
import { Action, applyList } from './apply.js';
import { absoluteUri, NOT_ABSOLUTE } from './uri.js';
import { hasCtlOrSpace } from '../common/escape.js';
import { PASS, type Outcome } from './outcome.js';
import type { EvalContext } from './state.js';
import { localOutcome, prefixStat, proxyOutcome, redirectOutcome } from './results.js';
import type { StatusCause } from '../errors.js';

/** One server-context pass (hook_uri2file). */
export function serverPass(ruleSet: RuleSet, ctx: EvalContext): Outcome {
  const st = ctx.state;
  if (ctx.end) {
    ctx.trace?.({ type: 'stop', reason: 'end-earlier' });
    return PASS;
  }
  if ((!st.uri.startsWith('/') || ctx.view.target === '*') && !ruleSet.options.has('AllowAnyURI')) {
    ctx.trace?.({ type: 'stop', reason: 'not-a-path' });
    return PASS;
  }
  ctx.trace?.({ type: 'pass', context: 'server', uri: st.uri, args: st.args, redirected: false });
  const oargs = st.args;
  st.filename = st.uri;
  const { action, lastsub, reason } = applyList(ruleSet.rules, ctx);
  if (action === Action.None) return PASS;
  const f = st.filename;
  // a handed-off result is never a redirect, whatever scheme it names (Apache's prefix hides it)
  const abs = ctx.handoff ? NOT_ABSOLUTE : absoluteUri(f);
  const toProxy = ctx.handoff === 'proxy';
  const willEscape = abs.skip > 0 && action !== Action.NoEscape;
  if (st.args !== null && !willEscape && hasCtlOrSpace(st.args)) {
    keepRefused(ctx, oargs);
    return {
      type: 'status',
      status: 403,
      cause: 'unsafe',
      reason: 'Rewritten query string contains control characters or spaces',
    };
  }
  if (action === Action.Status || action === Action.StatusSet) {
    keepRefused(ctx, oargs);
    return statusOutcome(ctx, reason);
  }
  if (toProxy) return proxyOutcome(ctx, action);
  if (abs.skip) return redirectOutcome(ctx, action, oargs);
  if (ctx.handoff === 'passthrough')
    return { ...localOutcome(f, st.args, false), passThrough: true } as Outcome;
  if (!f.startsWith('/'))
    return {
      type: 'status',
      status: 400,
      cause: 'bad-request',
      reason: 'local result is not an absolute path',
    };
  const isFile =
    !ctx.uriReduced && prefixStat(ctx, f, lastsub, hasOption(ruleSet, 'UnsafePrefixStat'));
  if (isFile) {
    const root = ctx.server.documentRoot.replace(/\/$/, '');
    if (f.startsWith(root + '/')) return localOutcome(f.slice(root.length), st.args, false);
    return localOutcome(f, st.args, true);
  }
  return localOutcome(f, st.args, false);
}

/**
 * hook_uri2file returns a status with r->filename and r->args as the rules left them: kept for the
 * error page when the rules changed them (Effects.refusedAs).
 */
function keepRefused(ctx: EvalContext, oargs: string | null): void {
  const { filename, args, uri } = ctx.state;
  if (filename !== uri || args !== oargs) ctx.refusedAs = { filename, args };
}

/** Most rule sets name no RewriteOptions: no Set lookup for them. */
function hasOption(ruleSet: RuleSet, option: RewriteOptionName): boolean {
  return ruleSet.options.size > 0 && ruleSet.options.has(option);
}

/**
 * A status the rules forced. `[F,R=abc]` forces code 0 (R= with no number keeps 0, F's status flag
 * stays): Apache logs "forcing responsecode 0", translate_name returns OK without a filename, and
 * the request ends in a 404 even for a file that exists (recorded on 2.4.71; fuzz counterexample).
 */
function statusOutcome(ctx: EvalContext, reason: StatusCause | undefined): Outcome {
  if (ctx.status === 0)
    return { type: 'status', status: 404, cause: 'flag', reason: 'forced response code 0' };
  return { type: 'status', status: ctx.status, cause: reason ?? 'flag' };
}
