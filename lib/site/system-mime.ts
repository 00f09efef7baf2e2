/**
 * mod_mime's TypesConfig as Debian's Apache has it: the system's `/etc/mime.types` (the
 * media-types package), read once. Apache knows exactly the extensions listed there: `.log` has
 * no type (mime-db would say text/plain), `.pl` is text/x-perl (mime-db: application/x-perl).
 * Without the file, static-file.ts falls back to the package's own table (mime-db).
 */
import { readFileSync } from 'node:fs';

const SYSTEM_TYPES_FILE = '/etc/mime.types';

let table: ReadonlyMap<string, string> | null | undefined;

/**
 * Parses mime.types text: `type ext ext...` per line, `#` comments; a later line wins
 * (apr_hash_set). As mod_mime's mime_post_config reads it, only the extensions are lowered: the
 * type is kept as written (Debian's `application/vnd.novadigm.EXT ext` is sent so).
 */
export function parseMimeTypes(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const [type, ...exts] = line.trim().split(/\s+/);
    if (!type) continue;
    for (const ext of exts) map.set(ext.toLowerCase(), type);
  }
  return map;
}

/** The system table (extension without dot, lower-case → type), or undefined when there is none. */
export function systemMimeTypes(): ReadonlyMap<string, string> | undefined {
  if (table === undefined) {
    try {
      table = parseMimeTypes(readFileSync(SYSTEM_TYPES_FILE, 'utf8'));
    } catch {
      table = null;
    }
  }
  return table ?? undefined;
}

/**
 * mod_mime's find_ct over the file's extensions (every dot-separated part after the base name,
 * as mod_mime walks them): the last one the table knows gives the type.
 */
export function systemTypeFor(
  table: ReadonlyMap<string, string>,
  basename: string,
): string | undefined {
  let found: string | undefined;
  // leading dots belong to the base name: `.png` is a hidden file called png, not a PNG
  const name = basename.toLowerCase().replace(/^\.+/, '');
  for (const ext of name.split('.').slice(1)) found = table.get(ext) ?? found;
  return found;
}
