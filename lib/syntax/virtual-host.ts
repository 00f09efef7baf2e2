/**
 * `<VirtualHost addr[:port] ...>` (core.c `virtualhost_section`, vhost.c `ap_parse_vhost_addrs`)
 * and the per-server directives a vhost file holds: core's `ServerName`, `ServerAlias`,
 * `DocumentRoot`, `UseCanonicalName`, and the logging/admin directives that have no effect in
 * Node (`ErrorLog`, `CustomLog`, `ServerAdmin`...: accepted, one WARN_NO_EFFECT per file). The
 * body of a `<VirtualHost>` is handed over unread (sections.ts) and compiled as a server config of
 * its own (compile/virtual-host.ts); site/virtual-hosts.ts picks the vhost of each request.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RewriteErrorCode, RewriteWarningCode, SourcePosition } from '../errors.js';
import type { Arg, SourcePositioned } from './ast.js';
import type { LogicalLine } from './lexer.js';
import { getWordConf, type ContainerOpening } from './sections.js';
import { isModuleEmulated, MPM_TUNING_DIRECTIVES } from './modules.js';

/** One address of a `<VirtualHost>` line: `*` (also `_default_`, `0.0.0.0`, `[::]`) or an IP. */
export interface VirtualHostAddress {
  /** `*` for any local address, else the IP literal (lower case, no brackets). */
  readonly ip: string;
  /** The port; 0: any (`*`, or no port given), as Apache's `host_port`. */
  readonly port: number;
  /** The address as written (without the port): the Host a request may name it by. */
  readonly text: string;
}

/** A `<VirtualHost>` section as written. */
export interface VirtualHostSection {
  readonly addresses: readonly VirtualHostAddress[];
  readonly pos: SourcePosition;
}

/** A section with its body's lines (compiled on their own, in server context). */
export interface VirtualHostBody {
  readonly section: VirtualHostSection;
  readonly lines: readonly LogicalLine[];
}

/** core's per-server settings modrewrite applies (site/virtual-hosts.ts, site()). */
export type ServerSettingName =
  | 'ServerName'
  | 'ServerAlias'
  | 'DocumentRoot'
  | 'UseCanonicalName'
  | 'ServerAdmin'
  | 'AccessFileName';

/**
 * `ServerName host[:port]`, `ServerAlias name...`, `DocumentRoot path`, `UseCanonicalName
 * On|Off|DNS`.
 */
export interface ServerSettingDirective extends SourcePositioned {
  readonly type: 'ServerSetting';
  readonly name: ServerSettingName;
  readonly args: readonly string[];
}

/** Where the problems go (parse.ts's ProblemSink). */
interface Sink {
  add(code: RewriteErrorCode, message: string, pos: SourcePosition): void;
  warning(code: RewriteWarningCode, message: string, pos: SourcePosition): void;
}

/** Where the opener or directive was read (parse.ts's options). */
export interface ServerWhere {
  readonly context: 'server' | 'directory';
  readonly siteDirectives?: boolean;
  readonly ignoreUnknownDirectives?: boolean;
  /** Inside a `<Directory>`/`<Location>` section (its opener). */
  readonly inSection?: string;
  /** Inside a `<VirtualHost>` section. */
  readonly virtualHost?: VirtualHostSection;
  /** The ServerRoot relative paths resolve against (the main server's DocumentRoot). */
  readonly serverRoot?: string;
}

/** An IPv4 address, or an IPv6 one in brackets (apr_parse_addr_port). */
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6 = /^\[([0-9a-f:.]+)\]$/i;

/**
 * vhost.c `get_addresses`: one word of the `<VirtualHost>` line. Apache resolves a host name at
 * start-up; modrewrite refuses one (it would have to guess which local address it names).
 */
export function parseVirtualHostAddress(word: string): VirtualHostAddress | { error: string } {
  const v6 = /^(\[[^\]]*\])(?::(.*))?$/.exec(word);
  const colon = word.lastIndexOf(':');
  const [host, portText] = v6
    ? [v6[1]!, v6[2]]
    : colon < 0
      ? [word, undefined]
      : [word.slice(0, colon), word.slice(colon + 1)];
  let port = 0;
  if (portText !== undefined && portText !== '*') {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535)
      return { error: `Invalid address or port in "${word}"` };
    port = Number(portText);
  }
  const lower = host.toLowerCase();
  if (lower === '*' || lower === '_default_' || lower === '0.0.0.0' || lower === '[::]')
    return { ip: '*', port, text: host };
  if (IPV4.test(host)) return { ip: host, port, text: host };
  const six = IPV6.exec(host);
  if (six) return { ip: six[1]!.toLowerCase(), port, text: host };
  return {
    error: `<VirtualHost ${word}>: modrewrite needs an IP address or * (Apache would resolve the name "${host}" at start-up)`,
  };
}

/** core.c `virtualhost_section`'s argument: the addresses, or an error in Apache's words. */
export function virtualHostSection(
  args: string,
  pos: SourcePosition,
): VirtualHostSection | { error: string } {
  const end = args.lastIndexOf('>');
  if (end < 0) return { error: "<VirtualHost> directive missing closing '>'" };
  const arg = args.slice(0, end);
  if (arg.trim() === '') return { error: '<VirtualHost> directive requires additional arguments' };
  const addresses: VirtualHostAddress[] = [];
  let i = 0;
  while (i < arg.length) {
    const { word, next } = getWordConf(arg, i);
    if (next === i) break;
    i = next;
    if (word === '') continue;
    const address = parseVirtualHostAddress(word);
    if ('error' in address) return address;
    addresses.push(address);
  }
  return { addresses, pos };
}

/**
 * What the section reader does with `<VirtualHost`: refused inside another section or an
 * `.htaccess` (Apache's words), skipped as ERR_CONTEXT where no site applies it (rewrite()), else
 * read into `out`. undefined: not `<VirtualHost`.
 */
export function virtualHostOpening(
  lower: string,
  args: string,
  pos: SourcePosition,
  where: ServerWhere,
  out: VirtualHostBody[],
): ContainerOpening | undefined {
  if (lower !== '<virtualhost') return undefined;
  const opener = '<VirtualHost';
  // core.c: ap_check_cmd_context(cmd, GLOBAL_ONLY)
  if (where.virtualHost)
    return { error: '<VirtualHost> cannot occur within <VirtualHost> section', skip: true, opener };
  if (where.inSection)
    return {
      error: `<VirtualHost not allowed in ${where.inSection}> context`,
      skip: true,
      opener,
    };
  if (where.context === 'directory')
    return { error: '<VirtualHost not allowed here', skip: true, opener };
  if (!where.siteDirectives)
    return {
      error:
        '<VirtualHost> sections are applied only by site() and modrewrite serve (they need a document root), not here',
      skip: true,
      opener,
    };
  const section = virtualHostSection(args, pos);
  if ('error' in section) return section;
  return { opener, close: (lines) => out.push({ section, lines }) };
}

/** The per-server directives by lower-case name. */
const SETTINGS = new Map<string, ServerSettingName>(
  (
    [
      'ServerName',
      'ServerAlias',
      'DocumentRoot',
      'UseCanonicalName',
      'ServerAdmin',
      'AccessFileName',
    ] as const
  ).map((n) => [n.toLowerCase(), n]),
);

/** A value check of a no-effect directive: Apache's message for a value it refuses. */
type ValueCheck = (value: string) => string | undefined;

/** One of the words (case-insensitive), else `message`. */
const oneOf =
  (words: readonly string[], message: string): ValueCheck =>
  (value) =>
    words.includes(value.toLowerCase()) ? undefined : message;

/**
 * util.c ap_timeout_parameter_parse: apr_strtoi64 (not negative), then the unit from the first
 * character after the number (`s` when none): s, h, or m followed by s (ms) or i (minutes); the
 * rest is not read. Without digits the whole text is the unit (`sec` is 0 seconds).
 */
function validTimeout(value: string): boolean {
  const m = /^\s*([-+]?)(\d+)(.*)$/s.exec(value);
  if (m && m[1] === '-' && /[1-9]/.test(m[2]!)) return false;
  const unit = m ? m[3] || 's' : value || 's';
  const first = unit[0]!.toLowerCase();
  if (first === 's' || first === 'h') return true;
  return first === 'm' && /^[si]$/i.test(unit[1] ?? '');
}

const timeoutValue =
  (message: string): ValueCheck =>
  (value) =>
    validTimeout(value) ? undefined : message;

/**
 * apr_parse_addr_port as ap_set_listener reads it: `port`, `host:port`, `[v6]:port`, `*:port`.
 * listen.c: an unparsable word is "Invalid address or port", a port of 0 or none "Port must be
 * specified".
 */
function listenAddress(value: string): string | undefined {
  const m = /^(?:(\[[0-9a-f:.%a-z]+\]|[^:[\]]+|\*):)?(\d{1,5})$/i.exec(value);
  if (m) return Number(m[2]) > 0 && Number(m[2]) <= 65535 ? undefined : 'Port must be specified';
  // a host alone (no port): apr parses it, then listen.c wants a port
  if (/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+|\*)$/i.test(value)) return 'Port must be specified';
  return 'Invalid address or port';
}

/**
 * mod_so's LoadModule for a module modrewrite already emulates (its `<IfModule>` is true
 * whatever is loaded), the MPMs (node's process model) and mod_reqtimeout (connection tuning);
 * any other module would be expected to act: refused, never silently missing.
 */
function loadableModule(symbol: string): string | undefined {
  if (isModuleEmulated(symbol) || /^mpm_(event|worker|prefork)_module$/.test(symbol)) return;
  if (symbol === 'reqtimeout_module' || symbol === 'unixd_module' || symbol === 'so_module') return;
  return `LoadModule ${symbol}: modrewrite does not emulate this module (see README "Emulated modules"); remove the line or its configuration`;
}

/**
 * Process-level directives of Debian's apache2.conf, ports.conf and mods-enabled/*.conf (core,
 * mod_so, mod_unixd, the MPM, mod_reqtimeout, mod_status): what node:http and `serve --port`
 * decide here. `Listen`: serve listens on --port/--host; the vhosts are matched on the port the
 * request came in on (or `--vhost-port`), so Listen is read for its syntax only (WARN_NO_EFFECT).
 * [name, min args, max args, value check of the first]. All are GLOBAL_ONLY but RequestReadTimeout,
 * ProxyStatus and LoadModule (checked in serverDirective).
 */
const PROCESS_LEVEL: readonly (readonly [string, number, number, ValueCheck?])[] = [
  ['PidFile', 1, 1],
  ['Mutex', 1, Infinity],
  ['User', 1, 1],
  ['Group', 1, 1],
  ['DefaultRuntimeDir', 1, 1],
  ['Listen', 1, 3, listenAddress],
  ['LoadModule', 2, 2, loadableModule],
  ['ExtendedStatus', 1, 1, oneOf(['on', 'off'], 'ExtendedStatus must be On or Off')],
  ['ProxyStatus', 1, 1, oneOf(['on', 'off', 'full'], 'ProxyStatus must be Off, On or Full')],
  ['RequestReadTimeout', 1, Infinity],
  ...MPM_TUNING_DIRECTIVES.map((n) => [n, 1, 1] as const),
];

/** Process-level directives a `<VirtualHost>` may hold (the others are GLOBAL_ONLY). */
const NOT_GLOBAL_ONLY = new Set(['requestreadtimeout', 'proxystatus', 'loadmodule']);
const GLOBAL_ONLY = new Set(
  PROCESS_LEVEL.map(([n]) => n.toLowerCase()).filter((n) => !NOT_GLOBAL_ONLY.has(n)),
);

/**
 * Directives Apache accepts in a server config whose effect is outside Node's reach here (logs
 * go to modrewrite's own log; connection and protocol tuning is node:http's; the admin address
 * is not read): name → [min args, max args, allowed inside `<Directory>`, the value check].
 * core.c and http_core.c: Timeout and MaxKeepAliveRequests take atoi() of anything; KeepAlive is
 * a FLAG; the rest as checked.
 */
const NO_EFFECT = new Map<string, readonly [string, number, number, boolean, ValueCheck?]>([
  ['errorlog', ['ErrorLog', 1, 1, false]],
  ['customlog', ['CustomLog', 2, 3, false]],
  ['transferlog', ['TransferLog', 1, 1, false]],
  ['logformat', ['LogFormat', 1, 2, false]],
  ['loglevel', ['LogLevel', 1, Infinity, true]],
  ['timeout', ['Timeout', 1, 1, false]],
  ['keepalive', ['KeepAlive', 1, 1, false, oneOf(['on', 'off'], 'KeepAlive must be On or Off')]],
  ['maxkeepaliverequests', ['MaxKeepAliveRequests', 1, 1, false]],
  [
    'keepalivetimeout',
    ['KeepAliveTimeout', 1, 1, false, timeoutValue('KeepAliveTimeout has wrong format')],
  ],
  [
    'hostnamelookups',
    [
      'HostnameLookups',
      1,
      1,
      true,
      oneOf(['on', 'off', 'double'], "parameter must be 'on', 'off', or 'double'"),
    ],
  ],
  ['protocols', ['Protocols', 1, Infinity, false]],
  ...PROCESS_LEVEL.map(
    ([name, min, max, check]) =>
      [name.toLowerCase(), [name, min, max, false, check]] as [
        string,
        readonly [string, number, number, boolean, ValueCheck?],
      ],
  ),
  [
    'protocolshonororder',
    [
      'ProtocolsHonorOrder',
      1,
      1,
      false,
      oneOf(['on', 'off'], "ProtocolsHonorOrder must be 'on' or 'off'"),
    ],
  ],
]);

/** A no-effect directive: its Apache spelling (for the WARN_NO_EFFECT of compile/mime.ts). */
export interface NoEffectServerDirective {
  readonly name: string;
  readonly args: readonly string[];
}

/**
 * One per-server directive (null: not one of this file's): a ServerSetting, a no-effect
 * directive (returned for the caller to report), or undefined after a reported problem.
 */
export function serverDirective(
  name: string,
  words: readonly Arg[],
  where: ServerWhere,
  pos: SourcePosition,
  sink: Sink,
): ServerSettingDirective | NoEffectServerDirective | undefined | null {
  const lower = name.toLowerCase();
  const setting = SETTINGS.get(lower);
  const noEffect = NO_EFFECT.get(lower);
  if (!setting && !noEffect) return null;
  const spelled = setting ?? noEffect![0];
  const inDirectory = noEffect?.[3] === true && where.inSection !== undefined;
  // RSRC_CONF: the main server or a <VirtualHost>, never a <Directory> or an .htaccess
  if (where.context === 'directory' && !inDirectory) {
    sink.add('ERR_CONTEXT', `${spelled} not allowed here`, pos);
    return undefined;
  }
  // core.c ap_check_cmd_context(cmd, GLOBAL_ONLY)
  if (GLOBAL_ONLY.has(lower) && where.virtualHost) {
    sink.add('ERR_CONTEXT', `${spelled} cannot occur within <VirtualHost> section`, pos);
    return undefined;
  }
  if (!where.siteDirectives) {
    if (!where.ignoreUnknownDirectives)
      sink.add(
        'ERR_CONTEXT',
        `${spelled} is applied only by site() and modrewrite serve, not here`,
        pos,
      );
    return undefined;
  }
  const args = words.map((w) => w.text);
  if (noEffect) return checkedNoEffect(noEffect, args, pos, sink);
  return serverSetting(setting!, args, where, pos, sink);
}

function checkedNoEffect(
  [name, min, max, , check]: readonly [string, number, number, boolean, ValueCheck?],
  args: readonly string[],
  pos: SourcePosition,
  sink: Sink,
): NoEffectServerDirective | undefined {
  if (args.length < min || args.length > max) {
    const wanted =
      max === Infinity ? `at least ${min}` : min === max ? `${min}` : `${min} to ${max}`;
    sink.add('ERR_DIRECTIVE_ARGS', `${name} takes ${wanted} argument(s)`, pos);
    return undefined;
  }
  const refused = check?.(args[0]!);
  if (refused === undefined) return { name, args };
  sink.add('ERR_DIRECTIVE_ARGS', refused, pos);
  return undefined;
}

/**
 * core.c set_document_root: the main server's must be a folder (a `<VirtualHost>`'s is only warned
 * about, site.ts), relative to the ServerRoot.
 */
function isFolder(value: string, serverRoot: string | undefined): boolean {
  try {
    return statSync(resolve(serverRoot ?? process.cwd(), value)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * core.c `server_hostname_port`, `set_server_alias`, `set_document_root`, `set_use_canonical_name`.
 */
function serverSetting(
  name: ServerSettingName,
  args: readonly string[],
  where: ServerWhere,
  pos: SourcePosition,
  sink: Sink,
): ServerSettingDirective | undefined {
  const fail = (code: RewriteErrorCode, message: string): undefined => {
    sink.add(code, message, pos);
    return undefined;
  };
  if (name === 'ServerAlias') {
    if (!where.virtualHost) return fail('ERR_CONTEXT', 'ServerAlias only used in <VirtualHost>');
    if (!args.length)
      return fail('ERR_DIRECTIVE_ARGS', 'ServerAlias requires at least one argument');
    return { type: 'ServerSetting', name, args, pos };
  }
  // core.c set_access_name keeps every name; the .htaccess reader (HtaccessStore) reads one
  if (name === 'AccessFileName' && args.length > 1)
    return fail(
      'ERR_DIRECTIVE_ARGS',
      'AccessFileName with more than one name is not supported by modrewrite (it reads one per-directory file name)',
    );
  if (name === 'AccessFileName' && /[/\\]/.test(args[0] ?? ''))
    return fail('ERR_DIRECTIVE_ARGS', `AccessFileName ${args[0]}: a file name, without '/'`);
  if (args.length !== 1) return fail('ERR_DIRECTIVE_ARGS', `${name} takes one argument`);
  const value = args[0]!;
  if (name === 'UseCanonicalName' && !/^(on|off|dns)$/i.test(value))
    return fail('ERR_DIRECTIVE_ARGS', 'UseCanonicalName must be On, Off or DNS');
  if (name === 'ServerName' && /[/?#@]/.test(value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')))
    return fail('ERR_DIRECTIVE_ARGS', `Invalid ServerName "${value}" use a fully qualified name`);
  if (name === 'DocumentRoot' && !where.virtualHost && !isFolder(value, where.serverRoot))
    return fail(
      'ERR_FILE',
      `DocumentRoot '${resolve(where.serverRoot ?? process.cwd(), value)}' is not a directory, or is not readable`,
    );
  return { type: 'ServerSetting', name, args, pos };
}
