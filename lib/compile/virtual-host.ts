/**
 * `<VirtualHost>` sections compiled: each body as a server config of its own (its rewrite rules,
 * mod_alias, `<Directory>`/`<Location>` sections...), with its ServerName, ServerAlias and
 * DocumentRoot, then merged with the main server's configuration the way Apache merges a vhost
 * (server/config.c `ap_fixup_virtual_hosts`): each module's server merge, and the main server's
 * per-directory defaults under the vhost's. site/virtual-hosts.ts chooses among them per request.
 */
import { resolve } from 'node:path';
import type { SourcePosition } from '../errors.js';
import type { ParseResult } from '../syntax/parse.js';
import type {
  ServerSettingDirective,
  VirtualHostAddress,
  VirtualHostBody,
} from '../syntax/virtual-host.js';
import { inheritRules } from './inherit.js';
import type { RuleSet } from './ruleset.js';
import type { Directive } from '../syntax/ast.js';

/** core's per-server settings, as one server config states them. */
export interface ServerSettings {
  /** `ServerName` without scheme and port (lower case). */
  readonly serverName?: string;
  /** The port `ServerName` names (core.c set_server_name sets the server's s->port). */
  readonly serverPort?: number;
  /** `ServerAlias` names without wildcards (lower case). */
  readonly aliases?: readonly string[];
  /** `ServerAlias` names with `*`/`?` (lower case), matched like ap_strcasecmp_match. */
  readonly wildAliases?: readonly string[];
  readonly documentRoot?: string;
  /** `UseCanonicalName On` (DNS counts as On here: no reverse lookups). */
  readonly useCanonicalName?: boolean;
  /** `ServerAdmin`: the address of the 500 page and of ServerSignature EMail (case 455). */
  readonly serverAdmin?: string;
  /** `AccessFileName`: the per-directory configuration file's name (core, default .htaccess). */
  readonly accessFileName?: string;
}

/**
 * One compiled `<VirtualHost>`: its addresses and its configuration merged over the main server's.
 */
export interface CompiledVirtualHost {
  readonly addresses: readonly VirtualHostAddress[];
  /**
   * The merged configuration (`server` holds the vhost's own ServerName, aliases, DocumentRoot).
   */
  readonly ruleSet: RuleSet;
  readonly pos: SourcePosition;
}

/** Compiles one body (a parse result in server context) into a RuleSet: compile.ts's steps. */
export type CompileServerBody = (body: VirtualHostBody) => RuleSet;

/**
 * The ServerSetting directives of one server config, folded (the last of each wins, aliases add
 * up).
 */
export function serverSettings(
  directives: readonly Directive[],
  serverRoot: string,
): ServerSettings | undefined {
  const settings = directives.filter(
    (d): d is ServerSettingDirective => d.type === 'ServerSetting',
  );
  if (!settings.length) return undefined;
  let serverName: string | undefined;
  let serverPort: number | undefined;
  let documentRoot: string | undefined;
  let useCanonicalName: boolean | undefined;
  let serverAdmin: string | undefined;
  let accessFileName: string | undefined;
  const aliases: string[] = [];
  const wildAliases: string[] = [];
  for (const d of settings) {
    const value = d.args[0]!;
    if (d.name === 'ServerName') {
      serverName = hostOfServerName(value);
      serverPort = portOfServerName(value);
    }
    // core.c set_document_root: relative to the ServerRoot (here: the config file's folder)
    else if (d.name === 'DocumentRoot') documentRoot = resolve(serverRoot, value);
    else if (d.name === 'UseCanonicalName') useCanonicalName = value.toLowerCase() !== 'off';
    else if (d.name === 'ServerAdmin') serverAdmin = value;
    else if (d.name === 'AccessFileName') accessFileName = value;
    else
      for (const name of d.args) {
        // core.c set_server_alias: names with wildcards go to wild_names
        (/[*?]/.test(name) ? wildAliases : aliases).push(name.toLowerCase());
      }
  }
  return {
    ...(serverName !== undefined && { serverName }),
    ...(serverPort !== undefined && { serverPort }),
    ...(aliases.length && { aliases }),
    ...(wildAliases.length && { wildAliases }),
    ...(documentRoot !== undefined && { documentRoot }),
    ...(useCanonicalName !== undefined && { useCanonicalName }),
    ...(serverAdmin !== undefined && { serverAdmin }),
    ...(accessFileName !== undefined && { accessFileName }),
  };
}

/**
 * A `serverName` option written as Apache's ServerName (`host[:port]`): its host, and its port
 * (s->port, which self-reduction compares: case 349) when it names one.
 */
export function splitServerName(value: string | undefined): {
  serverName?: string;
  serverPort?: number;
} {
  if (value === undefined) return {};
  const serverPort = portOfServerName(value);
  if (serverPort === undefined) return { serverName: value };
  // the name as written (its case is SERVER_NAME's), without the port
  return { serverName: value.slice(0, value.lastIndexOf(':')), serverPort };
}

/** core.c server_hostname_port: `[scheme://]host[:port]` → the host (lower case, no brackets). */
function hostOfServerName(value: string): string {
  const noScheme = value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const v6 = /^\[([^\]]*)\]/.exec(noScheme);
  if (v6) return v6[1]!.toLowerCase();
  return noScheme.replace(/:\d*$/, '').toLowerCase();
}

/** core.c server_hostname_port: the port of `[scheme://]host[:port]`, when it names one. */
function portOfServerName(value: string): number | undefined {
  const m = /:(\d+)$/.exec(value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, ''));
  return m ? Number(m[1]) : undefined;
}

/** Every `<VirtualHost>` of a parse result, compiled and merged over `main`. */
export function compileVirtualHosts(
  main: RuleSet,
  parsed: Pick<ParseResult, 'virtualHosts'>,
  compileBody: CompileServerBody,
): RuleSet {
  if (!parsed.virtualHosts?.length) return main;
  const virtualHosts = parsed.virtualHosts.map((body) => ({
    addresses: body.section.addresses,
    ruleSet: withServerPort(
      mergeVirtualHost(main, compileBody(body)),
      body.section.addresses,
      main.server?.serverPort,
    ),
    pos: body.section.pos,
  }));
  return { ...main, virtualHosts };
}

/**
 * A vhost's s->port: its own ServerName's port, else its first address's (vhost.c
 * ap_parse_vhost_addrs), else the main server's (self-reduction compares it: case 349).
 */
function withServerPort(
  ruleSet: RuleSet,
  addresses: readonly VirtualHostAddress[],
  mainPort: number | undefined,
): RuleSet {
  const port = ruleSet.server?.serverPort ?? (addresses[0]?.port || mainPort);
  if (port === undefined || port === ruleSet.server?.serverPort) return ruleSet;
  return { ...ruleSet, server: { ...ruleSet.server, serverPort: port } };
}

/**
 * A vhost's configuration as Apache runs it: the main server's per-directory settings (headers,
 * mime, env, access...) under the vhost's own (inherit.ts: the parent's first), mod_alias's
 * Alias/Redirect lists with the vhost's first, core's `<Directory>`/`<Location>` sections with the
 * main server's first (core.c merge_core_server_configs), and mod_rewrite's server merge
 * (mod_rewrite.c config_server_merge): the engine state and options are the main server's unless
 * the vhost sets its own, the rules and maps the vhost's alone unless `RewriteOptions Inherit`
 * (the vhost's first, then the main's) or `InheritBefore` (the main's first), or the main server
 * says `InheritDown`/`InheritDownBefore` (and the vhost not `IgnoreInherit`).
 */
export function mergeVirtualHost(main: RuleSet, vhost: RuleSet): RuleSet {
  const merged = inheritRules(stripServer(main), vhost);
  const options = vhost.options.size ? vhost.options : main.options;
  const down = (o: 'InheritDown' | 'InheritDownBefore'): boolean =>
    main.options.has(o) && !options.has('IgnoreInherit');
  const after = options.has('Inherit') || down('InheritDown');
  const before = !after && (options.has('InheritBefore') || down('InheritDownBefore'));
  const rules = after
    ? [...vhost.rules, ...main.rules]
    : before
      ? [...main.rules, ...vhost.rules]
      : vhost.rules;
  const maps = after
    ? new Map([...main.maps, ...vhost.maps])
    : before
      ? new Map([...vhost.maps, ...main.maps])
      : vhost.maps;
  const sections = [...(main.sections ?? []), ...(vhost.sections ?? [])];
  return {
    ...merged,
    engine: vhost.engine ?? main.engine ?? false,
    options,
    rules,
    maps,
    hasRewriteDirectives: vhost.hasRewriteDirectives || main.hasRewriteDirectives,
    traceEnable: vhost.traceEnable ?? main.traceEnable,
    // GLOBAL_ONLY: a <VirtualHost> never sets it
    serverBanner: main.serverBanner,
    access: vhost.access ?? main.access,
    sections: sections.length ? sections : undefined,
    server: withMainAdmin(vhost.server, main.server),
    virtualHosts: undefined,
    warnings: undefined,
    file: vhost.file ?? main.file,
    // one Define state for the whole configuration (read before any .htaccess)
    definitions: vhost.definitions ?? main.definitions,
  };
}

/** ap_fixup_virtual_hosts: a vhost without ServerAdmin has the main server's. */
function withMainAdmin(
  own: ServerSettings | undefined,
  main: ServerSettings | undefined,
): ServerSettings | undefined {
  // core.c merge_core_server_configs: access_name too is the main server's unless set
  const accessFileName = own?.accessFileName ?? main?.accessFileName;
  const withName = accessFileName === undefined ? own : { ...own, accessFileName };
  if (own?.serverAdmin !== undefined || main?.serverAdmin === undefined) return withName;
  return { ...withName, serverAdmin: main.serverAdmin };
}

/** The main server's own parts a vhost never takes from it (its vhosts, its name, its warnings). */
function stripServer(main: RuleSet): RuleSet {
  return { ...main, virtualHosts: undefined, server: undefined, warnings: undefined };
}

/**
 * What the choice of a vhost looks at (vhost.c: the connection's local address, the request's
 * host).
 */
export interface VirtualHostQuery {
  /** The local IP the request came in on (`::ffff:` dropped); undefined: only `*` vhosts match. */
  readonly ip?: string;
  /** The local port (or the port the vhosts stand for). */
  readonly port: number;
  /** The request's host, as hostOfRequest() gives it; undefined: none. */
  readonly host?: string;
}

/**
 * The vhost Apache would give a request (undefined: the main server's), by
 * `ap_update_vhost_given_ip` then `update_server_from_aliases`: the vhosts of the best address
 * match in config order (the IP with this port, the IP with any port, `*` with this port, `*`
 * with any port); among them the first whose ServerName (its own, else `mainServerName`),
 * ServerAlias or wildcard alias is the host, else the first whose address is the host, else the
 * first listed.
 */
export function chooseVirtualHost(
  virtualHosts: readonly CompiledVirtualHost[],
  query: VirtualHostQuery,
  mainServerName?: string,
): CompiledVirtualHost | undefined {
  const chain = addressChain(virtualHosts, query.ip, query.port);
  if (!chain.length) return undefined;
  const { host } = query;
  if (host === undefined) return chain[0];
  const named = chain.find((v) => matchesAliases(v, host, mainServerName));
  if (named) return named;
  const byAddress = chain.find((v) => v.addresses.some((a) => sameAddress(a.text, host)));
  return byAddress ?? chain[0];
}

function addressChain(
  virtualHosts: readonly CompiledVirtualHost[],
  ip: string | undefined,
  port: number,
): CompiledVirtualHost[] {
  const tiers: [string | undefined, number][] = [
    [ip, port],
    [ip, 0],
    ['*', port],
    ['*', 0],
  ];
  for (const [wantIp, wantPort] of tiers) {
    if (wantIp === undefined) continue;
    const chain = virtualHosts.filter((v) =>
      v.addresses.some((a) => a.ip === wantIp && a.port === wantPort),
    );
    if (chain.length) return chain;
  }
  return [];
}

function sameAddress(text: string, host: string): boolean {
  return text.replace(/^\[|\]$/g, '').toLowerCase() === host;
}

/** vhost.c matches_aliases: ServerName, ServerAlias names, then wildcard aliases. */
function matchesAliases(
  vhost: CompiledVirtualHost,
  host: string,
  mainServerName: string | undefined,
): boolean {
  const server = vhost.ruleSet.server;
  const name = server?.serverName ?? mainServerName;
  if (name?.toLowerCase() === host) return true;
  if (server?.aliases?.includes(host)) return true;
  return server?.wildAliases?.some((w) => wildcardMatches(w, host)) ?? false;
}

/** ap_strcasecmp_match: `*` any run (also of dots), `?` one character; both sides lower case. */
export function wildcardMatches(pattern: string, host: string): boolean {
  let source = '^';
  for (const c of pattern)
    source += c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(source + '$', 's').test(host);
}

/**
 * The request's host as vhost.c fix_hostname leaves it: from an absolute-form target, else the
 * Host header; port and trailing dots dropped, lower case. undefined: none.
 */
export function hostOfRequest(url: string, hostHeader: string | undefined): string | undefined {
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url);
  const raw = absolute ? absolute[1]!.replace(/^[^@]*@/, '') : hostHeader;
  if (!raw) return undefined;
  const v6 = /^\[([^\]]*)\]/.exec(raw);
  const host = v6 ? v6[1]! : raw.replace(/:[0-9]*$/, '');
  const name = host.replace(/\.+$/, '').toLowerCase();
  return name === '' ? undefined : name;
}
