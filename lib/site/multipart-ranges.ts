/**
 * byterange_filter.c's answer to a Range of several ranges: 206 with a multipart/byteranges body
 * (ap_byterange_filter). Each part is CRLF, `--boundary`, the body's own type as `Content-type`
 * (none when it has none), `Content-range`, an empty line and the bytes; the body ends with CRLF
 * `--boundary--` CRLF (recorded: cases 433, 435, 438). The parts of a file are read from it one
 * piece at a time, with backpressure, never the whole file at once.
 */
import { randomBytes } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fsPath } from '../common/bytes.js';
import type { ByteSpan } from './byterange.js';

/**
 * After this many parts the filter passes what it has down the chain and drops Content-Length
 * (`i && !(i & 0x1F)`): a longer answer goes out chunked, a HEAD with neither (case 435).
 */
const PARTS_WITH_LENGTH = 32;

/** The fields a file's answer set before the file was opened. */
const FILE_FIELDS = [
  'Content-Type',
  'Content-Encoding',
  'Content-Language',
  'ETag',
  'Last-Modified',
  'Accept-Ranges',
  'Cache-Control',
];

/** How much of a part is read from the file at a time. */
const READ_SIZE = 64 * 1024;

/**
 * A boundary like Apache's (16 hex digits; Apache draws one per process at start-up, http_core.c
 * http_post_config): drawn per answer here, so that no one can learn it in advance.
 */
export function multipartBoundary(): string {
  return randomBytes(8).toString('hex');
}

/** What a multipart answer needs to know of its body. */
export interface MultipartPlan {
  readonly boundary: string;
  readonly spans: readonly ByteSpan[];
  /** The whole body's length (each Content-range's `/length`). */
  readonly length: number;
  /** The body's Content-Type (ap_make_content_type: its charset included), if it has one. */
  readonly type: string | undefined;
}

/** The lines before one part's bytes. */
export function partHead(plan: MultipartPlan, span: ByteSpan): Buffer {
  const type = plan.type === undefined ? '' : `Content-type: ${plan.type}\r\n`;
  const range = `Content-range: bytes ${span.start}-${span.end}/${plan.length}`;
  return Buffer.from(`\r\n--${plan.boundary}\r\n${type}${range}\r\n\r\n`, 'latin1');
}

/** The closing delimiter. */
export function multipartEnd(plan: MultipartPlan): Buffer {
  return Buffer.from(`\r\n--${plan.boundary}--\r\n`, 'latin1');
}

/** The multipart body's length in bytes. */
export function multipartLength(plan: MultipartPlan): number {
  let n = multipartEnd(plan).length;
  for (const span of plan.spans) n += partHead(plan, span).length + span.end - span.start + 1;
  return n;
}

/** The whole multipart body of a body held in memory. */
export function multipartBody(plan: MultipartPlan, body: Buffer): Buffer {
  const pieces: Buffer[] = [];
  for (const span of plan.spans)
    pieces.push(partHead(plan, span), body.subarray(span.start, span.end + 1));
  pieces.push(multipartEnd(plan));
  return Buffer.concat(pieces);
}

/**
 * The answer's status and fields: 206, the multipart type with the boundary, and Content-Length
 * up to 32 parts (none after: Node sends the body chunked, as Apache does).
 */
export function startMultipart(res: ServerResponse, plan: MultipartPlan): void {
  res.statusCode = 206;
  res.setHeader('Content-Type', `multipart/byteranges; boundary=${plan.boundary}`);
  if (plan.spans.length <= PARTS_WITH_LENGTH)
    res.setHeader('Content-Length', multipartLength(plan));
  else res.removeHeader('Content-Length');
}

/** A multipart answer from a body held in memory (a cached file, mod_deflate's gzip bytes). */
export function answerMultipartFromMemory(
  req: IncomingMessage,
  res: ServerResponse,
  plan: MultipartPlan,
  body: Buffer,
): void {
  startMultipart(res, plan);
  if (req.method === 'HEAD') res.end();
  else res.end(multipartBody(plan, body));
}

/** Resolves once the response can take more, or is closed. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Writes `chunk`, waiting for the socket when its buffer is full; false once the client left. */
async function write(res: ServerResponse, chunk: Buffer): Promise<boolean> {
  if (res.destroyed) return false;
  if (!res.write(chunk)) await drained(res);
  return !res.destroyed;
}

/** One part's bytes from the file, READ_SIZE at a time. */
async function copySpan(file: FileHandle, res: ServerResponse, span: ByteSpan): Promise<boolean> {
  let position = span.start;
  while (position <= span.end) {
    const size = Math.min(READ_SIZE, span.end - position + 1);
    const { bytesRead, buffer } = await file.read(Buffer.allocUnsafe(size), 0, size, position);
    // the file shrank since its stat: the answer cannot be finished
    if (bytesRead === 0) throw new Error('file shorter than its stat');
    position += bytesRead;
    if (!(await write(res, buffer.subarray(0, bytesRead)))) return false;
  }
  return true;
}

/** The parts, read from the open file; the response is destroyed on a read error. */
async function streamParts(
  file: FileHandle,
  res: ServerResponse,
  plan: MultipartPlan,
): Promise<void> {
  try {
    for (const span of plan.spans) {
      if (!(await write(res, partHead(plan, span)))) return;
      if (!(await copySpan(file, res, span))) return;
    }
    res.end(multipartEnd(plan));
  } catch (err) {
    res.destroy(err as Error);
  } finally {
    await file.close().catch(() => undefined);
  }
}

/**
 * A multipart answer from a file on disk: opened first (a failure goes to `onError` with send's
 * status: 404 for a missing file, else 500, before any field is sent), then the parts streamed.
 */
export function answerMultipartFromFile(
  req: IncomingMessage,
  res: ServerResponse,
  filename: string,
  plan: MultipartPlan,
  onError: (status: number, err: Error) => void,
): void {
  open(fsPath(filename), 'r').then(
    (file) => {
      startMultipart(res, plan);
      if (req.method === 'HEAD' || res.destroyed) {
        res.end();
        void file.close().catch(() => undefined);
        return;
      }
      void streamParts(file, res, plan);
    },
    (err: NodeJS.ErrnoException) => {
      // the file went away since its stat: the error page keeps none of the file's fields
      for (const name of FILE_FIELDS) res.removeHeader(name);
      const missing =
        err.code === 'ENOENT' || err.code === 'ENOTDIR' || err.code === 'ENAMETOOLONG';
      onError(missing ? 404 : 500, err);
    },
  );
}
