/**
 * Issue 12: mod_alias as modules/mappers/mod_alias.c reads and applies it — which argument is the
 * status, the URL-path and the URL (add_redirect_internal), Apache's load errors, the segment-wise
 * prefix match (alias_matches), escaping and the query string. Apache's answers for the same
 * lines are recorded in conformance/cases/180–186.
 */
import { compileText } from '../../../lib/compile/compile';
import { RewriteError } from '../../../lib/errors';
import type { AliasConfig } from '../../../lib/compile/alias';
import { inheritRules } from '../../../lib/compile/inherit';
import { aliasFilename, aliasMatches, aliasRedirect } from '../../../lib/site/alias';
import type { RequestView } from '../../../lib/engine/request';

const aliasOf = (text: string, context: 'directory' | 'server' = 'directory'): AliasConfig =>
  compileText(text, { context, siteDirectives: true, accessControl: context === 'directory' })
    .alias!;

function problemOf(text: string, context: 'directory' | 'server' = 'directory'): string {
  try {
    compileText(text, { context, siteDirectives: true });
  } catch (err) {
    if (err instanceof RewriteError) return `${err.problems[0].code}: ${err.problems[0].message}`;
    throw err;
  }
  return 'ok';
}

const view: RequestView = {
  method: 'GET',
  target: '/',
  protocol: 'HTTP/1.1',
  headers: { host: 'www.example.com' },
  remoteAddr: '127.0.0.1',
  remotePort: 1,
  connRemoteAddr: '127.0.0.1',
  localAddr: '127.0.0.1',
  localPort: 80,
  secure: false,
};
const server = { documentRoot: '/srv/www' };

describe('alias_matches: segment-wise prefix, runs of / match runs of /', () => {
  test.each<[string, string, number]>([
    ['/old', '/old', 4],
    ['/old/x', '/old', 4],
    ['/older', '/old', 0],
    ['/old', '/old/', 0],
    ['/old/', '/old/', 5],
    ['/a//b/c', '/a/b', 5],
    ['/a/b', '/a//b', 4],
    ['a/b', '/a', 0],
    ['/OLD', '/old', 0],
  ])('%j against %j → %i', (uri, prefix, expected) => {
    expect(aliasMatches(uri, prefix)).toBe(expected);
  });
});

describe('Redirect forms: status, URL-path, URL', () => {
  test.each<[string, string, string | null, number | undefined, string | undefined]>([
    ['Redirect /a /b', '/a/x', null, 302, 'http://www.example.com/b/x'],
    ['Redirect permanent /a http://o.example/b', '/a', 'q=1', 301, 'http://o.example/b?q=1'],
    ['Redirect SeeOther /a /b', '/a', null, 303, 'http://www.example.com/b'],
    ['Redirect 307 /a /b?x=1', '/a/y', 'q', 307, 'http://www.example.com/b?x=1/y'],
    ['RedirectPermanent /a /b', '/a', null, 301, 'http://www.example.com/b'],
    ['RedirectTemp /a /b', '/a', null, 302, 'http://www.example.com/b'],
    ['Redirect gone /a', '/a/x', null, 410, undefined],
    ['Redirect 404 /a', '/a', null, 404, undefined],
    ['Redirect gone', '/anything', null, 410, undefined],
    ['Redirect 403', '/anything', null, 403, undefined],
    ['Redirect 301 "/t x"', '/anything', 'q', 301, 'http://www.example.com/t%20x?q'],
    ['Redirect /a /b', '/a b', null, undefined, undefined],
    ['Redirect /a /b', '/a/b c?', null, 302, 'http://www.example.com/b/b%20c%3f'],
    ['RedirectMatch ^/m/(.*)$ /n/$1', '/m/a b', 'k', 302, 'http://www.example.com/n/a%20b?k'],
    ['RedirectMatch ^/m/(.*)$ /n?v=$1', '/m/a&b', 'k', 302, 'http://www.example.com/n?v=a&b'],
    ['RedirectMatch ^/m/(.*)$ /n#f', '/m/a', 'k', 302, 'http://www.example.com/n#f?k'],
    ['RedirectMatch ^/m/(.*)$ /n/$2\\$1', '/m/a', null, 302, 'http://www.example.com/n/$1'],
    ['RedirectMatch 403 \\.bak$', '/x.bak', null, 403, undefined],
    ['RedirectMatch ^/m relative', '/m', null, 500, undefined],
    ['Redirect /a mailto:x@y', '/a', null, 302, 'mailto:x@y'],
  ])('%s: %s?%s → %s %s', (line, uri, args, status, location) => {
    const answer = aliasRedirect(aliasOf(line), uri, args, view, server);
    expect(answer?.status).toBe(status);
    expect(answer?.type === 'redirect' ? answer.location : undefined).toBe(location);
  });

  test('the first matching line wins; a child directory comes before its parent', () => {
    const child = compileText('Redirect /p/c /child\n', {
      context: 'directory',
      siteDirectives: true,
    });
    const parent = compileText('Redirect /p/c/y /parent\nRedirect /p/c/y /second\n', {
      context: 'directory',
      siteDirectives: true,
    });
    expect(aliasRedirect(parent.alias, '/p/c/y', null, view, server)).toMatchObject({
      location: 'http://www.example.com/parent',
    });
    const merged = inheritRules(parent, child);
    expect(aliasRedirect(merged.alias, '/p/c/y', null, view, server)).toMatchObject({
      location: 'http://www.example.com/child/y',
    });
  });
});

describe("Apache's load errors (the .htaccess answers 500)", () => {
  test.each<[string, string]>([
    ['Redirect', 'ERR_DIRECTIVE_ARGS: Redirect takes one, two, or three arguments'],
    ['Redirect foo /a /b', 'ERR_DIRECTIVE_ARGS: Redirect: invalid first argument (of three)'],
    ['Redirect 404 /a /b', 'ERR_DIRECTIVE_ARGS: Redirect URL not valid for this status'],
    ['Redirect /a b', 'ERR_DIRECTIVE_ARGS: Redirect to non-URL'],
    ['Redirect 301', 'ERR_DIRECTIVE_ARGS: URL to redirect to is missing'],
    ['RedirectPermanent /a', 'ERR_DIRECTIVE_ARGS: RedirectPermanent takes two arguments'],
    ['RedirectMatch (x /b', 'ERR_REGEX: Regular expression could not be compiled: '],
    ['Redirect 200 /a', 'ERR_DIRECTIVE_ARGS: Redirect: status 200 is not supported by modrewrite'],
    ['Redirect 301 %{REQUEST_URI}', 'ERR_DIRECTIVE_ARGS: Redirect: the expression'],
    ['Alias /a /srv', 'ERR_CONTEXT: Alias not allowed here'],
    ['AliasMatch ^/a /srv', 'ERR_CONTEXT: AliasMatch not allowed here'],
  ])('%s → %s', (line, expected) => {
    expect(problemOf(line)).toContain(expected);
  });

  test.each<[string, string]>([
    // recorded (case 189): Apache reads the URL as the URL-path and finds no URL
    ['Redirect 301 /x', 'URL to redirect to is missing'],
    ['Redirect gone', 'Redirect without a URL-path is not supported in server config'],
    ['Redirect /x', 'Redirect without a URL-path is not supported in server config'],
  ])('server config: %s → %s', (line, expected) => {
    expect(problemOf(line, 'server')).toContain(expected);
  });

  test('Alias with one argument is the <Location> form: refused in server config', () => {
    expect(problemOf('Alias /a', 'server')).toContain(
      'Alias must have two arguments when used globally',
    );
  });
});

describe('Alias and AliasMatch (server config)', () => {
  const config = aliasOf(
    'Alias /al /srv/real\nAliasMatch ^/am/(.*)\\.x$ /srv/real/$1.txt\nAliasMatch ^/rel/(.*) data/$1',
    'server',
  );
  test.each<[string, string | undefined]>([
    ['/al/f.txt', '/srv/real/f.txt'],
    ['/al', '/srv/real'],
    ['/alx', undefined],
    ['/am/f.x', '/srv/real/f.txt'],
    ['/am/f.y', undefined],
  ])('%s → %s', (uri, expected) => {
    expect(aliasFilename(config, uri)?.file).toBe(expected);
  });

  test('a relative path is under the ServerRoot (ap_server_root_relative)', () => {
    expect(aliasFilename(config, '/rel/z')?.file).toMatch(/\/data\/z$/);
  });
});

// mod_alias.c add_alias with cmd->info "cgi-script" (case 417)
describe('ScriptAlias and ScriptAliasMatch (server config): an Alias with the cgi-script handler', () => {
  const config = aliasOf(
    'ScriptAlias /cgi-bin/ /srv/cgi/\nScriptAliasMatch ^/s/(.*) /srv/cgi/$1\nAlias /al /srv/real',
    'server',
  );
  test.each<[string, { file: string; handler?: string } | undefined]>([
    ['/cgi-bin/x.sh', { file: '/srv/cgi/x.sh', handler: 'cgi-script' }],
    ['/s/x.sh', { file: '/srv/cgi/x.sh', handler: 'cgi-script' }],
    ['/al/x.sh', { file: '/srv/real/x.sh', handler: undefined }],
  ])('%s → %j', (uri, expected) => {
    expect(aliasFilename(config, uri)).toEqual(expected);
  });

  test.each<[string, string, 'server' | 'directory']>([
    ['ScriptAlias /a /srv', 'ERR_CONTEXT: ScriptAlias not allowed here', 'directory'],
    ['ScriptAliasMatch ^/a /srv', 'ERR_CONTEXT: ScriptAliasMatch not allowed here', 'directory'],
    [
      'ScriptAlias /a /b /c',
      'ERR_DIRECTIVE_ARGS: ScriptAlias takes one or two arguments',
      'server',
    ],
  ])('%s → %s', (line, expected, context) => {
    expect(problemOf(line, context)).toContain(expected);
  });
});

describe('non-ASCII: Apache compares and sends bytes', () => {
  const bytes = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');
  test.each<[string, string, string]>([
    ['Redirect /café /menü', '/café/x', 'http://www.example.com/menü/x'],
    ['RedirectMatch ^/é(.*)$ /ü$1', '/éa', 'http://www.example.com/%c3%bca'],
  ])('%s: %s → %s', (line, uri, location) => {
    const answer = aliasRedirect(aliasOf(line), bytes(uri), null, view, server);
    expect(answer).toMatchObject({ type: 'redirect', location: bytes(location) });
  });
});

describe('Redirect inside <If> (.htaccess): tried first while its section holds (case 460)', () => {
  const everyHolds = (): boolean => true;
  const text =
    '<If "%{QUERY_STRING} =~ /a/">\n  Redirect /x/f /first\n</If>\n' +
    '<If "%{QUERY_STRING} =~ /b/">\n  Redirect /x/f /second\n</If>\n' +
    'Redirect /x/f /plain\n';

  test('held sections come before the plain lines, the later section first', () => {
    const alias = aliasOf(text);
    expect(aliasRedirect(alias, '/x/f', null, view, server, everyHolds)).toMatchObject({
      location: 'http://www.example.com/second',
    });
    expect(aliasRedirect(alias, '/x/f', null, view, server)).toMatchObject({
      location: 'http://www.example.com/plain',
    });
  });

  test("a child directory's held sections come before its parent's, and before any plain line", () => {
    const parent = compileText('<If "true">\n  Redirect /p /parent-if\n</If>\n', {
      context: 'directory',
      siteDirectives: true,
    });
    const child = compileText('Redirect /p/c /child\n', {
      context: 'directory',
      siteDirectives: true,
    });
    const merged = inheritRules(parent, child).alias;
    expect(aliasRedirect(merged, '/p/c', null, view, server, everyHolds)).toMatchObject({
      location: 'http://www.example.com/parent-if/c',
    });
    expect(aliasRedirect(merged, '/p/c', null, view, server)).toMatchObject({
      location: 'http://www.example.com/child',
    });
  });

  test("a held section's whole-directory form replaces the file's", () => {
    const alias = aliasOf(
      'Redirect gone\n<If "true">\n  Redirect 301 "https://new.example/"\n</If>\n',
    );
    expect(aliasRedirect(alias, '/any', null, view, server, everyHolds)).toMatchObject({
      status: 301,
      location: 'https://new.example/',
    });
    expect(aliasRedirect(alias, '/any', null, view, server)).toMatchObject({ status: 410 });
  });

  test('in the server configuration it is refused (Apache makes it per-directory)', () => {
    expect(problemOf('<If "true">\n  Redirect /a /b\n</If>\n', 'server')).toMatch(
      /^ERR_CONTEXT: Redirect inside <If> in the server configuration is not supported/,
    );
  });
});

describe('mod_rewrite inside <If> (.htaccess): the section keeps a config of its own (case 461)', () => {
  test("the section's directives are not the directory's", () => {
    const rs = compileText(
      'RewriteEngine On\nRewriteRule ^b$ out.txt\n<If "true">\n  RewriteRule ^a$ in.txt\n</If>\n',
      { context: 'directory', siteDirectives: true },
    );
    expect(rs.rules.map((r) => r.pattern)).toEqual(['^b$']);
    expect(rs.ifRewrites).toHaveLength(1);
    expect(rs.ifRewrites![0]!.ruleSet.rules.map((r) => r.pattern)).toEqual(['^a$']);
  });

  test('in the server configuration it is refused (Apache applies it in every fixup)', () => {
    expect(problemOf('<If "true">\n  RewriteRule ^/a$ /b\n</If>\n', 'server')).toMatch(
      /^ERR_CONTEXT: RewriteRule inside <If> in the server configuration is not supported/,
    );
  });
});
