/**
 * Per-directory context (hook_fixup): the directory prefix is stripped and re-added, RewriteBase
 * applies, and substitutions are internal redirects that re-run the rules, capped like
 * LimitInternalRecursion.
 */
import { normalizeAbsolute } from '../common/posix-path.js';
import type { RuleSet } from '../compile/ruleset.js';
import { symlinksAllowed } from '../compile/core-options.js';
import { Action, applyList } from './apply.js';
import { absoluteUri, NOT_ABSOLUTE } from './uri.js';
import { hasCtlOrSpace } from '../common/escape.js';
import { PASS, type Outcome } from './outcome.js';
import type { EvalContext, FsView } from './state.js';
import { localOutcome, proxyOutcome, redirectOutcome } from './results.js';
import type { StopReason } from './trace.js';

/** LimitInternalRecursion's default. */
export const MAX_INTERNAL_REDIRECTS = 10;

/** subst_prefix_path: replace the directory prefix `match` of `input` by `subst`. */
export function substPrefixPath(input: string, match: string, subst: string): string {
  let len = match.length;
  if (len && match[len - 1] === '/') len--;
  if (input.startsWith(match.slice(0, len)) && input[len] === '/') {
    const s = subst.endsWith('/') || subst === '' ? subst : subst + '/';
    return s + input.slice(len + 1);
  }
  return input;
}

/** A `.` or `..` path segment. */
const DOT_SEGMENT = /\/\.\.?(?:\/|$)/;

/**
 * Apache's directory walk: the longest existing prefix is the filename, the rest PATH_INFO.
 * `.`/`..` segments are resolved first and never climb above the document root (ap_normalize_path
 * refuses them in a request; a caller's URL-path gets the same treatment instead of a filename
 * outside the root).
 */
export function mapToFile(
  docRoot: string,
  uri: string,
  fs: FsView,
): { filename: string; pathInfo: string } {
  const root = docRoot.replace(/\/$/, '');
  const segs = (DOT_SEGMENT.test(uri) ? normalizeAbsolute(uri) : uri).split('/');
  let path = root;
  for (let i = 1; i < segs.length; i++) {
    const candidate = path + '/' + segs[i];
    if (segs[i] === '' && i === segs.length - 1) return { filename: candidate, pathInfo: '' };
    const st = fs.stat(candidate);
    if (!st)
      return {
        filename: candidate,
        pathInfo: segs.slice(i + 1).length ? '/' + segs.slice(i + 1).join('/') : '',
      };
    if (!st.isDirectory())
      return {
        filename: candidate,
        pathInfo: segs.slice(i + 1).length ? '/' + segs.slice(i + 1).join('/') : '',
      };
    path = candidate;
  }
  return { filename: path, pathInfo: '' };
}

/**
 * `args`: the query string the internal redirect carries (r->args, which later fixups see).
 * `discardedPathInfo`: a [DPI] rule cleared r->path_info and the rewrite was ignored (same URL):
 * the file is served without it.
 */
export type DirResult =
  | {
      type: 'outcome';
      outcome: Outcome;
      discardedPathInfo?: true;
      /**
       * A status outcome: r->filename, r->args and r->path_info as the rules left them (a [DPI]
       * rule cleared the last). Apache's hook_fixup returns the status without restoring them,
       * so the error page's `Header` expressions read them (REQUEST_FILENAME, QUERY_STRING).
       */
      left?: { filename: string; args: string | null; pathInfo: string };
    }
  | { type: 'internal'; url: string; args: string | null };

/**
 * One per-directory pass (hook_fixup) for the directory `dir` (a filesystem path ending in `/`).
 */
export function directoryPass(ruleSet: RuleSet, ctx: EvalContext, dir: string): DirResult {
  const st = ctx.state;
  if (isDirectoryWithoutSlash(ruleSet, ctx, dir)) return declined(ctx, 'no-slash');
  if (ctx.end) return declined(ctx, 'end-earlier');
  ctx.trace?.({
    type: 'pass',
    context: 'directory',
    uri: st.uri,
    args: st.args,
    directory: dir,
    redirected: ctx.redirected,
  });
  if (!symlinksAllowed(ruleSet)) {
    ctx.trace?.({ type: 'stop', reason: 'symlinks' });
    return done({
      type: 'status',
      status: 403,
      cause: 'config',
      reason: 'Options FollowSymLinks and SymLinksIfOwnerMatch are both off',
    });
  }
  const before: Before = { filename: st.filename, args: st.args, pathInfo: st.pathInfo };
  ctx.perdir = dir;
  ctx.base = ruleSet.base;
  const { action, reason } = applyList(ruleSet.rules, ctx);
  if (action === Action.None) {
    st.filename = before.filename;
    return done(PASS);
  }
  // a handed-off result is never a redirect, whatever scheme it names (Apache's prefix hides it)
  const abs = ctx.handoff ? NOT_ABSOLUTE : absoluteUri(st.filename);
  const willEscape = abs.skip > 0 && action !== Action.NoEscape;
  if (st.args !== null && !willEscape && hasCtlOrSpace(st.args))
    return refusedAsLeft(ctx, {
      type: 'status',
      status: 403,
      cause: 'unsafe',
      reason: 'Rewritten query string contains control characters or spaces',
    });
  // a forced code 0 (`[F,R=abc]`): Apache's fixup returns OK and the file is served as mapped
  // (recorded)
  if (action === Action.Status || action === Action.StatusSet)
    return ctx.status === 0
      ? done(PASS)
      : refusedAsLeft(ctx, { type: 'status', status: ctx.status, cause: reason ?? 'flag' });
  if (ctx.handoff === 'proxy') return done(proxyOutcome(ctx, action));
  if (abs.skip) {
    if (ruleSet.base !== undefined) rebaseRedirect(ctx, dir, ruleSet.base, abs.skip);
    return done(redirectOutcome(ctx, action, before.args));
  }
  return localResult(ruleSet, ctx, dir, before);
}

/** The filename and query string before the rules ran. */
interface Before {
  readonly filename: string;
  readonly args: string | null;
  readonly pathInfo: string;
}

const done = (outcome: Outcome): DirResult => ({ type: 'outcome', outcome });

/** A status the pass ends in, with the filename and query string the rules left (DirResult). */
function refusedAsLeft(ctx: EvalContext, outcome: Outcome): DirResult {
  const { filename, args, pathInfo } = ctx.state;
  return { type: 'outcome', outcome, left: { filename, args, pathInfo } };
}

/**
 * The directory itself without a trailing slash: the pass declines so mod_dir can redirect. (In
 * Apache this can only happen for a real directory; a mount without one on disk must not decline.)
 */
function isDirectoryWithoutSlash(ruleSet: RuleSet, ctx: EvalContext, dir: string): boolean {
  const filename = ctx.state.filename;
  return (
    !ruleSet.options.has('AllowNoSlash') &&
    filename.length === dir.length - 1 &&
    dir.startsWith(filename) &&
    ctx.fs.stat(filename)?.isDirectory() === true
  );
}

/** RewriteBase on a redirect to this server: the directory prefix of its path becomes the base. */
function rebaseRedirect(ctx: EvalContext, dir: string, base: string, skip: number): void {
  const st = ctx.state;
  let slash = st.filename.indexOf('/', skip);
  // a mounted site's URLs carry the mount path first (constructUrl); RewriteBase replaces what
  // follows it
  const mount = ctx.server.mountPath ?? '';
  if (mount && st.filename.startsWith(mount + '/', slash)) slash += mount.length;
  if (slash < 0 || slash + 1 >= st.filename.length) return;
  const cp = st.filename.slice(slash + 1);
  const cp2 = substPrefixPath(cp, dir.startsWith('/') ? dir.slice(1) : dir, base.slice(1));
  if (cp2 !== cp) st.filename = st.filename.slice(0, slash + 1) + cp2;
}

/**
 * A local substitution: the same filename is ignored, anything else is an internal redirect to
 * the URL-path under RewriteBase (or under the DocumentRoot without one).
 */
function localResult(ruleSet: RuleSet, ctx: EvalContext, dir: string, before: Before): DirResult {
  const st = ctx.state;
  let f = st.filename;
  if (!f.startsWith('/'))
    return done({
      type: 'status',
      status: 400,
      cause: 'bad-request',
      reason: 'local result is not an absolute path',
    });
  if (f === before.filename) {
    ctx.trace?.({ type: 'same-url', url: f });
    // hook_fixup returns OK here ("[IGNORING REWRITE]") without undoing splitout_queryargs: a
    // query string the rule set stays on the request (case 230: `^(.*)$ index.php?q=$1` gives
    // q=index.php)
    const outcome = st.args !== before.args ? localOutcome(st.uri, st.args, false) : PASS;
    // [DPI] cleared r->path_info, and nothing restores it: the default handler serves the file
    // without PATH_INFO (recorded, case 313)
    if (before.pathInfo && !st.pathInfo)
      return { type: 'outcome', outcome, discardedPathInfo: true };
    return done(outcome);
  }
  if (ruleSet.base !== undefined) {
    f = substPrefixPath(f, dir, ruleSet.base);
  } else {
    const root = ctx.server.documentRoot.replace(/\/$/, '');
    if (f.startsWith(root) && f[root.length] === '/') f = f.slice(root.length);
  }
  const url = f + (st.args !== null ? '?' + st.args : '');
  ctx.trace?.({ type: 'internal-redirect', url });
  return { type: 'internal', url, args: st.args };
}

/** A pass that declined before any rule ran, with its reason in the trace. */
function declined(ctx: EvalContext, reason: StopReason): DirResult {
  ctx.trace?.({ type: 'stop', reason });
  return { type: 'outcome', outcome: PASS };
}

export function renameEnv(env: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of env) out.set('REDIRECT_' + k, v);
  out.set('REDIRECT_STATUS', '200');
  return out;
}
