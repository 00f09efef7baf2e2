/**
 * A graceful stop for `modrewrite serve`'s http.Server (SIGTERM, and a cluster worker replaced by a
 * reload): stop accepting, let the requests in flight finish, close keep-alive connections as soon
 * as they are idle, and past a time limit destroy what is left. This is Apache's graceful-stop with
 * GracefulShutdownTimeout (`apachectl -k graceful-stop`), except that the limit has a default here:
 * a stop that never ends is worse for a process manager than a cut request.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';

/** How often idle keep-alive connections are swept while a drain waits for busy ones. */
const IDLE_SWEEP_MS = 100;

export interface Drainable {
  /** Call for every request: while draining, its response says `Connection: close`. */
  track(req: http.IncomingMessage, res: http.ServerResponse): void;
  /** Starts the drain (once; later calls return the same promise); resolves when the server closed. */
  drain(): Promise<void>;
  readonly draining: boolean;
}

/** Wraps `server` (before it listens) with the drain above; `timeoutMs` bounds the wait. */
export function drainable(server: http.Server, timeoutMs: number): Drainable {
  const busy = new Set<http.ServerResponse>();
  const upgraded = new Set<Duplex>();
  let stopping: Promise<void> | undefined;
  // a WebSocket (or other upgraded) connection is not the server's any more: we end it ourselves
  server.on('upgrade', (_req: http.IncomingMessage, socket: Duplex) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
  });
  const sweepSoon = (): void => {
    // after the response's 'close' the connection turns idle on the next turn of the loop
    if (stopping) setImmediate(() => server.closeIdleConnections());
  };
  return {
    get draining() {
      return stopping !== undefined;
    },
    track(_req, res) {
      busy.add(res);
      res.once('close', () => {
        busy.delete(res);
        sweepSoon();
      });
      if (stopping) askToClose(res);
    },
    drain() {
      stopping ??= new Promise<void>((done) => {
        server.close(() => done());
        for (const res of busy) askToClose(res);
        server.closeIdleConnections();
        const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
        // unref'd and never cleared: after the server closed it still ends upgraded sockets (they
        // do not hold server.close() back), and it keeps no process alive on its own
        const limit = setTimeout(() => {
          server.closeAllConnections();
          for (const socket of upgraded) socket.destroy();
        }, timeoutMs);
        limit.unref();
        server.once('close', () => clearInterval(sweep));
      });
      return stopping;
    },
  };
}

/** A response not yet started ends its connection: the client opens its next one elsewhere. */
function askToClose(res: http.ServerResponse): void {
  if (!res.headersSent) res.setHeader('Connection', 'close');
}
