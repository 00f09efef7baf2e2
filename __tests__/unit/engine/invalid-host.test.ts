/**
 * Invalid Host headers are reflected into Location (issue 9, item 21). The table is what Apache
 * 2.4.71 (HttpProtocolOptions Strict, the default) answered for `GET /sr` with
 * `RewriteRule ^/sr$ /index.html [R]`: 400, or a 302 to `http://<name>/index.html`.
 */
import { parseHost } from '../../../lib/engine/request';

const recorded: ReadonlyArray<readonly [string, string | 400]> = [
  ['localhost', 'localhost'],
  ['a@b', 400],
  ['a b', 400],
  ['a#b', 400],
  ['', 400],
  ['a/b', 400],
  ['a\\b', 400],
  ['a_b', 'a_b'],
  ['a:80:80', 400],
  ['a:abc', 400],
  ['[::1]', '[::1]'],
  ['[::1', 400],
  ['[::1]:81', '[::1]:81'],
  ['[zz]', 400],
  ['a..b', 400],
  ['.a', '.a'],
  ['a.', 'a'],
  ['A.B', 'a.b'],
  ['a?b', 400],
  ['a%2fb', 400],
  ['a;b', 400],
  ['a,b', 400],
  ['localhost:', 400],
  ['127.0.0.1', '127.0.0.1'],
  ['a:99999', 400],
  ['a:0', 400],
  ['\xe9', 400],
  ['a*b', 400],
  ['a!b', 400],
  ['a~b', 400],
  ['-a', '-a'],
  ["a'b", 400],
  ['a"b', 400],
  ['a<b', 400],
  ['a\tb', 400],
  ['a:8 0', 400],
  ['a=b', 400],
  ['a&b', 400],
  ['a+b', 400],
  ['a$b', 400],
  ['a(b', 400],
  ['a[b', 400],
  ['a]b', 400],
  ['a{b', 400],
  ['a|b', 400],
  ['a^b', 400],
  ['a`b', 400],
  ['a:-1', 400],
  ['a:+80', 400],
  [':80', 400],
  ['a.b:081', 'a.b:81'],
  ['0x7f.1', 400],
];

describe('invalid Host headers are never reflected (Apache fix_hostname, strict)', () => {
  test.each(recorded)('Host %j → %s', (host, expected) => {
    const parsed = parseHost(host);
    const seen =
      parsed === undefined
        ? 400
        : `${parsed.name}${parsed.port === undefined ? '' : `:${parsed.port}`}`;
    expect(seen).toBe(expected);
  });
});
