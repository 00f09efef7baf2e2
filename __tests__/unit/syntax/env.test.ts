/**
 * Issue 12: the arguments of mod_setenvif's, mod_env's and core's ErrorDocument directives and the
 * `<If>`/`<ElseIf>`/`<Else>` chains, as Apache 2.4 reads them (modules/metadata/mod_setenvif.c
 * `add_setenvif_core`, mod_env.c, server/core.c `set_error_document` and `ifsection`).
 */
import { compileText } from '../../../lib/compile/compile';
import { nonRegexPattern } from '../../../lib/compile/env';
import type { Directive } from '../../../lib/syntax/ast';
import { isDirectiveKnown, isModuleEmulated } from '../../../lib/syntax/modules';
import { parse } from '../../../lib/syntax/parse';
import { pregsub } from '../../../lib/site/env';

const read = (text: string): { directives: Directive[]; problems: string[] } => {
  const r = parse(text, { context: 'directory', siteDirectives: true, accessControl: true });
  return { directives: r.directives, problems: r.problems.map((p) => `${p.code}: ${p.message}`) };
};

describe('SetEnvIf and its forms', () => {
  test.each([
    [
      'SetEnvIf Authorization "(.+)" HTTP_AUTHORIZATION=$1',
      {
        attribute: 'Authorization',
        nocase: false,
        features: [{ name: 'HTTP_AUTHORIZATION', value: '$1' }],
      },
    ],
    [
      'SetEnvIfNoCase ^Authorization$ "(.+)" XAUTHORIZATION=$1',
      { attribute: '^Authorization$', nocase: true },
    ],
    [
      'BrowserMatch ^Mozilla/4 nokeepalive !gzip',
      {
        attribute: 'User-Agent',
        features: [
          { name: 'nokeepalive', value: '1' },
          { name: 'gzip', value: null },
        ],
      },
    ],
    // ap_getword on '=': an empty value is no value
    ['BrowserMatchNoCase x FOO=', { nocase: true, features: [{ name: 'FOO', value: '1' }] }],
  ])('%s', (line, expected) => {
    const { directives, problems } = read(line);
    expect(problems).toEqual([]);
    expect(directives[0]).toMatchObject({ type: 'SetEnvIf', ...expected });
  });

  test.each([
    ['SetEnvIf', 'Missing header-field name for SetEnvIf'],
    ['SetEnvIf Host', 'Missing regular expression for SetEnvIf'],
    ['SetEnvIf Host x', 'Missing envariable expression for SetEnvIf'],
    ['BrowserMatch x', 'Missing envariable expression for BrowserMatch'],
    ['SetEnvIfExpr "true"', 'Missing envariable expression for SetEnvIfExpr'],
    ['SetEnv', 'SetEnv takes one or two arguments'],
    ['SetEnv A b c', 'SetEnv takes one or two arguments'],
    ['UnsetEnv', 'UnsetEnv requires at least one argument'],
    ['ErrorDocument 404', 'ErrorDocument takes two arguments'],
    ['ErrorDocument 99 /x', 'Unsupported HTTP response code 99'],
    ['ErrorDocument 401 http://x/', 'cannot use a full URL in a 401 ErrorDocument'],
  ])('%s is refused: %s', (line, message) => {
    expect(read(line).problems.join('\n')).toContain(message);
  });

  test.each([
    ['SetEnvIf Host "(" A', 'ERR_REGEX'],
    ['ErrorDocument 404 "100%{ of it', 'ERR_EXPR'],
    ['SetEnvIf "x(" y A', 'ERR_REGEX'],
    // subnet_parse_arg: -ipmatch takes a valid constant network (APR refuses /0: case 543)
    ['SetEnvIfExpr "%{REMOTE_ADDR} -ipmatch \'10.0.0.0/0\'" A', 'ERR_EXPR'],
    ['SetEnvIfExpr "md5(%{REMOTE_ADDR}) == \'x\'" A', 'ERR_EXPR'],
  ])('%s fails at load (%s)', (line, code) => {
    expect(loadErrorCode(line)).toBe(code);
  });
});

/** Compiles as site() reads an .htaccess; the code of the load error (undefined: it loads). */
function loadErrorCode(text: string): string | undefined {
  try {
    compileText(text, { context: 'directory', siteDirectives: true, accessControl: true });
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

describe('ErrorDocument: set_error_document heuristics', () => {
  test.each([
    ['ErrorDocument 404 /index.php', { type: 'local', url: '/index.php' }],
    ['ErrorDocument 404 index.php', { type: 'text', text: 'index.php' }],
    [
      'ErrorDocument 404 "The requested file favicon.ico was not found.',
      {
        type: 'text',
        text: 'The requested file favicon.ico was not found.',
      },
    ],
    [
      'ErrorDocument 410 http://other.example/gone',
      { type: 'external', url: 'http://other.example/gone' },
    ],
    ['ErrorDocument 404 "/with space', { type: 'text', text: '/with space' }],
    ['ErrorDocument 404 default', { type: 'default' }],
  ])('%s', (line, action) => {
    const { directives, problems } = read(line);
    expect(problems).toEqual([]);
    expect(directives[0]).toMatchObject({ type: 'ErrorDocument', action });
  });
});

describe('<If>, <ElseIf>, <Else>', () => {
  test('each line carries the chain of tests that must hold', () => {
    const { directives, problems } = read(
      [
        '<If "%{QUERY_STRING} =~ /v=/">',
        '  SetEnv A 1',
        '</If>',
        '<ElseIf "%{REQUEST_URI} == \'/b\'">',
        '  SetEnv A 2',
        '</ElseIf>',
        '<Else>',
        '  SetEnv A 3',
        '</Else>',
        'SetEnv B 4',
      ].join('\n'),
    );
    expect(problems).toEqual([]);
    const chains = directives.map((d) =>
      ('when' in d ? (d.when ?? []) : []).map((t) => `${t.negate ? '!' : ''}${t.expr}`),
    );
    expect(chains).toEqual([
      ['%{QUERY_STRING} =~ /v=/'],
      ['!%{QUERY_STRING} =~ /v=/', "%{REQUEST_URI} == '/b'"],
      ['!%{QUERY_STRING} =~ /v=/', "!%{REQUEST_URI} == '/b'"],
      [],
    ]);
  });

  test.each([
    [
      '<Else>\nSetEnv A 1\n</Else>',
      '<Else> section without previous <If> or <ElseIf> section in same scope',
    ],
    ['<If "true">\n</If>\nSetEnv A 1\n<Else>\n</Else>', 'without previous <If>'],
    ['<If "true">\n</If>\n<Else x>\n</Else>', '<Else> does not take an argument'],
    ['<If>\n</If>', '<If> requires an expression'],
    ['<If "true">\nSetEnv A 1', '<If> was not closed.'],
    ['<If "true">\nDirectoryIndex x.html\n</If>', 'DirectoryIndex inside <If> is not supported'],
    ['<If "true">\nAddType text/x-a .a\n</If>', 'AddType inside <If> is not supported'],
  ])('%s is refused: %s', (text, message) => {
    expect(read(text).problems.join('\n')).toContain(message);
  });

  test('access directives inside <If> carry the chain (the access phase applies them)', () => {
    const { directives, problems } = read(
      '<If "%{QUERY_STRING} == \'x\'">\n  Require all denied\n</If>\n',
    );
    expect(problems).toEqual([]);
    expect(directives[0]).toMatchObject({
      type: 'Access',
      name: 'Require',
      when: [{ expr: "%{QUERY_STRING} == 'x'", negate: false }],
    });
  });

  test('without siteDirectives (rewrite()) <If> is a section modrewrite cannot apply', () => {
    const r = parse('<If "true">\nSetEnv A 1\n</If>\n', { context: 'directory' });
    expect(r.problems[0]?.message).toContain("Invalid command '<If'");
  });
});

test.each([
  ['mod_setenvif.c', true],
  ['setenvif_module', true],
  ['mod_env.c', true],
  ['env_module', true],
])('<IfModule %s> is %s', (name, loaded) => {
  expect(isModuleEmulated(name)).toBe(loaded);
});

test.each(['SetEnvIf', 'BrowserMatchNoCase', 'SetEnv', 'ErrorDocument', '<If', '<Else'])(
  '<IfDirective %s> is true',
  (name) => {
    expect(isDirectiveKnown(name)).toBe(true);
  },
);

describe("mod_setenvif's plain patterns and ap_pregsub", () => {
  test.each([
    ['chunked', 'chunked'],
    ['a\\.b', 'a.b'],
    ['(.+)', undefined],
    ['^Mozilla', undefined],
    ['a\\b', undefined],
  ])('nonRegexPattern(%s) = %s', (pattern, plain) => {
    expect(nonRegexPattern(pattern)).toBe(plain);
  });

  test.each([
    ['got-$1', 'got-ab'],
    ['[&]', '[abc]'],
    ['\\$1 \\&', '$1 &'],
    ['$2$9', ''],
  ])('pregsub(%s) = %s', (template, out) => {
    const m = /^(ab)c$/.exec('abc')!;
    expect(pregsub(template, m)).toBe(out);
  });
});
