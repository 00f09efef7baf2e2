/**
 * mod_mime's type checker and core's file-serving settings, applied to one file: Content-Type
 * (the last extension with a type; AddCharset's charset appended; ForceType over all),
 * Content-Language, Content-Encoding, the handler (SetHandler / AddHandler), Apache's ETag
 * (FileETag), and LimitRequestBody. Layered the way Debian's Apache is configured: its
 * mods-enabled/mime.conf (recorded: `x.en.html` is `Content-Language: en`, `.gz` is
 * `application/x-gzip`), then the site's server config, then the `.htaccess` files.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync, type Stats } from 'node:fs';
import { basename } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { compileText } from '../compile/compile.js';
import {
  eTagBits,
  ETAG_DIGEST,
  ETAG_INODE,
  ETAG_MTIME,
  ETAG_NONE,
  ETAG_SIZE,
  mergeMime,
  parseMimeTypes,
  type FilesMime,
  type MimeSettings,
} from '../compile/mime.js';
import type { RuleSet } from '../compile/ruleset.js';
import { DEBIAN_MIME_CONF } from './debian-mime.js';
import { contentTypeFor, type FileHeaders } from './static-file.js';

/** Everything that decides how a file is answered (one object per directory configuration). */
export interface FileSettings {
  readonly defaultCharset?: string | false;
  readonly addTypes?: ReadonlyMap<string, string>;
  readonly addEncodings?: ReadonlyMap<string, string>;
  readonly mime?: MimeSettings;
}

let debian: RuleSet | undefined;
/** Debian's mime.conf as the server configuration below the site's own (compiled once). */
function debianDefaults(): RuleSet {
  debian ??= compileText(DEBIAN_MIME_CONF, { context: 'server', siteDirectives: true });
  return debian;
}

const overlay = (
  parent: ReadonlyMap<string, string> | undefined,
  child: ReadonlyMap<string, string> | undefined,
): ReadonlyMap<string, string> | undefined =>
  parent && child ? new Map([...parent, ...child]) : (child ?? parent);

/**
 * The `.htaccess` layer over the server's. mod_mime's RemoveCharset/Language/Handler/Encoding
 * blank a mapping ('' here), and a blank never hides the server configuration's mapping of the
 * same extension (recorded: `RemoveLanguage .de` in an .htaccess leaves Debian's `AddLanguage de
 * .de`); RemoveType is `AddType ""`, a value, and does hide it.
 */
function layer(server: FileSettings, directory: FileSettings | undefined): FileSettings {
  if (!directory) return server;
  const m = directory.mime;
  const mime = m && {
    ...m,
    charsets: unblanked(server.mime?.charsets, m.charsets),
    languages: unblanked(server.mime?.languages, m.languages),
    handlers: unblanked(server.mime?.handlers, m.handlers),
  };
  return {
    defaultCharset: directory.defaultCharset ?? server.defaultCharset,
    addTypes: overlay(server.addTypes, directory.addTypes),
    addEncodings: overlay(
      server.addEncodings,
      unblanked(server.addEncodings, directory.addEncodings),
    ),
    mime: mergeMime(server.mime, mime),
  };
}

/** The child's mappings without the blanks that would hide one of the server's. */
function unblanked(
  server: ReadonlyMap<string, string> | undefined,
  child: ReadonlyMap<string, string> | undefined,
): ReadonlyMap<string, string> | undefined {
  if (!server || !child) return child;
  return new Map([...child].filter(([ext, value]) => value !== '' || !server.has(ext)));
}

/** Debian's mime.conf and the site's server config: one level, the site's lines after Debian's. */
function serverSettings(server: RuleSet | undefined): FileSettings {
  const debian = debianDefaults();
  if (!server) return debian;
  return {
    defaultCharset: server.defaultCharset ?? debian.defaultCharset,
    addTypes: overlay(debian.addTypes, server.addTypes),
    addEncodings: overlay(debian.addEncodings, server.addEncodings),
    mime: withDebianDeflateTypes(mergeMime(debian.mime, server.mime)),
  };
}

/**
 * The server's own AddOutputFilterByType DEFLATE lines add to deflate.conf's: one configuration,
 * whose lines append providers to one filter (mod_filter.c add_filter; case 381).
 */
function withDebianDeflateTypes(m: MimeSettings | undefined): MimeSettings | undefined {
  if (!m?.deflateTypes) return m;
  return { ...m, deflateTypes: new Set([...DEBIAN_DEFLATE_TYPES, ...m.deflateTypes]) };
}

const layered = new WeakMap<object, WeakMap<object, FileSettings>>();
const NONE = {};

/**
 * Debian's defaults, then the server config's settings, then the merged `.htaccess` ones; cached
 * per pair of configurations (both are long-lived cached objects), so a request merges nothing.
 */
export function layeredSettings(
  server: RuleSet | undefined,
  directory: RuleSet | undefined,
): FileSettings {
  const serverKey = server ?? NONE;
  const directoryKey = directory ?? NONE;
  let byDirectory = layered.get(serverKey);
  if (!byDirectory) {
    byDirectory = new WeakMap();
    layered.set(serverKey, byDirectory);
  }
  let settings = byDirectory.get(directoryKey);
  if (!settings) {
    settings = layer(serverSettings(server), directory);
    byDirectory.set(directoryKey, settings);
  }
  return settings;
}

/**
 * The `<Files>`/`<FilesMatch>` sections matching the file's name, over its directory's settings
 * (core's file walk merges them last, in order). Most directories have none: nothing to do.
 */
export function withFilesSections(
  settings: FileSettings,
  sections: readonly FilesMime[] | undefined,
  filename: string,
): FileSettings {
  if (!sections) return settings;
  const name = basename(filename);
  let out = settings;
  for (const section of sections) {
    if (!section.matches(name)) continue;
    out = {
      defaultCharset: out.defaultCharset,
      addTypes: overlay(out.addTypes, section.addTypes),
      addEncodings: overlay(out.addEncodings, section.addEncodings),
      mime: mergeMime(out.mime, section.mime),
    };
  }
  return out;
}

/**
 * The file's extensions as mod_mime sees them: every dot-separated part after the first,
 * lower-case. Leading dots belong to the base name (mod_mime.c find_ct: `.png` is a hidden file
 * called png).
 */
export function extensionsOf(filename: string): string[] {
  return basename(filename).toLowerCase().replace(/^\.+/, '').split('.').slice(1);
}

/**
 * Whether mod_mime's find_ct recognises the extension for content negotiation (a type, charset,
 * language or encoding; MultiviewsMatch NegotiatedOnly: a handler alone does not count). Otherwise
 * it goes into the "ap-mime-exceptions-list" mod_negotiation reads (site/negotiation.ts).
 */
export function knownExtension(ext: string, s: FileSettings): boolean {
  const m = s.mime;
  const added = s.addTypes?.get(ext);
  const typed = added !== undefined ? added !== '' : !!baseType(ext, m);
  return typed || !!m?.charsets?.get(ext) || !!m?.languages?.get(ext) || !!s.addEncodings?.get(ext);
}

/**
 * mod_mime's find_ct: every extension is looked at in turn; the last one with a type gives the
 * type (a.html.pl is Perl, a.txt.foo is text/plain), likewise the charset (appended when the type
 * has none) and the encoding; every language is listed, comma-separated (recorded: `en,de-de`);
 * DefaultLanguage when none. ForceType replaces the type, charset included.
 */
export function fileHeaders(filename: string, s: FileSettings): FileHeaders {
  const m = s.mime;
  let type: string | undefined;
  let charset: string | undefined;
  let encoding: string | undefined;
  const languages: string[] = [];
  for (const ext of extensionsOf(filename)) {
    const added = s.addTypes?.get(ext);
    // '' is RemoveType: this extension has no type at all (not even the mime.types one)
    const found = added === '' ? undefined : (added ?? baseType(ext, m));
    if (found) type = found;
    charset = m?.charsets?.get(ext) || charset;
    encoding = s.addEncodings?.get(ext) || encoding;
    const language = m?.languages?.get(ext);
    if (language) languages.push(language);
  }
  if (type) type = withParameters(type, charset);
  if (m?.forceType) type = m.forceType;
  const language = languages.length ? languages.join(',') : m?.defaultLanguage;
  return { type, encoding, language };
}

/**
 * mod_mime's find_ct rebuilds the type from analyze_ct's parts: `type/subtype`, then every
 * parameter as `; attr=value`, AddCharset's charset taking the first `charset` parameter's place
 * or appended (`text/x-foo;charset=utf-8` → `text/x-foo; charset=utf-8`; case 492). A type with
 * quotes or a part this simple reading does not take is left as it was, the charset appended.
 */
function withParameters(type: string, charset: string | undefined): string {
  const [base, ...params] = type.split(';');
  const media = /^\s*([^\s/]+\/[^\s]+)\s*$/.exec(base!);
  const pairs = params.map((p) => /^\s*([^\s=]+)=(\S+)\s*$/.exec(p));
  if (!media || type.includes('"') || pairs.some((p) => !p)) {
    if (!charset || /;\s*charset=/i.test(type)) return type;
    return `${type}; charset=${charset}`;
  }
  let out = media[1]!;
  let replaced = false;
  for (const pair of pairs) {
    const [, attr, value] = pair!;
    if (charset && attr === 'charset') {
      if (!replaced) out += `; charset=${charset}`;
      replaced = true;
    } else out += `; ${attr}=${value}`;
  }
  return charset && !replaced ? `${out}; charset=${charset}` : out;
}

/**
 * The type mod_mime gives `filename` when an `.htaccess` AddType (or RemoveType) maps one of its
 * extensions differently from the server's configuration `base`, or when a ForceType applies;
 * undefined otherwise. htaccess() sets it before express.static, whose own table would otherwise
 * decide the type that ExpiresByType and `%{CONTENT_TYPE}` read (real-world Cockpit: `AddType
 * application/x-font-woff woff` with `ExpiresByType application/x-font-woff`; Microweber:
 * `ForceType 'text/css; charset=UTF-8'` on .scss with `ExpiresByType text/css`).
 */
export function declaredType(
  filename: string,
  settings: FileSettings,
  base: FileSettings,
): string | undefined {
  if (settings.mime?.forceType) return settings.mime.forceType;
  if (settings.addTypes === base.addTypes) return undefined;
  const changed = extensionsOf(filename).some(
    (ext) => settings.addTypes?.get(ext) !== base.addTypes?.get(ext),
  );
  return changed ? fileHeaders(filename, settings).type : undefined;
}

/**
 * Apache's default TypesConfig, `/etc/mime.types` (what Debian's Apache reads: `.log` and `.php`
 * have no type, `.py` is text/x-python), read once when it exists; null where it does not (then
 * the built-in table stands for it).
 */
let systemTypes: ReadonlyMap<string, string> | null | undefined;
function systemTable(): ReadonlyMap<string, string> | null {
  if (systemTypes === undefined) {
    try {
      systemTypes = parseMimeTypes(readFileSync('/etc/mime.types', 'utf8'));
    } catch {
      systemTypes = null;
    }
  }
  return systemTypes;
}

/**
 * TypesConfig's table when the configuration names one, else the system's, else the built-in one.
 */
function baseType(ext: string, m: MimeSettings | undefined): string | undefined {
  const table = m?.typesConfig ?? systemTable();
  return table ? table.get(ext) : contentTypeFor(`x.${ext}`);
}

/**
 * The handler that answers the file: SetHandler over AddHandler (core's fixup runs after mod_mime),
 * AddHandler from the last extension that has one. undefined: the default handler.
 */
export function handlerFor(filename: string, m: MimeSettings | undefined): string | undefined {
  if (m?.setHandler) return m.setHandler;
  if (m?.setHandler === false || !m?.handlers) return undefined;
  let handler: string | undefined;
  for (const ext of extensionsOf(filename)) handler = m.handlers.get(ext) || handler;
  return handler === 'default-handler' ? undefined : handler;
}

/**
 * Handlers Debian's Apache runs that modrewrite does not emulate: a file under them is a 500
 * (logged), never its source nor a made-up page.
 */
export const UNEMULATED_HANDLERS = new Set(['server-status', 'type-map']);

const hex = (n: number): string => Math.trunc(n).toString(16);

/**
 * core's ap_make_etag: the FileETag parts in hex (inode, size, mtime in microseconds), weak
 * (`W/`) when the file changed less than a second ago; `Digest` is the base64 SHA-1 of the
 * content. undefined for `FileETag None`.
 */
export function apacheETag(
  filename: string,
  stat: Stats,
  m: MimeSettings | undefined,
): string | undefined {
  const bits = eTagBits(m?.fileETag);
  if (bits & ETAG_NONE) return undefined;
  if (bits & ETAG_DIGEST)
    return `"${createHash('sha1').update(readFileSync(filename)).digest('base64')}"`;
  const mtimeUs = mtimeMicroseconds(filename, stat);
  const parts: string[] = [];
  if (bits & ETAG_INODE) parts.push(hex(stat.ino));
  if (bits & ETAG_SIZE) parts.push(hex(stat.size));
  if (bits & ETAG_MTIME) parts.push(hex(mtimeUs));
  const weak = Date.now() * 1000 - mtimeUs > 1_000_000 ? '' : 'W/';
  return `${weak}"${parts.join('-')}"`;
}

/**
 * apr_stat's mtime: seconds * 10^6 + tv_nsec / 1000, truncated. A number Stats' mtimeMs (a double
 * near 1.7e12) cannot carry it exactly (rounding it gave the next microsecond for about half of
 * the files), so the file is asked again for its nanoseconds.
 */
function mtimeMicroseconds(filename: string, stat: Stats): number {
  try {
    return Number(statSync(filename, { bigint: true }).mtimeNs / 1000n);
  } catch {
    return Math.floor(stat.mtimeMs * 1000);
  }
}

/** Debian's mods-enabled/deflate.conf: the types its server config compresses. */
const DEBIAN_DEFLATE_TYPES: ReadonlySet<string> = new Set([
  'text/html',
  'text/plain',
  'text/xml',
  'text/css',
  'text/javascript',
  'application/x-javascript',
  'application/javascript',
  'application/ecmascript',
  'application/rss+xml',
  'application/wasm',
  'application/xml',
]);

/**
 * mod_deflate's `Vary: Accept-Encoding` (modules/filters/mod_deflate.c deflate_out_filter): a
 * response of a type an AddOutputFilterByType DEFLATE names (Debian's deflate.conf with the
 * server config's, or the deepest `.htaccess` list, which replaces them), over 68 bytes (smaller ones are "not compressed: very small response"), not already
 * encoded, gets it whether or not the client accepts gzip (recorded: the real-world corpus'
 * directory listings). modrewrite never compresses: a client sending `Accept-Encoding: gzip` gets
 * the identity body where Apache sends gzip.
 */
export function deflateVaries(
  type: string | undefined,
  encoding: string | undefined,
  size: number,
  m: MimeSettings | undefined,
): boolean {
  if (!type || encoding || size <= 68) return false;
  return deflatesType(type, m);
}

/**
 * Whether the AddOutputFilterByType DEFLATE lines in force name the type: the nearest `.htaccess`
 * or section that has some, else Debian's deflate.conf with the server's (case 381).
 */
export function deflatesType(type: string, m: MimeSettings | undefined): boolean {
  const media = type.split(';', 1)[0]!.trim().toLowerCase();
  return (m?.deflateTypes ?? DEBIAN_DEFLATE_TYPES).has(media);
}

/** LimitRequestBody: whether the declared body (Content-Length) is over the limit (0: none). */
export function bodyTooLarge(req: IncomingMessage, m: MimeSettings | undefined): boolean {
  const limit = m?.limitRequestBody;
  if (!limit) return false;
  const length = Number(req.headers['content-length'] ?? 0);
  return Number.isFinite(length) && length > limit;
}
