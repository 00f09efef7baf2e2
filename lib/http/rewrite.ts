/**
 * `rewrite(rules, options)`: the middleware for Express 4/5, Connect and plain node:http.
 * It builds the request view, runs the engine and turns the Outcome into HTTP — it never
 * re-decides what the engine decided.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { chooseContext, inferenceNote, withImpliedEngine } from '../compile/entry.js';
import { inheritRules } from '../compile/inherit.js';
import { RewriteRuntimeError, statusErrorCode } from '../errors.js';
import { checkMapTimeout, MapBudget } from '../engine/budget.js';
import type { EvaluateInput } from '../engine/context.js';
import { evaluateDirectory, evaluateServer } from '../engine/evaluate.js';
import type { Evaluation } from '../engine/outcome.js';
import { invalidHost, parseTarget } from '../engine/request.js';
import { registeredHandler } from '../engine/own.js';
import {
  answerSafely,
  appendVary,
  checkHeader,
  failSafely,
  forceContentType,
  sendFailure,
  sendRedirect,
  sendStatus,
} from './respond.js';
import { debug, refreshExpress4Query, traceSink } from './adapter.js';
import { handOff } from './hand-off.js';
import { upgradeHandler, type UpgradeCapable, type UpgradeListener } from './upgrade.js';
import { checkRewriteOptions } from './check-options.js';
import { checkRulesInput, loadRules, ownedPrograms, rulesFile } from './load-rules.js';
import { compileTrust, requestView } from './request-view.js';
import { RequestRewriteInfo } from './rewrite-info.js';
import type { Next, RewriteInfo, RewriteOptions, RulesInput } from './types.js';

export const kRounds = Symbol.for('modrewrite.internalRedirects');

/** Shared, never written: requests without tracing get no trace array of their own. */
export const NO_TRACE: string[] = Object.freeze([]) as unknown as string[];

/**
 * Creates the rewrite middleware.
 * @example
 * app.use(rewrite(`
 *   RewriteEngine on
 *   RewriteRule ^/old/(\d+)$ /new?id=$1 [QSA,L]
 * `));
 */
export function rewrite<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
>(
  rules: RulesInput,
  options: RewriteOptions<Req, Res> = {},
): ((req: Req, res: Res, next?: Next) => void) & { upgrade: UpgradeListener; close: () => void } {
  checkRulesInput('rewrite()', rules);
  checkRewriteOptions(options);
  if (options.parent !== undefined) checkRulesInput('rewrite() parent', options.parent);
  // an .htaccess file is directory context unless told otherwise (compile/entry.ts states the rule)
  const choice = chooseContext(options.context, rulesFile(rules));
  const context = choice.context;
  let ruleSet = loadRules(rules, { ...options, context });
  const programs = ownedPrograms(rules, ruleSet, options.maps);
  if (options.parent !== undefined) {
    const parent = loadRules(options.parent, { ...options, context: 'server' });
    programs.push(...ownedPrograms(options.parent, parent, options.maps));
    ruleSet = inheritRules(parent, ruleSet);
  }
  const written = ruleSet;
  // rules the user installed run unless they say RewriteEngine Off (merged with the parent's first)
  ruleSet = withImpliedEngine(ruleSet);
  const root = resolve(options.root ?? process.cwd());
  const server = {
    documentRoot: root,
    serverName: options.serverName,
    serverAliases: options.serverAliases,
    useCanonicalName: options.useCanonicalName,
    serverAdmin: options.serverAdmin,
  };
  const trust = compileTrust(options.trustProxy);
  const mapTimeout = checkMapTimeout(options.mapTimeout);
  // a budget per request only where a map could answer asynchronously
  const budget = (): MapBudget | undefined =>
    ruleSet.maps.size > 0 ? new MapBudget(mapTimeout) : undefined;
  const traceFn = traceSink(options.trace);
  const note = inferenceNote(
    `rewrite() rules${ruleSet.file ? ` (${ruleSet.file})` : ''}`,
    choice,
    written,
  );
  if (note) traceFn?.(note);

  const middleware = function rewriteMiddleware(req: Req, res: Res, next?: Next): void {
    const done: Next =
      next ??
      ((err?: unknown) => {
        if (err) {
          sendFailure(req, res, err);
          return;
        }
        if (!res.headersSent) sendStatus(req, res, 404);
      });
    const baseUrl =
      context === 'directory' ? String((req as { baseUrl?: string }).baseUrl ?? '') : '';
    const fullUrl = baseUrl ? mountedUrl(req, baseUrl) : (req.url ?? '/');
    const parsed = parseTarget(fullUrl);
    if (!parsed.ok) {
      sendStatus(req, res, parsed.status);
      return;
    }
    const tracing = !!(traceFn || options.trace);
    const trace: string[] = tracing ? [] : NO_TRACE;
    const input: EvaluateInput = {
      view: requestView(req, trust),
      server,
      uri: parsed.uri,
      args: parsed.args,
      fs: options.fs,
      trace: tracing
        ? (line) => {
            trace.push(line);
            traceFn?.(line);
          }
        : undefined,
      directory: options.directory ?? (baseUrl || '/'),
      mapBudget: budget(),
    };
    let result: Evaluation | Promise<Evaluation>;
    try {
      result =
        context === 'directory'
          ? evaluateDirectory(ruleSet, input)
          : evaluateServer(ruleSet, input);
    } catch (err) {
      done(err);
      return;
    }
    // nothing thrown while answering may escape the request (an unhandled rejection ends the process)
    if (result instanceof Promise) {
      result.then(
        (r) => answerSafely(res, done, () => apply(r, req, res, done, baseUrl, trace)),
        (err: unknown) => failed(err, done),
      );
      return;
    }
    // the synchronous path inlines answerSafely: no closure per request on the hot path
    try {
      apply(result, req, res, done, baseUrl, trace);
    } catch (err) {
      failSafely(res, done, err);
    }
  };
  // `server.on('upgrade', mw.upgrade)`: the same rules for WebSocket handshakes, [P] to options.proxy.upgrade
  const evaluateUpgrade = (
    req: IncomingMessage,
    uri: string,
    args: string | null,
  ): Evaluation | Promise<Evaluation> => {
    const input: EvaluateInput = {
      view: requestView(req, trust),
      server,
      uri,
      args,
      fs: options.fs,
      directory: options.directory ?? '/',
      mapBudget: budget(),
    };
    return context === 'directory'
      ? evaluateDirectory(ruleSet, input)
      : evaluateServer(ruleSet, input);
  };
  // close(): the prg: children of RewriteMaps in these rules end (they also end with the process)
  const close = (): void => {
    for (const program of programs) program.close();
  };
  return Object.assign(middleware, {
    upgrade: upgradeHandler(evaluateUpgrade, options.proxy as UpgradeCapable | undefined),
    close,
  });

  /** An evaluation that failed after waiting for maps (ERR_MAP_TIMEOUT): logged, then `next(err)`. */
  function failed(err: unknown, next: Next): void {
    debug(
      '%s',
      err instanceof Error
        ? `${(err as { code?: string }).code ?? err.name}: ${err.message}`
        : String(err),
    );
    next(err);
  }

  function apply(
    evaluation: Evaluation,
    req: Req,
    res: Res,
    next: Next,
    baseUrl: string,
    trace: string[],
  ): void {
    const { outcome, effects } = evaluation;
    // fast path: nothing matched and nothing was set
    if (
      outcome.type === 'pass' &&
      effects.env.size === 0 &&
      !effects.vary.length &&
      !effects.cookies.length &&
      !effects.contentType &&
      !effects.handler &&
      !trace.length
    ) {
      next();
      return;
    }
    // Only when there is something to tell beyond req.url: adding a property to every rewritten
    // request changes its hidden class and measured 4 % of throughput on a plain rewrite.
    if (
      effects.env.size ||
      effects.contentType ||
      effects.handler ||
      trace.length ||
      options.exposeOutcome
    ) {
      (req as unknown as { rewrite: RewriteInfo }).rewrite = new RequestRewriteInfo(
        evaluation,
        trace,
      );
    }
    // Apache answers redirects and errors it generates with err_headers_out only: Set-Cookie from
    // [CO] survives, Vary does not (recorded); responses the app produces get the Vary
    const answered = outcome.type === 'redirect' || outcome.type === 'status';
    // every header that carries request data is checked before any is set: a refused one is a 500
    if (effects.cookies.length) checkHeader('Set-Cookie', effects.cookies);
    if (effects.contentType) checkHeader('Content-Type', effects.contentType);
    if (!answered) appendVary(res, effects.vary);
    if (effects.cookies.length) {
      const prev = res.getHeader('Set-Cookie');
      res.setHeader('Set-Cookie', [
        ...(prev === undefined ? [] : Array.isArray(prev) ? prev : [String(prev)]),
        ...effects.cookies,
      ]);
    }
    if (effects.contentType) forceContentType(res, effects.contentType);
    switch (outcome.type) {
      case 'pass':
        break;
      case 'rewrite':
        if (!setUrl(req, baseUrl, outcome.url)) return;
        break;
      case 'file':
        if (options.file) {
          options.file(req, res, next, { path: outcome.path, args: outcome.args });
          return;
        }
        if (!setUrl(req, baseUrl, outcome.url)) return;
        break;
      case 'redirect':
        // a Host Apache's fix_hostname refuses never reaches a Location (%{HTTP_HOST} would reflect it): 400, as Apache
        if (invalidHost(req.headers)) {
          sendStatus(req, res, 400);
          return;
        }
        sendRedirect(req, res, outcome.status, outcome.location);
        return;
      case 'status':
        if (outcome.status >= 500) {
          next(
            new RewriteRuntimeError(
              statusErrorCode(outcome.cause),
              `modrewrite: ${req.url}: ${outcome.status} (${outcome.reason ?? outcome.cause})`,
              { status: outcome.status },
            ),
          );
          return;
        }
        sendStatus(req, res, outcome.status);
        return;
      case 'proxy':
        if (options.proxy) {
          handOff(options.proxy, req, res, next, outcome);
          return;
        }
        debug(
          'attempt to make remote request from mod_rewrite without proxy enabled: proxy:%s (set options.proxy)',
          outcome.target,
        );
        sendStatus(req, res, 403);
        return;
      default: {
        const never: never = outcome;
        void never;
      }
    }
    const handler = effects.handler
      ? registeredHandler(options.handlers, effects.handler)
      : undefined;
    if (handler) {
      handler(req, res, next);
      return;
    }
    next();

    function setUrl(r: Req, base: string, url: string): boolean {
      if (!base || url.startsWith(base + '/') || url === base) {
        r.url = base ? url.slice(base.length) || '/' : url;
        refreshExpress4Query(r);
        return true;
      }
      // Left the mounted directory: re-dispatch through the app like ap_internal_redirect.
      const app = (r as unknown as { app?: { handle?: (q: Req, s: Res, n: Next) => void } }).app;
      const holder = r as unknown as Record<symbol, number>;
      holder[kRounds] = (holder[kRounds] ?? 0) + 1;
      if (app?.handle && holder[kRounds] <= 10) {
        r.url = url;
        (r as unknown as { baseUrl: string }).baseUrl = '';
        refreshExpress4Query(r);
        app.handle(r, res, next);
        return false;
      }
      if (app?.handle) {
        next(
          new RewriteRuntimeError('ERR_RECURSION', 'modrewrite: internal redirect limit exceeded', {
            status: 500,
          }),
        );
        return false;
      }
      r.url = url;
      return true;
    }
  }
}

/**
 * The full URL of a request inside an Express/Connect mount. Both `/sub` and `/sub/` arrive as
 * `req.url = '/'`; the original URL tells them apart (Apache treats the directory without its
 * trailing slash differently).
 */
export function mountedUrl(req: IncomingMessage, baseUrl: string): string {
  const url = req.url ?? '/';
  if (url === '/' || url.startsWith('/?')) {
    const original = (req as { originalUrl?: string }).originalUrl ?? '';
    const q = original.indexOf('?');
    const path = q < 0 ? original : original.slice(0, q);
    if (path === baseUrl) return baseUrl + url.slice(1);
  }
  return baseUrl + url;
}
