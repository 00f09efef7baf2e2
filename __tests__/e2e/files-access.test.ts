/**
 * Issue 12: `<Files>`/`<FilesMatch>` with `Require` and `Order`/`Allow`/`Deny`, as Drupal, Magento
 * and phpBB ship them, were refused ("Invalid command '<FilesMatch'"): every URL below answered
 * 500. They are enforced now, at Apache's access phase, in site() and in htaccess() in front of
 * express.static: a denied file is 403 and never reaches the static server; a section modrewrite
 * cannot apply is still a 500. Real files on disk, real HTTP; Apache's answers for the same
 * sections are in conformance/cases/140 and 141.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import request from 'supertest';
import express from 'express';
import { htaccess, site } from '../../lib/index';

/** The first block of Drupal's stock .htaccess (conformance/real-world/drupal.json), verbatim. */
const DRUPAL = (
  JSON.parse(readFileSync(join(__dirname, '../../conformance/real-world/drupal.json'), 'utf8')) as {
    htaccess: string;
  }
).htaccess
  .split('\n')
  .slice(0, 13)
  .join('\n');

const MAGENTO = [
  'Order allow,deny',
  'Allow from all',
  '<Files cron.php>',
  '    order allow,deny',
  '    deny from all',
  '</Files>',
  '',
].join('\n');

const PHPBB = [
  '<IfModule mod_version.c>',
  '\t<IfVersion < 2.4>',
  '\t\t<Files "config.php">',
  '\t\t\tOrder Allow,Deny',
  '\t\t\tDeny from All',
  '\t\t</Files>',
  '\t</IfVersion>',
  '\t<IfVersion >= 2.4>',
  '\t\t<Files "config.php">',
  '\t\t\tRequire all denied',
  '\t\t</Files>',
  '\t</IfVersion>',
  '</IfModule>',
  '',
].join('\n');

let tmp: string;
let root: string;
/** Every log line (a broken file is logged once per version, whichever request meets it first). */
const logged: string[] = [];
let siteServer: http.Server;
let app: express.Express;
const write = (rel: string, text: string): void => {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
};

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'modrewrite-files-access-'));
  root = join(tmp, 'www');
  write('drupal/.htaccess', DRUPAL);
  write('drupal/composer.json', 'DRUPAL COMPOSER\n');
  write('drupal/core/core.services.yml', 'DRUPAL YML\n');
  write('drupal/.env', 'DRUPAL ENV\n');
  write('drupal/index.php', 'DRUPAL FRONT\n');
  write('drupal/robots.txt', 'DRUPAL ROBOTS\n');
  write('magento/.htaccess', MAGENTO);
  write('magento/cron.php', 'MAGENTO CRON\n');
  write('magento/index.php', 'MAGENTO FRONT\n');
  write('phpbb/.htaccess', PHPBB);
  write('phpbb/config.php', 'PHPBB CONFIG\n');
  write('phpbb/index.php', 'PHPBB FRONT\n');
  // a rewrite towards a denied file: the internal redirect's access check denies it
  write(
    'rewrite/.htaccess',
    'RewriteEngine On\nRewriteRule ^go$ secret.txt [L]\nRewriteRule ^secret\\.txt$ open.txt [L]\n<Files secret.txt>\nRequire all denied\n</Files>\n',
  );
  write('rewrite/secret.txt', 'REWRITE SECRET\n');
  write('rewrite/open.txt', 'REWRITE OPEN\n');
  write(
    'broken/.htaccess',
    '<FilesMatch "\\.txt$">\nRequire all denied\nRewriteRule ^ - [L]\n</FilesMatch>\n',
  );
  write('broken/file.txt', 'BROKEN SECRET\n');
  write('unsupported/.htaccess', 'Require valid-user\n');
  write('local/.htaccess', 'Require ip 192.0.2.0/24 127.0.0.1 ::1\n');
  write('local/file.txt', 'LOCAL OPEN\n');
  write('remote/.htaccess', 'Order deny,allow\nDeny from all\nAllow from 192.0.2\n');
  write('remote/file.txt', 'REMOTE SECRET\n');
  write('unsupported/file.txt', 'UNSUPPORTED SECRET\n');
  // Apache (mod_auth_basic loaded on Debian) asks for a password: the body must not be skipped
  write(
    'password/.htaccess',
    '<IfModule mod_auth_basic.c>\n  AuthType Basic\n  AuthName "Private"\n  AuthUserFile /nowhere/.htpasswd\n  Require valid-user\n</IfModule>\n',
  );
  write('password/file.txt', 'PASSWORD SECRET\n');
  write('iphost/.htaccess', '<IfModule mod_authz_host.c>\n  Require ip 10.0.0.0/8\n</IfModule>\n');
  write('iphost/file.txt', 'IPHOST SECRET\n');
  // a directory URL whose index the sections deny (Batflat's themes/default/): mod_dir's
  // sub-request is refused and fixup_dir answers its 403, where express.static would send it
  write('indexdeny/.htaccess', '<Files ~ "\\.(md|html|txt)$">\n  Require all denied\n</Files>\n');
  write('indexdeny/theme/index.html', 'INDEX SECRET\n');
  write('indexok/theme/index.html', 'INDEX OPEN\n');
  // an .htaccess DirectoryIndex without index.html and Options -Indexes (Mibew's root file over
  // styles/pages/default/): mod_dir never looks index.html up, mod_autoindex refuses the folder
  write('indexother/.htaccess', 'Options -Indexes\nDirectoryIndex index.php\n');
  write('indexother/theme/index.html', 'OTHER SECRET\n');
  const handler = site({ root, fallthrough: false, log: (m) => logged.push(m) });
  siteServer = http.createServer((req, res) => handler(req, res));
  app = express();
  app.use(htaccess({ root, log: (m) => logged.push(m) }));
  app.use(express.static(root, { dotfiles: 'allow' }));
});
afterAll(() => {
  siteServer.close();
  rmSync(tmp, { recursive: true, force: true });
});

const CASES: [string, number, string][] = [
  ['/drupal/composer.json', 403, 'DRUPAL COMPOSER'],
  ['/drupal/core/core.services.yml', 403, 'DRUPAL YML'],
  ['/drupal/.env', 403, 'DRUPAL ENV'],
  ['/drupal/index.php', 200, 'DRUPAL FRONT'],
  ['/drupal/robots.txt', 200, 'DRUPAL ROBOTS'],
  ['/magento/cron.php', 403, 'MAGENTO CRON'],
  ['/magento/index.php', 200, 'MAGENTO FRONT'],
  ['/phpbb/config.php', 403, 'PHPBB CONFIG'],
  ['/phpbb/index.php', 200, 'PHPBB FRONT'],
  ['/rewrite/go', 403, 'REWRITE SECRET'],
  ['/rewrite/secret.txt', 403, 'REWRITE OPEN'],
  ['/rewrite/open.txt', 200, 'REWRITE OPEN'],
  ['/broken/file.txt', 500, 'BROKEN SECRET'],
  ['/unsupported/file.txt', 500, 'UNSUPPORTED SECRET'],
  // Apache's 401 (case 496): the password file is read only once credentials are sent
  ['/password/file.txt', 401, 'PASSWORD SECRET'],
  ['/iphost/file.txt', 403, 'IPHOST SECRET'],
  ['/local/file.txt', 200, 'LOCAL OPEN'],
  ['/remote/file.txt', 403, 'REMOTE SECRET'],
  ['/indexdeny/theme/', 403, 'INDEX SECRET'],
  ['/indexok/theme/', 200, 'INDEX OPEN'],
  ['/indexother/theme/', 403, 'OTHER SECRET'],
];

describe.each([
  ['site()', () => request(siteServer)],
  ['htaccess() + express.static', () => request(app)],
])('%s', (_, agent) => {
  test.each(CASES)('%s → %i', async (path, status, secret) => {
    const res = await agent().get(path);
    expect(res.status).toBe(status);
    if (status === 200) expect(res.text).toBe(secret + '\n');
    else expect(res.text).not.toContain(secret);
  });

  test("the 403 is Apache's page", async () => {
    const res = await agent().get('/drupal/composer.json');
    expect(res.text).toContain('<title>403 Forbidden</title>');
    expect(res.text).toContain("You don't have permission to access this resource.");
  });

  test('a section modrewrite cannot apply is logged with its position', async () => {
    await agent().get('/broken/file.txt');
    expect(logged.join('\n')).toMatch(/RewriteRule inside <FilesMatch> is not supported.*:3:1/);
  });
});
