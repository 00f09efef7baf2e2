/**
 * mod_mime's AddType and AddEncoding as site() reads them. Through real files this is the recorded
 * conformance case 146 (Apache 2.4.71: Drupal's svgz lines, inheritance, <IfModule mod_mime.c>).
 */
import { compileText } from '../../../lib/compile/compile';
import { inheritRules } from '../../../lib/compile/inherit';
import { RewriteError } from '../../../lib/errors';
import { addedEncoding, addedType } from '../../../lib/site/static-file';

test('AddType and AddEncoding map extensions, lower-case and without the dot', () => {
  const rs = compileText('AddType image/svg+xml svg .SVGZ\nAddEncoding gzip svgz', {
    context: 'directory',
    siteDirectives: true,
  });
  expect([...(rs.addTypes ?? [])]).toEqual([
    ['svg', 'image/svg+xml'],
    ['svgz', 'image/svg+xml'],
  ]);
  expect([...(rs.addEncodings ?? [])]).toEqual([['svgz', 'gzip']]);
});

test('a child directory overrides an extension and keeps the others (mod_mime merge)', () => {
  const parent = compileText('AddType image/svg+xml svg svgz', {
    context: 'directory',
    siteDirectives: true,
  });
  const child = compileText('AddType text/plain svg', {
    context: 'directory',
    siteDirectives: true,
  });
  const merged = inheritRules(parent, child);
  expect(merged.addTypes?.get('svg')).toBe('text/plain');
  expect(merged.addTypes?.get('svgz')).toBe('image/svg+xml');
});

test.each(['AddType', 'AddType text/plain', 'AddEncoding gzip'])('%s is refused', (line) => {
  expect(() => compileText(line, { context: 'directory', siteDirectives: true })).toThrow(
    RewriteError,
  );
});

const types = new Map([['svgz', 'image/svg+xml']]);
const encodings = new Map([['svgz', 'gzip']]);

test.each([
  ['/w/a.svgz', 'image/svg+xml', 'gzip'],
  ['/w/a.SVGZ', 'image/svg+xml', 'gzip'],
  // the type comes from the last extension, the encoding from any (recorded)
  ['/w/a.svgz.txt', undefined, 'gzip'],
  ['/w/a.txt.svgz', 'image/svg+xml', 'gzip'],
  ['/w/svgz', undefined, undefined],
  ['/w/a.svg', undefined, undefined],
])('%s → type %s, encoding %s', (file, type, encoding) => {
  expect(addedType(file, types)).toBe(type);
  expect(addedEncoding(file, encodings)).toBe(encoding);
});
