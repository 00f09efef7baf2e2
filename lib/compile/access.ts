/**
 * Access control of `.htaccess` files: mod_authz_core's `Require` and mod_access_compat's `Order`,
 * `Allow`, `Deny`, `Satisfy`, at the top of the file or inside `<Files>`/`<FilesMatch>` sections.
 * Compiled here (pure data plus matchers); site/access.ts merges and applies them the way Apache's
 * access phase does. Only what can be evaluated exactly is accepted: everything else is refused
 * with ERR_DIRECTIVE_ARGS or ERR_CONTEXT (the directory answers 500), never ignored — fail closed.
 */
import { isIP } from 'node:net';
import type { AccessDirective, Arg } from '../syntax/ast.js';
import type { ProblemSink } from '../syntax/parse.js';
import type { FilesSection } from '../syntax/sections.js';
import { compilePcre, PcreError } from './pcre.js';

/**
 * An address and its network (apr_ipsubnet_t): `10.1` is 10.1.0.0/16, `::1` is ::1/128. IPv4
 * keeps its netmask, which Apache does not require to be contiguous (`10.0.0.0/255.0.255.0`).
 */
export type IpNet =
  | { readonly family: 'ipv4'; readonly address: string; readonly netmask: string }
  | { readonly family: 'ipv6'; readonly address: string; readonly prefix: number };

/** One `Require` line modrewrite evaluates (mod_authz_core's `all`, mod_authz_host's `ip` and `local`). */
export type RequireRule =
  | { readonly kind: 'all'; readonly granted: boolean }
  /** the client address (REMOTE_ADDR) is in one of the networks */
  | { readonly kind: 'ip'; readonly nets: readonly IpNet[] }
  /** the client is on a loopback address or on the server's own address */
  | { readonly kind: 'local' };

/** One `Allow from`/`Deny from` argument modrewrite evaluates. */
export type HostRule =
  | { readonly kind: 'all' }
  | { readonly kind: 'ip'; readonly net: IpNet }
  /** `env=VAR` / `env=!VAR`: whether the request's environment has VAR. */
  | { readonly kind: 'env'; readonly name: string; readonly negate: boolean };

/** mod_access_compat's per-section configuration (its whole config: a section that has one replaces the parent's). */
export interface CompatConfig {
  readonly order: 'deny,allow' | 'allow,deny' | 'mutual-failure';
  readonly allows: readonly HostRule[];
  readonly denys: readonly HostRule[];
  /** `Satisfy Any`: either module's consent is enough (default: both are needed). */
  readonly satisfyAny: boolean;
}

/** What one section (a `.htaccess` top level, or one `<Files>`) says about access. */
export interface AccessSection {
  /** mod_authz_core: the section's `Require` lines (an implicit RequireAny: one that grants grants). */
  readonly require?: readonly RequireRule[];
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
}

interface Draft {
  require?: RequireRule[];
  order?: CompatConfig['order'];
  allows?: HostRule[];
  denys?: HostRule[];
  satisfyAny?: boolean;
  compat: boolean;
}

const ORDERS = new Map<string, CompatConfig['order']>([
  ['allow,deny', 'allow,deny'],
  ['deny,allow', 'deny,allow'],
  ['mutual-failure', 'mutual-failure'],
]);

/** Compiles the access directives of one file; undefined when it has none. */
export function compileAccess(
  directives: readonly AccessDirective[],
  sink: ProblemSink,
): AccessConfig | undefined {
  if (!directives.length) return undefined;
  const top: Draft = { compat: false };
  const drafts = new Map<FilesSection, Draft>();
  for (const d of directives) {
    let draft = top;
    if (d.files) {
      draft = drafts.get(d.files) ?? { compat: false };
      drafts.set(d.files, draft);
    }
    applyDirective(draft, d, sink);
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
    ? {
        order: d.order ?? 'deny,allow',
        allows: d.allows ?? [],
        denys: d.denys ?? [],
        satisfyAny: d.satisfyAny ?? false,
      }
    : undefined;
  return { require: d.require, compat };
}

function applyDirective(draft: Draft, d: AccessDirective, sink: ProblemSink): void {
  switch (d.name) {
    case 'Require':
      requireLine(draft, d, sink);
      return;
    case 'Order': {
      draft.compat = true;
      const only = d.args.length === 1 ? d.args[0] : undefined;
      const order = only ? ORDERS.get(only.text.toLowerCase()) : undefined;
      if (!only)
        sink.add(
          'ERR_DIRECTIVE_ARGS',
          "order takes one argument, 'allow,deny', 'deny,allow', or 'mutual-failure'",
          d.pos,
        );
      else if (!order) sink.add('ERR_DIRECTIVE_ARGS', 'unknown order', only.pos);
      else draft.order = order;
      return;
    }
    case 'Allow':
    case 'Deny':
      draft.compat = true;
      allowDeny(draft, d, sink);
      return;
    case 'Satisfy': {
      draft.compat = true;
      const only = d.args.length === 1 ? d.args[0] : undefined;
      const arg = only?.text.toLowerCase();
      if (arg === 'any' || arg === 'all') draft.satisfyAny = arg === 'any';
      else sink.add('ERR_DIRECTIVE_ARGS', "Satisfy either 'any' or 'all'.", d.pos);
      return;
    }
  }
}

/** mod_authz_core's `add_authz_provider`: the `all` provider, mod_authz_host's `ip` and `local`. */
function requireLine(draft: Draft, d: AccessDirective, sink: ProblemSink): void {
  const [provider, ...rest] = d.args;
  if (!provider) {
    sink.add('ERR_DIRECTIVE_ARGS', 'Require requires at least one argument', d.pos);
    return;
  }
  const rule =
    provider.text === 'all'
      ? requireAll(rest, provider, sink)
      : provider.text === 'ip'
        ? requireIp(rest, provider, sink)
        : provider.text === 'local' && !rest.length
          ? ({ kind: 'local' } as const)
          : unsupportedRequire(provider, sink);
  if (rule) (draft.require ??= []).push(rule);
}

/** host, env, method, expr, user, valid-user, `not` (refused by Apache in the implicit RequireAny)... */
function unsupportedRequire(provider: Arg, sink: ProblemSink): undefined {
  sink.add(
    'ERR_DIRECTIVE_ARGS',
    `Require ${provider.text} is not supported by modrewrite (only Require all granted|denied, ip and local)`,
    provider.pos,
  );
  return undefined;
}

function requireAll(
  rest: readonly Arg[],
  provider: Arg,
  sink: ProblemSink,
): RequireRule | undefined {
  const v = rest[0]?.text.toLowerCase();
  if (rest.length !== 1 || (v !== 'granted' && v !== 'denied')) {
    sink.add(
      'ERR_DIRECTIVE_ARGS',
      "Argument for 'Require all' must be 'granted' or 'denied'",
      rest[0]?.pos ?? provider.pos,
    );
    return undefined;
  }
  return { kind: 'all', granted: v === 'granted' };
}

/** mod_authz_host's `ip_parse_config`: every word an address, a partial address or a network. */
function requireIp(
  rest: readonly Arg[],
  provider: Arg,
  sink: ProblemSink,
): RequireRule | undefined {
  if (!rest.length) {
    sink.add('ERR_DIRECTIVE_ARGS', "'Require ip' requires an argument", provider.pos);
    return undefined;
  }
  const nets: IpNet[] = [];
  for (const w of rest) {
    const net = ipNet(w.text);
    if (net && 'address' in net) nets.push(net);
    else
      sink.add(
        'ERR_DIRECTIVE_ARGS',
        net?.error ?? `ip address '${w.text}' appears to be invalid`,
        w.pos,
      );
  }
  return nets.length === rest.length ? { kind: 'ip', nets } : undefined;
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
  const list = d.name === 'Allow' ? (draft.allows ??= []) : (draft.denys ??= []);
  for (const w of where) {
    const rule = hostRule(w, sink);
    if (rule) list.push(rule);
  }
}

function hostRule(w: Arg, sink: ProblemSink): HostRule | undefined {
  const text = w.text;
  const lower = text.toLowerCase();
  if (lower.startsWith('env=!')) return { kind: 'env', name: text.slice(5), negate: true };
  if (lower.startsWith('env=')) return { kind: 'env', name: text.slice(4), negate: false };
  if (lower === 'all') return { kind: 'all' };
  // allow_cmd: with a `/`, or looking like an address, it is one; otherwise a host name (DNS)
  const net = ipNet(text);
  if (net && 'address' in net) return { kind: 'ip', net };
  if (net || text.includes('/')) {
    sink.add('ERR_DIRECTIVE_ARGS', net?.error ?? 'An IP address was expected', w.pos);
    return undefined;
  }
  sink.add(
    'ERR_DIRECTIVE_ARGS',
    `Allow/Deny from '${text}' is not supported by modrewrite (a host name: only all, env= and addresses)`,
    w.pos,
  );
  return undefined;
}

/**
 * apr_ipsubnet_create: an address with an optional `/bits` or `/netmask`; without one an IPv4
 * address may be partial (`10.1` → 10.1.0.0/16); a netmask need not be contiguous. undefined: nothing like an address (Allow's host
 * name); `{ error }`: an address Apache refuses, or a form modrewrite does not evaluate (refused).
 */
export function ipNet(text: string): IpNet | { error: string } | undefined {
  const slash = text.indexOf('/');
  const ip = slash < 0 ? text : text.slice(0, slash);
  const mask = slash < 0 ? undefined : text.slice(slash + 1);
  const invalid = { error: `ip address '${text}' appears to be invalid` };
  // APR's looks_like_ip: any `:` makes it an (IPv6) address
  if (ip.includes(':')) {
    // an IPv4-mapped network or a zone: Apache compares them its own way; refused, not guessed
    if (ip.includes('.') || ip.includes('%'))
      return { error: `ip address '${text}' is not supported by modrewrite` };
    if (isIP(ip) !== 6) return invalid;
    const bits = mask === undefined ? 128 : /^\d{1,3}$/.test(mask) ? Number(mask) : -1;
    return bits >= 0 && bits <= 128 ? { address: ip, prefix: bits, family: 'ipv6' } : invalid;
  }
  if (ip === '' || !/^[0-9.]+$/.test(ip)) return undefined;
  if (mask === undefined) return partialNetwork(ip) ?? invalid;
  if (isIP(ip) !== 4) return invalid;
  const bits = /^\d{1,2}$/.test(mask) ? Number(mask) : -1;
  if (bits > 32) return invalid;
  if (bits >= 0) return { family: 'ipv4', address: ip, netmask: prefixMask(bits) };
  return isIP(mask) === 4 ? { family: 'ipv4', address: ip, netmask: mask } : invalid;
}

/** A prefix length as a dotted IPv4 netmask. */
function prefixMask(bits: number): string {
  const octets = [0, 1, 2, 3].map((k) => {
    const here = Math.max(0, Math.min(8, bits - 8 * k));
    return (0xff << (8 - here)) & 0xff;
  });
  return octets.join('.');
}

/** APR's `parse_network`: up to four decimal octets, the missing ones a wildcard. */
function partialNetwork(ip: string): IpNet | undefined {
  const octets = (ip.endsWith('.') ? ip.slice(0, -1) : ip).split('.');
  if (octets.length > 4 || octets.some((o) => !/^\d{1,3}$/.test(o) || Number(o) > 255))
    return undefined;
  const address = [0, 1, 2, 3].map((k) => Number(octets[k] ?? '0')).join('.');
  return { family: 'ipv4', address, netmask: prefixMask(8 * octets.length) };
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

/** Characters a RegExp (with the `u` flag) needs escaped, outside a class and inside one. */
const SPECIAL_OUTSIDE = /[\\^$.*+?()[\]{}|/]/g;
const SPECIAL_INSIDE = /[\\\]^[-]/g;

/**
 * apr_fnmatch (flags APR_FNM_PATHNAME, as core's file walk calls it) as an anchored RegExp: `*`
 * and `?` never match `/`, `[...]` (`[!...]`/`[^...]` negated, ranges) one character, `\\x` the
 * character x. Case-sensitive, a leading `.` is not special.
 */
export function fnmatchRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) out += escapeChar(pattern.charAt(++i));
    else if (c === '[') {
      const bracket = bracketClass(pattern, i);
      if (bracket) {
        out += bracket.source;
        i = bracket.end;
      } else out += escapeChar(c);
    } else out += escapeChar(c);
  }
  return new RegExp(`^(?:${out})$`, 'su');
}

const escapeChar = (c: string): string => c.replace(SPECIAL_OUTSIDE, '\\$&');
const escapeInClass = (c: string): string => c.replace(SPECIAL_INSIDE, '\\$&');

/** A `[...]` class starting at `start`, or undefined when it is not closed (then `[` is literal). */
function bracketClass(pattern: string, start: number): { source: string; end: number } | undefined {
  let i = start + 1;
  const negate = pattern.charAt(i) === '!' || pattern.charAt(i) === '^';
  if (negate) i++;
  let body = '';
  let first = true;
  while (i < pattern.length) {
    let c = pattern.charAt(i);
    if (c === ']' && !first) {
      // a slash is never matched by a class under APR_FNM_PATHNAME
      return { source: negate ? `[^/${body}]` : `(?!/)[${body}]`, end: i };
    }
    first = false;
    if (c === '\\' && i + 1 < pattern.length) c = pattern.charAt(++i);
    body += escapeInClass(c);
    if (pattern.charAt(i + 1) === '-' && i + 2 < pattern.length && pattern.charAt(i + 2) !== ']') {
      let hi = pattern.charAt(i + 2);
      i += 2;
      if (hi === '\\' && i + 1 < pattern.length) hi = pattern.charAt(++i);
      if (hi < c) return undefined;
      body += '-' + escapeInClass(hi);
    }
    i++;
  }
  return undefined;
}
