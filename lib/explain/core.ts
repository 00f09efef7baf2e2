/**
 * `explainRules()` / `explainSync()`: what the engine decides for one request, and why, as data.
 * The same evaluation as rewrite() (evaluateServer / evaluateDirectory), with the structured trace
 * hook collecting every event; no server, no network, and files from an injected FsView (a
 * virtual tree by default), so this module and what it imports run in a browser too.
 */
import type { SourcePosition, RewriteWarning } from '../errors.js';
import { RewriteError } from '../errors.js';
import { bytesToUtf8, utf8ToBytes } from '../common/bytes.js';
import type { UserMapFunction, RewriteMapSource } from '../common/maps.js';
import { compileText, type CompileOptions } from '../compile/compile.js';
import { chooseContext, withImpliedEngine } from '../compile/entry.js';
import type { RuleSet } from '../compile/ruleset.js';
import {
  chooseVirtualHost,
  hostOfRequest,
  type CompiledVirtualHost,
} from '../compile/virtual-host.js';
import { compileTyped, type TypedRule } from '../compile/typed.js';
import type { EvaluateInput } from '../engine/context.js';
import { evaluateDirectory, evaluateServer } from '../engine/evaluate.js';
import type { Evaluation, Outcome } from '../engine/outcome.js';
import { parseTarget, type RequestView, type ServerInfo } from '../engine/request.js';
import type { FsView } from '../engine/state.js';
import {
  describeOutcome,
  flagNames,
  renderTraceEvent,
  type StopReason,
  type TraceEvent,
} from '../engine/trace.js';
import { virtualFs, type VirtualFiles } from './virtual-fs.js';

// one import point for the browser playground
export { describeOutcome, formatPos, renderTraceEvent } from '../engine/trace.js';
export type { StopReason, TraceEvent } from '../engine/trace.js';
export { virtualFs } from './virtual-fs.js';
export type { VirtualFiles } from './virtual-fs.js';

/** The rules to explain, with the context they are read in. */
export interface ExplainSource {
  /** Apache rule text (a server config or an .htaccess), or typed rule objects. */
  readonly rules: string | readonly TypedRule[];
  /** @default 'directory' when `file` is named `.htaccess`, else 'server' */
  readonly context?: 'server' | 'directory';
  /** Directory context: the URL-path of the directory the rules belong to. @default '/' */
  readonly directory?: string;
  /** The file name shown in positions (`file:line:col`). @default 'rules' */
  readonly file?: string;
  /** DocumentRoot (a filesystem path; virtual unless `fs` is given). @default '/var/www/html' */
  readonly documentRoot?: string;
  /** ServerName (redirects use the request's Host first, like Apache). @default 'localhost' */
  readonly serverName?: string;
  /** User maps for `${name:key}`, as in rewrite(). */
  readonly maps?: Readonly<Record<string, UserMapFunction | RewriteMapSource>>;
  /** Folder relative `txt:`/`rnd:`/`prg:` map paths resolve against. @default the file's folder */
  readonly mapRoot?: string;
  /** The file system `-f`/`-d`/`-s` and the directory walk ask (default: the request's `files`). */
  readonly fs?: FsView;
}

/** The request to explain. */
export interface ExplainRequest {
  /**
   * A request-target (`/path?query`), or an absolute `http(s)://host/path` (its host is the Host,
   * as in Apache; `https:` sets HTTPS).
   */
  readonly url: string;
  /** @default 'GET' */
  readonly method?: string;
  /**
   * Request headers (any case). Host: an absolute URL's host, else this header, else `serverName`.
   */
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  /** @default '127.0.0.1' */
  readonly remoteAddr?: string;
  /** HTTPS on (also set by an `https://` URL). @default false */
  readonly secure?: boolean;
  /** Files and directories below the document root (see `VirtualFiles`) for `-f`/`-d`/`-s`. */
  readonly files?: VirtualFiles;
}

/** Why the last pass stopped, and the rule that stopped it. */
export interface ExplainStop {
  readonly reason: StopReason;
  readonly pos?: SourcePosition;
}

/** One RewriteRule of the rule set, tried or not (for an editor that marks the lines). */
export interface ExplainRule {
  readonly pos: SourcePosition;
  readonly pattern: string;
  /** The substitution as stored (`-` for none). */
  readonly substitution: string;
  readonly flags: readonly string[];
  /** The positions of its RewriteConds, in order. */
  readonly conditions: readonly SourcePosition[];
}

/** What happens to the request, and the step-by-step trace of why. */
export interface ExplainResult {
  /** The engine's outcome: pass, rewrite, file, redirect, status, proxy. */
  readonly outcome: Outcome;
  /** The outcome in words (`redirect 301 to http://…`). */
  readonly summary: string;
  /** At least one rule matched (its pattern and conditions held). */
  readonly matched: boolean;
  /** Positions of the rules that matched, in order (a rule may appear once per round). */
  readonly matchedRules: readonly SourcePosition[];
  /** Why processing stopped (the last pass's stop), if a pass ran. */
  readonly stop?: ExplainStop;
  readonly context: 'server' | 'directory';
  /** The environment after E= flags (UTF-8), REDIRECT_* after internal redirects. */
  readonly env: Readonly<Record<string, string>>;
  /** Response headers the rules add: `Set-Cookie` (CO=) and `Vary` (conditions on headers). */
  readonly headers: readonly (readonly [string, string])[];
  /** T= and H= (lower-cased), when set. */
  readonly contentType?: string;
  readonly handler?: string;
  /** [END] was used. */
  readonly end: boolean;
  /** Internal redirects (per-directory rounds after the first). */
  readonly internalRedirects: number;
  /**
   * A redirect rule's status that a later local rewrite kept: the local answer goes out with it
   * and no Location, as Apache sends it (cases 333, 404).
   */
  readonly status?: number;
  /** Every event, in order. */
  readonly trace: readonly TraceEvent[];
  /** The trace as text lines (what `trace: true` prints). */
  readonly lines: readonly string[];
  /** Load warnings of the rules. */
  readonly warnings: readonly RewriteWarning[];
  /** Every rule of the rule set, in order (per-directory: the merged set that ran). */
  readonly rules: readonly ExplainRule[];
}

export const DEFAULT_DOCUMENT_ROOT = '/var/www/html';

/** The rules compiled the way rewrite() reads them (RewriteEngine implied unless written Off). */
export function compileSource(source: ExplainSource): RuleSet {
  const context = chooseContext(source.context, source.file).context;
  // a real .htaccess holds more than mod_rewrite (Header, ErrorDocument, Require…): they load
  // (so positions and problems are right) but only mod_rewrite is explained
  const options: CompileOptions = {
    context,
    file: source.file,
    maps: source.maps,
    mapRoot: source.mapRoot,
    siteDirectives: true,
    accessControl: true,
  };
  if (typeof source.rules === 'string')
    return withImpliedEngine(compileText(source.rules, options));
  return withImpliedEngine(compileTyped(source.rules, options));
}

/** Rule text or typed rules alone: server context, as rewrite() reads them. */
export function asSource(rules: string | readonly TypedRule[] | ExplainSource): ExplainSource {
  if (typeof rules === 'string' || Array.isArray(rules))
    return { rules: rules as string | readonly TypedRule[] };
  return rules as ExplainSource;
}

/**
 * Explains one request (a Promise: an asynchronous map may answer). Browser-safe.
 * @example
 * const r = await explainRules('RewriteRule ^/old/(.*)$ /new/$1 [R=301,L]', { url: '/old/x' });
 * r.outcome; // { type: 'redirect', status: 301, location: 'http://localhost/new/x' }
 * r.lines;   // ["server-context pass for uri '/old/x'", "rules:1:1: applying pattern …", …]
 */
export async function explainRules(
  rules: string | readonly TypedRule[] | ExplainSource,
  request: ExplainRequest | string,
): Promise<ExplainResult> {
  return run(asSource(rules), asRequest(request));
}

/**
 * explainRules, synchronously (for a page that explains as the user types); throws ERR_OPTIONS
 * when an asynchronous map would have to answer. Browser-safe.
 * @example
 * const r = explainSync({ rules: 'RewriteRule ^a$ b [L]', context: 'directory' }, '/a');
 * r.summary; // 'rewritten to /b'
 */
export function explainSync(
  rules: string | readonly TypedRule[] | ExplainSource,
  request: ExplainRequest | string,
): ExplainResult {
  const result = run(asSource(rules), asRequest(request));
  if (result instanceof Promise) {
    result.catch(() => undefined);
    throw new RewriteError(
      'ERR_OPTIONS',
      'explainSync(): a map answered asynchronously; use explainRules() or explain()',
    );
  }
  return result;
}

export function asRequest(request: ExplainRequest | string): ExplainRequest {
  return typeof request === 'string' ? { url: request } : request;
}

/** Compiles, evaluates with the trace on, and assembles the result. */
export function run(
  source: ExplainSource,
  request: ExplainRequest,
  compiled?: RuleSet,
): ExplainResult | Promise<ExplainResult> {
  const target = splitUrl(request.url);
  const whole = compiled ?? compileSource(source);
  // a config with <VirtualHost> sections: the vhost this request would reach (as site() picks it)
  const vhost = explainedVirtualHost(whole, source, request, target);
  const ruleSet = vhost?.ruleSet ?? whole;
  const context = chooseContext(source.context, source.file).context;
  const documentRoot =
    vhost?.ruleSet.server?.documentRoot ?? source.documentRoot ?? DEFAULT_DOCUMENT_ROOT;
  // the main server, as rewrite() is: ServerName without a port (reduce_uri: case 349)
  const server: ServerInfo = { documentRoot, serverName: source.serverName ?? 'localhost' };
  const view = requestView(request, target, server.serverName!);
  const events: TraceEvent[] = [];
  const parsed = parseTarget(view.target);
  if (parsed.type === 'refused') {
    const outcome: Outcome = { type: 'status', status: parsed.status, cause: 'bad-request' };
    events.push({ type: 'outcome', outcome });
    return assemble(ruleSet, context, untouched(outcome), events);
  }
  const input: EvaluateInput = {
    view,
    server,
    uri: parsed.uri,
    args: parsed.args,
    fs: source.fs ?? virtualFs(documentRoot, request.files),
    traceEvents: (e) => events.push(e),
    directory: source.directory ?? '/',
  };
  const evaluation =
    context === 'server' ? evaluateServer(ruleSet, input) : evaluateDirectory(ruleSet, input);
  if (!(evaluation instanceof Promise)) return assemble(ruleSet, context, evaluation, events);
  // the driver re-ran the pass after the map answered: keep the events of the last attempt only
  return evaluation.then((done) =>
    assemble(ruleSet, context, done, events.slice(lastAttempt(events))),
  );
}

/**
 * The `<VirtualHost>` of `ruleSet` a request reaches on port 80 (443 when secure); undefined: none.
 */
function explainedVirtualHost(
  ruleSet: RuleSet,
  source: ExplainSource,
  request: ExplainRequest,
  target: Target,
): CompiledVirtualHost | undefined {
  if (!ruleSet.virtualHosts?.length) return undefined;
  const serverName = source.serverName ?? 'localhost';
  const header = Object.entries(request.headers ?? {}).find(([k]) => k.toLowerCase() === 'host');
  const given = typeof header?.[1] === 'string' ? header[1] : header?.[1]?.[0];
  const host = hostOfRequest(request.url, target.host ?? given ?? serverName);
  const port = target.secure || request.secure ? 443 : 80;
  return chooseVirtualHost(ruleSet.virtualHosts, { port, host }, serverName);
}

/** Where the last attempt of an evaluation began (its first non-redirected pass). */
function lastAttempt(events: readonly TraceEvent[]): number {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.type === 'pass' && !e.redirected) return i;
  }
  return 0;
}

function untouched(outcome: Outcome): Evaluation {
  return {
    outcome,
    effects: { vary: [], cookies: [], env: new Map(), end: false, internalRedirects: 0 },
  };
}

interface Target {
  readonly target: string;
  readonly host?: string;
  readonly secure: boolean;
}

/**
 * The request-target as written (`/path?q`, or the absolute form `http://host/path`) and, from an
 * absolute URL, HTTPS and the host: Apache's ap_read_request puts the target's host, lower-cased,
 * in place of the Host header (conformance case 147; http/request-view.ts does the same).
 */
function splitUrl(url: string): Target {
  const m = /^(https?):\/\/([^/?#]*)/i.exec(url);
  if (!m) return { target: url, secure: false };
  const authority = m[2]!.slice(m[2]!.lastIndexOf('@') + 1).toLowerCase();
  return {
    target: url,
    ...(authority ? { host: authority } : {}),
    secure: m[1]!.toLowerCase() === 'https',
  };
}

function requestView(request: ExplainRequest, target: Target, serverName: string): RequestView {
  const headers: Record<string, string | string[]> = Object.create(null);
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    const key = name.toLowerCase();
    headers[key] = typeof value === 'string' ? utf8ToBytes(value) : value.map(utf8ToBytes);
  }
  if (target.host) headers.host = target.host;
  headers.host ??= serverName;
  const secure = target.secure || !!request.secure;
  const remote = request.remoteAddr ?? '127.0.0.1';
  return {
    method: (request.method ?? 'GET').toUpperCase(),
    target: utf8ToBytes(target.target),
    protocol: 'HTTP/1.1',
    headers,
    remoteAddr: remote,
    remotePort: 50000,
    connRemoteAddr: remote,
    localAddr: '127.0.0.1',
    localPort: secure ? 443 : 80,
    secure,
  };
}

/** Matched rules: a rule event that matched, unless its conditions then failed. */
function matchedRules(events: readonly TraceEvent[]): SourcePosition[] {
  const out: SourcePosition[] = [];
  for (const e of events) {
    if (e.type === 'rule' && e.matched) out.push(e.pos);
    else if (e.type === 'conditions-failed') out.pop();
  }
  return out;
}

function lastStop(events: readonly TraceEvent[]): ExplainStop | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.type === 'stop') return e.pos ? { reason: e.reason, pos: e.pos } : { reason: e.reason };
  }
  return undefined;
}

function assemble(
  ruleSet: RuleSet,
  context: 'server' | 'directory',
  evaluation: Evaluation,
  events: readonly TraceEvent[],
): ExplainResult {
  const { outcome, effects } = evaluation;
  // fromEntries defines own properties: a variable named `__proto__` stays a plain key
  const env = Object.fromEntries([...effects.env].map(([k, v]) => [k, bytesToUtf8(v)]));
  const headers: [string, string][] = effects.cookies.map((c) => ['Set-Cookie', c]);
  if (effects.vary.length) headers.push(['Vary', [...new Set(effects.vary)].join(',')]);
  const matched = matchedRules(events);
  const stop = lastStop(events);
  return {
    outcome,
    summary: describeOutcome(outcome),
    matched: matched.length > 0,
    matchedRules: matched,
    ...(stop ? { stop } : {}),
    context,
    env,
    headers,
    ...(effects.contentType ? { contentType: effects.contentType } : {}),
    ...(effects.handler ? { handler: effects.handler } : {}),
    end: effects.end,
    internalRedirects: effects.internalRedirects,
    ...(effects.status !== undefined ? { status: effects.status } : {}),
    trace: events,
    lines: events.map(renderTraceEvent),
    warnings: ruleSet.warnings ?? [],
    rules: ruleSet.rules.map((r) => ({
      pos: r.pos,
      pattern: r.pattern,
      substitution: r.output ? r.outputText : '-',
      flags: flagNames(r.flags),
      conditions: r.conds.map((c) => c.pos),
    })),
  };
}
