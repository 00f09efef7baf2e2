/**
 * core's ErrorDocument with a local URL (http_request.c `ap_die_r`): an internal redirect to the
 * URL, as a GET, keeping the status it answers for. The new request's environment is the old one
 * renamed REDIRECT_* (ap_internal_redirect), with REDIRECT_STATUS the status and
 * REDIRECT_REQUEST_METHOD the original method (ap_die sets REQUEST_METHOD before redirecting).
 */
import { renameEnv } from '../engine/directory.js';

export function errorRedirectEnv(
  env: ReadonlyMap<string, string>,
  status: number,
  method: string,
): Map<string, string> {
  const out = renameEnv(new Map([...env, ['REQUEST_METHOD', method]]));
  out.set('REDIRECT_STATUS', String(status));
  return out;
}
