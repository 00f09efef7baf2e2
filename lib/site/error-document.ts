/**
 * core's ErrorDocument, for site() and htaccess() alike (sendErrorDocument): Apache's page, the
 * document's text, a 302 to a full URL, or, for a local URL (http_request.c `ap_die_r`), an
 * internal redirect to the URL, as a GET, keeping the status it answers for. The new request's
 * environment is the old one renamed REDIRECT_* (ap_internal_redirect), with REDIRECT_STATUS the
 * status and REDIRECT_REQUEST_METHOD the original method (ap_die sets REQUEST_METHOD before
 * redirecting).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { renameEnv } from '../engine/directory.js';
import { exceedsRedirectLimit } from '../engine/internal-redirect.js';
import { requestView } from '../http/request-view.js';
import type { RequestView } from '../engine/request.js';
import {
  restoreWriteHead,
  sendErrorText,
  sendRedirect,
  sendStatus,
  sendStatusOfGet,
  setServerAdmin,
  setSignature,
  signatureAddress,
  wireStatus,
} from '../http/respond.js';
import { resolveRequest, type SiteConfig, type SiteResult } from './pipeline.js';
import { firstRequestHeaders } from './headers.js';

/**
 * What Apache's pages for this answer carry: ServerAdmin (the 500 page's contact) and, when
 * ServerSignature is On or EMail where the request was mapped, ap_psignature's address (cases 440,
 * 450, 455). site() and htaccess() call it before they answer.
 */
export function signPages(
  res: ServerResponse,
  r: SiteResult,
  view: RequestView,
  config: SiteConfig,
): void {
  setServerAdmin(res, config.server.serverAdmin);
  const signature = r.acc.signature?.();
  if (!signature || signature === 'off') return;
  const banner = config.serverRules?.serverBanner;
  setSignature(res, signatureAddress(signature, view, config.server, banner));
}

export function errorRedirectEnv(
  env: ReadonlyMap<string, string>,
  status: number,
  method: string,
): Map<string, string> {
  const out = renameEnv(new Map([...env, ['REQUEST_METHOD', method]]));
  out.set('REDIRECT_STATUS', String(status));
  return out;
}

/** What site() and htaccess() each do around an ErrorDocument: the rest is sendErrorDocument. */
export interface ErrorDocumentHooks {
  readonly config: SiteConfig;
  readonly trust: (addr: string, i: number) => boolean;
  readonly trace: ((line: string) => void) | undefined;
  readonly mountPath: string | undefined;
  /** Before Apache's page for the first status: site() shows the first request's debug headers. */
  readonly beforeFirst?: (first: SiteResult) => void;
  /** Answers the ErrorDocument's own request once the pipeline has resolved it. */
  readonly answer: (again: SiteResult) => void;
  readonly fail: (err: unknown) => void;
}

/**
 * An error answer through core's ErrorDocument (recorded, conformance case 162): Apache's page,
 * the text, a 302 to a full URL, or an internal redirect to a local URL (ap_die_r) that the
 * caller answers. An error while answering an ErrorDocument's own request gives Apache's page for
 * the first status, with its "Additionally, ..." paragraph.
 */
/**
 * The request's view as ap_die_r's internal redirect sees it: a GET. The view reads the request
 * through getters (http/request-view.ts): a spread would drop them (no headers: %{HTTP:x} threw,
 * 500 where Apache answers the ErrorDocument), so the override sits on an object inheriting them.
 */
function asGet(view: RequestView): RequestView {
  return Object.create(view, { method: { value: 'GET', enumerable: true } }) as RequestView;
}

export function sendErrorDocument(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  r: SiteResult,
  notes: string | undefined,
  hooks: ErrorDocumentHooks,
): void {
  if (answeredRecursive(req, res, status, notes, r, hooks)) return;
  const firstStatus = r.acc.errorStatus;
  // a status mod_rewrite answers in the ErrorDocument's own request is a new error, not a recursive
  // one: hook_fixup sets r->status back to 200 before returning it, so ap_die_r finds no status
  // being answered (recorded, case 344)
  if (firstStatus !== undefined && !resetsStatus(r)) {
    // Apache answers from the first request (its filename, environment and Header lines)
    const first = r.acc.errorOf;
    if (first !== undefined) {
      firstRequestHeaders(hooks.config, req, res, first, requestView(req, hooks.trust));
      hooks.beforeFirst?.(first);
    }
    sendStatus(req, res, firstStatus, undefined, undefined, firstStatus);
    return;
  }
  // ap_die_r looks the document up by ap_index_of_response: an unknown status finds 500's
  const doc = r.acc.errorDocument?.(wireStatus(status));
  if (!doc || doc.type === 'default') {
    if (firstStatus !== undefined) sendStatusOfGet(req, res, status, notes);
    else sendStatus(req, res, status, undefined, notes);
  } else if (doc.type === 'text') sendErrorText(req, res, status, doc.text);
  else if (doc.type === 'external') sendRedirect(req, res, 302, doc.url);
  else if (exceedsRedirectLimit(r.acc.internalRedirects + 1)) {
    // the redirect to the document is one more: past LimitInternalRecursion,
    // internal_internal_redirect dies with 500 on the same request, whose status ap_die_r has
    // set already: "Additionally, a <status> error..." on the page of r_1st_err, found by walking
    // r->prev while it has an error status: the first error's page from inside an ErrorDocument's
    // chain (case 351), with that request's Header lines and REQUEST_URI (case 506), else this
    // request's 500 (case 341)
    const chain = errorChainStart(r);
    const first = chain.acc.errorOf;
    if (first !== undefined) {
      firstRequestHeaders(hooks.config, req, res, first, requestView(req, hooks.trust));
      hooks.beforeFirst?.(first);
    }
    sendStatus(req, res, chain.acc.errorStatus ?? 500, undefined, undefined, status);
  } else {
    const env = errorRedirectEnv(r.acc.env, status, req.method ?? 'GET');
    // the document's request has its own type: a [T=] of the failed request is a note of that
    // request only (internal_internal_redirect gives new->notes a fresh table; seed 107976,
    // case 432)
    restoreWriteHead(res);
    res.removeHeader('Content-Type');
    resolveRequest(hooks.config, {
      view: asGet(requestView(req, hooks.trust)),
      target: doc.url,
      trace: hooks.trace,
      mountPath: hooks.mountPath,
      errorRedirect: { env, internalRedirects: r.acc.internalRedirects + 1, status, original: r },
    }).then(hooks.answer, hooks.fail);
  }
}

/**
 * An error while r->status is a redirect rule's: ap_die_r sees that status, so the error is a
 * recursive one, answered without ErrorDocument and with the "Additionally" paragraph naming it.
 * - In a request that ap_internal_redirect made with it (Collected.statusOf), the page is that of
 *   the request first redirected with it (r_1st_err), with its `Header always` lines (recorded,
 *   case 333).
 * - In a request ap_internal_redirect made whose own rule left it (a local rewrite to the same
 *   file after it, no further redirect), r_1st_err is that request, whose status ap_die_r has just
 *   set: the page of the new status (recorded, case 406; seed 7670).
 * mod_rewrite's own answers reset r->status to 200 first (hook_fixup, hook_uri2file: `[F]`,
 * `[R]`...): those are answered as usual.
 */
function answeredRecursive(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  notes: string | undefined,
  r: SiteResult,
  hooks: ErrorDocumentHooks,
): boolean {
  if (r.acc.errorStatus !== undefined || resetsStatus(r)) return false;
  const first = r.acc.statusOf;
  if (first === undefined) {
    // only a request ap_internal_redirect made: the initial request's ap_die_r is given HTTP_OK
    // (ap_process_async_request), so its ErrorDocument answers (recorded, case 406)
    const kept = r.acc.redirectStatus;
    if (kept === undefined || r.acc.internalRedirects === 0) return false;
    sendStatus(req, res, status, undefined, notes, kept);
    return true;
  }
  firstRequestHeaders(hooks.config, req, res, first, requestView(req, hooks.trust));
  hooks.beforeFirst?.(first);
  const recursive = r.acc.redirectStatus ?? first.status;
  sendStatus(req, res, first.status, undefined, undefined, recursive);
  return true;
}

/**
 * The first ErrorDocument request of the chain `r` is in (every request after it keeps an error
 * status: ap_die_r sets it before each redirect): its acc.errorStatus is the status of the error
 * the chain started from, its acc.errorOf the request that failed with it (r_1st_err). Outside a
 * chain, `r` itself, with neither.
 */
function errorChainStart(r: SiteResult): SiteResult {
  let outer = r;
  while (outer.acc.errorOf?.acc.errorStatus !== undefined) outer = outer.acc.errorOf;
  return outer;
}

/** A status mod_rewrite's hooks answer with r->status set back to 200 (their ACTION_STATUS). */
function resetsStatus(r: SiteResult): boolean {
  if (r.type === 'redirect') return r.rule === true;
  if (r.type !== 'status') return false;
  return r.cause === 'flag' || r.cause === 'rounds' || r.cause === 'length';
}
