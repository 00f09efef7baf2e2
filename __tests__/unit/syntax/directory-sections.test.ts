/**
 * `<Directory>`, `<DirectoryMatch>`, `<Location>`, `<LocationMatch>` and AllowOverride as the
 * server config of site()/serve reads them (core.c dirsection, urlsection, set_override,
 * set_override_list), and the check ap_parse_htaccess makes on each `.htaccess` line. The
 * messages are Apache 2.4.71's (conformance cases 210-219).
 */
import { compileText } from '../../../lib/compile/compile';
import { RewriteError } from '../../../lib/errors';
import type { RuleSet } from '../../../lib/compile/ruleset';
import {
  checkOverride,
  containerSection,
  OVERRIDE_ALL,
  parseAllowOverride,
  parseAllowOverrideList,
  type OverrideSpec,
} from '../../../lib/syntax/directory-sections';

const pos = { line: 1, column: 1 };

/** A server config as site() reads it: the sections, or the load error. */
function load(text: string, options: Parameters<typeof compileText>[1] = {}) {
  try {
    return compileText(text, { context: 'server', siteDirectives: true, ...options });
  } catch (err) {
    return err as RewriteError;
  }
}

describe('the section argument (dirsection / urlsection)', () => {
  test.each([
    ['<Directory', '"/srv/www">', { kind: 'directory', regex: false, pattern: '/srv/www/' }],
    ['<Directory', '/srv//www/>', { kind: 'directory', regex: false, pattern: '/srv/www/' }],
    ['<Directory', '/>', { kind: 'directory', regex: false, pattern: '/' }],
    ['<Directory', '"/srv/w*">', { kind: 'directory', regex: false, pattern: '/srv/w*/' }],
    ['<Directory', '~ "/priv">', { kind: 'directory', regex: true, pattern: '/priv' }],
    [
      '<DirectoryMatch',
      '"^/srv/(a|b)">',
      { kind: 'directory', regex: true, pattern: '^/srv/(a|b)' },
    ],
    ['<Location', '/admin>', { kind: 'location', regex: false, pattern: '/admin' }],
    ['<Location', '~ "\\.txt$">', { kind: 'location', regex: true, pattern: '\\.txt$' }],
    ['<LocationMatch', '"^/a">', { kind: 'location', regex: true, pattern: '^/a' }],
  ] as const)('%s %s', (opener, args, expected) => {
    expect(containerSection(opener, args, pos)).toMatchObject(expected);
  });

  test.each([
    ['<Directory', '>', '<Directory> directive requires additional arguments'],
    ['<Location', '/a', "<Location> directive missing closing '>'"],
    ['<Directory', '/a /b>', 'Multiple <Directory> arguments not (yet) supported.'],
    ['<Directory', 'relative/dir>', 'modrewrite needs an absolute filesystem path'],
  ] as const)('%s %s → an error', (opener, args, message) => {
    const got = containerSection(opener, args, pos);
    expect(got).toHaveProperty('error');
    expect((got as { error: string }).error).toContain(message);
  });
});

describe('AllowOverride and AllowOverrideList (set_override, set_override_list)', () => {
  test.each([
    ['All', ['AuthConfig', 'FileInfo', 'Indexes', 'Limit', 'Options']],
    ['None', []],
    ['FileInfo AuthConfig', ['AuthConfig', 'FileInfo']],
    ['fileinfo indexes', ['FileInfo', 'Indexes']],
    ['All None', []],
    ['Options=Indexes,MultiViews', ['Options']],
  ])('AllowOverride %s', (line, classes) => {
    const spec = parseAllowOverride(line.split(' '));
    expect([...(spec as OverrideSpec).classes].sort()).toEqual(classes);
  });

  test('Options= keeps its list; Nonfatal= sets what is skipped', () => {
    expect(parseAllowOverride(['Options=Indexes,FollowSymLinks'])).toMatchObject({
      options: new Set(['indexes', 'followsymlinks']),
    });
    expect(parseAllowOverride(['FileInfo', 'Nonfatal=Override'])).toMatchObject({
      nonfatalOverride: true,
      nonfatalUnknown: false,
    });
    expect(parseAllowOverride(['FileInfo', 'Nonfatal=All'])).toMatchObject({
      nonfatalOverride: true,
      nonfatalUnknown: true,
    });
  });

  test.each([
    [['Bogus'], 'Illegal override option Bogus'],
    [['Options=Bogus'], 'Illegal option bogus'],
    [['Nonfatal=Maybe'], 'Nonfatal'],
    [[], 'requires at least one argument'],
  ])('AllowOverride %j → %s', (words, message) => {
    expect((parseAllowOverride(words) as { error: string }).error).toContain(message);
  });

  test('AllowOverrideList: names (lower case), or None alone', () => {
    expect(parseAllowOverrideList(['Redirect', 'Header'])).toEqual(new Set(['redirect', 'header']));
    expect(parseAllowOverrideList(['None'])).toBeUndefined();
    expect(parseAllowOverrideList(['None', 'Header'])).toEqual({
      error: "'None' not allowed with other directives in AllowOverrideList",
    });
  });
});

describe('an .htaccess line under AllowOverride (each module table carries its class)', () => {
  const spec = (line: string, list?: string[]): OverrideSpec => ({
    ...(parseAllowOverride(line.split(' ')) as OverrideSpec),
    list: list && new Set(list),
  });
  test.each([
    ['FileInfo', 'RewriteRule', [], 'allowed'],
    ['FileInfo', 'Header', [], 'allowed'],
    ['FileInfo', 'ErrorDocument', [], 'allowed'],
    ['FileInfo', 'Require', [], 'refused'],
    ['AuthConfig', 'Require', [], 'allowed'],
    ['AuthConfig', 'RewriteEngine', [], 'refused'],
    ['AuthConfig', 'Satisfy', [], 'allowed'],
    ['Limit', 'Order', [], 'allowed'],
    ['Limit', 'Satisfy', [], 'refused'],
    ['Indexes', 'DirectoryIndex', [], 'allowed'],
    ['Indexes', 'ExpiresActive', [], 'allowed'],
    ['Indexes', 'Options', [], 'refused'],
    ['Options', 'Options', ['-Indexes'], 'allowed'],
    ['Options=Indexes', 'Options', ['-Indexes', '+ExecCGI'], 'refused'],
    ['Options=FollowSymLinks', 'Options', ['-Indexes'], 'refused'],
    ['AuthConfig', '<IfModule', [], 'allowed'],
    ['AuthConfig', 'LimitRequestBody', [], 'allowed'],
    ['FileInfo Nonfatal=Override', 'Require', [], 'skipped'],
    ['FileInfo Nonfatal=Unknown', 'Bogus', [], 'skipped'],
    ['FileInfo', 'Bogus', [], 'allowed'],
  ])('AllowOverride %s: %s %j → %s', (line, name, args, verdict) => {
    expect(checkOverride(name, args, spec(line)).type).toBe(verdict);
  });

  test('the messages are Apache’s', () => {
    expect(checkOverride('Require', [], spec('FileInfo'))).toEqual({
      type: 'refused',
      message: 'Require not allowed here',
    });
    expect(checkOverride('Options', ['+ExecCGI'], spec('Options=Indexes'))).toEqual({
      type: 'refused',
      message: 'Option ExecCGI not allowed here',
    });
  });

  test('AllowOverrideList allows the directives it names whatever their class', () => {
    expect(checkOverride('Header', [], spec('None', ['header'])).type).toBe('allowed');
    expect(checkOverride('Redirect', [], spec('None', ['header'])).type).toBe('refused');
    expect(checkOverride('Require', [], OVERRIDE_ALL).type).toBe('allowed');
  });
});

describe('malformed sections fail at load, positioned (file:line:col)', () => {
  test.each([
    [
      'unclosed',
      'Header set A a\n<Directory "/srv/x">\n  Header set B b\n',
      2,
      1,
      'ERR_SYNTAX_ARGS',
      '<Directory> was not closed.',
    ],
    [
      'no argument',
      '\n<Directory>\n</Directory>',
      2,
      1,
      'ERR_DIRECTIVE_ARGS',
      '<Directory> directive requires additional arguments',
    ],
    [
      'closed by another',
      '<Directory "/srv/x">\n</Location>',
      2,
      1,
      'ERR_SYNTAX_ARGS',
      'Expected </Directory> but saw </Location>',
    ],
    [
      'nested',
      '<Directory "/srv/x">\n  <Location /a>\n  </Location>\n</Directory>',
      2,
      3,
      'ERR_DIRECTIVE_ARGS',
      '<Location not allowed in <Directory> context',
    ],
    [
      'regex',
      '<DirectoryMatch "(">\n</DirectoryMatch>',
      1,
      1,
      'ERR_REGEX',
      'Regex could not be compiled',
    ],
    [
      'AllowOverride outside',
      'AllowOverride None',
      1,
      1,
      'ERR_CONTEXT',
      'AllowOverride not allowed here',
    ],
    [
      'AllowOverride class',
      '<Directory /srv>\n  AllowOverride Bogus\n</Directory>',
      2,
      3,
      'ERR_DIRECTIVE_ARGS',
      'Illegal override option Bogus',
    ],
    [
      'unknown inside',
      '<Location /a>\n  Bogus on\n</Location>',
      2,
      3,
      'ERR_UNKNOWN_DIRECTIVE',
      "Invalid command 'Bogus'",
    ],
    [
      'bad rule inside (the column of the unclosed group)',
      '<Directory /srv>\n  RewriteRule ^(a b\n</Directory>',
      2,
      16,
      'ERR_REGEX',
      'RewriteRule',
    ],
  ])('%s', (_name, text, line, column, code, message) => {
    const err = load(text, { file: 'site.conf' });
    expect(err).toBeInstanceOf(RewriteError);
    const problem = (err as RewriteError).problems.find((p) => p.message.includes(message));
    expect(problem).toMatchObject({ file: 'site.conf', line, column, code });
  });

  test('rewrite() (no document root) refuses them, naming site() and serve; ignoreUnknownDirectives skips them whole', () => {
    const text = '<Location /a>\n  RewriteRule ^ - [F]\n</Location>\nRewriteRule ^/b$ /c';
    const err = load(text, { siteDirectives: false }) as RewriteError;
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatchObject({ code: 'ERR_CONTEXT', line: 1, column: 1 });
    expect(err.problems[0].message).toContain('site() and modrewrite serve');
    const skipped = load(text, { siteDirectives: false, ignoreUnknownDirectives: true });
    expect(skipped).not.toBeInstanceOf(RewriteError);
    expect((skipped as RuleSet).rules).toHaveLength(1);
  });

  test('the sections compile into the server RuleSet, each body in directory context', () => {
    const rs = load(
      '<Directory "/srv/x">\n  AllowOverride FileInfo\n  RewriteEngine On\n  RewriteRule ^a$ b\n</Directory>\n<LocationMatch "^/l">\n  Require all denied\n</LocationMatch>',
    );
    expect(rs).not.toBeInstanceOf(RewriteError);
    const sections = (rs as RuleSet).sections!;
    expect(sections.map((s) => s.section)).toMatchObject([
      { opener: '<Directory', pattern: '/srv/x/' },
      { opener: '<LocationMatch', pattern: '^/l' },
    ]);
    expect(sections[0].ruleSet).toMatchObject({ engine: true, hasRewriteDirectives: true });
    expect(sections[0].override).toMatchObject({ spec: { classes: new Set(['FileInfo']) } });
    expect(sections[1].ruleSet).toHaveProperty('access');
  });

  test('a top-level <Files> of a site config is read as inside an implicit <Directory />; rewrite() still refuses it', () => {
    const text = '<FilesMatch "\\.bak$">\n  Require all denied\n</FilesMatch>';
    const rs = load(text) as RuleSet;
    expect(rs.sections?.map((s) => s.section)).toMatchObject([
      { opener: '<Directory', pattern: '/', kind: 'directory', regex: false },
    ]);
    expect(rs.sections?.[0].ruleSet.access?.files).toHaveLength(1);
    const refused = load(text, { siteDirectives: false }) as RewriteError;
    expect(refused.problems[0]).toMatchObject({ code: 'ERR_UNKNOWN_DIRECTIVE', line: 1 });
  });

  test('in an .htaccess they are Apache’s "not allowed here"', () => {
    const err = load('<Directory /srv>\n</Directory>', { context: 'directory' }) as RewriteError;
    expect(err.problems[0]).toMatchObject({ code: 'ERR_CONTEXT', line: 1 });
    expect(err.problems[0].message).toContain('<Directory not allowed here');
  });
});
