/**
 * Access control of `.htaccess` files: mod_authz_core's `Require` and mod_access_compat's `Order`,
 * `Allow`, `Deny`, `Satisfy`, at the top of the file or inside `<Files>`/`<FilesMatch>` sections.
 * Compiled here (pure data plus matchers); site/access.ts merges and applies them the way Apache's
 * access phase does. Only what can be evaluated exactly is accepted: everything else is refused
 * with ERR_DIRECTIVE_ARGS or ERR_CONTEXT (the directory answers 500), never ignored — fail closed.
 * Host names (`Allow from example.com`) are the exception: accepted, their DNS answer unknown, so
 * only what is allowed whatever they answer is allowed (site/access.ts).
 */
import type { AccessDirective, Arg } from '../syntax/ast.js';
import type { ProblemSink } from '../syntax/parse.js';
import type { FilesSection } from '../syntax/sections.js';
import type { CompiledWhen } from './env.js';
import type { MethodSet } from '../syntax/limit.js';
import { AuthzBuilder, type AuthzNode } from './authz.js';
import { ipNet, type IpNet } from './ip.js';
import { fnmatchRegExp } from '../common/fnmatch.js';
import { compilePcre, PcreError } from './pcre.js';
import { resolve as resolvePath } from 'node:path';

export { ipNet, type IpNet } from './ip.js';
export type { AuthzNode, RequireRule } from './authz.js';

/** One `Allow from`/`Deny from` argument modrewrite evaluates. */
export type HostRule =
  | { readonly type: 'all' }
  | { readonly type: 'ip'; readonly net: IpNet }
  /** `env=VAR` / `env=!VAR`: whether the request's environment has VAR. */
  | { readonly type: 'env'; readonly name: string; readonly negate: boolean }
  /**
   * A host name or domain (allow_cmd's T_HOST): matched against the client's double-reverse DNS
   * name, which modrewrite never looks up — site/access.ts treats the answer as unknown.
   */
  | { readonly type: 'host'; readonly name: string };

/** A value with the `<Limit>` methods it applies to (undefined: every method). */
export interface Limited<T> {
  readonly value: T;
  readonly limit?: MethodSet;
}

/**
 * mod_access_compat's per-section configuration (its whole config: a section that has one
 * replaces the parent's). Order and Satisfy are per method, Allow and Deny lines limited to the
 * methods of their `<Limit>`: lists in file order, the last one covering a method wins.
 */
export interface CompatConfig {
  readonly orders: readonly Limited<'deny,allow' | 'allow,deny' | 'mutual-failure'>[];
  readonly allows: readonly Limited<HostRule>[];
  readonly denys: readonly Limited<HostRule>[];
  /** `Satisfy Any`: either module's consent is enough (default: both are needed). */
  readonly satisfyAny: readonly Limited<boolean>[];
}

/**
 * mod_authn_core's `AuthType`/`AuthName`, mod_auth_basic's `AuthBasicProvider` and mod_authn_file's
 * `AuthUserFile`: each set field replaces the inherited one (their merge functions).
 */
export interface AuthConfig {
  /** `AuthType`: `none` unsets it (authn_core's `AuthType None`). */
  readonly type?: string;
  readonly name?: string;
  /** AuthUserFile, made absolute against the ServerRoot (ap_server_root_relative). */
  readonly userFile?: string;
}

/** What one section (a `.htaccess` top level, or one `<Files>`) says about access. */
export interface AccessSection {
  readonly auth?: AuthConfig;
  /** mod_authz_core: the section's `Require` tree (the top is an implicit `<RequireAny>`). */
  readonly require?: AuthzNode;
  /** `AuthMerging`: how `require` combines with the inherited one (unset: like Off). */
  readonly authMerging?: 'off' | 'and' | 'or';
  readonly compat?: CompatConfig;
}

/** A `<Files>`/`<FilesMatch>` section: which file names it applies to, and what it says. */
export interface FilesAccess {
  readonly section: FilesSection;
  readonly matches: (fileName: string) => boolean;
  readonly access: AccessSection;
}

/** The access configuration of one `.htaccess` file. */
export interface AccessConfig {
  readonly directory: AccessSection;
  /** In file order (Apache's file walk applies them in configuration order). */
  readonly files: readonly FilesAccess[];
  /**
   * `<If>` bodies with access directives (compile/env.ts), applied after the rest when their chain
   * holds.
   */
  readonly ifs?: readonly { readonly when: CompiledWhen; readonly access: AccessConfig }[];
}

interface Draft {
  authz: AuthzBuilder;
  auth?: { -readonly [K in keyof AuthConfig]: AuthConfig[K] };
  authMerging?: AccessSection['authMerging'];
  orders: Limited<'deny,allow' | 'allow,deny' | 'mutual-failure'>[];
  allows: Limited<HostRule>[];
  denys: Limited<HostRule>[];
  satisfyAny: Limited<boolean>[];
  compat: boolean;
}

const newDraft = (sink: ProblemSink): Draft => ({
  authz: new AuthzBuilder(sink),
  orders: [],
  allows: [],
  denys: [],
  satisfyAny: [],
  compat: false,
});

const ORDERS = new Map<string, 'deny,allow' | 'allow,deny' | 'mutual-failure'>([
  ['allow,deny', 'allow,deny'],
  ['deny,allow', 'deny,allow'],
  ['mutual-failure', 'mutual-failure'],
]);

/** Compiles the access directives of one file; undefined when it has none. */
export function compileAccess(
  directives: readonly AccessDirective[],
  sink: ProblemSink,
  serverRoot?: string,
): AccessConfig | undefined {
  if (!directives.length) return undefined;
  const top = newDraft(sink);
  const drafts = new Map<FilesSection, Draft>();
  for (const d of directives) {
    let draft = top;
    if (d.files) {
      draft = drafts.get(d.files) ?? newDraft(sink);
      drafts.set(d.files, draft);
    }
    if (!authDirective(draft, d, sink, serverRoot)) applyDirective(draft, d, sink);
  }
  const files: FilesAccess[] = [];
  for (const [section, draft] of drafts) {
    const matches = filesMatcher(section, sink);
    if (matches) files.push({ section, matches, access: finish(draft) });
  }
  return { directory: finish(top), files };
}

function finish(d: Draft): AccessSection {
  const compat: CompatConfig | undefined = d.compat
    ? { orders: d.orders, allows: d.allows, denys: d.denys, satisfyAny: d.satisfyAny }
    : undefined;
  return { require: d.authz.tree, authMerging: d.authMerging, compat, auth: d.auth };
}

/** The authentication directives (TAKE1 each); false for the others. */
function authDirective(
  draft: Draft,
  d: AccessDirective,
  sink: ProblemSink,
  serverRoot: string | undefined,
): boolean {
  const name = d.name;
  if (name !== 'AuthType' && name !== 'AuthName' && name !== 'AuthUserFile') {
    if (name !== 'AuthBasicProvider') return false;
    // only mod_authn_file's provider is loaded: another name is Apache's load error (AH01620-ish)
    for (const w of d.args)
      if (w.text.toLowerCase() !== 'file')
        sink.add('ERR_DIRECTIVE_ARGS', `Unknown Authn provider: ${w.text}`, w.pos);
    return true;
  }
  const only = d.args.length === 1 ? d.args[0] : undefined;
  if (!only) {
    sink.add('ERR_DIRECTIVE_ARGS', `${name} takes one argument`, d.pos);
    return true;
  }
  const auth = (draft.auth ??= {});
  if (name === 'AuthType') auth.type = only.text;
  else if (name === 'AuthUserFile') auth.userFile = resolvePath(serverRoot ?? '/', only.text);
  else if (only.text.includes('%{'))
    sink.add('ERR_DIRECTIVE_ARGS', 'AuthName with an expression is not supported', only.pos);
  else auth.name = only.text;
  return true;
}

const MERGINGS = new Map<string, 'off' | 'and' | 'or'>([
  ['off', 'off'],
  ['and', 'and'],
  ['or', 'or'],
]);

function applyDirective(draft: Draft, d: AccessDirective, sink: ProblemSink): void {
  const limit = d.limit?.methods;
  const only = d.args.length === 1 ? d.args[0] : undefined;
  switch (d.name) {
    case 'Require':
      draft.authz.add(d);
      return;
    case 'AuthMerging': {
      const merging = only && MERGINGS.get(only.text.toLowerCase());
      if (merging) draft.authMerging = merging;
      else sink.add('ERR_DIRECTIVE_ARGS', 'AuthMerging must be one of: Off | And | Or', d.pos);
      return;
    }
    case 'Order': {
      draft.compat = true;
      const order = only ? ORDERS.get(only.text.toLowerCase()) : undefined;
      if (!only)
        sink.add(
          'ERR_DIRECTIVE_ARGS',
          "order takes one argument, 'allow,deny', 'deny,allow', or 'mutual-failure'",
          d.pos,
        );
      else if (!order) sink.add('ERR_DIRECTIVE_ARGS', 'unknown order', only.pos);
      else draft.orders.push({ value: order, limit });
      return;
    }
    case 'Allow':
    case 'Deny':
      draft.compat = true;
      allowDeny(draft, d, sink);
      return;
    case 'Satisfy': {
      draft.compat = true;
      const arg = only?.text.toLowerCase();
      if (arg === 'any' || arg === 'all') draft.satisfyAny.push({ value: arg === 'any', limit });
      else sink.add('ERR_DIRECTIVE_ARGS', "Satisfy either 'any' or 'all'.", d.pos);
      return;
    }
  }
}

/** mod_access_compat's `allow_cmd` (ITERATE2: `from`, then one rule per argument). */
function allowDeny(draft: Draft, d: AccessDirective, sink: ProblemSink): void {
  const [from, ...where] = d.args;
  if (!from || !where.length) {
    sink.add('ERR_DIRECTIVE_ARGS', `${d.name.toLowerCase()} takes at least two arguments`, d.pos);
    return;
  }
  if (from.text.toLowerCase() !== 'from') {
    sink.add('ERR_DIRECTIVE_ARGS', "allow and deny must be followed by 'from'", from.pos);
    return;
  }
  const list = d.name === 'Allow' ? draft.allows : draft.denys;
  for (const w of where) {
    const rule = hostRule(w, sink);
    if (rule) list.push({ value: rule, limit: d.limit?.methods });
  }
}

function hostRule(w: Arg, sink: ProblemSink): HostRule | undefined {
  const text = w.text;
  const lower = text.toLowerCase();
  if (lower.startsWith('env=!')) return { type: 'env', name: text.slice(5), negate: true };
  if (lower.startsWith('env=')) return { type: 'env', name: text.slice(4), negate: false };
  if (lower === 'all') return { type: 'all' };
  // allow_cmd: with a `/`, or looking like an address, it is one; otherwise a host name (DNS)
  const net = ipNet(text);
  if (net && 'address' in net) return { type: 'ip', net };
  if (net || text.includes('/')) {
    sink.add('ERR_DIRECTIVE_ARGS', net?.error ?? 'An IP address was expected', w.pos);
    return undefined;
  }
  // anything else is a host name (`none` included: phpMyAdmin's libraries/.htaccess, case 390)
  return { type: 'host', name: text };
}

/** The file-name test of a section: PCRE for `<FilesMatch>`/`<Files ~>`, apr_fnmatch otherwise. */
export function filesMatcher(
  section: FilesSection,
  sink: ProblemSink,
): ((fileName: string) => boolean) | undefined {
  if (!section.regex) {
    const re = fnmatchRegExp(section.pattern);
    return (name) => re.test(name);
  }
  try {
    const re = compilePcre(section.pattern, false);
    return (name) => {
      re.lastIndex = 0;
      return re.test(name);
    };
  } catch (err) {
    if (!(err instanceof PcreError)) throw err;
    sink.add(
      err.unsupported ? 'ERR_REGEX_UNSUPPORTED' : 'ERR_REGEX',
      `${section.opener}: Regex could not be compiled: ${err.message}`,
      section.pos,
    );
    return undefined;
  }
}

// apr_fnmatch lives in common/ (syntax/include.ts globs with it too)
export { fnmatchRegExp };
