/**
 * site/mime.ts on names alone: mod_mime's type checker over every extension (Debian's mime.conf
 * below), and mod_deflate's Vary rule. Through real files and Apache: conformance cases 190–197.
 */
import { compileText } from '../../../lib/compile/compile';
import { deflateVaries, fileHeaders, layeredSettings } from '../../../lib/site/mime';

const settings = (htaccess: string) =>
  layeredSettings(undefined, compileText(htaccess, { context: 'directory', siteDirectives: true }));

test.each([
  // [file, .htaccess, type, encoding, language]
  [
    'a.html.pl',
    'AddCharset iso-8859-2 .pl',
    'text/x-perl; charset=iso-8859-2',
    undefined,
    undefined,
  ],
  ['a.txt.foo', '', 'text/plain', undefined, undefined],
  ['a.en.de.html', 'AddLanguage de-DE .de', 'text/html', undefined, 'en,de-de'],
  ['a.html', 'DefaultLanguage fr', 'text/html', undefined, 'fr'],
  ['a.tar.gz', '', 'application/x-gzip', undefined, undefined],
  ['a.txt.gz', 'AddEncoding gzip .gz', 'application/x-gzip', 'gzip', undefined],
  ['a.css', 'RemoveType .css', undefined, undefined, undefined],
  ['a.css', 'AddCharset utf-8 .css\nForceType text/plain', 'text/plain', undefined, undefined],
  // RemoveLanguage in an .htaccess leaves Debian's server-level AddLanguage (recorded, case 190)
  ['a.de.html', 'RemoveLanguage .de', 'text/html', undefined, 'de'],
  ['noext', 'AddCharset utf-8 .txt', undefined, undefined, undefined],
  // AddType lower-cased and rebuilt by find_ct, AddCharset taking the charset's place (case 492)
  [
    'a.foo',
    'AddType Text/X-Foo;Charset=UTF-8 .foo',
    'text/x-foo; charset=utf-8',
    undefined,
    undefined,
  ],
  [
    'a.baz',
    'AddType text/x-baz;a=1;charset=latin1 .baz\nAddCharset UTF-8 .baz',
    'text/x-baz; a=1; charset=utf-8',
    undefined,
    undefined,
  ],
  // leading dots belong to the base name (find_ct): `.a` is a hidden file called a, no extension
  ['.a', 'AddType text/x-a .a', undefined, undefined, undefined],
  ['.b.txt', '', 'text/plain', undefined, undefined],
  ['..c.a', 'AddType text/x-a .a', 'text/x-a', undefined, undefined],
])('%s with %j', (file, htaccess, type, encoding, language) => {
  expect(fileHeaders(`/w/${file}`, settings(htaccess))).toEqual({ type, encoding, language });
});

test.each([
  ['text/css', undefined, 69, '', true],
  ['text/css', undefined, 68, '', false],
  ['text/html;charset=UTF-8', undefined, 1000, '', true],
  ['text/css', 'gzip', 1000, '', false],
  ['image/png', undefined, 1000, '', false],
  ['application/json', undefined, 1000, '', false],
  ['application/json', undefined, 1000, 'AddOutputFilterByType DEFLATE application/json', true],
  ['application/json', undefined, 1000, 'AddOutputFilterByType INCLUDES application/json', false],
  [undefined, undefined, 1000, '', false],
])('Vary: Accept-Encoding for %s, encoding %s, %i bytes, %j: %s', (type, enc, size, ht, vary) => {
  expect(deflateVaries(type, enc, size, settings(ht).mime)).toBe(vary);
});
