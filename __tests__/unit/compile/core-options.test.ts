/**
 * core's Options bits one at a time (core.c set_options, merge_core_dir_configs) and mod_rewrite's
 * per-directory check on FollowSymLinks | SymLinksIfOwnerMatch (case 420).
 */
import { compileText } from '../../../lib/compile/compile';
import { inheritRules } from '../../../lib/compile/inherit';
import {
  FOLLOW_SYMLINKS,
  optionAfter,
  symlinksAllowed,
  SYMLINKS_IF_OWNER,
} from '../../../lib/compile/core-options';

const htaccess = (text: string) =>
  compileText(text, { context: 'directory', siteDirectives: true });

test.each<[string, boolean | undefined, boolean | undefined]>([
  ['-MultiViews', undefined, undefined], // relative: both inherited
  ['-Indexes', undefined, undefined],
  ['Indexes', false, false], // a list without +/- decides every option
  ['None', false, false],
  ['All', true, false], // OPT_ALL has OPT_SYM_LINKS, not OPT_SYM_OWNER
  ['-FollowSymLinks', false, undefined],
  ['+SymLinksIfOwnerMatch', undefined, true],
  ['Indexes FollowSymLinks', true, false],
  ['-FollowSymLinks +SymLinksIfOwnerMatch', false, true],
])('Options %s: FollowSymLinks %s, SymLinksIfOwnerMatch %s', (values, follow, owner) => {
  expect(optionAfter(values.split(' '), FOLLOW_SYMLINKS)).toBe(follow);
  expect(optionAfter(values.split(' '), SYMLINKS_IF_OWNER)).toBe(owner);
});

test.each<[string, string, boolean]>([
  ['Options None', 'Options -MultiViews', false],
  ['Options None', 'Options +SymLinksIfOwnerMatch', true],
  ['Options SymLinksIfOwnerMatch', 'Options -FollowSymLinks', true],
  ['Options All', 'Options -FollowSymLinks', false],
  ['Options -FollowSymLinks', 'Options -Indexes', false],
  ['', 'Options -Indexes', true], // undecided FollowSymLinks is the server default: on
])('%s, then a child with %s: rules allowed %s', (parent, child, allowed) => {
  const merged = inheritRules(htaccess(parent), htaccess(child));
  expect(symlinksAllowed(merged)).toBe(allowed);
});
