/**
 * Apache's access phase for the `.htaccess` files on a request's way (request.c
 * `ap_process_request_internal`, run after map_to_storage and before the fixups where per-directory
 * rewriting happens): mod_access_compat's host check (`Order`/`Allow`/`Deny`) and mod_authz_core's
 * `Require`, both required (`Satisfy All`, the default) or either (`Satisfy Any`).
 *
 * Merging, as Apache's per-directory merge does it: the `.htaccess` files from the document root
 * down, then every matching `<Files>`/`<FilesMatch>` section of those files in order (core's file
 * walk). A section with `Require` lines replaces the inherited ones (AuthMerging Off, the default); a
 * section with any mod_access_compat directive replaces that module's whole configuration (the
 * module has no merge function). The base is the document root's `Require all granted` (Debian's
 * `<Directory /var/www/>`), with no host rules.
 */
import { BlockList, isIP } from 'node:net';
import type {
  AccessConfig,
  AccessSection,
  CompatConfig,
  HostRule,
  IpNet,
  RequireRule,
} from '../compile/access.js';
import type { CompiledWhen } from '../compile/env.js';

/** Who is asking: the client address (REMOTE_ADDR, after trusted proxies) and the server's own. */
export interface AccessClient {
  readonly remoteAddr: string;
  readonly localAddr: string;
}

/** The name core's file walk matches `<Files>` against: what follows the last `/` of the filename. */
export function fileNameOf(filename: string): string {
  return filename.slice(filename.lastIndexOf('/') + 1);
}

/**
 * Whether the access rules in `chain` (root → deepest directory) deny `filename`. Anything that
 * cannot be evaluated (a client address that is no address) denies: fail closed.
 */
export function accessDenied(
  chain: readonly AccessConfig[],
  filename: string,
  env: ReadonlyMap<string, string>,
  client: AccessClient,
  holds?: (when: CompiledWhen) => boolean,
): boolean {
  if (!chain.length) return false;
  let require: readonly RequireRule[] | undefined;
  let compat: CompatConfig | undefined;
  const apply = (section: AccessSection): void => {
    if (section.require) require = section.require;
    if (section.compat) compat = section.compat;
  };
  for (const config of chain) apply(config.directory);
  const name = fileNameOf(filename);
  for (const config of chain)
    for (const files of config.files) if (files.matches(name)) apply(files.access);
  // core's if walk comes last; without a way to evaluate an <If>, it is denied (fail closed)
  for (const config of chain)
    for (const body of config.ifs ?? []) {
      // an <If> inside a <Files> for other files is not evaluated (nor its headers put in Vary)
      const matching = body.access.files.filter((f) => f.matches(name));
      const top = body.access.directory;
      if (!top.require && !top.compat && !matching.length) continue;
      if (!holds) return true;
      if (!holds(body.when)) continue;
      apply(top);
      for (const files of matching) apply(files.access);
    }
  try {
    // the implicit <RequireAny>: one line that grants grants
    const granted = require ? require.some((r) => requireGrants(r, client)) : true;
    const hostAllowed = compat === undefined || compatAllows(compat, env, client);
    // Satisfy Any: either module's consent (recorded, conformance case 144)
    return compat?.satisfyAny ? !(granted || hostAllowed) : !(granted && hostAllowed);
  } catch {
    return true;
  }
}

function requireGrants(rule: RequireRule, client: AccessClient): boolean {
  if (rule.kind === 'all') return rule.granted;
  if (rule.kind === 'ip') return rule.nets.some((net) => inNet(net, client.remoteAddr));
  // mod_authz_host's `local`: the server's own address, 127.0.0.0/8 or ::1
  const remote = plainAddress(client.remoteAddr);
  return (
    remote === plainAddress(client.localAddr) ||
    inNet(LOOPBACK_V4, remote) ||
    inNet(LOOPBACK_V6, remote)
  );
}

const LOOPBACK_V4: IpNet = { address: '127.0.0.0', netmask: '255.0.0.0', family: 'ipv4' };
const LOOPBACK_V6: IpNet = { address: '::1', prefix: 128, family: 'ipv6' };

/** An IPv4-mapped IPv6 address as the IPv4 address it is (apr_ipsubnet_test compares them so). */
function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1] : address;
}

/** apr_ipsubnet_test; throws on a client address that is no address (the caller denies). */
function inNet(net: IpNet, address: string): boolean {
  const plain = plainAddress(address);
  const family = isIP(plain);
  if (family === 0) throw new Error(`not an address: ${address}`);
  if (net.family === 'ipv4') {
    if (family !== 4) return false;
    const mask = ipv4Number(net.netmask);
    return (ipv4Number(plain) & mask) >>> 0 === (ipv4Number(net.address) & mask) >>> 0;
  }
  if (family !== 6) return false;
  const list = new BlockList();
  list.addSubnet(net.address, net.prefix, 'ipv6');
  return list.check(plain, 'ipv6');
}

/** A dotted IPv4 address as an unsigned 32-bit number. */
function ipv4Number(dotted: string): number {
  return dotted.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

/** mod_access_compat's `check_dir_access`. */
function compatAllows(
  compat: CompatConfig,
  env: ReadonlyMap<string, string>,
  client: AccessClient,
): boolean {
  const allowed = compat.allows.some((r) => hostMatches(r, env, client));
  const denied = compat.denys.some((r) => hostMatches(r, env, client));
  if (compat.order === 'allow,deny') return allowed && !denied;
  if (compat.order === 'deny,allow') return allowed || !denied;
  return allowed && !denied;
}

/** `find_allowdeny` for the rules modrewrite accepts; env names are case-insensitive (apr_table). */
function hostMatches(
  rule: HostRule,
  env: ReadonlyMap<string, string>,
  client: AccessClient,
): boolean {
  if (rule.kind === 'all') return true;
  if (rule.kind === 'ip') return inNet(rule.net, client.remoteAddr);
  const wanted = rule.name.toLowerCase();
  let present = false;
  for (const key of env.keys()) if (key.toLowerCase() === wanted) present = true;
  return present !== rule.negate;
}
