/**
 * lib/engine/variables.ts: lookup_variable (apache-semantics.md §1.6). Names are case-insensitive;
 * only seven HTTP_* names are headers; unknown names are empty; the request's view and the
 * server's facts give the rest. Values are shown through a substitution (`/v/%{NAME}`).
 */
import { serverEvaluation, serverOutcome } from '../../helpers/evaluate';

const value = (
  name: string,
  target = '/p?q=1',
  headers: Record<string, string> = {},
  method = 'GET',
): string => {
  const out = serverOutcome(`RewriteRule ^ /v/%{${name}}?`, target, headers, method);
  return out.replace(/^rewrite \/v\//, '');
};

describe('%{NAME}', () => {
  test.each<[string, string, Record<string, string>, string]>([
    ['REQUEST_URI', '/a%20b?x', {}, '/a b'], // decoded
    ['QUERY_STRING', '/a?x=%20y', {}, 'x=%20y'], // raw
    ['THE_REQUEST', '/a%20b', {}, 'GET /a%20b HTTP/1.1'], // the raw request line
    // a ? that comes from an expansion decides the query split: AH10508, 403 (2.4.60+)
    ['THE_REQUEST', '/a?x=1', {}, 'status 403'],
    ['REQUEST_METHOD', '/a', {}, 'GET'],
    ['request_method', '/a', {}, 'GET'], // names are case-insensitive
    ['SERVER_PROTOCOL', '/a', {}, 'HTTP/1.1'],
    ['HTTP_HOST', '/a', { host: 'Example.ORG' }, 'Example.ORG'],
    ['HTTP_USER_AGENT', '/a', { 'user-agent': 'curl/8' }, 'curl/8'],
    ['HTTP:X-Forwarded-Proto', '/a', { 'x-forwarded-proto': 'https' }, 'https'],
    ['HTTP:x-forwarded-proto', '/a', { 'x-forwarded-proto': 'https' }, 'https'],
    ['HTTP_X_FORWARDED_PROTO', '/a', { 'x-forwarded-proto': 'https' }, ''], // not one of the seven
    ['HTTP_ACCEPT', '/a', {}, ''], // absent header
    ['HTTPS', '/a', {}, 'off'],
    ['REQUEST_SCHEME', '/a', {}, 'http'],
    ['REMOTE_ADDR', '/a', {}, '192.0.2.7'],
    ['REMOTE_PORT', '/a', {}, '50123'],
    ['CONN_REMOTE_ADDR', '/a', {}, '192.0.2.7'],
    ['SERVER_ADDR', '/a', {}, '127.0.0.1'],
    ['DOCUMENT_ROOT', '/a', {}, '/srv/www'],
    ['IS_SUBREQ', '/a', {}, 'false'],
    ['IPV6', '/a', {}, 'off'],
    ['API_VERSION', '/a', {}, '20120211:142'],
    ['ENV:NO_SUCH_VARIABLE_ANYWHERE', '/a', {}, ''],
    ['NO_SUCH_VARIABLE', '/a', {}, ''],
    ['XY', '/a', {}, ''], // fewer than four characters: "" at once
    ['constructor', '/a', {}, ''],
  ])('%%{%s} for %s → %j', (name, target, headers, expected) => {
    expect(value(name, target, headers)).toBe(expected);
  });

  test.each([
    ['TIME_YEAR', /^\d{4}$/],
    ['TIME_MON', /^(0[1-9]|1[0-2])$/],
    ['TIME_DAY', /^(0[1-9]|[12]\d|3[01])$/],
    ['TIME_HOUR', /^([01]\d|2[0-3])$/],
    ['TIME_WDAY', /^[0-6]$/], // no padding, Sunday = 0
    ['TIME', /^\d{14}$/],
  ])('%%{%s} has the form %s', (name, form) => {
    expect(value(name)).toMatch(form);
  });

  test('the method of the request', () => {
    expect(value('REQUEST_METHOD', '/a', {}, 'POST')).toBe('POST');
  });
});

describe('Vary: headers read in the conditions of a rule that matched (never Host)', () => {
  test.each<[string, Record<string, string>, string[]]>([
    [
      'RewriteCond %{HTTP_USER_AGENT} bot\nRewriteRule ^ /b',
      { 'user-agent': 'bot' },
      ['User-Agent'],
    ],
    ['RewriteCond %{HTTP_USER_AGENT} bot\nRewriteRule ^ /b', { 'user-agent': 'human' }, []], // rule failed
    [
      'RewriteCond %{HTTP:Accept-Language} ^de\nRewriteRule ^ /de',
      { 'accept-language': 'de' },
      ['Accept-Language'],
    ],
    ['RewriteCond %{HTTP_HOST} ^www\nRewriteRule ^ /w', {}, []],
    ['RewriteCond %{HTTP_REFERER} ^$ [NV]\nRewriteRule ^ /n', {}, []],
    ['RewriteRule ^ /x/%{HTTP_USER_AGENT}', { 'user-agent': 'x' }, []], // only conditions count
  ])('%j', (rules, headers, vary) => {
    expect(serverEvaluation(rules, '/a', headers).effects.vary).toEqual(vary);
  });
});
