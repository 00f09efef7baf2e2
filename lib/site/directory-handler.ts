/**
 * What answers a directory that mod_dir found no index file for (the handler phase for
 * `httpd/unix-directory`): with `Options Indexes` mod_autoindex's listing (GET/HEAD), without it
 * 403 (Debian's Apache loads mod_autoindex, which refuses: AH01276); OPTIONS and other methods as
 * core's default handler (site/methods.ts). When no `Options` line says anything about Indexes,
 * site() keeps its own behaviour (the request falls through, or 404).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { DEBIAN_AUTOINDEX, mergeAutoindex, type AutoindexConfig } from '../compile/autoindex.js';
import { fsPath } from '../common/bytes.js';
import { escapeUri } from '../common/escape.js';
import { subView } from '../engine/context.js';
import { evaluateDirectoryPass } from '../engine/evaluate.js';
import { nodeFs } from '../engine/node-fs.js';
import type { RequestView } from '../engine/request.js';
import {
  addCookies,
  appendVary,
  restoreWriteHead,
  sendStatus,
  signatureOf,
} from '../http/respond.js';
import type { CompiledWhen } from '../compile/env.js';
import { accessCheck } from './access.js';
import { passwordCheck } from './password.js';
import { aliasRedirect } from './alias.js';
import { chainHolds, exprEnvironment } from './env.js';
import type { Included } from './autoindex-page.js';
import { renderListing } from './autoindex.js';
import { deflateAccepted, gzipBytes } from './deflate.js';
import { answerOtherMethod } from './methods.js';
import { deflatesType } from './mime.js';
import { underRoot } from './paths.js';
import { htFileDenied } from './phases.js';
import type { DirectoryConfig } from './htaccess-store.js';
import {
  fileSettingsFor,
  indexErrorStatus,
  resolveRequest,
  walkOf,
  type SiteConfig,
} from './pipeline.js';
import { sameWalk } from './walk-identity.js';
import { addedEncoding, withDefaultCharset } from './static-file.js';
import { fileHeaders } from './mime.js';

export interface DirectoryRequest {
  readonly config: SiteConfig;
  /** The directory (byte string) and the request's URL-path and query as the pipeline left them. */
  readonly filename: string;
  readonly uri: string;
  readonly args: string | null;
  /** The mount path the client's URL has in front of `uri` (Express's baseUrl), or ''. */
  readonly mountPath: string;
  readonly fallthrough: boolean;
  readonly view: () => RequestView;
  readonly env: ReadonlyMap<string, string>;
  /**
   * The request headers the directory's own rules and `<If>`s read (Vary), before mod_deflate's.
   */
  readonly vary?: readonly string[];
  /** The [CO] cookies the request has set (an entry's sub-request sets no name again). */
  readonly cookies?: readonly string[];
  /** The method the handler sees: an ErrorDocument's request is a GET (ap_die_r). @default req's */
  readonly method?: string;
  /**
   * r->status when the handler runs: an ErrorDocument's status, a redirect rule's kept one (case
   * 334). @default 200
   */
  readonly status?: number;
  /**
   * mod_autoindex's 403 (Options -Indexes, an unreadable directory) through ap_die: the
   * ErrorDocument for it (real-world Apaxy's `ErrorDocument 403` on its `-Indexes` theme folder).
   * @default Apache's own page
   */
  readonly fail?: (status: number) => void;
}

/** The Content-Type the default handler gives `filename` (a forced type, AddType, mime.types). */
export function fileContentType(
  config: SiteConfig,
  filename: string,
  forced: string | undefined,
): string | undefined {
  const s = fileSettingsFor(config, filename);
  // mod_mime's find_ct with core's ForceType, whether the file exists or not (type_checker runs on
  // the mapped name: OPTIONS on a missing a.htm is text/html)
  return withDefaultCharset(forced ?? fileHeaders(filename, s).type, s.defaultCharset);
}

/** `Options` says Indexes on (true) or off (false) for the directory; undefined: never said. */
function indexesFor(config: SiteConfig, dir: string, uri?: string): boolean | undefined {
  const rs =
    config.store && underRoot(dir, config.root)
      ? config.store.configForPath(dir, true, uri).ruleSet
      : undefined;
  return rs?.indexes ?? config.serverRules?.indexes;
}

/** DEBIAN_AUTOINDEX, then the server's directives, then the .htaccess files'. */
function autoindexFor(config: SiteConfig, dir: string): AutoindexConfig {
  const rs =
    config.store && underRoot(dir, config.root)
      ? config.store.configForPath(dir, true).ruleSet
      : undefined;
  const server = mergeAutoindex(DEBIAN_AUTOINDEX, config.serverRules?.autoindex)!;
  return mergeAutoindex(server, rs?.autoindex)!;
}

/**
 * Answers a request mapped to a directory without an index file; false when site()'s own
 * behaviour applies (fall through or 404).
 */
/**
 * Whether mod_autoindex (and its Options -Indexes 403) answers a directory under `handler` (the
 * SetHandler/AddHandler name, undefined: none). Its handler runs only for the directory type
 * `httpd/unix-directory` (modules/generators/mod_autoindex.c handle_autoindex); under any other
 * name (Backdrop's `SetHandler Drupal_Security_Do_Not_Remove_...`, even `default-handler`) core's
 * default handler answers it: 404 "Attempt to serve directory" for GET and POST (recorded, 240).
 */
/**
 * A directory's type: mod_mime's type_checker gives it httpd/unix-directory, and core's ForceType
 * (a fixup) types the directory too: OPTIONS sends it (recorded, case 301).
 */
export function directoryContentType(config: SiteConfig, filename: string): string {
  const inside = filename.replace(/\/?$/, '/.');
  return fileSettingsFor(config, inside).mime?.forceType || 'httpd/unix-directory';
}

export function listsDirectories(handler: string | undefined): boolean {
  return handler === undefined || handler === 'httpd/unix-directory';
}

export function answerDirectory(
  req: IncomingMessage,
  res: ServerResponse,
  d: DirectoryRequest,
): boolean {
  const method = d.method ?? req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    // POST: the default handler's 404 for a directory; the others as core answers them
    if (method === 'POST' || d.fallthrough) return false;
    answerOtherMethod(req, res, {
      contentType: directoryContentType(d.config, d.filename),
      trace: d.config.traceEnable !== false,
      vary: d.vary,
      status: d.status,
    });
    return true;
  }
  const indexes = indexesFor(d.config, d.filename, d.uri);
  if (indexes === undefined) return false;
  if (!indexes) {
    failWith(req, res, d, 403);
    return true;
  }
  void listing(req, res, d, method === 'HEAD').catch((err: unknown) => {
    if (!res.headersSent) sendStatus(req, res, 500);
    else res.destroy(err as Error);
  });
  return true;
}

async function listing(
  req: IncomingMessage,
  res: ServerResponse,
  d: DirectoryRequest,
  headOnly: boolean,
): Promise<void> {
  const dirUri = d.uri.slice(0, d.uri.lastIndexOf('/') + 1);
  const cookies = [...(d.cookies ?? [])];
  const result = await renderListing({
    dir: d.filename,
    uri: d.mountPath + d.uri,
    args: d.args,
    config: autoindexFor(d.config, d.filename),
    headOnly,
    lookup: (filename, isDirectory) => lookupEntry(d, filename, isDirectory, cookies),
    typeOf: (filename, forced) => {
      const s = fileSettingsFor(d.config, filename);
      // each entry is a sub-request (ap_sub_req_lookup_dirent): mod_mime's type, ForceType included
      const type = forced ?? fileHeaders(filename, s).type;
      return {
        type: type?.split(';', 1)[0]?.trim(),
        encoding: addedEncoding(filename, s.addEncodings),
      };
    },
    // ap_sub_req_lookup_uri: a name starting with `/` is a URL-path of its own (Apaxy's theme/)
    include: (name) => include(d, name.startsWith('/') ? name : dirUri + name),
    signature: signatureOf(res),
  });
  if (!result) {
    failWith(req, res, d, 403);
    return;
  }
  addCookies(res, cookies.slice(d.cookies?.length ?? 0));
  const body = Buffer.from(result.body, 'latin1');
  const status = d.status ?? 200;
  res.statusCode = status;
  // mod_autoindex's handler sets text/html itself, over a [T] type of the fixups (case 422)
  restoreWriteHead(res);
  res.setHeader('Content-Type', result.contentType);
  // Debian's mod_deflate (AddOutputFilterByType DEFLATE text/html) marks a listing, streamed in
  // several brigades, as negotiated even when it does not compress it (real-world corpus), unless
  // the directory's own lines leave text/html out (case 381) or no-gzip is set (case 384); not
  // with another status: mod_filter's filter_harness drops itself then (case 334)
  appendVary(res, d.vary ?? []);
  const deflates = !headOnly && status === 200 && !d.env.has('no-gzip') && listingDeflates(d);
  if (deflates) appendVary(res, ['Accept-Encoding']);
  // ...and compresses it for a client that accepts gzip (case 384), unless an HTML HeaderName
  // ran first: emit_head takes Accept-Encoding away while that sub-request's output reaches
  // mod_deflate, which then steps aside (real-world Apaxy)
  const gzip =
    deflates && !result.htmlHeader && deflateAccepted(req.headers['accept-encoding'], d.env);
  if (gzip) res.setHeader('Content-Encoding', 'gzip');
  const out = gzip ? gzipBytes(body) : body;
  if (!headOnly) res.setHeader('Content-Length', out.length);
  res.end(headOnly ? undefined : out);
}

/** An error status of mod_autoindex: the caller's ErrorDocument handling, else Apache's page. */
function failWith(
  req: IncomingMessage,
  res: ServerResponse,
  d: DirectoryRequest,
  status: number,
): void {
  if (d.fail) d.fail(status);
  else sendStatus(req, res, status);
}

/** Whether mod_deflate takes on the directory's listing, a text/html response (case 381). */
function listingDeflates(d: DirectoryRequest): boolean {
  const inside = d.filename.replace(/\/?$/, '/.');
  return deflatesType('text/html', fileSettingsFor(d.config, inside).mime);
}

/** A sub-request that passed the access phase: its configuration and facts (none: no store). */
interface Admitted {
  readonly cfg?: DirectoryConfig;
  readonly view: RequestView;
  readonly uri: string;
}

/**
 * The sub-request for `filename` at `uri` passes the access phase: a subdirectory's own
 * .htaccess counts (its `Require all denied` hides it), a broken one hides it too (500), and a
 * <Location> that denies the URL-path. The client's credentials are checked as for the request
 * itself: a bcrypt hash on the worker thread (site/password.ts), never on the event loop, where
 * a listing with bogus credentials cost one synchronous check per protected entry.
 */
async function admitted(
  d: DirectoryRequest,
  filename: string,
  isDirectory: boolean,
  uri: string,
): Promise<Admitted | undefined> {
  if (htFileDenied(filename)) return undefined;
  // each entry is a GET sub-request (ap_sub_req_lookup_dirent, no query): its <If> sections are
  // evaluated for it, rather than hiding every entry below an access <If>
  const view = { ...subView(d.view()), isSubreq: true };
  const store = d.config.store;
  if (!store || !underRoot(filename, d.config.root)) return { view, uri };
  const cfg = store.configForPath(filename, isDirectory, uri);
  if (cfg.failure) return undefined;
  // an entry that walks to the listing's configuration is not checked again (walk-identity.ts)
  const parent = walkOf(d.config, d.filename, d.uri);
  const own = { config: cfg, fileName: isDirectory ? '' : lastSegment(filename) };
  if (parent && sameWalk(d.config.serverRules, parent, own)) return { cfg, view, uri };
  const facts = { view, server: d.config.server, uri, args: null, filename, pathInfo: '' };
  const holds = (when: CompiledWhen): boolean =>
    chainHolds(when, () => exprEnvironment(facts, new Map(d.env), []));
  const request = { uri, args: null, passwordCheck };
  const access = await accessCheck(cfg.access, filename, d.env, view, request, holds);
  if (access.type !== 'granted') return undefined;
  return { cfg, view, uri };
}

/** The last segment of a filename (a directory's with or without its slash). */
function lastSegment(filename: string): string {
  const bare = filename.replace(/\/$/, '');
  return bare.slice(bare.lastIndexOf('/') + 1);
}

/**
 * What an entry's sub-request leaves for its line: the type a [T=] forced, and r->filename when
 * a rule rewrote it (`redirect:` and the URL-path, hook_fixup's internal redirect).
 */
interface EntryFound {
  readonly forcedType?: string;
  readonly filename?: string;
  /** A rule's redirect answered the sub-request: the fixups after mod_rewrite's did not run. */
  readonly redirect?: boolean;
}

/**
 * The entry's sub-request (ap_sub_req_lookup_dirent): undefined when it is not listed, else what
 * it found. Its URL-path is below the parent of r->uri (ap_make_dirstr_parent: `/sub` listed with
 * DirectorySlash Off looks up `/doc.pdf`).
 */
async function lookupEntry(
  d: DirectoryRequest,
  filename: string,
  isDirectory: boolean,
  cookies: string[],
): Promise<EntryFound | undefined> {
  const uri =
    d.uri.slice(0, d.uri.lastIndexOf('/') + 1) + lastSegment(filename) + (isDirectory ? '/' : '');
  const entry = await admitted(d, filename, isDirectory, uri);
  if (!entry) return undefined;
  // a directory's sub-request names it with its slash (the per-directory rules match `deep/`)
  const named = isDirectory ? `${filename.replace(/\/$/, '')}/` : filename;
  const found = entry.cfg
    ? await entryRules(d, entry.cfg, { ...entry, filename: named }, cookies)
    : {};
  // mod_dir's fixup runs next for a directory the rules left alone: its DirectoryIndex
  // sub-requests' error hides the entry (case 493)
  if (!found || !isDirectory || found.filename !== undefined || found.redirect) return found;
  return (await indexErrorStatus(d.config, entry.view, named, uri)) ? undefined : found;
}

/**
 * mod_rewrite's hook_fixup runs for the entry's sub-request too: make_autoindex_entry drops an
 * entry whose sub-request failed (an [F] or [G] there hides it; a redirect keeps it), its [T=]
 * types the entry (the icon), its [CO] reaches the listing's response (add_cookie writes the main
 * request's headers). Recorded, case 323.
 */
async function entryRules(
  d: DirectoryRequest,
  cfg: DirectoryConfig,
  sub: { view: RequestView; uri: string; filename: string },
  cookies: string[],
): Promise<EntryFound | undefined> {
  const rs = cfg.ruleSet;
  if (!rs || rs.engine !== true) return aliasHides(d, cfg, sub, null) ? undefined : {};
  const { result, evaluation } = await evaluateDirectoryPass(rs, {
    view: sub.view,
    server: d.config.server,
    uri: sub.uri,
    args: null,
    fs: nodeFs,
    env: d.env,
    filename: sub.filename,
    pathInfo: '',
    redirected: false,
    rewriteDir: cfg.rewriteDir,
  });
  for (const c of evaluation.effects.cookies) if (!hasCookieNamed(cookies, c)) cookies.push(c);
  const failed =
    result.type !== 'internal' && result.outcome.type === 'status' && result.outcome.status >= 400;
  if (failed) return undefined;
  const forcedType = evaluation.effects.contentType;
  // a redirect rule's status ends the fixups before mod_alias's (ap_run_fixups)
  if (result.type !== 'internal' && result.outcome.type === 'redirect')
    return { forcedType, redirect: true };
  const args = result.type === 'internal' ? result.args : null;
  if (aliasHides(d, cfg, sub, args)) return undefined;
  if (result.type !== 'internal') return { forcedType };
  // the query went to r->args: AddIcon's name patterns see `redirect:/index.php` (case 346)
  const { url } = result;
  const path = args === null ? url : url.slice(0, url.length - args.length - 1);
  return { forcedType, filename: `redirect:${path}` };
}

/**
 * mod_alias's fixup_redir runs after mod_rewrite's for the entry's sub-request, on its r->uri: a
 * `.htaccess` Redirect answering 4xx (`gone`, `RedirectMatch 403`) hides the entry, a redirect
 * keeps it (make_autoindex_entry lists ap_is_HTTP_REDIRECT). Seeds 107579, 107857; case 431.
 */
function aliasHides(
  d: DirectoryRequest,
  cfg: DirectoryConfig,
  sub: { view: RequestView; uri: string; filename: string },
  args: string | null,
): boolean {
  const alias = cfg.ruleSet?.alias;
  if (!alias) return false;
  const { view, uri, filename } = sub;
  const facts = { view, server: d.config.server, uri, args, filename, pathInfo: '' };
  const holds = (when: CompiledWhen): boolean =>
    chainHolds(when, () => exprEnvironment(facts, new Map(d.env), []));
  const answer = aliasRedirect(alias, uri, args, view, d.config.server, holds);
  return answer?.type === 'status' && answer.status >= 400;
}

/** Whether `cookies` already set the name `cookie` sets ([CO] sets a name once per request). */
function hasCookieNamed(cookies: readonly string[], cookie: string): boolean {
  const prefix = cookie.slice(0, cookie.indexOf('=') + 1);
  return cookies.some((c) => c.startsWith(prefix));
}

/** HeaderName/ReadmeName: a sub-request through the whole pipeline; only a regular file counts. */
async function include(d: DirectoryRequest, target: string): Promise<Included | undefined> {
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const r = await resolveRequest(d.config, {
    view: { ...subView(d.view()), method: 'GET', isSubreq: true },
    target: escapeUri(path) + (q < 0 ? '' : target.slice(q)),
  });
  if (r.type !== 'file' || r.pathInfo || !r.stat?.isFile()) return undefined;
  // emit_head checks the sub-request's own walk (rr->finfo): a missing header file a rule
  // rewrites elsewhere is not included (case 347)
  if (r.acc.firstMapped !== undefined && !r.acc.firstMapped?.isFile()) return undefined;
  const uri = d.uri.replace(/\/?$/, '/') + lastSegment(r.filename);
  if (!(await admitted(d, r.filename, false, uri))) return undefined;
  let body: string;
  try {
    body = readFileSync(fsPath(r.filename)).toString('latin1');
  } catch {
    return undefined;
  }
  return { body, type: fileContentType(d.config, r.filename, r.acc.contentType) };
}
