/**
 * `modrewrite serve --root DIR [--config FILE] [--port N] ...`: site() on node:http, the way an
 * Apache vhost with `AllowOverride All` serves a document root.
 * `modrewrite lint FILE...`: load errors and the usual mistakes, positioned (logic in cli/lint.ts).
 * Flags, help texts and exit codes are declared in cli/args.ts.
 */
import { readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { RewriteError } from './errors.js';
import { answerSafely, sendFailure, sendStatus } from './http/respond.js';
import { answerClientErrors, refuseLongRequestLine } from './site/client-error.js';
import { site, siteReleasesOnClose, type SiteOptions } from './site/site.js';
import { APACHE_FAULT_STATUS, DEFAULT_FAULT_STATUS } from './proxy/faults.js';
import { loopbackOnlyLookup } from './proxy/lookup.js';
import { proxy } from './proxy/proxy.js';
import { playground } from './cli/playground.js';
import { testCommand, useColor } from './cli/test-command.js';
import { onceListening, serveCluster, startServing, stoppableServer } from './cli/serve-cluster.js';
import type { Drainable } from './cli/serve-drain.js';
import { reloadable, type Reloadable } from './cli/serve-reload.js';
import {
  commandHelp,
  findCommand,
  mainHelp,
  nearest,
  parseCommand,
  PLAYGROUND,
  SERVE,
  TEST,
  UsageError,
  type Parsed,
} from './cli/args.js';
import { lintCommand } from './cli/lint.js';

export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** The environment refuses (a missing --root, a port in use): exit code 1, a one-line message. */
class CliFailure extends Error {}

/**
 * A line for stdout or stderr. A reader that went away (`modrewrite serve | head`, a closed pipe)
 * must not take the server down: the line is dropped, never thrown (issue 9, item 5).
 */
function writeLine(stream: NodeJS.WriteStream, line: string): void {
  if (!stream.writable || stream.destroyed) return;
  stream.write(line + '\n');
}

const stdio: CliIo = {
  out: (l) => writeLine(process.stdout, l),
  err: (l) => writeLine(process.stderr, l),
};

/**
 * EPIPE and friends on stdout/stderr arrive as 'error' events: without a listener they kill the
 * process.
 */
function ignoreBrokenStdio(): void {
  for (const stream of [process.stdout, process.stderr]) {
    if (!stream.listeners('error').includes(dropStreamError)) stream.on('error', dropStreamError);
  }
}

function dropStreamError(): void {
  // the stream is destroyed by now; writeLine() skips it from here on
}

/** Runs the CLI; resolves the exit code, or the listening server for `serve`. */
export async function main(
  argv: readonly string[],
  io: CliIo = stdio,
): Promise<number | http.Server> {
  if (io === stdio) ignoreBrokenStdio();
  const [first, ...rest] = argv;
  try {
    if (first === undefined) {
      io.err(mainHelp());
      return 2;
    }
    if (first === '--help' || first === '-h' || first === 'help') {
      io.out(rest[0] === undefined ? mainHelp() : commandHelp(findCommand(rest[0])));
      return 0;
    }
    if (first === '--version' || first === '-v') {
      io.out(`modrewrite ${packageVersion()}`);
      return 0;
    }
    if (first.startsWith('-')) {
      const guess = nearest(first.replace(/=.*$/, ''), ['--help', '--version']);
      throw new UsageError(`unknown flag '${first}'${guess ? `; did you mean '${guess}'?` : ''}`);
    }
    const spec = findCommand(first);
    const parsed = parseCommand(spec, rest);
    if (parsed.values.help === true) {
      io.out(commandHelp(spec));
      return 0;
    }
    if (spec === SERVE) return await serve(parsed, io);
    if (spec === PLAYGROUND) return await playground(parsed, io.out);
    if (spec === TEST) return await testCommand(parsed, io, io === stdio && useColor());
    return await lintCommand(parsed, io, packageVersion());
  } catch (err) {
    return report(err, io);
  }
}

/** One message on stderr and the exit code (see EXIT_CODES in cli/args.ts). */
function report(err: unknown, io: CliIo): number {
  if (err instanceof UsageError) {
    io.err(`modrewrite: ${err.message}`);
    io.err(`Run 'modrewrite ${err.command ? `${err.command} ` : ''}--help' for usage.`);
    return 2;
  }
  if (err instanceof RewriteError) {
    io.err(err.message);
    return 1;
  }
  io.err(`modrewrite: ${(err as Error).message}`);
  return 1;
}

/** The version in the package.json next to this file's package (lib/ or dist/<format>/). */
function packageVersion(): string {
  let dir = typeof __dirname === 'string' ? __dirname : process.cwd();
  for (let up = 0; up < 4; up++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'modrewrite' && pkg.version) return pkg.version;
    } catch {
      // no package.json here (or dist/<format>/package.json without a name): look further up
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

const text = (p: Parsed, name: string): string | undefined => p.values[name] as string | undefined;
const list = (p: Parsed, name: string): string[] | undefined =>
  p.values[name] as string[] | undefined;
const flag = (p: Parsed, name: string): boolean => p.values[name] === true;

/**
 * The folder `--root` names, or a CliFailure (Apache refuses a missing DocumentRoot at start too:
 * AH00526).
 */
function documentRoot(given: string): string {
  const root = resolve(given);
  let isFolder: boolean;
  try {
    isFolder = statSync(root).isDirectory();
  } catch {
    throw new CliFailure(`--root folder not found: ${root}`);
  }
  if (!isFolder) throw new CliFailure(`--root is not a folder: ${root}`);
  return root;
}

function checkServeValues(p: Parsed): number {
  // without --root, the config's main-server DocumentRoot (site() refuses a config without one)
  if (!text(p, 'root') && !text(p, 'config'))
    throw new UsageError(
      'serve needs --root DIR (the folder to serve), or a --config FILE with a DocumentRoot',
      'serve',
    );
  const port = Number(text(p, 'port'));
  if (!/^\d+$/.test(text(p, 'port') ?? '') || port > 65535)
    throw new UsageError(`--port must be 0..65535, got '${text(p, 'port')}'`, 'serve');
  const status = text(p, 'proxy-status');
  if (status !== 'apache' && status !== 'seed')
    throw new UsageError(`--proxy-status must be apache or seed, got '${status}'`, 'serve');
  return port;
}

/** `--map-timeout MS`: undefined (site()'s default) or a positive number of milliseconds. */
function mapTimeoutValue(p: Parsed): number | undefined {
  const given = text(p, 'map-timeout');
  if (given === undefined) return undefined;
  const ms = Number(given);
  if (!(ms > 0))
    throw new UsageError(
      `--map-timeout must be a positive number of milliseconds, got '${given}'`,
      'serve',
    );
  return ms;
}

/** `--vhost-port N`: undefined (the listening port) or a TCP port number. */
function vhostPortValue(p: Parsed): number | undefined {
  const given = text(p, 'vhost-port');
  if (given === undefined) return undefined;
  if (!/^\d{1,5}$/.test(given) || Number(given) > 65535)
    throw new UsageError(`--vhost-port must be a port number, got '${given}'`, 'serve');
  return Number(given);
}

/** `serve`: a cluster primary (--workers), or this process serves (cli/serve-cluster.ts). */
async function serve(p: Parsed, io: CliIo): Promise<http.Server | number> {
  checkServeValues(p);
  mapTimeoutValue(p);
  vhostPortValue(p);
  const given = text(p, 'root');
  const config = text(p, 'config');
  const root = given ? documentRoot(given) : `the DocumentRoot of ${resolve(config!)}`;
  const banner = (host: string, port: number): string =>
    `modrewrite: serving ${root}${config && given ? ` with ${resolve(config)}` : ''} on http://${host}:${port}/`;
  return serveCluster(p, io, banner) ?? startServing(() => serveHere(p, io, banner));
}

async function serveHere(
  p: Parsed,
  io: CliIo,
  banner: (host: string, port: number) => string,
): Promise<http.Server> {
  const port = checkServeValues(p);
  const px = serveProxy(p, io);
  let handler: Reloadable;
  try {
    // (SIGHUP calls site() again with these options)
    handler = reloadable<SiteOptions>(site, serveSiteOptions(p, io, px), siteReleasesOnClose);
  } catch (err) {
    await px.close();
    throw err;
  }
  const { server, drain } = serveServer(p, io, handler);
  server.once('close', () => {
    void px.close();
    handler.close();
  });
  await listen(server, port, text(p, 'host')!, px);
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  onceListening(server, banner(host, addr.port), drain, handler, io);
  return server;
}

/**
 * [P] as Apache's mod_proxy does it by default: its fault statuses, inbound X-Forwarded-* kept
 * and appended to, no ProxyPassReverse unless asked.
 */
function serveProxy(p: Parsed, io: CliIo): ReturnType<typeof proxy> {
  return proxy({
    faultStatus: text(p, 'proxy-status') === 'apache' ? APACHE_FAULT_STATUS : DEFAULT_FAULT_STATUS,
    serverName: text(p, 'server-name'),
    trustProxy: true,
    reverse: flag(p, 'proxy-reverse'),
    lookup: flag(p, 'no-dns') ? loopbackOnlyLookup : undefined,
    // proxy faults go to the error log (stderr), like Apache's [proxy:error] lines
    log: (line) => io.err(line),
  });
}

/** site()'s options from serve's flags. */
function serveSiteOptions(p: Parsed, io: CliIo, px: SiteOptions['proxy']): SiteOptions {
  const config = text(p, 'config');
  return {
    root: text(p, 'root') === undefined ? undefined : documentRoot(text(p, 'root')!),
    // relative map paths in the config resolve against the config file's folder ({ file } does
    // that)
    config: config ? { file: resolve(config) } : undefined,
    serverName: text(p, 'server-name'),
    allowedRoots: list(p, 'allow-root'),
    directorySlash: !flag(p, 'no-directory-slash'),
    fileCache: !flag(p, 'no-file-cache'),
    // Apache serves /.env and /.git/config unless a <Files> or rewrite rule denies them; serve
    // runs a document root as Apache does (site()'s own default hides them, like express.static)
    dotfiles: !flag(p, 'hide-dotfiles'),
    directoryIndex: list(p, 'index'),
    defines: list(p, 'define'),
    fallthrough: false,
    debugHeaders: flag(p, 'debug-headers'),
    trace: flag(p, 'trace') ? (line) => io.out(`  trace: ${line}`) : false,
    log: (m) => io.err(m),
    proxy: px,
    mapTimeout: mapTimeoutValue(p),
    vhostPort: vhostPortValue(p),
  };
}

/** The node:http server: the access log, the drain on SIGTERM, 404 when site() declines. */
function serveServer(
  p: Parsed,
  io: CliIo,
  handler: Reloadable,
): { server: http.Server; drain: Drainable } {
  const quiet = flag(p, 'quiet');
  const { server, drain } = stoppableServer((req, res) => {
    if (!quiet) logWhenDone(req, res, io);
    const done = (err?: unknown): void => {
      if (err) sendFailure(req, res, err);
      else if (!res.headersSent) sendStatus(req, res, 404);
    };
    if (refuseLongRequestLine(req, res)) return;
    answerSafely(res, done, () => handler.handle(req, res, done));
  }, p);
  answerClientErrors(server);
  server.on('upgrade', (req, socket, head) => handler.upgrade(req, socket, head));
  return { server, drain };
}

/** listen(), with a busy or forbidden port as a one-line CliFailure (and nothing left running). */
async function listen(
  server: http.Server,
  port: number,
  host: string,
  px: { close(): Promise<void> },
): Promise<void> {
  try {
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(port, host, () => {
        server.off('error', fail);
        ok();
      });
    });
  } catch (err) {
    await px.close();
    const code = (err as NodeJS.ErrnoException).code;
    const where = `${host}:${port}`;
    if (code === 'EADDRINUSE')
      throw new CliFailure(
        `cannot listen on ${where}: the port is already in use (try another --port)`,
      );
    if (code === 'EACCES')
      throw new CliFailure(
        `cannot listen on ${where}: permission denied (ports below 1024 need privileges)`,
      );
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
      throw new CliFailure(`cannot listen on ${where}: no such local address (--host)`);
    throw new CliFailure(`cannot listen on ${where}: ${(err as Error).message}`);
  }
}

/**
 * The access-log line, Apache's common-log order. Written from 'finish', when the client may be
 * long gone: every field tolerates a missing socket, and a failing write is dropped — a logging
 * path never takes the server down.
 */
function logWhenDone(req: http.IncomingMessage, res: http.ServerResponse, io: CliIo): void {
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    try {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const peer = (req.socket as typeof req.socket | null | undefined)?.remoteAddress ?? '-';
      io.out(
        `${peer} "${req.method} ${req.url} HTTP/${req.httpVersion}" ${res.statusCode} ${res.getHeader('Content-Length') ?? '-'} ${ms.toFixed(1)}ms`,
      );
    } catch {
      // nothing to do: the line is lost, the server stays up
    }
  });
}
