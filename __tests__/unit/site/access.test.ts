/**
 * Issue 12: the access phase's merge of the `.htaccess` files on a request's way (root → deepest),
 * then their matching `<Files>` sections in order; a `Require` section replaces the inherited one,
 * any mod_access_compat directive replaces that module's whole configuration, and both modules must
 * allow (Satisfy All). Each row mirrors a request of conformance/cases/140 recorded from Apache.
 */
import { compileText } from '../../../lib/index';
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
    expect(accessDenied(chainOf(...files), filename, new Map(Object.entries(env)))).toBe(denied);
  });

  test('the file name is what follows the last slash', () => {
    expect(fileNameOf('/srv/www/a/composer.json')).toBe('composer.json');
    expect(fileNameOf('/srv/www/a/')).toBe('');
  });
});
