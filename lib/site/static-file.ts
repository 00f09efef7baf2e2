/**
 * Apache's default handler for a regular file, on `send`: Range, ETag, Last-Modified, conditional
 * GET, HEAD; Content-Type from Apache's mime.types names (mime-types), none for an unknown
 * extension (Apache sends none without a DefaultType).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname } from 'node:path';
import mimeTypes from 'mime-types';
import send from 'send';
import { bytesToUtf8 } from '../common/bytes.js';

export interface ServeFileOptions {
  /** A type forced by [T=]. */
  readonly contentType?: string;
  readonly etag?: boolean;
  readonly lastModified?: boolean;
  /** Cache-Control max-age in ms (send's maxAge). @default 0 */
  readonly maxAge?: number;
  readonly onError: (status: number, err: Error) => void;
}

/** The Content-Type Apache would send for `path`, or undefined. */
export function contentTypeFor(path: string): string | undefined {
  const ext = extname(path);
  return ext ? mimeTypes.lookup(ext) || undefined : undefined;
}

export function serveFile(
  req: IncomingMessage,
  res: ServerResponse,
  filename: string,
  options: ServeFileOptions,
): void {
  const stream = send(req, encodeURI(bytesToUtf8(filename)).replace(/[?#]/g, encodeURIComponent), {
    dotfiles: 'allow',
    index: false,
    etag: options.etag ?? true,
    lastModified: options.lastModified ?? true,
    maxAge: options.maxAge ?? 0,
    acceptRanges: true,
    cacheControl: options.maxAge !== undefined,
  });
  stream.on('headers', (r: ServerResponse) => {
    const type = options.contentType ?? contentTypeFor(filename);
    if (type) {
      r.setHeader('Content-Type', type);
      return;
    }
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
