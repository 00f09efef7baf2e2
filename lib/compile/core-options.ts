/**
 * core's `Options` (server/core.c set_options and merge_core_dir_configs), one option at a time.
 * Each option is on, off, or not decided here (undefined: the parent's state carries through).
 */

/**
 * Whether the `Options` values turn the option named by `keywords` on (true), off (false) or
 * leave it alone (undefined). A list without +/- sets d->opts from OPT_NONE, so every option is
 * decided (on only if named, or `All`); `+X`/`-X` set X alone; other relative keywords keep it
 * (merge_core_dir_configs applies only opts_add and opts_remove of a relative context).
 * `keywords`: the lower-case keywords whose bits include the option (`all` for OPT_ALL's).
 */
export function optionAfter(
  values: readonly string[],
  keywords: readonly string[],
): boolean | undefined {
  let on: boolean | undefined;
  values.forEach((v, i) => {
    const action = v[0] === '+' || v[0] === '-' ? v[0] : '';
    const name = (action ? v.slice(1) : v).toLowerCase();
    if (i === 0 && !action) on = false;
    if (keywords.includes(name)) on = action !== '-';
    else if (name === 'none') on = false;
  });
  return on;
}

/** OPT_SYM_LINKS: `FollowSymLinks`, and `All` (OPT_ALL includes it). */
export const FOLLOW_SYMLINKS = ['followsymlinks', 'all'];

/** OPT_MULTI: `MultiViews`, and `RunScripts` (OPT_MULTI|OPT_EXECCGI); `All` leaves it out. */
export const MULTIVIEWS = ['multiviews', 'runscripts'];

/** OPT_SYM_OWNER: `SymLinksIfOwnerMatch` only (OPT_ALL leaves it out). */
export const SYMLINKS_IF_OWNER = ['symlinksifownermatch'];

/**
 * mod_rewrite's hook_fixup check `ap_allow_options(r) & (OPT_SYM_LINKS | OPT_SYM_OWNER)`: per
 * directory rules run only with either on. Undecided FollowSymLinks is on (the server default,
 * create_core_dir_config's OPT_SYM_LINKS); undecided SymLinksIfOwnerMatch is off.
 */
export function symlinksAllowed(settings: {
  readonly followSymLinks?: boolean;
  readonly symLinksIfOwnerMatch?: boolean;
}): boolean {
  return (settings.followSymLinks ?? true) || settings.symLinksIfOwnerMatch === true;
}
