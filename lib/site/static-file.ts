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
import { sendCompressed } from './deflate.js';

/** What mod_mime's type checker (and core's ForceType) set for a file (site/mime.ts fileHeaders). */
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
  /** The type, encoding and language mod_mime found (then addTypes/addEncodings are not looked at). */
  readonly headers?: FileHeaders;
  /** Response fields to add to Vary (mod_deflate's Accept-Encoding, site/mime.ts deflateVaries). */
  readonly vary?: readonly string[];
  /** The ETag to send (Apache's format, site/mime.ts apacheETag); false: none (`FileETag None`). */
  readonly eTag?: string | false;
  readonly etag?: boolean;
  readonly lastModified?: boolean;
  /** Cache-Control max-age in ms (send's maxAge). @default 0 */
  readonly maxAge?: number;
  /** The file's bytes in memory (site/file-cache.ts): a whole-file answer is one write from them. */
  readonly cached?: CachedFile;
  /**
   * mod_deflate compresses this answer (site/deflate.ts): the file's Last-Modified. A Range or a
   * condition still goes to send uncompressed.
   */
  readonly compress?: { readonly lastModified: string };
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

/** The file's extensions as mod_mime sees them: every dot-separated part after the first, lower-case. */
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

/** mod_mime's AddEncoding: every extension is looked at, the last mapped one wins (a.svgz: gzip). */
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
  return true;
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

/** The whole file from memory in one write: the same fields send would send, no stream. */
function serveFromMemory(
  req: IncomingMessage,
  res: ServerResponse,
  filename: string,
  options: ServeFileOptions,
  file: CachedFile,
): void {
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

export function serveFile(
  req: IncomingMessage,
  res: ServerResponse,
  filename: string,
  options: ServeFileOptions,
): void {
  dropFutureModifiedSince(req);
  if (options.compress && answersWhole(req, res, { ...options, eTag: options.eTag ?? false })) {
    setTypeFields(res, filename, options);
    setSendFields(res, options, options.compress.lastModified);
    sendCompressed(req, res, filename, options.cached?.body, (err) => options.onError(404, err));
    return;
  }
  if (options.cached && answersWhole(req, res, options)) {
    serveFromMemory(req, res, filename, options, options.cached);
    return;
  }
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
