/**
 * mod_deflate's output filter for the files site() serves: a response mod_deflate takes on (a type
 * an AddOutputFilterByType DEFLATE names, over 68 bytes, not already encoded: site/mime.ts
 * deflateVaries) is gzip-compressed for a client that accepts gzip, as Debian's Apache does with
 * its deflate.conf (modules/filters/mod_deflate.c deflate_out_filter, 2.4.x).
 */
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pako from 'pako';
import { byteRange, type RangeLimits } from './byterange.js';
import { answerMultipartFromMemory, multipartBoundary } from './multipart-ranges.js';

/** The Range the byterange filter acts on, and the limits in effect. */
export interface GzipRange {
  /** The field (undefined: none, or an If-Range that does not hold). */
  readonly field: string | undefined;
  readonly limits?: RangeLimits;
}

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

/**
 * mod_deflate's check for browsers that only take compressed HTML (Elgg's `BrowserMatch ^Mozilla/4
 * gzip-only-text/html`): with the variable exactly `1`, a type not starting with `text/html`
 * (case-sensitive, its strncmp) is left alone, before Vary is marked (deflate_out_filter; case 374).
 */
export function gzipOnlyHtmlRefuses(
  type: string | undefined,
  env: ReadonlyMap<string, string>,
): boolean {
  if (env.get('gzip-only-text/html') !== '1') return false;
  return type === undefined || !type.startsWith('text/html');
}

/** mod_deflate's DeflateAlterETag AddSuffix (the default): `"abc"` becomes `"abc-gzip"`. */
export function gzipETag(eTag: string): string {
  if (eTag.length <= 2 || !eTag.endsWith('"')) return eTag;
  return `${eTag.slice(0, -1)}-gzip"`;
}

/**
 * mod_deflate's output buffer (DeflateBufferSize, 8096 by default). deflate_out_filter passes what
 * it holds down the chain when zlib fills it while input is left (avail_in != 0); at EOS
 * flush_libz_buffer only adds to its brigade, so an answer that never passes early reaches core's
 * content-length and byterange filters whole, with its EOS.
 */
const DEFLATE_BUFFER_SIZE = 8096;

/**
 * A gzip stream as mod_deflate writes it: DeflateCompressionLevel Z_DEFAULT_COMPRESSION,
 * DeflateWindowSize 15, DeflateMemLevel 9, its 10-byte header (no name, no time, OS 3) and the
 * CRC/length trailer. pako, a port of reference zlib, gives the bytes Apache's system zlib gives
 * (recorded, case 241); node's bundled zlib (Chromium's) picks other matches, a valid but different
 * body. Its output comes in pieces of mod_deflate's buffer size, so a full piece is a moment
 * Apache's buffer fills (pako writes the gzip header into its first piece, Apache sends it as a
 * bucket of its own: that first moment comes 10 bytes early).
 */
function gzipper(write: (chunk: Uint8Array) => void): InstanceType<typeof pako.Deflate> {
  const deflate = new pako.Deflate({
    level: -1,
    windowBits: 15,
    memLevel: 9,
    gzip: true,
    chunkSize: DEFLATE_BUFFER_SIZE,
  });
  deflate.onData = write;
  return deflate;
}

/** The whole body gzip-compressed in one buffer (a directory listing's). */
export function gzipBytes(body: Uint8Array): Buffer {
  const chunks: Uint8Array[] = [];
  gzipper((chunk) => chunks.push(chunk)).push(body, true);
  return Buffer.concat(chunks);
}

/** The fields of a compressed answer: Content-Encoding gzip, the ETag suffixed. */
export function markCompressed(res: ServerResponse): void {
  res.setHeader('Content-Encoding', 'gzip');
  const eTag = res.getHeader('ETag');
  if (typeof eTag === 'string') res.setHeader('ETag', gzipETag(eTag));
}

/** What sendCompressed reports: a file it could not read (404), a Range it cannot meet (416). */
export type CompressedError = (status: number, err: Error) => void;

/**
 * mod_deflate's output on its way to core's filters: held while deflate_out_filter would hold it,
 * streamed (chunked, no Content-Length, the Range not looked at) from the moment its buffer fills
 * while input is left: byterange_filter.c gets a brigade without EOS and steps aside (case 376).
 * Else, at the end, the answer is made whole (answerWhole).
 */
class GzipOutput {
  private readonly held: Uint8Array[] = [];
  private early = false;
  /** Whether more of the file is still to be read after what zlib was given. */
  private moreInput = false;
  private readonly deflate = gzipper((chunk) => this.take(chunk));

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly range: GzipRange,
    private readonly onError: CompressedError,
  ) {}

  /** Whether the output streams already (then the socket's backpressure applies). */
  get streaming(): boolean {
    return this.early;
  }

  /** Input for zlib (Z_NO_FLUSH); `more`: the file goes on after it. */
  push(data: Uint8Array, more: boolean): void {
    this.moreInput = more;
    this.deflate.push(data, false);
  }

  /** EOS: Z_FINISH, then the streamed answer ends or the held one goes out whole. */
  end(): void {
    this.deflate.push(new Uint8Array(0), true);
    if (this.early) this.res.end();
    else answerWhole(this.req, this.res, Buffer.concat(this.held), this.range, this.onError);
  }

  private take(chunk: Uint8Array): void {
    const left = this.deflate.strm.avail_in > 0 || this.moreInput;
    if (!this.early && chunk.length === DEFLATE_BUFFER_SIZE && left) this.passEarly();
    if (!this.early) this.held.push(chunk);
    else if (this.req.method !== 'HEAD') this.res.write(chunk);
  }

  private passEarly(): void {
    this.early = true;
    if (this.req.method === 'HEAD') {
      this.res.end();
      return;
    }
    for (const chunk of this.held.splice(0)) this.res.write(chunk);
  }
}

/**
 * The compressed answer in one piece, as core's filters see it with its EOS: Content-Length
 * (content_length_filter), and the Range cut from the gzip bytes (byterange_filter.c: 206 with the
 * gzip length in Content-Range, 416 when no range starts inside them, multipart/byteranges for
 * several; cases 373, 382, 435).
 */
function answerWhole(
  req: IncomingMessage,
  res: ServerResponse,
  gz: Buffer,
  range: GzipRange,
  onError: CompressedError,
): void {
  const answer = byteRange(range.field, gz.length, range.limits);
  if (answer.type === 'unsatisfiable') {
    // send_416 makes it an error page, which keeps none of the file's fields (send's 416 too
    // clears them)
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    onError(416, new Error('range not satisfiable'));
    return;
  }
  if (answer.type === 'ranges' && answer.spans.length > 1) {
    const type = res.getHeader('Content-Type');
    const plan = {
      boundary: multipartBoundary(),
      spans: answer.spans,
      length: gz.length,
      type: type === undefined ? undefined : String(type),
    };
    answerMultipartFromMemory(req, res, plan, gz);
    return;
  }
  let out = gz;
  if (answer.type === 'ranges') {
    const { start, end } = answer.spans[0]!;
    res.statusCode = 206;
    res.setHeader('Content-Range', `bytes ${start}-${end}/${gz.length}`);
    out = gz.subarray(start, end + 1);
  }
  res.setHeader('Content-Length', out.length);
  res.end(req.method === 'HEAD' ? undefined : out);
}

/**
 * Sends the file gzip-compressed, its fields already set by the caller; markCompressed's are added.
 * `range` is the Range the byterange filter acts on. HEAD is compressed too: its fields depend on the gzip bytes, as in Apache.
 */
export function sendCompressed(
  req: IncomingMessage,
  res: ServerResponse,
  filename: string,
  body: Buffer | undefined,
  range: GzipRange = { field: undefined },
  onError: CompressedError,
): void {
  markCompressed(res);
  res.removeHeader('Content-Length');
  const out = new GzipOutput(req, res, range, onError);
  if (body) {
    // the whole file at once, as Apache's mmap'ed file bucket gives it to zlib
    out.push(body, false);
    out.end();
    return;
  }
  streamCompressed(res, filename, out, onError);
}

/**
 * The file's chunks through the compressor, one chunk behind the reads (so zlib knows whether more
 * is to come), with backpressure once the output streams: reading pauses while the socket's buffer
 * is full (a slow client never makes a large file sit in memory), and stops when the client goes
 * away (the file is closed, nothing more is compressed).
 */
function streamCompressed(
  res: ServerResponse,
  filename: string,
  out: GzipOutput,
  onError: CompressedError,
): void {
  const file = createReadStream(filename);
  let previous: Buffer | undefined;
  file.on('data', (chunk) => {
    if (previous) out.push(previous, true);
    previous = chunk as Buffer;
    if (!out.streaming || !res.writableNeedDrain) return;
    file.pause();
    res.once('drain', () => file.resume());
  });
  file.on('end', () => {
    if (previous) out.push(previous, false);
    out.end();
  });
  file.on('error', (err) => {
    if (res.headersSent) {
      res.destroy(err);
      return;
    }
    res.removeHeader('Content-Encoding');
    res.removeHeader('ETag');
    onError(404, err);
  });
  res.once('close', () => {
    if (!file.readableEnded) file.destroy();
  });
}
