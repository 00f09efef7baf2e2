/**
 * A per-directory rewrite under a forced handler ([H=], in any rule that matched for the request).
 * mod_rewrite's hook_fixup ends an internal rewrite by setting r->filename to `redirect:/url` and
 * r->handler to its `redirect-handler`; its hook_mimetype, a later fixup (APR_HOOK_LAST), then
 * puts the forced handler over it (modules/mappers/mod_rewrite.c: "force filename redirect:… to
 * have the Content-handler …" in the trace). The redirect never happens: whatever handles the
 * request sees `redirect:/url`, a file that cannot be opened, with the directory walk's finfo of
 * the file first mapped. With no module for that handler, core's default_handler answers
 * (server/core.c): 404 when that file is missing, a directory, or has PATH_INFO it does not accept;
 * 403 when it exists (apr_file_open fails); OPTIONS and the other methods as for any file.
 * Recorded in conformance case 312 (differential seeds 128, 427, 508).
 */
import type { Stats } from 'node:fs';
import { isDeliveryMethod } from './methods.js';

/** The file the walk mapped before the rewrite. */
export interface FirstMapped {
  readonly stat: Stats | undefined;
  readonly pathInfo: string;
}

/**
 * The default handler's status for `redirect:/url` under `method` (GET, HEAD, POST), or undefined
 * when it answers as for the mapped file (OPTIONS, 405, 501).
 */
export function forcedHandlerStatus(
  mapped: FirstMapped,
  method: string,
  acceptPathInfo: string | undefined,
): 403 | 404 | undefined {
  if (!isDeliveryMethod(method)) return undefined;
  const { stat, pathInfo } = mapped;
  if (!stat || stat.isDirectory()) return 404;
  if (pathInfo && acceptPathInfo !== 'on') return 404;
  return 403;
}
