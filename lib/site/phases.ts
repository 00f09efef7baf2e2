/**
 * Two small decisions of Apache's phase order that the pipeline (pipeline.ts) asks about:
 * - the stock configuration's `<FilesMatch "^\.ht">Require all denied</FilesMatch>` is an access
 *   check, made before the fixups (per-directory rewriting): `/.htaccess` is 403 whatever the
 *   rules would do with it (recorded, case 172);
 * - mod_rewrite's hook_fixup declines the rules of a directory's own `.htaccess` when the URL
 *   names that directory without its trailing slash (modules/mappers/mod_rewrite.c, "allowing
 *   mod_dir to direct the client to the canonical URL"), unless `RewriteOptions AllowNoSlash`.
 */
import type { RuleSet } from '../compile/ruleset.js';
import { fileNameOf } from './access.js';

/** The file walk's name (what follows the last `/`) starts with `.ht`. */
export function htFileDenied(filename: string): boolean {
  return fileNameOf(filename).startsWith('.ht');
}

/** The request maps to the directory whose `.htaccess` holds the rules, named without its slash. */
export function declinesNoSlash(
  rs: RuleSet,
  rewriteDir: string,
  mapped: { readonly filename: string; readonly pathInfo: string },
): boolean {
  if (rs.options.has('AllowNoSlash')) return false;
  return !mapped.pathInfo && `${mapped.filename}/` === rewriteDir;
}
