/**
 * apply_rewrite_rule / apply_rewrite_list: one pass over a rule list, with Apache's flow flags
 * (C, S, L, END, N with its round cap, PT, P) and condition logic (OR groups, NV, Vary).
 */
import { ruleIndexFor } from '../compile/prefix-index.js';
import type { CompiledCond, CompiledRule } from '../compile/ruleset.js';
import { evalExpr } from './expr.js';
import { expand } from './expand.js';
import { headerValue, requestHost } from './request.js';
import { append, NONE, type EvalContext } from './state.js';
import { lookupVariable } from './variables.js';

/** Apache's LimitRequestLine default; a filename over twice this is a 500 (PR 60478). */
export const LIMIT_REQUEST_LINE = 8190;

const enum RuleRc { NoMatch, Match, NoSub, StatusSet }

export const enum Action { None = 0, Normal = 1, NoEscape = 2, Status = 3, StatusSet = 4 }

export interface ListResult {
  readonly action: Action;
  readonly lastsub: CompiledRule | null;
  /** Why a Status action happened, for errors passed on. */
  readonly reason?: 'rounds' | 'length';
}

const SCHEMES: readonly [string, boolean][] = [
  ['ajp://', true], ['balancer://', true], ['ftp://', false], ['fcgi://', true], ['gopher://', false], ['http://', true],
  ['https://', true], ['h2://', true], ['h2c://', true], ['ldap://', false], ['mailto:', true], ['news:', false],
  ['nntp://', false], ['scgi://', true], ['ws://', true], ['wss://', true],
];

/** is_absolute_uri: length of the scheme prefix (0 if not absolute) and whether it takes a query. */
const NOT_ABSOLUTE = Object.freeze({ skip: 0, query: false });
const SCHEME_FIRST = new Set(SCHEMES.map(([s]) => s.charCodeAt(0)).concat('u'.charCodeAt(0)));

export function absoluteUri(uri: string): { skip: number; query: boolean } {
  if (uri.length <= 5 || !SCHEME_FIRST.has(uri.charCodeAt(0) | 0x20)) return NOT_ABSOLUTE;
  const lower = uri.slice(0, 12).toLowerCase();
  for (const [scheme, query] of SCHEMES) if (lower.startsWith(scheme)) return { skip: scheme.length, query };
  if (lower.startsWith('unix:')) return { skip: uri[5] === '/' && uri[6] === '/' ? 7 : 5, query: true };
  return NOT_ABSOLUTE;
}

function compareLength(a: string, b: string): number {
  if (a.length !== b.length) return a.length > b.length ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function strcasecmp(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

const atoi = (s: string): number => {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m ? parseInt(m[1], 10) : 0;
};

function applyCond(c: CompiledCond, ctx: EvalContext): boolean {
  const t = c.test;
  let rc = false;
  if (t.kind === 'expr') {
    const r = evalExpr(t.expr, {
      variable: (n) => lookupVariable(n, ctx),
      header: (n) => { if (n.toLowerCase() !== 'host') ctx.varyThis = append(ctx.varyThis, n); return headerValue(ctx.view.headers, n); },
    });
    rc = r.ok;
    if (rc && !c.negate && r.captures) ctx.rc = { src: r.captures.input, m: r.captures };
    return c.negate ? !rc : rc;
  }
  const input = expand(c.input, ctx, null);
  switch (t.kind) {
    case 'file': {
      const st = t.test === 'l' ? undefined : ctx.fs.stat(input);
      switch (t.test) {
        case 'f': rc = !!st?.isFile(); break;
        case 's': rc = !!st?.isFile() && Number(st.size) > 0; break;
        case 'd': rc = !!st?.isDirectory(); break;
        case 'x': rc = !!st && (Number(st.mode) & 0o111) !== 0; break;
        case 'l': rc = !!ctx.fs.lstat(input)?.isSymbolicLink(); break;
        // -F / -U: without sub-requests, modrewrite checks that the file (or the URL under the
        // document root) exists; access control is not consulted (documented difference)
        // -F: a file sub-request that succeeds for an existing file; modrewrite checks existence
        // (no access control runs in Node)
        case 'F': rc = input !== '' && !ctx.view.isSubreq && !!st?.isFile(); break;
        // -U: Apache runs a URL sub-request through the server rules (without running a handler,
        // so a missing file still succeeds) and tests status < 400; modrewrite dry-runs the same rules
        case 'U': {
          if (input === '' || ctx.view.isSubreq || !ctx.subrequest) { rc = false; break; }
          const sub = ctx.subrequest(input);
          rc = !(sub.type === 'status' && (sub.status ?? 0) >= 400);
          break;
        }
      }
      break;
    }
    case 'str': {
      const cmp = c.flags.nocase ? strcasecmp(input, t.value) : t.op === '=' ? (input === t.value ? 0 : 1) : compareLength(input, t.value);
      switch (t.op) {
        case '=': rc = cmp === 0; break;
        case '>': rc = cmp >= 1; break;
        case '>=': rc = cmp >= 0; break;
        case '<': rc = cmp <= -1; break;
        case '<=': rc = cmp <= 0; break;
      }
      break;
    }
    case 'int': {
      const a = atoi(input);
      switch (t.op) {
        case 'eq': rc = a === t.value; break;
        case 'gt': rc = a > t.value; break;
        case 'ge': rc = a >= t.value; break;
        case 'lt': rc = a < t.value; break;
        case 'le': rc = a <= t.value; break;
      }
      break;
    }
    case 'regex': {
      t.re.lastIndex = 0;
      const m = t.re.exec(input);
      rc = m !== null;
      if (rc && !c.negate) ctx.rc = { src: input, m };
      break;
    }
  }
  const result = c.negate ? !rc : rc;
  ctx.trace?.(`RewriteCond: input='${input}' pattern='${c.source}'${c.flags.nocase ? ' [NC]' : ''} => ${result ? 'matched' : 'not-matched'}`);
  return result;
}

/** Apache's splitout_queryargs. */
function splitQuery(ctx: EvalContext, rule: CompiledRule): void {
  const st = ctx.state;
  if (rule.qsnone) { st.args = null; return; }
  const abs = absoluteUri(st.filename);
  if (abs.skip && !abs.query) { st.args = null; return; }
  if (rule.flags.qsdiscard) st.args = null;
  const q = rule.flags.qslast ? st.filename.lastIndexOf('?') : st.filename.indexOf('?', abs.skip);
  if (q < abs.skip || q < 0) return;
  const query = st.filename.slice(q + 1);
  st.filename = st.filename.slice(0, q);
  if (rule.flags.qsappend) {
    if (query) st.args = st.args !== null ? `${query}&${st.args}` : `${query}&`;
  } else {
    st.args = query;
  }
  if (st.args !== null) {
    if (st.args === '') st.args = null;
    else if (st.args.endsWith('&')) st.args = st.args.slice(0, -1);
  }
}

export function schemeOf(ctx: EvalContext): string {
  return ctx.view.secure ? 'https' : 'http';
}

/** fully_qualify_uri. */
export function fullyQualify(ctx: EvalContext): void {
  const st = ctx.state;
  if (absoluteUri(st.filename).skip) return;
  const { name, port } = requestHost(ctx.view, ctx.server);
  const def = ctx.view.secure ? 443 : 80;
  st.filename = `${schemeOf(ctx)}://${name}${port === def ? '' : `:${port}`}${st.filename.startsWith('/') ? '' : '/'}${st.filename}`;
}

/** reduce_uri: `http://<this host>[:port]/path` → `/path`. */
function reduceUri(ctx: EvalContext): void {
  const st = ctx.state;
  const scheme = schemeOf(ctx);
  const f = st.filename;
  if (!(f.length > scheme.length + 3 && f.slice(0, scheme.length + 3).toLowerCase() === `${scheme}://`)) return;
  const rest = f.slice(scheme.length + 3);
  const m = /^([^/:]*)(?::([^/]*))?(\/.*)?$/s.exec(rest);
  if (!m) return;
  const def = ctx.view.secure ? 443 : 80;
  const port = m[2] !== undefined ? atoi(m[2]) : def;
  const url = m[3] ?? '/';
  // ap_matches_request_vhost: the configured ServerName/ServerAlias (not the Host header); without
  // a configured name, the host the client asked for stands in for it
  const { name, port: ourPort } = requestHost(ctx.view, ctx.server);
  const hosts = ctx.server.serverName ? [ctx.server.serverName, ...(ctx.server.serverAliases ?? [])].map((h) => h.toLowerCase()) : [name.toLowerCase()];
  const portOk = ctx.server.serverPort === undefined ? (ctx.server.serverName ? true : port === ourPort) : port === ctx.server.serverPort;
  if (hosts.includes(m[1].toLowerCase()) && portOk) {
    st.filename = url;
    ctx.uriReduced = true;
  }
}

/** What a rule's pattern is matched against: r->filename (+ PATH_INFO, minus the directory in per-dir context). */
function subjectOf(ctx: EvalContext): string {
  const st = ctx.state;
  let uri = st.filename;
  if (ctx.perdir !== null) {
    if (st.pathInfo) uri += st.pathInfo;
    if (uri.startsWith(ctx.perdir)) uri = uri.slice(ctx.perdir.length);
  }
  return uri;
}

function applyRule(rule: CompiledRule, ctx: EvalContext): RuleRc {
  const st = ctx.state;
  const uri = subjectOf(ctx);
  ctx.subject = uri;
  let m: RegExpExecArray | null;
  if (rule.literal !== undefined) {
    m = uri === rule.literal ? Object.assign([uri], { index: 0, input: uri }) as RegExpExecArray : null;
  } else {
    rule.re.lastIndex = 0;
    m = rule.re.exec(uri);
  }
  const matched = (m !== null) !== rule.negate;
  ctx.trace?.(`applying pattern '${rule.pattern}' to uri '${uri}'${matched ? '' : ' (no match)'}`);
  if (!matched) return RuleRc.NoMatch;
  ctx.varyThis = NONE;
  ctx.rc = null;
  ctx.rr = rule.negate ? null : { src: uri, m };
  const conds = rule.conds;
  for (let i = 0; i < conds.length; i++) {
    let c = conds[i];
    const rc = applyCond(c, ctx);
    if (c.flags.novary) ctx.varyThis = NONE;
    if (c.flags.ornext) {
      if (!rc) { ctx.varyThis = NONE; continue; }
      while (i < conds.length && c.flags.ornext) c = conds[++i];
    } else if (!rc) {
      return RuleRc.NoMatch;
    }
    if (ctx.varyThis.length) { ctx.vary = append(ctx.vary, ...ctx.varyThis); ctx.varyThis = NONE; }
  }
  let newuri = '';
  if (rule.output) {
    const qmark = rule.flags.unsafeAllow3F ? undefined : { unsafe: -1, tracking: true };
    newuri = expand(rule.output, ctx, rule, qmark);
    if (qmark && qmark.unsafe > 0) {
      ctx.trace?.('Unsafe URL with %3f URL rewritten without UnsafeAllow3F');
      ctx.status = 403;
      return RuleRc.StatusSet;
    }
  }
  for (const e of rule.flags.env) setEnv(expand(e, ctx, null), ctx);
  for (const c of rule.flags.cookies) setCookie(expand(c, ctx, null), ctx);
  if (!rule.output) {
    forceTypeHandler(rule, ctx);
    if (rule.flags.status) ctx.status = rule.flags.forcedStatus;
    return RuleRc.NoSub;
  }
  let prefixAdded = false;
  if (!newuri.startsWith('/') && !absoluteUri(newuri).skip) {
    if (ctx.perdir !== null) { newuri = ctx.perdir + newuri; prefixAdded = true; }
    else if (!rule.flags.proxy && !rule.flags.redirect) { newuri = '/' + newuri; prefixAdded = true; }
  }
  st.filename = newuri;
  if (ctx.perdir !== null && rule.flags.discardPathInfo) st.pathInfo = '';
  splitQuery(ctx, rule);
  if (rule.flags.proxy) {
    fullyQualify(ctx);
    st.filename = 'proxy:' + st.filename;
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
  if (!rule.flags.unc && !prefixAdded && !(rule.outputText[0] === '/' && rule.outputText[1] === '/')) {
    let i = 0;
    while (st.filename[i] === '/' && st.filename[i + 1] === '/') i++;
    if (i) st.filename = st.filename.slice(i);
  }
  forceTypeHandler(rule, ctx);
  return RuleRc.Match;
}

function forceTypeHandler(rule: CompiledRule, ctx: EvalContext): void {
  if (rule.flags.type) {
    const t = expand(rule.flags.type, ctx, rule).toLowerCase();
    if (t) ctx.forcedType = t;
  }
  if (rule.flags.handler) {
    const h = expand(rule.flags.handler, ctx, rule).toLowerCase();
    if (h) ctx.forcedHandler = h;
  }
}

function setEnv(spec: string, ctx: EvalContext): void {
  // the environment Map is shared read-only until a rule writes to it
  if (ctx.state.envShared) { ctx.state.env = new Map(ctx.state.env); ctx.state.envShared = false; }
  if (spec.startsWith('!')) { ctx.state.env.delete(spec.slice(1)); return; }
  const colon = spec.indexOf(':');
  if (colon < 0) ctx.state.env.set(spec, '');
  else ctx.state.env.set(spec.slice(0, colon), spec.slice(colon + 1));
}

const WDAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** CO=NAME:VAL:domain[:lifetime[:path[:secure[:httponly[:samesite]]]]], formatted like Apache. */
function setCookie(spec: string, ctx: EvalContext): void {
  let sep = ':';
  let s = spec;
  if (s.startsWith(';')) { sep = ';'; s = s.slice(1); }
  const [name, val, domain, expires, path, secure, httponly, samesite] = s.split(sep);
  if (!name || val === undefined || !domain) return;
  ctx.cookieNames ??= new Set();
  if (ctx.cookieNames.has(name)) return;
  const truthy = (v: string | undefined, word: string): boolean => !!v && ['true', '1', word].includes(v.toLowerCase());
  let cookie = `${name}=${val}; path=${path || '/'}; domain=${domain}`;
  const minutes = expires ? atoi(expires) : 0;
  if (minutes > 0) {
    const d = new Date(Date.now() + minutes * 60000);
    cookie += `; expires=${WDAY[d.getUTCDay()]}, ${String(d.getUTCDate()).padStart(2, '0')}-${MON[d.getUTCMonth()]}-${d.getUTCFullYear()} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}:${String(d.getUTCSeconds()).padStart(2, '0')} GMT`;
  }
  if (truthy(secure, 'secure')) cookie += '; secure';
  if (truthy(httponly, 'httponly')) cookie += '; HttpOnly';
  if (samesite && samesite !== '0' && samesite.toLowerCase() !== 'false') cookie += `; SameSite=${samesite}`;
  ctx.cookies = append(ctx.cookies, cookie);
  ctx.cookieNames.add(name);
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
        while (ck < cand.length && cand[ck] < i) ck++;
        if (ck >= cand.length) break;
        i = cand[ck];
      }
      let p = rules[i];
      if (subreq && (p.flags.nosubreq || p.flags.redirect)) continue;
      if (ctx.vary.length) ctx.vary = NONE;
      const rc = applyRule(p, ctx);
      if (rc !== RuleRc.NoMatch) {
        if (p.output) lastsub = p;
        if (ctx.state.filename.length > 2 * LIMIT_REQUEST_LINE) {
          ctx.status = 500;
          return { action: Action.Status, lastsub, reason: 'length' };
        }
        if (ctx.vary.length) ctx.responseVary = append(ctx.responseVary, ...ctx.vary);
        if (rc === RuleRc.StatusSet) return { action: Action.StatusSet, lastsub };
        if (p.flags.status) return { action: Action.Status, lastsub };
        if (rc !== RuleRc.NoSub) {
          changed = p.flags.noescape ? Action.NoEscape : Action.Normal;
          if (index) { cand = index.candidates(subjectOf(ctx)); ck = 0; }
        }
        if (p.flags.passthrough) {
          ctx.state.filename = 'passthrough:' + ctx.state.filename;
          changed = Action.Normal;
          break loop;
        }
        if (p.flags.end) { ctx.end = true; break loop; }
        if (p.flags.proxy || p.flags.last) break loop;
        if (p.flags.next) {
          if (++round >= p.flags.maxRounds) {
            ctx.trace?.(`RewriteRule '${p.pattern}' and URI '${ctx.state.uri}' exceeded maximum number of rounds (${p.flags.maxRounds}) via the [N] flag`);
            ctx.status = 500;
            return { action: Action.Status, lastsub, reason: 'rounds' };
          }
          continue loop;
        }
        if (p.flags.skip > 0) i = Math.min(rules.length, i + p.flags.skip);
      } else {
        while (i < rules.length && p.flags.chain) {
          i++;
          if (i >= rules.length) break;
          p = rules[i];
        }
      }
    }
    break;
  }
  return { action: changed, lastsub };
}
