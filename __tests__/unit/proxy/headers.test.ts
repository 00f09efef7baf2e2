/**
 * lib/proxy/headers.ts: hop-by-hop headers removed both ways (RFC 9110 7.6.1 and every name the
 * Connection header lists), X-Forwarded-* as Apache's ProxyAddHeaders (appended to only for a
 * trusted peer), and ProxyPassReverse-style mapping of Location and cookies.
 */
import type { IncomingMessage } from 'node:http';
import {
  connectionTokens,
  mapUrl,
  rawResponseHeaders,
  rawTrailers,
  requestHeaders,
  responseHeaders,
  type ForwardInfo,
  type RequestHeaderOptions,
  type ResponseHeaderOptions,
} from '../../../lib/proxy/headers';

test.each<[string | string[] | undefined, string[]]>([
  [undefined, []],
  ['close', ['close']],
  ['Close', ['close']],
  ['keep-alive', []],
  ['Keep-Alive', []],
  ['Keep-Alive, X-Private ,, ', ['keep-alive', 'x-private']],
  [
    ['a', 'B, c'],
    ['a', 'b', 'c'],
  ],
])('connectionTokens(%j) → %j', (connection, expected) => {
  expect([...connectionTokens({ connection } as never)]).toEqual(expected);
});

/** A request as node:http gives it to the proxy: only headers and the version are read. */
const request = (headers: Record<string, string>): IncomingMessage =>
  ({ headers, httpVersion: '1.1' }) as unknown as IncomingMessage;

const info: ForwardInfo = {
  clientIp: '192.0.2.7',
  host: 'www.example.com',
  proto: 'https',
  serverName: 'front',
  trusted: false,
};
const options: RequestHeaderOptions = {
  preserveHost: false,
  xForwarded: true,
  forwarded: false,
  via: false,
  targetHost: '127.0.0.1:8000',
};

describe('requestHeaders: what the backend receives', () => {
  test.each<
    [
      string,
      Record<string, string>,
      Partial<ForwardInfo>,
      Partial<RequestHeaderOptions>,
      Record<string, unknown>,
    ]
  >([
    [
      'hop-by-hop and Connection-listed headers are removed, Host is the backend',
      {
        host: 'www.example.com',
        connection: 'x-secret',
        'x-secret': '1',
        'keep-alive': '5',
        upgrade: 'h2c',
        'proxy-authorization': 'a',
        accept: '*/*',
      },
      {},
      {},
      {
        host: '127.0.0.1:8000',
        accept: '*/*',
        'x-forwarded-for': '192.0.2.7',
        'x-forwarded-host': 'www.example.com',
        'x-forwarded-server': 'front',
        'x-forwarded-proto': 'https',
      },
    ],
    [
      "an untrusted peer's X-Forwarded-For is not believed",
      { host: 'h', 'x-forwarded-for': '10.9.9.9', forwarded: 'for=1.2.3.4' },
      {},
      {},
      { 'x-forwarded-for': '192.0.2.7' },
    ],
    [
      "a trusted peer's X-Forwarded-For is appended to",
      { host: 'h', 'x-forwarded-for': '10.9.9.9', 'x-forwarded-proto': 'http' },
      { trusted: true },
      {},
      { 'x-forwarded-for': '10.9.9.9, 192.0.2.7', 'x-forwarded-proto': 'http' },
    ],
    [
      'ProxyPreserveHost',
      { host: 'www.example.com' },
      {},
      { preserveHost: true },
      { host: 'www.example.com' },
    ],
    [
      'TE: trailers is the one TE passed on',
      { host: 'h', te: 'gzip, trailers' },
      {},
      {},
      { te: 'trailers' },
    ],
    [
      'Forwarded (RFC 7239) with an IPv6 client, quoted',
      { host: 'h' },
      { clientIp: '2001:db8::1' },
      { forwarded: true, xForwarded: false },
      { forwarded: 'for="[2001:db8::1]";host=www.example.com;proto=https' },
    ],
    ['Via', { host: 'h', via: '1.0 first' }, {}, { via: 'front' }, { via: '1.0 first, 1.1 front' }],
    [
      'Expect is not forwarded',
      { host: 'h', expect: '100-continue' },
      {},
      {},
      { expect: undefined },
    ],
  ])('%s', (_what, headers, infoOverride, optionsOverride, expected) => {
    const out = requestHeaders(
      request(headers),
      { ...info, ...infoOverride },
      { ...options, ...optionsOverride },
    );
    for (const [name, value] of Object.entries(expected)) expect(out[name]).toEqual(value);
    for (const gone of ['connection', 'keep-alive', 'upgrade', 'proxy-authorization', 'x-secret'])
      expect(out).not.toHaveProperty(gone);
  });
});

describe('requestHeaders: a Host the dispatcher writes by itself is left to it', () => {
  test.each<[string, Partial<RequestHeaderOptions>, string, string | undefined, unknown]>([
    [
      'the target host, equal to the implicit one',
      {},
      '127.0.0.1:8000',
      '127.0.0.1:8000',
      undefined,
    ],
    ['the target host, another implicit one', {}, 'Backend:8000', 'backend:8000', 'Backend:8000'],
    ['no implicit host known', {}, '127.0.0.1:8000', undefined, '127.0.0.1:8000'],
    [
      'ProxyPreserveHost',
      { preserveHost: true },
      '127.0.0.1:8000',
      '127.0.0.1:8000',
      'www.example.com',
    ],
  ])('%s', (_what, override, targetHost, implicit, expected) => {
    const req = request({ host: 'www.example.com' });
    const out = requestHeaders(req, info, { ...options, ...override }, targetHost, implicit);
    expect(out.host).toEqual(expected);
    expect(out['x-forwarded-host']).toBe('www.example.com');
  });
});

const response: ResponseHeaderOptions = {
  reverse: [{ from: 'http://127.0.0.1:8000/', to: 'https://www.example.com/app/' }],
  cookieDomain: { 'backend.local': 'example.com' },
  cookiePath: { '/': '/app/' },
  via: false,
  httpVersion: '1.1',
};

describe('responseHeaders and mapUrl: ProxyPassReverse', () => {
  test.each([
    ['http://127.0.0.1:8000/login', 'https://www.example.com/app/login'],
    ['http://127.0.0.1:8000', 'http://127.0.0.1:8000'], // not the whole prefix
    ['http://other/x', 'http://other/x'],
    ['/relative', '/relative'],
  ])('mapUrl(%j) → %j', (url, expected) => {
    expect(mapUrl(url, response.reverse)).toBe(expected);
  });

  test('Location, Content-Location and URI are mapped; hop-by-hop headers dropped', () => {
    const out = responseHeaders(
      {
        location: 'http://127.0.0.1:8000/a',
        'content-location': 'http://127.0.0.1:8000/b',
        connection: 'x-hop',
        'x-hop': '1',
        'transfer-encoding': 'chunked',
        etag: '"1"',
      },
      response,
    );
    expect(out).toEqual({
      location: 'https://www.example.com/app/a',
      'content-location': 'https://www.example.com/app/b',
      etag: '"1"',
    });
  });

  test.each([
    ['a=1; Domain=backend.local; Path=/x', 'a=1; Domain=example.com; Path=/app/x'],
    ['a=1; domain=.backend.local', 'a=1; domain=example.com'],
    ['a=1; Domain=other.org', 'a=1; Domain=other.org'],
  ])('Set-Cookie %j → %j', (cookie, expected) => {
    expect(responseHeaders({ 'set-cookie': [cookie] }, response)['set-cookie']).toEqual([expected]);
  });

  // the cookie-domain table is a plain object indexed by the backend's cookie domain: a domain
  // named like an Object.prototype member must not find that member
  // (`Domain=function Object() { [native code] }` before the fix)
  test('Set-Cookie with Domain=constructor is left as it is', () => {
    const cookie = 'a=1; Domain=constructor';
    expect(responseHeaders({ 'set-cookie': [cookie] }, response)['set-cookie']).toEqual([cookie]);
  });
});

describe('responseHeaders: the object res.writeHead gets', () => {
  const plain: ResponseHeaderOptions = {
    ...response,
    reverse: [],
    cookieDomain: {},
    cookiePath: {},
  };
  test.each<[string, Record<string, string | string[]>, Partial<ResponseHeaderOptions>, unknown]>([
    [
      'a repeated field stays one entry with its array',
      { 'set-cookie': ['a=1', 'b=2'], 'content-type': 'text/plain' },
      {},
      { 'set-cookie': ['a=1', 'b=2'], 'content-type': 'text/plain' },
    ],
    [
      "Via appended to the backend's",
      { via: '1.1 backend', etag: '"1"' },
      { via: 'front' },
      { via: '1.1 backend, 1.1 front', etag: '"1"' },
    ],
    [
      'hop-by-hop and Connection-listed out, a declared Trailer kept (the proxy forwards trailers)',
      { connection: 'x-hop', 'x-hop': '1', 'keep-alive': 'timeout=5', trailer: 'x-sum', a: 'b' },
      {},
      { a: 'b', trailer: 'x-sum' },
    ],
  ])('%s', (_name, headers, o, expected) => {
    expect(responseHeaders(headers, { ...plain, ...o })).toEqual(expected);
  });
});

describe("rawResponseHeaders: straight from undici's raw [name, value, …] Buffers", () => {
  const plain: ResponseHeaderOptions = {
    ...response,
    reverse: [],
    cookieDomain: {},
    cookiePath: {},
  };
  const raw = (...pairs: string[]): Buffer[] => pairs.map((p) => Buffer.from(p, 'latin1'));
  test.each<[string, Buffer[], Partial<ResponseHeaderOptions>, unknown]>([
    [
      'names in lower case, a repeated field one entry with its array, first-seen order',
      raw('Set-Cookie', 'a=1', 'Content-Type', 'text/plain', 'SET-COOKIE', 'b=2', 'X-A', 'é'),
      {},
      { 'set-cookie': ['a=1', 'b=2'], 'content-type': 'text/plain', 'x-a': 'é' },
    ],
    [
      'Connection-listed and hop-by-hop out; Trailer kept last; Via appended in place',
      raw(
        'Via',
        '1.1 b',
        'Trailer',
        'x-sum',
        'X-Hop',
        '1',
        'Connection',
        'X-Hop',
        'Keep-Alive',
        't=5',
        'A',
        'b',
      ),
      { via: 'front' },
      { via: '1.1 b, 1.1 front', a: 'b', trailer: 'x-sum' },
    ],
    [
      'Connection: close drops a field named close; __proto__ and Object.prototype names are plain fields or dropped',
      raw(
        'Connection',
        'close',
        'Close',
        'x',
        '__proto__',
        'p',
        'constructor',
        'c',
        'toString',
        't',
      ),
      {},
      { constructor: 'c', tostring: 't' },
    ],
    [
      'Location mapped (ProxyPassReverse)',
      raw('Location', 'http://b:8/x?y', 'Content-Location', 'http://other/z'),
      { reverse: [{ from: 'http://b:8/', to: 'https://front/' }] },
      { location: 'https://front/x?y', 'content-location': 'http://other/z' },
    ],
  ])('%s', (_name, headers, o, expected) => {
    const out = rawResponseHeaders(headers, { ...plain, ...o });
    expect(out).toEqual(expected);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  test('the reverse maps are asked for only when a URL header is present', () => {
    const asked: string[] = [];
    const maps = {
      reverseMaps: () => {
        asked.push('asked');
        return [{ from: 'http://b/', to: '/front/' }];
      },
    };
    expect(rawResponseHeaders(raw('ETag', '"1"'), plain, maps)).toEqual({ etag: '"1"' });
    expect(asked).toEqual([]);
    expect(rawResponseHeaders(raw('Location', 'http://b/p'), plain, maps)).toEqual({
      location: '/front/p',
    });
    expect(asked).toEqual(['asked']);
  });

  test.each<[Buffer[] | null, unknown]>([
    [null, undefined],
    [[], undefined],
    [
      raw('X-Sum', '1', 'x-sum', '2', 'Server-Timing', 'a'),
      { 'x-sum': ['1', '2'], 'server-timing': 'a' },
    ],
  ])('rawTrailers(%j) → %j', (trailers, expected) => {
    expect(rawTrailers(trailers)).toEqual(expected);
  });
});
