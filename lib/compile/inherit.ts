/**
 * Merging a parent and a child configuration the way Apache's config merge does
 * (server → vhost, parent directory → child directory).
 */
import type { RuleSet } from './ruleset.js';

export function inheritRules(parent: RuleSet, child: RuleSet): RuleSet {
  // a child with no mod_rewrite directive at all has no config of its own: the parent's applies
  if (!child.hasRewriteDirectives) return { ...parent, maps: new Map([...parent.maps, ...child.maps]) };
  const options = child.options.size ? child.options : parent.options;
  const down = (o: 'InheritDown' | 'InheritDownBefore'): boolean => parent.options.has(o) && !options.has('IgnoreInherit');
  let rules = child.rules;
  if (options.has('Inherit') || down('InheritDown')) rules = [...child.rules, ...parent.rules];
  else if (options.has('InheritBefore') || down('InheritDownBefore')) rules = [...parent.rules, ...child.rules];
  return {
    ...child,
    engine: child.engine ?? parent.engine,
    options,
    base: child.base ?? (options.has('MergeBase') ? parent.base : undefined),
    rules,
    // maps declared at server level are visible in vhosts and directories
    maps: new Map([...parent.maps, ...child.maps]),
    directorySlash: child.directorySlash ?? parent.directorySlash,
    followSymLinks: child.followSymLinks ?? parent.followSymLinks,
  };
}
