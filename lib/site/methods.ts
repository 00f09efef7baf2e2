/**
 * Request methods as Apache's core answers them when no handler takes the request (server/core.c
 * default_handler, modules/http/http_filters.c ap_send_http_trace), recorded in conformance case
 * 171:
 * - TRACE is answered in map_to_storage, after the server-context rules and before any
 *   `.htaccess` (TraceEnable On, Apache's default): 200 `message/http` echoing the request line
 *   and headers; with a request body 413.
 * - OPTIONS: 200 with `Allow` and an empty body, for files, directories and missing files alike.
 * - A method Apache does not know (its registry below; node's parser accepts more, e.g. PURGE,
 *   SEARCH): 501. Any other method but GET/HEAD/POST: 405 with `Allow`.
 */
import { KNOWN_METHODS } from '../syntax/limit.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { appendVary, errorPage, sendStatus } from '../http/respond.js';

/**
 * What the default handler allows; TRACE only with TraceEnable On (make_allow). Apache's order is
 * that of a randomly seeded hash: any order is Apache's.
 */
export function defaultAllow(trace: boolean): string {
  return trace ? 'HEAD,GET,POST,OPTIONS,TRACE' : 'HEAD,GET,POST,OPTIONS';
}

/** Apache's method registry (http_protocol.c register_one_method): case-sensitive names. */
const APACHE_METHODS: ReadonlySet<string> = new Set(['HEAD', ...KNOWN_METHODS]);

/**
 * The Allow header of a 405 or 501 the rules answered ([R=405], [F] aside): no handler ran, so
 * make_allow lists only TRACE (TraceEnable On), as recorded in case 174.
 */
export function setRuleAllow(res: ServerResponse, status: number, trace: boolean): void {
  if (status === 405 || status === 501) res.setHeader('Allow', trace ? 'TRACE' : '');
}

/** GET, HEAD and POST: the methods the default handler serves a file for. */
export function isDeliveryMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'POST';
}

/** What the default handler's answer to another method carries besides the status. */
export interface OtherMethodAnswer {
  /** The type the resource has: OPTIONS sends it, as Apache does. */
  readonly contentType: string | undefined;
  /** TraceEnable: whether Allow lists TRACE. */
  readonly trace: boolean;
  /**
   * The request headers the rules read (mod_rewrite merged them into r->headers_out's Vary): the
   * OPTIONS answer keeps them, an error page does not (ap_send_error_response; case 331).
   */
  readonly vary?: readonly string[];
  /** The status OPTIONS answers with: r->status, 200 unless a redirect rule left one (case 333). */
  readonly status?: number;
}

/**
 * The default handler's answer for a method other than GET/HEAD/POST: OPTIONS (200 + Allow, with
 * the type the resource has, as Apache sends it), 501 for an unknown method, else 405 + Allow.
 */
export function answerOtherMethod(
  req: IncomingMessage,
  res: ServerResponse,
  answer: OtherMethodAnswer,
  /** How an error is answered (site(): through ErrorDocument); Apache's page by default. */
  sendError: (status: number) => void = (status) => sendStatus(req, res, status),
): void {
  const method = req.method ?? 'GET';
  // ap_allow_standard_methods ran first: every answer carries Allow
  res.setHeader('Allow', defaultAllow(answer.trace));
  if (!APACHE_METHODS.has(method)) {
    sendError(501);
    return;
  }
  if (method !== 'OPTIONS') {
    sendError(405);
    return;
  }
  res.statusCode = answer.status ?? 200;
  if (answer.contentType) res.setHeader('Content-Type', answer.contentType);
  appendVary(res, answer.vary ?? []);
  res.setHeader('Content-Length', 0);
  res.end();
}

/**
 * The request's headers as Apache's headers_in holds them: in order, repeated names merged with ",
 * ".
 */
function headersIn(req: IncomingMessage): [string, string][] {
  const merged = new Map<string, [string, string]>();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i]!.toLowerCase();
    const seen = merged.get(key);
    if (seen) seen[1] += `, ${raw[i + 1]}`;
    else merged.set(key, [raw[i]!, raw[i + 1]!]);
  }
  return [...merged.values()];
}

/**
 * ap_send_http_trace: with TraceEnable On the request echoed back, or 413 when it has a body;
 * with Off 405 and an empty Allow (nothing ran that allows a method; recorded, case 175).
 */
export function answerTrace(req: IncomingMessage, res: ServerResponse, enabled: boolean): void {
  if (!enabled) {
    res.setHeader('Allow', '');
    sendStatus(req, res, 405);
    return;
  }
  const length = req.headers['content-length'];
  const hasBody =
    (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
  if (hasBody) {
    const inner =
      'The requested resource does not allow request data with TRACE requests, or the amount of data provided in\nthe request exceeds the capacity limit.\n';
    const body = errorPage(413, inner);
    res.statusCode = 413;
    res.setHeader('Content-Type', 'text/html; charset=iso-8859-1');
    res.setHeader('Content-Length', Buffer.byteLength(body, 'latin1'));
    res.setHeader('Connection', 'close');
    res.end(body, 'latin1');
    return;
  }
  let echo = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
  for (const [name, value] of headersIn(req)) echo += `${name}: ${value}\r\n`;
  echo += '\r\n';
  res.statusCode = 200;
  res.setHeader('Content-Type', 'message/http');
  res.setHeader('Content-Length', Buffer.byteLength(echo, 'latin1'));
  res.end(echo, 'latin1');
}
