/**
 * Apache's default handler for a regular file, on `send`: Range, ETag, Last-Modified, conditional
 * GET, HEAD; Content-Type from Apache's mime.types names (mime-types), none for an unknown
 * extension (Apache sends none without a DefaultType), and none for a type mime-db lists from no
 * source (neither Apache's mime.types, IANA nor nginx): Apache does not know those.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename, extname } from 'node:path';
import mimeDb from 'mime-db';
import mimeTypes from 'mime-types';
import send from 'send';
import { bytesToUtf8 } from '../common/bytes.js';
import { systemMimeTypes, systemTypeFor } from './system-mime.js';
import { appendVary } from '../http/respond.js';
import type { CachedFile } from './file-cache.js';
import { gzipETag, sendCompressed } from './deflate.js';
import { leadWithAlways, noteHandlerType } from './headers.js';
import { ifRangeHolds, meetsConditions } from './conditions.js';
import { byteRange, type ByteSpan, type RangeLimits } from './byterange.js';
import {
  answerMultipartFromFile,
  answerMultipartFromMemory,
  multipartBoundary,
  type MultipartPlan,
} from './multipart-ranges.js';

/**
 * What mod_mime's type checker (and core's ForceType) set for a file (site/mime.ts fileHeaders).
 */
export interface FileHeaders {
  readonly type?: string;
  readonly encoding?: string;
  readonly language?: string;
}

export interface ServeFileOptions {
  /** A type forced by [T=]. */
  readonly contentType?: string;
  /** core's AddDefaultCharset in effect (a charset name), if any. */
  readonly defaultCharset?: string | false;
  /** mod_mime's AddType in effect: extension (lower-case, no dot) → type. */
  readonly addTypes?: ReadonlyMap<string, string>;
  /** mod_mime's AddEncoding in effect: extension (lower-case, no dot) → Content-Encoding. */
  readonly addEncodings?: ReadonlyMap<string, string>;
  /**
   * The type, encoding and language mod_mime found (then addTypes/addEncodings are not looked at).
   */
  readonly headers?: FileHeaders;
  /** Response fields to add to Vary (mod_deflate's Accept-Encoding, site/mime.ts deflateVaries). */
  readonly vary?: readonly string[];
  /** The ETag to send (Apache's format, site/mime.ts apacheETag); false: none (`FileETag None`). */
  readonly eTag?: string | false;
  readonly etag?: boolean;
  readonly lastModified?: boolean;
  /** Cache-Control max-age in ms (send's maxAge). @default 0 */
  readonly maxAge?: number;
  /**
   * The file's bytes in memory (site/file-cache.ts): a whole-file answer is one write from them.
   */
  readonly cached?: CachedFile;
  /**
   * mod_deflate compresses this answer (site/deflate.ts): the file's Last-Modified. A Range is
   * cut from the gzip bytes; a condition that answers 304 or 412 goes to send uncompressed.
   */
  readonly compress?: { readonly lastModified: string };
  /** The Last-Modified the file goes out with, for If-Range (ap_condition_if_range). */
  readonly modified?: string;
  /**
   * The file's size (its stat): with `eTag` and `modified` decided, the Range is judged here as
   * byterange_filter.c does (merging, limits, multipart/byteranges), not by send.
   */
  readonly size?: number;
  /** core's MaxRanges, MaxRangeOverlaps and MaxRangeReversals in effect. @default Apache's */
  readonly rangeLimits?: RangeLimits;
  readonly onError: (status: number, err: Error) => void;
}

/** The Content-Type Apache would send for `path`, or undefined. */
export function contentTypeFor(path: string): string | undefined {
  // Debian's Apache reads the system's /etc/mime.types: when it is there, it alone decides
  const system = systemMimeTypes();
  if (system) return systemTypeFor(system, basename(path));
  const ext = extname(path);
  if (!ext) return undefined;
  const type = mimeTypes.lookup(ext);
  if (!type) return undefined;
  // e.g. `.php`: mime-db's application/x-httpd-php has no source, and an Apache without PHP sends
  // no type for it (real-world corpus: Debian's mime.types has none); 61 extensions agree with
  // Debian's table this way, 2 (exe, pac) disagree
  return mimeDb[type]?.source ? type : undefined;
}

/**
 * The file's extensions as mod_mime sees them: every dot-separated part after the first,
 * lower-case.
 */
function extensionsOf(filename: string): string[] {
  return basename(filename).toLowerCase().split('.').slice(1);
}

/** mod_mime's AddType for the file's last extension, if one is mapped. */
export function addedType(
  filename: string,
  addTypes: ReadonlyMap<string, string> | undefined,
): string | undefined {
  if (!addTypes) return undefined;
  const last = extensionsOf(filename).pop();
  return last === undefined ? undefined : addTypes.get(last);
}

/**
 * mod_mime's AddEncoding: every extension is looked at, the last mapped one wins (a.svgz: gzip).
 */
export function addedEncoding(
  filename: string,
  addEncodings: ReadonlyMap<string, string> | undefined,
): string | undefined {
  if (!addEncodings) return undefined;
  let found: string | undefined;
  for (const ext of extensionsOf(filename)) found = addEncodings.get(ext) ?? found;
  return found;
}

/**
 * Apache's ap_make_content_type: with AddDefaultCharset, text/plain and text/html without a
 * charset parameter get `; charset=<name>` (recorded, case 145); other types are left alone.
 */
export function withDefaultCharset(
  type: string | undefined,
  charset: string | false | undefined,
): string | undefined {
  if (!type || !charset) return type;
  const media = type.split(';', 1)[0]!.trim().toLowerCase();
  if (media !== 'text/plain' && media !== 'text/html') return type;
  if (/;\s*charset=/i.test(type)) return type;
  return `${type}; charset=${charset}`;
}

/**
 * The fields send would write for a whole file: Accept-Ranges, Cache-Control (with maxAge),
 * Last-Modified, ETag; each only when not set already (send's setHeader).
 */
function setSendFields(res: ServerResponse, options: ServeFileOptions, lastModified: string): void {
  if (!res.getHeader('Accept-Ranges')) res.setHeader('Accept-Ranges', 'bytes');
  if (options.maxAge !== undefined && !res.getHeader('Cache-Control'))
    res.setHeader('Cache-Control', `public, max-age=${Math.floor(options.maxAge / 1000)}`);
  if ((options.lastModified ?? true) && !res.getHeader('Last-Modified'))
    res.setHeader('Last-Modified', lastModified);
}

/** mod_mime's fields (send's 'headers' event); whether a Content-Type was set. */
function setTypeFields(res: ServerResponse, filename: string, options: ServeFileOptions): boolean {
  const found = options.headers ?? {
    type: addedType(filename, options.addTypes) ?? contentTypeFor(filename),
    encoding: addedEncoding(filename, options.addEncodings),
  };
  const type = withDefaultCharset(options.contentType ?? found.type, options.defaultCharset);
  if (found.encoding) res.setHeader('Content-Encoding', found.encoding);
  if (found.language) res.setHeader('Content-Language', found.language);
  // send keeps an ETag already set (and compares If-None-Match with it)
  if (options.eTag) res.setHeader('ETag', options.eTag);
  if (options.vary) appendVary(res, options.vary);
  if (!type) return false;
  res.setHeader('Content-Type', type);
  noteHandlerType(res, type);
  return true;
}

/**
 * core's default handler when ap_meets_conditions fails (If-Match, If-Unmodified-Since): it sets
 * r->status to 412 and passes an empty brigade (server/core.c default_handler), so the answer is
 * not an error page: the file's own fields stay (Content-Type, `Header set`), the body is empty,
 * and mod_expires skips it as an error status (recorded: real-world corpus, every project's asset).
 */
export function answerPreconditionFailed(req: IncomingMessage, res: ServerResponse): void {
  res.statusCode = 412;
  res.setHeader('Content-Length', 0);
  res.end();
}

/**
 * The status Apache answers for a failure send reports: 416 for a Range no byte of the file
 * satisfies (byterange_filter.c send_416, an error page), 404 as it is, 403 for what send
 * refuses (a path it finds malicious), 500 for the rest. 412 is answerPreconditionFailed's.
 */
export function fileErrorStatus(status: number): number {
  if (status === 404 || status === 416) return status;
  return status >= 500 ? 500 : 403;
}

/**
 * Whether a file in memory can answer without send: a whole-file answer (no Range, no
 * condition: those go through send as before) whose ETag the caller decided.
 */
function answersWhole(
  req: IncomingMessage,
  res: ServerResponse,
  options: ServeFileOptions,
): boolean {
  const h = req.headers;
  return (
    options.eTag !== undefined &&
    !res.headersSent &&
    h.range === undefined &&
    h['if-match'] === undefined &&
    h['if-none-match'] === undefined &&
    h['if-modified-since'] === undefined &&
    h['if-unmodified-since'] === undefined
  );
}

/** The request and the options a file answer goes on with (deflateConditions). */
interface Judged {
  readonly req: IncomingMessage;
  readonly options: ServeFileOptions;
}

const CONDITIONS = [
  'if-match',
  'if-unmodified-since',
  'if-none-match',
  'if-modified-since',
] as const;

/**
 * core's ap_meets_conditions (site/conditions.ts) for an answer mod_deflate takes on, judged
 * before mod_deflate runs as in Apache: when the file goes out, a compressed answer leaves the
 * conditions behind (a stale If-None-Match, an older If-Modified-Since go out gzip-compressed);
 * a 304 or 412 is left to send without mod_deflate's Vary, which mod_filter's filter_harness adds
 * for a 200 only (case 385). With If-Range, or another method: as before.
 */
function deflateConditions(req: IncomingMessage, options: ServeFileOptions): Judged {
  const same = { req, options };
  const h = req.headers;
  if (!options.vary && !options.compress) return same;
  if (!CONDITIONS.some((name) => h[name] !== undefined)) return same;
  if (h['if-range'] !== undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return same;
  const validators = {
    eTag: typeof options.eTag === 'string' ? options.eTag : undefined,
    lastModified: options.compress?.lastModified ?? options.modified ?? '',
    now: Date.now(),
  };
  if (meetsConditions(h, validators) !== 'ok')
    return { req, options: { ...options, vary: undefined } };
  if (!options.compress) return same;
  const headers = { ...h };
  for (const name of CONDITIONS) headers[name] = undefined;
  return { req: Object.create(req, { headers: { value: headers } }) as IncomingMessage, options };
}

/**
 * Whether mod_deflate's answer is made here (site/deflate.ts sendCompressed): no condition is
 * left for send (deflateConditions took those that let the file through), a Range and If-Range
 * are the byterange filter's, judged on the gzip bytes.
 */
function compressesHere(req: IncomingMessage, res: ServerResponse): boolean {
  const h = req.headers;
  return !res.headersSent && !CONDITIONS.some((name) => h[name] !== undefined);
}

/**
 * A response mod_deflate compresses: byterange_filter.c, a protocol filter after the content
 * filters, sees the gzip bytes, not the file's; If-Range is judged against the gzip ETag
 * (ap_condition_if_range, case 382).
 */
function serveCompressed(
  req: IncomingMessage,
  res: ServerResponse,
  filename: string,
  options: ServeFileOptions,
  lastModified: string,
): void {
  setTypeFields(res, filename, options);
  setSendFields(res, options, lastModified);
  const eTag = typeof options.eTag === 'string' ? gzipETag(options.eTag) : undefined;
  const ifRange = req.headers['if-range']?.toString();
  const range = ifRangeHolds(ifRange, eTag, lastModified) ? req.headers.range : undefined;
  const ranges = { field: range, limits: options.rangeLimits };
  sendCompressed(req, res, filename, options.cached?.body, ranges, options.onError);
}

/**
 * If-Range judged the way ap_condition_if_range does (ifRangeHolds) before send sees the request:
 * the Range alone when it holds, neither field when it does not. send took any date not before
 * Last-Modified and an ETag anywhere in the field (case 383). Left to send when the site did not
 * decide the ETag and Last-Modified.
 */
function withJudgedIfRange(req: IncomingMessage, options: ServeFileOptions): IncomingMessage {
  const ifRange = req.headers['if-range']?.toString();
  if (ifRange === undefined || req.headers.range === undefined) return req;
  if (options.eTag === undefined || options.modified === undefined) return req;
  const holds = ifRangeHolds(ifRange, options.eTag || undefined, options.modified);
  const range = holds ? req.headers.range : undefined;
  const headers = { ...req.headers, 'if-range': undefined, range };
  return Object.create(req, { headers: { value: headers } }) as IncomingMessage;
}

/** What the Range asks of the file: send answers a request, or the answer is multipart here. */
type RangeJudged =
  | { readonly type: 'send'; readonly req: IncomingMessage }
  | {
      readonly type: 'multipart';
      readonly req: IncomingMessage;
      readonly spans: readonly ByteSpan[];
    };

/** The request with another Range field (undefined: none). */
function withRange(req: IncomingMessage, range: string | undefined): IncomingMessage {
  if (req.headers.range === range) return req;
  const headers = { ...req.headers, range };
  return Object.create(req, { headers: { value: headers } }) as IncomingMessage;
}

/**
 * byterange_filter.c's decision (site/byterange.ts byteRange) for a file whose ETag, Last-Modified
 * and size the site decided, answering 200 (ap_set_byterange leaves any other status alone): no
 * range (an invalid spec, a limit passed, an empty file) is the whole file; one range goes to send
 * as `bytes=start-end` (send would merge other neighbours than Apache does); none satisfiable
 * stays a 416 of send's; several are answered here as multipart/byteranges, once the conditions
 * let the file through (ap_meets_conditions runs before the filter; a 304 or 412 stays send's).
 */
function judgeRange(req: IncomingMessage, res: ServerResponse, o: ServeFileOptions): RangeJudged {
  const field = req.headers.range;
  const same = { type: 'send', req } as const;
  if (field === undefined || o.size === undefined || res.statusCode !== 200) return same;
  if (o.eTag === undefined || o.modified === undefined) return same;
  const answer = byteRange(field, o.size, o.rangeLimits);
  if (answer.type === 'whole') return { type: 'send', req: withRange(req, undefined) };
  if (answer.type === 'unsatisfiable') return same;
  const [first] = answer.spans;
  if (answer.spans.length === 1 && first)
    return { type: 'send', req: withRange(req, `bytes=${first.start}-${first.end}`) };
  const validators = { eTag: o.eTag || undefined, lastModified: o.modified, now: Date.now() };
  if (meetsConditions(req.headers, validators) !== 'ok') return same;
  return { type: 'multipart', req, spans: answer.spans };
}

/**
 * Several ranges of a file: the fields a whole file goes out with (mod_mime's type becomes each
 * part's Content-type), then site/multipart-ranges.ts's 206; from memory when the file is cached.
 */
function serveMultipart(
  req: IncomingMessage,
  res: ServerResponse,
  filename: string,
  options: ServeFileOptions,
  spans: readonly ByteSpan[],
): void {
  leadWithAlways(res);
  setTypeFields(res, filename, options);
  setSendFields(res, options, options.modified ?? '');
  const type = res.getHeader('Content-Type');
  const plan: MultipartPlan = {
    boundary: multipartBoundary(),
    spans,
    length: options.size ?? 0,
    type: type === undefined ? undefined : String(type),
  };
  if (options.cached?.body.length === options.size && options.cached)
    answerMultipartFromMemory(req, res, plan, options.cached.body);
  else answerMultipartFromFile(req, res, filename, plan, options.onError);
}

/** The whole file from memory in one write: the same fields send would send, no stream. */
function serveFromMemory(
  req: IncomingMessage,
  res: ServerResponse,
  filename: string,
  options: ServeFileOptions,
  file: CachedFile,
): void {
  leadWithAlways(res);
  setTypeFields(res, filename, options);
  setSendFields(res, options, file.lastModified);
  res.setHeader('Content-Length', file.body.length);
  if (req.method === 'HEAD') res.end();
  else res.end(file.body);
}

/**
 * core's If-Modified-Since test (server/http_protocol.c ap_condition_if_modified_since): a date
 * later than the request's own time is no condition (`ims <= r->request_time`), the file is
 * sent in full (recorded: real-world corpus). send would answer 304: the field is dropped first.
 */
function dropFutureModifiedSince(req: IncomingMessage): void {
  const since = req.headers['if-modified-since'];
  if (since === undefined) return;
  if (Date.parse(since) > Date.now()) delete req.headers['if-modified-since'];
}

/** Whether an If-None-Match list matches the file: `*`, or its ETag by strong comparison. */
function noneMatchMatches(field: string, eTag: string | false | undefined): boolean {
  return field
    .split(',')
    .map((tag) => tag.trim())
    .some((tag) => tag === '*' || (typeof eTag === 'string' && tag === eTag));
}

/**
 * ap_meets_conditions (http_protocol.c) for a method other than GET and HEAD (a POST to a file,
 * which core's default handler delivers): a matching If-None-Match is 412, not 304, and
 * If-Modified-Since is not looked at (recorded: real-world corpus, POST with `If-None-Match: *`).
 * Returns the request send should see, or undefined when the answer is 412.
 */
function otherMethodConditions(
  req: IncomingMessage,
  eTag: string | false | undefined,
): IncomingMessage | undefined {
  const noneMatch = req.headers['if-none-match'];
  if (noneMatch === undefined && req.headers['if-modified-since'] === undefined) return req;
  if (noneMatch !== undefined && noneMatchMatches(noneMatch, eTag)) return undefined;
  const headers = { ...req.headers, 'if-none-match': undefined, 'if-modified-since': undefined };
  return Object.create(req, { headers: { value: headers } }) as IncomingMessage;
}

/**
 * http_protocol.c ap_condition_if_match: an If-Match whose first character is `*` is met whatever
 * the file's ETag, even with FileETag None, and If-Unmodified-Since is still looked at (case 380).
 * send fails `*` without an ETag, fails `*, "x"`, and skips If-Unmodified-Since after a met
 * If-Match: it sees the request without the field.
 */
function withoutMetIfMatch(req: IncomingMessage): IncomingMessage {
  if (!req.headers['if-match']?.startsWith('*')) return req;
  const headers = { ...req.headers, 'if-match': undefined };
  return Object.create(req, { headers: { value: headers } }) as IncomingMessage;
}

export function serveFile(
  incoming: IncomingMessage,
  res: ServerResponse,
  filename: string,
  options: ServeFileOptions,
): void {
  const getOrHead = incoming.method === 'GET' || incoming.method === 'HEAD';
  const met = withoutMetIfMatch(incoming);
  const req = getOrHead ? met : otherMethodConditions(met, options.eTag);
  if (!req) {
    // mod_filter's filter_harness runs DEFLATE for a 200 only: no Vary of its on a 412 (case 375)
    setTypeFields(res, filename, { ...options, vary: undefined });
    answerPreconditionFailed(incoming, res);
    return;
  }
  dropFutureModifiedSince(req);
  const { req: through, options: o } = deflateConditions(req, options);
  if (o.compress && compressesHere(through, res)) {
    serveCompressed(through, res, filename, o, o.compress.lastModified);
    return;
  }
  const ranged = judgeRange(withJudgedIfRange(through, o), res, o);
  if (ranged.type === 'multipart') {
    serveMultipart(ranged.req, res, filename, o, ranged.spans);
    return;
  }
  const judged = ranged.req;
  if (o.cached && answersWhole(judged, res, o)) {
    serveFromMemory(judged, res, filename, o, o.cached);
    return;
  }
  sendFile(judged, res, filename, o);
}

/** The file through send: conditions, ranges, streaming; mod_mime's fields on its 'headers'. */
function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  filename: string,
  options: ServeFileOptions,
): void {
  const stream = send(req, encodeURI(bytesToUtf8(filename)).replace(/[?#]/g, encodeURIComponent), {
    dotfiles: 'allow',
    index: false,
    etag: options.eTag === false ? false : (options.etag ?? true),
    lastModified: options.lastModified ?? true,
    maxAge: options.maxAge ?? 0,
    acceptRanges: true,
    cacheControl: options.maxAge !== undefined,
  });
  stream.on('headers', (r: ServerResponse) => {
    if (setTypeFields(r, filename, options)) return;
    // no type known: keep send from adding application/octet-stream (its next Content-Type call)
    const setHeader = r.setHeader;
    r.setHeader = function (
      this: ServerResponse,
      name: string,
      value: number | string | readonly string[],
    ) {
      if (name.toLowerCase() === 'content-type') {
        r.setHeader = setHeader;
        return this;
      }
      return setHeader.call(this, name, value);
    } as typeof r.setHeader;
  });
  stream.on('error', (err: Error & { status?: number; statusCode?: number }) =>
    options.onError(err.status ?? err.statusCode ?? 500, err),
  );
  stream.pipe(res);
}
