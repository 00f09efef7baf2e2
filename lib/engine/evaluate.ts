/**
 * The two entry points of the engine: a server-context evaluation (hook_uri2file) and a
 * per-directory one (hook_fixup) with its internal redirects. They build the evaluation context
 * (context.ts), which in turn runs the passes (server.ts, directory.ts) for `-U`/`-F` look-aheads:
 * the entry points live apart from the passes so that no module imports its own importer.
 */
import type { RuleSet } from '../compile/ruleset.js';
import {
  drive,
  EMPTY_ENV,
  evaluation,
  finish,
  makeContext,
  type EvaluateInput,
} from './context.js';
import { nodeFs } from './node-fs.js';
import {
  directoryPass,
  mapToFile,
  MAX_INTERNAL_REDIRECTS,
  renameEnv,
  type DirResult,
} from './directory.js';
import { exceedsRedirectLimit } from './internal-redirect.js';
import { PASS, type Evaluation, type Outcome } from './outcome.js';
import { parseRedirectTarget } from './request.js';
import { localOutcome } from './results.js';
import { serverPass } from './server.js';
import { append, NONE, type EvalContext, type RequestState } from './state.js';

/**
 * Evaluates server-context rules (patterns see `/path`) for one request, framework-free: the
 * request is a `RequestView`, the filesystem and maps are injected. Synchronous unless an
 * asynchronous map answered (then a Promise).
 * @example
 * const view = {
 *   method: 'GET', target: '/old/1', protocol: 'HTTP/1.1', headers: { host: 'example.com' },
 *   remoteAddr: '127.0.0.1', remotePort: 50000, connRemoteAddr: '127.0.0.1',
 *   localAddr: '127.0.0.1', localPort: 80, secure: false,
 * };
 * const result = evaluateServer(compile('RewriteRule ^/old/(.*) /new/$1'), {
 *   view, server: { documentRoot: '/srv/www' }, uri: '/old/1', args: null });
 * // result.outcome: { type: 'rewrite', path: '/new/1', args: null, url: '/new/1' }
 */
export function evaluateServer(
  ruleSet: RuleSet,
  input: EvaluateInput,
): Evaluation | Promise<Evaluation> {
  if (ruleSet.engine !== true) return engineOff(input);
  return drive(attemptServer, ruleSet, input, ruleSet.maps.size > 0, input.mapBudget);
}

export function attemptServer(
  ruleSet: RuleSet,
  input: EvaluateInput,
  cache: Map<string, string | undefined>,
): Evaluation {
  const state: RequestState = {
    uri: input.uri,
    args: input.args,
    filename: input.uri,
    pathInfo: '',
    env: (input.env ?? EMPTY_ENV) as Map<string, string>,
    envShared: true,
  };
  const ctx = makeContext(ruleSet, input, state, cache, false);
  return finish(ctx, serverPass(ruleSet, ctx), 0);
}

/**
 * Evaluates per-directory rules for the directory `input.directory` (URL-path, default `/`)
 * under `server.documentRoot`, following internal redirects while they stay in that directory.
 * @example
 * // the .htaccess of /srv/www/blog: patterns see the path below /blog/
 * const text = 'RewriteEngine on\nRewriteRule ^post/(\\d+)$ index.php?p=$1';
 * const rules = compileText(text, { context: 'directory' });
 * const server = { documentRoot: '/srv/www' };
 * evaluateDirectory(rules, { view, server, uri: '/blog/post/7', args: null, directory: '/blog' });
 * // outcome: { type: 'rewrite', path: '/blog/index.php', args: 'p=7', … }
 */
export function evaluateDirectory(
  ruleSet: RuleSet,
  input: EvaluateInput,
): Evaluation | Promise<Evaluation> {
  if (ruleSet.engine !== true) return engineOff(input);
  return drive(directoryRounds, ruleSet, input, ruleSet.maps.size > 0, input.mapBudget);
}

/** What a round of evaluateDirectory hands the next: the new URL and the effects so far. */
interface Carried {
  uri: string;
  args: string | null;
  env: Map<string, string>;
  end: boolean;
  vary: readonly string[];
  cookies: readonly string[];
}

/**
 * evaluateDirectory's attempt (run again by drive() once an asynchronous map answered): the
 * directory's rules, and again after each internal redirect while the URL stays inside it.
 */
function directoryRounds(
  ruleSet: RuleSet,
  input: EvaluateInput,
  cache: Map<string, string | undefined>,
): Evaluation {
  const fs = input.fs ?? nodeFs;
  const root = input.server.documentRoot.replace(/\/$/, '');
  const dirUrl = (input.directory ?? '/').replace(/\/?$/, '/');
  const dir = root + dirUrl;
  const carried: Carried = {
    uri: input.uri,
    args: input.args,
    env: new Map(input.env ?? []),
    end: !!input.end,
    vary: [],
    cookies: [],
  };
  for (let round = 0; ; round++) {
    const { uri, args, env, end } = carried;
    const mapped = mapToFile(root, uri, fs);
    const state: RequestState = {
      uri,
      args,
      filename: mapped.filename,
      pathInfo: mapped.pathInfo,
      env,
    };
    const ctx = makeContext(ruleSet, { ...input, end }, state, cache, round > 0, dir);
    ctx.responseVary = append(ctx.responseVary, ...carried.vary);
    ctx.cookies = append(ctx.cookies, ...carried.cookies);
    // rules of a directory apply only to requests inside it (or to the directory itself)
    if (round === 0 && !(mapped.filename + mapped.pathInfo + '/').startsWith(dir)) {
      ctx.trace?.({ type: 'stop', reason: 'outside-directory' });
      return finish(ctx, PASS, 0);
    }
    const result = directoryPass(ruleSet, ctx, dir);
    if (result.type === 'outcome') {
      if (round > 0 && result.outcome.type === 'pass')
        return finish(ctx, localOutcome(uri, args, false), round);
      return finish(ctx, result.outcome, round);
    }
    if (exceedsRedirectLimit(round + 1)) return finish(ctx, recursionLimit(ctx), round);
    const parsed = parseRedirectTarget(result.url);
    if (parsed.type === 'refused')
      return finish(ctx, { type: 'status', status: parsed.status, cause: 'bad-request' }, round);
    carried.vary = [...ctx.responseVary];
    carried.cookies = [...ctx.cookies];
    carried.end = ctx.end;
    carried.env = renameEnv(ctx.state.env);
    carried.uri = parsed.uri;
    carried.args = parsed.args;
    if (leftDirectory(parsed.uri, dirUrl)) return leftWith(ruleSet, input, cache, carried, round);
  }
}

/** LimitInternalRecursion reached: a 500 with Apache's log line in the trace. */
function recursionLimit(ctx: EvalContext): Outcome {
  ctx.trace?.({
    type: 'note',
    message: `Request exceeded the limit of ${MAX_INTERNAL_REDIRECTS} internal redirects due to probable configuration error.`,
  });
  return { type: 'status', status: 500, cause: 'recursion', reason: 'recursion' };
}

/** The internal redirect left the directory (`/dir` for `/dir/` is outside too, unless root). */
function leftDirectory(uri: string, dirUrl: string): boolean {
  return (
    !(uri + '/').startsWith(dirUrl) ||
    (uri + '/' === dirUrl && !uri.endsWith('/') && dirUrl !== '/')
  );
}

/** Left the directory: the rules no longer apply; the app sees the new URL. */
function leftWith(
  ruleSet: RuleSet,
  input: EvaluateInput,
  cache: Map<string, string | undefined>,
  carried: Carried,
  round: number,
): Evaluation {
  const { uri, args, env } = carried;
  const ctx = makeContext(
    ruleSet,
    input,
    { uri, args, filename: uri, pathInfo: '', env },
    cache,
    true,
  );
  ctx.responseVary = append(ctx.responseVary, ...carried.vary);
  ctx.cookies = append(ctx.cookies, ...carried.cookies);
  ctx.end = carried.end;
  return finish(ctx, localOutcome(uri, args, false), round + 1);
}

/** One directory's rules for a request the caller (site()'s pipeline) has mapped to a file. */
export interface DirectoryPassInput extends EvaluateInput {
  /** r->filename and r->path_info as the directory walk left them. */
  readonly filename: string;
  readonly pathInfo: string;
  /** This pass follows an internal redirect (REDIRECT_* variables, `IS_SUBREQ` stays false). */
  readonly redirected: boolean;
  /** The directory of the `.htaccess` whose rules run, ending in `/` (mod_rewrite's perdir). */
  readonly rewriteDir: string;
}

export interface DirectoryPassResult {
  /** An outcome, or an internal redirect the caller follows through its own pipeline. */
  readonly result: DirResult;
  readonly evaluation: Evaluation;
}

/**
 * The per-directory fixup as site() runs it (hook_fixup for one request): unlike
 * evaluateDirectory, the caller walked the filesystem and follows internal redirects itself,
 * because they re-enter Apache's whole pipeline (translate_name, the walk, access checks).
 */
export function evaluateDirectoryPass(
  ruleSet: RuleSet,
  input: DirectoryPassInput,
): DirectoryPassResult | Promise<DirectoryPassResult> {
  return drive(attemptDirectoryPass, ruleSet, input, ruleSet.maps.size > 0, input.mapBudget);
}

function attemptDirectoryPass(
  ruleSet: RuleSet,
  input: DirectoryPassInput,
  cache: Map<string, string | undefined>,
): DirectoryPassResult {
  const state: RequestState = {
    uri: input.uri,
    args: input.args,
    filename: input.filename,
    pathInfo: input.pathInfo,
    env: new Map(input.env ?? []),
  };
  const ctx = makeContext(ruleSet, input, state, cache, input.redirected, input.rewriteDir);
  const result = directoryPass(ruleSet, ctx, input.rewriteDir);
  // an internal redirect is not the request's outcome: its trace event says what happens next
  const done =
    result.type === 'outcome' ? finish(ctx, result.outcome, 0) : evaluation(ctx, PASS, 0);
  return { result, evaluation: done };
}

/** RewriteEngine off: nothing is rewritten; the environment and an earlier [END] pass through. */
function engineOff(input: EvaluateInput): Evaluation {
  input.traceEvents?.({ type: 'stop', reason: 'engine-off' });
  return {
    outcome: PASS,
    effects: {
      vary: NONE,
      cookies: NONE,
      env: new Map(input.env ?? []),
      end: !!input.end,
      internalRedirects: 0,
    },
  };
}
