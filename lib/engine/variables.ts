/**
 * Server variables (mod_rewrite's lookup_variable). Names are case-insensitive; unknown names
 * expand to "" exactly as in Apache. Reading a request header records it for `Vary`.
 */
import { headerValue, requestHost } from './request.js';
import { append, type EvalContext } from './state.js';
import { CANONICAL_HEADER, HTTP_VARS, type VariableRef } from '../compile/variable-ref.js';

/** Apache 2.4's module magic number (major:minor), as API_VERSION shows it. */
export const API_VERSION = '20120211:142';

const pad = (n: number): string => String(n).padStart(2, '0');

function header(ctx: EvalContext, name: string): string {
  const lower = name.toLowerCase();
  const v = headerValue(ctx.view.headers, lower);
  // Apache adds a header to Vary only when the request has it, never Host (2.4.29), and records
  // the name as written in the rule; a header sent empty is had (lookup_header: "", not NULL;
  // case 393)
  const had = Object.hasOwn(ctx.view.headers, lower) && ctx.view.headers[lower] !== undefined;
  if (had && lower !== 'host') ctx.varyThis = append(ctx.varyThis, name);
  return v;
}

/** `%{ENV:name}` from the process environment: own variables only (`constructor` is not one). */
function processEnv(name: string): string {
  // no `process` in a browser (explain()): no environment
  const env = globalThis.process?.env;
  return env && Object.hasOwn(env, name) ? (env[name] ?? '') : '';
}

/** Reads a pre-resolved variable. */
export function readVariable(ref: VariableRef, ctx: EvalContext): string {
  if ('name' in ref) return lookupVariable(ref.name, ctx);
  // ref.header is already lower-case, as node:http's header keys are
  // own properties only: %{HTTP:constructor} is a missing header, not Object's constructor
  const headers = ctx.view.headers;
  const raw = Object.hasOwn(headers, ref.header) ? headers[ref.header] : undefined;
  const v = raw === undefined ? '' : Array.isArray(raw) ? raw.join(', ') : raw;
  if (raw !== undefined && ref.header !== 'host') ctx.varyThis = append(ctx.varyThis, ref.vary);
  return v;
}

/** lookup_variable: `%{NAME}` and `%{PREFIX:arg}`; an unknown name is "" (Apache's behaviour). */
export function lookupVariable(rawName: string, ctx: EvalContext): string {
  const colon = rawName.indexOf(':');
  if (colon > 0) return prefixedVariable(rawName.slice(0, colon), rawName.slice(colon + 1), ctx);
  const name = rawName.toUpperCase();
  const hv = HTTP_VARS.get(name);
  if (hv) return header(ctx, CANONICAL_HEADER.get(hv) ?? hv);
  const read = VARIABLES.get(name);
  return read ? read(ctx, name) : '';
}

/** `%{HTTP:header}`, `%{ENV:name}`, `%{SSL:name}`, `%{LA-U:…}`, `%{LA-F:…}`. */
function prefixedVariable(rawPrefix: string, arg: string, ctx: EvalContext): string {
  const prefix = rawPrefix.toUpperCase();
  switch (prefix) {
    case 'HTTP':
      return header(ctx, arg);
    case 'ENV':
      return ctx.state.env.get(arg) ?? scriptVar(arg, ctx) ?? processEnv(arg);
    case 'SSL':
      return sslVar(arg, ctx);
    case 'LA-U':
    case 'LA-F':
      return lookAhead(prefix, arg, ctx);
    default:
      return '';
  }
}

/** Reads one server variable; `name` is the upper-case name it was found under. */
type VariableReader = (ctx: EvalContext, name: string) => string;

const empty: VariableReader = () => '';
const filename: VariableReader = (ctx) => ctx.state.filename;
const documentRoot: VariableReader = (ctx) => ctx.server.documentRoot;
const scriptOwner: VariableReader = (ctx, name) => {
  const st = ctx.fs.stat(ctx.state.filename);
  const id = name === 'SCRIPT_USER' ? st?.uid : st?.gid;
  return id === undefined ? '<unknown>' : String(id);
};
const isIpv6 = (addr: string): boolean => addr.includes(':') && !addr.startsWith('::ffff:');

/**
 * %{TIME…}: the local time now, as lookup_variable and ap_expr's misc_var_fn both give it
 * (TIME_YEAR four digits, TIME_WDAY one, the others two).
 */
const TIME_VARIABLES = new Map<string, () => string>([
  ['TIME', () => timeStamp(new Date())],
  ['TIME_YEAR', () => String(new Date().getFullYear())],
  ['TIME_MON', () => pad(new Date().getMonth() + 1)],
  ['TIME_DAY', () => pad(new Date().getDate())],
  ['TIME_HOUR', () => pad(new Date().getHours())],
  ['TIME_MIN', () => pad(new Date().getMinutes())],
  ['TIME_SEC', () => pad(new Date().getSeconds())],
  ['TIME_WDAY', () => String(new Date().getDay())],
]);

/** A TIME variable's value now; undefined for any other name. */
export function timeVariable(name: string): string | undefined {
  return TIME_VARIABLES.get(name)?.();
}

/** Server variables without a prefix (lookup_variable's switch, the HTTP_* headers aside). */
const VARIABLES = new Map<string, VariableReader>([
  ['REQUEST_URI', (ctx) => ctx.state.uri],
  ['SCRIPT_FILENAME', filename],
  ['REQUEST_FILENAME', filename],
  ['QUERY_STRING', (ctx) => ctx.state.args ?? ''],
  ['THE_REQUEST', ({ view }) => `${view.method} ${view.target} ${view.protocol}`],
  ['REQUEST_METHOD', (ctx) => ctx.view.method],
  ['REQUEST_SCHEME', (ctx) => (ctx.view.secure ? 'https' : 'http')],
  ['HTTPS', (ctx) => (ctx.view.secure ? 'on' : 'off')],
  ['SERVER_PROTOCOL', (ctx) => ctx.view.protocol],
  ['SERVER_NAME', (ctx) => requestHost(ctx.view, ctx.server).name],
  ['SERVER_PORT', (ctx) => String(requestHost(ctx.view, ctx.server).port)],
  ['SERVER_ADDR', (ctx) => ctx.view.localAddr],
  ['SERVER_ADMIN', (ctx) => ctx.server.serverAdmin ?? '[no address given]'],
  ['SERVER_SOFTWARE', (ctx) => ctx.server.serverSoftware ?? 'Apache'],
  ['REMOTE_ADDR', (ctx) => ctx.view.remoteAddr],
  ['CONN_REMOTE_ADDR', (ctx) => ctx.view.connRemoteAddr],
  ['REMOTE_PORT', (ctx) => String(ctx.view.remotePort)],
  ['REMOTE_HOST', (ctx) => ctx.view.remoteAddr],
  ['REMOTE_USER', (ctx) => ctx.view.remoteUser ?? ''],
  ['REMOTE_IDENT', empty],
  ['AUTH_TYPE', (ctx) => ctx.view.authType ?? ''],
  ['DOCUMENT_ROOT', documentRoot],
  ['CONTEXT_DOCUMENT_ROOT', documentRoot],
  ['CONTEXT_PREFIX', empty],
  ['PATH_INFO', (ctx) => ctx.state.pathInfo],
  ['IS_SUBREQ', (ctx) => (ctx.view.isSubreq ? 'true' : 'false')],
  ['IPV6', (ctx) => (isIpv6(ctx.view.connRemoteAddr) ? 'on' : 'off')],
  ['API_VERSION', () => API_VERSION],
  ['SCRIPT_USER', scriptOwner],
  ['SCRIPT_GROUP', scriptOwner],
  ...[...TIME_VARIABLES].map(([name, now]): [string, VariableReader] => [name, () => now()]),
]);

/** %{TIME}: YYYYMMDDhhmmss in local time. */
function timeStamp(now: Date): string {
  const date = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}`;
  return `${date}${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
}

function sslVar(name: string, ctx: EvalContext): string {
  const tls = ctx.view.tls;
  if (!ctx.view.secure || !tls) return '';
  switch (name.toUpperCase()) {
    case 'HTTPS':
      return 'on';
    case 'SSL_PROTOCOL':
      return tls.protocol ?? '';
    case 'SSL_CIPHER':
      return tls.cipher ?? '';
    case 'SSL_CIPHER_USEKEYSIZE':
    case 'SSL_CIPHER_ALGKEYSIZE':
      return tls.cipherBits !== undefined ? String(tls.cipherBits) : '';
    default:
      return tls.vars?.[name.toUpperCase()] ?? '';
  }
}

/**
 * SCRIPT_URL / SCRIPT_URI, which mod_rewrite puts into the environment in server context: computed
 * when read instead of being stored for every request.
 */
function scriptVar(name: string, ctx: EvalContext): string | undefined {
  if (name !== 'SCRIPT_URL' && name !== 'SCRIPT_URI') return undefined;
  const url = ctx.state.env.get('REDIRECT_SCRIPT_URL') ?? ctx.originalUri;
  if (name === 'SCRIPT_URL') return url;
  const { name: host, port } = requestHost(ctx.view, ctx.server);
  const def = ctx.view.secure ? 443 : 80;
  return `${ctx.view.secure ? 'https' : 'http'}://${host}${port === def ? '' : `:${port}`}${url}`;
}

/**
 * LA-U / LA-F: Apache runs a sub-request for the current subject (per-directory: the RewriteBase
 * or the directory path in front of it) and reads the variable there. modrewrite derives what such
 * a sub-request would see for REQUEST_URI and REQUEST_FILENAME (the URL mapped under the document
 * root, rules not re-run) and answers the current value for anything else (REMOTE_USER: the
 * per-directory user, which a sub-request of the same walk inherits; none in server context,
 * where Apache's sub-request would authenticate on its own: not emulated).
 */
function lookAhead(kind: string, name: string, ctx: EvalContext): string {
  const subject = ctx.subject ?? ctx.state.filename;
  const upper = name.toUpperCase();
  if (ctx.view.isSubreq) return '';
  let url = subject;
  if (kind === 'LA-F' && !(ctx.perdir !== null && subject.startsWith('/'))) {
    const file = ctx.perdir !== null ? ctx.perdir + subject : subject;
    if (upper === 'REQUEST_FILENAME' || upper === 'SCRIPT_FILENAME') return file;
    return lookupVariable(name, ctx);
  }
  if (ctx.perdir !== null && !subject.startsWith('/')) url = (ctx.base ?? ctx.perdir) + subject;
  if (upper === 'REQUEST_URI') return url;
  if (upper === 'REQUEST_FILENAME' || upper === 'SCRIPT_FILENAME')
    return ctx.server.documentRoot.replace(/\/$/, '') + url;
  return lookupVariable(name, ctx);
}
