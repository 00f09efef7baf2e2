/**
 * lib/syntax/parse.ts: directive lines → AST nodes. Directive names are case-insensitive (core's
 * command table lookup); arguments follow each directive's handler in httpd 2.4 (mod_rewrite.c
 * cmd_rewrite*, mod_dir.c add_index, core.c set_add_default_charset, mod_mime.c). Load errors and
 * their positions are in ../parse-errors.test.ts; sections in sections.test.ts.
 */
import { parse, type ConfigContext } from '../../../lib/syntax/parse';
import type { Directive } from '../../../lib/syntax/ast';

/** A compact reading of one directive. */
function show(d: Directive): string {
  switch (d.type) {
    case 'RewriteEngine':
    case 'DirectorySlash':
      return `${d.type} ${d.on ? 'on' : 'off'}`;
    case 'RewriteRule':
      return `RewriteRule [${d.pattern.text}] [${d.substitution.text}]${d.flags ? ` ${d.flags.text}` : ''}`;
    case 'RewriteCond':
      return `RewriteCond [${d.testString.text}] [${d.pattern.text}]${d.flags ? ` ${d.flags.text}` : ''}`;
    case 'RewriteMap':
      return `RewriteMap ${d.name} ${d.source.text}${d.options ? ` ${d.options}` : ''}`;
    case 'RewriteBase':
      return `RewriteBase ${d.path}`;
    case 'RewriteOptions':
      return `RewriteOptions ${d.options.map((o) => o.text).join(' ')}`;
    case 'DirectoryIndex':
      return `DirectoryIndex ${d.names.join(' ') || '(disabled)'}`;
    case 'AddType':
    case 'AddEncoding':
      return `${d.type} ${d.value} ${d.extensions.join(' ')}`;
    case 'AddDefaultCharset':
      return `AddDefaultCharset ${d.charset === false ? '(off)' : d.charset}`;
    case 'Options':
      return `Options ${d.values.join(' ')}`;
    default:
      return d.type;
  }
}

const parsed = (
  text: string,
  context: ConfigContext = 'server',
): { directives: string[]; problems: string[] } => {
  // as site(), htaccess() and serve read them (rewrite() refuses the site-only ones, below)
  const r = parse(text, { context, siteDirectives: true });
  return { directives: r.directives.map(show), problems: r.problems.map((p) => p.message) };
};

describe('site-only directives where no site applies them (rewrite())', () => {
  test.each([
    'AddType text/x-a .a',
    'AddDefaultCharset utf-8',
    'AddCharset utf-8 .css',
    'IndexIgnore *.bak',
  ])(
    '%s is a load error naming site()/htaccess(), skipped with ignoreUnknownDirectives',
    (text) => {
      const refused = parse(text, { context: 'directory' });
      expect(refused.directives).toEqual([]);
      expect(refused.problems.map((p) => p.code)).toEqual(['ERR_CONTEXT']);
      expect(refused.problems[0]?.message).toMatch(/applied only by site\(\), htaccess\(\)/);
      const skipped = parse(text, { context: 'directory', ignoreUnknownDirectives: true });
      expect(skipped.problems).toEqual([]);
      expect(skipped.directives).toEqual([]);
    },
  );
});

describe('directives and their arguments', () => {
  test.each<[string, ConfigContext, string]>([
    ['RewriteEngine on', 'server', 'RewriteEngine on'],
    ['rewriteengine OFF', 'server', 'RewriteEngine off'],
    ['REWRITERULE ^/a$ /b [L]', 'server', 'RewriteRule [^/a$] [/b] [L]'],
    ['RewriteRule "^/a b$" "/c d"', 'server', 'RewriteRule [^/a b$] [/c d]'],
    [
      'RewriteCond %{HTTP_HOST} !^www\\. [NC,OR]',
      'server',
      'RewriteCond [%{HTTP_HOST}] [!^www\\.] [NC,OR]',
    ],
    ['RewriteMap lc int:tolower', 'server', 'RewriteMap lc int:tolower'],
    [
      'RewriteMap p prg:/bin/cat www-data:www-data',
      'server',
      'RewriteMap p prg:/bin/cat www-data:www-data',
    ],
    ['RewriteBase /blog/', 'directory', 'RewriteBase /blog/'],
    ['RewriteOptions Inherit AllowNoSlash', 'server', 'RewriteOptions Inherit AllowNoSlash'],
    ['DirectorySlash Off', 'directory', 'DirectorySlash off'],
    ['DirectoryIndex index.php index.html', 'directory', 'DirectoryIndex index.php index.html'],
    ['DirectoryIndex disabled', 'directory', 'DirectoryIndex (disabled)'],
    ['DirectoryIndex Disabled', 'directory', 'DirectoryIndex (disabled)'],
    // "disabled" among other names is an ordinary file name (mod_dir add_index)
    ['DirectoryIndex disabled index.html', 'directory', 'DirectoryIndex disabled index.html'],
    ['AddType image/svg+xml svg .SVGZ', 'directory', 'AddType image/svg+xml svg svgz'],
    ['AddEncoding gzip .gz', 'directory', 'AddEncoding gzip gz'],
    ['AddDefaultCharset On', 'directory', 'AddDefaultCharset iso-8859-1'],
    ['AddDefaultCharset off', 'directory', 'AddDefaultCharset (off)'],
    ['AddDefaultCharset UTF-8', 'directory', 'AddDefaultCharset UTF-8'],
    ['Options -Indexes +FollowSymLinks', 'directory', 'Options -Indexes +FollowSymLinks'],
  ])('%s (%s) → %s', (text, context, expected) => {
    expect(parsed(text, context)).toEqual({ directives: [expected], problems: [] });
  });

  test('ServerSignature is read by the site (its footer: case 440)', () => {
    expect(parsed('ServerSignature Off', 'directory')).toEqual({
      directives: ['ServerSignature'],
      problems: [],
    });
  });

  test('ServerSignature Off is accepted and produces nothing to apply in rewrite()', () => {
    const r = parse('ServerSignature Off', { context: 'directory' });
    expect([r.directives, r.problems]).toEqual([[], []]);
  });
});

describe('refused where Apache refuses them', () => {
  test.each<[string, ConfigContext, string]>([
    ['RewriteMap m txt:/x', 'directory', 'RewriteMap not allowed here'],
    ['RewriteMap m', 'server', 'RewriteMap takes two or three arguments'],
    ['RewriteMap m a b c', 'server', 'RewriteMap takes two or three arguments'],
    ['RewriteBase /x', 'server', 'only valid in per-directory config files'],
    ['RewriteBase ""', 'directory', 'RewriteBase: empty URL not allowed'],
    ['RewriteBase blog', 'directory', 'RewriteBase: argument is not a valid URL'],
    ['RewriteEngine maybe', 'server', 'RewriteEngine must be On or Off'],
    ['DirectoryIndex', 'directory', 'DirectoryIndex requires at least one argument'],
    ['AddType text/plain', 'directory', 'AddType requires at least two arguments'],
    ['ServerSignature Maybe', 'directory', 'ServerSignature: use one of: off | on | email'],
    ['NoSuchDirective x', 'server', "Invalid command 'NoSuchDirective'"],
    ['RewriteRule ^/a$', 'server', 'RewriteRule: bad argument line'],
  ])('%s (%s): %s', (text, context, message) => {
    const r = parsed(text, context);
    expect(r.directives).toEqual([]);
    expect(r.problems).toEqual([expect.stringContaining(message)]);
  });
});
