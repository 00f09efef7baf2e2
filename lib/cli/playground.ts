/**
 * `modrewrite playground [--port N] [--host ADDR]`: serves the built playground (playground/dist:
 * a static page with the engine bundled for the browser) on loopback with node:http. The page
 * runs everything itself; this server only hands out its few files.
 */
import { readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { UsageError, type Parsed } from './args.js';

/** The types of the files the built page holds; any other file is not served. */
const TYPES = new Map<string, string>([
  ['.html', 'text/html; charset=utf-8'],
  ['.css', 'text/css; charset=utf-8'],
  ['.js', 'text/javascript; charset=utf-8'],
  ['.png', 'image/png'],
  ['.svg', 'image/svg+xml'],
]);

/** The page needs nothing from elsewhere: its scripts, styles and requests stay on this origin. */
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

/** The folder of the built page: `playground/dist` of the modrewrite package this file is in. */
export function playgroundDir(): string {
  let dir = typeof __dirname === 'string' ? __dirname : process.cwd();
  for (let up = 0; up < 5; up++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'modrewrite') return join(dir, 'playground', 'dist');
    } catch {
      // no package.json here (or dist/<format>/package.json without a name): look further up
    }
    dir = dirname(dir);
  }
  return resolve('playground', 'dist');
}

/**
 * The file a URL-path names inside `root`, or undefined (outside it, a folder, an unknown type).
 */
function fileFor(root: string, url: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(new URL(url, 'http://playground').pathname);
  } catch {
    return undefined;
  }
  if (path.includes('\0')) return undefined;
  const file = resolve(root, '.' + (path.endsWith('/') ? path + 'index.html' : path));
  if (!file.startsWith(root + sep)) return undefined;
  if (!TYPES.has(extname(file))) return undefined;
  try {
    return statSync(file).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

function answer(root: string, req: http.IncomingMessage, res: http.ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' });
    res.end('method not allowed\n');
    return;
  }
  const file = fileFor(root, req.url ?? '/');
  if (!file) {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found\n');
    return;
  }
  const body = readFileSync(file);
  res.writeHead(200, { 'Content-Type': TYPES.get(extname(file)), 'Content-Length': body.length });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function portValue(p: Parsed): number {
  const given = p.values.port as string;
  const port = Number(given);
  if (!/^\d+$/.test(given) || port > 65535)
    throw new UsageError(`--port must be 0..65535, got '${given}'`, 'playground');
  return port;
}

/** Starts the server; resolves it once it listens (the address is printed on `out`). */
export async function playground(p: Parsed, out: (line: string) => void): Promise<http.Server> {
  const port = portValue(p);
  const host = p.values.host as string;
  const root = playgroundDir();
  if (!statSync(join(root, 'index.html'), { throwIfNoEntry: false })?.isFile())
    throw new Error(`the playground is not built (${root}); run \`npm run build:playground\``);
  const server = http.createServer((req, res) => answer(root, req, res));
  await new Promise<void>((ok, fail) => {
    server.once('error', (err) =>
      fail(new Error(`cannot listen on ${host}:${port}: ${err.message}`)),
    );
    server.listen(port, host, () => ok());
  });
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  out(
    `modrewrite: playground on http://${shown}:${addr.port}/ (the folder ${root} can be hosted as is)`,
  );
  const stop = (): void => {
    server.close();
    server.closeAllConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  server.once('close', () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  });
  return server;
}
