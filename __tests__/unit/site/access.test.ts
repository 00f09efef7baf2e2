/**
 * Issue 12: the access phase's merge of the `.htaccess` files on a request's way (root → deepest),
 * then their matching `<Files>` sections in order; a `Require` section replaces the inherited one,
 * any mod_access_compat directive replaces that module's whole configuration, and both modules must
 * allow (Satisfy All). Each row mirrors a request of conformance/cases/140 recorded from Apache.
 */
import { compileText } from '../../../lib/compile/compile';
import type { AccessConfig } from '../../../lib/compile/access';
import { accessDenied, fileNameOf } from '../../../lib/site/access';

const chainOf = (...files: string[]): AccessConfig[] =>
  files
    .map((text) => compileText(text, { context: 'directory', accessControl: true }).access)
    .filter((a): a is AccessConfig => a !== undefined);

describe('accessDenied', () => {
  test.each<[string, string[], string, Record<string, string>, boolean]>([
    ['no access directives', ['RewriteEngine On'], '/w/f.txt', {}, false],
    ['Require all denied', ['Require all denied'], '/w/f.txt', {}, true],
    [
      'granted and denied: the implicit RequireAny grants',
      ['Require all denied\nRequire all granted'],
      '/w/f',
      {},
      false,
    ],
    [
      'a child Require replaces the parent one',
      ['Require all denied', 'Require all granted'],
      '/w/c/f',
      {},
      false,
    ],
    [
      'a child without Require inherits',
      ['Require all denied', 'RewriteEngine On'],
      '/w/c/f',
      {},
      true,
    ],
    [
      'a parent <Files> applies after the child directory',
      ['<Files f>\nRequire all denied\n</Files>', 'Require all granted'],
      '/w/c/f',
      {},
      true,
    ],
    [
      'a later <Files> wins',
      ['<Files f>\nRequire all denied\n</Files>', '<Files f>\nRequire all granted\n</Files>'],
      '/w/c/f',
      {},
      false,
    ],
    ['<Files> of another name', ['<Files g>\nRequire all denied\n</Files>'], '/w/f', {}, false],
    ['Order allow,deny alone', ['Order allow,deny'], '/w/f', {}, true],
    ['Order deny,allow with Deny from all', ['Order deny,allow\nDeny from all'], '/w/f', {}, true],
    [
      'deny,allow: an Allow overrides a Deny',
      ['Order deny,allow\nDeny from all\nAllow from all'],
      '/w/f',
      {},
      false,
    ],
    [
      'allow,deny: a Deny overrides an Allow',
      ['Order allow,deny\nAllow from all\nDeny from all'],
      '/w/f',
      {},
      true,
    ],
    ['mutual-failure', ['Order mutual-failure\nAllow from all'], '/w/f', {}, false],
    [
      "Magento's <Files> replaces the whole compat configuration",
      [
        'Order allow,deny\nAllow from all\n<Files cron.php>\norder allow,deny\ndeny from all\n</Files>',
      ],
      '/w/cron.php',
      {},
      true,
    ],
    [
      'Magento, another file',
      [
        'Order allow,deny\nAllow from all\n<Files cron.php>\norder allow,deny\ndeny from all\n</Files>',
      ],
      '/w/index.php',
      {},
      false,
    ],
    [
      'Deny from env=X, X unset',
      ['Order allow,deny\nAllow from all\nDeny from env=X'],
      '/w/f',
      {},
      false,
    ],
    [
      'Deny from env=X, X set (any case)',
      ['Order allow,deny\nAllow from all\nDeny from env=X'],
      '/w/f',
      { x: '1' },
      true,
    ],
    [
      'Deny from env=!X, X unset',
      ['Order allow,deny\nAllow from all\nDeny from env=!X'],
      '/w/f',
      {},
      true,
    ],
    [
      'both modules must allow',
      ['Require all granted\nOrder deny,allow\nDeny from all'],
      '/w/f',
      {},
      true,
    ],
    [
      'Satisfy Any: the host rules alone',
      ['Satisfy Any\nRequire all denied\nOrder allow,deny\nAllow from all'],
      '/w/f',
      {},
      false,
    ],
    [
      'Satisfy Any: Require alone',
      ['Satisfy Any\nOrder deny,allow\nDeny from all'],
      '/w/f',
      {},
      false,
    ],
    [
      'Satisfy Any: neither',
      ['Satisfy Any\nRequire all denied\nOrder deny,allow\nDeny from all'],
      '/w/f',
      {},
      true,
    ],
    [
      'a <Files> with host rules resets Satisfy to All',
      ['Satisfy Any\nRequire all denied\n<Files f>\nOrder allow,deny\n</Files>'],
      '/w/f',
      {},
      true,
    ],
    [
      'a directory with its slash is the empty name',
      ['<Files "">\nRequire all denied\n</Files>'],
      '/w/d/',
      {},
      true,
    ],
    [
      'a directory without its slash is its name',
      ['<Files d>\nRequire all denied\n</Files>'],
      '/w/d',
      {},
      true,
    ],
  ])('%s', (_, files, filename, env, denied) => {
    const client = { remoteAddr: '127.0.0.1', localAddr: '127.0.0.1' };
    expect(accessDenied(chainOf(...files), filename, new Map(Object.entries(env)), client)).toBe(
      denied,
    );
  });

  test.each<[string, string, string, boolean]>([
    ['Require ip 127.0.0.1', '127.0.0.1', '127.0.0.1', false],
    ['Require ip 127.0.0.1', '::ffff:127.0.0.1', '::ffff:127.0.0.1', false],
    ['Require ip 127.0.0.1', '127.0.0.2', '127.0.0.1', true],
    ['Require ip 10.1', '10.1.200.3', '127.0.0.1', false],
    ['Require ip 10.1', '10.2.0.1', '127.0.0.1', true],
    ['Require ip 192.0.2.0/24 10.0.0.0/8', '10.9.9.9', '127.0.0.1', false],
    ['Require ip 10.0.0.0/255.255.0.0', '10.0.7.7', '127.0.0.1', false],
    ['Require ip 10.0.0.0/255.255.0.0', '10.1.7.7', '127.0.0.1', true],
    ['Require ip ::1', '::1', '::1', false],
    ['Require ip ::1', '127.0.0.1', '127.0.0.1', true],
    ['Require ip 2001:db8::/32', '2001:db8:1::5', '::1', false],
    ['Require ip 2001:db8::/32', '2001:db9::5', '::1', true],
    ['Require local', '127.5.5.5', '192.0.2.1', false],
    ['Require local', '::1', '::1', false],
    ['Require local', '192.0.2.7', '192.0.2.7', false],
    ['Require local', '192.0.2.7', '192.0.2.1', true],
    ['Order deny,allow\nDeny from all\nAllow from 192.0.2', '192.0.2.7', '127.0.0.1', false],
    ['Order deny,allow\nDeny from all\nAllow from 192.0.2', '192.0.3.7', '127.0.0.1', true],
    ['Order allow,deny\nAllow from all\nDeny from 10.0.0.0/8', '10.0.0.1', '127.0.0.1', true],
    ['Order allow,deny\nAllow from all\nDeny from 10.0.0.0/8', '::ffff:10.0.0.1', '::1', true],
    ['Order allow,deny\nAllow from all\nDeny from 10.0.0.0/8', '11.0.0.1', '127.0.0.1', false],
    // a client address that is no address cannot be evaluated: denied
    ['Order allow,deny\nAllow from all\nDeny from 10.0.0.0/8', '', '', true],
    ['Require ip 10.0.0.0/8', 'garbage', '', true],
  ])('%j from %s (server %s) → denied %s', (text, remoteAddr, localAddr, denied) => {
    const client = { remoteAddr, localAddr };
    expect(accessDenied(chainOf(text), '/w/f', new Map(), client)).toBe(denied);
  });

  test('the file name is what follows the last slash', () => {
    expect(fileNameOf('/srv/www/a/composer.json')).toBe('composer.json');
    expect(fileNameOf('/srv/www/a/')).toBe('');
  });
});
