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
  // the name as written in the rule
  if (v !== '' && lower !== 'host') ctx.varyThis = append(ctx.varyThis, name);
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
  const raw = Object.hasOwn(ctx.view.headers, ref.header)
    ? ctx.view.headers[ref.header]
    : undefined;
  const v = raw === undefined ? '' : Array.isArray(raw) ? raw.join(', ') : raw;
  if (v !== '' && ref.header !== 'host') ctx.varyThis = append(ctx.varyThis, ref.vary);
  return v;
}

export function lookupVariable(rawName: string, ctx: EvalContext): string {
  const colon = rawName.indexOf(':');
  if (colon > 0) {
    const prefix = rawName.slice(0, colon).toUpperCase();
    const arg = rawName.slice(colon + 1);
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
  const name = rawName.toUpperCase();
  const hv = HTTP_VARS.get(name);
  if (hv) return header(ctx, CANONICAL_HEADER.get(hv) ?? hv);
  const { view, state, server } = ctx;
  const now = new Date();
  switch (name) {
    case 'REQUEST_URI':
      return state.uri;
    case 'SCRIPT_FILENAME':
    case 'REQUEST_FILENAME':
      return state.filename;
    case 'QUERY_STRING':
      return state.args ?? '';
    case 'THE_REQUEST':
      return `${view.method} ${view.target} ${view.protocol}`;
    case 'REQUEST_METHOD':
      return view.method;
    case 'REQUEST_SCHEME':
      return view.secure ? 'https' : 'http';
    case 'HTTPS':
      return view.secure ? 'on' : 'off';
    case 'SERVER_PROTOCOL':
      return view.protocol;
    case 'SERVER_NAME':
      return requestHost(view, server).name;
    case 'SERVER_PORT':
      return String(requestHost(view, server).port);
    case 'SERVER_ADDR':
      return view.localAddr;
    case 'SERVER_ADMIN':
      return server.serverAdmin ?? '[no address given]';
    case 'SERVER_SOFTWARE':
      return server.serverSoftware ?? 'Apache';
    case 'REMOTE_ADDR':
      return view.remoteAddr;
    case 'CONN_REMOTE_ADDR':
      return view.connRemoteAddr;
    case 'REMOTE_PORT':
      return String(view.remotePort);
    case 'REMOTE_HOST':
      return view.remoteAddr;
    case 'REMOTE_USER':
    case 'REMOTE_IDENT':
    case 'AUTH_TYPE':
      return '';
    case 'DOCUMENT_ROOT':
    case 'CONTEXT_DOCUMENT_ROOT':
      return server.documentRoot;
    case 'CONTEXT_PREFIX':
      return '';
    case 'PATH_INFO':
      return state.pathInfo;
    case 'IS_SUBREQ':
      return view.isSubreq ? 'true' : 'false';
    case 'IPV6':
      return view.connRemoteAddr.includes(':') && !view.connRemoteAddr.startsWith('::ffff:')
        ? 'on'
        : 'off';
    case 'API_VERSION':
      return API_VERSION;
    case 'SCRIPT_USER':
    case 'SCRIPT_GROUP': {
      const st = ctx.fs.stat(state.filename);
      const id = name === 'SCRIPT_USER' ? st?.uid : st?.gid;
      return id === undefined ? '<unknown>' : String(id);
    }
    case 'TIME':
      return `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
    case 'TIME_YEAR':
      return String(now.getFullYear());
    case 'TIME_MON':
      return pad(now.getMonth() + 1);
    case 'TIME_DAY':
      return pad(now.getDate());
    case 'TIME_HOUR':
      return pad(now.getHours());
    case 'TIME_MIN':
      return pad(now.getMinutes());
    case 'TIME_SEC':
      return pad(now.getSeconds());
    case 'TIME_WDAY':
      return String(now.getDay());
    default:
      return '';
  }
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
  const url = ctx.state.env.get('REDIRECT_SCRIPT_URL') ?? ctx.original.uri;
  if (name === 'SCRIPT_URL') return url;
  const { name: host, port } = requestHost(ctx.view, ctx.server);
  const def = ctx.view.secure ? 443 : 80;
  return `${ctx.view.secure ? 'https' : 'http'}://${host}${port === def ? '' : `:${port}`}${url}`;
}

/**
 * LA-U / LA-F: Apache runs a sub-request for the current subject (per-directory: the RewriteBase
 * or the directory path in front of it) and reads the variable there. modrewrite derives what such
 * a sub-request would see for REQUEST_URI and REQUEST_FILENAME (the URL mapped under the document
 * root, rules not re-run) and answers the current value for anything else (no authentication runs
 * in Node, so REMOTE_USER stays empty either way).
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
