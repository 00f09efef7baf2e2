/**
 * TypesConfig as Debian's Apache reads it: /etc/mime.types decides alone when it exists. Parsing
 * and mod_mime's walk over the extensions are checked on a table given here, so the test does not
 * depend on the machine's file.
 */
import { parseMimeTypes, systemTypeFor } from '../../../lib/site/system-mime';

const table = parseMimeTypes(
  [
    '# comment line',
    'text/plain\t\t\ttxt text',
    'text/x-perl pl pm',
    'text/html html htm',
    'application/x-gzip gz',
    'TEXT/X-Upper UP',
    '',
    'text/x-later txt',
  ].join('\n'),
);

test.each<[string, string | undefined]>([
  ['debug.log', undefined], // not in Debian's table (mime-db says text/plain): no type, as recorded
  ['a.pl', 'text/x-perl'],
  ['a.txt', 'text/x-later'], // a later line wins
  ['a.html.gz', 'application/x-gzip'],
  ['a.gz.html', 'text/html'],
  ['a.html.unknown', 'text/html'], // an unknown extension does not reset the type
  ['A.UP', 'TEXT/X-Upper'], // mime_post_config lowers the extension only: the type keeps its case
  ['.pl', undefined], // leading dots belong to the base name
  ['..x.pl', 'text/x-perl'],
  ['README', undefined],
])('%s → %s', (name, type) => {
  expect(systemTypeFor(table, name)).toBe(type);
});
