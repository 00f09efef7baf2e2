/**
 * Merging a parent and a child configuration the way Apache's config merge does
 * (server → vhost, parent directory → child directory).
 */
import type { RuleSet } from './ruleset.js';
import { mergeAlias } from './alias.js';

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
  | 'defaultCharset'
  | 'addTypes'
  | 'addEncodings'
  | 'alias'
  | 'fallbackResource'
> {
  return {
    directorySlash: child.directorySlash ?? parent.directorySlash,
    defaultCharset: child.defaultCharset ?? parent.defaultCharset,
    // mod_mime merges per extension: the child's mapping of an extension wins
    addTypes: overlay(parent.addTypes, child.addTypes),
    addEncodings: overlay(parent.addEncodings, child.addEncodings),
    directoryIndex: child.directoryIndex ?? parent.directoryIndex,
    followSymLinks: child.followSymLinks ?? parent.followSymLinks,
    alias: mergeAlias(parent.alias, child.alias),
    fallbackResource: child.fallbackResource ?? parent.fallbackResource,
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
