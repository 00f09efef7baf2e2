/**
 * lib/engine/uri.ts and lib/engine/request.ts's parseTarget: mod_rewrite's is_absolute_uri (the
 * scheme list, which ones take a query) and the request-target → r->uri step (ap_normalize_path,
 * then ap_unescape_url; apache-semantics.md §2.7 stage 1).
 */
import { absoluteUri } from '../../../lib/engine/uri';
import { parseTarget, type ParsedTarget } from '../../../lib/engine/request';

describe('absoluteUri: is_absolute_uri (length of the scheme prefix, query support)', () => {
  test.each<[string, number, boolean]>([
    ['http://h/x', 7, true],
    ['HTTPS://h/x', 8, true],
    ['ajp://h/', 6, true],
    ['balancer://c/', 11, true],
    ['fcgi://h/', 7, true],
    ['scgi://h/', 7, true],
    ['h2://h/', 5, true],
    ['h2c://h/', 6, true],
    ['ws://h/', 5, true],
    ['wss://h/', 6, true],
    ['mailto:a@b', 7, true],
    ['ftp://h/x', 6, false], // no query for these schemes: it is forgotten
    ['gopher://h/', 9, false],
    ['ldap://h/', 7, false],
    ['news:group', 5, false],
    ['nntp://h/', 7, false],
    ['unix:/run/s|http://x/', 5, true],
    ['unix:///run/s', 7, true],
    ['/local/path', 0, false],
    ['http:', 0, false], // five characters or fewer: never absolute
    ['file:///etc', 0, false], // not in mod_rewrite's list
    ['javascript:x()', 0, false],
    ['index.php', 0, false],
  ])('%s → skip %i, query %s', (uri, skip, query) => {
    expect(absoluteUri(uri)).toEqual(skip ? { skip, query } : { skip: 0, query: false });
  });

  // absoluteUri remembers its last answer: asked again, or after another URI, it never goes stale
  test.each<[string, string, number, number]>([
    ['ftp://h/x', 'http://h/x', 6, 7],
    ['http://h/x', 'index.php', 7, 0],
    ['unix:///run/s', 'unix:/run/s|http://x/', 7, 5],
    ['mailto:a@b', 'mailto:a@b', 7, 7],
  ])('%s then %s → %i then %i, and again', (first, second, skipFirst, skipSecond) => {
    for (let round = 0; round < 2; round++) {
      expect(absoluteUri(first).skip).toBe(skipFirst);
      expect(absoluteUri(first).skip).toBe(skipFirst);
      expect(absoluteUri(second).skip).toBe(skipSecond);
    }
  });
});

describe('parseTarget: request-target → decoded, normalised r->uri and raw args', () => {
  test.each<[string, ParsedTarget]>([
    ['/a/b?x=1&y', { type: 'target', uri: '/a/b', args: 'x=1&y' }],
    ['/a?', { type: 'target', uri: '/a', args: '' }],
    ['/a', { type: 'target', uri: '/a', args: null }],
    ['/a%20b?q=%20', { type: 'target', uri: '/a b', args: 'q=%20' }], // the query stays raw
    ['//a//b', { type: 'target', uri: '/a/b', args: null }], // MergeSlashes On
    ['/a/./b/../c', { type: 'target', uri: '/a/c', args: null }],
    ['/a/%2e%2e/b', { type: 'target', uri: '/b', args: null }], // %2e is unreserved: decoded first
    ['/a/b/..', { type: 'target', uri: '/a/', args: null }],
    ['/../etc/passwd', { type: 'refused', status: 400 }],
    ['/a%zz', { type: 'refused', status: 400 }],
    ['/a%2Fb', { type: 'refused', status: 404 }],
    ['/a%00b', { type: 'refused', status: 404 }],
    ['/a#frag', { type: 'refused', status: 400 }],
    ['http://example.com/p?q', { type: 'target', uri: '/p', args: 'q' }], // absolute-form
    ['http://example.com', { type: 'target', uri: '/', args: null }],
    ['*', { type: 'target', uri: '*', args: null }],
    ['a/b', { type: 'refused', status: 400 }],
    ['/caf%C3%A9', { type: 'target', uri: '/caf\xc3\xa9', args: null }], // bytes, not UTF-16
  ])('%s → %j', (target, expected) => {
    expect(parseTarget(target)).toEqual(expected);
  });

  test('AllowEncodedSlashes On decodes %2F', () => {
    expect(parseTarget('/a%2Fb', { allowEncodedSlashes: true })).toEqual({
      type: 'target',
      uri: '/a/b',
      args: null,
    });
  });
});
