/**
 * mod_authz_core's `Require` lines and `<RequireAll>`/`<RequireAny>`/`<RequireNone>` sections
 * (modules/aaa/mod_authz_core.c `add_authz_provider`, `add_authz_section`), with the providers of
 * mod_authz_core (`all`, `env`, `method`, `expr`) and mod_authz_host (`ip`, `local`, `host`), as
 * a tree site/access.ts evaluates like `apply_authz_sections`. Apache's load errors are kept:
 * `Require not` directly in a `<RequireAny>` (or at the top, an implicit one), `<RequireNone>` in
 * a `<RequireAny>`, an unknown method. mod_authz_user's `valid-user` and `user` need an
 * authenticated user (site/authn.ts); `group` and the other providers are refused (500).
 */
import type { AccessDirective, Arg } from '../syntax/ast.js';
import type { AuthzFrame, MethodSet } from '../syntax/limit.js';
import { methodNumberOf } from '../syntax/limit.js';
import type { ProblemSink } from '../syntax/parse.js';
import { getWordConf } from '../syntax/sections.js';
import { exprVariables, parseExpr, TIME_VARIABLE_NAMES, type ExprNode } from './expr.js';
import { ipNet, type IpNet } from './ip.js';

/** One provider's requirement. */
export type RequireRule =
  | { readonly type: 'all'; readonly granted: boolean }
  /** the client address (REMOTE_ADDR) is in one of the networks */
  | { readonly type: 'ip'; readonly nets: readonly IpNet[] }
  /** the client is on a loopback address or on the server's own address */
  | { readonly type: 'local' }
  /** one of the variables is set in the request's environment */
  | { readonly type: 'env'; readonly names: readonly string[] }
  /** the request method (HEAD counts as GET) is one of these */
  | { readonly type: 'method'; readonly methods: ReadonlySet<string> }
  /**
   * an ap_expr that must be true; `wantUser`: it reads REMOTE_USER, so false without a user asks
   * for one (expr_check_authorization's AUTHZ_DENIED_NO_USER)
   */
  | {
      readonly type: 'expr';
      readonly expr: ExprNode;
      readonly source: string;
      readonly wantUser: boolean;
    }
  /** mod_authz_user: any authenticated user (`valid-user`), or one of these names (`user`) */
  | { readonly type: 'valid-user' }
  | { readonly type: 'user'; readonly names: readonly string[] }
  /** the client's (double-reverse) host name: needs DNS, never known here */
  | { readonly type: 'host'; readonly names: readonly string[] };

/** A node of the authorization tree: a `Require` line or a section. */
export type AuthzNode =
  | {
      readonly type: 'provider';
      readonly rule: RequireRule;
      readonly negate: boolean;
      /** The `<Limit>` methods it applies to (undefined: all). */
      readonly limit?: MethodSet;
    }
  | {
      readonly type: 'section';
      readonly op: 'and' | 'or';
      readonly negate: boolean;
      readonly children: readonly AuthzNode[];
    };

type SectionDraft = { type: 'section'; op: 'and' | 'or'; negate: boolean; children: AuthzNode[] };

/** Builds the tree of one scope (a file's top level, or one `<Files>`) from its `Require` lines. */
export class AuthzBuilder {
  private root: SectionDraft | undefined;
  private readonly sections = new Map<AuthzFrame, SectionDraft>();

  constructor(private readonly sink: ProblemSink) {}

  /** The scope's tree; undefined when it had no (valid) `Require` line. */
  get tree(): AuthzNode | undefined {
    return this.root;
  }

  add(d: AccessDirective): void {
    const parsed = parseRequire(d, this.sink);
    if (!parsed) return;
    const parent = this.sectionFor(d.authz);
    if (!parent) return;
    if (parsed.negate && parent.op === 'or') {
      this.sink.add(
        'ERR_DIRECTIVE_ARGS',
        `negative Require directive has no effect in ${sectionName(parent)} directive`,
        d.pos,
      );
      return;
    }
    parent.children.push({
      type: 'provider',
      ...parsed,
      ...(d.limit && { limit: d.limit.methods }),
    });
  }

  /** The draft of a frame, created (and attached to its parent) at its first line. */
  private sectionFor(frame: AuthzFrame | undefined): SectionDraft | undefined {
    if (!frame) return (this.root ??= { type: 'section', op: 'or', negate: false, children: [] });
    const known = this.sections.get(frame);
    if (known) return known;
    const parent = this.sectionFor(frame.parent);
    if (!parent) return undefined;
    const draft: SectionDraft = {
      type: 'section',
      op: frame.op,
      negate: frame.negate,
      children: [],
    };
    this.sections.set(frame, draft);
    if (draft.negate && parent.op === 'or') {
      this.sink.add(
        'ERR_DIRECTIVE_ARGS',
        `${frame.opener}> directive has no effect in ${sectionName(parent)} directive`,
        frame.pos,
      );
      return undefined;
    }
    parent.children.push(draft);
    return draft;
  }
}

const sectionName = (s: SectionDraft): string =>
  s.op === 'and'
    ? s.negate
      ? '<RequireNotAll>'
      : '<RequireAll>'
    : s.negate
      ? '<RequireNone>'
      : '<RequireAny>';

/** add_authz_provider: `[not] provider args...`. */
function parseRequire(
  d: AccessDirective,
  sink: ProblemSink,
): { rule: RequireRule; negate: boolean } | undefined {
  let { word: provider, next } = getWordConf(d.raw, 0);
  const negate = provider.toLowerCase() === 'not';
  if (negate) ({ word: provider, next } = getWordConf(d.raw, next));
  if (!provider) {
    sink.add('ERR_DIRECTIVE_ARGS', 'Require requires at least one argument', d.pos);
    return undefined;
  }
  const rest = d.raw.slice(next);
  const words = d.args.slice(negate ? 2 : 1);
  // a provider was read, so the line has that word (its position is what problems point at)
  const at = d.args[negate ? 1 : 0] ?? d.args[0];
  if (!at) return undefined;
  const rule = providerRule(provider, rest, words, at, sink);
  return rule && { rule, negate };
}

function providerRule(
  provider: string,
  rest: string,
  words: readonly Arg[],
  at: Arg,
  sink: ProblemSink,
): RequireRule | undefined {
  const fail = (message: string, pos = at.pos): undefined => {
    sink.add('ERR_DIRECTIVE_ARGS', message, pos);
    return undefined;
  };
  switch (provider) {
    case 'all': {
      const v = words[0]?.text.toLowerCase();
      if (words.length !== 1 || (v !== 'granted' && v !== 'denied'))
        return fail("Argument for 'Require all' must be 'granted' or 'denied'", words[0]?.pos);
      return { type: 'all', granted: v === 'granted' };
    }
    case 'ip':
      return requireIp(words, at, sink);
    case 'local':
      // Apache ignores the words after `local`; a reader may expect them to mean something
      return words.length
        ? fail('Require local with arguments is not supported by modrewrite')
        : { type: 'local' };
    case 'env':
      return { type: 'env', names: words.map((w) => w.text) };
    case 'host':
      if (!words.length) return fail("'Require host' requires an argument");
      return { type: 'host', names: words.map((w) => w.text) };
    case 'method':
      return requireMethod(words, at, sink);
    case 'valid-user':
      return { type: 'valid-user' };
    case 'user':
      // user_parse_config: an ap_expr string; only literal names are read here (fail closed)
      if (words.some((w) => w.text.includes('%{')))
        return fail('Require user with an expression is not supported by modrewrite');
      return { type: 'user', names: words.map((w) => w.text) };
    case 'expr':
      return requireExpr(rest, at, sink);
    default:
      return fail(
        `Require ${provider} is not supported by modrewrite (all, ip, local, host, env, method, expr, valid-user and user are)`,
      );
  }
}

/** mod_authz_host's `ip_parse_config`: every word an address, a partial address or a network. */
function requireIp(words: readonly Arg[], at: Arg, sink: ProblemSink): RequireRule | undefined {
  if (!words.length) {
    sink.add('ERR_DIRECTIVE_ARGS', "'Require ip' requires an argument", at.pos);
    return undefined;
  }
  const nets: IpNet[] = [];
  for (const w of words) {
    const net = ipNet(w.text);
    if (net && 'address' in net) nets.push(net);
    else
      sink.add(
        'ERR_DIRECTIVE_ARGS',
        net?.error ?? `ip address '${w.text}' appears to be invalid`,
        w.pos,
      );
  }
  return nets.length === words.length ? { type: 'ip', nets } : undefined;
}

/** mod_authz_core's `method_parse_config`: known method names (case-sensitive; HEAD is GET). */
function requireMethod(words: readonly Arg[], at: Arg, sink: ProblemSink): RequireRule | undefined {
  if (!words.length) {
    sink.add('ERR_DIRECTIVE_ARGS', "'Require method' requires an argument", at.pos);
    return undefined;
  }
  const methods = new Set<string>();
  for (const w of words) {
    const number = methodNumberOf(w.text);
    if (number === undefined) {
      sink.add('ERR_DIRECTIVE_ARGS', `Invalid Method '${w.text}'`, w.pos);
      return undefined;
    }
    methods.add(number);
  }
  return { type: 'method', methods };
}

/** The variables `Require expr` can read here (site/access.ts gives their values). */
export const EXPR_VARIABLES = new Set([
  'REQUEST_URI',
  'QUERY_STRING',
  'REQUEST_METHOD',
  'REQUEST_SCHEME',
  'REQUEST_FILENAME',
  'SCRIPT_FILENAME',
  'REMOTE_ADDR',
  'HTTPS',
  'HTTP_USER_AGENT',
  'HTTP_PROXY_CONNECTION',
  'HTTP_REFERER',
  'HTTP_COOKIE',
  'HTTP_FORWARDED',
  'HTTP_HOST',
  'HTTP_ACCEPT',
  'SERVER_PROTOCOL',
  'THE_REQUEST',
  'DOCUMENT_ROOT',
  // r->user: empty before authentication, the user once check_user_id ran (case 540)
  'REMOTE_USER',
  // the clock: the manual's own `Require expr` example is office hours (case 542)
  ...TIME_VARIABLE_NAMES,
]);

/**
 * Whether the expression reads only variables modrewrite knows here (`%{HTTP:x}`, `%{ENV:x}` too):
 * the first one it does not know, or undefined.
 */
function knownVariables(node: ExprNode): string | undefined {
  return exprVariables(node).find((name) => variableProblem(name) !== undefined);
}

function variableProblem(name: string): string | undefined {
  if (/^(HTTP|ENV|REQ):./i.test(name)) return undefined;
  return EXPR_VARIABLES.has(name) ? undefined : name;
}

/**
 * mod_authz_core's `expr_parse_config`: the rest of the line, without surrounding double quotes.
 */
function requireExpr(rest: string, at: Arg, sink: ProblemSink): RequireRule | undefined {
  let source = rest.trim();
  if (source.length >= 2 && source.startsWith('"') && source.endsWith('"'))
    source = source.slice(1, -1);
  let expr: ExprNode;
  try {
    expr = parseExpr(source);
  } catch (err) {
    sink.add(
      'ERR_EXPR',
      `Cannot parse expression in require line: ${(err as Error).message}`,
      at.pos,
    );
    return undefined;
  }
  const unknown = knownVariables(expr);
  if (unknown !== undefined) {
    sink.add(
      'ERR_EXPR',
      `Require expr: the variable '${unknown}' is not supported by modrewrite here`,
      at.pos,
    );
    return undefined;
  }
  // ap_expr's lookup hook marks an expression that names REMOTE_USER (require_expr_info.want_user)
  const wantUser = exprVariables(expr).includes('REMOTE_USER');
  return { type: 'expr', expr, source, wantUser };
}
