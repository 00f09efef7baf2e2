/**
 * Mutable per-request state of one evaluation (Apache's request_rec fields mod_rewrite touches).
 */
import type { RewriteMapSource } from '../common/maps.js';
import type { RequestView, ServerInfo } from './request.js';
import type { TraceHook } from './trace.js';

export interface FsView {
  /** stat(): undefined when the path does not exist. */
  stat(path: string):
    | {
        isFile(): boolean;
        isDirectory(): boolean;
        size: number | bigint;
        mode: number | bigint;
        /** Owner and group (SCRIPT_USER, SCRIPT_GROUP); a virtual tree has none. */
        uid?: number | bigint;
        gid?: number | bigint;
      }
    | undefined;
  /** lstat(): undefined when the path does not exist. */
  lstat(path: string): { isSymbolicLink(): boolean } | undefined;
}

export interface Captures {
  readonly src: string;
  readonly m: RegExpExecArray | null;
}

export interface RequestState {
  /** r->uri: the decoded, normalised URL-path of this (possibly internally redirected) request. */
  uri: string;
  /** r->args: the raw query, without `?`; null when there is none. */
  args: string | null;
  /** r->filename. */
  filename: string;
  /** r->path_info. */
  pathInfo: string;
  /** r->subprocess_env (E= flags, REDIRECT_*). */
  env: Map<string, string>;
  /** True while `env` is the caller's Map (copied before the first write). */
  envShared?: boolean;
}

export interface EvalContext {
  readonly view: RequestView;
  readonly server: ServerInfo;
  readonly fs: FsView;
  readonly maps: ReadonlyMap<string, RewriteMapSource>;
  /** Per-request map results (also makes re-runs after an async lookup deterministic). */
  readonly mapCache: Map<string, string | undefined>;
  readonly state: RequestState;
  /** Per-dir prefix (the directory, ending in `/`), or null in server context. */
  perdir: string | null;
  /** RewriteBase of the per-directory rules (LA-U builds its URL with it). */
  base?: string;
  /** What the current rule's pattern was matched against (mod_rewrite's ctx->uri). */
  subject?: string;
  rr: Captures | null;
  rc: Captures | null;
  varyThis: string[];
  vary: string[];
  /** Headers to add to the response's Vary (from rules that matched as a whole). */
  responseVary: string[];
  cookies: string[];
  cookieNames?: Set<string>;
  forcedType?: string;
  forcedHandler?: string;
  status: number;
  uriReduced: boolean;
  /**
   * A [P] or [PT] rule ended the pass: the result goes to mod_proxy, or back through URL mapping.
   * Apache marks this by prefixing r->filename with `proxy:` / `passthrough:`; a field says it
   * without a string that every reader must slice.
   */
  handoff?: 'proxy' | 'passthrough';
  /**
   * The [P] substitution was a path (qualified with this request's host): the proxy goes to this
   * server itself.
   */
  proxySelf?: boolean;
  end: boolean;
  /**
   * A server-context status ended the pass after the rules rewrote: r->filename and r->args as
   * they left them (Effects.refusedAs).
   */
  refusedAs?: { readonly filename: string; readonly args: string | null };
  /** Set when a map lookup is asynchronous: the driver awaits it and re-runs. */
  pending?: Promise<unknown>;
  /**
   * Structured trace events (trace.ts); text lines like Apache's rewrite:trace log are rendered
   * from them.
   */
  readonly trace?: TraceHook;
  /** REDIRECT_STATUS etc. (true when this pass follows an internal redirect). */
  readonly redirected: boolean;
  /** The URL-path the request arrived with (SCRIPT_URL); a string, no object per request. */
  readonly originalUri: string;
  /**
   * A look-ahead sub-request for `-U` (Apache's ap_sub_req_lookup_uri): the outcome for that URL.
   */
  readonly subrequest?: (url: string) => { readonly type: string; readonly status?: number };
  /**
   * A file sub-request for `-F` in per-directory context: true when the directory's rules leave the
   * file alone.
   */
  readonly fileSubrequest?: (path: string) => boolean;
}

/**
 * Shared empty list for the per-request arrays (Vary, cookies): most requests never fill them, so
 * they are allocated on first use. Frozen so a stray push fails loudly instead of leaking data.
 */
export const NONE: string[] = Object.freeze([]) as unknown as string[];

/** Appends to a lazily allocated list and returns the list to store back. */
export function append(list: string[], ...items: string[]): string[] {
  if (!items.length) return list;
  if (list === NONE) return items;
  list.push(...items);
  return list;
}

/** Thrown (and caught by the driver) when an async map lookup must be awaited first. */
export class NeedAsync {
  /** `map` names the map that was asked (for the budget's error message). */
  constructor(
    readonly promise: Promise<unknown>,
    readonly map?: string,
  ) {}
}
