/**
 * Per-directory context (hook_fixup): the directory prefix is stripped and re-added, RewriteBase
 * applies, and substitutions are internal redirects that re-run the rules, capped like
 * LimitInternalRecursion.
 */
import { posix } from 'node:path';
import type { RuleSet } from '../compile/ruleset.js';
import { Action, applyList } from './apply.js';
import { absoluteUri } from './uri.js';
import { hasCtlOrSpace } from './escape.js';
import type { Evaluation, Outcome } from './outcome.js';
import { parseTarget } from './request.js';
import { append, type EvalContext, type FsView, type RequestState } from './state.js';
import {
  PASS,
  drive,
  engineOff,
  finish,
  makeContext,
  nodeFs,
  type EvaluateInput,
} from './context.js';
import { localOutcome, proxyOutcome, redirectOutcome } from './results.js';

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
  const segs = (DOT_SEGMENT.test(uri) ? posix.normalize(uri) : uri).split('/');
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

export type DirResult = { kind: 'outcome'; outcome: Outcome } | { kind: 'internal'; url: string };

/** One per-directory pass (hook_fixup) for the directory `dir` (a filesystem path ending in `/`). */
export function directoryPass(ruleSet: RuleSet, ctx: EvalContext, dir: string): DirResult {
  const st = ctx.state;
  const done = (outcome: Outcome): DirResult => ({ kind: 'outcome', outcome });
  // The directory itself without a trailing slash: decline so mod_dir can redirect. (In Apache this
  // can only happen for a real directory; a mount without one on disk must not decline.)
  if (
    !ruleSet.options.has('AllowNoSlash') &&
    st.filename.length === dir.length - 1 &&
    dir.startsWith(st.filename) &&
    ctx.fs.stat(st.filename)?.isDirectory()
  )
    return done(PASS);
  if (ctx.end) return done(PASS);
  if (ruleSet.followSymLinks === false)
    return done({
      type: 'status',
      status: 403,
      cause: 'config',
      reason: 'Options FollowSymLinks and SymLinksIfOwnerMatch are both off',
    });
  const ofilename = st.filename;
  const oargs = st.args;
  ctx.perdir = dir;
  ctx.base = ruleSet.base;
  const { action, reason } = applyList(ruleSet.rules, ctx);
  if (action === Action.None) {
    st.filename = ofilename;
    return done(PASS);
  }
  const abs = absoluteUri(st.filename);
  const toProxy = st.filename.startsWith('proxy:');
  const willEscape = abs.skip > 0 && action !== Action.NoEscape;
  if (st.args !== null && !willEscape && hasCtlOrSpace(st.args))
    return done({
      type: 'status',
      status: 403,
      cause: 'unsafe',
      reason: 'Rewritten query string contains control characters or spaces',
    });
  if (action === Action.Status || action === Action.StatusSet)
    return done({ type: 'status', status: ctx.status, cause: reason ?? 'flag' });
  if (toProxy) return done(proxyOutcome(ctx, action));
  if (abs.skip) {
    if (ruleSet.base !== undefined) {
      let slash = st.filename.indexOf('/', abs.skip);
      // a mounted site's URLs carry the mount path first (constructUrl); RewriteBase replaces what follows it
      const mount = ctx.server.mountPath ?? '';
      if (mount && st.filename.startsWith(mount + '/', slash)) slash += mount.length;
      if (slash >= 0 && slash + 1 < st.filename.length) {
        const cp = st.filename.slice(slash + 1);
        const cp2 = substPrefixPath(
          cp,
          dir.startsWith('/') ? dir.slice(1) : dir,
          ruleSet.base.slice(1),
        );
        if (cp2 !== cp) st.filename = st.filename.slice(0, slash + 1) + cp2;
      }
    }
    return done(redirectOutcome(ctx, action, oargs));
  }
  let f = st.filename;
  if (f.startsWith('passthrough:')) f = f.slice(12);
  if (!f.startsWith('/'))
    return done({
      type: 'status',
      status: 400,
      cause: 'bad-request',
      reason: 'local result is not an absolute path',
    });
  if (f === ofilename) {
    ctx.trace?.(`initial URL equal rewritten URL: ${f} [IGNORING REWRITE]`);
    return done(PASS);
  }
  if (ruleSet.base !== undefined) {
    f = substPrefixPath(f, dir, ruleSet.base);
  } else {
    const root = ctx.server.documentRoot.replace(/\/$/, '');
    if (f.startsWith(root) && f[root.length] === '/') f = f.slice(root.length);
  }
  ctx.trace?.(`internal redirect with ${f} [INTERNAL REDIRECT]`);
  return { kind: 'internal', url: f + (st.args !== null ? '?' + st.args : '') };
}

export function renameEnv(env: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of env) out.set('REDIRECT_' + k, v);
  out.set('REDIRECT_STATUS', '200');
  return out;
}

/**
 * Evaluates per-directory rules for the directory `input.directory` (URL-path, default `/`)
 * under `server.documentRoot`, following internal redirects while they stay in that directory.
 */
export function evaluateDirectory(
  ruleSet: RuleSet,
  input: EvaluateInput,
): Evaluation | Promise<Evaluation> {
  if (ruleSet.engine !== true) return engineOff(input);
  const fs = input.fs ?? nodeFs;
  const root = input.server.documentRoot.replace(/\/$/, '');
  const dirUrl = (input.directory ?? '/').replace(/\/?$/, '/');
  const dir = root + dirUrl;
  return drive(
    (_a: null, _b: null, cache: Map<string, string | undefined>) => {
      let uri = input.uri;
      let args = input.args;
      let env = new Map(input.env ?? []);
      let end = !!input.end;
      const vary: string[] = [];
      const cookies: string[] = [];
      for (let round = 0; ; round++) {
        const mapped = mapToFile(root, uri, fs);
        const state: RequestState = {
          uri,
          args,
          filename: mapped.filename,
          pathInfo: mapped.pathInfo,
          env,
        };
        const ctx = makeContext(ruleSet, { ...input, end }, state, cache, round > 0, dir);
        ctx.responseVary = append(ctx.responseVary, ...vary);
        ctx.cookies = append(ctx.cookies, ...cookies);
        // rules of a directory apply only to requests inside it (or to the directory itself)
        if (round === 0 && !(mapped.filename + mapped.pathInfo + '/').startsWith(dir))
          return finish(ctx, PASS, 0);
        const result = directoryPass(ruleSet, ctx, dir);
        if (result.kind === 'outcome') {
          if (round > 0 && result.outcome.type === 'pass')
            return finish(ctx, localOutcome(uri, args, false), round);
          return finish(ctx, result.outcome, round);
        }
        if (round + 1 > MAX_INTERNAL_REDIRECTS) {
          ctx.trace?.(
            `Request exceeded the limit of ${MAX_INTERNAL_REDIRECTS} internal redirects due to probable configuration error.`,
          );
          return finish(
            ctx,
            { type: 'status', status: 500, cause: 'recursion', reason: 'recursion' },
            round,
          );
        }
        const parsed = parseTarget(result.url);
        if (!parsed.ok)
          return finish(
            ctx,
            { type: 'status', status: parsed.status, cause: 'bad-request' },
            round,
          );
        vary.splice(0, vary.length, ...ctx.responseVary);
        cookies.splice(0, cookies.length, ...ctx.cookies);
        end = ctx.end;
        env = renameEnv(ctx.state.env);
        uri = parsed.uri;
        args = parsed.args;
        // Left the directory: the rules no longer apply; the app sees the new URL.
        if (
          !(uri + '/').startsWith(dirUrl) ||
          (uri + '/' === dirUrl && !uri.endsWith('/') && dirUrl !== '/')
        ) {
          const c2 = makeContext(
            ruleSet,
            input,
            { uri, args, filename: uri, pathInfo: '', env },
            cache,
            true,
          );
          c2.responseVary = append(c2.responseVary, ...vary);
          c2.cookies = append(c2.cookies, ...cookies);
          c2.end = end;
          return finish(c2, localOutcome(uri, args, false), round + 1);
        }
      }
    },
    null,
    null,
    ruleSet.maps.size > 0,
    input.mapBudget,
  );
}
