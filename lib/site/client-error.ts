/**
 * Requests node:http cannot parse (a space in the request-target, a bad header) never reach a
 * middleware; node answers them with a bare 400. `answerClientErrors(server)` makes that answer
 * Apache's 400 page (431 for oversized headers, 408 for a header timeout) and closes the socket.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  cannedMessage,
  errorPage,
  escapeHtml,
  sendErrorText,
  sendStatus,
} from '../http/respond.js';
import { dispatchConnect, dispatchUnknownMethod } from './unknown-method.js';

/**
 * core's LimitRequestLine (8190 by default): Apache reads the request line into a buffer of the
 * limit + 2 bytes, so a line of 8192 bytes or more (CRLF not counted) is refused with 414 before
 * anything else looks at the request (recorded: `GET /a…a HTTP/1.1` of 8191 bytes is served,
 * 8192 is 414, one byte less of target with a longer method too).
 */
export const REQUEST_LINE_LIMIT = 8192;

/** Whether the request line (method, target, protocol) is one Apache refuses as too long. */
export function requestLineTooLong(method: string, target: string): boolean {
  // "METHOD SP target SP HTTP/1.x"
  return method.length + target.length + 10 >= REQUEST_LINE_LIMIT;
}

/**
 * Answers a request whose request line is too long with Apache's 414 page and closes the
 * connection (true), as Apache's read_request_line does; false for any other request.
 * @example
 * http.createServer((req, res) => refuseLongRequestLine(req, res) || app(req, res));
 */
export function refuseLongRequestLine(req: IncomingMessage, res: ServerResponse): boolean {
  if (!requestLineTooLong(req.method ?? 'GET', req.url ?? '/')) return false;
  res.shouldKeepAlive = false;
  sendStatus(req, res, 414);
  return true;
}

/**
 * Whether node refused a head as too large because of its request line (its first line, in
 * the packet node was parsing, is at Apache's limit or has no end there): 414, not 431.
 */
function overlongRequestLine(err: NodeJS.ErrnoException & { rawPacket?: Buffer }): boolean {
  const packet = err.rawPacket;
  if (err.code !== 'HPE_HEADER_OVERFLOW' || !packet) return false;
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+ /.test(packet.subarray(0, 32).toString('latin1')))
    return false;
  const end = packet.indexOf('\r\n');
  return end < 0 || end >= REQUEST_LINE_LIMIT;
}

/** How long a refused client may take to receive its error page before its socket is destroyed. */
export const CLIENT_ERROR_LINGER_MS = 1000;

/**
 * Makes node:http answer the requests it cannot parse with Apache's 400/431/408 page instead of a
 * bare 400, then closes the socket (at most `CLIENT_ERROR_LINGER_MS` later). Returns `server`.
 * @example
 * const server = answerClientErrors(http.createServer(app));
 * server.listen(8080);
 */
export function answerClientErrors(server: Server): Server {
  // node answers an Expect other than 100-continue with a bare 417, and drops a CONNECT
  server.on('checkExpectation', answerExpectationFailed);
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    if (isAuthority(req.url) && server.listenerCount('request') > 0)
      dispatchConnect(server, req, socket);
    else refuse(socket, 400, 'Bad Request', errorPage(400, cannedMessage(400, 'CONNECT')));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    // a method node's parser does not know (TRACK): the rules still decide, as in Apache
    if (dispatchUnknownMethod(server, err, socket)) return;
    if (overlongRequestLine(err)) {
      refuse(socket, 414, 'Request-URI Too Long', errorPage(414, cannedMessage(414, 'GET')));
      return;
    }
    const status =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? 431
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? 408
          : 400;
    // 431's page and reason phrase as Apache 2.4.71 sends them (recorded with [R=431])
    const body = errorPage(
      status,
      status === 431
        ? '<p>The server refused this request because\nthe request header fields are too large.</p>\n'
        : status === 408
          ? '<p>Server timeout waiting for the HTTP request from the client.</p>\n'
          : cannedMessage(400, 'GET'),
    );
    const reason =
      status === 431
        ? 'Request Header Fields Too Large'
        : status === 408
          ? 'Request Timeout'
          : 'Bad Request';
    refuse(socket, status, reason, body);
  });
  return server;
}

/**
 * Apache's 417 for an Expect other than 100-continue (http_protocol.c), answered as it reads the
 * request, before any configuration (recorded: no `.htaccess` header on it).
 */
function answerExpectationFailed(req: IncomingMessage, res: ServerResponse): void {
  const sent = escapeHtml(String(req.headers.expect ?? ''));
  const inner =
    '<p>The expectation given in the Expect request-header\nfield could not be met by this server.\n' +
    `The client sent<pre>\n    Expect: ${sent}\n</pre>\n</p><p>Only the 100-continue expectation is supported.</p>\n`;
  res.shouldKeepAlive = false;
  sendErrorText(req, res, 417, errorPage(417, inner));
}

/**
 * Whether a CONNECT target is authority-form (`host:443`): Apache without mod_proxy_connect runs
 * it as a request (unknown-method.ts dispatchConnect); any other target is a malformed request,
 * 400 (recorded from Apache 2.4.71). node hands CONNECT to 'connect' listeners only and, without
 * one, drops the connection.
 */
function isAuthority(target: string | undefined): boolean {
  return /^[^/]*:\d+$/.test(target ?? '');
}

/** Writes an error page on a socket node's parser gave up on, then closes it. */
function refuse(socket: Duplex, status: number, reason: string, body: string): void {
  // end() alone leaves a slow client's descriptor open until it reads and closes: destroy once
  // written
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/html; charset=iso-8859-1\r\nContent-Length: ${Buffer.byteLength(body, 'latin1')}\r\nConnection: close\r\n\r\n${body}`,
    'latin1',
    () => socket.destroy(),
  );
  // a client that never reads would keep the write pending: do not wait for it forever
  setTimeout(() => socket.destroy(), CLIENT_ERROR_LINGER_MS).unref();
}
