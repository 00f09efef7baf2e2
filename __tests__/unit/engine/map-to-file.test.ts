/**
 * mapToFile (Apache's directory walk, exported): a URL-path with `.`/`..` segments maps inside the
 * document root, never above it. Real files in a temporary folder.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mapToFile } from '../../../lib/engine/directory';

let tmp: string;
let root: string;
const fs = {
  stat: (p: string) => {
    try {
      return statSync(p);
    } catch {
      return undefined;
    }
  },
  lstat: () => undefined,
};

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'modrewrite-map-'));
  root = join(tmp, 'www');
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(join(tmp, 'outside'));
  writeFileSync(join(root, 'sub', 'f.txt'), 'F');
  writeFileSync(join(tmp, 'outside', 'secret.txt'), 'S');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Row = readonly [uri: string, filename: string, pathInfo: string];
const rows: readonly Row[] = [
  ['/sub/f.txt', '/sub/f.txt', ''],
  ['/sub/f.txt/extra', '/sub/f.txt', '/extra'],
  ['/sub/../sub/f.txt', '/sub/f.txt', ''],
  ['/sub/./f.txt', '/sub/f.txt', ''],
  ['/../outside/secret.txt', '/outside', '/secret.txt'],
  ['/sub/../../outside/secret.txt', '/outside', '/secret.txt'],
  ['/sub/..', '/', ''],
];

test.each(rows)('mapToFile(root, %s) → root%s + PATH_INFO %s', (uri, filename, pathInfo) => {
  const mapped = mapToFile(root, uri, fs);
  expect(mapped).toEqual({ filename: root + (filename === '/' ? '/' : filename), pathInfo });
  expect(mapped.filename.startsWith(root + '/')).toBe(true);
});
