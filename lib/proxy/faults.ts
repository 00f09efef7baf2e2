/**
 * What goes wrong between the proxy and a backend, and what the client is told: a fault kind per
 * error, a status per kind (configurable; the seed's 502 by default, Apache's own statuses as a
 * preset), error documents, and the seed's "start the backend when it is down" hook.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RewriteError } from '../errors.js';
import { sendStatus } from '../http/respond.js';
import type { Next } from '../http/types.js';

/**
 * `body-consumed`: an earlier middleware read the request body and left nothing to re-send
 * (ERR_PROXY_BODY_CONSUMED).
 */
export type FaultKind =
  | 'refused'
  | 'dns'
  | 'reset'
  | 'timeout'
  | 'connect-timeout'
  | 'bad-response'
  | 'bad-target'
  | 'tls'
  | 'body-consumed';

/** The seed's statuses: every failure to get an answer is a 502, a backend too slow a 504. */
export const DEFAULT_FAULT_STATUS: Readonly<Record<FaultKind, number>> = {
  refused: 502,
  dns: 502,
  reset: 502,
  timeout: 504,
  'connect-timeout': 502,
  'bad-response': 502,
  'bad-target': 500,
  tls: 502,
  'body-consumed': 500,
};

/**
 * What Apache 2.4's mod_proxy answers (recorded: a refused connection is 503, a failed lookup 500).
 */
export const APACHE_FAULT_STATUS: Readonly<Record<FaultKind, number>> = {
  refused: 503,
  dns: 500,
  reset: 502,
  timeout: 504,
  'connect-timeout': 503,
  'bad-response': 502,
  'bad-target': 500,
  tls: 502,
  'body-consumed': 500,
};

export function classify(err: Error): FaultKind {
  const e = err as Error & { code?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  if (code === 'ECONNREFUSED' || code === 'ENOENT' /* unix socket missing */) return 'refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'EAI_NONAME')
    return 'dns';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return 'connect-timeout';
  if (
    code.startsWith('ERR_TLS') ||
    code.includes('CERT') ||
    code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ||
    code === 'SELF_SIGNED_CERT_IN_CHAIN'
  )
    return 'tls';
  if (
    code === 'HPE_INVALID_CONSTANT' ||
    code.startsWith('HPE_') ||
    code === 'UND_ERR_INFO' ||
    code === 'UND_ERR_HEADERS_OVERFLOW' ||
    code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH'
  )
    return 'bad-response';
  return 'reset';
}

export interface FaultInfo {
  readonly status: number;
  readonly kind: FaultKind;
  readonly error: Error;
  readonly target: string;
}

/**
 * ErrorDocument: a file (its content, sent with the fault's status, like Apache's ErrorDocument to
 * a local file), a handler, or `'next'` to pass the error to Express's error handler.
 */
export type ErrorDocument<Req, Res> =
  | string
  | 'next'
  | ((req: Req, res: Res, info: FaultInfo) => void)
  /** Per status, like Apache's `ErrorDocument 502 …` (other statuses get Apache's page). */
  | Readonly<Record<number, string | ((req: Req, res: Res, info: FaultInfo) => void)>>;

export function answerFault<Req extends IncomingMessage, Res extends ServerResponse>(
  req: Req,
  res: Res,
  next: Next,
  info: FaultInfo,
  doc: ErrorDocument<Req, Res> | undefined,
): void {
  if (res.headersSent) {
    res.destroy(info.error);
    return;
  }
  if (doc !== undefined && typeof doc === 'object') doc = doc[info.status];
  if (doc === 'next') {
    // a coded error of ours goes to the error handler as it is (error.code)
    const err =
      info.error instanceof RewriteError
        ? info.error
        : new Error(`proxy: ${info.kind} for ${info.target}: ${info.error.message}`);
    next(
      Object.assign(
        err,
        { statusCode: info.status, expose: false, kind: info.kind },
        err instanceof RewriteError ? {} : { status: info.status },
      ),
    );
    return;
  }
  if (typeof doc === 'function') {
    doc(req, res, info);
    return;
  }
  if (typeof doc === 'string') {
    let body: Buffer | undefined;
    try {
      body = readFileSync(doc);
    } catch {
      body = undefined;
    }
    if (body) {
      res.statusCode = info.status;
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.setHeader('Content-Length', body.length);
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
  }
  sendStatus(req, res, info.status);
}

export interface AutostartOptions {
  readonly command: string;
  readonly args?: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Seconds before the page reloads. @default 1 */
  readonly refresh?: number;
  /** Where the page sends the browser back to. @default the request's own URL */
  readonly location?: string;
  readonly onSpawn?: (child: ChildProcess) => void;
}

/**
 * The seed's autostart.cgi: when the backend is unreachable, start it (detached, in its own
 * process group so it outlives us; once — not again while the started one is alive) and answer a
 * page that refreshes.
 * @example
 * const toBackend = proxy({ onUnavailable: autostart({ command: 'node', args: ['backend.js'] }) });
 */
export function autostart(options: AutostartOptions): ((
  req: IncomingMessage,
  res: ServerResponse,
  info: FaultInfo,
) => boolean) & {
  readonly starts: number;
  stop(): void;
} {
  let child: ChildProcess | undefined;
  let starts = 0;
  const hook = (req: IncomingMessage, res: ServerResponse, info: FaultInfo): boolean => {
    if (info.kind !== 'refused' && info.kind !== 'connect-timeout') return false;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      starts++;
      child = spawn(options.command, [...(options.args ?? [])], {
        cwd: options.cwd,
        env: options.env ?? process.env,
        detached: true,
        stdio: 'ignore',
      });
      child.on('error', () => {
        child = undefined;
      });
      child.unref();
      options.onSpawn?.(child);
    }
    const url = (options.location ?? req.url ?? '/').replace(
      /[<>"&]/g,
      (c) => `&#${c.charCodeAt(0)};`,
    );
    const body = `<html><head><meta http-equiv="Refresh" content="${options.refresh ?? 1}; URL=${url}"></head><body>Restarting site ...<a href="${url}">click here</a></body></html>\n`;
    res.statusCode = info.status;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Retry-After', String(options.refresh ?? 1));
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
  Object.defineProperty(hook, 'starts', { get: () => starts, enumerable: true });
  return Object.assign(hook as typeof hook & { readonly starts: number }, {
    stop() {
      if (child && child.exitCode === null && child.pid) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          child.kill('SIGTERM');
        }
      }
    },
  });
}
