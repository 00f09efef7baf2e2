/**
 * mod_headers and mod_expires at load time: what Apache refuses is a positioned load problem, and
 * what modrewrite cannot evaluate (an unknown ap_expr variable) is one too: never a silently wrong
 * header. Outside site()/htaccess()/serve (rewrite()) the directives are refused with ERR_CONTEXT.
 */
import { compileText } from '../../../lib/compile/compile';
import { parseExpiresCode } from '../../../lib/compile/headers';
import { RewriteSyntaxError } from '../../../lib/errors';

const load = (
  text: string,
  options: { accessControl?: boolean; context?: 'server' | 'directory' } = {},
) => compileText(text, { context: 'directory', accessControl: true, ...options });

function problemOf(
  text: string,
  options?: Parameters<typeof load>[1],
): { code: string; message: string; line?: number } {
  try {
    load(text, options);
  } catch (err) {
    const p = (err as RewriteSyntaxError).problems[0]!;
    return { code: p.code, message: p.message, line: p.line };
  }
  throw new Error(`loaded: ${text}`);
}

test.each([
  ['Header bogus X-A v', 'ERR_DIRECTIVE_ARGS', /first argument must be/],
  ['Header set X-A', 'ERR_DIRECTIVE_ARGS', /requires three arguments/],
  ['Header unset X-A a b', 'ERR_DIRECTIVE_ARGS', /unset takes two arguments/],
  ['Header edit X-A onlyregex', 'ERR_DIRECTIVE_ARGS', /edit requires a match and a substitution/],
  ['Header set X-A v foo=bar', 'ERR_DIRECTIVE_ARGS', /Unknown parameter: foo=bar/],
  ['Header set X-A v env=', 'ERR_DIRECTIVE_ARGS', /missing environment variable name/],
  ['Header set X-A v a b', 'ERR_DIRECTIVE_ARGS', /too many arguments/],
  ['Header set X-A "%q"', 'ERR_DIRECTIVE_ARGS', /Unrecognized header format %q/],
  ['RequestHeader echo X-A', 'ERR_DIRECTIVE_ARGS', /echo is only valid on Header/],
  ['RequestHeader set X-A "%{bogus" early', 'ERR_DIRECTIVE_ARGS', /./],
  ['Header set X-A v "expr=%{REQUEST_URI} =~"', 'ERR_EXPR', /cannot parse expression/],
  ['Header set X-A v "expr=%{SSL_CIPHER} == \'x\'"', 'ERR_EXPR', /%\{SSL_CIPHER\}.*not supported/],
  ['Header set X-A "expr=%{UNKNOWN_VAR}"', 'ERR_EXPR', /%\{UNKNOWN_VAR\}.*not supported/],
  ['Header edit X-A "(" x', 'ERR_REGEX', /regex could not be compiled/],
  ['ExpiresActive maybe', 'ERR_DIRECTIVE_ARGS', /ExpiresActive must be On or Off/],
  ['ExpiresDefault "later plus 1 day"', 'ERR_DIRECTIVE_ARGS', /unrecognised <base> 'later'/],
  ['ExpiresDefault "access plus x days"', 'ERR_DIRECTIVE_ARGS', /numeric value expected/],
  ['ExpiresDefault "access plus 1 fortnight"', 'ERR_DIRECTIVE_ARGS', /unrecognised <type>/],
  ['ExpiresByType text/css', 'ERR_DIRECTIVE_ARGS', /ExpiresByType takes two arguments/],
])('%s is refused at load with %s', (text, code, message) => {
  const p = problemOf(`RewriteEngine On\n${text}\n`);
  expect(p.code).toBe(code);
  expect(p.message).toMatch(message);
  expect(p.line).toBe(2);
});

test.each([
  ['Header always set X-Content-Type-Options nosniff'],
  ['Header set X-A "%{FOO}e %t %D %%" env=!FOO'],
  ['Header always set X-A yes "expr=%{QUERY_STRING} =~ /go/ && %{HTTP:Accept} != \'\'"'],
  ['Header edit* Location ^http: https:'],
  ['Header echo ^X-'],
  ['Header note X-A n'],
  ['Header setifempty X-A v'],
  ['RequestHeader unset Proxy'],
  ['RequestHeader set X-A "%{HTTP_AUTHORIZATION}e" env=HTTP_AUTHORIZATION'],
  ['ExpiresByType image/* "modification plus 2 hours 3 minutes"'],
])('%s loads', (text) => {
  expect(load(`${text}\n`).headers?.length ?? load(`${text}\n`).expires?.length).toBe(1);
});

test('early: acts in server config; in an .htaccess it loads and never acts (case 494)', () => {
  const early = 'RequestHeader set X-A v early\n';
  expect(load(early, { context: 'server' }).headers?.[0]?.early).toBe(true);
  expect(load(early).headers ?? []).toEqual([]);
  expect(load('Header set X-A v early\n').headers ?? []).toEqual([]);
  const response = problemOf('Header set X-A v early\n', { context: 'server' });
  expect(response.code).toBe('ERR_CONTEXT');
  expect(response.message).toMatch(/supported by modrewrite on RequestHeader only/);
});

test('in rewrite() (no response to act on) they are refused, naming site() and htaccess()', () => {
  const p = problemOf('Header set X-A v\n', { accessControl: false });
  expect(p.code).toBe('ERR_CONTEXT');
  expect(p.message).toMatch(/only by site\(\), htaccess\(\) and modrewrite serve/);
});

test.each([
  ['A2592000', { base: 'access', seconds: 2592000 }],
  ['M60', { base: 'modification', seconds: 60 }],
  ['access plus 1 month', { base: 'access', seconds: 30 * 86400 }],
  ['now plus 1 year 2 weeks', { base: 'access', seconds: 365 * 86400 + 14 * 86400 }],
  [
    'modification 3 hours 2 minutes 1 second',
    { base: 'modification', seconds: 3 * 3600 + 120 + 1 },
  ],
  ['access plus 0 seconds', { base: 'access', seconds: 0 }],
  // mod_expires compares one or two letters only (recorded from 2.4.71: `1 mo 1 mi 2 h` is
  // 2599260 s, `1 monkey` one month, `1 m` a configuration error)
  ['access plus 1 mo 1 mi 2 h', { base: 'access', seconds: 2599260 }],
  ['access plus 1 monkey', { base: 'access', seconds: 2592000 }],
  ['access 1 m', "bad expires code, unrecognised <type> 'm'"],
])('expires code %s', (code, expected) => {
  expect(parseExpiresCode(code)).toEqual(expected);
});
