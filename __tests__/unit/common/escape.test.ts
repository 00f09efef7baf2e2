/**
 * lib/common/escape.ts: Apache's three escapers and its two URL decoders, byte for byte.
 * Expected values follow the character sets of apache/httpd server/gen_test_char.c
 * (T_OS_ESCAPE_PATH, T_VCHAR_OBSTEXT), util.c (c2x: lowercase hex; ap_unescape_url),
 * mod_rewrite.c (escape_backref) and proxy_util.c (ap_proxy_canonenc_ex: uppercase hex).
 */
import {
  encodePathForUrl,
  escapeBackref,
  escapeUri,
  hasCtlOrSpace,
  isVcharObstext,
  proxyCanon,
  unescapeLoose,
  unescapePath,
  type BackrefEscapeFlags,
  type DecodeResult,
} from '../../../lib/common/escape';

describe("escapeUri: ap_escape_uri keeps alnum and $-_.+!*'(),:;@&=/~, lowercase %xx", () => {
  test.each([
    ['/plain/path', '/plain/path'],
    ["$-_.+!*'(),:;@&=/~", "$-_.+!*'(),:;@&=/~"],
    ['a b', 'a%20b'],
    ['a?b#c', 'a%3fb%23c'],
    ['100%', '100%25'],
    ['a"b<c>', 'a%22b%3cc%3e'],
    ['[x]{y}|\\^`', '%5bx%5d%7by%7d%7c%5c%5e%60'],
    ['\x00\x1f\x7f', '%00%1f%7f'],
    ['caf\xc3\xa9', 'caf%c3%a9'], // UTF-8 bytes of é, as a byte string
    ['', ''],
  ])('%j → %j', (input, expected) => {
    expect(escapeUri(input)).toBe(expected);
  });
});

describe("proxyCanon: mod_proxy canonenc (reverse proxy path) keeps alnum ~$-_.+!*'(),;:@&= and /, UPPERCASE %XX", () => {
  test.each([
    ['/api/v1', '/api/v1'],
    ['/a b', '/a%20b'],
    ['/a%20b', '/a%2520b'], // the path is already decoded: a % is data and is escaped again
    ['/a?b', '/a%3Fb'],
    ['/a#b', '/a%23b'],
    ['/caf\xc3\xa9', '/caf%C3%A9'],
    ["~$-_.+!*'(),;:@&=/", "~$-_.+!*'(),;:@&=/"],
  ])('%j → %j', (input, expected) => {
    expect(proxyCanon(input)).toBe(expected);
  });
  test('encodePathForUrl escapes like proxyCanon (req.url keeps / and uses uppercase hex)', () => {
    expect(encodePathForUrl('/a b/%/\xc3\xa9')).toBe('/a%20b/%25/%C3%A9');
  });
});

describe('isVcharObstext / hasCtlOrSpace: T_VCHAR_OBSTEXT (AH10410 refuses a query with CTL or space)', () => {
  test.each([
    [0x00, false],
    [0x09, false],
    [0x20, false],
    [0x21, true],
    [0x7e, true],
    [0x7f, false],
    [0x80, true],
    [0xff, true],
  ])('byte 0x%s → %s', (c, expected) => {
    expect(isVcharObstext(c)).toBe(expected);
  });
  test.each([
    ['a=1&b=2', false],
    ['a=1 b', true],
    ['a=\t', true],
    ['a=\r\n', true],
    ['a=\x7f', true],
    ['caf\xe9', false],
    ['', false],
  ])('%j → %s', (s, expected) => {
    expect(hasCtlOrSpace(s)).toBe(expected);
  });
});

const B: BackrefEscapeFlags = { noplus: false, ctls: false };

describe('escapeBackref: mod_rewrite escape_backref ([B], B=, BNP, BCTLS, BNE)', () => {
  test.each<[string, BackrefEscapeFlags, string]>([
    // [B]: everything but alnum and _ → lowercase %xx, space → +
    ['a b/c.d', B, 'a+b%2fc%2ed'],
    ['x_y-z', B, 'x_y%2dz'],
    ['a&b=c?d', B, 'a%26b%3dc%3fd'],
    ['\xc3\xa9', B, '%c3%a9'],
    // BNP: space is %20
    ['a b', { ...B, noplus: true }, 'a%20b'],
    // B=chars: only those (alnum and _ never, even when listed)
    ['a b/c?d', { ...B, escapes: '?' }, 'a b/c%3fd'],
    ['a_b', { ...B, escapes: 'a_' }, 'a_b'],
    ['a b', { ...B, escapes: ' ' }, 'a+b'],
    // apache-semantics.md rows 65-69 (httpd-tests t/modules/rewrite.t), request foo/bar/%20baz/%0d
    ['foo/bar/ baz/', { ...B, escapes: '/' }, 'foo%2fbar%2f baz%2f'],
    ['foo/bar/ baz/\r', { ...B, ctls: true }, 'foo/bar/+baz/%0d'],
    ['foo/bar/ baz/\r', { ...B, ctls: true, noescapes: ' ?' }, 'foo/bar/ baz/%0d'],
    ['foo/bar/ baz/\r', { ...B, ctls: true, escapes: '/' }, 'foo%2fbar%2f+baz%2f%0d'],
    ['foo/bar/ baz/\r', { ...B, noescapes: '/' }, 'foo/bar/+baz/%0d'],
  ])('%j with %j → %j', (input, flags, expected) => {
    expect(escapeBackref(input, flags)).toBe(expected);
  });
});

describe('unescapeLoose: ap_unescape_url for int:unescape (every valid %xx, %2f too; bad ones stay)', () => {
  test.each([
    ['a%20b', 'a b'],
    ['a%2fb%2Fc', 'a/b/c'],
    ['%41%4a%6b', 'AJk'],
    ['100%', '100%'],
    ['%zz%4', '%zz%4'],
    ['%%41', '%A'],
    ['%c3%a9', '\xc3\xa9'],
    ['no escapes', 'no escapes'],
  ])('%j → %j', (input, expected) => {
    expect(unescapeLoose(input)).toBe(expected);
  });
});

describe('unescapePath: a request path (%2F and %00 → 404, a bad escape → 400)', () => {
  test.each<[string, boolean, DecodeResult]>([
    ['/a%20b', false, { type: 'decoded', value: '/a b' }],
    ['/a%2fb', false, { type: 'refused', status: 404 }],
    ['/a%2Fb', true, { type: 'decoded', value: '/a/b' }],
    ['/a%00', false, { type: 'refused', status: 404 }],
    ['/a%00', true, { type: 'refused', status: 404 }],
    ['/a%zz', false, { type: 'refused', status: 400 }],
    ['/a%4', false, { type: 'refused', status: 400 }],
    ['/a%', false, { type: 'refused', status: 400 }],
    ['/a%2f%zz', false, { type: 'refused', status: 400 }], // a malformed escape wins over %2F
    ['/%c3%a9', false, { type: 'decoded', value: '/\xc3\xa9' }],
    ['/plain', false, { type: 'decoded', value: '/plain' }],
  ])('%j (AllowEncodedSlashes %s) → %j', (input, allow, expected) => {
    expect(unescapePath(input, allow)).toEqual(expected);
  });
});
