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
 * An ErrorDocument's request is r->prev's successor too: in a directory that denies every request,
 * the ErrorDocument of the same configuration is served (case 330).
 *
 * `<If>` sections are compared by holding alike (ap_if_walk): the request's walk carries what each
 * `<If>` chain of its configuration gave (`ifs`); without it, a source with any `<If>` counts as a
 * different configuration (the access check runs).
 */
import type { CompiledWhen, Scope } from '../compile/env.js';
import type { RuleSet } from '../compile/ruleset.js';
import type { DirectoryConfig } from './htaccess-store.js';
import { htFileDenied } from './phases.js';

/** A request's walked configuration and the name core's file walk tests (`<Files>`). */
export interface WalkIdentity {
  readonly config: DirectoryConfig;
  /** What follows the last `/` of r->filename: empty for a directory named with its slash. */
  readonly fileName: string;
  /** Whether each `<If>` chain of the configuration (ifChainsOf) held for the request. */
  readonly ifs?: readonly boolean[];
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
  // Debian's stock <FilesMatch "^\.ht"> is one more <Files> section
  if (htFileDenied(main.fileName) !== htFileDenied(sub.fileName)) return false;
  const sources = server ? [server, ...a] : a;
  let ifs = false;
  for (const source of sources) {
    const walk = source.fileWalk;
    if (!walk) continue;
    if (walk.ifs) ifs = true;
    for (const test of walk.files) if (test(main.fileName) !== test(sub.fileName)) return false;
  }
  return !ifs || sameHeld(main.ifs, sub.ifs);
}

function sameHeld(a: readonly boolean[] | undefined, b: readonly boolean[] | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false;
  return a.every((v, i) => v === b[i]);
}

/** The `<If>` chains of each configuration (made once: the access phase asks on every request). */
const chainsOf = new WeakMap<DirectoryConfig, readonly CompiledWhen[]>();

/** Every `<If>` chain of the configuration and the server's, whichever module's lines it holds. */
export function ifChainsOf(
  config: DirectoryConfig,
  server: RuleSet | undefined,
): readonly CompiledWhen[] {
  const known = chainsOf.get(config);
  if (known) return known;
  const chains: CompiledWhen[] = [];
  for (const a of config.access) for (const i of a.ifs ?? []) chains.push(i.when);
  for (const rs of [server, config.ruleSet]) {
    if (!rs) continue;
    for (const h of rs.headers ?? []) if (h.ifChain) chains.push(h.ifChain);
    for (const list of envLists(rs)) for (const e of list) if (e.when) chains.push(e.when);
  }
  chainsOf.set(config, chains);
  return chains;
}

/** mod_setenvif's, mod_env's and ErrorDocument's lines, each with its `<Files>`/`<If>` scope. */
function envLists(rs: RuleSet): readonly (readonly Scope[])[] {
  const env = rs.env;
  return env ? [env.setEnvIf, env.vars, env.errorDocuments, env.signatures] : [];
}

/** The name core's file walk tests for `filename` (`dir/`: empty, as ap_file_walk's strrchr). */
export function walkFileName(filename: string): string {
  return filename.slice(filename.lastIndexOf('/') + 1);
}
