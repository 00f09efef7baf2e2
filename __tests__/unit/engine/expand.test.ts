/**
 * lib/engine/expand.ts: do_expand at request time (apache-semantics.md §1.5): one left-to-right
 * pass whose results are never re-scanned; $N/%N inserted decoded (escaped only with B…); maps
 * with defaults; unknown maps and variables are empty.
 */
import { compile } from '../../../lib/compile/compile';
import { serverOutcome } from '../../helpers/evaluate';

const withMaps = (text: string) =>
  compile(text, {
    maps: {
      user: (key: string) => (key === 'alice' ? 'u1' : key === 'blank' ? '' : undefined),
      echo: (key: string) => key,
    },
  });

test.each([
  ['RewriteRule ^/a/(.*)/(.*)$ /b/$2/$1', '/a/x/y', 'rewrite /b/y/x'],
  ['RewriteRule ^/(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)$ /$10', '/abcdefghij', 'rewrite /a0'], // $10 is $1 then 0
  ['RewriteRule ^/(a)?b$ /x$1y', '/b', 'rewrite /xy'], // a group that did not take part: empty
  ['RewriteRule ^/(.*)$ /\\$1', '/q', 'rewrite /$1'],
  ['RewriteRule ^/(.*)$ /100\\%', '/q', 'rewrite /100%'],
  ['RewriteRule ^/(.*)$ /%{REQUEST_METHOD}/$1', '/q', 'rewrite /GET/q'],
  ['RewriteRule ^/(.*)$ /%{NO_SUCH_VARIABLE}x', '/q', 'rewrite /x'],
  ['RewriteRule ^/(.*)$ /${user:$1}', '/alice', 'rewrite /u1'],
  ['RewriteRule ^/(.*)$ /${user:$1|anon}', '/bob', 'rewrite /anon'],
  ['RewriteRule ^/(.*)$ /${user:$1|anon}', '/blank', 'rewrite /anon'], // empty value: the default
  ['RewriteRule ^/(.*)$ /${user:$1}x', '/bob', 'rewrite /x'], // not found, no default: empty
  ['RewriteRule ^/(.*)$ /${nosuchmap:$1|d}', '/q', 'rewrite /d'],
  ['RewriteRule ^/(.*)$ /${echo:${echo:$1}}', '/q', 'rewrite /q'],
  ['RewriteRule ^/(.*)$ /${noclose:$1', '/q', 'rewrite /${noclose:q'],
  // results are never re-scanned: a $1 or %{…} inside a value stays text
  ['RewriteRule ^/(.*)$ /x?v=$1', '/%2524%7BREQUEST_METHOD%7D', 'rewrite /x?v=%24{REQUEST_METHOD}'],
  ['RewriteRule ^/(.*)$ /${echo:%{HTTP_X}}', '/q', 'rewrite /'],
  ['RewriteRule ^/(.*)$ /s/$1 [B]', '/a b&c', 'rewrite /s/a+b%26c'],
  ['RewriteRule ^/(.*)$ /s/%{REQUEST_URI} [B]', '/a b', 'rewrite /s//a b'], // B: back-references only
])('%j on %s → %s', (rules, target, expected) => {
  expect(serverOutcome(withMaps(rules), target.replace(/ /g, '%20'))).toBe(expected);
});
