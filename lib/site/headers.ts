/**
 * mod_headers and mod_expires on a site's responses (site(), htaccess(), serve).
 *
 * Apache keeps two response tables: `headers_out` (what the handler sets; `Header [onsuccess]`
 * acts on it) and `err_headers_out` (`Header always` acts on it); both are sent, err_headers_out's
 * entries first (http_filters.c apr_table_overlay). A response Apache generates itself (ap_die:
 * an error page, a [R] or mod_dir redirect, a Require denial) runs only the `always` table
 * (recorded, case 150); a handler's response (a file, a 304, an app's or a proxied answer) runs
 * both, after mod_expires (its filter sits before mod_headers', AP_FTYPE_CONTENT_SET-2), which adds
 * `Cache-Control: max-age` and `Expires` to non-error responses without an Expires.
 * `RequestHeader` runs in the fixups, after per-directory rewriting: only what handles the request
 * (a handler, the app after htaccess(), the proxy) sees its changes.
 */
import { dirname } from 'node:path';
import { loadavg } from 'node:os';
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { ExpiresCode, ExpiresLayer, FormatPart, HeaderAction } from '../compile/headers.js';
import type { RuleSet } from '../compile/ruleset.js';
import { evalExpr, wordValue, type ExprEnv } from '../engine/expr.js';
import { isErrorResponse } from '../http/respond.js';
import { fileNameOf } from './access.js';
import type { AuthIdentity } from './authn.js';
import type { RequestView } from '../engine/request.js';
import type { Collected, SiteConfig, SiteResult } from './pipeline.js';
import { underRoot } from './paths.js';
import { exprEnvironment, type RequestFacts } from './env.js';

/** The mod_headers actions and mod_expires settings in effect for one request's file. */
export interface HeaderScope {
  readonly actions: readonly HeaderAction[];
  readonly expires?: ResolvedExpires;
  /** `actions` split by table once (the scope is cached): what each phase applies. */
  readonly always: readonly HeaderAction[];
  readonly onsuccess: readonly HeaderAction[];
  readonly request: readonly HeaderAction[];
}

/**
 * Scopes by configuration and file name. A directory's merged configuration is one object until
 * its `.htaccess` files change (the store recompiles), so its scopes are computed once, not per
 * request; names are bounded per configuration (a long tail of names is computed each time).
 */
const scopeCache = new WeakMap<object, Map<string, HeaderScope | null>>();
const SCOPE_NAMES_PER_CONFIG = 1024;

interface ResolvedExpires {
  readonly byType: ReadonlyMap<string, ExpiresCode>;
  readonly default?: ExpiresCode;
  /**
   * Whether `major/*` entries are looked up: only when the last layer has one (recorded, case 151).
   */
  readonly wildcards: boolean;
}

/**
 * The request as the values and conditions read it (a node request, or the pipeline's view of one).
 */
export type HeaderRequestLine = Pick<
  IncomingMessage,
  'headers' | 'method' | 'url' | 'httpVersion' | 'rawHeaders'
>;

/** What the values and conditions read about the request. */
export interface HeaderRequest {
  readonly req: HeaderRequestLine;
  readonly env: ReadonlyMap<string, string>;
  readonly uri: string;
  readonly args: string | null;
  readonly filename?: string;
  readonly documentRoot: string;
  readonly serverName?: string;
  readonly secure: boolean;
  readonly remoteAddr: string;
  /** When the request arrived (ms since the epoch). */
  readonly time: number;
  /** The served file's modification time (ms), for `M` expires codes. */
  readonly mtime?: number;
  /** The Content-Length the default handler put in r->headers_out: the served file's size. */
  readonly handlerLength?: number;
  /** REMOTE_USER and AUTH_TYPE as the access phase left them (none: no authentication ran). */
  readonly identity?: AuthIdentity;
  /**
   * The request as the rules saw it, for the rest of ap_expr's variables (SERVER_PORT, TIME_*…:
   * site/env.ts); undefined where only the fields above are known (they answer '').
   */
  readonly facts?: RequestFacts;
}

/** The server config's, then the `.htaccess` files', then the matching `<Files>` sections'. */
export function headerScope(site: SiteConfig, acc: Collected): HeaderScope | undefined {
  const scope = acc.scope;
  // the walk's own lookup for this file when it made one (the same arguments, made just before)
  const config =
    scope?.config !== undefined
      ? scope.config
      : scope &&
          site.store &&
          (site.store.walksOutsideRoot ||
            underRoot(scope.directory ? scope.filename : dirname(scope.filename), site.root))
        ? site.store.configForPath(scope.filename, scope.directory, scope.uri)
        : undefined;
  // an .htaccess that failed to parse: ap_directory_walk returned before it set
  // r->per_dir_config, so no .htaccess file's Header lines act on the 500 (case 348)
  const rs = config?.failure ? undefined : config?.ruleSet;
  const name = scope ? fileNameOf(scope.filename) : undefined;
  const key: object = rs ?? site.serverRules ?? site;
  let byName = scopeCache.get(key);
  const cached = byName?.get(name ?? '');
  if (cached !== undefined) return cached ?? undefined;
  const computed = computeScope(site.serverRules, rs, name);
  if (!byName) scopeCache.set(key, (byName = new Map()));
  if (byName.size < SCOPE_NAMES_PER_CONFIG) byName.set(name ?? '', computed ?? null);
  return computed;
}

function computeScope(
  server: RuleSet | undefined,
  rs: RuleSet | undefined,
  name: string | undefined,
): HeaderScope | undefined {
  const all = [...(server?.headers ?? []), ...(rs?.headers ?? [])];
  const layers = [...(server?.expires ?? []), ...(rs?.expires ?? [])];
  if (!all.length && !layers.length) return undefined;
  const inFiles = <T extends { files?: (n: string) => boolean }>(list: readonly T[]): T[] => [
    ...list.filter((a) => !a.files),
    ...list.filter((a) => a.files && name !== undefined && a.files(name)),
  ];
  const actions = inFiles(all);
  const table = (t: HeaderAction['table']): HeaderAction[] =>
    actions.filter((a) => a.table === t && !a.early);
  return {
    actions,
    expires: resolveExpires(inFiles(layers)),
    always: table('always'),
    onsuccess: table('onsuccess'),
    request: table('request'),
  };
}

function resolveExpires(layers: readonly ExpiresLayer[]): ResolvedExpires | undefined {
  let active = false;
  let byType = new Map<string, ExpiresCode>();
  let fallback: ExpiresCode | undefined;
  let wildcards = false;
  for (const layer of layers) {
    active = layer.active ?? active;
    fallback = layer.default ?? fallback;
    byType = new Map([...byType, ...layer.byType]);
    // merge_expires_dir_configs takes the child's wildcard flag, not the union
    wildcards = [...layer.byType.keys()].some((t) => t.endsWith('/*'));
  }
  return active && (byType.size || fallback) ? { byType, default: fallback, wildcards } : undefined;
}

/** RequestHeader (fixups): edits `req.headers` before the handler, the app or the proxy runs. */
export function applyRequestHeaders(scope: HeaderScope | undefined, info: HeaderRequest): void {
  const actions = scope?.request;
  if (!actions?.length) return;
  const req = info.req;
  if (onlyUnsets(actions)) {
    // the common `RequestHeader unset Proxy` (httpoxy): the same as rebuilding the table without
    // those names, without rebuilding it on every request
    for (const a of actions) delete req.headers[a.name.toLowerCase()];
    return;
  }
  const table: Entry[] = [];
  for (const [name, value] of Object.entries(req.headers))
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value])
      table.push([name, v]);
  const result = runActions(table, actions, info, () => undefined);
  for (const name of Object.keys(req.headers)) delete req.headers[name];
  for (const [name, value] of result) {
    const key = name.toLowerCase();
    const had = req.headers[key];
    req.headers[key] = had === undefined ? value : `${String(had)}, ${value}`;
  }
}

/**
 * Whether every action is an unconditional `unset` (cached per action list: lists live in scopes).
 */
function onlyUnsets(actions: readonly HeaderAction[]): boolean {
  let known = unsetsOnly.get(actions);
  if (known === undefined) {
    known = actions.every((a) => a.action === 'unset' && !a.when && !a.ifChain);
    unsetsOnly.set(actions, known);
  }
  return known;
}
const unsetsOnly = new WeakMap<readonly HeaderAction[], boolean>();

/**
 * Applies Header and the mod_expires settings when the response's headers go out (its writeHead),
 * whoever writes them: the static file, an error page, the app, the proxy.
 */
export function onResponseHeaders(
  res: ServerResponse,
  scope: HeaderScope | undefined,
  info: HeaderRequest,
): void {
  if (!scope) return;
  const { always, onsuccess } = scope;
  if (!always.length && !onsuccess.length && !scope.expires) return;
  // an ErrorDocument's own request answers for the first one: only its configuration applies, as
  // the output filters of the request that finally answers are Apache's (ProcessWire's 404 page)
  const hooked = res as Hooked;
  const earlier = hooked[PENDING];
  const writeHead = earlier ? earlier.writeHead : res.writeHead;
  // one new field on the response and writeHead: each new field costs (a hidden class, a copy)
  hooked[PENDING] = { scope, info, always, onsuccess, writeHead, led: false };
  if (!earlier) res.writeHead = hookedWriteHead as typeof res.writeHead;
}

/** The hook itself: one function for every response (no closure made per request). */
function hookedWriteHead(this: Hooked, status: number, ...rest: unknown[]): ServerResponse {
  const last = this[PENDING];
  // called again after it ran (a wrapper that kept it): node's own writeHead answers
  const writeHead = (last?.writeHead ?? ServerResponse.prototype.writeHead) as (
    ...a: unknown[]
  ) => ServerResponse;
  this.writeHead = writeHead as typeof this.writeHead;
  this[PENDING] = undefined;
  if (!last) return writeHead.call(this, status, ...rest);
  // the implicit head of end() and write() (the usual case): no arguments to look at
  const args = rest.length ? headersFromArgs(this, rest) : rest;
  finish(this, status, last);
  mergeConnectionClose(this);
  return args.length ? writeHead.call(this, status, ...args) : writeHead.call(this, status);
}

/**
 * http_protocol.c ap_set_keepalive, after mod_headers: a connection the client asked to close
 * stays closed, and the answer says so by merging "close" into the first Connection field a
 * `Header` line set (`Header set Connection keep-alive` → `keep-alive, close`, real-world
 * AbanteCart), unless that field says close already ("wimpy"; case 491). Node would otherwise take
 * the field's keep-alive as its own and keep the socket open for a client that waits for it to
 * close.
 */
function mergeConnectionClose(res: ServerResponse): void {
  const value = res.getHeader('Connection');
  if (value === undefined || res.shouldKeepAlive) return;
  const values = Array.isArray(value) ? [...value] : [String(value)];
  if (/(?:^|[\s,])close(?:$|[\s,;])/i.test(values[0]!)) return;
  values[0] = `${values[0]}, close`;
  res.setHeader(spelledAs(res, 'connection'), values.length === 1 ? values[0] : values);
}

/** The type the handler chose for the response (r->content_type), kept past send's 304. */
const HANDLER_TYPE = Symbol('modrewrite.handlerType');

/**
 * Notes the Content-Type the handler gives `res` (static-file.ts): a 304 sends no Content-Type, but
 * Apache's mod_expires (ExpiresByType) and mod_headers (`%{CONTENT_TYPE}`, Kirby's
 * `expr=-z %{CONTENT_TYPE}`) still see the file's type before the header filter drops it
 * (recorded: real-world Flarum's and Kirby's assets with If-None-Match).
 */
export function noteHandlerType(res: ServerResponse, type: string): void {
  (res as Hooked)[HANDLER_TYPE] = type;
}

/** The noted type, when a 204/304 goes out without a Content-Type of its own. */
function headerOnlyType(
  res: ServerResponse,
  status: number,
  out: readonly Entry[],
): string | undefined {
  if (status !== 304 && status !== 204) return undefined;
  if (get(out, 'Content-Type') !== undefined) return undefined;
  return (res as Hooked)[HANDLER_TYPE];
}

function isContentType(name: string): boolean {
  return name.toLowerCase() === 'content-type';
}

/**
 * The headers configuration to apply when a hooked response's headers go out (the latest wins):
 * a symbol-keyed field of the response (a WeakMap entry per request cost more, in the profile).
 */
const PENDING = Symbol('modrewrite.headers');
/** What the hook applies when the headers go out: the scope's tables for this request. */
interface PendingHeaders {
  scope: HeaderScope;
  info: HeaderRequest;
  always: readonly HeaderAction[];
  onsuccess: readonly HeaderAction[];
  /** The writeHead the hook replaced, put back when it runs. */
  writeHead: ServerResponse['writeHead'];
  /** The always table's entries were set first already (leadWithAlways). */
  led: boolean;
}

type Hooked = ServerResponse & {
  [HANDLER_TYPE]?: string;
  [PENDING]?: PendingHeaders;
};

/**
 * writeHead(status, [reason], [headers]): the headers become setHeader calls first, so the
 * Header actions see them. Node's flat `[name, value, …]` form is applied as Node applies it
 * (each name removed, then every pair appended); an odd-length array is left for Node to refuse.
 */
function headersFromArgs(res: ServerResponse, rest: unknown[]): unknown[] {
  const reason = typeof rest[0] === 'string' ? [rest[0]] : [];
  const given = rest[reason.length];
  if (Array.isArray(given)) {
    if (given.length % 2 !== 0) return rest;
    for (let n = 0; n < given.length; n += 2) res.removeHeader(String(given[n]));
    for (let n = 0; n < given.length; n += 2)
      if (given[n]) res.appendHeader(String(given[n]), given[n + 1] as string);
    return reason;
  }
  if (given && typeof given === 'object') {
    for (const [k, v] of Object.entries(given as Record<string, unknown>))
      if (v !== undefined) res.setHeader(k, v as string);
    return reason;
  }
  return rest;
}

type Entry = [name: string, value: string];

function finish(res: ServerResponse, status: number, pending: PendingHeaders): void {
  if (finishedInPlace(res, status, pending)) return;
  const { scope, always, onsuccess } = pending;
  const apacheOwn = isErrorResponse(res);
  // Apache's own page replaced the file's answer: no handler set Content-Length (headersOut)
  const info =
    apacheOwn && pending.info.handlerLength !== undefined
      ? { ...pending.info, handlerLength: undefined }
      : pending.info;
  let out = readTable(res);
  // a 304 (send's notModified) has lost the field: the filters below still read r->content_type
  const dropType = headerOnlyType(res, status, out);
  if (dropType !== undefined) out.push(['Content-Type', dropType]);
  // the page's own fields (mod_expires' are Apache's too, and stay: case 342)
  const page = apacheOwn ? new Set(out) : undefined;
  // mod_expires runs on the error path too (its insert_error_filter hook), but skips 4xx and 5xx:
  // mod_dir's and [R]'s redirects get Cache-Control and Expires (recorded, real-world Drupal /core)
  if (status < 400 && scope.expires) addExpires(out, scope.expires, info);
  const response = (name: string): string | undefined => get(out, name);
  // a file's 206 is the byterange filter's, after mod_headers' filter: REQUEST_STATUS is still 200
  const seen = status === 206 && info.handlerLength !== undefined ? 200 : status;
  const err = constantTable(always) ?? runActions([], always, info, response, seen);
  if (!apacheOwn) out = runActions(out, onsuccess, info, response, seen);
  // Apache's own pages carry no X-Content-Type-Options/CSP of their own (modrewrite's do): a
  // header the always table sets is sent once, as Apache sends it (recorded: Drupal's 403 nosniff)
  else out = out.filter((e) => !page?.has(e) || get(err, e[0]) === undefined);
  // ...and http_filters.c drops it after them (AP_STATUS_IS_HEADER_ONLY), unless `Header` set one
  if (dropType !== undefined) out = out.filter(([n, v]) => !isContentType(n) || v !== dropType);
  const grouped = new Map<string, { name: string; values: string[] }>();
  for (const list of [err, out])
    for (const [name, value] of list) {
      const key = name.toLowerCase();
      const g = grouped.get(key);
      if (g) g.values.push(value);
      else grouped.set(key, { name, values: [value] });
    }
  const vary = grouped.get('vary');
  if (vary) vary.values = [fixupVary(vary.values)];
  if (sameAsSent(res, grouped)) return;
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  for (const { name, values } of grouped.values())
    res.setHeader(name, values.length === 1 ? values[0]! : values);
}

/**
 * The common case without building tables (the profile's largest share of site()'s own work): no
 * `Header` action of the onsuccess table, the always table a constant (site/headers.ts
 * constantTable) whose names the response does not hold. Then the result is the response's own
 * fields with mod_expires' changes made in place (node keeps a field's position when it is set
 * again, as apr_table_set/mergen keep the first entry's), fixup_vary's Vary, and the always
 * entries moved before them (unless `led`: they are first already). False: nothing was changed,
 * the general path runs.
 */
function finishedInPlace(res: ServerResponse, status: number, pending: PendingHeaders): boolean {
  const { scope, info, always, onsuccess, led } = pending;
  // a 304/204 has lost the file's Content-Type, which mod_expires still reads (headerOnlyType)
  if (status === 304 || status === 204) return false;
  const err = onsuccess.length ? undefined : constantTable(always);
  if (!err || !rawNamesKept(res)) return false;
  const expires = status < 400 && scope.expires;
  for (const [name] of err) {
    const lower = name.toLowerCase();
    if ((!led && res.hasHeader(name)) || lower === 'vary') return false;
    // mod_expires writes r->headers_out: an always field of a name it sets is a field of its own
    // (`Cache-Control: err` then `max-age=N`, case 342), which setting it in place would replace
    if (expires && EXPIRES_FIELDS.has(lower)) return false;
  }
  if (expires) expiresInPlace(res, expires, info);
  const vary = res.getHeader('Vary');
  if (vary !== undefined) {
    const fixed = fixupVary(Array.isArray(vary) ? vary : [String(vary)]);
    if (fixed !== vary) res.setHeader(spelledAs(res, 'vary'), fixed);
  }
  if (!err.length || led) return true;
  putFirst(res, err);
  return true;
}

/** The fields mod_expires' set_expiration_fields sets (lower case). */
const EXPIRES_FIELDS = new Set(['cache-control', 'expires', 'date']);

/** Whether node keeps the names as they were set (>= 15.13): the quick paths need them. */
function rawNamesKept(res: ServerResponse): boolean {
  return typeof (res as { getRawHeaderNames?: unknown }).getRawHeaderNames === 'function';
}

/** A field's name as it was set (`lower`: its lower-case form; the response holds it). */
function spelledAs(res: ServerResponse, lower: string): string {
  return rawNames(res)?.find((n) => n.toLowerCase() === lower) ?? lower;
}

/** The names as they were set (node >= 15.13), or undefined on an older node. */
function rawNames(res: ServerResponse): string[] | undefined {
  const raw = (res as { getRawHeaderNames?: () => string[] }).getRawHeaderNames;
  return raw?.call(res);
}

/** The always entries go first (apr_table_overlay): every other field is set again after them. */
function putFirst(res: ServerResponse, err: readonly Entry[]): void {
  const rest = rawNames(res)!.map((name) => [name, res.getHeader(name)!] as const);
  for (const [name] of rest) res.removeHeader(name);
  for (const [name, value] of err) res.setHeader(name, value);
  for (const [name, value] of rest) res.setHeader(name, value);
}

/**
 * The fields a file answered from memory sets (site/static-file.ts serveFromMemory, mod_expires).
 */
const FILE_ANSWER_FIELDS = new Set([
  'accept-ranges',
  'cache-control',
  'content-encoding',
  'content-language',
  'content-length',
  'content-type',
  'date',
  'etag',
  'expires',
  'last-modified',
  'vary',
]);

/**
 * For an answer site() writes at once (a file from memory, site/static-file.ts): the constant
 * `Header always` entries (Drupal's nosniff) are set first now, before the file's own fields, so
 * the head needs no re-ordering when it goes out: only what was set before (Express's
 * X-Powered-By) moves. Not for a name that answer sets itself (both values are sent then).
 */
export function leadWithAlways(res: ServerResponse): void {
  const pending = (res as Hooked)[PENDING];
  if (!pending || pending.onsuccess.length || !rawNames(res)) return;
  const err = constantTable(pending.always);
  if (!err?.length) return;
  for (const [name] of err)
    if (FILE_ANSWER_FIELDS.has(name.toLowerCase()) || res.hasHeader(name)) return;
  putFirst(res, err);
  pending.led = true;
}

/** addExpires on the response itself: the same fields, in the same places (see finishedInPlace). */
function expiresInPlace(res: ServerResponse, expires: ResolvedExpires, info: HeaderRequest): void {
  if (res.hasHeader('Expires')) return;
  const type = res.getHeader('Content-Type');
  const first = Array.isArray(type) ? type[0] : type;
  const fields = expiresFor(first === undefined ? undefined : String(first), expires, info);
  if (!fields) return;
  const now = res.getHeader('Cache-Control');
  const list = now === undefined ? [] : Array.isArray(now) ? now.map(String) : [String(now)];
  if (!list.length) {
    // none (an empty list is none too): mergen adds it at the end
    res.removeHeader('Cache-Control');
    res.setHeader('Cache-Control', fields.cacheControl);
  } else {
    // mergen: the first Cache-Control gets `, max-age=N`, in its place and spelling
    const merged = `${list[0]}, ${fields.cacheControl}`;
    res.setHeader(
      spelledAs(res, 'cache-control'),
      list.length > 1 ? [merged, ...list.slice(1)] : merged,
    );
  }
  res.setHeader('Expires', fields.expires);
  res.setHeader('Date', fields.date);
}

/**
 * Whether the response already holds the table in this order, spelling and values (no Header or
 * expires setting changed anything): rebuilding it would send the same bytes.
 */
function sameAsSent(
  res: ServerResponse,
  grouped: ReadonlyMap<string, { name: string; values: string[] }>,
): boolean {
  const raw = (res as { getRawHeaderNames?: () => string[] }).getRawHeaderNames;
  if (!raw) return false;
  const names = raw.call(res);
  if (names.length !== grouped.size) return false;
  let i = 0;
  for (const { name, values } of grouped.values()) {
    if (names[i++] !== name) return false;
    const now = res.getHeader(name);
    const list = Array.isArray(now) ? now : [now];
    if (list.length !== values.length) return false;
    for (let v = 0; v < values.length; v++) if (String(list[v]) !== values[v]) return false;
  }
  return true;
}

/**
 * The always table when its actions are unconditional `set`s of literal values (Drupal's
 * `Header always set X-Content-Type-Options nosniff`): the same entries on every response, made
 * once per action list (lists live in the cached scopes). `undefined`: run the actions.
 */
function constantTable(actions: readonly HeaderAction[]): readonly Entry[] | undefined {
  if (constantTables.has(actions)) return constantTables.get(actions);
  const literal = (a: HeaderAction): boolean =>
    a.action === 'set' &&
    !a.when &&
    !a.ifChain &&
    Array.isArray(a.format) &&
    (a.format as readonly FormatPart[]).every((p) => p.type === 'literal');
  let table: Entry[] | undefined;
  if (actions.every(literal)) {
    table = [];
    for (const a of actions)
      setValue(table, a.name, literalText(a.format as readonly FormatPart[]));
  }
  constantTables.set(actions, table);
  return table;
}
const constantTables = new WeakMap<readonly HeaderAction[], Entry[] | undefined>();

/**
 * http_filters.c fixup_vary: one Vary, each field once (case-insensitively, the first spelling).
 */
function fixupVary(values: readonly string[]): string {
  const seen = new Map<string, string>();
  for (const v of values)
    for (const token of v.split(',')) {
      const t = token.trim();
      if (t && !seen.has(t.toLowerCase())) seen.set(t.toLowerCase(), t);
    }
  return [...seen.values()].join(', ');
}

function readTable(res: ServerResponse): Entry[] {
  // node >= 15.13 keeps the names as they were set
  const raw = (res as { getRawHeaderNames?: () => string[] }).getRawHeaderNames;
  const names = raw ? raw.call(res) : res.getHeaderNames();
  const table: Entry[] = [];
  for (const name of names) {
    const value = res.getHeader(name);
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value])
      table.push([name, String(v)]);
  }
  return table;
}

function get(table: readonly Entry[], name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [n, v] of table) if (n.toLowerCase() === wanted) return v;
  return undefined;
}

/**
 * mod_expires' filter: by type (exact, then `major/*`), else ExpiresDefault; not over an Expires.
 */
function addExpires(table: Entry[], expires: ResolvedExpires, info: HeaderRequest): void {
  if (get(table, 'Expires') !== undefined) return;
  const fields = expiresFor(get(table, 'Content-Type'), expires, info);
  if (!fields) return;
  mergeValue(table, 'Cache-Control', fields.cacheControl);
  setValue(table, 'Expires', fields.expires);
  setValue(table, 'Date', fields.date);
}

/**
 * The fields mod_expires sets for a response of `contentType`, or undefined (no code for the
 * type, or no time to count from).
 */
function expiresFor(
  contentType: string | undefined,
  expires: ResolvedExpires,
  info: HeaderRequest,
): { cacheControl: string; expires: string; date: string } | undefined {
  const type = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  const wildcard = expires.wildcards ? expires.byType.get(`${type.split('/', 1)[0]}/*`) : undefined;
  const code = expires.byType.get(type) ?? wildcard ?? expires.default;
  if (!code) return undefined;
  const base = code.base === 'access' ? info.time : info.mtime;
  if (base === undefined) return undefined;
  // set_expiration_fields: expires = base + N s; max-age = whole seconds from the request time
  const at = base + code.seconds * 1000;
  const maxAge = Math.trunc((at - info.time) / 1000);
  // Apache's Date is the request time: Expires - Date is exactly the code's seconds
  return { cacheControl: `max-age=${maxAge}`, expires: httpDate(at), date: httpDate(info.time) };
}

/** `new Date(ms).toUTCString()`, made once per second (the string has no milliseconds). */
function httpDate(ms: number): string {
  const second = Math.floor(ms / 1000);
  const known = lastDates.get(second);
  if (known !== undefined) return known;
  const text = new Date(ms).toUTCString();
  // a handful of seconds at a time (now, now + each Expires code): start afresh when it fills
  if (lastDates.size >= 16) lastDates.clear();
  lastDates.set(second, text);
  return text;
}
const lastDates = new Map<number, string>();

/** apr_table_set: every entry of that name goes, the new one takes the first one's place. */
function setValue(table: Entry[], name: string, value: string): void {
  const wanted = name.toLowerCase();
  let at = -1;
  let kept = 0;
  for (let i = 0; i < table.length; i++) {
    const entry = table[i]!;
    if (entry[0].toLowerCase() !== wanted) table[kept++] = entry;
    else if (at < 0) at = kept;
  }
  table.length = kept;
  if (at < 0) table.push([name, value]);
  else table.splice(at, 0, [name, value]);
}

/** apr_table_mergen: appended to the first entry of that name with ", ", else added. */
function mergeValue(table: Entry[], name: string, value: string): void {
  const entry = table.find(([n]) => n.toLowerCase() === name.toLowerCase());
  if (entry) entry[1] = `${entry[1]}, ${value}`;
  else table.push([name, value]);
}

function runActions(
  input: Entry[],
  actions: readonly HeaderAction[],
  info: HeaderRequest,
  response: (name: string) => string | undefined,
  status = 200,
): Entry[] {
  let table = input;
  for (const a of actions) {
    if (!applies(a, info, response, status)) continue;
    table = applyAction(table, a, info, response, status);
  }
  return table;
}

function applies(
  a: HeaderAction,
  info: HeaderRequest,
  response: (name: string) => string | undefined,
  status: number,
): boolean {
  const chain = a.ifChain;
  // ap_if_walk runs before the access phase: an <If> sees no REMOTE_USER (case 499)
  const ifInfo = info.identity ? { ...info, identity: undefined } : info;
  if (
    chain &&
    !chain.every((t) => evalExpr(t.expr, exprEnv(ifInfo, response, status)).ok === t.holds)
  )
    return false;
  const when = a.when;
  if (!when) return true;
  if (when.type === 'env') return info.env.has(when.name) !== when.negate;
  return evalExpr(when.expr, exprEnv(info, response, status)).ok;
}

function applyAction(
  table: Entry[],
  a: HeaderAction,
  info: HeaderRequest,
  response: (name: string) => string | undefined,
  status: number,
): Entry[] {
  const value = (): string => formatValue(a, info, response, status);
  const same = ([n]: Entry): boolean => n.toLowerCase() === a.name.toLowerCase();
  switch (a.action) {
    case 'set':
      setValue(table, a.name, value());
      return table;
    case 'setifempty':
      if (!table.some(same)) table.push([a.name, value()]);
      return table;
    case 'add':
      table.push([a.name, value()]);
      return table;
    case 'append':
      mergeValue(table, a.name, value());
      return table;
    case 'merge': {
      const v = value();
      const current = table.find(same)?.[1];
      if (current === undefined || !tokens(current).includes(v)) mergeValue(table, a.name, v);
      return table;
    }
    case 'unset':
      return table.filter((e) => !same(e));
    case 'echo':
      return [...table, ...echoed(a.regex!, info.req)];
    case 'edit':
    case 'edit*': {
      if (!table.some(same)) return table;
      const edited = table.filter(same).map(([n, v]): Entry => [n, edit(a, v)]);
      return [...table.filter((e) => !same(e)), ...edited];
    }
    case 'note':
      return table;
  }
}

/** The comma-separated tokens of a value, quoted strings kept whole (merge's ap_get_token walk). */
function tokens(value: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < value.length) {
    while (i < value.length && /\s/.test(value[i]!)) i++;
    const start = i;
    while (i < value.length && value[i] !== ',') {
      if (value[i++] === '"') while (i < value.length && value[i++] !== '"');
    }
    out.push(value.slice(start, i));
    i++;
  }
  return out;
}

/** `Header echo regex`: request headers whose name matches, copied to the response. */
function echoed(regex: RegExp, req: HeaderRequestLine): Entry[] {
  const out: Entry[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    regex.lastIndex = 0;
    if (regex.test(raw[i]!)) out.push([raw[i]!, raw[i + 1]!]);
  }
  return out;
}

/** process_regexp: the first match replaced (`edit*`: then the rest of the value, anew). */
function edit(a: HeaderAction, value: string): string {
  let result = '';
  let rest = value;
  // bounded: every round consumes at least one character of the value, or ends
  for (let round = 0; round <= value.length; round++) {
    a.regex!.lastIndex = 0;
    const m = a.regex!.exec(rest);
    if (!m) return result + rest;
    result += rest.slice(0, m.index) + substitute(a.replacement ?? '', m);
    const end = m.index + m[0].length;
    if (a.action === 'edit') return result + rest.slice(end);
    // an empty match would match again at the same place: keep one character and go on
    if (m[0].length === 0) {
      result += rest.slice(end, end + 1);
      rest = rest.slice(end + 1);
    } else rest = rest.slice(end);
    if (!rest) return result;
  }
  return result + rest;
}

/** ap_pregsub: `$0`–`$9` are the groups, `\x` is x. */
function substitute(template: string, m: RegExpExecArray): string {
  return template.replace(/\$(\d)|\\(.)/g, (_all, n: string | undefined, c: string | undefined) =>
    n !== undefined ? (m[Number(n)] ?? '') : c!,
  );
}

function formatValue(
  a: HeaderAction,
  info: HeaderRequest,
  response: (name: string) => string | undefined,
  status: number,
): string {
  const f = a.format;
  if (!f) return '';
  if (!Array.isArray(f))
    return wordValue(
      (f as { expr: Parameters<typeof wordValue>[0] }).expr,
      exprEnv(info, response, status),
    );
  return (f as readonly FormatPart[]).map((p) => formatPart(p, info)).join('');
}

/** A format made of literal parts only, as one string. */
function literalText(format: readonly FormatPart[]): string {
  return format.map((p) => (p.type === 'literal' ? p.text : '')).join('');
}

function formatPart(p: FormatPart, info: HeaderRequest): string {
  if (p.type === 'literal') return p.text;
  if (p.type === 'env') {
    const v = info.env.get(p.name);
    return v === undefined ? '(null)' : v.replace(/[\r\n]/g, ' ');
  }
  // no mod_ssl variables here (Apache without mod_ssl answers the same)
  if (p.type === 'ssl') return '(null)';
  switch (p.letter) {
    case 't':
      return `t=${info.time * 1000}`;
    case 'D':
      return `D=${Math.max(0, Date.now() - info.time) * 1000}`;
    case 'l':
      return `l=${loadavg()
        .map((x) => x.toFixed(2))
        .join('/')}`;
    case 'i':
      // one process, busy answering this request
      return 'i=0';
    case 'b':
      return 'b=100';
  }
}

/** The ap_expr variables compile/headers.ts lets through (HEADER_EXPR_VARIABLES and prefixes). */
function exprEnv(
  info: HeaderRequest,
  response: (name: string) => string | undefined,
  status: number,
): ExprEnv {
  const req = info.req;
  const header = (name: string): string => {
    const v = req.headers[name.toLowerCase()];
    return Array.isArray(v) ? v.join(', ') : (v ?? '');
  };
  const variable = (name: string): string => {
    const colon = name.indexOf(':');
    if (colon > 0) {
      const fn = name.slice(0, colon).toLowerCase();
      const arg = name.slice(colon + 1);
      if (fn === 'env' || fn === 'reqenv') return info.env.get(arg) ?? '';
      if (fn === 'resp') return headersOut(info, response, arg) ?? '';
      return header(arg);
    }
    return requestVariable(name, info, header, response, status);
  };
  return { variable, header };
}

/**
 * ap_expr's `resp:` reads r->headers_out as mod_headers' filter finds it. Content-Type,
 * Content-Encoding and Content-Language are request_rec fields there (r->content_type…), Date,
 * Server, Connection and Transfer-Encoding are not written yet: ap_http_header_filter adds them
 * all after mod_headers' AP_FTYPE_CONTENT_SET filter. Content-Length is there only when the
 * handler set it (the default handler's ap_set_content_length); Apache's own pages (errors,
 * redirects, OPTIONS) get theirs from the content-length filter, later too.
 */
function headersOut(
  info: HeaderRequest,
  response: (name: string) => string | undefined,
  name: string,
): string | undefined {
  const lower = name.toLowerCase();
  if (NOT_IN_HEADERS_OUT.has(lower)) return undefined;
  if (lower === 'content-length')
    return info.handlerLength === undefined ? undefined : String(info.handlerLength);
  return response(name);
}

const NOT_IN_HEADERS_OUT: ReadonlySet<string> = new Set([
  'content-type',
  'content-encoding',
  'content-language',
  'date',
  'server',
  'connection',
  'transfer-encoding',
]);

function requestVariable(
  name: string,
  info: HeaderRequest,
  header: (name: string) => string,
  response: (name: string) => string | undefined,
  status: number,
): string {
  const req = info.req;
  if (name.startsWith('HTTP_') && name !== 'HTTPS') return header(name.slice(5).replace(/_/g, '-'));
  switch (name) {
    case 'REQUEST_URI':
    case 'DOCUMENT_URI':
      return info.uri;
    case 'REMOTE_USER':
      return info.identity?.user ?? '';
    case 'AUTH_TYPE':
      return info.identity?.authType ?? '';
    case 'REQUEST_FILENAME':
    case 'SCRIPT_FILENAME':
      return info.filename ?? '';
    case 'QUERY_STRING':
      return info.args ?? '';
    case 'REQUEST_METHOD':
      return req.method ?? 'GET';
    case 'REQUEST_SCHEME':
      return info.secure ? 'https' : 'http';
    case 'HTTPS':
      return info.secure ? 'on' : 'off';
    case 'CONTENT_TYPE':
      return response('Content-Type') ?? '';
    case 'REMOTE_ADDR':
      return info.remoteAddr;
    case 'SERVER_NAME':
      // ap_get_server_name: under UseCanonicalName Off the Host's name, not ServerName; the
      // request's facts answer it as mod_rewrite does (requestHost), the early hooks have none
      if (info.facts) return exprEnvironment(info.facts, new Map(), []).variable(name);
      return info.serverName ?? header('host').replace(/:\d+$/, '');
    case 'DOCUMENT_ROOT':
      return info.documentRoot;
    case 'THE_REQUEST':
      return `${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/${req.httpVersion}`;
    case 'REQUEST_STATUS':
      return String(status);
    case 'IS_SUBREQ':
      return 'false'; // a response is never a sub-request's
    default:
      // the variables ap_expr shares with mod_rewrite's lookup_variable (compile/headers.ts)
      return info.facts ? exprEnvironment(info.facts, new Map(), []).variable(name) : '';
  }
}

/**
 * `RequestHeader ... early` of the server config: post_read_request, before any rule reads the
 * request's headers.
 */
export function earlyRequestHeaders(
  site: SiteConfig,
  req: IncomingMessage,
  view: Pick<RequestView, 'secure' | 'remoteAddr'>,
): void {
  const actions = site.serverRules?.headers?.filter((a) => a.early && a.table === 'request');
  if (!actions?.length) return;
  const q = req.url ?? '/';
  const at = q.indexOf('?');
  const info: HeaderRequest = {
    req,
    env: new Map(),
    uri: at < 0 ? q : q.slice(0, at),
    args: at < 0 ? null : q.slice(at + 1),
    documentRoot: site.root,
    serverName: site.server.serverName,
    secure: view.secure,
    remoteAddr: view.remoteAddr,
    time: Date.now(),
  };
  const request = actions.map((a) => ({ ...a, early: false }));
  applyRequestHeaders({ actions: request, always: [], onsuccess: [], request }, info);
}

/**
 * A per-directory pass ended in an internal redirect: its fixups (RequestHeader) ran on the
 * request's headers before the redirect, so the passes after it see them (recorded, case 153).
 * `view.headers` is the request's own header object (site/htaccess build the view on it).
 */
export function requestHeadersBeforeRedirect(
  site: SiteConfig,
  view: RequestView,
  acc: Collected,
  uri: string,
  args: string | null,
): void {
  const scope = headerScope(site, acc);
  if (!scope) return;
  const req: HeaderRequestLine = {
    headers: view.headers as IncomingMessage['headers'],
    method: view.method,
    url: view.target,
    httpVersion: view.protocol.replace(/^HTTP\//, ''),
    rawHeaders: [],
  };
  applyRequestHeaders(scope, {
    req,
    env: acc.env,
    uri,
    args,
    filename: acc.scope?.filename,
    documentRoot: site.root,
    serverName: site.server.serverName,
    secure: view.secure,
    remoteAddr: view.remoteAddr,
    time: Date.now(),
  });
}

/**
 * Everything mod_headers and mod_expires do for one answered request: the response hook, and
 * (for a file, a handler, the app or the proxy: the fixups ran) RequestHeader's edits. An
 * ErrorDocument's own request is answered through its own output filters only (ap_internal_redirect
 * drops the first request's resource filters): the first request's hook goes, even when the
 * ErrorDocument's configuration has no `Header` line (recorded, case 332).
 */
export function startHeaders(
  site: SiteConfig,
  req: IncomingMessage,
  res: ServerResponse,
  r: SiteResult,
  view: RequestView,
): void {
  if (r.acc.errorStatus !== undefined) dropResponseHeaders(res);
  const scope = headerScope(site, r.acc);
  if (!scope) return;
  const info = headerRequest(site, req, r, view);
  onResponseHeaders(res, scope, info);
  if (r.type === 'file' || r.type === 'proxy') applyRequestHeaders(scope, info);
}

/**
 * An ErrorDocument's request failed: Apache's page for the first status goes out through the first
 * request (ap_die_r: ap_send_error_response(r_1st_err) runs insert_error_filter for it), so its
 * configuration's `Header always` lines apply, not the ErrorDocument request's (case 332).
 */
export function firstRequestHeaders(
  site: SiteConfig,
  req: IncomingMessage,
  res: ServerResponse,
  first: SiteResult,
  view: RequestView,
): void {
  dropResponseHeaders(res);
  const scope = headerScope(site, first.acc);
  if (scope) onResponseHeaders(res, scope, headerRequest(site, req, first, view));
}

/** The response hook set for an earlier request of this response, undone (none: nothing to do). */
function dropResponseHeaders(res: ServerResponse): void {
  const hooked = res as Hooked;
  const earlier = hooked[PENDING];
  if (!earlier) return;
  res.writeHead = earlier.writeHead as typeof res.writeHead;
  hooked[PENDING] = undefined;
}

/** What the values and conditions of `r`'s Header lines read. */
function headerRequest(
  site: SiteConfig,
  req: IncomingMessage,
  r: SiteResult,
  view: RequestView,
): HeaderRequest {
  const file = r.type === 'file' ? r : undefined;
  // a status page's r->filename is the result's own (the rules may have rewritten it: case 504)
  const filename = (r.type === 'status' ? r.filename : undefined) ?? r.acc.scope?.filename;
  const pathInfo = file?.pathInfo ?? (r.type === 'status' ? r.pathInfo : undefined) ?? '';
  const facts = {
    view,
    server: site.server,
    uri: r.uri,
    args: r.args,
    filename: filename ?? '',
    pathInfo,
  };
  return {
    facts,
    req,
    env: r.acc.env,
    uri: r.uri,
    args: r.args,
    filename,
    documentRoot: site.root,
    serverName: site.server.serverName,
    secure: view.secure,
    remoteAddr: view.remoteAddr,
    time: Date.now(),
    mtime: file?.stat?.isFile() ? file.stat.mtimeMs : undefined,
    // (OPTIONS is ap_send_http_options' answer, before the default handler sets it)
    handlerLength: file?.stat?.isFile() && req.method !== 'OPTIONS' ? file.stat.size : undefined,
    identity: r.acc.identity,
  };
}
