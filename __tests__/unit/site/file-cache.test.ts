/**
 * site/file-cache.ts: small files kept in memory while their stat() is unchanged, within the
 * bounds (maxBytes in all, maxFileBytes per file). Real files in a temp folder.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_FILE_CACHE_BYTES,
  DEFAULT_FILE_CACHE_FILE_BYTES,
  FileCache,
} from '../../../lib/site/file-cache';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'modrewrite-file-cache-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, bytes: number): string => {
  const p = join(dir, name);
  writeFileSync(p, 'x'.repeat(bytes));
  return p;
};

test('defaults: 32 MiB in all, files up to 256 KiB', () => {
  const cache = new FileCache();
  expect([cache.maxBytes, cache.maxFileBytes]).toEqual([
    DEFAULT_FILE_CACHE_BYTES,
    DEFAULT_FILE_CACHE_FILE_BYTES,
  ]);
  expect([DEFAULT_FILE_CACHE_BYTES, DEFAULT_FILE_CACHE_FILE_BYTES]).toEqual([33_554_432, 262_144]);
});

test.each<{ name: string; sizes: number[]; maxBytes: number; maxFileBytes: number; kept: number }>([
  { name: 'all fit', sizes: [10, 10, 10], maxBytes: 100, maxFileBytes: 50, kept: 30 },
  { name: 'the oldest leave', sizes: [40, 40, 40], maxBytes: 100, maxFileBytes: 50, kept: 80 },
  {
    name: 'a file over maxFileBytes is not kept',
    sizes: [60],
    maxBytes: 100,
    maxFileBytes: 50,
    kept: 0,
  },
  { name: 'maxBytes 0 keeps nothing', sizes: [1, 2], maxBytes: 0, maxFileBytes: 50, kept: 0 },
])('bounded: $name', ({ sizes, maxBytes, maxFileBytes, kept }) => {
  const cache = new FileCache({ maxBytes, maxFileBytes });
  for (const [i, size] of sizes.entries()) {
    const p = file(`f${i}`, size);
    const got = cache.get(p, statSync(p));
    expect(got?.body.length).toBe(size <= Math.min(maxFileBytes, maxBytes) ? size : undefined);
    expect(cache.size.bytes).toBeLessThanOrEqual(maxBytes);
  }
  expect(cache.size.bytes).toBe(kept);
});

test('many files through a small cache: the bytes kept never pass maxBytes', () => {
  const cache = new FileCache({ maxBytes: 1000, maxFileBytes: 300 });
  for (let i = 0; i < 200; i++) {
    const p = file(`g${i % 50}`, (i * 37) % 301);
    cache.get(p, statSync(p));
    expect(cache.size.bytes).toBeLessThanOrEqual(1000);
  }
});

test('the copy is used while the stat matches, and read again when the file changed', () => {
  const cache = new FileCache();
  const p = join(dir, 'a.txt');
  writeFileSync(p, 'one');
  const first = cache.get(p, statSync(p));
  expect(cache.get(p, statSync(p))).toBe(first);
  writeFileSync(p, 'two');
  // the same size: only mtime/ctime tell (set apart for filesystems with coarse timestamps)
  const later = statSync(p);
  Object.assign(later, { mtimeMs: later.mtimeMs + 1 });
  expect(cache.get(p, later)?.body.toString()).toBe('two');
  expect(cache.size).toEqual({ files: 1, bytes: 3 });
});

test('a file whose size changed after the stat is not kept', () => {
  const cache = new FileCache();
  const p = file('b.txt', 5);
  const stat = statSync(p);
  writeFileSync(p, 'longer now');
  expect(cache.get(p, stat)).toBeUndefined();
  expect(cache.size.files).toBe(0);
});

test('an unreadable (gone) file gives undefined', () => {
  const cache = new FileCache();
  const p = file('c.txt', 5);
  const stat = statSync(p);
  rmSync(p);
  expect(cache.get(p, stat)).toBeUndefined();
});
