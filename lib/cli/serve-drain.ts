/**
 * A graceful stop for `modrewrite serve`'s http.Server (SIGTERM, and a cluster worker replaced by a
 * reload): stop accepting, let the requests in flight finish (their responses say `Connection:
 * close`), and past a time limit destroy what is left. This is Apache's graceful-stop with
 * GracefulShutdownTimeout (`apachectl -k graceful-stop`), except that the limit has a default here:
 * a stop that never ends is worse for a process manager than a cut request.
 *
 * Idle keep-alive connections are the delicate part: closing one races with a client that is
 * sending its next request on it (the client sees ECONNRESET on a reused socket). So there are two
 * policies:
 * - 'close' (the process is going away, nobody would answer that next request anyway): close idle
 *   connections at once, and each busy one as soon as its response is done;
 * - 'keep' (a reload: other workers listen): leave idle connections alone; the next request on one
 *   is answered with `Connection: close`, and an unused one ends at the server's keepAliveTimeout,
 *   which clients know from the `Keep-Alive: timeout=N` header and close first (Node's agent and
 *   undici do). No request then meets a closing socket.
 */
import type http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';

/** How often idle keep-alive connections are swept while a 'close' drain waits for busy ones. */
const IDLE_SWEEP_MS = 100;

export type IdlePolicy = 'close' | 'keep';

export interface Drainable {
  /** Call for every request: while draining, its response says `Connection: close`. */
  track(req: http.IncomingMessage, res: http.ServerResponse): void;
  /**
   * Starts the drain, or turns a 'keep' drain into a 'close' one; resolves when the server closed
   * (every call returns the same promise).
   */
  drain(idle: IdlePolicy): Promise<void>;
}

/** Wraps `server` (before it listens) with the drain above; `timeoutMs` bounds the wait. */
export function drainable(server: http.Server, timeoutMs: number): Drainable {
  const busy = new Set<http.ServerResponse>();
  const upgraded = new Set<Duplex>();
  let stopping: Promise<void> | undefined;
  let sweep: NodeJS.Timeout | undefined;
  // a WebSocket (or other upgraded) connection is not the server's any more: we end it ourselves
  server.on('upgrade', (_req: http.IncomingMessage, socket: Duplex) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
  });
  server.once('close', () => clearInterval(sweep));
  const sweepSoon = (): void => {
    // after the response's 'close' the connection turns idle on the next turn of the loop
    if (sweep) setImmediate(() => server.closeIdleConnections());
  };
  const closeIdle = (): void => {
    if (sweep) return;
    server.closeIdleConnections();
    sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
  };
  return {
    track(_req, res) {
      busy.add(res);
      res.once('close', () => {
        busy.delete(res);
        sweepSoon();
      });
      if (stopping) askToClose(res);
    },
    drain(idle) {
      stopping ??= new Promise<void>((done) => {
        // net.Server's close: stop listening without http.Server's closeIdleConnections() ('keep')
        net.Server.prototype.close.call(server, () => done());
        for (const res of busy) askToClose(res);
        // unref'd and never cleared: after the server closed it still ends upgraded sockets (they
        // do not hold the server's close back), and it keeps no process alive on its own
        const limit = setTimeout(() => {
          server.closeAllConnections();
          for (const socket of upgraded) socket.destroy();
        }, timeoutMs);
        limit.unref();
      });
      if (idle === 'close') closeIdle();
      return stopping;
    },
  };
}

/** A response not yet started ends its connection: the client opens its next one elsewhere. */
function askToClose(res: http.ServerResponse): void {
  if (!res.headersSent) res.setHeader('Connection', 'close');
}
