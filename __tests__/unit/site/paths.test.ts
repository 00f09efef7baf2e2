/**
 * lib/site/paths.ts: what may be served and from where. Containment is decided on normalised
 * paths (a `..` segment fails closed), Apache's directory walk splits a URL-path into the file
 * and PATH_INFO (request.c ap_directory_walk), `.ht*` is told apart from other dotfiles (the
 * stock `<FilesMatch "^\.ht">`). The walk runs on real files in a temp dir.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DirCache,
  dotSegment,
  normalizeFsPath,
  resolveRoots,
  underRoot,
  walk,
} from '../../../lib/site/paths';

test.each<[string, string, boolean]>([
  ['/srv/www/a.html', '/srv/www', true],
  ['/srv/www', '/srv/www', true],
  ['/srv/www/', '/srv/www/', true],
  ['/srv/wwwx/a', '/srv/www', false], // a prefix of the name is not inside
  ['/srv/www/../etc/passwd', '/srv/www', false], // not normalised: fails closed
  ['/srv/www/./a', '/srv/www', false],
  ['/srv/www/..', '/srv/www', false],
  ['/srv/www/..a/b', '/srv/www', true], // `..a` is a name, not a dot-segment
  ['/etc/passwd', '/srv/www', false],
])('underRoot(%j, %j) → %s', (path, root, expected) => {
  expect(underRoot(path, root)).toBe(expected);
});

test.each([
  ['/srv/www/a', '/srv/www/a'],
  ['/srv/www/../etc', '/srv/etc'],
  ['/srv//www/./a/', '/srv/www/a/'], // the trailing slash is kept
  ['/a/b/..', '/a'],
  ['/..', '/'],
])('normalizeFsPath(%j) → %j', (path, expected) => {
  expect(normalizeFsPath(path)).toBe(expected);
});

test.each<[string, 'none' | 'ht' | 'dot']>([
  ['/srv/www/index.html', 'none'],
  ['/srv/www/.htaccess', 'ht'],
  ['/srv/www/sub/.htpasswd', 'ht'],
  ['/srv/www/.git/config', 'dot'],
  ['/srv/www/.well-known/x', 'dot'],
  ['/srv/www/.env', 'dot'],
  ['/srv/www/a.b/c', 'none'],
  ['/home/.hidden/srv/www/a', 'dot'], // outside the root: the whole path counts
])('dotSegment(%j, /srv/www) → %s', (path, expected) => {
  expect(dotSegment(path, '/srv/www')).toBe(expected);
});

describe('walk: the directory walk on real files', () => {
  let root: string;
  beforeAll(() => {
    root = resolveRoots([mkdtempSync(join(tmpdir(), 'modrewrite-walk-'))])[0]!;
    mkdirSync(join(root, 'dir/sub'), { recursive: true });
    writeFileSync(join(root, 'dir/index.php'), '<?php');
    writeFileSync(join(root, 'file.txt'), 'x');
    symlinkSync(join(root, 'dir'), join(root, 'link'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test.each<[string, string, string, 'file' | 'dir' | 'none', boolean]>([
    ['/file.txt', '/file.txt', '', 'file', false],
    ['/dir/index.php/extra/path', '/dir/index.php', '/extra/path', 'file', false], // PATH_INFO
    ['/dir/sub/', '/dir/sub/', '', 'dir', false],
    ['/dir/sub', '/dir/sub', '', 'dir', false],
    ['/missing/a/b', '/missing', '/a/b', 'none', false], // stops at the first missing segment
    ['/dir/missing.php', '/dir/missing.php', '', 'none', false],
    ['/link/index.php', '/link/index.php', '', 'file', true], // a symbolic link on the way
  ])('%s → %s + PATH_INFO %j (%s)', (uri, file, pathInfo, kind, symlink) => {
    // without a cache, then twice with one (the second walk reads the directories from it)
    const cache = new DirCache(60_000);
    for (const dirs of [undefined, cache, cache]) {
      const w = walk(root, uri, dirs);
      expect(w.filename).toBe(root + file);
      expect(w.pathInfo).toBe(pathInfo);
      expect(w.stat === undefined ? 'none' : w.stat.isDirectory() ? 'dir' : 'file').toBe(kind);
      expect(w.symlink).toBe(symlink);
    }
  });
});
