/** The public types of the middleware: rules input, options, hand-off signatures, `req.rewrite`. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RuleSet } from '../compile/ruleset.js';
import type { TypedRule } from '../compile/typed.js';
import type { RewriteMapSource, UserMapFunction } from '../common/maps.js';
import type { Outcome } from '../engine/outcome.js';
import type { FsView } from '../engine/state.js';

/** Rules: Apache text, typed rule objects, `{ file }`, or an already compiled RuleSet. */
export type RulesInput = string | readonly TypedRule[] | { readonly file: string } | RuleSet;

/** What `[P]` hands to `options.proxy`. */
export interface ProxyRequest {
  /** The URL the backend should receive (canonicalised like mod_proxy unless `noCanon`). */
  readonly target: string;
  /** `[NE]`: the target was not canonicalised. */
  readonly noCanon: boolean;
  /**
   * The substitution was a path: this server itself (the proxy connects to the request's local
   * address and port, whatever its Host says).
   */
  readonly self?: boolean;
}

export type Next = (err?: unknown) => void;

export type ProxyHandler<Req, Res> = (req: Req, res: Res, next: Next, proxy: ProxyRequest) => void;

export type FileHandler<Req, Res> = (
  req: Req,
  res: Res,
  next: Next,
  file: { path: string; args: string | null },
) => void;

export type Handler<Req, Res> = (req: Req, res: Res, next: Next) => void;

/**
 * `req.rewrite`: what modrewrite decided, one shape for `rewrite()`, `site()` and `htaccess()`
 * (set only when there is something to tell: an environment, T=/H=, a trace, an internal redirect).
 */
export interface RewriteInfo {
  /** The environment after E= flags (UTF-8 decoded), incl. REDIRECT_* after internal redirects. */
  readonly env: Record<string, string>;
  /** The decision: the engine's Outcome (`site()`: how the request was answered, as an Outcome). */
  readonly outcome: Outcome;
  /** T= and H= values, if any. */
  readonly contentType?: string;
  readonly handler?: string;
  /** The trace lines (when `options.trace` is on in `rewrite()`; empty otherwise). */
  readonly trace: readonly string[];
  /** Internal redirects on the way (REDIRECT_* variables), 0 when none. */
  readonly internalRedirects: number;
}

/** @deprecated the same shape as RewriteInfo now (kept for code written against 0.1 previews). */
export type SiteRewriteInfo = RewriteInfo;

// `req.rewrite` on Express's Request (the global namespace @types/express merges into its Request;
// declaring it needs no import of Express's types, so consumers without them are unaffected)
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /**
       * What modrewrite decided (`rewrite()`, `site()`, `htaccess()`), when there is something to
       * tell.
       */
      rewrite?: RewriteInfo;
    }
  }
}

export interface RewriteOptions<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
> {
  /**
   * `server` (patterns see `/path`) or `directory` (like an .htaccess; patterns see the path
   * relative to the directory).
   * @default 'server'
   */
  readonly context?: 'server' | 'directory';
  /**
   * DocumentRoot: REQUEST_FILENAME in directory context, DOCUMENT_ROOT, file tests.
   * @default process.cwd()
   */
  readonly root?: string;
  /**
   * Directory context: the URL-path the rules belong to.
   * @default the mount path (`req.baseUrl`) or `/`
   */
  readonly directory?: string;
  /** User maps (`${name:key}`), functions sync or async, or map sources. */
  readonly maps?: Readonly<Record<string, UserMapFunction | RewriteMapSource>>;
  /** Folder relative map paths resolve against. @default the rules file's folder, else cwd */
  readonly mapRoot?: string;
  /** Skip directives that are not mod_rewrite's instead of failing. @default false */
  readonly ignoreUnknownDirectives?: boolean;
  /** Names `<IfDefine>` sees as defined, like `apache2 -D NAME`. @default [] */
  readonly defines?: readonly string[];
  /**
   * The environment `${NAME}` in configuration lines falls back to after the Define'd names
   * (Apache: its process environment); `{}` for none. @default process.env
   */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /** Rules of the enclosing context, merged per RewriteOptions Inherit* like Apache. */
  readonly parent?: RulesInput;
  /** `[P]` outcomes go here. Without it, `[P]` answers 403 like Apache without mod_proxy. */
  readonly proxy?: ProxyHandler<Req, Res>;
  /**
   * Substitutions Apache would serve as a filesystem path outside the document root.
   * @default next() with the path as URL
   */
  readonly file?: FileHandler<Req, Res>;
  /** `[H=name]` handlers. */
  readonly handlers?: Readonly<Record<string, Handler<Req, Res>>>;
  /**
   * Which proxies to trust for REMOTE_ADDR/HTTPS (proxy-addr syntax, like Express's `trust proxy`).
   * @default the Express app's `trust proxy` setting (nothing outside Express)
   */
  readonly trustProxy?:
    boolean | string | readonly string[] | ((addr: string, i: number) => boolean);
  /** ServerName (used when the request has no Host header, and with useCanonicalName). */
  readonly serverName?: string;
  /** ServerAlias names. */
  readonly serverAliases?: readonly string[];
  /** UseCanonicalName On. @default false */
  readonly useCanonicalName?: boolean;
  readonly serverAdmin?: string;
  /** Trace every decision to `debug('modrewrite:engine')`, or to this function. @default false */
  readonly trace?: boolean | ((line: string) => void);
  /**
   * Always set `req.rewrite` when a rule matched (by default only when it carries env, type,
   * handler or trace).
   * @default false
   */
  readonly exposeOutcome?: boolean;
  /** Filesystem used for -f/-d/REQUEST_FILENAME. @default node:fs */
  readonly fs?: FsView;
  /**
   * How long one request may wait for asynchronous map answers, in ms; then `next(err)` with
   * ERR_MAP_TIMEOUT (500). `Infinity`: no limit.
   * @default DEFAULT_MAP_TIMEOUT (10 000)
   */
  readonly mapTimeout?: number;
}
