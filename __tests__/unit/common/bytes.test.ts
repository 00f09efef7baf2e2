/**
 * lib/common/bytes.ts: Apache works on bytes; modrewrite keeps them as byte strings (one char per
 * byte, U+0000..U+00FF) so regexes and escapes behave like PCRE without UTF mode.
 */
import { bytesToUtf8, fsPath, utf8ToBytes } from '../../../lib/common/bytes';

describe('utf8ToBytes / bytesToUtf8', () => {
  test.each([
    ['ascii', 'ascii', 5],
    ['é', '\xc3\xa9', 2],
    ['€', '\xe2\x82\xac', 3],
    ['😀', '\xf0\x9f\x98\x80', 4],
    ['/café/', '/caf\xc3\xa9/', 7],
  ])('%j ↔ %j (%i bytes, one char each)', (text, bytes, length) => {
    expect(utf8ToBytes(text)).toBe(bytes);
    expect(utf8ToBytes(text)).toHaveLength(length);
    expect(bytesToUtf8(bytes)).toBe(text);
  });

  test('a byte string that is not UTF-8 decodes with replacement characters, never throws', () => {
    expect(bytesToUtf8('a\xffb')).toBe('a\ufffdb');
  });
});

describe('fsPath: the bytes node:fs should read', () => {
  test.each([
    ['/srv/www/a.txt', '/srv/www/a.txt'],
    ['/srv/caf\xc3\xa9', Buffer.from('/srv/café', 'utf8')],
    ['/srv/\xe9', Buffer.from([0x2f, 0x73, 0x72, 0x76, 0x2f, 0xe9])], // Latin-1 name on disk
  ])('%j → %j', (input, expected) => {
    expect(fsPath(input)).toEqual(expected);
  });
});
