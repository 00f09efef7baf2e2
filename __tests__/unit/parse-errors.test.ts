import { compileText } from '../../lib/compile/compile';
import { ERROR_CODES, RewriteError } from '../../lib/errors';
import { rewrite } from '../../lib/http/rewrite';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const load = (text: string, file?: string): RewriteError => {
  try {
    compileText(text, { file });
  } catch (err) {
    return err as RewriteError;
  }
  throw new Error('expected a RewriteError');
};

describe('load-time errors are positioned, coded and collected', () => {
  test.each([
    ['RewriteRule ^/a$ /b [QSX]', 'ERR_UNKNOWN_FLAG', 1, 22, "RewriteRule: unknown flag 'QSX'"],
    [
      'RewriteEngine on\nRewriteRule ^/a$ /b [R=299]',
      'ERR_FLAG_VALUE',
      2,
      22,
      "invalid HTTP response code '299'",
    ],
    ['RewriteRule ^/a$ /b L', 'ERR_SYNTAX_FLAG_DELIMITERS', 1, 21, 'bad flag delimiters'],
    ['RewriteRule ^/a$', 'ERR_SYNTAX_ARGS', 1, 1, 'bad argument line'],
    ['RewriteRule ^(a /b', 'ERR_REGEX', 1, 14, 'missing closing parenthesis'],
    ['RewriteRule (a)++ /b', 'ERR_REGEX_UNSUPPORTED', 1, 16, 'possessive'],
    ['RewriteRule (?>a)\\2(b) /b', 'ERR_REGEX_UNSUPPORTED', 1, 13, 'forward back-reference'],
    ['RewriteRule a{111111111111111111} /b', 'ERR_REGEX', 1, 14, 'number too big'],
    [
      'RewriteCond %{HTTP_HOST} ^x [XX]\nRewriteRule ^ /b',
      'ERR_UNKNOWN_FLAG',
      1,
      30,
      "RewriteCond: unknown flag 'XX'",
    ],
    [
      'RewriteCond expr "%{HTTP_HOST} =="\nRewriteRule ^ /b',
      'ERR_EXPR',
      1,
      19,
      'cannot compile expression',
    ],
    ['RewriteEngine maybe', 'ERR_DIRECTIVE_ARGS', 1, 15, 'RewriteEngine must be On or Off'],
    ['RewriteBase /x', 'ERR_CONTEXT', 1, 1, 'only valid in per-directory'],
    ['RewriteMap m int:nosuch', 'ERR_MAP', 1, 14, 'internal map not found'],
    ['RewriteMap m txt:/nonexistent/map.txt', 'ERR_MAP', 1, 14, 'not found'],
    ['RewriteOptions Bogus', 'ERR_OPTION', 1, 16, "unknown option 'Bogus'"],
    ['ProxyPass / http://x/', 'ERR_UNKNOWN_DIRECTIVE', 1, 1, "Invalid command 'ProxyPass'"],
    ['RewriteRule ^/a$ /b [BNE]', 'ERR_FLAG_VALUE', 1, 22, "flag 'BNE' wants a list"],
  ])('%j → %s at %i:%i', (text, code, line, column, message) => {
    const err = load(text);
    expect(err).toBeInstanceOf(RewriteError);
    expect(err).toMatchObject({ code, line, column });
    expect(err.message).toContain(message);
    expect(err.frame).toContain('^');
  });

  test('every problem is collected, not only the first', () => {
    const err = load('RewriteRule ^/a$ /b [QSX]\nRewriteRule ^(x /c\nRewriteEngine sideways');
    expect(err.problems.map((p) => [p.code, p.line])).toEqual([
      ['ERR_UNKNOWN_FLAG', 1],
      ['ERR_REGEX', 2],
      ['ERR_DIRECTIVE_ARGS', 3],
    ]);
  });

  test('errors name the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-'));
    const file = join(dir, 'rules.htaccess');
    writeFileSync(file, 'RewriteEngine on\n\nRewriteRule ^/a$ /b [L,QSX]\n');
    try {
      expect(() => rewrite({ file })).toThrow(
        expect.objectContaining({ code: 'ERR_UNKNOWN_FLAG', file, line: 3, column: 24 }),
      );
      expect(() => rewrite({ file: join(dir, 'missing') })).toThrow(
        expect.objectContaining({ code: 'ERR_FILE' }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('RewriteMap and RewriteBase are refused where Apache refuses them', () => {
    expect(() => compileText('RewriteMap m int:tolower', { context: 'directory' })).toThrow(
      expect.objectContaining({ code: 'ERR_CONTEXT' }),
    );
    expect(compileText('RewriteBase /sub/', { context: 'directory' }).base).toBe('/sub/');
  });

  test('rule text over the size limit is refused (ERR_LIMIT)', () => {
    expect(() => compileText('#'.repeat(16 * 1024 * 1024 + 1))).toThrow(
      expect.objectContaining({ code: 'ERR_LIMIT', line: 1 }),
    );
  });

  test('unknown directives can be ignored for whole vhost files', () => {
    const rs = compileText('ServerName x\nRewriteEngine on\nRewriteRule ^/a$ /b', {
      ignoreUnknownDirectives: true,
    });
    expect(rs.rules).toHaveLength(1);
  });

  test('every documented error code exists and is mentioned in the README', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const readme: string = require('node:fs').readFileSync(
      join(__dirname, '../../README.md'),
      'utf8',
    );
    for (const code of Object.keys(ERROR_CODES)) expect(readme).toContain(`\`${code}\``);
  });
});

describe('Apache argument rules', () => {
  test('quotes end an argument, so "…"[P] works; \\ escapes whitespace; continuation lines; comments', () => {
    const rs = compileText(
      '# comment\nRewriteEngine On\nRewriteRule "^/a b$" "/c"[L]\n  RewriteRule ^/x\\ y$ \\\n   /z [R=301]\nrewriterule ^/q$ - [e=A:1]',
    );
    expect(rs.rules).toHaveLength(3);
    expect(rs.rules[0].re.test('/a b')).toBe(true);
    expect(rs.rules[0].flags.last).toBe(true);
    expect(rs.rules[1].re.test('/x y')).toBe(true);
    expect(rs.rules[1].flags.forcedStatus).toBe(301);
    expect(rs.rules[2].output).toBeNull();
  });

  test('parseargline edge cases follow Apache: a quoted first argument may stand alone, text after the flags is ignored, a fourth argument is refused', () => {
    expect(compileText('RewriteRule "^/a$"').rules[0].outputText).toBe('');
    expect(compileText('RewriteRule ^/a$ /b [L] trailing words').rules[0].flags.last).toBe(true);
    expect(() => compileText('RewriteRule ^/a$ /b c [L]')).toThrow(
      expect.objectContaining({
        code: 'ERR_SYNTAX_FLAG_DELIMITERS',
        column: 21,
        message: expect.stringContaining('too many arguments or rogue whitespace'),
      }),
    );
    expect(() => compileText('RewriteRule ^/a$ /b "[L, R"')).toThrow(
      expect.objectContaining({
        code: 'ERR_SYNTAX_FLAG_DELIMITERS',
        message: expect.stringContaining("must end with ']'"),
      }),
    );
  });

  test('flags are matched by whole token, never by substring (PT is not P, DPI is not P)', () => {
    const rs = compileText(
      'RewriteRule ^/a$ /b [PT]\nRewriteRule ^/a$ /b [DPI]\nRewriteRule ^/a$ /b [nocase,Redirect=permanent]',
    );
    expect(rs.rules[0].flags).toMatchObject({ passthrough: true, proxy: false });
    expect(rs.rules[1].flags).toMatchObject({ discardPathInfo: true, proxy: false });
    expect(rs.rules[2].flags).toMatchObject({ nocase: true, redirect: true, forcedStatus: 301 });
  });

  test('PCRE constructs are translated: \\A, \\z, (?i), POSIX classes, named groups', () => {
    const rs = compileText(
      'RewriteRule (?i)\\A/ABC[[:digit:]]+\\z /x\nRewriteRule ^/(?P<n>\\w+)$ /y',
    );
    expect(rs.rules[0].re.test('/abc12')).toBe(true);
    expect(rs.rules[0].re.test('/abc12/')).toBe(false);
    expect(rs.rules[1].re.exec('/hey')?.[1]).toBe('hey');
  });
});
