/**
 * Issue 12: `<Files>`, `<FilesMatch>` and the access directives of `.htaccess` files. The file-name
 * tests (apr_fnmatch for `<Files name>`, PCRE for `<FilesMatch>`/`<Files ~>`), the sections'
 * nesting in conditional ones, and what is refused (fail closed). Apache's answers for the same
 * sections are recorded in conformance/cases/140 and 141.
 */
import { compileText } from '../../../lib/compile/compile';
import { RewriteError } from '../../../lib/errors';
import { fnmatchRegExp, ipNet, type AccessConfig } from '../../../lib/compile/access';
import { inNet, type IpNet } from '../../../lib/compile/ip';

/** Compiles `.htaccess` text the way the store of site()/htaccess() does. */
function accessOf(text: string): AccessConfig | undefined {
  return compileText(text, { context: 'directory', accessControl: true }).access;
}

/** The tree of one `Require` line at the top of a section (the implicit `<RequireAny>`). */
const anyOf = (...rules: unknown[]): unknown => ({
  type: 'section',
  op: 'or',
  negate: false,
  children: rules.map((rule) => ({ type: 'provider', rule, negate: false })),
});

function problemsOf(text: string, accessControl = true): { code: string; message: string }[] {
  try {
    compileText(text, { context: 'directory', accessControl });
  } catch (err) {
    if (err instanceof RewriteError)
      return err.problems.map((p) => ({ code: p.code, message: p.message }));
    throw err;
  }
  return [];
}

describe('<Files name>: apr_fnmatch wildcards against the file name', () => {
  test.each<[string, string, boolean]>([
    ['secret.txt', 'secret.txt', true],
    ['secret.txt', 'secret.txt.bak', false],
    ['secret.txt', 'Secret.txt', false],
    ['*.bak', 'x.bak', true],
    ['*.bak', '.bak', true],
    ['*.bak', 'x.bak.txt', false],
    ['[ab]?.log', 'a1.log', true],
    ['[ab]?.log', 'c1.log', false],
    ['[ab]?.log', 'abc.log', false],
    ['[!a]*', 'apple', false],
    ['[!a]*', 'banana', true],
    ['[^a]*', 'banana', true],
    ['[a-c]x', 'bx', true],
    ['[a-c]x', 'dx', false],
    ['[]]', ']', true],
    ['\\*', '*', true],
    ['\\*', 'a', false],
    ['a[', 'a[', true],
    ['.ht*', '.htaccess', true],
    ['*', '', true],
    ['', '', true],
    ['', 'x', false],
    ['(a|b)', '(a|b)', true],
    ['(a|b)', 'a', false],
    ['a-b{1}', 'a-b{1}', true],
    ['$x^', '$x^', true],
  ])('%j ~ %j → %s', (pattern, name, expected) => {
    expect(fnmatchRegExp(pattern).test(name)).toBe(expected);
  });
});

describe('<FilesMatch> and <Files ~>: PCRE against the file name, case-sensitive', () => {
  const DRUPAL =
    '\\.(engine|inc|install|make|module|profile|po|sh|.*sql|theme|twig|tpl(\\.php)?|xtmpl|yml)(~|\\.sw[op]|\\.bak|\\.orig|\\.save)?$|^(\\.(?!well-known).*|Entries.*|Repository|Root|Tag|Template|composer\\.(json|lock)|web\\.config)$|^#.*#$|\\.php(~|\\.sw[op]|\\.bak|\\.orig|\\.save)$';
  test.each<[string, string, string, boolean]>([
    ['FilesMatch', DRUPAL, 'composer.json', true],
    ['FilesMatch', DRUPAL, 'composer.lock', true],
    ['FilesMatch', DRUPAL, 'my-composer.json', false],
    ['FilesMatch', DRUPAL, '.env', true],
    ['FilesMatch', DRUPAL, '.well-known', false],
    ['FilesMatch', DRUPAL, 'settings.php.bak', true],
    ['FilesMatch', DRUPAL, 'index.php', false],
    ['FilesMatch', DRUPAL, 'core.services.yml', true],
    ['FilesMatch', '(?i)((\\.tpl|\\.twig|\\.ini|\\.log|(?<!robots)\\.txt))', 'robots.txt', false],
    ['FilesMatch', '(?i)((\\.tpl|\\.twig|\\.ini|\\.log|(?<!robots)\\.txt))', 'notes.TXT', true],
    ['FilesMatch', '\\.yml$', 'a.YML', false],
    ['Files ~', '\\.inc$', 'lib.inc', true],
    ['Files ~', '\\.inc$', 'lib.inc.txt', false],
    ['FilesMatch', '^$', '', true],
  ])('<%s "%s"> ~ %j → %s', (opener, pattern, name, expected) => {
    const open = opener === 'Files ~' ? `<Files ~ "${pattern}">` : `<FilesMatch "${pattern}">`;
    const close = opener === 'Files ~' ? '</Files>' : '</FilesMatch>';
    const config = accessOf(`${open}\nRequire all denied\n${close}\n`)!;
    expect(config.files).toHaveLength(1);
    expect(config.files[0].matches(name)).toBe(expected);
  });
});

describe('sections and access directives as read', () => {
  test('a <Files> nested in a true <IfModule> is read, one in a false <IfModule> skipped', () => {
    const config = accessOf(
      '<IfModule mod_authz_core.c>\n<Files a>\nRequire all denied\n</Files>\n</IfModule>\n' +
        '<IfModule !mod_authz_core.c>\n<Files b>\nOrder allow,deny\n</Files>\n</IfModule>\n',
    )!;
    expect(config.files.map((f) => f.section.pattern)).toEqual(['a']);
    expect(config.files[0].access).toEqual({
      require: anyOf({ type: 'all', granted: false }),
      compat: undefined,
    });
  });

  test('conditional sections nest inside <Files>', () => {
    const config = accessOf(
      '<FilesMatch "x">\n<IfModule mod_authz_core.c>\nRequire all denied\n</IfModule>\n' +
        '<IfModule !mod_authz_core.c>\nOrder allow,deny\n</IfModule>\n</FilesMatch>\n',
    )!;
    expect(config.files[0].access).toEqual({
      require: anyOf({ type: 'all', granted: false }),
      compat: undefined,
    });
  });

  test('top-level directives apply to the directory; mod_access_compat defaults to deny,allow', () => {
    const config = accessOf('Deny from all\nAllow from env=OK env=!NO\nRequire all granted\n')!;
    expect(config.directory).toEqual({
      require: anyOf({ type: 'all', granted: true }),
      compat: {
        orders: [],
        satisfyAny: [],
        denys: [{ value: { type: 'all' } }],
        allows: [
          { value: { type: 'env', name: 'OK', negate: false } },
          { value: { type: 'env', name: 'NO', negate: true } },
        ],
      },
    });
    expect(config.files).toEqual([]);
  });

  test('a file without access directives has no access configuration', () => {
    expect(accessOf('RewriteEngine On\n')).toBeUndefined();
  });
});

describe('addresses: apr_ipsubnet_create', () => {
  test.each<[string, unknown]>([
    ['127.0.0.1', { address: '127.0.0.1', netmask: '255.255.255.255', family: 'ipv4' }],
    ['10.1', { address: '10.1.0.0', netmask: '255.255.0.0', family: 'ipv4' }],
    ['10.1.', { address: '10.1.0.0', netmask: '255.255.0.0', family: 'ipv4' }],
    ['10', { address: '10.0.0.0', netmask: '255.0.0.0', family: 'ipv4' }],
    ['10.0.0.0/8', { address: '10.0.0.0', netmask: '255.0.0.0', family: 'ipv4' }],
    ['10.0.0.0/255.255.0.0', { address: '10.0.0.0', netmask: '255.255.0.0', family: 'ipv4' }],
    ['10.0.0.0/255.0.255.0', { address: '10.0.0.0', netmask: '255.0.255.0', family: 'ipv4' }],
    ['10.0.0.0/20', { address: '10.0.0.0', netmask: '255.255.240.0', family: 'ipv4' }],
    // apr_ipsubnet_create takes 1..32 bits: /0 is Apache's 500 (recorded, case 543)
    ['10.0.0.0/0', { error: "ip address '10.0.0.0/0' appears to be invalid" }],
    ['::/0', { error: "ip address '::/0' appears to be invalid" }],
    ['::1', { address: '::1', prefix: 128, family: 'ipv6' }],
    ['2001:db8::/32', { address: '2001:db8::', prefix: 32, family: 'ipv6' }],
    ['example.com', undefined],
    ['10.x', undefined],
    ['10.1/16', { error: "ip address '10.1/16' appears to be invalid" }],
    ['1.2.3.4.5', { error: "ip address '1.2.3.4.5' appears to be invalid" }],
    ['fe80::1%eth0', { error: "ip address 'fe80::1%eth0' is not supported by modrewrite" }],
  ])('%s → %j', (text, expected) => {
    expect(ipNet(text)).toEqual(expected);
  });
});

test('a host name is kept for the access check (allow_cmd T_HOST: `none` too, case 390)', () => {
  const compat = accessOf('Order deny,allow\nDeny from all\nAllow from none .example.com\n')
    ?.directory.compat;
  expect(compat?.allows.map((e) => e.value)).toEqual([
    { type: 'host', name: 'none' },
    { type: 'host', name: '.example.com' },
  ]);
});

describe('refused: the .htaccess answers 500, nothing is ignored (fail closed)', () => {
  test.each<[string, string, string, string]>([
    [
      // an unknown directive is Apache's Invalid command inside a section as outside
      'an unknown directive in <Files>',
      '<Files a>\nNoSuchDirective x\n</Files>',
      'ERR_UNKNOWN_DIRECTIVE',
      "Invalid command 'NoSuchDirective'",
    ],
    [
      'DirectoryIndex in <Files>',
      '<Files a>\nDirectoryIndex x.html\n</Files>',
      'ERR_CONTEXT',
      'DirectoryIndex inside <Files>',
    ],
    [
      'RewriteRule in <Files>',
      '<Files a>\nRewriteRule ^ - [F]\n</Files>',
      'ERR_CONTEXT',
      'RewriteRule inside <Files>',
    ],
    [
      'Options in <FilesMatch>',
      '<FilesMatch x>\nOptions -Indexes\n</FilesMatch>',
      'ERR_CONTEXT',
      'Options inside <FilesMatch>',
    ],
    [
      'Require ip without an address',
      'Require ip',
      'ERR_DIRECTIVE_ARGS',
      "'Require ip' requires an argument",
    ],
    [
      'Require ip of a name',
      'Require ip localhost',
      'ERR_DIRECTIVE_ARGS',
      "ip address 'localhost' appears to be invalid",
    ],
    [
      'Require ip with a bad mask',
      'Require ip 10.0.0.0/33',
      'ERR_DIRECTIVE_ARGS',
      'appears to be invalid',
    ],
    [
      'Require ip with a bad octet',
      'Require ip 10.256',
      'ERR_DIRECTIVE_ARGS',
      'appears to be invalid',
    ],
    [
      'Require ip, IPv4-mapped',
      'Require ip ::ffff:10.0.0.1',
      'ERR_DIRECTIVE_ARGS',
      'is not supported by modrewrite',
    ],
    [
      'Require local with arguments',
      'Require local x',
      'ERR_DIRECTIVE_ARGS',
      'Require local with arguments is not supported',
    ],
    [
      'Allow from a bad network',
      'Allow from 10.0.0.0/40',
      'ERR_DIRECTIVE_ARGS',
      'appears to be invalid',
    ],
    [
      'Allow from a name with a slash',
      'Allow from a/8',
      'ERR_DIRECTIVE_ARGS',
      'An IP address was expected',
    ],
    [
      'Require group (no mod_authz_groupfile)',
      'Require group admins',
      'ERR_DIRECTIVE_ARGS',
      'Require group is not supported',
    ],
    [
      'Require not in the implicit <RequireAny> (Apache refuses it)',
      'Require not all denied',
      'ERR_DIRECTIVE_ARGS',
      'negative Require directive has no effect in <RequireAny> directive',
    ],
    [
      'Require All (Apache: unknown provider)',
      'Require All granted',
      'ERR_DIRECTIVE_ARGS',
      'Require All is not supported',
    ],
    ['Require all maybe', 'Require all maybe', 'ERR_DIRECTIVE_ARGS', "'granted' or 'denied'"],
    [
      'Require all granted extra',
      'Require all granted extra',
      'ERR_DIRECTIVE_ARGS',
      "'granted' or 'denied'",
    ],
    ['Allow without from', 'Allow all', 'ERR_DIRECTIVE_ARGS', 'at least two arguments'],
    ['Order with a space', 'Order allow, deny', 'ERR_DIRECTIVE_ARGS', 'order takes one argument'],
    ['Order unknown', 'Order first', 'ERR_DIRECTIVE_ARGS', 'unknown order'],

    ['Satisfy some', 'Satisfy some', 'ERR_DIRECTIVE_ARGS', "Satisfy either 'any' or 'all'."],
    [
      'a bad regex',
      '<FilesMatch "(">\nRequire all denied\n</FilesMatch>',
      'ERR_REGEX',
      'Regex could not be compiled',
    ],
    [
      '<Files> without a name',
      '<Files>\nRequire all denied\n</Files>',
      'ERR_DIRECTIVE_ARGS',
      '<Files> directive requires additional arguments',
    ],
    [
      'two names',
      '<Files a b>\nRequire all denied\n</Files>',
      'ERR_DIRECTIVE_ARGS',
      'Multiple <Files> arguments not (yet) supported.',
    ],
    [
      'a name with a slash',
      '<Files "a/b">\nRequire all denied\n</Files>',
      'ERR_DIRECTIVE_ARGS',
      "a name with '/'",
    ],
    ['unclosed', '<Files a>\nRequire all denied', 'ERR_SYNTAX_ARGS', '<Files> was not closed.'],
    [
      'nested <Files>',
      '<Files a>\n<Files b>\nRequire all denied\n</Files>\n</Files>',
      'ERR_SYNTAX_ARGS',
      'inside <Files> is not supported',
    ],
    [
      'mismatched closer',
      '<Files a>\nRequire all denied\n</FilesMatch>',
      'ERR_SYNTAX_ARGS',
      '</FilesMatch>',
    ],
  ])('%s', (_, text, code, message) => {
    const problems = problemsOf(text);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0].code).toBe(code);
    expect(problems[0].message).toContain(message);
  });

  test.each([
    ['Require all denied'],
    ['Order allow,deny'],
    ['<Files a>\nRequire all denied\n</Files>'],
    ['<IfModule mod_authz_core.c>\nRequire all denied\n</IfModule>'],
  ])('without a document root (rewrite(), compile()) %j is refused, not ignored', (text) => {
    const problems = problemsOf(text, false);
    expect(problems.length).toBeGreaterThan(0);
    expect(['ERR_CONTEXT', 'ERR_UNKNOWN_DIRECTIVE']).toContain(problems[0].code);
  });

  test('ignoreUnknownDirectives skips them where there is no document root', () => {
    expect(() =>
      compileText('Require all denied\nRewriteRule ^a$ /b\n', { ignoreUnknownDirectives: true }),
    ).not.toThrow();
  });
});

describe('apr_ipsubnet_test (inNet), IPv6 compared group by group', () => {
  const v6 = (address: string, prefix: number): IpNet => ({ family: 'ipv6', address, prefix });
  test.each<[string, IpNet, boolean]>([
    ['2001:db8::1', v6('2001:db8::', 32), true],
    ['2001:db9::1', v6('2001:db8::', 32), false],
    ['::1', v6('::1', 128), true],
    ['::2', v6('::1', 128), false],
    // a prefix that ends inside a group: fe80::/10 holds febf:: and not fec0::
    ['febf::1', v6('fe80::', 10), true],
    ['fec0::1', v6('fe80::', 10), false],
    // a trailing dotted quad is the last two groups
    ['64:ff9b::1.2.3.4', v6('64:ff9b::102:304', 128), true],
    ['1:2:3:4:5:6:7:8', v6('1:2:3:4:5:6:7:0', 112), true],
    ['1:2:3:4:5:6:7:8', v6('1:2:3:4:5:6:7:0', 128), false],
    // an IPv4-mapped client address is its IPv4 address
    ['::ffff:1.2.3.4', { family: 'ipv4', address: '1.2.0.0', netmask: '255.255.0.0' }, true],
    ['1.2.3.4', v6('::', 1), false],
  ])('%s in %j: %s', (address, net, expected) => {
    expect(inNet(net, address)).toBe(expected);
  });
});
