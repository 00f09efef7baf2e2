/**
 * Small files kept in memory, like nginx's open_file_cache plus the file's bytes: a file is read
 * once and answered from memory while the stat() the directory walk made of it still matches
 * (inode, size, mtime, ctime). Bounded: files over `maxFileBytes` are never kept (they stream),
 * and the bytes kept stay under `maxBytes` (the oldest entries leave first).
 */
import { readFileSync, type Stats } from 'node:fs';
import { fsPath } from '../common/bytes.js';

export interface FileCacheOptions {
  /** Bytes of file content kept at most, all files together. @default 33_554_432 (32 MiB) */
  readonly maxBytes?: number;
  /** Larger files are not kept (they stream from disk). @default 262_144 (256 KiB) */
  readonly maxFileBytes?: number;
}

export const DEFAULT_FILE_CACHE_BYTES = 32 * 1024 * 1024;
export const DEFAULT_FILE_CACHE_FILE_BYTES = 256 * 1024;

/** A file as it was read: its bytes and what is worked out once per version of the file. */
export interface CachedFile {
  readonly body: Buffer;
  /** Last-Modified, as send writes it (`mtime.toUTCString()`). */
  readonly lastModified: string;
  /**
   * What the caller works out from this version and its settings, kept with it (site.ts fileFacts).
   */
  derived?: { readonly settings: object };
}

interface Entry extends CachedFile {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

export class FileCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  readonly maxBytes: number;
  readonly maxFileBytes: number;

  constructor(options: FileCacheOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_FILE_CACHE_BYTES;
    this.maxFileBytes = Math.min(
      options.maxFileBytes ?? DEFAULT_FILE_CACHE_FILE_BYTES,
      this.maxBytes,
    );
  }

  /** Files and bytes kept now (tests check the bound). */
  get size(): { files: number; bytes: number } {
    return { files: this.entries.size, bytes: this.bytes };
  }

  /**
   * The file's bytes when `stat` (fresh from the walk) still describes the copy kept; otherwise
   * read now and kept within the bounds. Undefined: too large, or unreadable (send answers then).
   */
  get(filename: string, stat: Stats): CachedFile | undefined {
    if (stat.size > this.maxFileBytes) return undefined;
    const kept = this.entries.get(filename);
    if (kept && sameVersion(kept, stat)) return kept;
    if (kept) this.drop(filename, kept);
    return this.read(filename, stat);
  }

  private read(filename: string, stat: Stats): CachedFile | undefined {
    let body: Buffer;
    try {
      body = readFileSync(fsPath(filename));
    } catch {
      return undefined;
    }
    // changed between the stat and the read: not kept, send reads it afresh
    if (body.length !== stat.size) return undefined;
    const entry: Entry = {
      body,
      lastModified: stat.mtime.toUTCString(),
      ino: stat.ino,
      size: stat.size,
      mtimeMs: stat.mtimeMs,
      ctimeMs: stat.ctimeMs,
    };
    this.makeRoom(body.length);
    this.entries.set(filename, entry);
    this.bytes += body.length;
    return entry;
  }

  /** The oldest entries leave until `size` more bytes fit under maxBytes. */
  private makeRoom(size: number): void {
    for (const [name, entry] of this.entries) {
      if (this.bytes + size <= this.maxBytes) return;
      this.drop(name, entry);
    }
  }

  private drop(filename: string, entry: Entry): void {
    this.entries.delete(filename);
    this.bytes -= entry.body.length;
  }
}

function sameVersion(e: Entry, stat: Stats): boolean {
  return (
    e.ino === stat.ino &&
    e.size === stat.size &&
    e.mtimeMs === stat.mtimeMs &&
    e.ctimeMs === stat.ctimeMs
  );
}
