/**
 * mod_alias's configuration of one file (an `.htaccess` or the server config), compiled from the
 * directives syntax/alias.ts read; site/alias.ts applies it. Apache keeps per-directory
 * redirects (`.htaccess`, applied in the fixups) and server redirects and aliases (applied in
 * translate_name) apart; so does the RuleSet: `alias` is either, by the file's context.
 */
import { isAbsolute, resolve } from 'node:path';
import type { SourcePosition } from '../errors.js';
import type { AliasDirective, RedirectDirective } from '../syntax/ast.js';
import type { ProblemSink } from '../syntax/parse.js';
import { utf8ToBytes } from '../common/bytes.js';
import { joined } from '../common/lists.js';
import type { CompiledWhen } from './env.js';
import { ifSectionGroups } from './if-sections.js';
import { compilePcre, PcreError } from './pcre.js';

/** One `Redirect`/`RedirectMatch` line. */
export interface RedirectRule {
  readonly status: number;
  /** `Redirect`: the URL-path prefix, compared segment-wise (alias_matches). */
  readonly prefix?: string;
  /** `RedirectMatch`: the regular expression, matched against the decoded URL-path. */
  readonly re?: RegExp;
  /** The URL (3xx); `$N` are the regex's groups for RedirectMatch. */
  readonly target?: string;
  readonly pos: SourcePosition;
  /** The `<If>` chain the line stands in (`.htaccess` only): it applies while the chain holds. */
  readonly when?: CompiledWhen;
}

/** One `Alias`/`AliasMatch` line: a URL-path (prefix or regex) to a filesystem path. */
export interface AliasRule {
  readonly prefix?: string;
  readonly re?: RegExp;
  readonly target: string;
  /** Apache's ServerRoot: what a relative path (after `$N` substitution) resolves against. */
  readonly serverRoot: string;
  /** ScriptAlias's `cgi-script`: the handler of what it maps (mod_alias.c translate_alias_redir). */
  readonly handler?: string;
}

/** The whole-directory forms (`Redirect gone`, `Redirect 403`, `Redirect 301 /x`). */
export interface EveryRequestRedirect {
  readonly status: number;
  readonly target?: string;
  readonly when?: CompiledWhen;
}

export interface AliasConfig {
  /**
   * In configuration order; a child directory's come before its parent's (merge_alias_dir_config).
   */
  readonly redirects: readonly RedirectRule[];
  readonly everyRequest?: EveryRequestRedirect;
  /**
   * The lines inside `<If>` sections, tried before all others while their chain holds: ap_if_walk
   * merges each held section over the walked directories' configuration, in order, and
   * merge_alias_dir_config puts the newer lines first. So a later section's lines come first, and
   * a child directory's sections before its parent's (recorded, case 460).
   */
  readonly ifRedirects?: readonly RedirectRule[];
  /** The whole-directory forms inside `<If>` sections, in the same order (the first held wins). */
  readonly ifEveryRequest?: readonly EveryRequestRedirect[];
  /** Server config only. */
  readonly aliases: readonly AliasRule[];
}

/** Compiles the mod_alias directives of one file; undefined when it has none. */
export function compileAlias(
  directives: readonly (RedirectDirective | AliasDirective)[],
  serverRoot: string,
  context: 'server' | 'directory',
  sink: ProblemSink,
): AliasConfig | undefined {
  if (!directives.length) return undefined;
  const redirects: RedirectRule[] = [];
  const aliases: AliasRule[] = [];
  let everyRequest: EveryRequestRedirect | undefined;
  const inIf: RedirectDirective[] = [];
  for (const d of directives) {
    if (d.type === 'Alias') {
      const rule = compileAliasRule(d, serverRoot, sink);
      if (rule) aliases.push(rule);
      continue;
    }
    if (d.when) {
      if (context === 'directory') inIf.push(d);
      else refuseServerIf(d, sink);
      continue;
    }
    if (!d.pattern) everyRequest = everyRequestOf(d);
    else pushRedirect(redirects, d, sink);
  }
  return { redirects, everyRequest, aliases, ...compileIfRedirects(inIf, sink) };
}

/**
 * In the server configuration `<If>` makes a Redirect per-directory (core sets cmd->path to "*If"),
 * applied in every directory's fixups: not modelled, so refused rather than applied wrongly.
 */
function refuseServerIf(d: RedirectDirective, sink: ProblemSink): void {
  sink.add(
    'ERR_CONTEXT',
    `${d.name} inside <If> in the server configuration is not supported by modrewrite (in an .htaccess it is)`,
    d.pos,
  );
}

/** The whole-directory form; the last one wins, like Apache's single redirect_status slot. */
function everyRequestOf(d: RedirectDirective, when?: CompiledWhen): EveryRequestRedirect {
  return {
    status: d.status,
    target: d.target === undefined ? undefined : utf8ToBytes(d.target),
    ...(when && { when }),
  };
}

function pushRedirect(
  list: RedirectRule[],
  d: RedirectDirective,
  sink: ProblemSink,
  when?: CompiledWhen,
): void {
  // Apache compares bytes: the UTF-8 of the configuration against the decoded URL-path's bytes
  const re = d.regex ? regex(d.pattern!.text, d.pattern!.pos, sink) : undefined;
  if (d.regex && !re) return;
  list.push({
    status: d.status,
    prefix: d.regex ? undefined : utf8ToBytes(d.pattern!.text),
    re,
    target: d.target === undefined ? undefined : utf8ToBytes(d.target),
    pos: d.pos,
    ...(when && { when }),
  });
}

/**
 * The Redirect lines of a file's `<If>` sections, later section first (each section's own lines
 * in order); a section's last whole-directory form is its one.
 */
function compileIfRedirects(
  directives: readonly RedirectDirective[],
  sink: ProblemSink,
): Pick<AliasConfig, 'ifRedirects' | 'ifEveryRequest'> {
  if (!directives.length) return {};
  const ifRedirects: RedirectRule[] = [];
  const ifEveryRequest: EveryRequestRedirect[] = [];
  for (const group of ifSectionGroups(directives, sink).reverse()) {
    let every: EveryRequestRedirect | undefined;
    for (const d of group.directives) {
      if (!d.pattern) every = everyRequestOf(d, group.when);
      else pushRedirect(ifRedirects, d, sink, group.when);
    }
    if (every) ifEveryRequest.push(every);
  }
  return { ifRedirects, ...(ifEveryRequest.length && { ifEveryRequest }) };
}

function compileAliasRule(
  d: AliasDirective,
  serverRoot: string,
  sink: ProblemSink,
): AliasRule | undefined {
  if (!d.regex) {
    // ap_server_root_relative: a relative path is under the ServerRoot
    const target = isAbsolute(d.target) ? d.target : resolve(serverRoot, d.target);
    return { prefix: utf8ToBytes(d.pattern.text), target, serverRoot, ...handlerOf(d) };
  }
  const re = regex(d.pattern.text, d.pattern.pos, sink);
  return re ? { re, target: d.target, serverRoot, ...handlerOf(d) } : undefined;
}

const handlerOf = (d: AliasDirective): { handler?: string } =>
  d.handler ? { handler: d.handler } : {};

/** ap_pregcomp(AP_REG_EXTENDED): case-sensitive PCRE. */
function regex(pattern: string, pos: SourcePosition, sink: ProblemSink): RegExp | undefined {
  try {
    return compilePcre(utf8ToBytes(pattern), false);
  } catch (err) {
    if (!(err instanceof PcreError)) throw err;
    sink.add(
      err.unsupported ? 'ERR_REGEX_UNSUPPORTED' : 'ERR_REGEX',
      `Regular expression could not be compiled: ${err.message}`,
      pos,
    );
    return undefined;
  }
}

/**
 * merge_alias_dir_config: the child's redirects first, then the parent's; the child's
 * whole-directory form if it has one.
 */
export function mergeAlias(
  parent: AliasConfig | undefined,
  child: AliasConfig | undefined,
): AliasConfig | undefined {
  if (!parent) return child;
  if (!child) return parent;
  return {
    redirects: [...child.redirects, ...parent.redirects],
    everyRequest: child.everyRequest ?? parent.everyRequest,
    aliases: [...child.aliases, ...parent.aliases],
    ifRedirects: joined(child.ifRedirects, parent.ifRedirects),
    ifEveryRequest: joined(child.ifEveryRequest, parent.ifEveryRequest),
  };
}
