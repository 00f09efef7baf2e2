/**
 * Name-based virtual hosts (server/vhost.c): a server config with `<VirtualHost>` sections is one
 * site() per vhost (its DocumentRoot, its merged configuration, its ServerName) plus the main
 * server's, and each request goes to the one Apache would pick:
 *
 * 1. By the connection's local address and port (`ap_update_vhost_given_ip`): the vhosts listed
 *    for that IP and port, else for that IP and any port, else for `*` (or `_default_`) and that
 *    port, else for `*` and any port; none: the main server answers.
 * 2. Among them, by the request's host (`update_server_from_aliases`): the Host header (or the
 *    host of an absolute-form target), port dropped, trailing dot dropped, compared
 *    case-insensitively with each vhost's ServerName, then ServerAlias names, then wildcard
 *    aliases (`ap_strcasecmp_match`), in config order; else the vhost whose `<VirtualHost>` address
 *    is that host; else — unknown host, or no Host at all — the first vhost listed for the address.
 *
 * The port is the connection's local port unless `vhostPort` says which port the vhosts stand for
 * (serve on 8080 for a config written for `*:80`).
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import type { RuleSet } from '../compile/ruleset.js';
import {
  chooseVirtualHost,
  hostOfRequest,
  type CompiledVirtualHost,
} from '../compile/virtual-host.js';
import { loadRules, ownedPrograms } from '../http/load-rules.js';
import type { Next, RulesInput } from '../http/types.js';

/** What site() returns: the middleware, its WebSocket `upgrade` and `close` for prg: maps. */
export interface SiteHandler<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
> {
  (req: Req, res: Res, next?: Next): void;
  upgrade: (
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    next?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void,
  ) => void;
  close: () => void;
}

/** The site() options the dispatcher reads or passes on to each vhost's site(). */
interface VirtualHostOptions {
  readonly root: string;
  readonly allowedRoots?: readonly string[];
  readonly config?: RulesInput;
  readonly serverName?: string;
  readonly serverAliases?: readonly string[];
  readonly maps?: NonNullable<Parameters<typeof loadRules>[1]>['maps'];
  readonly mapRoot?: string;
  readonly defines?: readonly string[];
  readonly environment?: Readonly<Record<string, string | undefined>>;
  readonly vhostPort?: number;
  readonly log?: (message: string) => void;
  readonly vhostRoot?: boolean;
}

/**
 * A quick look for `<VirtualHost` in the config, or an Include line that may bring one (Debian's
 * sites-enabled/): the file is read again by the compile.
 */
const MAY_HAVE_VHOSTS = /<virtualhost[\s>]|^[ \t]*include(?:optional)?[ \t]/im;

function mayHaveVirtualHosts(config: RulesInput | undefined): boolean {
  if (typeof config === 'string') return MAY_HAVE_VHOSTS.test(config);
  // anything else that is not a { file } or a RuleSet: site()'s own checks report it
  if (config === null || typeof config !== 'object' || Array.isArray(config)) return false;
  if ('virtualHosts' in config) return (config as RuleSet).virtualHosts !== undefined;
  const file = (config as { file?: unknown }).file;
  if (typeof file !== 'string') return false;
  try {
    return MAY_HAVE_VHOSTS.test(readFileSync(resolve(file), 'latin1'));
  } catch {
    // the compile reports an unreadable file (ERR_FILE)
    return false;
  }
}

/**
 * The compiled config when it has `<VirtualHost>` sections (site() then dispatches), else
 * undefined (site() compiles and runs the config itself, as always).
 */
export function virtualHostConfig(options: VirtualHostOptions): RuleSet | undefined {
  if (options === null || typeof options !== 'object') return undefined;
  if (!mayHaveVirtualHosts(options.config)) return undefined;
  const ruleSet = loadRules(options.config!, {
    context: 'server',
    maps: options.maps,
    mapRoot: options.mapRoot,
    defines: options.defines,
    environment: options.environment,
    siteDirectives: true,
  });
  return ruleSet.virtualHosts?.length ? ruleSet : undefined;
}

/** One vhost's site() and what it is chosen by. */
interface Candidate<H> {
  readonly vhost: CompiledVirtualHost;
  readonly handler: H;
}

/**
 * The dispatcher over the vhosts of `ruleSet` (from virtualHostConfig) and the main server.
 * `makeSite` is site() itself, called once per vhost with the vhost's root, config and names.
 */
export function virtualHostSite<
  Req extends IncomingMessage,
  Res extends ServerResponse,
  O extends VirtualHostOptions,
>(
  options: O,
  ruleSet: RuleSet,
  makeSite: (options: O) => SiteHandler<Req, Res>,
): SiteHandler<Req, Res> {
  type H = SiteHandler<Req, Res>;
  const log = options.log ?? ((m: string) => console.error(m));
  for (const w of ruleSet.warnings ?? [])
    log(
      `modrewrite: ${w.file ?? 'site() config'}:${w.line}:${w.column}: warning ${w.code}: ${w.message}`,
    );
  const main = makeSite({
    ...options,
    serverName: options.serverName ?? ruleSet.server?.serverName,
    config: { ...ruleSet, virtualHosts: undefined, warnings: undefined },
  });
  const candidates: Candidate<H>[] = ruleSet.virtualHosts!.map((vhost) => {
    const server = vhost.ruleSet.server;
    // a vhost without ServerName has the main server's (vhost.c ap_fini_vhost_config)
    const serverName = server?.serverName ?? options.serverName ?? ruleSet.server?.serverName;
    const handler = makeSite({
      ...options,
      root: server?.documentRoot ?? options.root,
      vhostRoot: server?.documentRoot !== undefined,
      // the main server's document root stays servable (an Alias or a rewrite into it), as the
      // allowed roots do: modrewrite serves no folder the configuration does not name
      allowedRoots: [...(options.allowedRoots ?? []), options.root],
      config: vhost.ruleSet,
      serverName,
      serverAliases: server?.aliases,
    });
    return { vhost, handler };
  });
  const programs = ownedPrograms(options.config, ruleSet, options.maps);
  const choose = chooser(options, ruleSet, candidates, main, log);
  const middleware = (req: Req, res: Res, next?: Next): void => choose(req)(req, res, next);
  const upgrade: H['upgrade'] = (req, socket, head, next) =>
    choose(req).upgrade(req, socket, head, next);
  const close = (): void => {
    main.close();
    for (const c of candidates) c.handler.close();
    for (const program of programs) program.close();
  };
  return Object.assign(middleware, { upgrade, close });
}

/** A socket's local address as `<VirtualHost>` addresses are written (no `::ffff:` prefix). */
function localIp(address: string | undefined): string {
  const a = (address ?? '').toLowerCase();
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

/**
 * The handler a request goes to: the vhost vhost.c would choose for its local address, port and
 * host, else the main server. As Apache, a port no vhost is listed for is the main server's; said
 * once per port, since a config written for *:80 served on another port is more likely a mistake
 * than a wish.
 */
function chooser<H>(
  options: VirtualHostOptions,
  ruleSet: RuleSet,
  candidates: readonly Candidate<H>[],
  main: H,
  log: (m: string) => void,
): (req: IncomingMessage) => H {
  const told = new Set<number>();
  const noVirtualHostFor = (port: number): void => {
    if (told.has(port)) return;
    told.add(port);
    log(
      `modrewrite: no <VirtualHost> is listed for port ${port}: the main server (${options.root}) answers; serve --vhost-port N / site({ vhostPort }) names the port the vhosts are written for`,
    );
  };
  const byVhost = new Map(candidates.map((c) => [c.vhost, c.handler]));
  const mainName = options.serverName ?? ruleSet.server?.serverName;
  return (req) => {
    const socket = req.socket;
    const port = options.vhostPort ?? socket?.localPort ?? 0;
    const query = {
      ip: localIp(socket?.localAddress),
      port,
      host: hostOfRequest(req.url ?? '', req.headers.host),
    };
    const chosen = chooseVirtualHost(ruleSet.virtualHosts!, query, mainName);
    if (chosen) return byVhost.get(chosen)!;
    noVirtualHostFor(port);
    return main;
  };
}
