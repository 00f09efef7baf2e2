/**
 * A request body an earlier middleware already read. express.json(), urlencoded(), text() and raw()
 * (body-parser) consume the stream and leave only `req.body`: piping the spent stream would send
 * the backend `Content-Length: 0` while the client gets the backend's 200 — data silently lost.
 * A parsed body is re-serialised (what http-proxy-middleware users do by hand with
 * fixRequestBody); a stream read some other way cannot be recovered and is refused.
 */
import type { IncomingMessage } from 'node:http';

export type BodyPlan =
  /** No body, or an untouched stream: forward as the client sent it. */
  | { readonly type: 'none' | 'stream' }
  /** Re-serialised: these bytes with these headers replace the client's framing. */
  | { readonly type: 'buffer'; readonly body: Buffer; readonly contentType?: string }
  /** Read by someone and not recoverable. */
  | { readonly type: 'lost'; readonly reason: string };

const NONE: BodyPlan = { type: 'none' };
const STREAM: BodyPlan = { type: 'stream' };

export function hasRequestBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

export function planBody(req: IncomingMessage): BodyPlan {
  if (!hasRequestBody(req)) return NONE;
  const stream = req as IncomingMessage & { readableDidRead?: boolean; _body?: boolean };
  const touched = stream.readableDidRead === true || req.readableEnded || stream._body === true;
  if (!touched) return STREAM;
  const parsed = (req as { body?: unknown }).body;
  const contentType = req.headers['content-type'];
  const type = mediaType(contentType);
  if (Buffer.isBuffer(parsed)) return { type: 'buffer', body: parsed, contentType };
  if (parsed !== undefined && (type === 'application/json' || type.endsWith('+json'))) {
    return {
      type: 'buffer',
      body: Buffer.from(JSON.stringify(parsed), 'utf8'),
      contentType: utf8Charset(contentType),
    };
  }
  if (typeof parsed === 'string')
    return {
      type: 'buffer',
      body: Buffer.from(parsed, 'utf8'),
      contentType: utf8Charset(contentType),
    };
  if (
    type === 'application/x-www-form-urlencoded' &&
    parsed !== null &&
    typeof parsed === 'object'
  ) {
    return {
      type: 'buffer',
      body: Buffer.from(encodeForm(parsed as Record<string, unknown>), 'utf8'),
      contentType,
    };
  }
  const what =
    parsed === undefined
      ? 'no parsed body was left (req.body is undefined)'
      : `req.body cannot be re-serialised as ${type || 'an unknown type'}`;
  return {
    type: 'lost',
    reason: `the request body was already read by an earlier middleware and ${what}; mount the proxy (or rewrite()/site() with [P]) before body parsers`,
  };
}

/** `type/subtype` in lower case, without parameters. */
function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/** The body is re-encoded as UTF-8 (body-parser decoded it with the declared charset): say so. */
function utf8Charset(contentType: string | undefined): string | undefined {
  if (contentType === undefined || !/;\s*charset=/i.test(contentType)) return contentType;
  return contentType.replace(/(;\s*charset=)("[^"]*"|[^;\s]*)/i, '$1utf-8');
}

/**
 * application/x-www-form-urlencoded from what body-parser's urlencoded() made of it: flat
 * (querystring: strings and arrays of repeated keys) or nested (qs: `a[b]=c`, `a[]=x`).
 */
export function encodeForm(body: Record<string, unknown>): string {
  const pairs: string[] = [];
  for (const key of Object.keys(body)) appendPairs(pairs, key, body[key]);
  return pairs.join('&');
}

function appendPairs(pairs: string[], key: string, value: unknown): void {
  if (value === undefined) return;
  if (Array.isArray(value)) {
    // repeated keys parse back to an array with both parsers; a single element needs qs's `[]`
    const scalarKey = value.length === 1 ? `${key}[]` : key;
    value.forEach((item, i) =>
      appendPairs(
        pairs,
        item !== null && typeof item === 'object' ? `${key}[${i}]` : scalarKey,
        item,
      ),
    );
    return;
  }
  if (value !== null && typeof value === 'object') {
    for (const sub of Object.keys(value))
      appendPairs(pairs, `${key}[${sub}]`, (value as Record<string, unknown>)[sub]);
    return;
  }
  pairs.push(
    `${encodeURIComponent(key)}=${encodeURIComponent(value === null ? '' : String(value))}`,
  );
}
