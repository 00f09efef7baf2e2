/** The `--expect FILE` grammar of `modrewrite test`: lines parsed, outcomes compared. */
import { mismatch, parseExpectations, type Expected } from '../../../lib/cli/expect-file';
import type { Outcome } from '../../../lib/engine/outcome';

test.each<[string, { method?: string; url: string; expected: Expected }]>([
  ['/old  301 /new', { url: '/old', expected: { type: 'status', status: 301, location: '/new' } }],
  ['/x    -> /index.php?q=x', { url: '/x', expected: { type: 'rewrite', url: '/index.php?q=x' } }],
  ['/x    => /index.php', { url: '/x', expected: { type: 'rewrite', url: '/index.php' } }],
  ['/.env 403', { url: '/.env', expected: { type: 'status', status: 403 } }],
  ['/a    pass', { url: '/a', expected: { type: 'pass' } }],
  ['/api/1 proxy http://b/1', { url: '/api/1', expected: { type: 'proxy', target: 'http://b/1' } }],
  ['POST /form 405', { method: 'POST', url: '/form', expected: { type: 'status', status: 405 } }],
  [
    '\t http://a.example/x \t 302 https://b.example/x ',
    {
      url: 'http://a.example/x',
      expected: { type: 'status', status: 302, location: 'https://b.example/x' },
    },
  ],
])('%j', (line, expected) => {
  expect(parseExpectations(`# a comment\n\n${line}\n`, 'list.txt')).toEqual([
    expect.objectContaining({ ...expected, line: 3 }),
  ]);
});

test.each(['/x', '/x maybe', '/x 301 /a /b', '/x -> ', '/x proxy', '/x 99', 'GET'])(
  'malformed %j names file:line',
  (line) => {
    expect(() => parseExpectations(`${line}\n`, 'list.txt')).toThrow(
      /^list\.txt:1: expected 'URL OUTCOME'/,
    );
  },
);

const redirect = (status: number, location: string): Outcome => ({
  type: 'redirect',
  status,
  location,
});
const rewrite = (url: string): Outcome => ({
  type: 'rewrite',
  path: url.replace(/\?.*/, ''),
  args: null,
  url,
});

test.each<[string, Expected, Outcome, string | undefined]>([
  [
    'redirect, path compared with the Location path',
    { type: 'status', status: 301, location: '/new?a=1' },
    redirect(301, 'http://h/new?a=1'),
    undefined,
  ],
  [
    'redirect, full URL compared whole',
    { type: 'status', status: 301, location: 'http://h/new' },
    redirect(301, 'http://other/new'),
    'expected Location http://h/new',
  ],
  [
    'wrong status',
    { type: 'status', status: 302 },
    redirect(301, 'http://h/'),
    'expected status 302',
  ],
  [
    'status only',
    { type: 'status', status: 403 },
    { type: 'status', status: 403, cause: 'flag' },
    undefined,
  ],
  [
    'a location on a non-redirect',
    { type: 'status', status: 403, location: '/x' },
    { type: 'status', status: 403, cause: 'flag' },
    'expected a redirect to /x',
  ],
  [
    'rewrite without ? ignores the query',
    { type: 'rewrite', url: '/index.php' },
    rewrite('/index.php?q=1'),
    undefined,
  ],
  [
    'rewrite with ? compares it',
    { type: 'rewrite', url: '/index.php?q=2' },
    rewrite('/index.php?q=1'),
    'expected -> /index.php?q=2',
  ],
  [
    'rewrite expected, nothing happened',
    { type: 'rewrite', url: '/a' },
    { type: 'pass' },
    'expected a rewrite',
  ],
  ['pass', { type: 'pass' }, { type: 'pass' }, undefined],
  ['pass expected, rewritten', { type: 'pass' }, rewrite('/a'), 'expected no rewrite'],
  [
    'proxy',
    { type: 'proxy', target: 'http://b/1' },
    { type: 'proxy', target: 'http://b/1', noCanon: false },
    undefined,
  ],
])('%s', (_name, expected, outcome, why) => {
  expect(mismatch(expected, outcome)).toBe(why);
});
