/**
 * mod_setenvif, mod_env and core's ErrorDocument applied to a request, in Apache's phases:
 * server-context SetEnvIf in post_read_request (before the server's rewriting), per-directory
 * SetEnvIf in header_parser (after the directory walk, before the access checks and before
 * per-directory rewriting: `RewriteCond %{ENV:x}` and `Allow from env=x` see it), mod_env's
 * SetEnv/UnsetEnv/PassEnv in fixups AFTER per-directory rewriting (rules do not see it; recorded,
 * conformance case 161), and never over a variable already set (apr_table_overlay keeps the
 * request's own entry first). `<Files>` sections and `<If>` chains are decided here per request;
 * like Apache's file and if walks they merge after the directory's own lines.
 */
import type {
  CompiledWhen,
  EnvConfig,
  ErrorDocumentEntry,
  Scope,
  SetEnvIfEntry,
} from '../compile/env.js';
import type { RuleSet } from '../compile/ruleset.js';
import type { ErrorAction, ServerSignature } from '../syntax/env.js';
import { makeContext } from '../engine/context.js';
import { evalExpr, wordValue, type ExprEnv } from '../engine/expr.js';
import { headerValue, type RequestView, type ServerInfo } from '../engine/request.js';
import { lookupVariable } from '../engine/variables.js';
import { fileNameOf } from './access.js';

/** What the modules look at: the request as it stands in the phase that runs them. */
export interface RequestFacts {
  readonly view: RequestView;
  readonly server: ServerInfo;
  readonly uri: string;
  readonly args: string | null;
  readonly filename: string;
  readonly pathInfo: string;
}

const NO_RULES: RuleSet = {
  engine: undefined,
  rules: [],
  maps: new Map(),
  options: new Set(),
  hasRewriteDirectives: false,
};

/**
 * ap_expr's view of the request. A header an expression reads goes to Vary whether or not the
 * request has it (recorded: `<If "%{HTTP:X-Test} ...">` adds `Vary: X-Test` to every answer).
 */
export function exprEnvironment(
  facts: RequestFacts,
  env: Map<string, string>,
  vary: string[],
): ExprEnv {
  const state = {
    uri: facts.uri,
    args: facts.args,
    filename: facts.filename,
    pathInfo: facts.pathInfo,
    env,
  };
  const ctx = makeContext(NO_RULES, { ...facts, env }, state, new Map(), false);
  const header = (name: string): string => {
    if (name.toLowerCase() !== 'host' && !vary.some((v) => v.toLowerCase() === name.toLowerCase()))
      vary.push(name);
    return headerValue(facts.view.headers, name);
  };
  return {
    variable: (name) => {
      const upper = name.toUpperCase();
      if (upper.startsWith('HTTP:')) return header(name.slice(5));
      if (upper.startsWith('HTTP_') && HEADER_VARS.has(upper))
        return header(HEADER_VARS.get(upper)!);
      return lookupVariable(name, ctx);
    },
    header,
  };
}

/** ap_expr's header variables (request.c `request_var_names`). */
const HEADER_VARS = new Map([
  ['HTTP_ACCEPT', 'Accept'],
  ['HTTP_COOKIE', 'Cookie'],
  ['HTTP_FORWARDED', 'Forwarded'],
  ['HTTP_HOST', 'Host'],
  ['HTTP_PROXY_CONNECTION', 'Proxy-Connection'],
  ['HTTP_REFERER', 'Referer'],
  ['HTTP_USER_AGENT', 'User-Agent'],
]);

/** Whether an `<If>` chain holds for this request. */
export function chainHolds(when: CompiledWhen | undefined, expr: () => ExprEnv): boolean {
  if (!when) return true;
  const e = expr();
  return when.every((t) => evalExpr(t.expr, e).ok === t.holds);
}

/**
 * The entries that apply to `facts.filename`, in Apache's merge order: the directory's own lines,
 * then `<Files>` sections (file walk), then `<If>` sections (if walk).
 */
function applicable<T extends Scope>(
  list: readonly T[],
  facts: RequestFacts,
  expr: () => ExprEnv,
): T[] {
  const name = fileNameOf(facts.filename);
  const plain: T[] = [];
  const files: T[] = [];
  const ifs: T[] = [];
  for (const entry of list) {
    if (entry.files && !entry.files(name)) continue;
    if (entry.when) {
      if (chainHolds(entry.when, expr)) ifs.push(entry);
    } else (entry.files ? files : plain).push(entry);
  }
  return [...plain, ...files, ...ifs];
}

/** A case-insensitive lookup, as in Apache's tables. */
function envKey(env: ReadonlyMap<string, string>, name: string): string | undefined {
  if (env.has(name)) return name;
  const lower = name.toLowerCase();
  for (const key of env.keys()) if (key.toLowerCase() === lower) return key;
  return undefined;
}

function envSet(env: Map<string, string>, name: string, value: string): void {
  const key = envKey(env, name);
  if (key !== undefined) env.delete(key);
  env.set(name, value);
}

function envUnset(env: Map<string, string>, name: string): void {
  const key = envKey(env, name);
  if (key !== undefined) env.delete(key);
}

/** mod_setenvif's match_headers over `entries`, on `env` (changed in place). */
export function runSetEnvIf(
  entries: readonly SetEnvIfEntry[],
  facts: RequestFacts,
  env: Map<string, string>,
  vary: string[],
): void {
  if (!entries.length) return;
  let expr: ExprEnv | undefined;
  const exprEnv = (): ExprEnv => (expr ??= exprEnvironment(facts, env, vary));
  let lastKey: string | undefined;
  let value = '';
  for (const entry of entries) {
    if (entry.type === 'expr') {
      const r = evalExpr(entry.expr, exprEnv());
      if (r.ok) setFeatures(entry, env, r.captures);
      continue;
    }
    // consecutive lines on one attribute read it once (match_headers' last_name)
    if (entry.key !== lastKey) {
      lastKey = entry.key;
      value = attributeValue(entry, facts, env);
    }
    const t = entry.test;
    if ('substring' in t) {
      const hit = t.nocase
        ? value.toLowerCase().includes(t.substring.toLowerCase())
        : value.includes(t.substring);
      if (hit) setFeatures(entry, env, null);
      continue;
    }
    t.re.lastIndex = 0;
    const m = t.re.exec(value);
    if (m) setFeatures(entry, env, m);
  }
}

function attributeValue(
  entry: Extract<SetEnvIfEntry, { type: 'attribute' }>,
  facts: RequestFacts,
  env: ReadonlyMap<string, string>,
): string {
  const s = entry.source;
  const { view } = facts;
  if (s.type === 'special') {
    switch (s.name) {
      case 'remote_addr':
      case 'remote_host': // HostnameLookups Off: the address
        return view.remoteAddr;
      case 'server_addr':
        return view.localAddr;
      case 'request_uri':
        return facts.uri;
      case 'request_method':
        return view.method;
      case 'request_protocol':
        return view.protocol;
      default: // remote_user: no authentication has run in header_parser
        return '';
    }
  }
  if (s.type === 'header') {
    const lower = s.name.toLowerCase();
    if (Object.hasOwn(view.headers, lower)) return headerValue(view.headers, lower);
    const key = envKey(env, s.name);
    return key === undefined ? '' : env.get(key)!;
  }
  // node gives header names lower-case: matched as sent in their usual spelling and lower-case
  for (const name of Object.keys(view.headers)) {
    s.re.lastIndex = 0;
    const usual = name.replace(/(^|-)([a-z])/g, (_m, a: string, b: string) => a + b.toUpperCase());
    if (s.re.test(usual) || ((s.re.lastIndex = 0), s.re.test(name)))
      return headerValue(view.headers, name);
  }
  return '';
}

function setFeatures(
  entry: SetEnvIfEntry,
  env: Map<string, string>,
  match: RegExpExecArray | null,
): void {
  for (const f of entry.features) {
    if (f.value === null) envUnset(env, f.name);
    else envSet(env, f.name, match ? pregsub(f.value, match) : f.value);
  }
}

/** ap_pregsub: `$0`-`$9` and `&` (the whole match); `\$` and `\&` are literal. */
export function pregsub(template: string, m: RegExpExecArray): string {
  return template.replace(/\\([$&])|\$([0-9])|&/g, (all, escaped: string | undefined, n) => {
    if (escaped) return escaped;
    if (all === '&') return m[0];
    return m[Number(n)] ?? '';
  });
}

/**
 * mod_env's fixup: its table (resolved entries, in merge order) added where the request has no such
 * variable.
 */
export function applyEnvVars(config: EnvConfig | undefined, env: Map<string, string>): void {
  if (!config?.vars.length) return;
  const table = new Map<string, string>();
  for (const op of config.vars) {
    if (op.op === 'unset') envUnset(table, op.name);
    else envSet(table, op.name, op.value);
  }
  for (const [name, value] of table) if (envKey(env, name) === undefined) env.set(name, value);
}

/**
 * The ErrorDocument for `status` in `config` (the last that applies wins: core merges them per
 * code), with a text's `%{VAR}`s expanded; undefined: Apache's own page.
 */
export function errorDocumentFor(
  config: EnvConfig | undefined,
  status: number,
  facts: RequestFacts,
  env: Map<string, string>,
): ErrorAction | undefined {
  const candidates = config?.errorDocuments.filter((e) => e.status === status);
  if (!candidates?.length) return undefined;
  let expr: ExprEnv | undefined;
  const exprEnv = (): ExprEnv => (expr ??= exprEnvironment(facts, env, []));
  const found: ErrorDocumentEntry | undefined = candidates[candidates.length - 1];
  if (!found || found.action.type === 'default') return undefined;
  const a = found.action;
  // an ap_expr string (recorded, conformance cases 162 and 505)
  if (!found.expr) return a;
  const value = wordValue(found.expr, exprEnv());
  return a.type === 'text' ? { type: 'text', text: value } : { ...a, url: value };
}

/**
 * core's ServerSignature in `config` (the last line that applies wins: core_merge_dir_configs);
 * undefined: unset, which ap_psignature treats as Off.
 */
export function signatureFor(
  config: EnvConfig | undefined,
  facts: RequestFacts,
  env: Map<string, string>,
): ServerSignature | undefined {
  const found = config?.signatures;
  if (!found?.length) return undefined;
  const applies = applicable(found, facts, () => exprEnvironment(facts, env, []));
  return applies[applies.length - 1]?.value;
}

/**
 * The configuration in effect after the directory walk: the server's mod_env table and
 * ErrorDocuments under the directory's, the server's scoped SetEnvIf lines (those in `<Files>`
 * or `<If>` belong to the per-directory pass) before the directory's.
 */
export function directoryEnv(
  server: EnvConfig | undefined,
  dir: EnvConfig | undefined,
): EnvConfig | undefined {
  if (!server) return dir;
  const scoped = server.setEnvIf.filter((e) => e.files || e.when);
  return {
    setEnvIf: [...scoped, ...(dir?.setEnvIf ?? [])],
    vars: [...server.vars, ...(dir?.vars ?? [])],
    errorDocuments: [...server.errorDocuments, ...(dir?.errorDocuments ?? [])],
    signatures: [...server.signatures, ...(dir?.signatures ?? [])],
  };
}

/**
 * core's file and if walks for this module set: the entries that apply to the request, in
 * Apache's merge order. Every `<If>` is evaluated here, once, before the header_parser pass (so
 * it does not see what SetEnvIf sets), adding the headers it reads to Vary.
 */
export function resolveScopes(
  config: EnvConfig,
  facts: RequestFacts,
  env: Map<string, string>,
  vary: string[],
): EnvConfig {
  let expr: ExprEnv | undefined;
  const exprEnv = (): ExprEnv => (expr ??= exprEnvironment(facts, env, vary));
  return {
    setEnvIf: applicable(config.setEnvIf, facts, exprEnv),
    vars: applicable(config.vars, facts, exprEnv),
    errorDocuments: applicable(config.errorDocuments, facts, exprEnv),
    signatures: applicable(config.signatures, facts, exprEnv),
  };
}

/**
 * Server-context SetEnvIf lines outside `<Files>`/`<If>`: mod_setenvif's post_read_request pass.
 */
export function postReadRequest(
  server: EnvConfig | undefined,
  facts: RequestFacts,
  env: Map<string, string>,
  vary: string[],
): void {
  if (!server?.setEnvIf.length) return;
  runSetEnvIf(
    server.setEnvIf.filter((e) => !e.files && !e.when),
    facts,
    env,
    vary,
  );
}
