/** Answers the way Apache's default error/redirect documents do, with redirect hygiene. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RewriteRuntimeError } from '../errors.js';
import { requestHost, type RequestView, type ServerInfo } from '../engine/request.js';

/**
 * The reason phrases of http_protocol.c's status_lines (Apache 2.4.71), which ap_get_status_line
 * gives an error page's title and heading: `[R=200]` answers "200 OK" (OpenEMR's apis/.htaccess).
 * A status the table has no line for (306, 418, 425, 509…) is no status to Apache ([R=418] is
 * refused).
 */
export const STATUS_TEXT: Record<number, string> = {
  100: 'Continue',
  101: 'Switching Protocols',
  102: 'Processing',
  103: 'Early Hints',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  203: 'Non-Authoritative Information',
  204: 'No Content',
  205: 'Reset Content',
  206: 'Partial Content',
  207: 'Multi-Status',
  208: 'Already Reported',
  226: 'IM Used',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  305: 'Use Proxy',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Requested Range Not Satisfiable',
  417: 'Expectation Failed',
  421: 'Misdirected Request',
  422: 'Unprocessable Entity',
  423: 'Locked',
  424: 'Failed Dependency',
  426: 'Upgrade Required',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
  506: 'Variant Also Negotiates',
  507: 'Insufficient Storage',
  508: 'Loop Detected',
  510: 'Not Extended',
  511: 'Network Authentication Required',
};

/** ap_escape_html. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;',
  );
}

/** Responses answered with one of modrewrite's own (Apache's ap_die) pages. */
const errorResponses = new WeakSet<ServerResponse>();

/**
 * Whether `res` is answered with Apache's own page (an error, a redirect): mod_headers then runs
 * only its `always` table and mod_expires not at all (site/headers.ts).
 */
export function isErrorResponse(res: ServerResponse): boolean {
  return errorResponses.has(res);
}

function send(req: IncomingMessage, res: ServerResponse, status: number, body: string): void {
  errorResponses.add(res);
  // ap_send_error_response sets its own type over the one [T=] forced (a missing file's 404)
  restoreWriteHead(res);
  res.statusCode = status;
  // exactly Apache's headers: no Content-Security-Policy or nosniff of our own (the page escapes
  // what it quotes, like ap_escape_html); a site that wants them says `Header always set`
  // (real-world corpus: Joomla's CSP and Drupal's nosniff reach error pages only through its own
  // lines)
  res.setHeader('Content-Type', 'text/html; charset=iso-8859-1');
  res.setHeader('Content-Length', Buffer.byteLength(body, 'latin1'));
  res.end(req.method === 'HEAD' ? undefined : Buffer.from(body, 'latin1'));
}

/** core's ap_psignature for a response (`<address>...</address>\n`), set by site(). */
const signatures = new WeakMap<ServerResponse, string>();

/**
 * The ServerSignature footer of `res`'s pages (core.c ap_psignature, without its prefix); '' or
 * never set: none (ServerSignature Off, Apache's default).
 */
export function setSignature(res: ServerResponse, address: string): void {
  if (address) signatures.set(res, address);
  else signatures.delete(res);
}

/**
 * core.c ap_psignature's address for ServerSignature On or EMail: the banner (ServerTokens), the
 * name and port ap_get_server_name/ap_get_server_port give (UseCanonicalName), and for EMail a
 * link to ServerAdmin (`mailto:` unless it is a URL already).
 */
export function signatureAddress(
  kind: 'on' | 'email',
  view: RequestView,
  server: ServerInfo,
  banner = 'Apache/2.4.71 (Debian)',
): string {
  const { name, port } = requestHost(view, server);
  const host = escapeHtml(name);
  if (kind === 'on') return `<address>${banner} Server at ${host} Port ${port}</address>\n`;
  const admin = server.serverAdmin ?? '[no address given]';
  const scheme = /^[A-Za-z0-9+.-]+:/.test(admin) ? '' : 'mailto:';
  return `<address>${banner} Server at <a href="${scheme}${escapeHtml(admin)}">${host}</a> Port ${port}</address>\n`;
}

/** core's ServerAdmin for a response's 500 page (r->server->server_admin), set by site(). */
const admins = new WeakMap<ServerResponse, string>();

/** The ServerAdmin `res`'s pages name; undefined: Apache's default, "[no address given]". */
export function setServerAdmin(res: ServerResponse, admin: string | undefined): void {
  if (admin === undefined) admins.delete(res);
  else admins.set(res, admin);
}

/** The address ap_psignature("", r) gives `res` ('' for none): mod_autoindex's listings. */
export function signatureOf(res: ServerResponse): string {
  return signatures.get(res) ?? '';
}

/** The footer ap_send_error_response writes: ap_psignature("<hr>\n", r). */
function footerOf(res: ServerResponse): string {
  const address = signatures.get(res);
  return address ? `<hr>\n${address}` : '';
}

/**
 * ap_send_error_response's page (Apache 2.4.71: HTML 4.01 doctype). `recursive` is the status
 * Apache was answering when this error happened (its "Additionally, a 302 Found error was
 * encountered ..." paragraph, recorded for a redirect whose Location was refused); `footer` the
 * ServerSignature's `<hr>` and address (recorded, case 440).
 */
export function errorPage(status: number, inner: string, recursive?: number, footer = ''): string {
  const text = STATUS_TEXT[status] ?? 'Unknown Reason';
  const additionally =
    recursive === undefined
      ? ''
      : `<p>Additionally, a ${recursive} ${STATUS_TEXT[recursive] ?? 'Unknown Reason'}\nerror was encountered while trying to use an ErrorDocument to handle the request.</p>\n`;
  return `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">\n<html><head>\n<title>${status} ${text}</title>\n</head><body>\n<h1>${text}</h1>\n${inner}${additionally}${footer}</body></html>\n`;
}

/**
 * What node (and Apache's check_headers, AH02430) accepts in a field value: HTAB, SP, VCHAR and
 * obs-text. A decoded `%0d%0a` from a capture is not, and `res.setHeader` would throw.
 */
const INVALID_FIELD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
/** RFC 9110 token: what a field name may hold. */
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function isValidHeaderValue(value: string): boolean {
  return !INVALID_FIELD_VALUE.test(value);
}

export function isValidHeaderName(name: string): boolean {
  return FIELD_NAME.test(name);
}

/**
 * A response header built from request data that cannot be sent. Apache logs AH02430
 * ("Response header 'X' value of '...' contains invalid characters, aborting request") and
 * answers 500 (recorded for [R,NE], a host from a capture, [CO] and [T]).
 */
export class ResponseHeaderError extends RewriteRuntimeError {
  /** The status that was being answered when the header was refused (a redirect's 302). */
  readonly during?: number;
  constructor(name: string, value: string, during?: number) {
    super(
      'ERR_RESPONSE_HEADER',
      `modrewrite: response header '${JSON.stringify(name).slice(1, -1)}' value of '${JSON.stringify(value).slice(1, -1)}' contains invalid characters, aborting request`,
      { status: 500 },
    );
    this.during = during;
  }
}

/** The one check for every response header built from request data: throws ResponseHeaderError. */
export function checkHeader(
  name: string,
  value: string | readonly string[],
  during?: number,
): void {
  const values = typeof value === 'string' ? [value] : value;
  if (!isValidHeaderName(name)) throw new ResponseHeaderError(name, values.join(', '), during);
  for (const v of values) {
    if (!isValidHeaderValue(v)) throw new ResponseHeaderError(name, v, during);
  }
}

/**
 * The response effects of an evaluation ([CO] cookies, Vary, [T=] type), for every entry point:
 * each header built from request data is checked before any is set (a refused one is a 500).
 * `vary: false` for pages Apache generates itself (redirects, errors): those carry only
 * err_headers_out, so Set-Cookie survives and Vary does not (recorded).
 */
export function applyEffects(
  res: ServerResponse,
  effects: {
    readonly cookies: readonly string[];
    readonly vary: readonly string[];
    readonly contentType?: string;
  },
  which: { readonly vary: boolean },
): void {
  if (effects.cookies.length) checkHeader('Set-Cookie', effects.cookies);
  if (effects.contentType) checkHeader('Content-Type', effects.contentType);
  if (which.vary) appendVary(res, effects.vary);
  addCookies(res, effects.cookies);
  if (effects.contentType) forceContentType(res, effects.contentType);
}

/**
 * [CO]'s cookies, checked, after any Set-Cookie the app set before: Apache adds them to
 * err_headers_out, so they join the other modules' cookies rather than replace them.
 */
export function addCookies(res: ServerResponse, cookies: readonly string[]): void {
  if (!cookies.length) return;
  checkHeader('Set-Cookie', cookies);
  const prev = res.getHeader('Set-Cookie');
  const kept = prev === undefined ? [] : Array.isArray(prev) ? prev : [String(prev)];
  res.setHeader('Set-Cookie', [...kept, ...cookies]);
}

/** `res.setHeader` after checkHeader. */
export function setCheckedHeader(
  res: ServerResponse,
  name: string,
  value: string | readonly string[],
  during?: number,
): void {
  checkHeader(name, value, during);
  res.setHeader(name, value);
}

/**
 * Answers an exception raised while answering: Apache's 500 page (or the error's own status)
 * with none of the headers set so far. After the headers went out, the connection is destroyed:
 * there is no way to tell the client any more.
 */
export function sendFailure(req: IncomingMessage, res: ServerResponse, err: unknown): void {
  try {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    restoreWriteHead(res);
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    const given = (err as { status?: unknown } | null)?.status;
    const status = typeof given === 'number' && given >= 400 && given <= 599 ? given : 500;
    const during = err instanceof ResponseHeaderError ? err.during : undefined;
    const inner = cannedMessage(status, req.method ?? 'GET', admins.get(res));
    send(req, res, status, errorPage(status, inner, during, footerOf(res)));
  } catch {
    res.destroy();
  }
}

/**
 * Runs `answer` so that no exception escapes the request: before anything was sent it goes to
 * `fail` (next(err) under Express, sendFailure elsewhere), after that the response is destroyed.
 */
export function answerSafely(
  res: ServerResponse,
  fail: (err: unknown) => void,
  answer: () => void,
): void {
  try {
    answer();
  } catch (err) {
    failSafely(res, fail, err);
  }
}

/** `fail(err)` unless the headers are already out; never throws. */
export function failSafely(res: ServerResponse, fail: (err: unknown) => void, err: unknown): void {
  try {
    if (res.headersSent) res.destroy();
    else fail(err);
  } catch {
    res.destroy();
  }
}

const kWriteHead = Symbol('modrewrite.writeHead');

/** [T=type]: Apache forces the Content-Type in a late fixup; we force it when headers go out. */
export function forceContentType(res: ServerResponse, type: string): void {
  checkHeader('Content-Type', type);
  const holder = res as unknown as Record<symbol, ServerResponse['writeHead'] | undefined>;
  const writeHead = holder[kWriteHead] ?? res.writeHead;
  holder[kWriteHead] = writeHead;
  res.setHeader('Content-Type', type);
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    // a 204/304 carries no Content-Type (http_filters.c AP_STATUS_IS_HEADER_ONLY), forced or not
    const status = typeof args[0] === 'number' ? args[0] : this.statusCode;
    if (status === 204 || status === 304) this.removeHeader('Content-Type');
    else this.setHeader('Content-Type', type);
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as typeof res.writeHead;
}

/**
 * Undoes forceContentType: an error page has its own type, and so has a handler that sets it
 * itself after the fixups (mod_autoindex's listing, case 422).
 */
export function restoreWriteHead(res: ServerResponse): void {
  const holder = res as unknown as Record<symbol, ServerResponse['writeHead'] | undefined>;
  const original = holder[kWriteHead];
  if (!original) return;
  res.writeHead = original;
  holder[kWriteHead] = undefined;
}

/** get_canned_error_string's fixed texts for the statuses cannedMessage has no case for (case 501). */
const CANNED_TEXT: Record<number, string> = {
  407: "<p>This server could not verify that you\nare authorized to access the document\nrequested.  Either you supplied the wrong\ncredentials (e.g., bad password), or your\nbrowser doesn't understand how to supply\nthe credentials required.</p>\n",
  408: '<p>Server timeout waiting for the HTTP request from the client.</p>\n',
  415: '<p>The supplied request data is not in a format\nacceptable for processing by this resource.</p>\n',
  417: '<p>No expectation was seen, the Expect request-header \nfield was not presented by the client.\n</p><p>Only the 100-continue expectation is supported.</p>\n',
  421: '<p>The client needs a new connection for this\nrequest as the requested host name does not match\nthe Server Name Indication (SNI) in use for this\nconnection.</p>\n',
  422: '<p>The server understands the media type of the\nrequest entity, but was unable to process the\ncontained instructions.</p>\n',
  423: '<p>The requested resource is currently locked.\nThe lock must be released or proper identification\ngiven before the method can be applied.</p>\n',
  424: '<p>The method could not be performed on the resource\nbecause the requested action depended on another\naction and that other action failed.</p>\n',
  426: "<p>The requested resource can only be retrieved\nusing SSL.  The server is willing to upgrade the current\nconnection to SSL, but your client doesn't support it.\nEither upgrade your client, or try requesting the page\nusing https://\n",
  428: '<p>The request is required to be conditional.</p>\n',
  429: '<p>The user has sent too many requests\nin a given amount of time.</p>\n',
  431: '<p>The server refused this request because\nthe request header fields are too large.</p>\n',
  506: '<p>A variant for the requested resource\n<pre>\n\n</pre>\nis itself a negotiable resource. This indicates a configuration error.</p>\n',
  507: '<p>The method could not be performed on the resource\nbecause the server is unable to store the\nrepresentation needed to successfully complete the\nrequest.  There is insufficient free space left in\nyour storage allocation.</p>\n',
  508: '<p>The server terminated an operation because\nit encountered an infinite loop.</p>\n',
  510: '<p>A mandatory extension policy in the request is not\naccepted by the server for this resource.</p>\n',
  511: '<p>The client needs to authenticate to gain\nnetwork access.</p>\n',
};

/** get_canned_error_string for the statuses modrewrite answers. */
export function cannedMessage(
  status: number,
  method: string,
  admin = '[no address given]',
  notes = '',
): string {
  const m = escapeHtml(method);
  switch (status) {
    // a redirect status answered without a Location (ap_die_r's recursive error for a request a
    // redirect rule left at 302, case 333): the link is empty, as get_canned_error_string's
    case 301:
    case 302:
    case 307:
    case 308:
      return '<p>The document has moved <a href="">here</a>.</p>\n';
    case 303:
      return '<p>The answer to your request is located <a href="">here</a>.</p>\n';
    case 400:
      return `<p>Your browser sent a request that this server could not understand.<br />\n${notes}</p>\n`;
    case 401:
      return "<p>This server could not verify that you\nare authorized to access the document\nrequested.  Either you supplied the wrong\ncredentials (e.g., bad password), or your\nbrowser doesn't understand how to supply\nthe credentials required.</p>\n";
    case 403:
      return `<p>You don't have permission to access this resource.${notes}</p>\n`;
    case 404:
      return '<p>The requested URL was not found on this server.</p>\n';
    case 405:
      return `<p>The requested method ${m} is not allowed for this URL.</p>\n`;
    case 406:
      // mod_negotiation's "variant-list" note (add_optional_notes)
      return `<p>An appropriate representation of the requested resource could not be found on this server.</p>\n${notes}`;
    case 410:
      return '<p>The requested resource is no longer available on this server and there is no forwarding address.\nPlease remove all references to this resource.</p>\n';
    case 412:
      return '<p>The precondition on the request for this URL evaluated to false.</p>\n';
    case 413:
      // core's LimitRequestBody page (http_protocol.c): the method is the request's own
      return `The requested resource does not allow request data with ${escapeHtml(method)} requests, or the amount of data provided in\nthe request exceeds the capacity limit.\n`;
    case 414:
      return "<p>The requested URL's length exceeds the capacity\nlimit for this server.<br />\n</p>\n";
    case 416:
      return '<p>None of the range-specifier values in the Range\nrequest-header field overlap the current extent\nof the selected resource.</p>\n';
    case 501:
      return `<p>${m} not supported for current URL.<br />\n</p>\n`;
    case 502:
      return '<p>The proxy server received an invalid\r\nresponse from an upstream server.<br />\r\n</p>\n';
    case 503:
      return '<p>The server is temporarily unable to service your\nrequest due to maintenance downtime or capacity\nproblems. Please try again later.</p>\n';
    case 504:
      return '<p>The gateway did not receive a timely response\nfrom the upstream server or application.</p>\n';
    // the rest of get_canned_error_string (recorded with [R=N], case 501)
    case 411:
      return `<p>A request of the requested method ${m} requires a valid Content-length.<br />\n${notes}</p>\n`;
    case 451:
      return `<p>Access to this URL has been denied for legal reasons.<br />\n${notes}</p>\n`;
    default:
      if (CANNED_TEXT[status] !== undefined) return CANNED_TEXT[status];
      // 1xx, 2xx, 402, 409, 505…: the 500 text under their own title (recorded, case 501); a
      // 3xx without a case of its own (305) keeps its empty body
      if (status >= 300 && status < 400) return '';
      return (
        '<p>The server encountered an internal error or\nmisconfiguration and was unable to complete\nyour request.</p>\n' +
        `<p>Please contact the server administrator at \n ${escapeHtml(admin)} to inform them of the time this error occurred,\n` +
        ' and the actions you performed just before this error.</p>\n<p>More information about this error may be available\nin the server error log.</p>\n'
      );
  }
}

/** An external redirect. `location` is already fully qualified and escaped by the engine. */
export function sendRedirect(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  location: string,
): void {
  // A Location starting with // would be protocol-relative: collapse it (open-redirect hygiene).
  const safe = location.replace(/^\/{2,}/, '/');
  setCheckedHeader(res, 'Location', safe, status);
  const inner =
    status === 303
      ? `<p>The answer to your request is located <a href="${escapeHtml(safe)}">here</a>.</p>\n`
      : status >= 300 && status < 400
        ? `<p>The document has moved <a href="${escapeHtml(safe)}">here</a>.</p>\n`
        : cannedMessage(status, req.method ?? 'GET');
  send(req, res, status, errorPage(status, inner, undefined, footerOf(res)));
}

/**
 * Apache's error page for `status`; `notes` is Apache's "error-notes" (shown for 400 and 403);
 * `recursive` the status being answered when this one happened (errorPage's "Additionally").
 */
export function sendStatus(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  admin?: string,
  notes?: string,
  recursive?: number,
): void {
  send(
    req,
    res,
    status,
    errorPage(
      status,
      cannedMessage(status, req.method ?? 'GET', admin ?? admins.get(res), notes),
      recursive,
      footerOf(res),
    ),
  );
}

/**
 * Apache's page for a status answered in an ErrorDocument's own request: ap_die_r made that
 * request a GET, and the page names its method (a 405 says GET after a POST; case 344).
 */
export function sendStatusOfGet(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  notes?: string,
): void {
  const inner = cannedMessage(status, 'GET', admins.get(res), notes);
  send(req, res, status, errorPage(status, inner, undefined, footerOf(res)));
}

/** An `ErrorDocument code "text"` answer: the text (a byte string) as Apache's page type. */
export function sendErrorText(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  text: string,
): void {
  send(req, res, status, text);
}

/** Appends to Vary without duplicates (case-insensitive). */
export function appendVary(res: ServerResponse, names: readonly string[]): void {
  if (!names.length) return;
  const current = String(res.getHeader('Vary') ?? '');
  const have = current
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const lower = new Set(have.map((s) => s.toLowerCase()));
  for (const n of names)
    if (!lower.has(n.toLowerCase())) {
      have.push(n);
      lower.add(n.toLowerCase());
    }
  res.setHeader('Vary', have.join(', '));
}
