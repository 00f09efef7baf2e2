/**
 * Methods node's HTTP parser refuses (llhttp knows a fixed list: TRACK, BREW, lower-case `get`...)
 * still reach Apache's answer: Apache parses any token as a method and lets the rules decide
 * (Magento's `RewriteCond %{REQUEST_METHOD} ^TRAC[EK]` → 405), else its default handler says 501.
 * `answerClientErrors` hands such a request here: its head (already received, in the parser
 * error's `rawPacket`) becomes an IncomingMessage dispatched to the server's own `request`
 * listeners, on the same socket, closed after the answer. Only a complete head without a body is
 * taken; anything else stays a 400.
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
}

/** The request line and fields of a complete head without a body, or undefined. */
export function parseHead(raw: Buffer): Head | undefined {
  const text = raw.subarray(0, MAX_HEAD).toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0 || end + 4 !== raw.length) return undefined;
  const [requestLine, ...fields] = text.slice(0, end).split('\r\n');
  const m = /^(\S+) (\S+) HTTP\/1\.([01])$/.exec(requestLine ?? '');
  if (!m || !TOKEN.test(m[1]!) || !/^[\x21-\x7e]+$/.test(m[2]!)) return undefined;
  const rawHeaders: string[] = [];
  for (const field of fields) {
    const colon = field.indexOf(':');
    const name = field.slice(0, colon);
    const value = field.slice(colon + 1).trim();
    if (colon <= 0 || !TOKEN.test(name) || /[\x00-\x08\x0a-\x1f\x7f]/.test(value)) return undefined;
    rawHeaders.push(name, value);
  }
  const body = rawHeaders.some(
    (v, i) =>
      i % 2 === 0 &&
      (v.toLowerCase() === 'transfer-encoding' ||
        (v.toLowerCase() === 'content-length' && rawHeaders[i + 1] !== '0')),
  );
  if (body) return undefined;
  return { method: m[1]!, url: m[2]!, minor: Number(m[3]), rawHeaders };
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
  if (dispatched.has(socket)) {
    // more bytes after the dispatched head (pipelining): node's parser already failed on them
    socket.destroy();
    return true;
  }
  if (err.code !== 'HPE_INVALID_METHOD' || !err.rawPacket || server.listenerCount('request') === 0)
    return false;
  const head = parseHead(err.rawPacket);
  if (!head) return false;
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
  req.push(null);
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.on('finish', () => {
    res.detachSocket(socket as Socket);
    socket.end(() => socket.destroy());
  });
  server.emit('request', req, res);
  return true;
}
