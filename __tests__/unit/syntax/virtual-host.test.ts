/**
 * `<VirtualHost>` and the per-server directives as site()/serve read them (core.c
 * virtualhost_section, vhost.c get_addresses, core.c server_hostname_port / set_server_alias),
 * compiled and merged over the main server (compile/virtual-host.ts), and the host a request
 * names (site/virtual-hosts.ts). Apache's messages and merge results are recorded in
 * conformance/cases/280-293.
 */
import { compileText } from '../../../lib/compile/compile';
import type { RuleSet } from '../../../lib/compile/ruleset';
import { RewriteError } from '../../../lib/errors';
import { parseVirtualHostAddress } from '../../../lib/syntax/virtual-host';
import {
  chooseVirtualHost,
  hostOfRequest,
  wildcardMatches,
} from '../../../lib/compile/virtual-host';

/** A server config as site() reads it: the RuleSet, or the load error's messages. */
function load(text: string): RuleSet | string {
  try {
    return compileText(text, { context: 'server', siteDirectives: true, accessControl: true });
  } catch (err) {
    if (!(err instanceof RewriteError)) throw err;
    return err.message;
  }
}

describe('the <VirtualHost> addresses (vhost.c get_addresses)', () => {
  test.each([
    ['*', { ip: '*', port: 0 }],
    ['*:80', { ip: '*', port: 80 }],
    ['*:*', { ip: '*', port: 0 }],
    ['_default_:443', { ip: '*', port: 443 }],
    ['0.0.0.0:8080', { ip: '*', port: 8080 }],
    ['127.0.0.1', { ip: '127.0.0.1', port: 0 }],
    ['192.0.2.10:80', { ip: '192.0.2.10', port: 80 }],
    ['[::1]:80', { ip: '::1', port: 80 }],
    ['[2001:DB8::1]', { ip: '2001:db8::1', port: 0 }],
  ])('%s', (word, want) => {
    expect(parseVirtualHostAddress(word)).toMatchObject(want);
  });

  test.each([
    ['*:http', /Invalid address or port/],
    ['*:70000', /Invalid address or port/],
    ['www.example.com:80', /needs an IP address or \*/],
    ['localhost', /needs an IP address or \*/],
  ])('%s is refused', (word, message) => {
    const got = parseVirtualHostAddress(word);
    expect('error' in got && got.error).toMatch(message);
  });
});

describe('a server config with vhosts, compiled', () => {
  const main = 'RewriteEngine On\nRewriteRule ^/m$ /x\nHeader set X-Main 1\n';
  const vhost = (body: string): string =>
    `${main}<VirtualHost *:80 127.0.0.1:8080>\n${body}</VirtualHost>\n`;
  const first = (text: string): RuleSet => {
    const r = load(text);
    if (typeof r === 'string') throw new Error(r);
    return r.virtualHosts![0]!.ruleSet;
  };

  // serverPort: s->port, the ServerName's port, else the first address's (*:80)
  test.each([
    [
      'ServerName https://WWW.Example.test:443',
      { serverName: 'www.example.test', serverPort: 443 },
    ],
    ['ServerName [::1]:80', { serverName: '::1', serverPort: 80 }],
    [
      'ServerAlias a.test *.B.test x?.test',
      { aliases: ['a.test'], wildAliases: ['*.b.test', 'x?.test'], serverPort: 80 },
    ],
    ['DocumentRoot /srv/www/', { documentRoot: '/srv/www', serverPort: 80 }],
    ['DocumentRoot "/srv//www/./x/.."', { documentRoot: '/srv/www', serverPort: 80 }],
    ['UseCanonicalName On', { useCanonicalName: true, serverPort: 80 }],
    ['UseCanonicalName DNS', { useCanonicalName: true, serverPort: 80 }],
  ])('%s', (line, want) => {
    expect(first(vhost(`  ${line}\n`)).server).toEqual(want);
  });

  test.each([
    ['no RewriteOptions: only its own rules', '', ['^/v$']],
    ['Inherit: its own, then the main server', 'RewriteOptions Inherit\n', ['^/v$', '^/m$']],
    ['InheritBefore: the main server first', 'RewriteOptions InheritBefore\n', ['^/m$', '^/v$']],
  ])('rewrite merge, %s', (_what, options, patterns) => {
    const rs = first(vhost(`  ${options}  RewriteRule ^/v$ /y\n`));
    expect(rs.rules.map((r) => r.pattern)).toEqual(patterns);
    expect(rs.engine).toBe(true);
  });

  test('the addresses, the main server headers first, no vhost list of its own', () => {
    const r = load(vhost('  Header set X-V 1\n')) as RuleSet;
    const [v] = r.virtualHosts!;
    expect(v!.addresses.map((a) => [a.ip, a.port])).toEqual([
      ['*', 80],
      ['127.0.0.1', 8080],
    ]);
    expect(v!.ruleSet.headers?.length).toBe(2);
    expect(v!.ruleSet.virtualHosts).toBeUndefined();
    expect(r.rules.map((x) => x.pattern)).toEqual(['^/m$']);
  });

  test.each([
    [
      '<VirtualHost *>\n<VirtualHost *>\n</VirtualHost>\n</VirtualHost>\n',
      /<VirtualHost> cannot occur within <VirtualHost> section/,
    ],
    [
      '<Directory /srv>\n<VirtualHost *>\n</VirtualHost>\n</Directory>\n',
      /<VirtualHost not allowed in <Directory> context/,
    ],
    ['<VirtualHost>\n</VirtualHost>\n', /<VirtualHost> directive requires additional arguments/],
    ['<VirtualHost *>\nServerName a\n', /<VirtualHost> was not closed/],
    ['ServerAlias a.test\n', /ServerAlias only used in <VirtualHost>/],
    // core.c set_document_root: the main server's must be a folder (a vhost's is only warned about)
    ['DocumentRoot /nonexistent-modrewrite-root\n', /is not a directory, or is not readable/],
    ['<VirtualHost *>\nServerName a b\n</VirtualHost>\n', /ServerName takes one argument/],
    ['<VirtualHost *>\nUseCanonicalName maybe\n</VirtualHost>\n', /must be On, Off or DNS/],
    ['<VirtualHost *>\nCustomLog x\n</VirtualHost>\n', /CustomLog takes 2 to 3 argument/],
    ['<Directory /srv>\nServerName a\n</Directory>\n', /ServerName not allowed here/],
    // http_core.c: KeepAlive is a FLAG; ap_timeout_parameter_parse (cases 453, 454)
    ['KeepAlive yes\n', /KeepAlive must be On or Off/],
    ['KeepAliveTimeout 5x\n', /KeepAliveTimeout has wrong format/],
    ['KeepAliveTimeout -1\n', /KeepAliveTimeout has wrong format/],
    ['KeepAliveTimeout 5m\n', /KeepAliveTimeout has wrong format/],
    ['HostnameLookups maybe\n', /parameter must be 'on', 'off', or 'double'/],
    ['ProtocolsHonorOrder yes\n', /ProtocolsHonorOrder must be 'on' or 'off'/],
    ['<Directory /srv>\nTimeout 5\n</Directory>\n', /Timeout not allowed here/],
    // listen.c ap_set_listener (cases 418, 419), GLOBAL_ONLY directives in a vhost
    ['<VirtualHost *>\nListen 80\n</VirtualHost>\n', /Listen cannot occur within <VirtualHost>/],
    ['Listen 127.0.0.1\n', /Port must be specified/],
    ['Listen a:b:c\n', /Invalid address or port/],
    ['<VirtualHost *>\nPidFile x\n</VirtualHost>\n', /PidFile cannot occur within <VirtualHost>/],
    ['<VirtualHost *>\nUser x\n</VirtualHost>\n', /User cannot occur within <VirtualHost>/],
    ['<Directory /srv>\nUser x\n</Directory>\n', /User not allowed here/],
    ['User\n', /User takes 1 argument/],
    // mod_so: a module modrewrite does not emulate would be expected to act
    ['LoadModule php_module /x/libphp.so\n', /LoadModule php_module: modrewrite does not emulate/],
    ['LoadModule cgi_module /x/mod_cgi.so\n', /modrewrite does not emulate this module/],
    ['ExtendedStatus maybe\n', /ExtendedStatus must be On or Off/],
    ['AccessFileName .a .b\n', /AccessFileName with more than one name is not supported/],
    ['<Directory /srv>\nAccessFileName .a\n</Directory>\n', /AccessFileName not allowed here/],
  ])('refused: %j', (text, message) => {
    expect(load(text)).toMatch(message);
  });

  // core.c / http_core.c accept these (atoi, FLAG, the timeout units): loaded without effect
  test.each([
    'Timeout 60x\n',
    'KeepAlive off\n',
    'MaxKeepAliveRequests 100\n',
    'KeepAliveTimeout 5\n',
    'KeepAliveTimeout 5sec\n',
    'KeepAliveTimeout 150ms\n',
    'KeepAliveTimeout 2min\n',
    'KeepAliveTimeout 1h\n',
    'HostnameLookups Double\n',
    'Protocols h2 h2c http/1.1\n',
    '<Directory /srv>\nHostnameLookups Off\n</Directory>\n',
    // Debian's apache2.conf, ports.conf and mods-enabled (case 414)
    'PidFile ${APACHE_PID_FILE}\n',
    'Mutex file:${APACHE_LOCK_DIR} default\n',
    'User www-data\nGroup www-data\n',
    'DefaultRuntimeDir ${APACHE_RUN_DIR}\n',
    'Listen 80\n',
    'Listen [::]:8080 http\n',
    'Listen *:443\n',
    'LoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so\n',
    'LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\n',
    'StartServers 2\nMinSpareThreads 25\nMaxRequestWorkers 150\n',
    'RequestReadTimeout header=20-40,MinRate=500 body=20,MinRate=500\n',
    'ExtendedStatus On\n',
    '<VirtualHost *>\nRequestReadTimeout header=20\n</VirtualHost>\n',
  ])('accepted without effect: %j', (text) => {
    const r = load(text) as RuleSet;
    // ${APACHE_*} without Debian's envvars: also AH00111 (WARN_UNDEFINED_VARIABLE), as Apache
    const codes = (r.warnings ?? []).map((w) => w.code);
    expect(codes.filter((c) => c !== 'WARN_UNDEFINED_VARIABLE')).toEqual(['WARN_NO_EFFECT']);
  });

  // core.c set_document_root: the main server's, relative to the ServerRoot (case 416)
  test("the main server's DocumentRoot is a server setting, ServerRoot-relative", () => {
    const rs = compileText('DocumentRoot lib\n', {
      context: 'server',
      siteDirectives: true,
      mapRoot: process.cwd(),
    });
    expect(rs.server?.documentRoot).toBe(`${process.cwd()}/lib`);
  });

  // core.c set_access_name, merge_core_server_configs: a vhost without one has the main server's
  test('AccessFileName is a server setting a <VirtualHost> inherits (case 415)', () => {
    const text =
      'AccessFileName .acl\n<VirtualHost *>\n</VirtualHost>\n<VirtualHost *>\nAccessFileName .x\n</VirtualHost>\n';
    const rs = compileText(text, { context: 'server', siteDirectives: true });
    expect(rs.server?.accessFileName).toBe('.acl');
    expect(rs.virtualHosts!.map((v) => v.ruleSet.server?.accessFileName)).toEqual(['.acl', '.x']);
  });

  // core.c set_server_admin, ap_fixup_virtual_hosts: a vhost without one has the main server's
  test('ServerAdmin is a server setting a <VirtualHost> inherits (case 455)', () => {
    const text =
      'ServerAdmin a@x.test\n<VirtualHost *>\n</VirtualHost>\n<VirtualHost *>\nServerAdmin b@x.test\n</VirtualHost>\n';
    const rs = compileText(text, { context: 'server', siteDirectives: true });
    expect(rs.server?.serverAdmin).toBe('a@x.test');
    expect(rs.virtualHosts!.map((v) => v.ruleSet.server?.serverAdmin)).toEqual([
      'a@x.test',
      'b@x.test',
    ]);
  });

  test('a relative DocumentRoot is resolved against the ServerRoot (mapRoot, else the file folder)', () => {
    const text = '<VirtualHost *>\nDocumentRoot www\n</VirtualHost>\n';
    const rs = compileText(text, { context: 'server', siteDirectives: true, mapRoot: '/etc/site' });
    expect(rs.virtualHosts![0]!.ruleSet.server?.documentRoot).toBe('/etc/site/www');
  });

  test('LogLevel is allowed in <Directory>; logging directives warn WARN_NO_EFFECT once per body', () => {
    const r = load(
      '<Directory /srv>\nLogLevel debug\n</Directory>\n<VirtualHost *>\nErrorLog x\nCustomLog y z\n</VirtualHost>\n',
    ) as RuleSet;
    const codes = (r.warnings ?? []).map((w) => [w.code, w.line]);
    expect(codes).toEqual([
      ['WARN_NO_EFFECT', 2],
      ['WARN_NO_EFFECT', 5],
    ]);
  });

  test('rewrite() (no site directives): <VirtualHost> and ServerName are ERR_CONTEXT', () => {
    const text = '<VirtualHost *>\nServerName a\n</VirtualHost>\nServerName b\n';
    let err: unknown;
    try {
      compileText(text, { context: 'server' });
    } catch (e) {
      err = e;
    }
    expect((err as RewriteError).message).toMatch(/applied only by site\(\) and modrewrite serve/);
  });
});

describe('the host a request names (fix_hostname) and wildcard aliases (ap_strcasecmp_match)', () => {
  test.each([
    ['/', 'Example.TEST', 'example.test'],
    ['/', 'example.test.:8080', 'example.test'],
    ['/', '[::1]:80', '::1'],
    ['/', undefined, undefined],
    ['/', '', undefined],
    ['http://Other.test:81/x', 'example.test', 'other.test'],
    ['http://user@other.test/x', undefined, 'other.test'],
  ])('%s with Host %j', (url, host, want) => {
    expect(hostOfRequest(url, host)).toBe(want);
  });

  test.each([
    ['*.example.test', 'www.example.test', true],
    ['*.example.test', 'a.b.example.test', true],
    ['*.example.test', 'example.test', false],
    ['w?.test', 'wx.test', true],
    ['w?.test', 'w.test', false],
    ['a.test', 'a.test', true],
    ['a.b', 'axb', false],
  ])('%s ~ %s', (pattern, host, want) => {
    expect(wildcardMatches(pattern, host)).toBe(want);
  });
});

describe('the vhost a request reaches (ap_update_vhost_given_ip, update_server_from_aliases)', () => {
  const config = [
    '<VirtualHost *:80>\nServerName a.test\n</VirtualHost>',
    '<VirtualHost *:80>\nServerAlias *.b.test\n</VirtualHost>',
    '<VirtualHost *:*>\nServerName any.test\n</VirtualHost>',
    '<VirtualHost 192.0.2.1:80>\nServerName ip.test\n</VirtualHost>',
    '<VirtualHost *:443>\nServerName a.test\n</VirtualHost>',
  ].join('\n');
  const { virtualHosts } = load(config) as RuleSet;
  const indexOf = (ip: string | undefined, port: number, host?: string): number | undefined => {
    const chosen = chooseVirtualHost(virtualHosts!, { ip, port, host }, 'main.test');
    return chosen && virtualHosts!.indexOf(chosen);
  };
  test.each([
    ['127.0.0.1', 80, 'a.test', 0],
    ['127.0.0.1', 80, 'x.b.test', 1],
    ['127.0.0.1', 80, 'main.test', 1],
    ['127.0.0.1', 80, 'unknown.test', 0],
    ['127.0.0.1', 80, undefined, 0],
    ['127.0.0.1', 80, 'any.test', 0],
    ['127.0.0.1', 8080, 'a.test', 2],
    ['127.0.0.1', 443, 'a.test', 4],
    ['192.0.2.1', 80, 'a.test', 3],
    ['192.0.2.1', 8080, 'a.test', 2],
    [undefined, 80, 'x.b.test', 1],
  ])('%s port %i, Host %s', (ip, port, host, want) => {
    expect(indexOf(ip, port, host)).toBe(want);
  });

  test('no vhost for the address: the main server (undefined)', () => {
    const only80 = load('<VirtualHost *:80>\nServerName a.test\n</VirtualHost>\n') as RuleSet;
    expect(
      chooseVirtualHost(only80.virtualHosts!, { ip: '127.0.0.1', port: 8080 }),
    ).toBeUndefined();
  });
});
