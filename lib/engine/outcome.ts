/** The seam between "what Apache would decide" and "how Node does it". */
import type { StatusCause } from '../errors.js';

export type Outcome =
  /** No rule changed anything: serve the request as it is. */
  | { readonly type: 'pass' }
  /** An internal rewrite: `path` is the decoded URL-path, `url` the encoded form for `req.url`. */
  | {
      readonly type: 'rewrite';
      readonly path: string;
      readonly args: string | null;
      readonly url: string;
      /**
       * Server context `[PT]`: translate_name declines, so later translators (mod_alias) see
       * `path`.
       */
      readonly passThrough?: true;
    }
  /** A substitution Apache would treat as a filesystem path outside the document root. */
  | {
      readonly type: 'file';
      readonly path: string;
      readonly args: string | null;
      readonly url: string;
    }
  /** An external redirect; `location` is fully qualified and escaped as Apache does it. */
  | { readonly type: 'redirect'; readonly status: number; readonly location: string }
  /**
   * F, G, R=4xx/5xx, the 403 safety checks, or a 500 from a loop limit. `cause` says which
   * (statusErrorCode maps it); `reason` is for logs.
   */
  | {
      readonly type: 'status';
      readonly status: number;
      readonly cause: StatusCause;
      readonly reason?: string;
    }
  /** [P]: hand off to the proxy. `target` is the URL the backend should get. */
  | {
      readonly type: 'proxy';
      readonly target: string;
      readonly noCanon: boolean;
      readonly self?: boolean;
    };

/** Side effects of the rules that matched (applied whatever the outcome, like Apache). */
export interface Effects {
  /** Header names for the response's Vary. */
  readonly vary: readonly string[];
  /** Full Set-Cookie values from CO flags. */
  readonly cookies: readonly string[];
  /**
   * The environment after E= flags (byte strings), including REDIRECT_* after internal redirects.
   */
  readonly env: ReadonlyMap<string, string>;
  /** T= (lower-cased). */
  readonly contentType?: string;
  /** H= (lower-cased). */
  readonly handler?: string;
  /** END was used: later passes decline. */
  readonly end: boolean;
  /** Internal redirects performed in per-directory context. */
  readonly internalRedirects: number;
  /**
   * r->status as a redirect rule (an absolute URL, or [R] without [L]) set it before a later rule
   * rewrote to a local path: apply_rewrite_rule leaves it, so the local answer goes out with it
   * and ap_internal_redirect carries it to the new request (recorded, case 333).
   */
  readonly status?: number;
  /**
   * A server-context status after the rules rewrote: r->filename and r->args as they left them.
   * hook_uri2file returns the status without restoring them, so the error page's `Header`
   * expressions read them (REQUEST_FILENAME, QUERY_STRING; case 507).
   */
  readonly refusedAs?: { readonly filename: string; readonly args: string | null };
}

export interface Evaluation {
  readonly outcome: Outcome;
  readonly effects: Effects;
}

/** The outcome of most requests, shared. */
export const PASS: Outcome = Object.freeze({ type: 'pass' });
