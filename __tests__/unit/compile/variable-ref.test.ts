/**
 * lib/compile/variable-ref.ts: `%{NAME}` resolved at load (mod_rewrite.c lookup_variable):
 * `HTTP:Header` (any case of HTTP) reads that header; of the HTTP_* names only the seven Apache
 * knows are headers, compared after upper-casing; anything else is looked up by name per request.
 */
import { resolveVariable, type VariableRef } from '../../../lib/compile/variable-ref';

test.each<[string, VariableRef]>([
  ['HTTP_HOST', { header: 'host', vary: 'Host' }],
  ['http_host', { header: 'host', vary: 'Host' }],
  ['HTTP_USER_AGENT', { header: 'user-agent', vary: 'User-Agent' }],
  ['HTTP_REFERER', { header: 'referer', vary: 'Referer' }],
  ['HTTP_COOKIE', { header: 'cookie', vary: 'Cookie' }],
  ['HTTP_ACCEPT', { header: 'accept', vary: 'Accept' }],
  ['HTTP_FORWARDED', { header: 'forwarded', vary: 'Forwarded' }],
  ['HTTP_PROXY_CONNECTION', { header: 'proxy-connection', vary: 'Proxy-Connection' }],
  ['HTTP:X-Forwarded-Proto', { header: 'x-forwarded-proto', vary: 'X-Forwarded-Proto' }],
  ['http:accept-language', { header: 'accept-language', vary: 'accept-language' }],
  // not one of the seven: a name, which expands to "" (use %{HTTP:X-Foo})
  ['HTTP_X_FORWARDED_PROTO', { name: 'HTTP_X_FORWARDED_PROTO' }],
  ['HTTP_ACCEPT_LANGUAGE', { name: 'HTTP_ACCEPT_LANGUAGE' }],
  ['REQUEST_URI', { name: 'REQUEST_URI' }],
  ['ENV:HTTP_HOST', { name: 'ENV:HTTP_HOST' }],
  ['HTTPS', { name: 'HTTPS' }],
  ['constructor', { name: 'constructor' }],
])('%%{%s} → %j', (name, expected) => {
  expect(resolveVariable(name)).toEqual(expected);
});
