/**
 * The Content-Type site() sends for a file: mime-types' name, except for types mime-db lists from
 * no source (neither Apache's mime.types, IANA nor nginx), which Apache does not know. The `.php`
 * rows come from the real-world corpus: Debian's Apache without PHP sends no type for them.
 */
import { contentTypeFor } from '../../../lib/site/static-file';

test.each([
  ['/srv/www/index.php', undefined],
  ['/srv/www/a.html', 'text/html'],
  ['/srv/www/style.css', 'text/css'],
  ['/srv/www/app.js', 'text/javascript'],
  ['/srv/www/data.json', 'application/json'],
  ['/srv/www/readme.txt', 'text/plain'],
  ['/srv/www/no-extension', undefined],
  ['/srv/www/file.unknownext', undefined],
])('%s → %s', (path, type) => {
  expect(contentTypeFor(path)).toBe(type);
});
