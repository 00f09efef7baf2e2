/**
 * The merge order of the server config's sections (server/request.c ap_directory_walk,
 * ap_location_walk; core_reorder_directories), as recorded in conformance case 200: plain
 * `<Directory>` sections level by level (shortest first, config order within a level) before each
 * level's `.htaccess`, the regex ones after the walk sorted by their number of `/`, `<Location>`
 * last in config order.
 */
import { compileText } from '../../../lib/compile/compile';
import type { CompiledSection } from '../../../lib/compile/directory-sections';
import type { RuleSet } from '../../../lib/compile/ruleset';
import { parseAllowOverride, OVERRIDE_ALL } from '../../../lib/syntax/directory-sections';
import {
  ancestorsOf,
  applyOverride,
  DirectoryWalk,
  OVERRIDE_NONE,
} from '../../../lib/site/directory-walk';
import type { DirectoryConfig } from '../../../lib/site/htaccess-store';

/** Sections whose body is `Header set X-<tag> 1`: the header name tells which section merged where. */
function sections(config: string): readonly CompiledSection[] {
  const rs = compileText(config, { context: 'server', siteDirectives: true });
  return rs.sections ?? [];
}
const tagOf = (rs: RuleSet | undefined): string[] =>
  (rs?.headers ?? []).map((h) => h.name.slice(2).toLowerCase());
const section = (opener: string, arg: string, tag: string, extra = ''): string =>
  `<${opener} ${arg}>\n  Header set X-${tag} 1\n${extra}</${opener.split(' ')[0]}>\n`;

const CONFIG = [
  section('LocationMatch', '"^/sub"', 'lm'),
  section('Location', '/sub', 'loc'),
  section('DirectoryMatch', '"/sub/"', 'dm'),
  section('Directory', '~ "/s[u]b"', 'rx'),
  section('Directory', '/srv/www/sub', 'dir-sub'),
  section('Directory', '"/srv/www/s*"', 'dir-wild'),
  section('Directory', '/srv/www', 'dir-root', '  AllowOverride FileInfo\n'),
  section('Directory', '/', 'slash', '  AllowOverride None\n'),
  section('Directory', '/srv', 'srv'),
  section('Directory', '/srv/www/sub/deep', 'dir-deep', '  AllowOverride None\n'),
].join('');

const names = (list: readonly CompiledSection[]): string[] =>
  list.map((s) => s.section.opener + ' ' + s.section.pattern);

describe('DirectoryWalk.plan: the plain <Directory> sections per level, and AllowOverride', () => {
  const walk = new DirectoryWalk(sections(CONFIG));
  const dirs = ['/srv/www/', '/srv/www/sub/', '/srv/www/sub/deep/'];

  test('level 0 (the document root) takes the sections above it first: / then /srv/ then its own', () => {
    const plan = walk.plan(dirs);
    expect(names(plan.sections[0])).toEqual([
      '<Directory /',
      '<Directory /srv/',
      '<Directory /srv/www/',
    ]);
    expect(names(plan.sections[1])).toEqual([
      '<Directory /srv/www/sub/',
      '<Directory /srv/www/s*/',
    ]);
    expect(names(plan.sections[2])).toEqual(['<Directory /srv/www/sub/deep/']);
  });

  test('AllowOverride: the root starts from site()’s default, then each level’s sections replace it', () => {
    const plan = walk.plan(dirs);
    expect([...plan.overrides[0].classes]).toEqual(['FileInfo']);
    expect([...plan.overrides[1].classes]).toEqual(['FileInfo']);
    expect(plan.overrides[2].classes.size).toBe(0);
  });

  test('without AllowOverride in the config the root keeps All (or None for htaccess: false)', () => {
    const plain = sections(section('Directory', '/srv/www/x', 'x'));
    expect(new DirectoryWalk(plain).plan(['/srv/www/']).overrides[0]).toBe(OVERRIDE_ALL);
    expect(new DirectoryWalk(plain, OVERRIDE_NONE).plan(['/srv/www/']).overrides[0]).toBe(
      OVERRIDE_NONE,
    );
  });
});

describe('DirectoryWalk.late: regex sections, then <Location> in config order', () => {
  const walk = new DirectoryWalk(sections(CONFIG));
  const base: DirectoryConfig = { ruleSet: undefined, rewriteDir: '/srv/www/', access: [] };

  test('regex sections sorted by their number of slashes (rx before dm), Location last', () => {
    const merged = walk.late(base, '/srv/www/sub/a.txt', false, '/sub/a.txt');
    expect(tagOf(merged.ruleSet)).toEqual(['rx', 'dm', 'lm', 'loc']);
  });

  test('no URL-path: the Location sections are not applied; nothing matched: the same object', () => {
    expect(tagOf(walk.late(base, '/srv/www/sub/a.txt', false, undefined).ruleSet)).toEqual([
      'rx',
      'dm',
    ]);
    expect(walk.late(base, '/srv/www/other.txt', false, '/other.txt')).toBe(base);
  });

  test('a merged configuration is computed once per set of matches', () => {
    const a = walk.late(base, '/srv/www/sub/a.txt', false, '/sub/a.txt');
    const b = walk.late(base, '/srv/www/sub/b.txt', false, '/sub/b.txt');
    expect(b).toBe(a);
  });

  test('a broken .htaccess stays broken whatever the sections say', () => {
    const failed: DirectoryConfig = {
      ...base,
      failure: { status: 500, file: '/srv/www/.htaccess', error: new Error('x') },
    };
    expect(walk.late(failed, '/srv/www/sub/a.txt', false, '/sub/a.txt')).toBe(failed);
  });
});

describe('helpers', () => {
  test.each([
    ['/srv/www/', ['/', '/srv/']],
    ['/', []],
    ['/a/', ['/']],
  ])('ancestorsOf(%s)', (root, expected) => {
    expect(ancestorsOf(root)).toEqual(expected);
  });

  test('applyOverride: AllowOverride replaces the classes, AllowOverrideList the list', () => {
    const fileInfo = parseAllowOverride(['FileInfo']) as typeof OVERRIDE_ALL;
    const withList = applyOverride(OVERRIDE_ALL, { list: new Set(['header']) });
    expect(withList.classes).toBe(OVERRIDE_ALL.classes);
    expect(withList.list).toEqual(new Set(['header']));
    const both = applyOverride(withList, { spec: fileInfo });
    expect([...both.classes]).toEqual(['FileInfo']);
    expect(both.list).toEqual(new Set(['header']));
    expect(applyOverride(both, { list: null }).list).toBeUndefined();
    expect(applyOverride(both, undefined)).toBe(both);
  });
});
