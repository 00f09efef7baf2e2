/**
 * Upgrade requests (WebSocket handshakes) never reach an Express middleware: `rewrite()` also
 * returns `.upgrade(req, socket, head, next?)` for `server.on('upgrade', …)`. The rules decide as
 * for any request: `[P]` goes to `options.proxy.upgrade` (see `proxy()`), a redirect or status is
 * answered on the socket, anything else goes to `next` (your own WebSocket server) or is a 404.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Evaluation } from '../engine/outcome.js';
import { invalidHost, parseTarget } from '../engine/request.js';
import { isValidHeaderValue, STATUS_TEXT } from './respond.js';
import type { ProxyRequest } from './types.js';

export type UpgradeListener = (
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  next?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void,
) => void;

export interface UpgradeCapable {
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer, hand: ProxyRequest): void;
}

/**
 * Answers an upgrade request on its raw socket with a bodiless status (and, for a redirect, its
 * Location), then closes.
 */
export function refuse(socket: Duplex, status: number, location?: string): void {
  // a Location no header may carry (a CR/LF from a capture) is Apache's 500 (AH02430), never
  // written
  if (location !== undefined && !isValidHeaderValue(location)) {
    refuse(socket, 500);
    return;
  }
  const extra = location ? `Location: ${location}\r\n` : '';
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n${extra}Connection: close\r\nContent-Length: 0\r\n\r\n`,
  );
}

export function upgradeHandler(
  evaluate: (
    req: IncomingMessage,
    uri: string,
    args: string | null,
  ) => Evaluation | Promise<Evaluation>,
  proxy: UpgradeCapable | undefined,
): UpgradeListener {
  return (req, socket, head, next) => {
    const parsed = parseTarget(req.url ?? '/');
    if (parsed.type === 'refused') {
      refuse(socket, parsed.status);
      return;
    }
    const decide = (ev: Evaluation): void => {
      const o = ev.outcome;
      if (o.type === 'proxy') {
        if (proxy?.upgrade)
          proxy.upgrade(
            req,
            socket,
            head,
            o.self
              ? { target: o.target, noCanon: o.noCanon, self: true }
              : { target: o.target, noCanon: o.noCanon },
          );
        else refuse(socket, 403);
        return;
      }
      if (o.type === 'redirect') {
        // an invalid Host is never reflected into a Location: 400, as Apache
        if (invalidHost(req.headers)) refuse(socket, 400);
        else refuse(socket, o.status, o.location);
        return;
      }
      if (o.type === 'status') {
        refuse(socket, o.status);
        return;
      }
      if (o.type === 'rewrite' || o.type === 'file') req.url = o.url;
      if (next) next(req, socket, head);
      else refuse(socket, 404);
    };
    let r: Evaluation | Promise<Evaluation>;
    try {
      r = evaluate(req, parsed.uri, parsed.args);
    } catch {
      refuse(socket, 500);
      return;
    }
    // nothing thrown while deciding may escape as an unhandled rejection
    if (r instanceof Promise)
      r.then(decide, () => refuse(socket, 500)).catch(() => socket.destroy());
    else decide(r);
  };
}
