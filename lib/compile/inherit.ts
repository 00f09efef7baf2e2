/**
 * Merging a parent and a child configuration the way Apache's config merge does
 * (server → vhost, parent directory → child directory).
 */
import { joined } from '../common/lists.js';
import { mergeEnv } from './env.js';
import type { RuleSet } from './ruleset.js';
import { mergeAutoindex } from './autoindex.js';
import { mergeMime } from './mime.js';
import { mergeAlias } from './alias.js';

/**
 * The rule set Apache uses for `child` inside `parent` (a vhost in the server, a directory's
 * `.htaccess` under its parent's): the child's own rules, and the parent's as `RewriteOptions`
 * says (a child with no mod_rewrite directive has the parent's).
 * @example
 * const server = compileText('RewriteEngine on\nRewriteOptions Inherit\nRewriteRule ^/a$ /b');
 * const vhost = compileText('RewriteEngine on\nRewriteOptions Inherit\nRewriteRule ^/c$ /d');
 * const merged = inheritRules(server, vhost); // both rules: the vhost's first, then the server's
 */
export function inheritRules(parent: RuleSet, child: RuleSet): RuleSet {
  // a child with no mod_rewrite directive at all has no config of its own: the parent's applies
  // (mod_dir's and core's settings merge on their own)
  if (!child.hasRewriteDirectives)
    return {
      ...parent,
      maps: new Map([...parent.maps, ...child.maps]),
      ...otherModules(parent, child),
    };
  const options = child.options.size ? child.options : parent.options;
  const down = (o: 'InheritDown' | 'InheritDownBefore'): boolean =>
    parent.options.has(o) && !options.has('IgnoreInherit');
  let rules = child.rules;
  if (options.has('Inherit') || down('InheritDown')) rules = [...child.rules, ...parent.rules];
  else if (options.has('InheritBefore') || down('InheritDownBefore'))
    rules = [...parent.rules, ...child.rules];
  return {
    ...child,
    engine: child.engine ?? parent.engine,
    options,
    base: child.base ?? (options.has('MergeBase') ? parent.base : undefined),
    rules,
    // maps declared at server level are visible in vhosts and directories
    maps: new Map([...parent.maps, ...child.maps]),
    ...otherModules(parent, child),
  };
}

/** DirectorySlash, DirectoryIndex (mod_dir) and Options (core): the child's when it set them. */
function otherModules(
  parent: RuleSet,
  child: RuleSet,
): Pick<
  RuleSet,
  | 'directorySlash'
  | 'directoryIndex'
  | 'followSymLinks'
  | 'symLinksIfOwnerMatch'
  | 'defaultCharset'
  | 'addTypes'
  | 'addEncodings'
  | 'filesScoped'
  | 'env'
  | 'indexes'
  | 'multiViews'
  | 'autoindex'
  | 'headers'
  | 'expires'
  | 'mime'
  | 'filesMime'
  | 'alias'
  | 'fallbackResource'
  | 'directoryIndexRedirect'
  | 'ifRewrites'
> {
  return {
    directorySlash: child.directorySlash ?? parent.directorySlash,
    defaultCharset: child.defaultCharset ?? parent.defaultCharset,
    // mod_mime merges per extension: the child's mapping of an extension wins
    addTypes: overlay(parent.addTypes, child.addTypes),
    addEncodings: overlay(parent.addEncodings, child.addEncodings),
    directoryIndex: child.directoryIndex ?? parent.directoryIndex,
    // core merges each option on its own: a relative Options keeps the parent's others
    followSymLinks: child.followSymLinks ?? parent.followSymLinks,
    symLinksIfOwnerMatch: child.symLinksIfOwnerMatch ?? parent.symLinksIfOwnerMatch,
    // core merges the <Files> sections of every directory on the way, the parents' first
    filesScoped: joined(parent.filesScoped, child.filesScoped),
    env: mergeEnv(parent.env, child.env),
    indexes: child.indexes ?? parent.indexes,
    multiViews: child.multiViews ?? parent.multiViews,
    autoindex: mergeAutoindex(parent.autoindex, child.autoindex),
    // mod_headers and mod_expires: the parent's entries first, then the child's
    // (merge_headers_config)
    headers: joined(parent.headers, child.headers),
    expires: joined(parent.expires, child.expires),
    mime: mergeMime(parent.mime, child.mime),
    // <Files> sections apply after the directory's settings, the parent's first (core's file walk)
    filesMime:
      parent.filesMime && child.filesMime
        ? [...parent.filesMime, ...child.filesMime]
        : (child.filesMime ?? parent.filesMime),
    alias: mergeAlias(parent.alias, child.alias),
    fallbackResource: child.fallbackResource ?? parent.fallbackResource,
    directoryIndexRedirect: child.directoryIndexRedirect ?? parent.directoryIndexRedirect,
    // core's if walk tests every directory's <If> sections on the way, the parents' first
    ifRewrites: joined(parent.ifRewrites, child.ifRewrites),
  };
}

/**
 * The settings that apply to one file of a directory: the directory's, then every matching
 * `<Files>`/`<FilesMatch>` section's merged over them in order (core's file walk, after the
 * directory walk). `fileName` is the filename's last segment.
 */
export function settingsForFile(ruleSet: RuleSet, fileName: string): RuleSet {
  let merged = ruleSet;
  for (const scope of ruleSet.filesScoped ?? []) {
    if (scope.matches(fileName)) merged = { ...merged, ...fileModules(merged, scope.ruleSet) };
  }
  return merged;
}

/**
 * What a <Files> section can set (parse.ts FILE_SCOPED_DIRECTIVES), merged like a child directory.
 */
function fileModules(
  parent: RuleSet,
  child: RuleSet,
): Pick<RuleSet, 'defaultCharset' | 'addTypes' | 'addEncodings'> {
  return {
    defaultCharset: child.defaultCharset ?? parent.defaultCharset,
    addTypes: overlay(parent.addTypes, child.addTypes),
    addEncodings: overlay(parent.addEncodings, child.addEncodings),
  };
}

function overlay<K, V>(
  parent: ReadonlyMap<K, V> | undefined,
  child: ReadonlyMap<K, V> | undefined,
): ReadonlyMap<K, V> | undefined {
  if (!parent) return child;
  if (!child) return parent;
  return new Map([...parent, ...child]);
}
