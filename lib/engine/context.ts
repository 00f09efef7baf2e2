/**
 * The per-request evaluation context and the driver shared by both contexts: synchronous unless a
 * map answers asynchronously, in which case the evaluation re-runs after the answer arrives (map
 * results are cached per request).
 */
import type { RuleSet } from '../compile/ruleset.js';
import { RewriteRuntimeError } from '../errors.js';
import { PASS, type Evaluation, type Outcome } from './outcome.js';
import { parseTarget, type RequestView, type ServerInfo } from './request.js';
import { NeedAsync, NONE, type EvalContext, type FsView, type RequestState } from './state.js';
import type { MapBudget } from './budget.js';
import { directoryPass, mapToFile } from './directory.js';
import { serverPass } from './server.js';
import { nodeFs } from './node-fs.js';
import { textHook, type TraceHook } from './trace.js';

export interface EvaluateInput {
  readonly view: RequestView;
  readonly server: ServerInfo;
  /** Decoded URL-path (r->uri) and raw query of the request. */
  readonly uri: string;
  readonly args: string | null;
  readonly fs?: FsView;
  /** Environment already set (e.g. by an earlier pass). */
  readonly env?: ReadonlyMap<string, string>;
  /** END was set by an earlier pass of the same request. */
  readonly end?: boolean;
  /** Trace lines (rendered from the structured events). */
  readonly trace?: (line: string) => void;
  /** Structured trace events (explain()); when given, `trace` is not called. */
  readonly traceEvents?: TraceHook;
  /** Per-directory: the URL-path of the directory the rules belong to (default `/`). */
  readonly directory?: string;
  /** The request's budget for asynchronous map answers (none: wait as long as they take). */
  readonly mapBudget?: MapBudget;
}

export function makeContext(
  ruleSet: RuleSet,
  input: EvaluateInput,
  state: RequestState,
  mapCache: Map<string, string | undefined>,
  redirected: boolean,
  perdirDir?: string,
): EvalContext {
  return {
    subrequest: usesLookahead(ruleSet)
      ? makeSubrequest(ruleSet, input, mapCache, perdirDir)
      : undefined,
    fileSubrequest:
      perdirDir !== undefined && usesLookahead(ruleSet)
        ? makeFileSubrequest(ruleSet, input, mapCache, perdirDir)
        : undefined,
    view: input.view,
    server: input.server,
    fs: input.fs ?? nodeFs,
    maps: ruleSet.maps,
    mapCache,
    state,
    perdir: null,
    rr: null,
    rc: null,
    varyThis: NONE,
    vary: NONE,
    responseVary: NONE,
    cookies: NONE,
    cookieNames: undefined,
    status: 0,
    uriReduced: false,
    end: !!input.end,
    trace: input.traceEvents ?? (input.trace ? textHook(input.trace) : undefined),
    redirected,
    originalUri: input.uri,
  };
}

/** The `-U` look-ahead: a dry run of the same rules for another URL (see applyCond). */
export function makeSubrequest(
  ruleSet: RuleSet,
  input: EvaluateInput,
  mapCache: Map<string, string | undefined>,
  perdirDir?: string,
) {
  return (url: string): { type: string; status?: number } => {
    const parsed = parseTarget(url);
    if (parsed.type === 'refused') return { type: 'status', status: parsed.status };
    // the sub-request runs the same rules with IS_SUBREQ true ([NS] and [R] rules are skipped
    // there, and it does not look ahead again)
    const subInput: EvaluateInput = {
      ...input,
      view: { ...subView(input.view), isSubreq: true },
      uri: parsed.uri,
      args: parsed.args,
      env: undefined,
      end: false,
      trace: undefined,
      traceEvents: undefined,
    };
    if (perdirDir === undefined) {
      const st: RequestState = {
        uri: parsed.uri,
        args: parsed.args,
        filename: parsed.uri,
        pathInfo: '',
        env: new Map(),
      };
      return serverPass(ruleSet, makeContext(ruleSet, subInput, st, mapCache, false));
    }
    const mapped = mapToFile(
      input.server.documentRoot.replace(/\/$/, ''),
      parsed.uri,
      input.fs ?? nodeFs,
    );
    if (!(mapped.filename + mapped.pathInfo + '/').startsWith(perdirDir)) return PASS;
    const st: RequestState = {
      uri: parsed.uri,
      args: parsed.args,
      filename: mapped.filename,
      pathInfo: mapped.pathInfo,
      env: new Map(),
    };
    const r = directoryPass(
      ruleSet,
      makeContext(ruleSet, subInput, st, mapCache, false, perdirDir),
      perdirDir,
    );
    return r.type === 'outcome' ? r.outcome : { type: 'rewrite' };
  };
}

/**
 * `-F` in per-directory context: Apache's file sub-request runs the directory's rules for that
 * file; a rule that forbids, redirects or rewrites it makes the look-ahead fail.
 */
export function makeFileSubrequest(
  ruleSet: RuleSet,
  input: EvaluateInput,
  mapCache: Map<string, string | undefined>,
  perdirDir: string,
) {
  return (path: string): boolean => {
    if (!(path + '/').startsWith(perdirDir)) return true;
    const root = input.server.documentRoot.replace(/\/$/, '');
    const uri = path.startsWith(root + '/') ? path.slice(root.length) : path;
    const subInput: EvaluateInput = {
      ...input,
      view: { ...subView(input.view), isSubreq: true },
      uri,
      args: null,
      env: undefined,
      end: false,
      trace: undefined,
      traceEvents: undefined,
    };
    const st: RequestState = { uri, args: null, filename: path, pathInfo: '', env: new Map() };
    const r = directoryPass(
      ruleSet,
      makeContext(ruleSet, subInput, st, mapCache, false, perdirDir),
      perdirDir,
    );
    return r.type === 'outcome' && r.outcome.type === 'pass';
  };
}

export const lookahead = new WeakMap<RuleSet, boolean>();

/** The rule set asked last (one WeakMap lookup less per request for a process with one set). */
let lastRuleSet: RuleSet | undefined;
let lastLookahead = false;

/**
 * Whether any condition is a `-U` look-ahead (only then does a context need the sub-request hook).
 */
export function usesLookahead(ruleSet: RuleSet): boolean {
  if (ruleSet === lastRuleSet) return lastLookahead;
  let v = lookahead.get(ruleSet);
  if (v === undefined) {
    v = ruleSet.rules.some((r) =>
      r.conds.some((c) => c.test.type === 'file' && (c.test.test === 'U' || c.test.test === 'F')),
    );
    lookahead.set(ruleSet, v);
  }
  lastRuleSet = ruleSet;
  lastLookahead = v;
  return v;
}

/** A plain copy of a request view (getters evaluated), so `isSubreq` can be overridden. */
export function subView(v: RequestView): RequestView {
  return {
    method: 'GET',
    target: v.target,
    protocol: v.protocol,
    headers: v.headers,
    remoteAddr: v.remoteAddr,
    remotePort: v.remotePort,
    connRemoteAddr: v.connRemoteAddr,
    localAddr: v.localAddr,
    localPort: v.localPort,
    secure: v.secure,
    tls: v.tls,
  };
}

/** The evaluation of a request no rule touched, shared. */
export const UNTOUCHED: Evaluation = Object.freeze({
  outcome: PASS,
  effects: Object.freeze({
    vary: NONE,
    cookies: NONE,
    env: new Map() as ReadonlyMap<string, string>,
    end: false,
    internalRedirects: 0,
  }),
});

export function finish(ctx: EvalContext, outcome: Outcome, internalRedirects: number): Evaluation {
  ctx.trace?.({ type: 'outcome', outcome });
  return evaluation(ctx, outcome, internalRedirects);
}

/**
 * finish() without the trace's outcome event (a pass whose result is not the request's outcome).
 */
export function evaluation(
  ctx: EvalContext,
  outcome: Outcome,
  internalRedirects: number,
): Evaluation {
  const status = statusKept(ctx, outcome);
  if (
    ctx.responseVary === NONE &&
    ctx.cookies === NONE &&
    ctx.state.env.size === 0 &&
    !ctx.forcedType &&
    !ctx.forcedHandler &&
    !ctx.end &&
    !internalRedirects &&
    status === undefined &&
    !ctx.refusedAs
  )
    // no side effects (the usual rewrite too): the shared, frozen effects, one object less
    return outcome === PASS ? UNTOUCHED : { outcome, effects: UNTOUCHED.effects };
  return {
    outcome,
    effects: {
      vary: ctx.responseVary,
      cookies: ctx.cookies,
      env: ctx.state.env,
      contentType: ctx.forcedType,
      handler: ctx.forcedHandler,
      end: ctx.end,
      internalRedirects,
      ...(status !== undefined && { status }),
      ...(ctx.refusedAs && { refusedAs: ctx.refusedAs }),
    },
  };
}

/**
 * The status a redirect rule set (r->status, apply_rewrite_rule) when a later rule rewrote to a
 * local path after all: the request keeps it (undefined: none, or the outcome is not local).
 */
function statusKept(ctx: EvalContext, outcome: Outcome): number | undefined {
  if (ctx.status === 0) return undefined;
  const t = outcome.type;
  return t === 'pass' || t === 'rewrite' || t === 'file' ? ctx.status : undefined;
}

export const EMPTY_ENV: ReadonlyMap<string, string> = new Map();

/** Rule sets without maps never write the cache: they share this one. */
export const NO_MAPS_CACHE = new Map<string, string | undefined>();

/**
 * How often one pass may be suspended by asynchronous maps: each suspension settles one more
 * lookup (cached), so a pass with more distinct lookups than this is a configuration error.
 */
export const MAX_ASYNC_ROUNDS = 64;

/**
 * THE async driver of every pass (server, directory, site()'s per-directory fixup): runs `attempt`
 * synchronously; if a map lookup suspends it, awaits and re-runs (cache kept), at most
 * MAX_ASYNC_ROUNDS times. The attempt takes its arguments explicitly so the synchronous path
 * allocates no closure.
 */
export function drive<A, B, T = Evaluation>(
  attempt: (a: A, b: B, cache: Map<string, string | undefined>) => T,
  a: A,
  b: B,
  hasMaps: boolean,
  budget?: MapBudget,
): T | Promise<T> {
  const cache = hasMaps ? new Map<string, string | undefined>() : NO_MAPS_CACHE;
  try {
    return attempt(a, b, cache);
  } catch (err) {
    if (!(err instanceof NeedAsync)) throw err;
    const again = async (first: NeedAsync): Promise<T> => {
      // each round settles one more map answer (cached per request); the budget bounds the waiting
      let pending = first;
      for (let round = 0; round < MAX_ASYNC_ROUNDS; round++) {
        await (budget ? budget.wait(pending) : pending.promise);
        try {
          return attempt(a, b, cache);
        } catch (e) {
          if (!(e instanceof NeedAsync)) throw e;
          pending = e;
        }
      }
      throw new RewriteRuntimeError(
        'ERR_MAP_TIMEOUT',
        `map lookups did not settle within ${MAX_ASYNC_ROUNDS} rounds of one pass`,
        { status: 500 },
      );
    };
    return again(err);
  }
}
