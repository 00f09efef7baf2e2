/**
 * `modrewrite serve --root DIR [--config FILE] [--port N] [--host H] [--trace]`: site() on
 * node:http, the way an Apache vhost with `AllowOverride All` serves a document root.
 * `modrewrite lint FILE...`: compiles rule files and reports every problem with file:line:column.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { compileText } from './compile/compile.js';
import { RewriteError } from './errors.js';
import { sendStatus } from './http/respond.js';
import { answerClientErrors } from './site/client-error.js';
import { site } from './site/site.js';
import { APACHE_FAULT_STATUS, DEFAULT_FAULT_STATUS } from './proxy/faults.js';
import { loopbackOnlyLookup } from './proxy/lookup.js';
import { proxy } from './proxy/proxy.js';



const USAGE = `usage:
  modrewrite serve --root DIR [--config FILE] [--port N] [--host 127.0.0.1] [--server-name NAME]
                   [--no-directory-slash] [--index NAME]... [--allow-root DIR]...
                   [--proxy-status apache|seed] [--proxy-reverse] [--no-dns] [--trace] [--debug-headers] [--quiet]
  modrewrite lint [--context server|directory] FILE...`;

export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

const stdio: CliIo = { out: (l) => process.stdout.write(l + '\n'), err: (l) => process.stderr.write(l + '\n') };

/** Runs the CLI; resolves the exit code, or the listening server for `serve`. */
export async function main(argv: readonly string[], io: CliIo = stdio): Promise<number | http.Server> {
  const [command, ...rest] = argv;
  try {
    if (command === 'serve') return await serve(rest, io);
    if (command === 'lint') return lint(rest, io);
    io.err(command === undefined || command === '--help' || command === 'help' ? USAGE : `modrewrite: unknown command '${command}'\n${USAGE}`);
    return command === undefined || command === '--help' || command === 'help' ? 0 : 2;
  } catch (err) {
    io.err(err instanceof RewriteError ? err.message : `modrewrite: ${(err as Error).message}`);
    return err instanceof RewriteError ? 1 : 2;
  }
}

async function serve(args: readonly string[], io: CliIo): Promise<http.Server> {
  const { values } = parseArgs({
    args: [...args], strict: true,
    options: {
      root: { type: 'string' }, config: { type: 'string' }, port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' },
      'server-name': { type: 'string' }, trace: { type: 'boolean', default: false }, 'debug-headers': { type: 'boolean', default: false },
      'no-directory-slash': { type: 'boolean', default: false }, 'no-dns': { type: 'boolean', default: false },
      'proxy-reverse': { type: 'boolean', default: false }, 'proxy-status': { type: 'string', default: 'apache' }, 'allow-root': { type: 'string', multiple: true }, index: { type: 'string', multiple: true }, quiet: { type: 'boolean', default: false },
    },
  });
  if (!values.root) throw new Error(`--root is required\n${USAGE}`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got '${values.port}'`);
  const root = resolve(values.root);
  if (values['proxy-status'] !== 'apache' && values['proxy-status'] !== 'seed') throw new Error(`--proxy-status must be apache or seed, got '${values['proxy-status']}'`);
  // [P] as Apache's mod_proxy does it by default: its fault statuses, inbound X-Forwarded-* kept
  // and appended to, no ProxyPassReverse unless asked
  const p = proxy({
    faultStatus: values['proxy-status'] === 'apache' ? APACHE_FAULT_STATUS : DEFAULT_FAULT_STATUS, serverName: values['server-name'],
    trustProxy: true, reverse: values['proxy-reverse'], lookup: values['no-dns'] ? loopbackOnlyLookup : undefined,
    // proxy faults go to the error log (stderr), like Apache's [proxy:error] lines
    log: (line) => io.err(line),
  });
  // relative map paths in the config resolve against the config file's folder ({ file } does that)
  const handler = site({
    root, config: values.config ? { file: resolve(values.config) } : undefined, serverName: values['server-name'],
    allowedRoots: values['allow-root'], directorySlash: !values['no-directory-slash'], directoryIndex: values.index, fallthrough: false, debugHeaders: values['debug-headers'],
    trace: values.trace ? (line) => io.out(`  trace: ${line}`) : false,
    log: (m) => io.err(m), proxy: p,
  });
  const server = answerClientErrors(http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    if (!values.quiet) {
      res.on('finish', () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        io.out(`${req.socket.remoteAddress ?? '-'} "${req.method} ${req.url} HTTP/${req.httpVersion}" ${res.statusCode} ${res.getHeader('Content-Length') ?? '-'} ${ms.toFixed(1)}ms`);
      });
    }
    handler(req, res, (err?: unknown) => { if (!res.headersSent) sendStatus(req, res, err ? (err as { status?: number }).status ?? 500 : 404); });
  }));
  server.on('upgrade', (req, socket, head) => handler.upgrade(req, socket, head));
  server.once('close', () => { void p.close(); });
  await new Promise<void>((ok, fail) => { server.once('error', fail); server.listen(port, values.host, () => ok()); });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  io.out(`modrewrite: serving ${root}${values.config ? ` with ${resolve(values.config)}` : ''} on http://${host}:${addr.port}/`);
  const stop = (): void => { server.close(); server.closeAllConnections(); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  server.once('close', () => { process.off('SIGINT', stop); process.off('SIGTERM', stop); });
  return server;
}

function lint(args: readonly string[], io: CliIo): number {
  const { values, positionals } = parseArgs({ args: [...args], strict: true, allowPositionals: true, options: { context: { type: 'string', default: 'server' } } });
  if (!positionals.length) throw new Error(`lint needs at least one file\n${USAGE}`);
  const context = values.context === 'directory' ? 'directory' : 'server';
  let failed = 0;
  for (const f of positionals) {
    const file = resolve(f);
    // an .htaccess is per-directory whatever --context says
    const ctx = /(^|\/)\.htaccess$/.test(file) ? 'directory' : context;
    try {
      const rs = compileText(readFileSync(file, 'utf8'), { context: ctx, file });
      io.out(`${f}: ok (${rs.rules.length} rules, ${ctx} context)`);
    } catch (err) {
      failed++;
      io.err(err instanceof RewriteError ? err.message : `${f}: ${(err as Error).message}`);
    }
  }
  return failed ? 1 : 0;
}
