/**
 * Whether a sub-request (or an internal redirect) ends with its parent's (or previous request's)
 * per-directory configuration. Apache's walks (server/request.c `ap_directory_walk`,
 * `ap_location_walk`, `ap_file_walk`, `ap_if_walk`) start from the parent's walk cache
 * (`prep_walk_cache`) and hand back the very same merged configuration when they match the same
 * sections in the same order; `ap_process_request_internal` then skips the access checks: "Skip
 * authn/authz if the parent or prior request passed the authn/authz, and that configuration didn't
 * change" (`r->main->per_dir_config == r->per_dir_config`, the same for `r->prev`).
 *
 * A DirectoryIndex or autoindex sub-request in the listed directory is not checked again, though
 * it inherits the environment mod_env's fixup has set since (recorded, case 340: `Require not env
 * FOO` with `SetEnv FOO`); a per-directory rewrite to a file in the same configuration is not
 * checked either, whatever `Require expr` says of its new URL (case 343).
 *
 * `<If>` sections are compared by holding alike in Apache; here a source with any `<If>` counts as
 * a different configuration (the access check runs, as it did before).
 */
import type { RuleSet } from '../compile/ruleset.js';
import type { DirectoryConfig } from './htaccess-store.js';

/** A request's walked configuration and the name core's file walk tests (`<Files>`). */
export interface WalkIdentity {
  readonly config: DirectoryConfig;
  /** What follows the last `/` of r->filename: empty for a directory named with its slash. */
  readonly fileName: string;
}

/**
 * Whether `sub` merges what `main` merged: the same server sections and `.htaccess` files, and
 * every `<Files>` section of those (and of the server config, `server`) matching both names or
 * neither.
 */
export function sameWalk(
  server: RuleSet | undefined,
  main: WalkIdentity,
  sub: WalkIdentity,
): boolean {
  const a = main.config.walked;
  const b = sub.config.walked;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  const sources = server ? [server, ...a] : a;
  for (const source of sources) {
    const walk = source.fileWalk;
    if (!walk) continue;
    if (walk.ifs) return false;
    for (const test of walk.files) if (test(main.fileName) !== test(sub.fileName)) return false;
  }
  return true;
}

/** The name core's file walk tests for `filename` (`dir/`: empty, as ap_file_walk's strrchr). */
export function walkFileName(filename: string): string {
  return filename.slice(filename.lastIndexOf('/') + 1);
}
