/**
 * core.c's ap_resolve_env, set_define and unset_define. Every expectation was observed on Apache
 * 2.4.71 (conformance cases 423–428 record the same end to end; the AH00111 warnings were read in
 * its error log with `LogLevel core:trace8`).
 */
import { compileText } from '../../../lib/compile/compile';
import { logicalLines } from '../../../lib/syntax/lexer';
import { ConfigVariables } from '../../../lib/syntax/config-vars';

const line = (text: string) => logicalLines(text, 'site.conf')[0]!;

/** The resolved text and the names reported undefined. */
function resolve(
  text: string,
  values: [string, string][] = [],
  env: Record<string, string> = {},
): { text: string; undefinedNames: string[] } {
  const vars = new ConfigVariables({ values }, env);
  const undefinedNames: string[] = [];
  const out = vars.resolve(line(text), (name) => undefinedNames.push(name));
  return { text: out.text, undefinedNames };
}

describe('ap_resolve_env', () => {
  test.each<[string, string, [string, string][], Record<string, string>, string, string[]]>([
    ['a Define', 'DocumentRoot ${ROOT}/x', [['ROOT', '/srv']], {}, 'DocumentRoot /srv/x', []],
    ['any case (an apr table)', 'X ${root}', [['ROOT', '/srv']], {}, 'X /srv', []],
    ['the environment after the Defines', 'X ${HOME}', [], { HOME: '/h' }, 'X /h', []],
    ['a Define before the environment', 'X ${HOME}', [['HOME', 'd']], { HOME: '/h' }, 'X d', []],
    ['the environment is case-sensitive', 'X ${home}', [], { HOME: '/h' }, 'X ${home}', ['home']],
    ['an unknown name stays (AH00111)', 'X ${NOPE}', [], {}, 'X ${NOPE}', ['NOPE']],
    ['a map reference: no warning', 'R ^/(.*) ${lc:$1}', [], {}, 'R ^/(.*) ${lc:$1}', []],
    ['$ without {', 'X a$b$', [], {}, 'X a$b$', []],
    ['an unterminated ${', 'X c${abc', [['abc', 'no']], {}, 'X c${abc', []],
    ['${} (AH00111 for the empty name)', 'X ${}', [], {}, 'X ${}', ['']],
    ['nested: the name runs to the first }', 'X ${lc:${A}}', [['A', 'a']], {}, 'X ${lc:${A}}', []],
    ['an empty value', 'X [${E}]', [['E', '']], {}, 'X []', []],
    ['several, one unknown', '${A}${B}-${A}', [['A', '1']], {}, '1${B}-1', ['B']],
    ['a value is not resolved again', 'X ${A}', [['A', '${B}']], {}, 'X ${B}', []],
  ])('%s', (_what, text, values, env, expected, undefinedNames) => {
    expect(resolve(text, values, env)).toEqual({ text: expected, undefinedNames });
  });

  test('positions map back to the source: a value to its ${, the text after it to itself', () => {
    const src = line('RewriteRule ^/${A}$ /${LONGNAME}x [L]');
    const out = new ConfigVariables({
      values: [
        ['A', 'aaaa'],
        ['LONGNAME', 'v'],
      ],
    }).resolve(src, () => {});
    expect(out.text).toBe('RewriteRule ^/aaaa$ /vx [L]');
    expect(out.at(out.text.indexOf('aaaa') + 2)).toEqual({
      file: 'site.conf',
      line: 1,
      column: 15,
    });
    expect(out.at(out.text.indexOf('x ['))).toEqual({ file: 'site.conf', line: 1, column: 33 });
    expect(out.at(out.text.indexOf('[L]'))).toEqual({ file: 'site.conf', line: 1, column: 35 });
  });

  test('a line without $ is returned as it is', () => {
    const src = line('RewriteRule ^a$ b');
    expect(new ConfigVariables().resolve(src, () => {})).toBe(src);
  });
});

describe('Define and UnDefine', () => {
  test.each<[string, (v: ConfigVariables) => void, string[], string | undefined]>([
    ['Define NAME value', (v) => v.define('A', '1'), ['A'], '1'],
    ['Define NAME: defined, no value', (v) => v.define('A', undefined), ['A'], undefined],
    [
      'Define NAME keeps an earlier value',
      (v) => (v.define('A', '1'), v.define('A', undefined)),
      ['A'],
      '1',
    ],
    ['UnDefine drops both', (v) => (v.define('A', '1'), v.undefine('A')), [], undefined],
    // case 425: the value goes (apr_table_unset ignores case), the name stays (strcmp)
    [
      'UnDefine in another case drops the value only',
      (v) => (v.define('A', '1'), v.undefine('a')),
      ['A'],
      undefined,
    ],
  ])('%s', (_what, act, names, value) => {
    const v = new ConfigVariables();
    act(v);
    expect(v.names).toEqual(names);
    expect(v.lookup('A')).toBe(value);
  });
});

describe('in a configuration', () => {
  const load = (text: string, environment: Record<string, string> = {}) =>
    compileText(text, { context: 'server', environment });

  test('lines are resolved in reading order: a Define after a line does not change it', () => {
    const rs = load('RewriteRule ^/a$ /${X} [L]\nDefine X b\nRewriteRule ^/c$ /${X} [L]');
    expect(rs.rules.map((r) => r.outputText)).toEqual(['/${X}', '/b']);
  });

  test('an unknown name is WARN_UNDEFINED_VARIABLE at its ${, on its continuation line', () => {
    const rs = load('RewriteRule ^/a$ \\\n  /x/${NOPE} [L]');
    expect(rs.warnings).toEqual([
      expect.objectContaining({
        code: 'WARN_UNDEFINED_VARIABLE',
        message: 'Config variable ${NOPE} is not defined',
        line: 2,
        column: 6,
      }),
    ]);
  });

  test('no warning for a comment, a false section, or a map reference', () => {
    const rs = load(
      '# ${A}\n<IfModule nothere>\nRewriteRule ^/b ${B}\n</IfModule>\nRewriteRule ^/(.*) /${lc:$1}',
    );
    expect(rs.warnings).toBeUndefined();
  });

  test('a Define in a false section is not run; one in a <VirtualHost> is, in order', () => {
    const rs = compileText(
      [
        '<IfModule nothere>',
        'Define A skipped',
        '</IfModule>',
        '<VirtualHost *:80>',
        '  Define B inner',
        '  <IfDefine B>',
        '    RewriteRule ^/v$ /${B}',
        '  </IfDefine>',
        '</VirtualHost>',
        '<IfDefine B>',
        '  RewriteRule ^/m$ /${B}/${A}',
        '</IfDefine>',
      ].join('\n'),
      { context: 'server', environment: {}, siteDirectives: true },
    );
    expect(rs.rules.map((r) => r.outputText)).toEqual(['/inner/${A}']);
    expect(rs.virtualHosts?.[0]?.ruleSet.rules.map((r) => r.outputText)).toEqual(['/inner']);
    expect(rs.definitions).toEqual({ names: ['B'], values: [['B', 'inner']] });
  });

  test('an error inside a value points at its ${', () => {
    expect(() => load('Define P ^(a\nRewriteRule ${P} /x')).toThrow(
      expect.objectContaining({ line: 2, column: 13 }),
    );
  });

  test('a value with a space splits the line (case 428)', () => {
    expect(() => load('Define T "/a /b"\nRewriteRule ^/x$ ${T} [L] [R]')).toThrow(
      /bad flag delimiters/,
    );
  });

  test("a name with ':' is refused in server config", () => {
    expect(() => load('Define lc:x y')).toThrow(/Variable name must not contain ':'/);
  });

  test("an .htaccess starts from its server's final state", () => {
    const rs = compileText('RewriteRule ^a$ /${T} [L]', {
      context: 'directory',
      environment: {},
      definitions: { names: ['T'], values: [['T', 't.txt']] },
    });
    expect(rs.rules[0]?.outputText).toBe('/t.txt');
  });

  test('the environment option replaces process.env', () => {
    process.env.MODREWRITE_UNIT_ENV = 'from-process';
    try {
      expect(compileText('RewriteRule ^a$ /${MODREWRITE_UNIT_ENV}').rules[0]?.outputText).toBe(
        '/from-process',
      );
      expect(load('RewriteRule ^a$ /${MODREWRITE_UNIT_ENV}').rules[0]?.outputText).toBe(
        '/${MODREWRITE_UNIT_ENV}',
      );
    } finally {
      delete process.env.MODREWRITE_UNIT_ENV;
    }
  });
});
