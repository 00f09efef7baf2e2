/**
 * The engine's structured trace: one event per decision (a rule tried, a condition tested, a
 * substitution, env set, a flow flag, an internal redirect, the outcome). Events are the source;
 * the text lines of the middlewares' `trace` option (Apache's rewrite:trace log, plus positions
 * and result lines) are rendered from them by `renderTraceEvent`.
 *
 * Every emission is written `ctx.trace?.({...})`: when tracing is off the optional call skips the
 * argument, so the untraced path allocates no event.
 */
import type { SourcePosition } from '../errors.js';
import type { RuleFlags } from '../compile/flags.js';
import type { Outcome } from './outcome.js';

/** Why a rule pass (or the request) stopped. */
export type StopReason =
  /** [L] on a rule that matched. */
  | 'last'
  /** [END]: this pass and every later pass of the request stop. */
  | 'end'
  /** [PT]: handed back to URL mapping (server context) or the next translator. */
  | 'passthrough'
  /** [P]: handed to mod_proxy. */
  | 'proxy'
  /** [F], [G] or [R=4xx/5xx]: a status answers the request. */
  | 'status'
  /** An unsafe substitution (`?` from an encoded `%3f` without UnsafeAllow3F): 403. */
  | 'unsafe'
  /** [N] ran more rounds than its cap: 500. */
  | 'rounds'
  /** The filename grew beyond twice LimitRequestLine: 500. */
  | 'length'
  /** The last rule was tried. */
  | 'no-more-rules'
  /** An earlier pass of the request used [END]: these rules decline. */
  | 'end-earlier'
  /** A directory requested without its trailing slash: mod_rewrite declines for mod_dir. */
  | 'no-slash'
  /** The request is not inside the rules' directory. */
  | 'outside-directory'
  /** Not a URL-path (`*` or an absolute URI) and no `RewriteOptions AllowAnyURI`. */
  | 'not-a-path'
  /**
   * `Options -FollowSymLinks -SymLinksIfOwnerMatch`: per-directory rewriting is forbidden (403).
   */
  | 'symlinks'
  /** RewriteEngine is off. */
  | 'engine-off';

/** One structured trace event, discriminated on `type`. */
export type TraceEvent =
  /** A rule pass begins: server context, or one per-directory round. */
  | {
      readonly type: 'pass';
      readonly context: 'server' | 'directory';
      readonly uri: string;
      readonly args: string | null;
      /** Per-directory: the directory's filesystem path, ending in `/` (the stripped prefix). */
      readonly directory?: string;
      /** This pass follows an internal redirect (the per-directory rules run again). */
      readonly redirected: boolean;
    }
  /**
   * A rule's pattern was tried. `subject` is what it saw (per-directory: `path` minus `perdir`).
   */
  | {
      readonly type: 'rule';
      readonly pos: SourcePosition;
      readonly pattern: string;
      readonly negate: boolean;
      /** The filename (+ PATH_INFO) before the per-directory prefix was stripped. */
      readonly path: string;
      /** The stripped prefix (the directory, ending in `/`), or null in server context. */
      readonly perdir: string | null;
      readonly subject: string;
      readonly matched: boolean;
      /** $0..$N when the pattern matched (null for a group that did not take part). */
      readonly captures: readonly (string | null)[];
      /** The rule's flags, as short names (`L`, `R=301`, `NC`…). */
      readonly flags: readonly string[];
    }
  /** A RewriteCond was tested: `input` is the expanded TestString. */
  | {
      readonly type: 'cond';
      readonly pos: SourcePosition;
      readonly input: string;
      readonly pattern: string;
      readonly negate: boolean;
      readonly nocase: boolean;
      readonly ornext: boolean;
      readonly matched: boolean;
      /** %0..%N when a regex condition matched (null for a group that did not take part). */
      readonly captures?: readonly (string | null)[];
    }
  /** The pattern matched but the conditions did not hold: the rule is skipped. */
  | { readonly type: 'conditions-failed'; readonly pos: SourcePosition }
  /**
   * The substitution was expanded: `result` before, `filename` after the per-directory prefix /
   * query split.
   */
  | {
      readonly type: 'substitution';
      readonly pos: SourcePosition;
      readonly template: string;
      readonly result: string;
      readonly filename: string;
      readonly args: string | null;
      /** The per-directory prefix added to a relative result, if any. */
      readonly prefixAdded?: string;
    }
  /** E=: `value` null when the variable was removed (`E=!VAR`). */
  | { readonly type: 'env'; readonly name: string; readonly value: string | null }
  /** CO=: the Set-Cookie value. */
  | { readonly type: 'cookie'; readonly value: string }
  /** [C] failed: these rules of the chain are skipped; [S=n]: n rules skipped. */
  | {
      readonly type: 'skip';
      readonly reason: 'chain' | 'skip';
      readonly pos: SourcePosition;
      readonly count: number;
    }
  /** [N]: the rules start again from the first (round ≥ 2). */
  | { readonly type: 'next'; readonly pos: SourcePosition; readonly round: number }
  /** The pass stopped; `pos` is the rule that stopped it, if one did. */
  | { readonly type: 'stop'; readonly reason: StopReason; readonly pos?: SourcePosition }
  /** A map lookup: `value` undefined when it failed. */
  | {
      readonly type: 'map';
      readonly map: string;
      readonly key: string;
      readonly value?: string;
      readonly error?: string;
    }
  /**
   * `-U`/`-F`: a look-ahead sub-request ran the rules for `url`; `ok` is the condition's result.
   */
  | {
      readonly type: 'subrequest';
      readonly test: 'U' | 'F';
      readonly url: string;
      readonly ok: boolean;
    }
  /** Per-directory: the substitution is an internal redirect to `url` (the rules run again). */
  | { readonly type: 'internal-redirect'; readonly url: string }
  /** Per-directory: the result equals the request's filename, so nothing happens. */
  | { readonly type: 'same-url'; readonly url: string }
  /** Apache's other log lines (limits reached). */
  | { readonly type: 'note'; readonly message: string }
  /** The outcome of an evaluation (the entry point's result). */
  | { readonly type: 'outcome'; readonly outcome: Outcome };

export type TraceHook = (event: TraceEvent) => void;

/** `file:line:col` of a rule or condition (`rules` when the text came from no file). */
export function formatPos(pos: SourcePosition): string {
  return `${pos.file ?? 'rules'}:${pos.line}:${pos.column}`;
}

/** A RegExp match as plain strings (null for a group that did not take part). */
export function capturesOf(m: ArrayLike<string | undefined> | null): (string | null)[] {
  if (!m) return [];
  const out: (string | null)[] = [];
  for (let i = 0; i < m.length; i++) out.push(m[i] ?? null);
  return out;
}

/** The short names of a rule's flags, in Apache's spelling (only called when tracing). */
export function flagNames(f: RuleFlags): string[] {
  const out: string[] = [];
  const on: [boolean, string][] = [
    [f.chain, 'C'],
    [f.nocase, 'NC'],
    [f.redirect, `R=${f.forcedStatus}`],
    [
      f.status && !f.redirect,
      f.forcedStatus === 403 ? 'F' : f.forcedStatus === 410 ? 'G' : `R=${f.forcedStatus}`,
    ],
    [f.last, 'L'],
    [f.end, 'END'],
    [f.next, 'N'],
    [f.skip > 0, `S=${f.skip}`],
    [f.passthrough, 'PT'],
    [f.proxy, 'P'],
    [f.qsappend, 'QSA'],
    [f.qsdiscard, 'QSD'],
    [f.qslast, 'QSL'],
    [f.noescape, 'NE'],
    [f.escapeBackrefs, 'B'],
    [f.nosubreq, 'NS'],
    [f.discardPathInfo, 'DPI'],
    [f.env.length > 0, 'E'],
    [f.cookies.length > 0, 'CO'],
    [!!f.type, 'T'],
    [!!f.handler, 'H'],
  ];
  for (const [set, name] of on) if (set) out.push(name);
  return out;
}

const STOP_TEXT: Record<StopReason, string> = {
  last: 'stopped: [L]',
  end: 'stopped: [END] (later passes of this request decline too)',
  passthrough: 'stopped: [PT] (passed through to the next URI-to-filename handler)',
  proxy: 'stopped: [P] (forcing proxy-throughput)',
  status: 'stopped: a status flag ([F], [G], [R=4xx/5xx])',
  unsafe: 'stopped: unsafe substitution (403)',
  rounds: 'stopped: [N] exceeded its rounds (500)',
  length: 'stopped: the rewritten filename is too long (500)',
  'no-more-rules': 'no more rules',
  'end-earlier': 'declined: an earlier pass used [END]',
  'no-slash': 'declined: a directory without its trailing slash (mod_dir redirects)',
  'outside-directory': 'declined: the request is outside the rules\u2019 directory',
  'not-a-path': 'declined: the request target is not a URL-path',
  symlinks: 'forbidden: Options FollowSymLinks and SymLinksIfOwnerMatch are both off',
  'engine-off': 'RewriteEngine off',
};

/** The outcome as one line: what the request becomes. */
export function describeOutcome(o: Outcome): string {
  switch (o.type) {
    case 'pass':
      return 'pass through (nothing rewritten)';
    case 'rewrite':
      return `rewritten to ${o.url}${o.passThrough ? ' [PT]' : ''}`;
    case 'file':
      return `rewritten to the file ${o.path}${o.args !== null ? '?' + o.args : ''}`;
    case 'redirect':
      return `redirect ${o.status} to ${o.location}`;
    case 'status':
      return `status ${o.status}${o.reason ? ` (${o.reason})` : ''}`;
    case 'proxy':
      return `proxy to ${o.target}`;
  }
}

const q = (s: string): string => `'${s}'`;

/** ` ($1='a', $2='b')` for the groups of a match ($0, the whole match, is left out). */
function groups(sign: '$' | '%', captures: readonly (string | null)[]): string {
  if (captures.length < 2) return '';
  const parts = captures.slice(1).map((c, i) => `${sign}${i + 1}=${c === null ? 'unset' : q(c)}`);
  return ` (${parts.join(', ')})`;
}

/**
 * The text line of one event (Apache's rewrite:trace wording where Apache has a line, with the
 * rule's `file:line:col`): what the middlewares' `trace` option prints.
 * @example
 * renderTraceEvent({ type: 'env', name: 'X', value: '1' }); // "setting env variable 'X' to '1'"
 * (await explain(rules, '/a')).trace.map(renderTraceEvent); // the same as result.lines
 */
export function renderTraceEvent(e: TraceEvent): string {
  switch (e.type) {
    case 'pass':
      return e.context === 'server'
        ? `server-context pass for uri ${q(e.uri)}`
        : `[perdir ${e.directory ?? ''}] per-directory pass${e.redirected ? ' after an internal redirect' : ''} for uri ${q(e.uri)} (patterns see the path below ${e.directory ?? '/'})`;
    case 'rule':
      return `${formatPos(e.pos)}: applying pattern ${q(e.pattern)} to uri ${q(e.subject)}${e.matched ? groups('$', e.captures) : ' (no match)'}`;
    case 'cond':
      return `${formatPos(e.pos)}: RewriteCond: input=${q(e.input)} pattern=${q(e.pattern)}${e.nocase ? ' [NC]' : ''}${e.ornext ? ' [OR]' : ''} => ${e.matched ? 'matched' : 'not-matched'}${groups('%', e.captures ?? [])}`;
    case 'conditions-failed':
      return `${formatPos(e.pos)}: conditions not met: rule skipped`;
    case 'substitution':
      return `${formatPos(e.pos)}: rewrite ${q(e.template)} -> ${q(e.result)}${e.prefixAdded ? ` (add per-dir prefix: ${e.prefixAdded})` : ''}`;
    case 'env':
      return e.value === null
        ? `removing env variable ${q(e.name)}`
        : `setting env variable ${q(e.name)} to ${q(e.value)}`;
    case 'cookie':
      return `setting cookie ${q(e.value)}`;
    case 'skip':
      return e.reason === 'chain'
        ? `${formatPos(e.pos)}: [C] chain broken: skipping ${e.count} chained rule(s)`
        : `${formatPos(e.pos)}: [S=${e.count}] skipping ${e.count} rule(s)`;
    case 'next':
      return `${formatPos(e.pos)}: [N] starting round ${e.round}`;
    case 'stop':
      return e.pos ? `${formatPos(e.pos)}: ${STOP_TEXT[e.reason]}` : STOP_TEXT[e.reason];
    case 'map':
      return e.value === undefined
        ? `map lookup FAILED: map=${e.map} key=${e.key}${e.error ? `: ${e.error}` : ''}`
        : `map lookup OK: map=${e.map} key=${e.key} -> val=${e.value}`;
    case 'subrequest':
      return `-${e.test} look-ahead for ${q(e.url)} => ${e.ok ? 'true' : 'false'}`;
    case 'internal-redirect':
      return `internal redirect with ${e.url} [INTERNAL REDIRECT]`;
    case 'same-url':
      return `initial URL equal rewritten URL: ${e.url} [IGNORING REWRITE]`;
    case 'note':
      return e.message;
    case 'outcome':
      return `result: ${describeOutcome(e.outcome)}`;
  }
}

/** A structured hook that renders each event as a text line for a line sink. */
export function textHook(sink: (line: string) => void): TraceHook {
  return (event) => sink(renderTraceEvent(event));
}
