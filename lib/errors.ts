/**
 * One error root with stable codes. Users match on `error.code`; every code is listed in the README
 * (section "Errors") and checked by `__tests__/unit/errors.test.ts`.
 */
export const ERROR_CODES = {
  /** A directive line could not be split into arguments (Apache: "bad argument line"). */
  ERR_SYNTAX_ARGS: 'ERR_SYNTAX_ARGS',
  /** Flags not written as `[...]` (Apache: "bad flag delimiters"). */
  ERR_SYNTAX_FLAG_DELIMITERS: 'ERR_SYNTAX_FLAG_DELIMITERS',
  /** A flag name no Apache 2.4 rule/condition knows. */
  ERR_UNKNOWN_FLAG: 'ERR_UNKNOWN_FLAG',
  /** A flag with a missing or invalid value (e.g. `R=299`, `BNE` without chars). */
  ERR_FLAG_VALUE: 'ERR_FLAG_VALUE',
  /** A directive modrewrite does not know (unless `ignoreUnknownDirectives`). */
  ERR_UNKNOWN_DIRECTIVE: 'ERR_UNKNOWN_DIRECTIVE',
  /** A directive given the wrong arguments (`RewriteEngine maybe`, `RewriteBase foo`). */
  ERR_DIRECTIVE_ARGS: 'ERR_DIRECTIVE_ARGS',
  /**
   * A directive used where Apache forbids it (`RewriteBase` in server context, `RewriteMap` in a
   * directory).
   */
  ERR_CONTEXT: 'ERR_CONTEXT',
  /** A pattern that is not a valid regular expression. */
  ERR_REGEX: 'ERR_REGEX',
  /**
   * A PCRE construct JavaScript cannot express (possessive quantifiers, atomic groups, recursion,
   * ...).
   */
  ERR_REGEX_UNSUPPORTED: 'ERR_REGEX_UNSUPPORTED',
  /** An `expr` condition that does not parse. */
  ERR_EXPR: 'ERR_EXPR',
  /** A RewriteMap with an unknown int: function, a missing file, or a bad definition. */
  ERR_MAP: 'ERR_MAP',
  /** A RewriteOptions value Apache does not know. */
  ERR_OPTION: 'ERR_OPTION',
  /** Typed rule objects with a missing or contradictory field. */
  ERR_TYPED_RULE: 'ERR_TYPED_RULE',
  /** The rules file could not be read. */
  ERR_FILE: 'ERR_FILE',
  /** Input over a named limit (rule text size). */
  ERR_LIMIT: 'ERR_LIMIT',
  /** Invalid options passed to a factory. */
  ERR_OPTIONS: 'ERR_OPTIONS',
  /** Runtime: `[N]` exceeded its round limit (Apache AH02596), answered 500. */
  ERR_MAX_ROUNDS: 'ERR_MAX_ROUNDS',
  /**
   * Runtime: per-directory internal redirects exceeded LimitInternalRecursion (AH00124), answered
   * 500.
   */
  ERR_RECURSION: 'ERR_RECURSION',
  /** Runtime: a rewritten filename longer than twice LimitRequestLine, answered 500. */
  ERR_URI_TOO_LONG: 'ERR_URI_TOO_LONG',
  /**
   * Runtime: asynchronous map lookups did not settle within the request's budget (`mapTimeout`),
   * answered 500.
   */
  ERR_MAP_TIMEOUT: 'ERR_MAP_TIMEOUT',
  /**
   * Runtime: a rule answered a status itself (`[F]`, `[G]`, `[R=4xx]`, `[R=5xx]`); 5xx reach
   * `next(err)`.
   */
  ERR_STATUS_FLAG: 'ERR_STATUS_FLAG',
  /**
   * Runtime: a result Apache refuses to use (control characters or spaces in a rewritten query or a
   * `[P,NE]` target), answered 403.
   */
  ERR_UNSAFE_RESULT: 'ERR_UNSAFE_RESULT',
  /**
   * Runtime: a request Apache answers 400 (bad request-target, invalid Host header, bad proxy port,
   * a result that is no path).
   */
  ERR_BAD_REQUEST: 'ERR_BAD_REQUEST',
  /**
   * Runtime: configuration forbids the request (`Options -FollowSymLinks` with rules, a broken
   * `.htaccess`), answered 403/500.
   */
  ERR_FORBIDDEN_CONFIG: 'ERR_FORBIDDEN_CONFIG',
  /**
   * Runtime: a response header built from request data holds characters no header may hold (Apache
   * AH02430), answered 500.
   */
  ERR_RESPONSE_HEADER: 'ERR_RESPONSE_HEADER',
  /**
   * Runtime: a `[P]` request whose body an earlier middleware read without leaving a
   * re-serialisable `req.body`, answered 500.
   */
  ERR_PROXY_BODY_CONSUMED: 'ERR_PROXY_BODY_CONSUMED',
} as const;

export type RewriteErrorCode = keyof typeof ERROR_CODES;

/**
 * Why an outcome is a status rather than a URL (typed, so the code below never guesses):
 * `flag` [F]/[G]/[R=4xx|5xx]; `rounds` [N] over its limit; `length` a result over twice
 * LimitRequestLine; `recursion` LimitInternalRecursion; `unsafe` control characters or spaces in a
 * rewritten query or a [P,NE] target; `bad-request` a malformed target, Host or proxy port;
 * `config` configuration that forbids the request; `header` a response header that cannot be sent.
 */
export type StatusCause =
  'flag' | 'rounds' | 'length' | 'recursion' | 'unsafe' | 'bad-request' | 'config' | 'header';

/**
 * The one place a status outcome's cause becomes an error code.
 * @example
 * statusErrorCode('recursion'); // 'ERR_RECURSION'
 */
export function statusErrorCode(cause: StatusCause | undefined): RewriteErrorCode {
  switch (cause) {
    case 'rounds':
      return 'ERR_MAX_ROUNDS';
    case 'length':
      return 'ERR_URI_TOO_LONG';
    case 'recursion':
      return 'ERR_RECURSION';
    case 'unsafe':
      return 'ERR_UNSAFE_RESULT';
    case 'bad-request':
      return 'ERR_BAD_REQUEST';
    case 'config':
      return 'ERR_FORBIDDEN_CONFIG';
    case 'header':
      return 'ERR_RESPONSE_HEADER';
    case 'flag':
    case undefined:
      return 'ERR_STATUS_FLAG';
  }
}

/** Where a problem is: file (if any), 1-based line and column. */
export interface SourcePosition {
  readonly file?: string;
  readonly line: number;
  readonly column: number;
}

/** One problem found while loading rules. */
export interface RewriteProblem extends SourcePosition {
  readonly code: RewriteErrorCode;
  readonly message: string;
  /** The offending line with a caret under the column. */
  readonly frame: string;
}

/**
 * Load warnings: a configuration that loads, with something the user should know (reported once
 * per file: `modrewrite lint`, the `.htaccess` log of site()/htaccess()/serve, `RuleSet.warnings`).
 */
export const WARNING_CODES = {
  /**
   * Directives accepted without effect (output filters, mod_deflate, mod_filter, mod_negotiation).
   */
  WARN_NO_EFFECT: 'WARN_NO_EFFECT',
  /**
   * AddHandler/SetHandler of a handler modrewrite runs only when `site({ handlers })` registers it.
   */
  WARN_HANDLER: 'WARN_HANDLER',
  /**
   * An `.htaccess` directive skipped under `AllowOverride Nonfatal=…` (not allowed there, or
   * unknown).
   */
  WARN_NONFATAL: 'WARN_NONFATAL',
  /**
   * `${NAME}` in a configuration line names no Define'd variable and nothing in the environment:
   * the text stays as written (Apache's AH00111 "Config variable ${NAME} is not defined").
   */
  WARN_UNDEFINED_VARIABLE: 'WARN_UNDEFINED_VARIABLE',
} as const;

export type RewriteWarningCode = keyof typeof WARNING_CODES;

/** One load warning: where, what, and the line with a caret. */
export interface RewriteWarning extends SourcePosition {
  readonly code: RewriteWarningCode;
  readonly message: string;
  readonly frame: string;
}

/** Root of every error modrewrite throws or passes to `next(err)`. */
export class RewriteError extends Error {
  override name = 'RewriteError';
  readonly code: RewriteErrorCode;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly frame?: string;
  /** HTTP status for runtime errors passed to `next(err)`. */
  readonly status?: number;
  /** All problems, when several were collected (the first is mirrored on the error itself). */
  readonly problems: readonly RewriteProblem[];

  constructor(
    code: RewriteErrorCode,
    message: string,
    extra: {
      problems?: RewriteProblem[];
      status?: number;
      position?: SourcePosition;
      frame?: string;
    } = {},
  ) {
    super(message);
    this.code = code;
    this.status = extra.status;
    this.problems = extra.problems ?? [];
    const pos = extra.position ?? this.problems[0];
    if (pos) {
      this.file = pos.file;
      this.line = pos.line;
      this.column = pos.column;
    }
    this.frame = extra.frame ?? this.problems[0]?.frame;
  }
}

/** Load-time problems (syntax and configuration), collected and thrown together. */
export class RewriteSyntaxError extends RewriteError {
  override name = 'RewriteSyntaxError';
}

/** Request-time failures, passed to `next(err)` with a `status`. */
export class RewriteRuntimeError extends RewriteError {
  override name = 'RewriteRuntimeError';
}

/** Formats `message (file:line:column)` plus a caret frame, Apache-worded. */
export function formatProblem(p: RewriteProblem): string {
  const where = `${p.file ?? '<rules>'}:${p.line}:${p.column}`;
  return `${p.message} (${where})\n${p.frame}`;
}

export function codeFrame(sourceLine: string, column: number): string {
  const lineText = sourceLine.replace(/\t/g, ' ');
  return `> ${lineText}\n  ${' '.repeat(Math.max(0, column - 1))}^`;
}

/** Throws one RewriteSyntaxError holding every problem, or returns quietly when there is none. */
export function throwIfProblems(problems: RewriteProblem[]): void {
  if (problems.length === 0) return;
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  const first = problems[0];
  const more =
    problems.length > 1
      ? `\n(and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''}:\n${problems.slice(1).map(formatProblem).join('\n')})`
      : '';
  throw new RewriteSyntaxError(first.code, formatProblem(first) + more, { problems });
}
