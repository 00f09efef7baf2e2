/**
 * core's LimitRequestBody (per directory): a request whose declared body (Content-Length) is over
 * the limit is a 413 whatever else would answer it (recorded, Apache 2.4.71): the default handler
 * and the handlers read the body first (a plain 413), and an error or a redirect discards it while
 * answering (a 413 whose page says "Additionally, a 403 Forbidden error was encountered").
 * A chunked body of unknown length is not counted (a documented difference).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { sendStatus } from '../http/respond.js';
import { bodyTooLarge } from './mime.js';
import { fileSettingsFor, type SiteConfig, type SiteResult } from './pipeline.js';

/** Answers 413 and returns true when the request's body is over its directory's limit. */
export function answeredBodyLimit(
  config: SiteConfig,
  req: IncomingMessage,
  res: ServerResponse,
  r: SiteResult,
): boolean {
  // without a Content-Length (or with 0) there is nothing to compare: the common case costs nothing
  const declared = req.headers['content-length'];
  if (declared === undefined || declared === '0') return false;
  const settings = fileSettingsFor(config, directoryOf(config, r));
  if (!bodyTooLarge(req, settings.mime)) return false;
  const recursive = r.type === 'status' || r.type === 'redirect' ? r.status : undefined;
  sendStatus(req, res, 413, undefined, undefined, recursive);
  return true;
}

/** A path inside the directory whose configuration applies to the result. */
function directoryOf(config: SiteConfig, r: SiteResult): string {
  if (r.type === 'file') return r.stat?.isDirectory() ? join(r.filename, '.') + '/.' : r.filename;
  if (r.type === 'status' && r.filename) return r.filename;
  return join(config.root, r.uri || '/', '.');
}
