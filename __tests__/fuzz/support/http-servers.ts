/**
 * The servers the request properties talk to, started inside a worker thread (so a request that
 * blocks the event loop is a timeout on the client side, not a stuck test):
 *
 * - `express`: Express 5 + `rewrite(SERVER_RULES)` with maps (int:, sync and async functions),
 *   handlers, and `proxy()` for [P];
 * - `site`: node:http + `site()` over a real temporary document root with `.htaccess` files;
 * - `gen-express` and `gen-site`: the same with a generated rule text (setGenerated), as rewrite()'s
 *   rules and as the `.htaccess` of a fresh folder of the document root;
 * - a loopback backend for [P] (answers, or resets when the path says `reset`), a port nobody
 *   listens on (refused), and a canary service the rules never name: reaching it is SSRF.
 *
 * Every request carries `x-fuzz-id`; what happened to it (the error passed to `next(err)`, the
 * site's 5xx log lines) is kept per id, and every uncaught exception or unhandled rejection of the
 * thread is recorded, for the client to collect after each answer (`collect`).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import {
  answerClientErrors,
  loopbackOnlyLookup,
  proxy,
  rewrite,
  RewriteError,
  site,
} from '../../../lib/index';
import { deadPort } from '../../helpers/ports';

/** Read by the property to tell a leak: a file outside the document root. */
export const SECRET_MARKER = 'FUZZ-SECRET-7c1e';
/** Sent by the canary service: a response carrying it went where no rule points. */
export const CANARY_HEADER = 'x-fuzz-canary';

/** The server-context rules of both servers (BACKEND, DEAD and ROOT are filled in at start). */
export const SERVER_RULES = readFileSync(join(__dirname, 'server-rules.conf'), 'utf8');
/** The `.htaccess` of the document root's `sub/` folder (directory context). */
export const SUB_HTACCESS = readFileSync(join(__dirname, 'sub.htaccess'), 'utf8');

/** What the server saw of one request. */
export interface RequestRecord {
  /** The error passed to `next(err)`, if any: name, code, status, message. */
  error?: { name: string; code?: string; status?: number; message: string; ours: boolean };
  /** The site's log lines (5xx it answered itself, broken .htaccess). */
  logs: string[];
  /** A proxy fault answered through the error document: its kind and status. */
  fault?: { kind: string; status: number; message: string };
}

export interface Collected {
  readonly record?: RequestRecord;
  /** Uncaught exceptions and unhandled rejections since the last collect (filled in by the client). */
  readonly crashes: readonly string[];
}

/** What became of a generated rule text: its folder under the document root, and whether rewrite() took it. */
export interface Generated {
  readonly folder: string;
  readonly compiled: boolean;
  /** rewrite() threw something other than a RewriteError. */
  readonly error?: string;
}

export interface Servers {
  readonly ports: {
    express: number;
    site: number;
    'gen-express': number;
    'gen-site': number;
    canary: number;
  };
  setGenerated(text: string): Generated;
  collect(id: string): Collected;
  close(): Promise<void>;
}

/** The record of the request being handled: by request object, and (for the site's log, which has no request) by async context. */
const records = new WeakMap<http.IncomingMessage, RequestRecord>();
const store = new AsyncLocalStorage<RequestRecord>();

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

function describeError(err: unknown): NonNullable<RequestRecord['error']> {
  const e = err as {
    name?: string;
    code?: string;
    status?: number;
    message?: string;
    stack?: string;
  };
  return {
    name: String(e?.name ?? typeof err),
    code: e?.code,
    status: e?.status,
    message: String(e?.stack ?? e?.message ?? err).slice(0, 1500),
    ours: err instanceof RewriteError,
  };
}

/** A document root with files, folders, .htaccess files, a symlink out of it and a secret beside it. */
function makeDocumentRoot(base: string, backendPort: number): string {
  const root = join(base, 'www');
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(join(root, 'dir'), { recursive: true });
  writeFileSync(join(base, 'secret.txt'), `${SECRET_MARKER}\n`);
  mkdirSync(join(base, 'elsewhere'));
  writeFileSync(join(base, 'elsewhere', 'secret.txt'), `${SECRET_MARKER}\n`);
  writeFileSync(join(root, 'index.html'), '<p>index</p>\n');
  writeFileSync(join(root, 'a.txt'), 'a\n');
  writeFileSync(join(root, '.hidden'), 'hidden\n');
  writeFileSync(join(root, '.htpasswd'), 'user:x\n');
  writeFileSync(join(root, 'dir', 'file.html'), 'file\n');
  writeFileSync(join(root, 'sub', 'page.html'), 'page\n');
  writeFileSync(join(root, 'sub', 'index.html'), 'sub index\n');
  writeFileSync(
    join(root, 'sub', '.htaccess'),
    SUB_HTACCESS.replace(/BACKEND/g, String(backendPort)),
  );
  writeFileSync(
    join(root, '.htaccess'),
    'RewriteEngine on\nRewriteRule ^old/(.*)$ sub/$1 [R=301,L]\nRewriteRule ^x$ index.html [L]\n',
  );
  symlinkSync(join(base, 'elsewhere'), join(root, 'outside'));
  symlinkSync('.', join(root, 'loop'));
  return root;
}

function backendServer(): http.Server {
  return http.createServer((req, res) => {
    if ((req.url ?? '').includes('reset')) {
      req.socket.destroy();
      return;
    }
    req.resume();
    res.setHeader('x-backend', 'yes');
    res.end('backend\n');
  });
}

function canaryServer(): http.Server {
  return http.createServer((req, res) => {
    req.resume();
    res.setHeader(CANARY_HEADER, 'reached');
    res.end('canary\n');
  });
}

export async function startServers(onCrash: (what: string) => void): Promise<Servers> {
  const base = mkdtempSync(join(tmpdir(), 'modrewrite-fuzz-http-'));
  const byId = new Map<string, RequestRecord>();
  const crashed =
    (kind: string) =>
    (err: unknown): void => {
      onCrash(`${kind}: ${describeError(err).message}`);
    };
  process.on('uncaughtException', crashed('uncaughtException'));
  process.on('unhandledRejection', crashed('unhandledRejection'));

  const backend = backendServer();
  const canary = canaryServer();
  const backendPort = await listen(backend);
  const canaryPort = await listen(canary);
  const dead = await deadPort();
  const root = makeDocumentRoot(base, backendPort);
  const rules = SERVER_RULES.replace(/BACKEND/g, String(backendPort))
    .replace(/DEAD/g, String(dead))
    .replace(/ROOT/g, root);
  const toBackend = proxy({
    connectTimeout: 1000,
    headersTimeout: 2000,
    bodyTimeout: 2000,
    // traffic stays on loopback: a Host header or a generated rule naming a host is never looked up
    lookup: loopbackOnlyLookup,
    // the fault's kind is what makes a 5xx documented: record it, answer as Apache's page would
    errorDocument: (req, res, info) => {
      // undici's callbacks run outside the request's async context: find the record by request
      const record = records.get(req);
      if (record)
        record.fault = {
          kind: info.kind,
          status: info.status,
          message: `${info.target}: ${info.error.message}`,
        };
      res.statusCode = info.status;
      res.end(`proxy fault ${info.kind}\n`);
    },
  });
  const maps = {
    sync: (key: string) => key.toUpperCase(),
    async: async (key: string) => String(key.length),
  };
  const handlers = {
    'fuzz-handler': (_req: http.IncomingMessage, res: http.ServerResponse) => {
      res.end('handled\n');
    },
  };

  const fallthrough = (req: express.Request, res: express.Response): void => {
    res.status(200).end(`fallthrough ${req.url}\n`);
  };
  const errorHandler = (
    err: unknown,
    req: express.Request,
    res: express.Response,
    _next: express.NextFunction,
  ): void => {
    const record = records.get(req);
    if (record) record.error = describeError(err);
    const status = (err as { status?: unknown }).status;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(typeof status === 'number' && status >= 400 && status < 600 ? status : 500).end();
  };
  const app = express();
  app.use(rewrite(rules, { proxy: toBackend, maps, handlers, root }));
  app.use(fallthrough);
  app.use(errorHandler);

  // generated rules (setGenerated): rewrite() in server context under Express, and the same text
  // as the .htaccess of a fresh folder gen/<n>/ of the document root, served by site()
  let generated:
    | ((req: http.IncomingMessage, res: http.ServerResponse, next: express.NextFunction) => void)
    | undefined;
  const genApp = express();
  genApp.use((req, res, next) => (generated ? generated(req, res, next) : next()));
  genApp.use(fallthrough);
  genApp.use(errorHandler);
  let genCount = 0;

  const siteMiddleware = site({
    root,
    config: rules,
    proxy: toBackend,
    maps,
    handlers,
    log: (line) => {
      store.getStore()?.logs.push(line);
    },
  });
  const siteNext =
    (req: http.IncomingMessage, res: http.ServerResponse) =>
    (err?: unknown): void => {
      const record = records.get(req);
      if (err && record) record.error = describeError(err);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.statusCode = err ? 500 : 200;
      res.end(err ? '' : `fallthrough ${req.url}\n`);
    };

  const tracked =
    (handler: (req: http.IncomingMessage, res: http.ServerResponse) => void) =>
    (req: http.IncomingMessage, res: http.ServerResponse): void => {
      const record: RequestRecord = { logs: [] };
      const id = req.headers['x-fuzz-id'];
      // a rule that proxies to this server itself sends the same id again: keep the client's request
      if (typeof id === 'string' && !byId.has(id)) byId.set(id, record);
      records.set(req, record);
      store.run(record, () => handler(req, res));
    };
  const expressServer = answerClientErrors(http.createServer(tracked(app)));
  const siteServer = answerClientErrors(
    http.createServer(tracked((req, res) => siteMiddleware(req, res, siteNext(req, res)))),
  );
  const genExpressServer = answerClientErrors(http.createServer(tracked(genApp)));
  const expressPort = await listen(expressServer);
  const sitePort = await listen(siteServer);
  const genExpressPort = await listen(genExpressServer);

  return {
    ports: {
      express: expressPort,
      site: sitePort,
      'gen-express': genExpressPort,
      'gen-site': sitePort,
      canary: canaryPort,
    },
    setGenerated(text: string): Generated {
      const folder = `gen/${++genCount}`;
      mkdirSync(join(root, folder), { recursive: true });
      writeFileSync(join(root, folder, '.htaccess'), text);
      try {
        generated = rewrite(text, { proxy: toBackend, maps, handlers, root });
        return { folder, compiled: true };
      } catch (err) {
        generated = undefined;
        return {
          folder,
          compiled: false,
          error: err instanceof RewriteError ? undefined : describeError(err).message,
        };
      }
    },
    collect(id: string): Collected {
      const record = byId.get(id);
      byId.delete(id);
      return { record, crashes: [] };
    },
    async close(): Promise<void> {
      for (const s of [expressServer, siteServer, genExpressServer, backend, canary]) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
      rmSync(base, { recursive: true, force: true });
    },
  };
}
