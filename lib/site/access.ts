/**
 * Apache's access phase for the `.htaccess` files on a request's way (request.c
 * `ap_process_request_internal`, run after map_to_storage and before the fixups where per-directory
 * rewriting happens): mod_access_compat's host check (`Order`/`Allow`/`Deny`) and mod_authz_core's
 * `Require`, both required (`Satisfy All`, the default) or either (`Satisfy Any`).
 *
 * Merging, as Apache's per-directory merge does it: the `.htaccess` files from the document root
 * down, then every matching `<Files>`/`<FilesMatch>` section of those files in order (core's file
 * walk). A section with `Require` lines replaces the inherited ones (AuthMerging Off, the default;
 * `AuthMerging And|Or` combines them); a section with any mod_access_compat directive replaces
 * that module's whole configuration (the module has no merge function). The base is the document
 * root's `Require all granted` (Debian's `<Directory /var/www/>`), with no host rules. Inside
 * `<Limit>`/`<LimitExcept>`, `Require`, `Allow` and `Deny` lines apply to those methods only, and
 * `Order` and `Satisfy` are set for those methods (conformance case 183).
 */
import type {
  AuthConfig,
  AccessConfig,
  AccessSection,
  AuthzNode,
  CompatConfig,
  HostRule,
  IpNet,
  Limited,
  RequireRule,
} from '../compile/access.js';
import type { CompiledWhen } from '../compile/env.js';
import { inNet, plainAddress } from '../compile/ip.js';
import type { ExprEnv } from '../engine/expr.js';
import { timeVariable } from '../engine/variables.js';
import type { RequestView } from '../engine/request.js';
import { methodIn } from '../syntax/limit.js';
import { authzResult, hasEnv, type AuthzRequest } from './authz.js';
import { authenticate, type AuthIdentity, type AuthnResult, type PasswordCheck } from './authn.js';
import { inDomain, loopbackHostName } from './loopback-host.js';

/**
 * Who is asking: the client address (REMOTE_ADDR, after trusted proxies) and the server's own;
 * the rest of the request for `Require method` and `Require expr` (a request view).
 */
export interface AccessClient {
  readonly remoteAddr: string;
  readonly localAddr: string;
  readonly method?: string;
  readonly headers?: RequestView['headers'];
  readonly secure?: boolean;
  readonly protocol?: string;
  readonly target?: string;
}

/** The URL-path and query the access phase sees (r->uri, r->args). */
export interface AccessRequest {
  readonly uri: string;
  readonly args: string | null;
  /**
   * Where `Require expr` records the request headers it read (ap_expr's add_vary: the response's
   * Vary).
   */
  readonly vary?: string[];
  /**
   * How a password is checked (site/password.ts passwordCheck on the request path, a promise for
   * bcrypt); passwordMatches, synchronous, without.
   */
  readonly passwordCheck?: PasswordCheck;
}

/**
 * The name core's file walk matches `<Files>` against: what follows the last `/` of the filename.
 */
export function fileNameOf(filename: string): string {
  return filename.slice(filename.lastIndexOf('/') + 1);
}

/**
 * The stock `<Directory /var/www/>` (and the recorder's `<Directory />`): `Require all granted`.
 */
const BASE_REQUIRE: AuthzNode = {
  type: 'section',
  op: 'or',
  negate: false,
  children: [{ type: 'provider', rule: { type: 'all', granted: true }, negate: false }],
};

/** apache2.conf's `<FilesMatch "^\.ht">`: `Require all denied`. */
const HT_FILES: AccessSection = {
  require: {
    type: 'section',
    op: 'or',
    negate: false,
    children: [{ type: 'provider', rule: { type: 'all', granted: false }, negate: false }],
  },
};

interface MergedAuthz {
  readonly tree: AuthzNode | undefined;
  readonly op: 'unset' | 'off' | 'and' | 'or';
}

/** merge_authz_core_dir_config (AuthMerging Off by default: a section with Require replaces). */
function mergeAuthz(base: MergedAuthz, section: AccessSection): MergedAuthz {
  const op = section.authMerging ?? 'unset';
  const tree = section.require;
  if (op === 'unset' && !tree && base.tree) return base;
  if (op === 'off' || op === 'unset' || !(base.tree || tree)) return { tree, op };
  if (base.tree && tree)
    return { tree: { type: 'section', op, negate: false, children: [base.tree, tree] }, op };
  return { tree: base.tree ?? tree, op };
}

/**
 * The access phase's answer: granted, 403, 401 (mod_auth_basic asks for credentials: the realm is
 * the AuthName) or 500 (an authentication configuration Apache cannot use). `identity`: what
 * check_user_id left in r->user and r->ap_auth_type (none when no authentication ran).
 */
export type AccessResult =
  | { readonly type: 'granted'; readonly identity?: AuthIdentity }
  | { readonly type: 'denied' }
  | { readonly type: 'unauthorized'; readonly realm: string; readonly identity?: AuthIdentity }
  | { readonly type: 'error'; readonly reason: string };

const GRANTED: AccessResult = { type: 'granted' };
const DENIED: AccessResult = { type: 'denied' };

/**
 * Whether the access rules in `chain` (root → deepest directory) deny `filename`. Anything that
 * cannot be evaluated (a client address that is no address, an expression that fails) denies:
 * fail closed. A request that needs credentials is denied unless it carries valid ones.
 */
export function accessDenied(
  chain: readonly AccessConfig[],
  filename: string,
  env: ReadonlyMap<string, string>,
  client: AccessClient,
  request: AccessRequest = { uri: '', args: null },
  holds?: (when: CompiledWhen) => boolean,
): boolean {
  const result = accessCheck(chain, filename, env, client, request, holds);
  // a check that waits (request.passwordCheck) is not granted yet: fail closed
  return result instanceof Promise || result.type !== 'granted';
}

interface Merged {
  authz: MergedAuthz;
  compat: CompatConfig | undefined;
  auth: AuthConfig | undefined;
}

/** The sections that apply to `name`, merged; undefined when an <If> cannot be evaluated. */
function mergeSections(
  chain: readonly AccessConfig[],
  name: string,
  holds: ((when: CompiledWhen) => boolean) | undefined,
): Merged | undefined {
  const m: Merged = {
    authz: { tree: BASE_REQUIRE, op: 'unset' },
    compat: undefined,
    auth: undefined,
  };
  const apply = (section: AccessSection): void => {
    m.authz = mergeAuthz(m.authz, section);
    if (section.compat) m.compat = section.compat;
    if (section.auth) m.auth = { ...m.auth, ...section.auth };
  };
  for (const config of chain) apply(config.directory);
  // Debian's `<FilesMatch "^\.ht">Require all denied</FilesMatch>` is a server-level <Files>: the
  // first section of core's file walk, so an .htaccess `<Files>` with Require replaces it (case 391)
  if (name.startsWith('.ht')) apply(HT_FILES);
  for (const config of chain)
    for (const files of config.files) if (files.matches(name)) apply(files.access);
  // core's if walk comes last; without a way to evaluate an <If>, it is denied (fail closed)
  for (const config of chain)
    for (const body of config.ifs ?? []) {
      // an <If> inside a <Files> for other files is not evaluated (nor its headers put in Vary)
      const matching = body.access.files.filter((f) => f.matches(name));
      const top = body.access.directory;
      if (!top.require && !top.compat && !top.auth && !matching.length) continue;
      if (!holds) return undefined;
      if (!holds(body.when)) continue;
      apply(top);
      for (const files of matching) apply(files.access);
    }
  return m;
}

/**
 * ap_process_request_internal's access part: mod_access_compat's host check, mod_authz_core
 * without a user (authorize_userless), then, when a user may change the answer
 * (AUTHZ_DENIED_NO_USER), mod_auth_basic's check_user_id and mod_authz_core with the user.
 */
export function accessCheck(
  chain: readonly AccessConfig[],
  filename: string,
  env: ReadonlyMap<string, string>,
  client: AccessClient,
  request: AccessRequest = { uri: '', args: null },
  holds?: (when: CompiledWhen) => boolean,
): AccessResult | Promise<AccessResult> {
  const name = fileNameOf(filename);
  if (!chain.length) return name.startsWith('.ht') ? DENIED : GRANTED;
  const merged = mergeSections(chain, name, holds);
  if (!merged) return DENIED;
  const { authz, compat, auth } = merged;
  const method = client.method ?? 'GET';
  try {
    const hostAllowed = compat === undefined || compatAllows(compat, method, env, client);
    // Satisfy Any: either module's consent (recorded, conformance case 144)
    const satisfyAny = compat ? lastFor(compat.satisfyAny, method, false) : false;
    if (hostAllowed && satisfyAny) return GRANTED;
    if (!hostAllowed && !satisfyAny) return DENIED;
    const tree = authz.tree;
    // no Require at all (AuthMerging Off without lines): granted, as Apache without AuthType
    if (!tree) return GRANTED;
    const authzRequest: AuthzRequest = {
      method,
      env,
      ip: (rule) => requireGrants(rule, client),
      hostName: loopbackHostName(client.remoteAddr),
      expr: exprEnv(client, request, filename, env),
    };
    const userless = authzResult(tree, authzRequest);
    if (userless !== 'no-user') return userless === 'granted' ? GRANTED : DENIED;
    return authenticated(tree, authzRequest, auth, client, request.passwordCheck);
  } catch {
    return DENIED;
  }
}

/** check_user_id, then authorize_user with r->user (a refusal is then a 401). */
function authenticated(
  tree: AuthzNode,
  authzRequest: AuthzRequest,
  auth: AuthConfig | undefined,
  client: AccessClient,
  passwordCheck: PasswordCheck | undefined,
): AccessResult | Promise<AccessResult> {
  const header = client.headers?.authorization;
  const authn = authenticate(auth, Array.isArray(header) ? header[0] : header, passwordCheck);
  const realm = auth?.name ?? '';
  if (authn instanceof Promise)
    return authn.then(
      (waited) => authorizedUser(tree, authzRequest, realm, waited),
      () => DENIED,
    );
  return authorizedUser(tree, authzRequest, realm, authn);
}

/** authorize_user once check_user_id has answered. */
function authorizedUser(
  tree: AuthzNode,
  authzRequest: AuthzRequest,
  realm: string,
  authn: AuthnResult,
): AccessResult {
  if (authn.type === 'error') return authn;
  const identity = authn.identity;
  const unauthorized: AccessResult = { type: 'unauthorized', realm, identity };
  if (authn.type === 'unauthorized') return unauthorized;
  try {
    const user = authn.user;
    const expr = withUser(authzRequest.expr, user);
    const result = authzResult(tree, { ...authzRequest, user, expr });
    return result === 'granted' ? { type: 'granted', identity } : unauthorized;
  } catch {
    return DENIED;
  }
}

/** `Require expr`'s variables once check_user_id set r->user (REMOTE_USER). */
function withUser(expr: ExprEnv, user: string): ExprEnv {
  return { ...expr, variable: (name) => (name === 'REMOTE_USER' ? user : expr.variable(name)) };
}

/** The value of the last entry that covers `method` (Order and Satisfy are per method). */
function lastFor<T>(entries: readonly Limited<T>[], method: string, fallback: T): T {
  let value = fallback;
  for (const e of entries) if (methodIn(e.limit, method)) value = e.value;
  return value;
}

/** The variables `Require expr` reads (compile/authz.ts EXPR_VARIABLES), from the request. */
function exprEnv(
  client: AccessClient,
  request: AccessRequest,
  filename: string,
  env: ReadonlyMap<string, string>,
): ExprEnv {
  const header = (name: string): string => {
    if (request.vary && !request.vary.includes(name)) request.vary.push(name);
    const v = client.headers?.[name.toLowerCase()];
    return Array.isArray(v) ? v.join(', ') : (v ?? '');
  };
  const variable = (name: string): string => {
    const colon = name.indexOf(':');
    if (colon > 0) {
      const kind = name.slice(0, colon).toUpperCase();
      const arg = name.slice(colon + 1);
      if (kind === 'ENV') return envValue(env, arg);
      return header(arg);
    }
    // no user yet: withUser gives it once check_user_id ran
    if (name === 'REMOTE_USER') return '';
    const time = timeVariable(name);
    if (time !== undefined) return time;
    const known = FIXED_VARIABLES.get(name);
    if (known) return known(client, request, filename);
    const canonical = HEADER_VARIABLES.get(name);
    if (canonical) return header(canonical);
    // compile/authz.ts accepts no other name: anything else is a bug, and denies
    throw new Error(`unknown variable ${name}`);
  };
  return { variable, header };
}

/** The request variables `Require expr` reads (made once: accessDenied runs on every request). */
const FIXED_VARIABLES = new Map<
  string,
  (client: AccessClient, request: AccessRequest, filename: string) => string
>([
  ['REQUEST_URI', (_c, request) => request.uri],
  ['QUERY_STRING', (_c, request) => request.args ?? ''],
  ['REQUEST_METHOD', (client) => client.method ?? 'GET'],
  ['REQUEST_SCHEME', (client) => (client.secure ? 'https' : 'http')],
  ['HTTPS', (client) => (client.secure ? 'on' : 'off')],
  ['REQUEST_FILENAME', (_c, _r, filename) => filename],
  ['SCRIPT_FILENAME', (_c, _r, filename) => filename],
  ['REMOTE_ADDR', (client) => client.remoteAddr],
  ['SERVER_PROTOCOL', (client) => client.protocol ?? 'HTTP/1.1'],
  [
    'THE_REQUEST',
    (client, request) =>
      `${client.method ?? 'GET'} ${client.target ?? request.uri} ${client.protocol ?? 'HTTP/1.1'}`,
  ],
]);

/**
 * ap_expr's request header variables (util_expr_eval.c req_header_var_names), each adding to Vary.
 */
const HEADER_VARIABLES = new Map([
  ['HTTP_USER_AGENT', 'User-Agent'],
  ['HTTP_PROXY_CONNECTION', 'Proxy-Connection'],
  ['HTTP_REFERER', 'Referer'],
  ['HTTP_COOKIE', 'Cookie'],
  ['HTTP_FORWARDED', 'Forwarded'],
  ['HTTP_HOST', 'Host'],
  ['HTTP_ACCEPT', 'Accept'],
]);

function envValue(env: ReadonlyMap<string, string>, name: string): string {
  const wanted = name.toLowerCase();
  for (const [key, value] of env) if (key.toLowerCase() === wanted) return value;
  return '';
}

function requireGrants(
  rule: Extract<RequireRule, { type: 'ip' | 'local' }>,
  client: AccessClient,
): boolean {
  if (rule.type === 'ip') return rule.nets.some((net) => inNet(net, client.remoteAddr));
  // mod_authz_host's `local`: the server's own address, 127.0.0.0/8 or ::1
  const remote = plainAddress(client.remoteAddr);
  return (
    remote === plainAddress(client.localAddr) ||
    inNet(LOOPBACK_V4, remote) ||
    inNet(LOOPBACK_V6, remote)
  );
}

const LOOPBACK_V4: IpNet = { address: '127.0.0.0', netmask: '255.0.0.0', family: 'ipv4' };
const LOOPBACK_V6: IpNet = { address: '::1', prefix: 128, family: 'ipv6' };

/** More `Allow/Deny from` host names than this in one section: not enumerated, denied. */
const MAX_HOST_NAMES = 6;

/**
 * mod_access_compat's `check_dir_access` for the request method. A host name matches the client's
 * double-reverse DNS name, which modrewrite looks up for a loopback client only (in the hosts
 * file, site/loopback-host.ts): for any other client the request is allowed only if it is allowed
 * whatever each host name answers (fail closed, as `Require host` in site/authz.ts).
 */
function compatAllows(
  compat: CompatConfig,
  method: string,
  env: ReadonlyMap<string, string>,
  client: AccessClient,
): boolean {
  // a loopback client's name comes from the hosts file: every host rule then has its answer
  const known = loopbackHostName(client.remoteAddr);
  if (known !== undefined)
    return compatAllowsIf(compat, method, (rule) =>
      hostMatches(rule, env, client, () => rule.type === 'host' && inDomain(rule.name, known)),
    );
  const hosts = [...compat.allows, ...compat.denys].filter((e) => e.value.type === 'host').length;
  if (hosts > MAX_HOST_NAMES) return false;
  for (let answers = 0; answers < 1 << hosts; answers++) {
    let asked = 0;
    const host = (): boolean => ((answers >> asked++) & 1) === 1;
    if (!compatAllowsIf(compat, method, (rule) => hostMatches(rule, env, client, host)))
      return false;
  }
  return true;
}

/** `check_dir_access` with the host names answered by `matches`. */
function compatAllowsIf(
  compat: CompatConfig,
  method: string,
  ruleMatches: (rule: HostRule) => boolean,
): boolean {
  const matches = (list: readonly Limited<HostRule>[]): boolean =>
    list.some((e) => methodIn(e.limit, method) && ruleMatches(e.value));
  const allowed = matches(compat.allows);
  const denied = matches(compat.denys);
  const order = lastFor(compat.orders, method, 'deny,allow');
  if (order === 'allow,deny') return allowed && !denied;
  if (order === 'deny,allow') return allowed || !denied;
  return allowed && !denied;
}

/**
 * `find_allowdeny` for the rules modrewrite accepts; env names are case-insensitive (apr_table).
 */
function hostMatches(
  rule: HostRule,
  env: ReadonlyMap<string, string>,
  client: AccessClient,
  host: () => boolean,
): boolean {
  if (rule.type === 'all') return true;
  if (rule.type === 'ip') return inNet(rule.net, client.remoteAddr);
  if (rule.type === 'host') return host();
  return hasEnv(env, rule.name) !== rule.negate;
}
