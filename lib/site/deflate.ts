/**
 * mod_deflate's output filter for the files site() serves: a response mod_deflate takes on (a type
 * an AddOutputFilterByType DEFLATE names, over 68 bytes, not already encoded: site/mime.ts
 * deflateVaries) is gzip-compressed for a client that accepts gzip, as Debian's Apache does with
 * its deflate.conf (modules/filters/mod_deflate.c deflate_out_filter, 2.4.x).
 */
import { createReadStream, type ReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pako from 'pako';

/**
 * Whether the request lets mod_deflate compress: `force-gzip` in the environment, else an
 * `Accept-Encoding` whose first `gzip` token (case-insensitive) has no `q=0` (`q=0`, `q=0.0`...
 * up to `q=0.000`); `no-gzip` always refuses. Like Apache, `x-gzip` and `*` do not count, and a
 * parameter other than the first is not looked at.
 */
export function deflateAccepted(
  acceptEncoding: string | undefined,
  env: ReadonlyMap<string, string> | undefined,
): boolean {
  if (env?.has('no-gzip')) return false;
  if (env?.has('force-gzip')) return true;
  if (acceptEncoding === undefined) return false;
  for (const item of acceptEncoding.split(',')) {
    const [token, ...params] = item.split(';');
    if (token!.trim().toLowerCase() !== 'gzip') continue;
    const q = params[0]?.trim();
    // mod_deflate: strncmp("q=0.000", q, strlen(q)) for a q of 3+ characters
    return !(q !== undefined && q.length >= 3 && 'q=0.000'.startsWith(q));
  }
  return false;
}

/** mod_deflate's DeflateAlterETag AddSuffix (the default): `"abc"` becomes `"abc-gzip"`. */
export function gzipETag(eTag: string): string {
  if (eTag.length <= 2 || !eTag.endsWith('"')) return eTag;
  return `${eTag.slice(0, -1)}-gzip"`;
}

/**
 * A gzip stream as mod_deflate writes it: DeflateCompressionLevel Z_DEFAULT_COMPRESSION,
 * DeflateWindowSize 15, DeflateMemLevel 9, its 10-byte header (no name, no time, OS 3) and the
 * CRC/length trailer. pako, a port of reference zlib, gives the bytes Apache's system zlib gives
 * (recorded, case 241); node's bundled zlib (Chromium's) picks other matches, a valid but different
 * body.
 */
function gzipper(write: (chunk: Uint8Array) => void): InstanceType<typeof pako.Deflate> {
  const deflate = new pako.Deflate({ level: -1, windowBits: 15, memLevel: 9, gzip: true });
  deflate.onData = write;
  return deflate;
}

/** The whole body gzip-compressed in one buffer, the bytes sendCompressed streams. */
export function gzipBytes(body: Uint8Array): Buffer {
  const chunks: Uint8Array[] = [];
  gzipper((chunk) => chunks.push(chunk)).push(body, true);
  return Buffer.concat(chunks);
}

/**
 * The file gzip-compressed into one buffer, read and compressed chunk by chunk (the event loop
 * runs between chunks), for an answer that needs the compressed length before its fields.
 */
export function gzipFile(
  filename: string,
  done: (gzip: Buffer) => void,
  onError: (err: Error) => void,
): void {
  const chunks: Uint8Array[] = [];
  const deflate = gzipper((chunk) => chunks.push(chunk));
  const file = createReadStream(filename);
  file.on('data', (chunk) => deflate.push(chunk as Buffer, false));
  file.on('end', () => {
    deflate.push(new Uint8Array(0), true);
    done(Buffer.concat(chunks));
  });
  file.on('error', onError);
}

/** The fields of a compressed answer: Content-Encoding gzip, the ETag suffixed. */
export function markCompressed(res: ServerResponse): void {
  res.setHeader('Content-Encoding', 'gzip');
  const eTag = res.getHeader('ETag');
  if (typeof eTag === 'string') res.setHeader('ETag', gzipETag(eTag));
}

/**
 * byterange_filter.c ap_set_byterange for a Range of one byte-range-spec (no comma) over `length`
 * bytes: the range to send, 'unsatisfiable' (416) when it starts past the end, 'ignored' (the
 * whole body, 200) when the header is not `bytes=` or the spec is not one Apache parses
 * (ap_parse_strict_length: digits only; a start after the end; a suffix of 0).
 */
export function singleByteRange(
  header: string,
  length: number,
): readonly [number, number] | 'unsatisfiable' | 'ignored' {
  if (header.slice(0, 6).toLowerCase() !== 'bytes=') return 'ignored';
  const m = /^(\d*)-(\d*)$/.exec(header.slice(6));
  if (!m || (m[1] === '' && m[2] === '')) return 'ignored';
  let start: number;
  let end = length - 1;
  if (m[1] === '') {
    // "-5": the last 5 bytes
    const suffix = Number(m[2]);
    if (suffix < 1) return 'ignored';
    start = Math.max(length - suffix, 0);
  } else {
    start = Number(m[1]);
    if (m[2] !== '') end = Number(m[2]);
    // only a written end is checked: "99999-" of a shorter body is unsatisfiable, not ignored
    if (m[2] !== '' && start > end) return 'ignored';
  }
  if (start >= length) return 'unsatisfiable';
  return [start, Math.min(end, length - 1)];
}

/**
 * Sends the file gzip-compressed, the fields already set by the caller: Content-Encoding gzip,
 * the ETag suffixed, no Content-Length (Apache streams it). HEAD gets the fields only.
 */
export function sendCompressed(
  req: IncomingMessage,
  res: ServerResponse,
  filename: string,
  body: Buffer | undefined,
  onError: (err: Error) => void,
): void {
  markCompressed(res);
  res.removeHeader('Content-Length');
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  if (body) {
    const deflate = gzipper((chunk) => res.write(chunk));
    deflate.push(body, true);
    res.end();
    return;
  }
  const file = createReadStream(filename);
  streamCompressed(res, file);
  file.on('error', (err) => {
    if (res.headersSent) {
      res.destroy(err);
      return;
    }
    res.removeHeader('Content-Encoding');
    res.removeHeader('ETag');
    onError(err);
  });
}

/**
 * The file's chunks through the compressor to the client, with backpressure: reading pauses while
 * the socket's buffer is full (a slow client never makes a large file sit in memory), and stops
 * when the client goes away (the file is closed, nothing more is compressed).
 */
function streamCompressed(res: ServerResponse, file: ReadStream): void {
  let full = false;
  const deflate = gzipper((chunk) => {
    if (!res.write(chunk)) full = true;
  });
  file.on('data', (chunk) => {
    deflate.push(chunk as Buffer, false);
    if (!full) return;
    full = false;
    file.pause();
    res.once('drain', () => file.resume());
  });
  file.on('end', () => {
    deflate.push(new Uint8Array(0), true);
    res.end();
  });
  res.once('close', () => {
    if (!file.readableEnded) file.destroy();
  });
}
