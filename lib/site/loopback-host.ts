/**
 * The client's host name as Apache's double-reverse lookup finds it (`ap_get_remote_host` with
 * REMOTE_DOUBLE_REV, which `Allow/Deny from <host>` and `Require host` use), for a loopback client
 * only. The system resolver answers loopback addresses from the hosts file ("files" comes first in
 * nsswitch.conf): Debian's `127.0.0.1 localhost` makes `Allow from localhost` match a local client
 * (real-world Simple Machines Forum). Reading that file makes no network traffic. Any other client
 * stays unknown: modrewrite makes no DNS lookups, and host rules fail closed for it.
 */
import { readFileSync } from 'node:fs';

/** Where glibc's "files" source reads host names. */
export const HOSTS_FILE = '/etc/hosts';

interface HostsTable {
  /** Address → the first name of the first line listing it (what gethostbyaddr answers). */
  readonly nameOf: ReadonlyMap<string, string>;
  /** Name (lower case) → every address a line gives it (the forward half of the check). */
  readonly addressesOf: ReadonlyMap<string, ReadonlySet<string>>;
}

let table: HostsTable | undefined;

/** The hosts file, read once per process (no file: no names). */
function hostsTable(): HostsTable {
  if (table) return table;
  let text = '';
  try {
    text = readFileSync(HOSTS_FILE, 'latin1');
  } catch {
    // no hosts file: every host rule stays unknown
  }
  table = parseHosts(text);
  return table;
}

/** Lines of `address name [alias…]`, `#` starting a comment. */
export function parseHosts(text: string): HostsTable {
  const nameOf = new Map<string, string>();
  const addressesOf = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const [address, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (!address || names.length === 0) continue;
    if (!nameOf.has(address)) nameOf.set(address, names[0]!.toLowerCase());
    for (const name of names) {
      const lower = name.toLowerCase();
      let addresses = addressesOf.get(lower);
      if (!addresses) addressesOf.set(lower, (addresses = new Set()));
      addresses.add(address);
    }
  }
  return { nameOf, addressesOf };
}

/** 127.0.0.0/8 and ::1, as node:net gives them (an IPv4 client on a dual-stack socket: ::ffff:). */
function loopbackAddress(addr: string): string | undefined {
  const ip = addr.startsWith('::ffff:') ? addr.slice(7) : addr;
  if (ip === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip)) return ip;
  return undefined;
}

/**
 * The double-reverse host name of a loopback client (lower case, as Apache keeps it), or undefined
 * when the client is not on loopback or the hosts file does not name it both ways.
 */
export function loopbackHostName(
  addr: string,
  hosts: HostsTable = hostsTable(),
): string | undefined {
  const ip = loopbackAddress(addr);
  if (ip === undefined) return undefined;
  const name = hosts.nameOf.get(ip);
  if (name === undefined) return undefined;
  return hosts.addressesOf.get(name)?.has(ip) ? name : undefined;
}

/**
 * mod_access_compat's and mod_authz_host's `in_domain`: the name is the domain, or ends with it on
 * a label boundary (`example.com` does not match `badexample.com`), compared case-insensitively.
 */
export function inDomain(domain: string, host: string): boolean {
  if (host.length < domain.length) return false;
  const tail = host.slice(host.length - domain.length);
  if (tail.toLowerCase() !== domain.toLowerCase()) return false;
  if (host.length === domain.length) return true;
  return domain.startsWith('.') || host[host.length - domain.length - 1] === '.';
}
