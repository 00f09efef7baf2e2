/**
 * explain({ root }): the .htaccess files along the request's path, on disk, merged as site()
 * merges them (the deepest with mod_rewrite directives runs; RewriteEngine inherited, off by
 * default), with `-f`/`-d` on the real files.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explain } from '../../../lib/explain/explain';

let root = '';
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'modrewrite-explain-tree-'));
  mkdirSync(join(root, 'app'));
  mkdirSync(join(root, 'off'));
  mkdirSync(join(root, 'plain'));
  writeFileSync(
    join(root, '.htaccess'),
    'RewriteEngine On\nRewriteCond %{REQUEST_FILENAME} !-f\nRewriteRule ^(.*)$ index.php [L]\n',
  );
  writeFileSync(join(root, 'index.php'), '<?php\n');
  writeFileSync(join(root, 'here.txt'), 'x\n');
  // no RewriteEngine line: the parent's On holds
  writeFileSync(join(root, 'app', '.htaccess'), 'RewriteRule ^(\\w+)$ main.php?r=$1 [L]\n');
  writeFileSync(join(root, 'off', '.htaccess'), 'RewriteEngine Off\n');
  // no mod_rewrite directive: the parent's rules apply
  writeFileSync(join(root, 'plain', '.htaccess'), 'Options -Indexes\n');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

test.each([
  ['/missing', 'rewritten to /index.php', '.htaccess'],
  ['/here.txt', 'pass through (nothing rewritten)', '.htaccess'],
  ['/app/users', 'rewritten to /app/main.php?r=users', join('app', '.htaccess')],
  ['/off/x', 'pass through (nothing rewritten)', undefined],
  ['/plain/x', 'rewritten to /index.php', '.htaccess'],
])('%s', async (url, summary, file) => {
  const r = await explain({ root }, url);
  expect(r.summary).toBe(summary);
  const tried = r.trace.flatMap((e) => (e.type === 'rule' ? [e.pos.file] : []));
  if (file) expect(tried[0]).toBe(join(root, file));
  else expect(tried).toEqual([]);
});

test('a root without any .htaccess: RewriteEngine is off', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'modrewrite-explain-empty-'));
  try {
    const r = await explain({ root: empty }, '/x');
    expect(r.stop).toEqual({ reason: 'engine-off' });
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
