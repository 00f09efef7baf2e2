/**
 * Evaluating mod_authz_core's tree (compile/authz.ts) for one request, as
 * modules/aaa/mod_authz_core.c `apply_authz_sections` does: a provider or section that does not
 * apply to the request method (its `<Limit>`) is GRANTED inside a `<RequireAll>` and NEUTRAL
 * elsewhere; `<RequireAll>` is denied by one DENIED child, `<RequireAny>` granted by one GRANTED
 * child; a negated result turns GRANTED into DENIED and DENIED into NEUTRAL. Only GRANTED at the
 * top lets the request through.
 *
 * `Require host` needs the client's host name (a double-reverse DNS lookup); modrewrite knows it for
 * a loopback client only (from the hosts file, site/loopback-host.ts). For any other client its
 * answer is unknown: the request is let through only if it would be granted whatever the host
 * checks answer (fail closed).
 */
import type { AuthzNode, RequireRule } from '../compile/authz.js';
import { evalExpr, type ExprEnv } from '../engine/expr.js';
import { methodIn, methodNumberOf } from '../syntax/limit.js';
import { inDomain } from './loopback-host.js';

/** authz_status: `no-user` is AUTHZ_DENIED_NO_USER (an authenticated user may change it). */
export type Result = 'granted' | 'denied' | 'neutral' | 'no-user';

/** What the providers look at. */
export interface AuthzRequest {
  readonly method: string;
  readonly env: ReadonlyMap<string, string>;
  /**
   * `ip` and `local`: whether the client address is in a network (throws when it is no address).
   */
  readonly ip: (rule: Extract<RequireRule, { type: 'ip' | 'local' }>) => boolean;
  /** `Require expr`: the variables. */
  readonly expr: ExprEnv;
  /** The client's double-reverse host name when it is known (a loopback client's, from the hosts file). */
  readonly hostName?: string;
  /** r->user: the authenticated user, once mod_auth_basic has accepted one. */
  readonly user?: string;
}

/** More `Require host` lines than this in one tree: not enumerated, denied. */
const MAX_UNKNOWNS = 6;

/** Whether `tree` (the merged `Require` configuration) grants the request. */
export function authzGrants(tree: AuthzNode, request: AuthzRequest): boolean {
  return authzResult(tree, request) === 'granted';
}

/**
 * apply_authz_sections at the top (an AND): `granted` only if granted whatever the unknown host
 * checks answer; else `no-user` if some answer needs a user, else `denied`.
 */
export function authzResult(tree: AuthzNode, request: AuthzRequest): Result {
  const unknowns = request.hostName === undefined ? countHosts(tree) : 0;
  if (unknowns > MAX_UNKNOWNS) return 'denied';
  let worst: Result = 'granted';
  for (let answers = 0; answers < 1 << unknowns; answers++) {
    let asked = 0;
    const host = (): boolean => ((answers >> asked++) & 1) === 1;
    const r = apply(tree, 'and', request, host);
    if (r === 'no-user' && worst === 'granted') worst = 'no-user';
    else if (r !== 'granted' && r !== 'no-user') return r === 'neutral' ? 'denied' : r;
  }
  return worst;
}

function countHosts(node: AuthzNode): number {
  if (node.type === 'provider') return node.rule.type === 'host' ? 1 : 0;
  return node.children.reduce((n, c) => n + countHosts(c), 0);
}

/** section->limited: the methods a node applies to (a section: those of any of its children). */
function covers(node: AuthzNode, method: string): boolean {
  if (node.type === 'provider') return methodIn(node.limit, method);
  return node.children.some((c) => covers(c, method));
}

function apply(
  node: AuthzNode,
  parentOp: 'and' | 'or',
  request: AuthzRequest,
  host: () => boolean,
): Result {
  if (!covers(node, request.method)) return parentOp === 'and' ? 'granted' : 'neutral';
  let result: Result;
  if (node.type === 'provider') result = provider(node.rule, request, host);
  else result = combine(node, request, host);
  if (!node.negate) return result;
  return result === 'granted' ? 'denied' : result === 'neutral' ? result : 'neutral';
}

function combine(
  node: Extract<AuthzNode, { type: 'section' }>,
  request: AuthzRequest,
  host: () => boolean,
): Result {
  let result: Result = 'neutral';
  for (const child of node.children) {
    const r = apply(child, node.op, request, host);
    if (r === 'neutral') continue;
    if (node.op === 'and' && r === 'denied') return 'denied';
    if (node.op === 'or' && r === 'granted') return 'granted';
    // a user may change the result: AUTHZ_DENIED_NO_USER wins over granted (AND), denied (OR)
    const noUser = r === 'no-user' && (node.op === 'and' || result === 'denied');
    if (noUser || result === 'neutral') result = r;
  }
  return result;
}

function provider(rule: RequireRule, request: AuthzRequest, host: () => boolean): Result {
  // expr_check_authorization: an expression on REMOTE_USER that is false without a user asks for
  // one; true without a user needs none (`!= 'alice'` lets everyone in, recorded in case 540)
  if (rule.type === 'expr' && rule.wantUser && request.user === undefined)
    return evalExpr(rule.expr, request.expr).ok ? 'granted' : 'no-user';
  if (rule.type === 'valid-user' || rule.type === 'user') {
    if (request.user === undefined) return 'no-user';
    // user_check_authorization: the names compared case-sensitively (strcmp)
    return rule.type === 'valid-user' || rule.names.includes(request.user) ? 'granted' : 'denied';
  }
  return providerGrants(rule, request, host) ? 'granted' : 'denied';
}

function providerGrants(
  rule: Exclude<RequireRule, { type: 'valid-user' | 'user' }>,
  request: AuthzRequest,
  host: () => boolean,
): boolean {
  switch (rule.type) {
    case 'all':
      return rule.granted;
    case 'ip':
    case 'local':
      return request.ip(rule);
    case 'env':
      return rule.names.some((name) => hasEnv(request.env, name));
    case 'method': {
      const number = methodNumberOf(request.method);
      return number !== undefined && rule.methods.has(number);
    }
    case 'expr':
      return evalExpr(rule.expr, request.expr).ok;
    case 'host':
      // host_check_authorization: granted when the name is in one of the domains
      if (request.hostName !== undefined)
        return rule.names.some((domain) => inDomain(domain, request.hostName!));
      return host();
  }
}

/** apr_table_get on r->subprocess_env: names compared case-insensitively. */
export function hasEnv(env: ReadonlyMap<string, string>, name: string): boolean {
  const wanted = name.toLowerCase();
  for (const key of env.keys()) if (key.toLowerCase() === wanted) return true;
  return false;
}
