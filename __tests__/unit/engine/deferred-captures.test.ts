/**
 * lib/engine/apply.ts: a rule whose conditions never read `$N` only tests its pattern and takes
 * the captures once the conditions hold (no match array for the requests they turn away). The
 * outcome must be the one the eager path gives: with a trace the engine always takes the captures
 * first, so every row is evaluated both ways and compared with the expected outcome.
 */
import { compile } from '../../../lib/compile/compile';
import { evaluateServer } from '../../../lib/engine/evaluate';
import type { Evaluation } from '../../../lib/engine/outcome';
import { parseTarget } from '../../../lib/engine/request';
import { requestView, serverOutcome } from '../../helpers/evaluate';

/** The same evaluation as serverOutcome, with tracing on (the eager path); outcome and env. */
function traced(rules: string, target: string, host: string): string {
  const parsed = parseTarget(target);
  if (parsed.type === 'refused') throw new Error(target);
  const lines: string[] = [];
  const r = evaluateServer(compile(rules), {
    view: requestView(target, { host }),
    server: { documentRoot: '/srv/www', serverName: 'www.example.com' },
    uri: parsed.uri,
    args: parsed.args,
    fs: { stat: () => undefined, lstat: () => undefined } as never,
    trace: (line) => lines.push(line),
  }) as Evaluation;
  expect(lines.length).toBeGreaterThan(0);
  const o = r.outcome;
  if (o.type === 'redirect') return `redirect ${o.status} ${o.location}`;
  if (o.type === 'rewrite') return `rewrite ${o.path}${o.args === null ? '' : `?${o.args}`}`;
  if (o.type === 'status') return `status ${o.status}`;
  return o.type;
}

const host = 'RewriteCond %{HTTP_HOST} ^example\\.com$ [NC]';

describe('captures taken after the conditions: the same outcomes as the eager path', () => {
  test.each<[string, string[], string, string, string]>([
    // rule 1 of bench/rules-50.conf: the condition turns most requests away
    [
      'host condition holds',
      [host, 'RewriteRule ^/(.*)$ http://www.example.com/$1 [R=301,L]'],
      '/a/b',
      'EXAMPLE.com',
      'redirect 301 http://www.example.com/a/b',
    ],
    [
      'host condition fails',
      [host, 'RewriteRule ^/(.*)$ http://www.example.com/$1 [R=301,L]'],
      '/a/b',
      'other.test',
      'pass',
    ],
    // %N from the condition and $N from the pattern in one substitution
    [
      '%N and $N',
      ['RewriteCond %{HTTP_HOST} ^(\\w+)\\.test$', 'RewriteRule ^/p/(\\d+)$ /%1/$1'],
      '/p/7',
      'shop.test',
      'rewrite /shop/7',
    ],
    // the condition reads $1: captures before the conditions (not deferred)
    [
      'condition reads $1',
      ['RewriteCond $1 ^a', 'RewriteRule ^/(\\w+)$ /x/$1'],
      '/abc',
      'h.test',
      'rewrite /x/abc',
    ],
    [
      'condition reads $1, fails',
      ['RewriteCond $1 ^a', 'RewriteRule ^/(\\w+)$ /x/$1'],
      '/bcd',
      'h.test',
      'pass',
    ],
    // $1 inside a map key of the condition
    [
      'map key reads $1',
      ['RewriteMap lc int:tolower', 'RewriteCond ${lc:$1} ^abc$', 'RewriteRule ^/(\\w+)$ /y/$1'],
      '/ABC',
      'h.test',
      'rewrite /y/ABC',
    ],
    // a negated pattern has no captures either way
    [
      'negated pattern',
      [host, 'RewriteRule !^/keep /other [L]'],
      '/x',
      'example.com',
      'rewrite /other',
    ],
    [
      'negated pattern, no match',
      [host, 'RewriteRule !^/keep /other [L]'],
      '/keep',
      'example.com',
      'pass',
    ],
    // a literal pattern (string comparison) with a condition
    [
      'literal pattern',
      [host, 'RewriteRule ^/old$ /new [L]'],
      '/old',
      'example.com',
      'rewrite /new',
    ],
    // [OR] chain, then a later rule sees a fresh subject
    [
      '[OR] chain',
      [
        'RewriteCond %{HTTP_HOST} ^a\\.test$ [OR]',
        'RewriteCond %{HTTP_HOST} ^b\\.test$',
        'RewriteRule ^/(.+)$ /or/$1',
        'RewriteRule ^/or/(.*)$ /done/$1 [L]',
      ],
      '/z',
      'b.test',
      'rewrite /done/z',
    ],
  ])('%s', (_name, lines, target, hostHeader, expected) => {
    const rules = lines.join('\n');
    expect(serverOutcome(rules, target, { host: hostHeader })).toBe(expected);
    expect(traced(rules, target, hostHeader)).toBe(expected);
  });
});
