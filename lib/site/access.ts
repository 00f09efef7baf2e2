/**
 * Apache's access phase for the `.htaccess` files on a request's way (request.c
 * `ap_process_request_internal`, run after map_to_storage and before the fixups where per-directory
 * rewriting happens): mod_access_compat's host check (`Order`/`Allow`/`Deny`) and mod_authz_core's
 * `Require`, both required (`Satisfy All`, the default; `Satisfy Any` is refused at load).
 *
 * Merging, as Apache's per-directory merge does it: the `.htaccess` files from the document root
 * down, then every matching `<Files>`/`<FilesMatch>` section of those files in order (core's file
 * walk). A section with `Require` lines replaces the inherited ones (AuthMerging Off, the default); a
 * section with any mod_access_compat directive replaces that module's whole configuration (the
 * module has no merge function). The base is the document root's `Require all granted` (Debian's
 * `<Directory /var/www/>`), with no host rules.
 */
import type { AccessConfig, AccessSection, CompatConfig, HostRule } from '../compile/access.js';

/** The name core's file walk matches `<Files>` against: what follows the last `/` of the filename. */
export function fileNameOf(filename: string): string {
  return filename.slice(filename.lastIndexOf('/') + 1);
}

/** Whether the access rules in `chain` (root → deepest directory) deny `filename`. */
export function accessDenied(
  chain: readonly AccessConfig[],
  filename: string,
  env: ReadonlyMap<string, string>,
): boolean {
  if (!chain.length) return false;
  let require: readonly boolean[] | undefined;
  let compat: CompatConfig | undefined;
  const apply = (section: AccessSection): void => {
    if (section.require) require = section.require;
    if (section.compat) compat = section.compat;
  };
  for (const config of chain) apply(config.directory);
  const name = fileNameOf(filename);
  for (const config of chain)
    for (const files of config.files) if (files.matches(name)) apply(files.access);
  // the implicit <RequireAny>: one `Require all granted` grants
  const granted = require ? require.some((g) => g) : true;
  return !granted || (compat !== undefined && !compatAllows(compat, env));
}

/** mod_access_compat's `check_dir_access`. */
function compatAllows(compat: CompatConfig, env: ReadonlyMap<string, string>): boolean {
  const allowed = compat.allows.some((r) => hostMatches(r, env));
  const denied = compat.denys.some((r) => hostMatches(r, env));
  if (compat.order === 'allow,deny') return allowed && !denied;
  if (compat.order === 'deny,allow') return allowed || !denied;
  return allowed && !denied;
}

/** `find_allowdeny` for the rules modrewrite accepts; env names are case-insensitive (apr_table). */
function hostMatches(rule: HostRule, env: ReadonlyMap<string, string>): boolean {
  if (rule.kind === 'all') return true;
  const wanted = rule.name.toLowerCase();
  let present = false;
  for (const key of env.keys()) if (key.toLowerCase() === wanted) present = true;
  return present !== rule.negate;
}
