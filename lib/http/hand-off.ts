/**
 * The `[P]` hand-off from rewrite(), site() and htaccess() to the proxy. proxy() returns a normal
 * 3-parameter middleware (Express and Connect take a 4-parameter function for an error handler and
 * skip it); the hand-off is a method under this symbol. A user's own `ProxyHandler` (a plain
 * function of `(req, res, next, hand)`) is called directly.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Next, ProxyHandler, ProxyRequest } from './types.js';

export const kProxyHandOff = Symbol.for('modrewrite.proxyHandOff');

/** What the engine decided for a `[P]` rule (an Outcome or a site resolution of kind proxy). */
export interface ProxyDecision {
  readonly target: string;
  readonly noCanon: boolean;
  readonly self?: boolean;
}

export function handOff<Req extends IncomingMessage, Res extends ServerResponse>(
  proxy: ProxyHandler<Req, Res>,
  req: Req,
  res: Res,
  next: Next,
  decision: ProxyDecision,
): void {
  const viaSymbol = (proxy as unknown as Record<symbol, ProxyHandler<Req, Res> | undefined>)[
    kProxyHandOff
  ];
  // proxy()'s own hand-off reads the decision's target and self only: no copy per request
  if (viaSymbol) {
    viaSymbol(req, res, next, decision);
    return;
  }
  // a user's handler gets exactly a ProxyRequest (the decision may carry more fields)
  const hand: ProxyRequest = decision.self
    ? { target: decision.target, noCanon: decision.noCanon, self: true }
    : { target: decision.target, noCanon: decision.noCanon };
  proxy(req, res, next, hand);
}
