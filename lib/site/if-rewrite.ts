/**
 * mod_rewrite inside `<If>` sections of an `.htaccess` (recorded from Apache 2.4.71, case 461).
 * core's if walk runs after the directory walk and merges each held section's configuration over
 * the request's; mod_rewrite's per-directory merge (config_perdir_merge) then takes the section's
 * rules (the file's are appended only under `RewriteOptions Inherit`) and the section's path as
 * its directory. core names that path "*If", so:
 *
 * - the rules see the whole filename (the "*If/" prefix is never there to strip): `^a$` never
 *   matches, `/dir/a$` does;
 * - a relative substitution becomes "*If/…", which hook_fixup answers with 400;
 * - while the section holds, the file's own rules do not run.
 */
import type { CompiledWhen } from '../compile/env.js';
import { inheritRules } from '../compile/inherit.js';
import type { RuleSet } from '../compile/ruleset.js';

/** The directory mod_rewrite's create_dir_config makes of core's "*If" section path. */
export const IF_SECTION_DIR = '*If/';

export interface RewriteConfig {
  readonly ruleSet: RuleSet | undefined;
  readonly rewriteDir: string;
}

/** The request's mod_rewrite config once the held `<If>` sections are merged over it. */
export function withHeldIfRewrites(
  config: RewriteConfig,
  holds: (when: CompiledWhen) => boolean,
): RewriteConfig {
  const sections = config.ruleSet?.ifRewrites;
  if (!sections) return config;
  let ruleSet = config.ruleSet!;
  let rewriteDir = config.rewriteDir;
  for (const section of sections) {
    if (!holds(section.when)) continue;
    ruleSet = inheritRules(ruleSet, section.ruleSet);
    rewriteDir = IF_SECTION_DIR;
  }
  return { ruleSet, rewriteDir };
}
