/** What a matching rule sets besides the URL: E=, CO= (formatted like Apache), T= and H=. */
import type { CompiledRule } from '../compile/ruleset.js';
import { expand } from './expand.js';
import { append, type EvalContext } from './state.js';
import { atoi } from './conditions.js';

export function forceTypeHandler(rule: CompiledRule, ctx: EvalContext): void {
  if (rule.flags.type) {
    const t = expand(rule.flags.type, ctx, rule).toLowerCase();
    if (t) ctx.forcedType = t;
  }
  if (rule.flags.handler) {
    const h = expand(rule.flags.handler, ctx, rule).toLowerCase();
    if (h) ctx.forcedHandler = h;
  }
}

export function setEnv(spec: string, ctx: EvalContext): void {
  // the environment Map is shared read-only until a rule writes to it
  if (ctx.state.envShared) {
    ctx.state.env = new Map(ctx.state.env);
    ctx.state.envShared = false;
  }
  if (spec.startsWith('!')) {
    ctx.state.env.delete(spec.slice(1));
    return;
  }
  const colon = spec.indexOf(':');
  if (colon < 0) ctx.state.env.set(spec, '');
  else ctx.state.env.set(spec.slice(0, colon), spec.slice(colon + 1));
}

export const WDAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

export const MON = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec',
];

/** CO=NAME:VAL:domain[:lifetime[:path[:secure[:httponly[:samesite]]]]], formatted like Apache. */
export function setCookie(spec: string, ctx: EvalContext): void {
  let sep = ':';
  let s = spec;
  if (s.startsWith(';')) {
    sep = ';';
    s = s.slice(1);
  }
  // apr_strtok: a run of separators is one, so an empty field is no field (`;a;b;dom;0;/;;;lax`
  // has `lax` as its secure field and no SameSite)
  const [name, val, domain, expires, path, secure, httponly, samesite] = s
    .split(sep)
    .filter((t) => t !== '');
  if (!name || !val || !domain) return;
  ctx.cookieNames ??= new Set();
  if (ctx.cookieNames.has(name)) return;
  const truthy = (v: string | undefined, word: string): boolean =>
    !!v && ['true', '1', word].includes(v.toLowerCase());
  let cookie = `${name}=${val}; path=${path || '/'}; domain=${domain}`;
  const minutes = expires ? atoi(expires) : 0;
  // `if (exp_min)`: a negative lifetime is an expiry in the past
  if (minutes !== 0) {
    const d = new Date(Date.now() + minutes * 60000);
    cookie += `; expires=${WDAY[d.getUTCDay()]}, ${String(d.getUTCDate()).padStart(2, '0')}-${MON[d.getUTCMonth()]}-${d.getUTCFullYear()} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}:${String(d.getUTCSeconds()).padStart(2, '0')} GMT`;
  }
  if (truthy(secure, 'secure')) cookie += '; secure';
  if (truthy(httponly, 'httponly')) cookie += '; HttpOnly';
  if (samesite && samesite !== '0' && samesite.toLowerCase() !== 'false')
    cookie += `; SameSite=${samesite}`;
  ctx.cookies = append(ctx.cookies, cookie);
  ctx.cookieNames.add(name);
}
