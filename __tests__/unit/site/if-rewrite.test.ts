/**
 * How a held `<If>` section's mod_rewrite config is merged over the directory's (ap_if_walk, then
 * config_perdir_merge; recorded from Apache 2.4.71 in conformance case 461).
 */
import { compileText } from '../../../lib/compile/compile';
import type { CompiledWhen } from '../../../lib/compile/env';
import { IF_SECTION_DIR, withHeldIfRewrites } from '../../../lib/site/if-rewrite';

const compileDir = (text: string) =>
  compileText(text, { context: 'directory', siteDirectives: true });
const patterns = (rs: ReturnType<typeof compileDir> | undefined) => rs?.rules.map((r) => r.pattern);

describe('withHeldIfRewrites', () => {
  const text =
    'RewriteEngine On\nRewriteRule ^b$ out.txt\n' +
    '<If "%{QUERY_STRING} == \'a\'">\n  RewriteRule /a$ /in.txt\n</If>\n' +
    '<If "%{QUERY_STRING} == \'b\'">\n  RewriteOptions Inherit\n  RewriteRule /z$ /in.txt\n</If>\n';
  const rs = compileDir(text);
  const config = { ruleSet: rs, rewriteDir: '/srv/www/d/' };
  const only =
    (index: number) =>
    (when: CompiledWhen): boolean =>
      rs.ifRewrites![index]!.when === when;

  test('no section holds: the directory keeps its own rules and prefix', () => {
    const held = withHeldIfRewrites(config, () => false);
    expect(held.ruleSet).toBe(rs);
    expect(held.rewriteDir).toBe('/srv/www/d/');
  });

  test("a held section replaces the directory's rules and its prefix becomes *If/", () => {
    const held = withHeldIfRewrites(config, only(0));
    expect(patterns(held.ruleSet)).toEqual(['/a$']);
    expect(held.rewriteDir).toBe(IF_SECTION_DIR);
    expect(held.ruleSet?.engine).toBe(true);
  });

  test("RewriteOptions Inherit in the section appends the directory's rules after its own", () => {
    const held = withHeldIfRewrites(config, only(1));
    expect(patterns(held.ruleSet)).toEqual(['/z$', '^b$']);
  });

  test('RewriteEngine Off in a held section turns the engine off', () => {
    const off = compileDir(
      'RewriteEngine On\nRewriteRule ^a$ b\n<If "true">\n  RewriteEngine Off\n</If>\n',
    );
    const held = withHeldIfRewrites({ ruleSet: off, rewriteDir: '/d/' }, () => true);
    expect(held.ruleSet?.engine).toBe(false);
  });
});
