/**
 * lib/site/loopback-host.ts: a loopback client's double-reverse host name from the hosts file, and
 * Apache's in_domain (mod_access_compat, mod_authz_host); recorded end to end in case 405.
 */
import { inDomain, loopbackHostName, parseHosts } from '../../../lib/site/loopback-host';

const debian = parseHosts(
  [
    '127.0.0.1\tlocalhost',
    '127.0.1.1\tbox.example.org\tbox # the machine',
    '::1     localhost ip6-localhost ip6-loopback',
    '# 127.0.0.2 commented',
    '127.0.0.3 Only.Reverse',
    '127.0.0.4 other',
    '192.0.2.1 other',
  ].join('\n'),
);

describe('loopbackHostName', () => {
  test.each([
    ['127.0.0.1', 'localhost'],
    ['::ffff:127.0.0.1', 'localhost'], // an IPv4 client on a dual-stack socket
    ['::1', 'localhost'],
    ['127.0.1.1', 'box.example.org'], // the first name of the line
    ['127.0.0.3', 'only.reverse'], // lower case, as Apache keeps it
    ['127.0.0.4', 'other'], // forward lookup includes 127.0.0.4 (files: every line naming it)
  ])('%s → %s', (addr, name) => {
    expect(loopbackHostName(addr, debian)).toBe(name);
  });

  test.each([
    ['127.0.0.2', 'only in a comment'],
    ['127.0.0.9', 'not in the file'],
    ['192.0.2.1', 'not a loopback client: no lookup at all'],
    ['10.0.0.1', 'not a loopback client'],
    ['::2', 'not ::1'],
  ])('%s → unknown (%s)', (addr) => {
    expect(loopbackHostName(addr, debian)).toBeUndefined();
  });

  test('a name whose forward lookup misses the address fails the double-reverse check', () => {
    const hosts = parseHosts('127.0.0.5 spoofed\n');
    const forward = parseHosts('127.0.0.5 a\n127.0.0.6 b\n');
    expect(loopbackHostName('127.0.0.5', hosts)).toBe('spoofed');
    expect(
      loopbackHostName('127.0.0.5', {
        nameOf: hosts.nameOf,
        addressesOf: forward.addressesOf,
      }),
    ).toBeUndefined();
  });
});

describe('inDomain', () => {
  test.each([
    ['localhost', 'localhost', true],
    ['LOCALHOST', 'localhost', true],
    ['.localhost', 'localhost', false], // a leading dot needs a label before it
    ['example.org', 'box.example.org', true],
    ['.example.org', 'box.example.org', true],
    ['ample.org', 'box.example.org', false], // not on a label boundary
    ['calhost', 'localhost', false],
    ['box.example.org.uk', 'box.example.org', false],
  ])('in_domain(%s, %s) → %s', (domain, host, expected) => {
    expect(inDomain(domain, host)).toBe(expected);
  });
});
