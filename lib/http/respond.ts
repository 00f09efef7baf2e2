/** Answers the way Apache's default error/redirect documents do, with redirect hygiene. */
import type { IncomingMessage, ServerResponse } from 'node:http';

export const STATUS_TEXT: Record<number, string> = {
  301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 305: 'Use Proxy', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 408: 'Request Timeout', 409: 'Conflict', 410: 'Gone', 411: 'Length Required', 412: 'Precondition Failed',
  413: 'Request Entity Too Large', 414: 'Request-URI Too Long', 415: 'Unsupported Media Type', 418: "I'm a teapot",
  429: 'Too Many Requests', 451: 'Unavailable For Legal Reasons', 500: 'Internal Server Error', 501: 'Not Implemented',
  502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function send(req: IncomingMessage, res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=iso-8859-1');
  res.setHeader('Content-Security-Policy', "default-src 'none'");
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Length', Buffer.byteLength(body, 'latin1'));
  res.end(req.method === 'HEAD' ? undefined : Buffer.from(body, 'latin1'));
}

const page = (status: number, inner: string): string => {
  const title = `${status} ${STATUS_TEXT[status] ?? 'Unknown'}`;
  return `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>${title}</title>\n</head><body>\n<h1>${STATUS_TEXT[status] ?? 'Unknown'}</h1>\n${inner}</body></html>\n`;
};

/** An external redirect. `location` is already fully qualified and escaped by the engine. */
export function sendRedirect(req: IncomingMessage, res: ServerResponse, status: number, location: string): void {
  // A Location starting with // would be protocol-relative: collapse it (open-redirect hygiene).
  const safe = location.replace(/^\/{2,}/, '/');
  res.setHeader('Location', safe);
  send(req, res, status, page(status, status >= 300 && status < 400 ? `<p>The document has moved <a href="${escapeHtml(safe)}">here</a>.</p>\n` : ''));
}

export function sendStatus(req: IncomingMessage, res: ServerResponse, status: number): void {
  const messages: Record<number, string> = {
    403: "<p>You don't have permission to access this resource.</p>\n",
    404: '<p>The requested URL was not found on this server.</p>\n',
    410: '<p>The requested resource is no longer available on this server and there is no forwarding address.\nPlease remove all references to this resource.</p>\n',
    400: '<p>Your browser sent a request that this server could not understand.<br />\n</p>\n',
    500: '<p>The server encountered an internal error or\nmisconfiguration and was unable to complete\nyour request.</p>\n',
  };
  send(req, res, status, page(status, messages[status] ?? ''));
}

/** Appends to Vary without duplicates (case-insensitive). */
export function appendVary(res: ServerResponse, names: readonly string[]): void {
  if (!names.length) return;
  const current = String(res.getHeader('Vary') ?? '');
  const have = current.split(',').map((s) => s.trim()).filter(Boolean);
  const lower = new Set(have.map((s) => s.toLowerCase()));
  for (const n of names) if (!lower.has(n.toLowerCase())) { have.push(n); lower.add(n.toLowerCase()); }
  res.setHeader('Vary', have.join(', '));
}
