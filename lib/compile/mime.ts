/**
 * mod_mime's per-extension settings beyond AddType/AddEncoding, core's file-serving settings
 * (ForceType, SetHandler, FileETag, AcceptPathInfo, LimitRequestBody, TypesConfig) and the
 * directives accepted without effect: folded into one `MimeSettings` per configuration, merged
 * parent → child the way mod_mime's and core's directory merges do (mergeMime).
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Directive, MimeDirective } from '../syntax/ast.js';
import type { FilesSection } from '../syntax/sections.js';
import { filesMatcher } from './access.js';
import type { ProblemSink } from '../syntax/parse.js';
import { atoi } from '../syntax/mime.js';

/** FileETag bits as core keeps them (include/http_core.h): 0 is "unset" (MTime Size applies). */
export const ETAG_NONE = 1;
export const ETAG_MTIME = 2;
export const ETAG_INODE = 4;
export const ETAG_SIZE = 8;
export const ETAG_DIGEST = 16;
const ETAG_ALL = ETAG_MTIME | ETAG_INODE | ETAG_SIZE;
const ETAG_BITS = new Map<string, number>([
  ['none', ETAG_NONE],
  ['mtime', ETAG_MTIME],
  ['inode', ETAG_INODE],
  ['size', ETAG_SIZE],
  ['digest', ETAG_DIGEST],
  ['all', ETAG_ALL],
]);

/** One configuration's `FileETag`: explicit bits, or +/- changes to the inherited ones. */
export interface ETagSpec {
  /** Explicit bits (unsigned keywords), or undefined when only +/- were given. */
  readonly bits?: number;
  readonly add: number;
  readonly remove: number;
}

export interface MimeSettings {
  /** AddCharset: extension (lower-case, no dot) → charset (lower-case); '' after RemoveCharset. */
  readonly charsets?: ReadonlyMap<string, string>;
  /** AddLanguage: extension → language (lower-case); '' after RemoveLanguage. */
  readonly languages?: ReadonlyMap<string, string>;
  /** AddHandler: extension → handler name (lower-case); '' after RemoveHandler. */
  readonly handlers?: ReadonlyMap<string, string>;
  readonly defaultLanguage?: string;
  /** ForceType: the type, or false for `ForceType None`. */
  readonly forceType?: string | false;
  /** SetHandler: the handler name (lower-case), or false for `SetHandler None`. */
  readonly setHandler?: string | false;
  readonly fileETag?: ETagSpec;
  readonly acceptPathInfo?: 'on' | 'off' | 'default';
  /** LimitRequestBody in bytes; 0: unlimited. */
  readonly limitRequestBody?: number;
  /** MaxRanges: ranges left after merging; 0: `none`, Infinity: `unlimited`. */
  readonly maxRanges?: number;
  /** MaxRangeOverlaps: merged specs; 0: `none`, Infinity: `unlimited`. */
  readonly maxOverlaps?: number;
  /** MaxRangeReversals: merges that moved a range's start down; 0: `none`, Infinity: `unlimited`. */
  readonly maxReversals?: number;
  /** AddOutputFilterByType DEFLATE: the media types (lower-case) mod_deflate would compress. */
  readonly deflateTypes?: ReadonlySet<string>;
  /** TypesConfig (server config): extension → type, replacing the built-in table. */
  readonly typesConfig?: ReadonlyMap<string, string>;
  /**
   * The first line here that tunes content negotiation beyond Debian's stock negotiation.conf
   * (LanguagePriority, ForceLanguagePriority, a MultiviewsMatch other than NegotiatedOnly):
   * MultiViews refuses to negotiate under it (site/negotiation.ts) rather than choose otherwise.
   */
  readonly negotiationTuning?: string;
}

/** What the mime directives of one file give: their settings and the extensions they remove. */
export interface CompiledMime {
  readonly settings: MimeSettings | undefined;
  /** RemoveEncoding: applied to the AddEncoding map (withRemovals); RemoveType is compile.ts's. */
  readonly removedEncodings: readonly string[];
}

const extensionOf = (e: string): string => e.replace(/^\./, '').toLowerCase();

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Folds the `Mime` directives of one configuration (in order) into its settings. */
export function compileMime(
  directives: readonly MimeDirective[],
  sink: ProblemSink,
  serverRoot: string,
): CompiledMime {
  const s: Mutable<MimeSettings> = {};
  const removedEncodings: string[] = [];
  const noEffect: MimeDirective[] = [];
  const unrunHandlers: MimeDirective[] = [];
  for (const d of directives) {
    if (d.name === 'AddOutputFilterByType') addDeflateTypes(s, d.args);
    if (tunesNegotiation(d)) s.negotiationTuning ??= `${d.name} ${d.args.join(' ')}`;
    if (d.effect === 'no-effect') noEffect.push(d);
    else if (!applyExtensionDirective(s, d, removedEncodings))
      applyCoreDirective(s, d, sink, serverRoot);
    const handler = d.args[0]?.toLowerCase();
    const named = d.name === 'AddHandler' || d.name === 'SetHandler';
    if (named && handler !== 'none' && handler !== 'default-handler') unrunHandlers.push(d);
  }
  // WARN_NO_EFFECT and WARN_HANDLER: at most one of each per file
  noEffectWarning(noEffect, sink);
  handlerWarning(unrunHandlers, sink);
  const settings = Object.keys(s).length ? s : undefined;
  return { settings, removedEncodings };
}

/** mod_negotiation's and mod_mime's negotiation settings, other than the defaults modrewrite has. */
function tunesNegotiation(d: MimeDirective): boolean {
  if (d.name === 'LanguagePriority' || d.name === 'ForceLanguagePriority') return true;
  if (d.name !== 'MultiviewsMatch') return false;
  return d.args.some((a) => a.toLowerCase() !== 'negotiatedonly');
}

/**
 * `AddOutputFilterByType DEFLATE type...` (filters `;`-separated): the types, for Vary
 * (site/mime.ts).
 */
function addDeflateTypes(s: Mutable<MimeSettings>, args: readonly string[]): void {
  const [filters = '', ...types] = args;
  if (!filters.split(';').some((f) => f.trim().toLowerCase() === 'deflate')) return;
  s.deflateTypes = new Set([...(s.deflateTypes ?? []), ...types.map((t) => t.toLowerCase())]);
}

/** AddCharset/AddLanguage/AddHandler and the Remove* of mod_mime; false: not one of them. */
function applyExtensionDirective(
  s: Mutable<MimeSettings>,
  d: MimeDirective,
  removedEncodings: string[],
): boolean {
  const [value = '', ...rest] = d.args;
  const add = (key: 'charsets' | 'languages' | 'handlers', v: string, exts: readonly string[]) => {
    const map = new Map(s[key]);
    for (const e of exts) map.set(extensionOf(e), v);
    s[key] = map;
  };
  switch (d.name) {
    case 'AddCharset':
      add('charsets', value.toLowerCase(), rest);
      return true;
    case 'AddLanguage':
      add('languages', value.toLowerCase(), rest);
      return true;
    case 'AddHandler':
      add('handlers', value.toLowerCase(), rest);
      return true;
    case 'RemoveCharset':
      add('charsets', '', d.args);
      return true;
    case 'RemoveLanguage':
      add('languages', '', d.args);
      return true;
    case 'RemoveHandler':
      add('handlers', '', d.args);
      return true;
    case 'RemoveType':
      return true;
    case 'RemoveEncoding':
      removedEncodings.push(...d.args.map(extensionOf));
      return true;
    default:
      return false;
  }
}

/** core's settings (and DefaultLanguage, TypesConfig). Define/UnDefine are read by the sections. */
function applyCoreDirective(
  s: Mutable<MimeSettings>,
  d: MimeDirective,
  sink: ProblemSink,
  serverRoot: string,
): void {
  const value = d.args[0] ?? '';
  switch (d.name) {
    case 'DefaultLanguage':
      s.defaultLanguage = value;
      break;
    case 'ForceType':
      // core.c reads ForceType with ap_set_string_slot_lower: the whole type, charset included,
      // is sent in lower case (`ForceType 'text/css; charset=UTF-8'` → charset=utf-8; case 490)
      s.forceType = value.toLowerCase() === 'none' ? false : value.toLowerCase();
      break;
    case 'SetHandler':
      s.setHandler = value.toLowerCase() === 'none' ? false : value.toLowerCase();
      break;
    case 'FileETag':
      s.fileETag = eTagSpec(d.args);
      break;
    case 'AcceptPathInfo':
      s.acceptPathInfo = value.toLowerCase() as 'on' | 'off' | 'default';
      break;
    case 'LimitRequestBody':
      s.limitRequestBody = Number(value);
      break;
    case 'MaxRanges':
      s.maxRanges = rangeLimitValue(value, DEFAULT_RANGE_LIMITS.maxRanges);
      break;
    case 'MaxRangeOverlaps':
      s.maxOverlaps = rangeLimitValue(value, DEFAULT_RANGE_LIMITS.maxOverlaps);
      break;
    case 'MaxRangeReversals':
      s.maxReversals = rangeLimitValue(value, DEFAULT_RANGE_LIMITS.maxReversals);
      break;
    case 'TypesConfig':
      s.typesConfig = readTypesConfig(value, d, sink, serverRoot);
      break;
  }
}

/**
 * byterange_filter.c's AP_DEFAULT_MAX_RANGES, _MAX_OVERLAPS and _MAX_REVERSALS: what MaxRanges,
 * MaxRangeOverlaps and MaxRangeReversals are when unset or `default`.
 */
export const DEFAULT_RANGE_LIMITS = {
  maxRanges: 200,
  maxOverlaps: 20,
  maxReversals: 20,
} as const;

/**
 * core's set_max_ranges (and its two siblings): `none` 0, `default` Apache's default, `unlimited`
 * Infinity, else the number atoi reads (syntax/mime.ts refused what is not positive).
 */
function rangeLimitValue(value: string, byDefault: number): number {
  const word = value.toLowerCase();
  if (word === 'none') return 0;
  if (word === 'default') return byDefault;
  if (word === 'unlimited') return Infinity;
  return atoi(value);
}

/** core's set_etag_bits: unsigned keywords set the bits, signed ones change the inherited bits. */
function eTagSpec(args: readonly string[]): ETagSpec {
  let bits: number | undefined;
  let add = 0;
  let remove = 0;
  for (const a of args) {
    const bit = ETAG_BITS.get(a.replace(/^[+-]/, '').toLowerCase()) ?? 0;
    if (a.startsWith('+')) add |= bit;
    else if (a.startsWith('-')) remove |= bit;
    else bits = (bits ?? 0) | bit;
  }
  return bits === undefined ? { add, remove } : { bits, add: 0, remove: 0 };
}

/** The bits in effect: core's merge applied to the unset (0) default; 0 means MTime Size. */
export function eTagBits(spec: ETagSpec | undefined): number {
  if (!spec) return ETAG_MTIME | ETAG_SIZE;
  // +/- over the unset (0) default: only the added bits remain
  const bits = spec.bits ?? spec.add;
  return bits === 0 ? ETAG_MTIME | ETAG_SIZE : bits;
}

/** A child's FileETag over its parent's (core's merge_core_dir_configs). */
function mergeETag(
  parent: ETagSpec | undefined,
  child: ETagSpec | undefined,
): ETagSpec | undefined {
  if (!child) return parent;
  if (!parent || child.bits !== undefined) return child;
  const base = parent.bits ?? parent.add;
  return { bits: (base & ~child.remove) | child.add, add: 0, remove: 0 };
}

/**
 * TypesConfig: a mime.types file (`type ext ext...` per line, `#` comments), read once at load.
 * Relative paths resolve against ServerRoot, as in Apache.
 */
function readTypesConfig(
  path: string,
  d: MimeDirective,
  sink: ProblemSink,
  serverRoot: string,
): ReadonlyMap<string, string> | undefined {
  const file = isAbsolute(path) ? path : resolve(serverRoot, path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    sink.add(
      'ERR_FILE',
      `TypesConfig: could not open mime types config file ${file}: ${(err as Error).message}`,
      d.pos,
    );
    return undefined;
  }
  return parseMimeTypes(text);
}

/**
 * A mime.types file's table: `type ext ext...` per line, a line starting with `#` a comment;
 * extensions lower-case. mod_mime's mime_post_config lowers only the extensions (ap_str_tolower):
 * the type keeps its case (Debian's `application/vnd.novadigm.EXT ext` is sent so), and a `#`
 * later on a line is a word like any other.
 */
export function parseMimeTypes(text: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('#')) continue;
    const [type, ...exts] = trimmed.split(/\s+/);
    if (!type) continue;
    for (const e of exts) types.set(e.toLowerCase(), type);
  }
  return types;
}

/** One WARN_NO_EFFECT per file, at the first such directive, naming every one of them. */
function noEffectWarning(found: readonly MimeDirective[], sink: ProblemSink): void {
  if (!found.length) return;
  const names = [...new Set(found.map((d) => d.name))].join(', ');
  sink.warning(
    'WARN_NO_EFFECT',
    `accepted without effect in modrewrite (no output filters, only AddOutputFilterByType DEFLATE compresses (gzip), no content negotiation, no server tuning, no Apache logs): ${names}`,
    found[0]!.pos,
  );
}

/** One WARN_HANDLER per file: a handler runs only when site({ handlers }) registers its name. */
function handlerWarning(found: readonly MimeDirective[], sink: ProblemSink): void {
  if (!found.length) return;
  const names = [...new Set(found.map((d) => (d.args[0] ?? '').toLowerCase()))].join(', ');
  sink.warning(
    'WARN_HANDLER',
    `handler ${names}: runs only if site({ handlers }) registers that name; otherwise the files are served as they are (their source), as by Apache without that module`,
    found[0]!.pos,
  );
}

/** RemoveType/RemoveEncoding over the AddType/AddEncoding map: '' marks "no mapping at all". */
export function withRemovals(
  map: Map<string, string> | undefined,
  removed: readonly string[],
): Map<string, string> | undefined {
  if (!removed.length) return map;
  const out = new Map(map);
  for (const e of removed) out.set(e, '');
  return out;
}

/**
 * A child's settings over its parent's: per extension for the maps, the child's value otherwise.
 */
export function mergeMime(
  parent: MimeSettings | undefined,
  child: MimeSettings | undefined,
): MimeSettings | undefined {
  if (!parent) return child;
  if (!child) return parent;
  const overlay = (
    p: ReadonlyMap<string, string> | undefined,
    c: ReadonlyMap<string, string> | undefined,
  ) => (p && c ? new Map([...p, ...c]) : (c ?? p));
  return {
    charsets: overlay(parent.charsets, child.charsets),
    languages: overlay(parent.languages, child.languages),
    handlers: overlay(parent.handlers, child.handlers),
    defaultLanguage: child.defaultLanguage ?? parent.defaultLanguage,
    forceType: child.forceType ?? parent.forceType,
    setHandler: child.setHandler ?? parent.setHandler,
    fileETag: mergeETag(parent.fileETag, child.fileETag),
    acceptPathInfo: child.acceptPathInfo ?? parent.acceptPathInfo,
    limitRequestBody: child.limitRequestBody ?? parent.limitRequestBody,
    // core's merge_core_dir_configs: an explicit `default` in the child wins too
    maxRanges: child.maxRanges ?? parent.maxRanges,
    maxOverlaps: child.maxOverlaps ?? parent.maxOverlaps,
    maxReversals: child.maxReversals ?? parent.maxReversals,
    // a child's AddOutputFilterByType DEFLATE replaces the types it inherits (mod_filter.c
    // filter_merge overlays live_filters by name, BYTYPE:DEFLATE; cases 381, 392)
    deflateTypes: child.deflateTypes ?? parent.deflateTypes,
    typesConfig: child.typesConfig ?? parent.typesConfig,
    negotiationTuning: child.negotiationTuning ?? parent.negotiationTuning,
  };
}

/** The mod_mime/core settings of one `<Files>`/`<FilesMatch>` section, for the files it matches. */
export interface FilesMime {
  readonly section: FilesSection;
  /** The section's test on a file name (what follows the last `/`). */
  readonly matches: (fileName: string) => boolean;
  readonly addTypes?: ReadonlyMap<string, string>;
  readonly addEncodings?: ReadonlyMap<string, string>;
  readonly mime?: MimeSettings;
}

/**
 * Each section's directives compiled on their own (`compile`: compileDirectives), in file order.
 */
export function compileFilesMime(
  sections: ReadonlyMap<FilesSection, readonly Directive[]>,
  compile: (directives: readonly Directive[]) => {
    addTypes?: ReadonlyMap<string, string>;
    addEncodings?: ReadonlyMap<string, string>;
    mime?: MimeSettings;
  },
  sink: ProblemSink,
): readonly FilesMime[] | undefined {
  if (!sections.size) return undefined;
  const out: FilesMime[] = [];
  for (const [section, directives] of sections) {
    const matches = filesMatcher(section, sink);
    if (!matches) continue;
    const { addTypes, addEncodings, mime } = compile(directives);
    out.push({ section, matches, addTypes, addEncodings, mime });
  }
  return out;
}
