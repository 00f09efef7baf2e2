/**
 * Methods node's HTTP parser refuses (llhttp knows a fixed list: TRACK, BREW, lower-case `get`...)
 * still reach Apache's answer: Apache parses any token as a method and lets the rules decide
 * (Magento's `RewriteCond %{REQUEST_METHOD} ^TRAC[EK]` → 405), else its default handler says 501.
 * `answerClientErrors` hands such a request here: its head (already received, in the parser
 * error's `rawPacket`) becomes an IncomingMessage dispatched to the server's own `request`
 * listeners, on the same socket, closed after the answer. Only a complete head is taken, with the
 * body its Content-Length announces when that arrived in the same packet (a form posted with
 * `post`); anything else stays a 400. A request line with a protocol llhttp refuses (HTTP/1.2,
 * HTTP/3.0: HPE_INVALID_VERSION) is taken the same way: Apache serves any HTTP/d.d (recorded),
 * and so is a target with raw obs-text bytes (HPE_INVALID_URL): Apache takes them as they come.
 */
import { IncomingMessage, ServerResponse, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** RFC 9110 token (a method, a field name). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** How much of a refused request is looked at: Apache's default LimitRequestFieldSize-ish head. */
const MAX_HEAD = 16 * 1024;

/** Sockets with a dispatched request: their parser is dead, anything more they send ends them. */
const dispatched = new WeakSet<Duplex>();

interface Head {
  readonly method: string;
  readonly url: string;
  readonly minor: number;
  readonly rawHeaders: string[];
  /** The body bytes that came with the head (all of it, or its start). */
  readonly body: Buffer;
  /** The body's length (its Content-Length). */
  readonly length: number;
}

/** The most body a refused request may announce: a form, not an upload. */
const MAX_BODY = 64 * 1024;
/** How long the rest of a body may take to arrive before the socket is closed. */
const BODY_WAIT_MS = 5000;

/** Sockets whose head was taken and whose body is still coming (its chunks so far). */
const awaiting = new WeakMap<Duplex, { head: Head; chunks: Buffer[]; timer: NodeJS.Timeout }>();

/** The request line and fields of a complete head (and its whole body, if any), or undefined. */
export function parseHead(raw: Buffer): Head | undefined {
  const text = raw.subarray(0, MAX_HEAD).toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [requestLine, ...fields] = text.slice(0, end).split('\r\n');
  // any HTTP/x.y Apache serves (recorded: 1.2, 1.9, 2.0, 3.0; not 1.10); node takes 1.0, 1.1, 2.0
  const m = /^(\S+) (\S+) HTTP\/(?:1\.(\d)|[2-9]\.\d)$/.exec(requestLine ?? '');
  // the target as Apache's tokenize_request_line scans it: visible characters and obs-text
  // (ap_scan_vchar_obstext), so raw 0x80-0xff bytes are a request (case 372), a DEL is a 400
  if (!m || !TOKEN.test(m[1]!) || !/^[\x21-\x7e\x80-\xff]+$/.test(m[2]!)) return undefined;
  const rawHeaders: string[] = [];
  for (const field of fields) {
    const colon = field.indexOf(':');
    const name = field.slice(0, colon);
    const value = field.slice(colon + 1).trim();
    if (colon <= 0 || !TOKEN.test(name) || /[\x00-\x08\x0a-\x1f\x7f]/.test(value)) return undefined;
    rawHeaders.push(name, value);
  }
  const length = bodyLength(rawHeaders);
  // more bytes than the body (a pipelined request) cannot be handed on: node's parser is dead
  if (length === undefined || length > MAX_BODY || end + 4 + length < raw.length) return undefined;
  // HTTP/1.2 and up are served as HTTP/1.1 (Apache answers them with HTTP/1.1)
  const minor = m[3] === '0' ? 0 : 1;
  return { method: m[1]!, url: m[2]!, minor, rawHeaders, body: raw.subarray(end + 4), length };
}

/** The body's length from one Content-Length field; undefined for chunked or ambiguous bodies. */
function bodyLength(rawHeaders: readonly string[]): number | undefined {
  let length: number | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (name === 'transfer-encoding') return undefined;
    if (name !== 'content-length') continue;
    if (length !== undefined || !/^\d{1,9}$/.test(rawHeaders[i + 1]!)) return undefined;
    length = Number(rawHeaders[i + 1]);
  }
  return length ?? 0;
}

/** node's header object: lower-case names, repeated ones joined with ", " (set-cookie aside). */
function headersOf(rawHeaders: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const key = rawHeaders[i]!.toLowerCase();
    headers[key] = key in headers ? `${headers[key]}, ${rawHeaders[i + 1]}` : rawHeaders[i + 1]!;
  }
  return headers;
}

/**
 * Dispatches a request node refused for its method to `server`'s request listeners; false when
 * it is not such a request (the caller answers 400).
 */
export function dispatchUnknownMethod(
  server: Server,
  err: NodeJS.ErrnoException & { rawPacket?: Buffer },
  socket: Duplex,
): boolean {
  const waiting = awaiting.get(socket);
  if (waiting) {
    // node's dead parser hands each later packet here: the rest of the body
    if (err.rawPacket) waiting.chunks.push(err.rawPacket);
    gather(server, socket, waiting.head, waiting.chunks, waiting.timer);
    return true;
  }
  if (dispatched.has(socket)) {
    // more bytes after the dispatched head (pipelining): node's parser already failed on them
    socket.destroy();
    return true;
  }
  // llhttp also refuses a target with obs-text bytes (HPE_INVALID_URL), which Apache serves
  const refused = ['HPE_INVALID_METHOD', 'HPE_INVALID_VERSION', 'HPE_INVALID_URL'].includes(
    err.code ?? '',
  );
  if (!refused || !err.rawPacket || server.listenerCount('request') === 0) return false;
  const head = parseHead(err.rawPacket);
  if (!head) return false;
  gather(server, socket, head, [head.body]);
  return true;
}

/** Dispatches once the whole body is there; waits (a bounded time) for the rest of it. */
function gather(
  server: Server,
  socket: Duplex,
  head: Head,
  chunks: Buffer[],
  timer?: NodeJS.Timeout,
): void {
  const got = chunks.reduce((n, chunk) => n + chunk.length, 0);
  if (got < head.length) {
    const wait = timer ?? setTimeout(() => socket.destroy(), BODY_WAIT_MS).unref();
    awaiting.set(socket, { head, chunks, timer: wait });
    return;
  }
  clearTimeout(timer);
  awaiting.delete(socket);
  if (got > head.length) {
    socket.destroy();
    return;
  }
  dispatch(server, socket, head, Buffer.concat(chunks));
}

/**
 * CONNECT with an authority-form target (`host:443`), which node hands to 'connect' listeners
 * only: Apache (without mod_proxy_connect) runs it as a request for `/` on that host, so the
 * rules and the `.htaccess` decide (recorded: 405 with Drupal's headers, a redirect by
 * CodeIgniter's www rule to http://example.com:443/). Dispatched like an unknown method.
 */
export function dispatchConnect(server: Server, connect: IncomingMessage, socket: Duplex): void {
  const rawHeaders: string[] = [];
  const given = connect.rawHeaders;
  for (let i = 0; i + 1 < given.length; i += 2)
    if (given[i]!.toLowerCase() !== 'host') rawHeaders.push(given[i]!, given[i + 1]!);
  // the target's host wins over the Host field, as for an absolute-form target
  rawHeaders.push('Host', connect.url ?? '');
  const minor = connect.httpVersionMinor === 0 ? 0 : 1;
  const head: Head = {
    method: 'CONNECT',
    url: '/',
    minor,
    rawHeaders,
    body: Buffer.alloc(0),
    length: 0,
  };
  dispatch(server, socket, head, head.body);
}

/** The request as node would have made it, emitted to the server's request listeners. */
function dispatch(server: Server, socket: Duplex, head: Head, body: Buffer): void {
  dispatched.add(socket);
  const req = new IncomingMessage(socket as Socket);
  req.method = head.method;
  req.url = head.url;
  req.httpVersionMajor = 1;
  req.httpVersionMinor = head.minor;
  req.httpVersion = `1.${head.minor}`;
  req.rawHeaders = head.rawHeaders;
  req.headers = headersOf(head.rawHeaders);
  req.complete = true;
  if (body.length) req.push(body);
  req.push(null);
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.on('finish', () => {
    res.detachSocket(socket as Socket);
    socket.end(() => socket.destroy());
  });
  server.emit('request', req, res);
}
