/** common/posix-path.ts agrees with node:path's posix functions on the inputs it is used for. */
import { posix } from 'node:path';
import { baseName, normalizeAbsolute, resolvePath } from '../../../lib/common/posix-path';

const ABSOLUTE = [
  '/',
  '/a',
  '/a/',
  '/a/./b',
  '/a/../b',
  '/../a',
  '//a//b/',
  '/a/b/..',
  '/a/b/../',
  '/.',
];

test.each(ABSOLUTE)('normalizeAbsolute(%j) = posix.normalize', (p) => {
  expect(normalizeAbsolute(p)).toBe(posix.normalize(p));
});

test.each([
  ['/srv/rules.conf', '..'],
  ['/srv/www/.htaccess', '..'],
  ['/srv', 'maps/x.txt'],
  ['/srv', '/etc/map'],
  ['/srv/', '../x/'],
  ['rules.conf', '..'],
])('resolvePath(%j, %j) = posix.resolve', (from, to) => {
  expect(resolvePath(from, to)).toBe(posix.resolve(from, to));
});

test.each(['/a/b/.htaccess', 'site.htaccess', '/a/b/', 'x'])('baseName(%j)', (p) => {
  expect(baseName(p)).toBe(posix.basename(p));
});
