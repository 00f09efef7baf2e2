/**
 * Addresses and networks as mod_authz_host and mod_access_compat read them (APR's
 * apr_ipsubnet_create).
 */
import { isIP } from 'node:net';

/**
 * An address and its network (apr_ipsubnet_t): `10.1` is 10.1.0.0/16, `::1` is ::1/128. IPv4
 * keeps its netmask, which Apache does not require to be contiguous (`10.0.0.0/255.0.255.0`).
 */
export type IpNet =
  | { readonly family: 'ipv4'; readonly address: string; readonly netmask: string }
  | { readonly family: 'ipv6'; readonly address: string; readonly prefix: number };

/**
 * apr_ipsubnet_create: an address with an optional `/bits` or `/netmask`; without one an IPv4
 * address may be partial (`10.1` → 10.1.0.0/16); a netmask need not be contiguous. undefined:
 * nothing like an address (Allow's host name); `{ error }`: an address Apache refuses, or a form
 * modrewrite does not evaluate (refused).
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
    // apr_ipsubnet_create takes 1..maxbits: `/0` is invalid, Apache's 500 (case 543)
    return bits > 0 && bits <= 128 ? { address: ip, prefix: bits, family: 'ipv6' } : invalid;
  }
  if (ip === '' || !/^[0-9.]+$/.test(ip)) return undefined;
  if (mask === undefined) return partialNetwork(ip) ?? invalid;
  if (isIP(ip) !== 4) return invalid;
  const bits = /^\d{1,2}$/.test(mask) ? Number(mask) : -1;
  if (bits > 32 || bits === 0) return invalid;
  if (bits > 0) return { family: 'ipv4', address: ip, netmask: prefixMask(bits) };
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

/** An IPv4-mapped IPv6 address as the IPv4 address it is (apr_ipsubnet_test compares them so). */
export function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? address;
}

/** apr_ipsubnet_test; throws on a client address that is no address (the caller denies). */
export function inNet(net: IpNet, address: string): boolean {
  const plain = plainAddress(address);
  const family = isIP(plain);
  if (family === 0) throw new Error(`not an address: ${address}`);
  if (net.family === 'ipv4') {
    if (family !== 4) return false;
    const mask = ipv4Number(net.netmask);
    return (ipv4Number(plain) & mask) >>> 0 === (ipv4Number(net.address) & mask) >>> 0;
  }
  if (family !== 6) return false;
  // compared group by group, in plain code: the playground's browser bundle has no BlockList
  const groups = ipv6Groups(plain);
  const netGroups = ipv6Groups(net.address);
  for (let i = 0, bit = 0; bit < net.prefix; i++, bit += 16) {
    const mask = (0xffff << (16 - Math.min(16, net.prefix - bit))) & 0xffff;
    if ((groups[i]! & mask) !== (netGroups[i]! & mask)) return false;
  }
  return true;
}

/** An IPv6 address (isIP gives 6) as its eight 16-bit groups; a trailing dotted quad is two. */
function ipv6Groups(text: string): number[] {
  let body = text.replace(/%.*$/, '');
  const tail: number[] = [];
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(body);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    tail.push(a * 256 + b, c * 256 + d);
    body = body.slice(0, quad.index);
    if (!body.endsWith('::')) body = body.slice(0, -1);
  }
  const [head, rest] = body.split('::') as [string, string | undefined];
  const hex = (part: string): number[] => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const before = hex(head);
  const after = hex(rest ?? '');
  const zeros = rest === undefined ? 0 : 8 - before.length - after.length - tail.length;
  return [...before, ...new Array<number>(zeros).fill(0), ...after, ...tail];
}

/** A dotted IPv4 address as an unsigned 32-bit number. */
function ipv4Number(dotted: string): number {
  return dotted.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}
