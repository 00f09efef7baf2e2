/**
 * The site handler of a single-process `modrewrite serve`, replaceable in place: SIGHUP loads the
 * configuration again and, once that succeeded, new requests go to the new handler while the
 * requests already running finish on the old one, whose resources (prg: map programs) are released
 * when its last request ended. A configuration that fails to load leaves the old handler serving,
 * as `apachectl graceful` does with a config that fails its syntax check.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';

/** What `site()` returns, as far as serve uses it. */
export interface SiteHandler {
  (req: http.IncomingMessage, res: http.ServerResponse, done: (err?: unknown) => void): void;
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

interface Generation {
  readonly handler: SiteHandler;
  /** Whether its requests are counted: false when its close() has nothing to release. */
  readonly counted: boolean;
  running: number;
  retired: boolean;
}

export interface Reloadable {
  /** Runs `req` on the current handler. */
  handle(req: http.IncomingMessage, res: http.ServerResponse, done: (err?: unknown) => void): void;
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Loads a new handler; throws (and keeps the old one) when the load fails. */
  reload(): void;
  /** Releases every handler (the server closed). */
  close(): void;
}

/**
 * `create(options)` builds a handler from the files on disk (it throws a positioned RewriteError
 * when they are wrong); reload() calls it again with the same options. `releases(handler)` says
 * whether its close() releases anything: when not, its requests are not counted (a 'close'
 * listener per request was a visible share of serve's CPU under `[P]` load).
 */
export function reloadable<O>(
  create: (options: O) => SiteHandler,
  options: O,
  releases: (handler: SiteHandler) => boolean = () => true,
): Reloadable {
  const load = (): Generation => {
    const handler = create(options);
    return { handler, counted: releases(handler), running: 0, retired: false };
  };
  let current = load();
  const finish = (gen: Generation): void => {
    gen.running--;
    if (gen.retired && gen.running === 0) gen.handler.close();
  };
  return {
    handle(req, res, done) {
      const gen = current;
      if (gen.counted) {
        gen.running++;
        res.once('close', () => finish(gen));
      }
      gen.handler(req, res, done);
    },
    upgrade(req, socket, head) {
      current.handler.upgrade(req, socket, head);
    },
    reload() {
      const next = load();
      const old = current;
      current = next;
      old.retired = true;
      if (old.running === 0) old.handler.close();
    },
    close() {
      current.handler.close();
    },
  };
}
