/**
 * lib/proxy/target.ts: `[P]` targets as mod_proxy takes them: http(s)://authority/path (userinfo
 * dropped as apr_uri_parse does, default ports omitted from Host), Apache's
 * `unix:/path|http://host/path`, and authorities Apache refuses with 500 (AH00898: a tab, space,
 * CR/LF, `<`, `%`, a second colon, an empty or non-numeric port — recorded on 2.4.71).
 */
import type { IncomingMessage } from 'node:http';
import {
  parseProxyTarget,
  parseProxyTargetCached,
  validAuthority,
  type ParsedTarget,
} from '../../../lib/proxy/target';

describe('validAuthority', () => {
  test.each<[string, boolean]>([
    ['127.0.0.1', true],
    ['127.0.0.1:8080', true],
    ['backend.internal', true],
    ['[::1]:3000', true],
    ['[::1]', true],
    ["a-b_c~!$&'()*+,;=", true],
    ['127.0.0.1:', false], // empty port: Apache answers 500 (case 101-seed-004)
    ['127.0.0.1:80:1', false],
    ['127.0.0.1:80x', false],
    ['127.0.0.1:123456', false],
    ['127.0.0.1\t', false],
    ['a b', false],
    ['a\r\nb', false],
    ['a<b', false],
    ['%31%32%37.0.0.1', false], // would be decoded by the URL parser
    ['[zz]x', false],
    ['', false],
  ])('%j → %s', (authority, expected) => {
    expect(validAuthority(authority)).toBe(expected);
  });
});

describe('parseProxyTarget', () => {
  test.each<[string, Partial<ParsedTarget>]>([
    [
      'http://127.0.0.1:8000/a/b?x=1',
      {
        protocol: 'http:',
        hostname: '127.0.0.1',
        port: 8000,
        host: '127.0.0.1:8000',
        origin: 'http://127.0.0.1:8000',
        path: '/a/b?x=1',
      },
    ],
    ['http://backend/', { port: 80, host: 'backend', origin: 'http://backend', path: '/' }],
    ['http://backend:80/x', { port: 80, host: 'backend', path: '/x' }], // the default port is not written
    ['https://backend/x', { protocol: 'https:', port: 443, host: 'backend' }],
    ['https://backend:8443/x', { port: 8443, host: 'backend:8443' }],
    ['HTTP://Backend/x', { protocol: 'http:', hostname: 'Backend' }],
    ['http://backend', { path: '/' }],
    ['http://backend?q', { path: '/?q' }],
    // mod_proxy_http sends the fragment on (case 409)
    ['http://backend/a#frag', { path: '/a#frag' }],
    ['http://backend/q?v=new#frag&id=42', { path: '/q?v=new#frag&id=42' }],
    ['http://backend#frag', { path: '/#frag' }],
    ['http://user:pw@backend/x', { hostname: 'backend', host: 'backend' }], // userinfo dropped
    ['http://a@b@backend/x', { hostname: 'backend' }], // the last @ ends it
    ['http://[::1]:3000/x', { hostname: '::1', port: 3000, host: '[::1]:3000' }],
    [
      'unix:/run/app.sock|http://localhost/api',
      { socketPath: '/run/app.sock', hostname: 'localhost', path: '/api' },
    ],
  ])('%s', (raw, expected) => {
    const r = parseProxyTarget(raw);
    expect(r).toMatchObject({ type: 'parsed', target: expected });
  });

  test.each([
    ['ftp://backend/x', 'not a proxy target URL'],
    ['ws://backend/x', 'not a proxy target URL'], // upgrades go through the upgrade handler
    ['/local/path', 'not a proxy target URL'], // a path needs the request (this server itself)
    ['http://127.0.0.1%09/x', 'invalid host or port'],
    ['http://127.0.0.1:/x', 'invalid host or port'],
    ['http://127.0.0.1:0/x', 'port out of range'],
    ['http://:80/x', 'invalid host or port'], // an empty host is no reg-name
  ])('%s is refused: %s', (raw, reason) => {
    const r = parseProxyTarget(raw);
    expect(r.type).toBe('refused');
    if (r.type === 'refused') expect(r.reason).toContain(reason);
  });
});

describe('parseProxyTargetCached: the same answers as parseProxyTarget, in any order', () => {
  // a sequence: each target is parsed after the one before it (the last origin is remembered)
  const sequence = [
    'http://127.0.0.1:8000/a/b?x=1',
    'http://127.0.0.1:8000/c',
    'http://127.0.0.1:80001/c', // a longer authority sharing the last one's start: refused
    'http://127.0.0.1:8000/c#frag',
    'http://127.0.0.1:8000#frag/d', // a `#` before the path ends the authority
    'http://127.0.0.1:8000/d',
    'http://127.0.0.1:800/e', // a shorter authority that the last one starts with
    'http://127.0.0.1:8000',
    'http://127.0.0.1:8000?q',
    'https://127.0.0.1:8000/f',
    'http://user@127.0.0.1:8000/g',
    'unix:/run/app.sock|http://localhost/h',
    'http://127.0.0.1:8000/i',
    'http://127.0.0.1%09/j',
    'http://127.0.0.1%09/k',
    'http://Backend/l',
    'http://backend/m',
  ];
  /** A refusal's reason names the target as cached (its origin): compare the kind of answer. */
  const answer = (r: ReturnType<typeof parseProxyTarget>): unknown =>
    r.type === 'parsed' ? r : { type: r.type, reason: r.reason.replace(/ in .*$/, '') };
  test.each(sequence.map((raw, i) => [raw, i]))('%s (after the ones before it)', (raw, i) => {
    for (const before of sequence.slice(0, i as number)) parseProxyTargetCached(before);
    expect(answer(parseProxyTargetCached(raw))).toEqual(answer(parseProxyTarget(raw)));
  });

  test.each<[string, string]>([
    ['127.0.0.1:8000', '127.0.0.1:8000'],
    ['LOCALHOST:8000', 'localhost:8000'],
    ['127.0.0.1:8000', '127.0.0.1:8001'],
  ])('a request whose Host is %s, target on %s: as parseProxyTarget', (host, authority) => {
    const self = {
      headers: { host },
      socket: { localAddress: '127.0.0.1', localPort: 8000 },
    } as unknown as IncomingMessage;
    const raw = `http://${authority}/x`;
    parseProxyTargetCached(raw); // remembered as the last origin
    expect(parseProxyTargetCached(raw, self)).toEqual(parseProxyTarget(raw, self));
  });
});
