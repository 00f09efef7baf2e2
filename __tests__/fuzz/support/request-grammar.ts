/**
 * Generators of hostile HTTP requests for the request properties: request-targets built from the
 * prefixes of the fuzz rule set and pieces attackers use (encoded NUL and CR/LF, `..` and encoded
 * dots and slashes, `//`, overlong UTF-8, raw unicode, prototype keys, very long segments), methods,
 * and headers (valid and invalid Host, a Host naming the canary service, cookies, languages,
 * forwarded headers).
 */
import fc from 'fast-check';
import type { FuzzRequest } from './http-harness';

const pick = <T>(values: readonly T[]): fc.Arbitrary<T> => fc.constantFrom(...values);

/** The fuzz rule set's entry points, and dictionary words that are whole request-targets. */
const PREFIXES = [
  '/',
  '/item?id=',
  '/host/',
  '/abs/',
  '/b/',
  '/lc/',
  '/e/',
  '/ne/',
  '/un/',
  '/map/',
  '/co/',
  '/t/',
  '/env/',
  '/f/',
  '/g/',
  '/p/',
  '/pq/',
  '/pne/',
  '/pself/',
  '/pdead/',
  '/h/',
  '/n/',
  '/loop/',
  '/nc/',
  '/lang',
  '/cookie',
  '/api/',
  '/end',
  '/q',
  '/qsd',
  '/x.cgi',
  '/fs/',
  '/sub/',
  '/sub/t/',
  '/sub/co/',
  '/sub/r/',
  '/sub/p/',
  '/sub/f/',
  '/sub/up/',
  '/sub/page.html',
  '/index.html',
  '/a.txt',
  '/dir',
  '/dir/',
  '/outside/',
  '/loop/loop/',
  '/old/',
  '/x',
  `/nc/${'a'.repeat(30)}`,
  '/h/constructor',
  '/h/__proto__',
  '/h/toString',
  '/h/fuzz-handler',
  '/map/constructor',
  '/env/__proto__',
  '/.htpasswd',
  '/.hidden',
  '/.htaccess',
  '/sub/.htaccess',
  '//',
  '/..',
  '/%2e%2e/',
  '/./',
  '*',
  'http://fuzz.example/abs/',
  '/p/reset',
] as const;

const PIECES = [
  'a',
  'A',
  'x',
  'y',
  'aaaaaaaaaaaaaaaa',
  '!',
  '/',
  '//',
  '.',
  '..',
  '../',
  '..%2f',
  '%2e',
  '%2e%2e',
  '%2E%2E/',
  '%2f',
  '%2F',
  '%5c',
  '\\',
  '%00',
  '%0d%0a',
  '%0D%0A',
  '%0a',
  '%0d',
  '%09',
  '%20',
  '+',
  '%25',
  '%',
  '%zz',
  '%c3%a9',
  '%ff',
  '%c0%af',
  '%e2%80%a8',
  'é',
  '😀',
  '?',
  '&',
  '=',
  'id=',
  ';',
  ':',
  '@',
  '#',
  '$1',
  '%1',
  '${',
  '%{',
  '[',
  ']',
  '|',
  '"',
  "'",
  '<',
  '>',
  '`',
  '^',
  '{',
  '}',
  'constructor',
  '__proto__',
  'toString',
  'fuzz-handler',
  'secret.txt',
  'index.html',
  'page.html',
  'en',
  'text/html',
  'reset',
  'a'.repeat(24),
  'x'.repeat(300),
  'b'.repeat(4000),
] as const;

const METHODS = [
  'GET',
  'GET',
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'OPTIONS',
  'PATCH',
  'PROPFIND',
  'TRACE',
] as const;

/** CANARY is replaced by the canary service's port when sent. */
const HOSTS = [
  'fuzz.example',
  'fuzz.example',
  'www.fuzz.example',
  'FUZZ.EXAMPLE:8080',
  '127.0.0.1',
  '127.0.0.1:CANARY',
  'localhost:CANARY',
  '[::1]',
  '[::1]:CANARY',
  'a@b',
  'a b',
  'x#y',
  'x/y',
  'x?y',
  '',
  ' ',
  'é.example',
  'localhost:0',
  'x'.repeat(300),
  'fuzz.example.',
  'h:99999',
  'h:abc',
  '%0d%0a.example',
  'constructor',
  '__proto__:80',
  'fuzz.example:80:80',
  '-',
] as const;

const HEADER_CHOICES: Readonly<Record<string, readonly string[]>> = {
  cookie: ['sess=abc', 'sess=%0d%0a', 'sess=constructor', 'sess=a;b=c', 'sess=é', 'lang=en'],
  'accept-language': ['en', 'fr-CA', 'constructor', 'é', 'EN'],
  'x-forwarded-proto': ['https', 'http', 'http,https', 'junk'],
  'x-forwarded-for': ['1.2.3.4', 'junk', '127.0.0.1, 10.0.0.1'],
  'x-forwarded-host': ['evil.example', 'fuzz.example'],
  referer: ['http://fuzz.example/', '%0d%0a'],
  'content-type': ['application/json', 'text/plain', 'multipart/form-data; boundary=x'],
  'user-agent': ['fuzz', 'Mozilla/5.0', 'é'],
  forwarded: ['for=1.2.3.4;proto=https', 'junk'],
  connection: ['close', 'keep-alive', 'upgrade'],
  // no Expect: undici does not send it, and its refusals upset the pool's later requests
  te: ['trailers'],
};

/** A request-target: a rule-set prefix and up to 8 pieces, sent as UTF-8 bytes (one latin1 char per byte). */
export const requestTarget: fc.Arbitrary<string> = fc
  .tuple(pick(PREFIXES), fc.array(pick(PIECES), { maxLength: 8 }))
  .map(([prefix, pieces]) => Buffer.from(prefix + pieces.join(''), 'utf8').toString('latin1'));

const optionalHeaders = fc
  .dictionary(pick(Object.keys(HEADER_CHOICES)), fc.nat(), { maxKeys: 3 })
  .map((chosen) =>
    Object.fromEntries(
      Object.entries(chosen).map(([name, n]) => [
        name,
        HEADER_CHOICES[name][n % HEADER_CHOICES[name].length],
      ]),
    ),
  );

export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    method: pick(METHODS),
    path: requestTarget,
    host: fc.option(pick(HOSTS), { nil: undefined, freq: 8 }),
    extra: optionalHeaders,
    body: fc.option(pick(['{"a":1}', 'a=1&b=2', 'x'.repeat(100)]), { nil: undefined, freq: 3 }),
  })
  .map(({ method, path, host, extra, body }) => ({
    method,
    path,
    headers: {
      ...extra,
      ...(host === undefined ? {} : { host: Buffer.from(host, 'utf8').toString('latin1') }),
    },
    body: method === 'GET' || method === 'HEAD' ? undefined : body,
  }));

/** The request with CANARY replaced by the canary service's port. */
export function withCanaryPort(request: FuzzRequest, port: number): FuzzRequest {
  const host = request.headers.host;
  if (host === undefined || !host.includes('CANARY')) return request;
  return {
    ...request,
    headers: { ...request.headers, host: host.replace('CANARY', String(port)) },
  };
}
