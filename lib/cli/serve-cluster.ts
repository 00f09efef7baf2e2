/**
 * What `modrewrite serve` does with its signals and `--workers`, kept out of cli.ts: the choice
 * between a cluster primary, a cluster worker and a single process, and the signal handling of a
 * process that serves (SIGHUP reload, SIGTERM/SIGINT drain).
 */
import type http from 'node:http';
import { RewriteError } from '../errors.js';
import { SERVE, type Parsed } from './args.js';
import {
  argsOf,
  drainTimeout,
  isServeWorker,
  joinAsWorker,
  leaveAfterFailure,
  runPrimary,
  workerCount,
} from './cluster.js';
import { drainableServer, type Drainable } from './serve-drain.js';
import type { Reloadable } from './serve-reload.js';

export interface ServeIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** The startup line for an address (`host` already bracketed for IPv6). */
export type Banner = (host: string, port: number) => string;

/**
 * The cluster primary's run when `--workers` asks for more than one process (its promise resolves
 * the exit code after SIGTERM/SIGINT), else undefined: this process serves itself.
 */
export function serveCluster(p: Parsed, io: ServeIo, banner: Banner): Promise<number> | undefined {
  const workers = workerCount(p.values.workers as string | undefined);
  const drainTimeoutMs = drainTimeout(p.values['drain-timeout'] as string | undefined);
  if (workers === 1 || isServeWorker()) return undefined;
  return runPrimary({
    workers,
    drainTimeoutMs,
    args: argsOf(SERVE, p),
    banner: (a) =>
      `${banner(a.addressType === 6 ? `[${a.address}]` : String(a.address), a.port)} (${workers} workers)`,
    out: io.out,
    err: io.err,
  });
}

/** Runs a serving process's start; in a cluster worker a failed start also ends the worker. */
export async function startServing(start: () => Promise<http.Server>): Promise<http.Server> {
  try {
    return await start();
  } catch (err) {
    if (isServeWorker()) leaveAfterFailure();
    throw err;
  }
}

/** serve's http.Server for `listener`, drainable within `--drain-timeout`. */
export function stoppableServer(
  listener: http.RequestListener,
  p: Parsed,
): { server: http.Server; drain: Drainable } {
  return drainableServer(listener, drainTimeout(p.values['drain-timeout'] as string | undefined));
}

/**
 * After listen: the startup line, and the signals. A single process drains on SIGTERM/SIGINT and
 * reloads on SIGHUP; a cluster worker leaves both to its primary (cluster.ts).
 */
export function onceListening(
  server: http.Server,
  line: string,
  stop: Drainable,
  site: Reloadable,
  io: ServeIo,
): void {
  if (isServeWorker()) {
    joinAsWorker((idle) => stop.drain(idle));
    return;
  }
  // the process ends: nobody would answer a next request on an idle connection
  const drain = (): void => void stop.drain('close');
  const reload = (): void => reloadInPlace(site, io);
  process.once('SIGINT', drain);
  process.once('SIGTERM', drain);
  process.on('SIGHUP', reload);
  server.once('close', () => {
    process.off('SIGINT', drain);
    process.off('SIGTERM', drain);
    process.off('SIGHUP', reload);
  });
  // last: a reader of the startup line may signal at once
  io.out(line);
}

/** SIGHUP in a single process: load again; on failure say why (positioned) and keep serving. */
function reloadInPlace(site: Reloadable, io: ServeIo): void {
  try {
    site.reload();
    io.err('modrewrite: SIGHUP: configuration reloaded');
  } catch (err) {
    io.err(err instanceof RewriteError ? err.message : `modrewrite: ${(err as Error).message}`);
    io.err('modrewrite: SIGHUP: reload failed; still serving the previous configuration');
  }
}
