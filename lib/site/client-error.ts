/**
 * Requests node:http cannot parse (a space in the request-target, a bad header) never reach a
 * middleware; node answers them with a bare 400. `answerClientErrors(server)` makes that answer
 * Apache's 400 page (431 for oversized headers, 408 for a header timeout) and closes the socket.
 */
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { cannedMessage, errorPage } from '../http/respond.js';
import { dispatchUnknownMethod } from './unknown-method.js';

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
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    // a method node's parser does not know (TRACK): the rules still decide, as in Apache
    if (dispatchUnknownMethod(server, err, socket)) return;
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
    // end() alone leaves a slow client's descriptor open until it reads and closes: destroy once written
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/html; charset=iso-8859-1\r\nContent-Length: ${Buffer.byteLength(body, 'latin1')}\r\nConnection: close\r\n\r\n${body}`,
      'latin1',
      () => socket.destroy(),
    );
    // a client that never reads would keep the write pending: do not wait for it forever
    setTimeout(() => socket.destroy(), CLIENT_ERROR_LINGER_MS).unref();
  });
  return server;
}
