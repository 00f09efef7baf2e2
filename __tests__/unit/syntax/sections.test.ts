/**
 * Issue 12: Apache's conditional sections. Every expectation below was observed on Apache 2.4.71
 * (conformance/cases/132-137 record the same behaviours end to end); the wording of each message is
 * Apache's (server/core.c, server/config.c, modules/metadata/mod_version.c).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileText } from '../../../lib/compile/compile';
import { RewriteError } from '../../../lib/errors';
import { EMULATED_MODULES, isDirectiveKnown, isModuleEmulated } from '../../../lib/syntax/modules';
import { parse } from '../../../lib/syntax/parse';
import {
  APACHE_VERSION,
  compareVersion,
  evaluateSection,
  MAX_SECTION_DEPTH,
} from '../../../lib/syntax/sections';

const RULE = 'RewriteRule ^x$ /target [L]';

/** The rules that survive the sections, or the load error. */
function load(
  text: string,
  options: Parameters<typeof compileText>[1] = {},
): number | RewriteError {
  try {
    return compileText(text, { context: 'directory', ...options }).rules.length;
  } catch (err) {
    return err as RewriteError;
  }
}

describe('<IfModule>: true exactly for the emulated modules, by source name or symbol', () => {
  test.each([
    ['mod_rewrite.c', true],
    ['rewrite_module', true],
    ['core.c', true],
    ['core_module', true],
    ['mod_dir.c', true],
    ['dir_module', true],
    ['mod_proxy.c', true],
    ['proxy_module', true],
    ['mod_proxy_http.c', true],
    ['proxy_http_module', true],
    ['mod_version.c', true],
    ['version_module', true],
    // issue 12: the access modules; auth ones count as loaded so their bodies are read and refused
    ['mod_authz_core.c', true],
    ['authz_core_module', true],
    ['mod_access_compat.c', true],
    ['access_compat_module', true],
    ['mod_authz_host.c', true],
    ['mod_auth_basic.c', true],
    ['authn_file_module', true],
    ['mod_authz_groupfile.c', false],
    // Apache compares with strcmp: case matters, and `.c` is part of the name
    ['mod_Rewrite.c', false],
    ['mod_rewrite', false],
    ['Rewrite_module', false],
    ['mod_php.c', false],
    ['mod_php7.c', false],
    // loaded in Debian's Apache; their directives are accepted without effect (WARN_NO_EFFECT)
    ['mod_negotiation.c', true],
    ['mod_deflate.c', true],
    ['deflate_module', true],
    ['mod_filter.c', true],
    ['mod_brotli.c', false],
    // loaded in Debian's Apache, its handler not emulated (case 357)
    ['mod_status.c', true],
    ['status_module', true],
    ['mod_headers.c', true],
    ['headers_module', true],
    ['mod_expires.c', true],
    ['expires_module', true],
    ['constructor', false],
    ['__proto__', false],
  ])('%s → %s', (name, loaded) => {
    expect(isModuleEmulated(name)).toBe(loaded);
    expect(evaluateSection('<IfModule', `${name}>`)).toBe(loaded);
    expect(evaluateSection('<IfModule', `!${name}>`)).toBe(!loaded);
  });

  test('the table is one Map keyed by source name; a module registered there is found', () => {
    expect(EMULATED_MODULES).toBeInstanceOf(Map);
    EMULATED_MODULES.set('mod_test_only.c', {
      symbol: 'test_only_module',
      directives: ['TestOnly'],
    });
    try {
      expect(evaluateSection('<IfModule', 'test_only_module>')).toBe(true);
      expect(evaluateSection('<IfDirective', 'testonly>')).toBe(true);
    } finally {
      EMULATED_MODULES.delete('mod_test_only.c');
    }
    expect(evaluateSection('<IfModule', 'mod_test_only.c>')).toBe(false);
  });

  test('every directive the table names is one the parser accepts, and the reverse for unknown ones', () => {
    for (const [file, module] of EMULATED_MODULES) {
      for (const directive of module.directives) {
        if (directive.startsWith('<')) continue;
        const { problems } = parse(`${directive} x y`, { context: 'directory' });
        expect({
          file,
          directive,
          unknown: problems.some((p) => p.code === 'ERR_UNKNOWN_DIRECTIVE'),
        }).toEqual({
          file,
          directive,
          unknown: false,
        });
      }
    }
    expect(isDirectiveKnown('php_value')).toBe(false);
    expect(parse('php_value a b').problems[0]?.code).toBe('ERR_UNKNOWN_DIRECTIVE');
  });
});

describe('section arguments, as start_cond_section reads them', () => {
  test.each([
    ['<IfModule', 'mod_rewrite.c>', true],
    ['<IfModule', 'mod_rewrite.c >', true],
    ['<IfModule', '"mod_rewrite.c"  >', true],
    ['<IfModule', "'mod_rewrite.c'>", true],
    // only the first word is tested
    ['<IfModule', 'mod_rewrite.c mod_php.c>', true],
    ['<IfModule', 'mod_php.c mod_rewrite.c>', false],
    ['<ifmodule', 'mod_rewrite.c>', true],
    ['<IfModule', '>', '<IfModule> directive requires additional arguments'],
    ['<IfModule', '!>', '<IfModule> directive requires additional arguments'],
    ['<IfModule', '"">', '<IfModule> directive requires additional arguments'],
    ['<IfModule', 'mod_rewrite.c', "<IfModule> directive missing closing '>'"],
    ['<IfDefine', 'FOO>', false],
    ['<IfDefine', '!FOO>', true],
    ['<IfDefine', '>', '<IfDefine> directive requires additional arguments'],
    ['<IfDirective', 'RewriteRule>', true],
    ['<IfDirective', 'rewriterule>', true],
    ['<IfDirective', 'DirectoryIndex>', true],
    ['<IfDirective', 'php_value>', false],
    ['<IfDirective', '!php_value>', true],
    ['<IfSection', 'IfModule>', true],
    ['<IfSection', 'ifversion>', true],
    ['<IfSection', 'NoSuchSection>', false],
    // sections modrewrite refuses are not "known" (fail closed: no body that relies on them runs)
    ['<IfSection', 'If>', true], // <If> is applied per request (site/env.ts)
    // <Limit> and the Require sections are applied by site()/htaccess()/serve, like <Files>
    ['<IfSection', 'Limit>', true],
    ['<IfSection', 'RequireAll>', true],
    // <Files> is core's, applied by site()/htaccess()/serve (and refused where rules have no root)
    ['<IfSection', 'Files>', true],
    ['<IfSection', 'FilesMatch>', true],
  ])('%s %s → %j', (opener, args, expected) => {
    const got = evaluateSection(opener, args);
    if (typeof expected === 'string') expect(got).toEqual({ error: expected });
    else expect(got).toBe(expected);
  });

  test('<IfDefine> sees the names passed as defines, case-sensitively', () => {
    const env = { defines: ['PRODUCTION'] };
    expect(evaluateSection('<IfDefine', 'PRODUCTION>', env)).toBe(true);
    expect(evaluateSection('<IfDefine', 'production>', env)).toBe(false);
    expect(evaluateSection('<IfDefine', '!PRODUCTION>', env)).toBe(false);
    expect(load(`<IfDefine PRODUCTION>\n${RULE}\n</IfDefine>`, { defines: ['PRODUCTION'] })).toBe(
      1,
    );
    expect(load(`<IfDefine PRODUCTION>\n${RULE}\n</IfDefine>`)).toBe(0);
  });
});

describe('<IfVersion>, against Apache 2.4.71 (mod_version.c)', () => {
  test('the version modrewrite claims', () => {
    expect(APACHE_VERSION).toMatchObject({ major: 2, minor: 4, patch: 71 });
  });

  test.each([
    ['>= 2.4>', true],
    ['< 2.4>', false],
    ['2.4.71>', true],
    ['= 2.4>', false],
    ['== 2.4.71>', true],
    ['> 2.4.70>', true],
    ['> 2.4.71>', false],
    ['>= 2.4.71>', true],
    ['<= 2.4.71>', true],
    ['< 2.4.72>', true],
    ['!< 2.4>', true],
    ['!= 2.4.71>', false],
    ['>= 3>', false],
    ['>= 2>', true],
    ['~ ^2\\.4\\.[0-9]+$>', true],
    ['= /^2\\.4\\./>', true],
    ['/^2\\.4\\./>', true],
    ['/^2\\.2/>', false],
    ['>= "2.4">', true],
    ['"2.4.71">', true],
    ['2.4.>', false],
    [
      '>= 2.4a>',
      'Version appears to be invalid. It must have the format major[.minor[.patch]] where major, minor and patch are numbers.',
    ],
    [
      '>= 2.4.71.1>',
      'Version appears to be invalid. It must have the format major[.minor[.patch]] where major, minor and patch are numbers.',
    ],
    ['=> 2.4>', "unrecognized operator '=>'"],
    ['~= 2.4>', "unrecognized operator '~='"],
    ['! 2.4>', "unrecognized operator '!'"],
    ['= /^2\\.4>', 'Missing delimiting / of regular expression.'],
    ['~ (>', 'Unable to compile regular expression'],
    [
      '>= 2.4 2.5 x>',
      '<IfVersion takes one, two or three arguments, a comparison operator, a version (and a delimiter)',
    ],
    ['>= 2.4', "<IfVersion> directive missing closing '>'"],
  ])('<IfVersion %s → %j', (args, expected) => {
    const got = evaluateSection('<IfVersion', args);
    if (typeof expected === 'string') expect(got).toEqual({ error: expected });
    else expect(got).toBe(expected);
  });

  test.each([
    ['2', 1],
    ['2.4', 1],
    ['2.4.71', 0],
    ['2.4.080', -1],
    ['2..71', 1],
    ['10', -1],
  ])('compare_version(%s) → %i', (version, expected) => {
    expect(compareVersion(version)).toBe(expected);
  });
});

describe('<IfFile>: stat only, relative to the ServerRoot (mapRoot)', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'modrewrite-iffile-'));
    writeFileSync(join(dir, 'present.txt'), 'x');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['present.txt', true],
    ['absent.txt', false],
    ['!absent.txt', true],
    ['.', true],
  ])('relative %s → %s', (path, expected) => {
    expect(evaluateSection('<IfFile', `${path}>`, { serverRoot: dir })).toBe(expected);
    expect(load(`<IfFile ${path}>\n${RULE}\n</IfFile>`, { mapRoot: dir })).toBe(expected ? 1 : 0);
  });

  test('an absolute path is used as is; a network (UNC) path or a NUL byte is never looked up', () => {
    expect(evaluateSection('<IfFile', `${join(dir, 'present.txt')}>`)).toBe(true);
    expect(evaluateSection('<IfFile', '//server/share/x>', { serverRoot: dir })).toBe(false);
    expect(evaluateSection('<IfFile', '\\\\server\\share\\x>', { serverRoot: dir })).toBe(false);
    expect(evaluateSection('<IfFile', '"a\0b">', { serverRoot: dir })).toBe(false);
  });
});

describe('bodies: a true one is parsed, a false one skipped without validation', () => {
  test.each([
    ['true body applies', `<IfModule mod_rewrite.c>\n${RULE}\n</IfModule>`, 1],
    [
      'false body with unknown directives is skipped',
      `<IfModule mod_php.c>\nphp_value a b\n${RULE}\n</IfModule>`,
      0,
    ],
    ['negated false', `<IfModule !mod_php.c>\n${RULE}\n</IfModule>`, 1],
    ['negated true', `<IfModule !mod_rewrite.c>\nbogus\n</IfModule>\n${RULE}`, 1],
    [
      'nested, as in Laravel',
      `<IfModule mod_rewrite.c>\n  <IfModule mod_negotiation.c>\n    Options -MultiViews -Indexes\n  </IfModule>\n  ${RULE}\n</IfModule>`,
      1,
    ],
    [
      'nesting is tracked inside a false body',
      `<IfModule mod_php.c>\n<IfModule mod_rewrite.c>\n${RULE}\n</IfModule>\n<Files x>\nRequire all denied\n</Files>\n</IfModule>\n${RULE}`,
      1,
    ],
    ['closing tag in any case', `<IfModule mod_rewrite.c>\n${RULE}\n</IFMODULE>\n${RULE}`, 2],
    [
      'a comment is not a closing tag',
      `<IfModule mod_php.c>\n# </IfModule>\nphp_value a b\n</IfModule>\n${RULE}`,
      1,
    ],
    [
      'continuation lines join before sections are read',
      `<IfModule \\\n mod_rewrite.c>\n${RULE}\n</IfModule>`,
      1,
    ],
    // Apache's ap_build_cont_config ends a true section at the end of the file without complaint
    ['unclosed true section is accepted', `<IfModule mod_rewrite.c>\n${RULE}`, 1],
    [
      'deep mixed nesting',
      `<IfModule mod_rewrite.c>\n<IfVersion >= 2.4>\n<IfDefine !X>\n${RULE}\n</IfDefine>\n</IfVersion>\n</IfModule>`,
      1,
    ],
  ])('%s', (_name, text, rules) => {
    expect(load(text)).toBe(rules);
  });
});

describe('errors are positioned, coded and worded as Apache', () => {
  test.each([
    [
      'unknown directive in a true body',
      '<IfModule mod_rewrite.c>\n  php_value a b\n</IfModule>',
      'ERR_UNKNOWN_DIRECTIVE',
      2,
      3,
      "Invalid command 'php_value'",
    ],
    [
      'unclosed false section',
      '# x\n<IfModule mod_php.c>\nphp_value a b\n',
      'ERR_SYNTAX_ARGS',
      2,
      1,
      'Expected </IfModule> before end of configuration',
    ],
    [
      'stray closing tag',
      `${RULE}\n  </IfModule>`,
      'ERR_SYNTAX_ARGS',
      2,
      3,
      '</IfModule> without matching <IfModule> section',
    ],
    [
      'closing tag with a space, in a true body',
      '<IfModule mod_rewrite.c>\n</IfModule >',
      'ERR_SYNTAX_ARGS',
      2,
      1,
      '</IfModule without matching <IfModule section',
    ],
    [
      'closing tag with a space, in a false body',
      '<IfModule mod_php.c>\n</IfModule >',
      'ERR_SYNTAX_ARGS',
      2,
      1,
      'Expected </IfModule> but saw </IfModul>',
    ],
    [
      'mismatched closing tag in a false body',
      '<IfModule mod_php.c>\n</IfDefine>',
      'ERR_SYNTAX_ARGS',
      2,
      1,
      'Expected </IfModule> but saw </IfDefine>',
    ],
    [
      'mismatched closing tag in a true body',
      '<IfModule mod_rewrite.c>\n</IfDefine>',
      'ERR_SYNTAX_ARGS',
      2,
      1,
      '</IfDefine> without matching <IfDefine> section',
    ],
    [
      'no argument',
      'RewriteEngine On\n<IfModule>\n</IfModule>',
      'ERR_DIRECTIVE_ARGS',
      2,
      1,
      '<IfModule> directive requires additional arguments',
    ],
    [
      'no closing bracket',
      '<IfModule mod_rewrite.c\n</IfModule>',
      'ERR_DIRECTIVE_ARGS',
      1,
      1,
      "<IfModule> directive missing closing '>'",
    ],
    [
      'bad version',
      '<IfVersion >= x>\n</IfVersion>',
      'ERR_DIRECTIVE_ARGS',
      1,
      1,
      'Version appears to be invalid',
    ],
    // sections modrewrite cannot enforce stay refused (fail closed), Apache-worded, body skipped
    [
      '<Files>',
      `${RULE}\n<Files .env>\n  Require all denied\n</Files>`,
      'ERR_UNKNOWN_DIRECTIVE',
      2,
      1,
      "Invalid command '<Files'",
    ],
    [
      '<FilesMatch>',
      '<FilesMatch "\\.(env|log)$">\nRequire all denied\n</FilesMatch>',
      'ERR_UNKNOWN_DIRECTIVE',
      1,
      1,
      "Invalid command '<FilesMatch'",
    ],
    [
      '<Limit>',
      '<Limit GET>\nRequire all denied\n</Limit>',
      'ERR_UNKNOWN_DIRECTIVE',
      1,
      1,
      "Invalid command '<Limit'",
    ],
    [
      '<LimitExcept>',
      '<LimitExcept GET>\nRequire all denied\n</LimitExcept>',
      'ERR_UNKNOWN_DIRECTIVE',
      1,
      1,
      "Invalid command '<LimitExcept'",
    ],
    [
      '<If>',
      '<If "%{HTTPS} == \'on\'">\nRequire all denied\n</If>',
      'ERR_UNKNOWN_DIRECTIVE',
      1,
      1,
      "Invalid command '<If'",
    ],
    [
      '<Directory> in an .htaccess',
      '<Directory />\n</Directory>',
      'ERR_CONTEXT',
      1,
      1,
      '<Directory not allowed here',
    ],
    [
      '<Location> in an .htaccess',
      '<Location /admin>\n</Location>',
      'ERR_CONTEXT',
      1,
      1,
      '<Location not allowed here',
    ],
    [
      '<Files> inside a true <IfModule>',
      '<IfModule mod_rewrite.c>\n  <Files x>\n  </Files>\n</IfModule>',
      'ERR_UNKNOWN_DIRECTIVE',
      2,
      3,
      "Invalid command '<Files'",
    ],
    [
      'unclosed <Files>',
      '<Files x>\nRequire all denied\n',
      'ERR_UNKNOWN_DIRECTIVE',
      1,
      1,
      "Invalid command '<Files'",
    ],
  ])('%s', (_name, text, code, line, column, message) => {
    const err = load(text);
    expect(err).toBeInstanceOf(RewriteError);
    expect(err).toMatchObject({ code, line, column });
    expect((err as RewriteError).message).toContain(message);
    expect((err as RewriteError).frame).toContain('^');
  });

  test('the body of a refused section is not reported line by line', () => {
    const err = load(
      '<Files .env>\n  Require all denied\n  Deny from all\n</Files>',
    ) as RewriteError;
    expect(err.problems).toHaveLength(1);
  });

  test('an unclosed <Files> says so, as Apache does for a container it builds', () => {
    const err = load('<Files x>\nRequire all denied\n') as RewriteError;
    expect(err.problems.map((p) => p.message)).toContain('<Files> was not closed.');
  });

  test('with ignoreUnknownDirectives a refused section is skipped whole: its rules never apply to every file', () => {
    const text = `<Files secret.txt>\n${RULE}\n</Files>`;
    expect(load(text, { ignoreUnknownDirectives: true })).toBe(0);
  });

  test('server context: the same sections, the same errors', () => {
    expect(
      load('<IfModule mod_rewrite.c>\nRewriteRule ^/a$ /b\n</IfModule>', { context: 'server' }),
    ).toBe(1);
    expect(load('</IfModule>', { context: 'server' })).toMatchObject({
      code: 'ERR_SYNTAX_ARGS',
      line: 1,
    });
  });
});

describe('bad input never crashes the process', () => {
  test(`sections nested deeper than ${MAX_SECTION_DEPTH} are a positioned ERR_LIMIT`, () => {
    const depth = MAX_SECTION_DEPTH + 1;
    const text = '<IfModule mod_rewrite.c>\n'.repeat(depth) + '</IfModule>\n'.repeat(depth);
    expect(load(text)).toMatchObject({ code: 'ERR_LIMIT', line: depth });
    const soaked = '<IfModule mod_php.c>\n'.repeat(depth) + '</IfModule>\n'.repeat(depth);
    expect(load(soaked)).toMatchObject({ code: 'ERR_LIMIT', line: depth });
  });
});
