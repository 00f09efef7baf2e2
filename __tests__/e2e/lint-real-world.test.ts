/**
 * `lint()` over the stock .htaccess files of the real-world corpus (conformance/real-world/*.json):
 * no error and no warning on any of them (they work on Apache as shipped), and the info findings
 * they do have. MR101 infos (polynomial backtracking) depend on how far recheck gets within its
 * time budget on a busy machine, so they are checked for severity only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lintSync } from '../../lib/lint/lint';
import { recheckAnalyser, type RedosAnalyser } from '../../lib/lint/redos';

const dir = join(__dirname, '../../conformance/real-world');
const projects = readdirSync(dir)
  .filter((f) => f.endsWith('.json') && f !== 'floor.json')
  .map((f) => f.replace(/\.json$/, ''));

/** The findings other than MR101, as `code@line`. */
const EXPECTED = new Map<string, string[]>([
  ['abantecart', ['MR002@58']],
  ['backdrop', ['MR304@147', 'MR304@152']],
  ['bagisto', ['MR002@40']],
  ['cakephp2', ['MR301@7']],
  ['chamilo', ['MR304@31', 'MR304@36', 'MR304@43', 'MR304@62', 'MR304@79', 'MR304@81']],
  ['cmsms', ['MR002@79']],
  ['cockpit', ['MR002@136']],
  ['codeigniter4', ['MR304@34']],
  ['cotonti', ['MR304@27']],
  ['croogo', ['MR301@4']],
  ['dolphin', ['MR304@14', 'MR304@80', 'MR304@81']],
  ['drupal', ['MR304@156', 'MR304@161']],
  ['drupal-files', ['MR002@5', 'MR002@8']],
  ['drupal8', ['MR304@163', 'MR304@168']],
  ['e107', ['MR002@105']],
  ['ec-cube', ['MR304@82']],
  ['elgg', ['MR002@79', 'MR304@169']],
  ['fatfree', ['MR304@15']],
  ['flarum', ['MR304@22', 'MR002@89']],
  ['forkcms', ['MR002@150']],
  ['fossbilling', ['MR304@59']],
  ['freshrss', ['MR002@24']],
  ['glpi', ['MR304@9']],
  ['grocy', ['MR304@4']],
  ['h5bp', ['MR002@862']],
  ['horde', ['MR304@17']],
  ['htmly', ['MR002@114']],
  ['humhub', ['MR002@48']],
  ['invoiceninja', ['MR301@7', 'MR002@119']],
  ['joomla', ['MR304@146', 'MR304@152']],
  ['kanboard', ['MR304@22']],
  ['kirby', ['MR002@50']],
  ['kirby3', ['MR002@50']],
  ['koel', ['MR002@74']],
  ['leantime', ['MR301@2']],
  ['librenms', ['MR002@9']],
  ['litecart', ['MR304@60', 'MR002@84']],
  ['magento2-media', ['MR002@11']],
  ['mantisbt', ['MR304@4', 'MR002@7']],
  ['matomo', ['MR002@27']],
  ['mautic', ['MR002@65']],
  ['mibew', ['MR304@39', 'MR304@45']],
  ['microweber', ['MR002@2', 'MR304@86']],
  ['monstra', ['MR304@44']],
  ['moodle', ['MR001@30', 'MR001@31', 'MR001@32', 'MR001@33', 'MR001@34', 'MR001@46', 'MR001@47']],
  ['mybb', ['MR002@61']],
  ['nette', ['MR002@40']],
  ['ojs', ['MR304@5']],
  ['openemr', ['MR304@19']],
  ['openmage-folders', ['MR002@17']],
  ['owncloud', ['MR304@64']],
  ['pagekit', ['MR002@92']],
  ['phpbb', ['MR304@29']],
  ['phpipam', ['MR304@6']],
  [
    'phpmyfaq',
    ['MR002@49', 'MR304@132', 'MR304@135', 'MR304@137', 'MR304@139', 'MR304@141', 'MR304@142'],
  ],
  ['phpservermon', ['MR002@11']],
  ['pimcore', ['MR002@127']],
  ['postfixadmin', ['MR001@2']],
  ['prestashop', ['MR403@38', 'MR403@39', 'MR403@40', 'MR403@44']],
  ['pyrocms', ['MR002@92']],
  ['roundcube', ['MR002@9']],
  ['roundcube-root', ['MR002@19']],
  ['selfoss', ['MR002@104']],
  ['shopware5', ['MR304@25', 'MR002@71']],
  ['slim', ['MR304@28']],
  ['snappymail', ['MR304@12', 'MR002@49']],
  ['snappymail-2021', ['MR002@42']],
  ['spip', ['MR304@77', 'MR304@97']],
  ['subrion', ['MR002@49']],
  ['thelia', ['MR304@37', 'MR002@59']],
  ['thinkphp', ['MR304@7']],
  ['tiki', ['MR002@38']],
  ['typemill', ['MR304@40', 'MR304@69']],
  ['typo3', ['MR002@48']],
  ['userfrosting', ['MR304@38', 'MR002@65']],
  ['uvdesk', ['MR304@4']],
  ['vokuro', ['MR301@8']],
  ['wackowiki', ['MR304@13']],
  ['xoops', ['MR002@2']],
  [
    'yetiforce',
    ['MR303@18', 'MR302@18', 'MR303@19', 'MR302@19', 'MR303@20', 'MR303@21', 'MR201@23'],
  ],
  ['zenario', ['MR002@42', 'MR304@68', 'MR304@69', 'MR304@72']],
  ['zencart', ['MR002@64']],
  ['zenphoto', ['MR304@22']],
]);

let redos: RedosAnalyser;
beforeAll(async () => {
  // a shorter budget than the CLI's: only the absence of exponential findings is asserted here
  redos = await recheckAnalyser(500);
});

test('the corpus is there', () => {
  expect(projects.length).toBeGreaterThanOrEqual(18);
});

/**
 * The files that do not work on Apache as shipped, and the errors and warnings that say so:
 * Moodle's sample needs mod_php (php_flag, php_value: Apache answers 500), Postfix Admin's 2007
 * admin/ file mod_authz_groupfile (AuthGroupFile, which Debian does not load); YetiForce's
 * `.well-known` redirects are relative without a RewriteBase (Apache puts the document root's
 * filesystem path in the Location) and its last rule never runs.
 */
const BROKEN = new Map<string, string[]>([
  ['moodle', ['MR001@30', 'MR001@31', 'MR001@32', 'MR001@33', 'MR001@34', 'MR001@46', 'MR001@47']],
  ['postfixadmin', ['MR001@2']],
  [
    'yetiforce',
    ['MR303@18', 'MR302@18', 'MR303@19', 'MR302@19', 'MR303@20', 'MR303@21', 'MR201@23'],
  ],
]);

test.each(projects)(
  '%s: no error, no warning (but the known broken files), the known infos',
  (project) => {
    const { htaccess } = JSON.parse(readFileSync(join(dir, `${project}.json`), 'utf8')) as {
      htaccess: string;
    };
    const r = lintSync(htaccess, { file: '.htaccess', redos });
    expect(r.context).toBe('directory');
    const problems = r.diagnostics.filter((d) => d.severity !== 'info');
    expect(problems.map((d) => `${d.code}@${d.line}`)).toEqual(BROKEN.get(project) ?? []);
    const others = r.diagnostics.filter((d) => d.code !== 'MR101');
    expect(others.map((d) => `${d.code}@${d.line}`)).toEqual(EXPECTED.get(project) ?? []);
  },
  120000,
);
