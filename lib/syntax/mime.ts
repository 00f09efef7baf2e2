/**
 * The directives of mod_mime (beyond AddType/AddEncoding), of core's file-serving settings
 * (FileETag, AcceptPathInfo, LimitRequestBody, SetHandler, ForceType, Define), and of the modules
 * Debian's Apache loads whose effect modrewrite leaves out (mod_deflate, mod_filter,
 * mod_negotiation, the output filters): argument counts and contexts checked here, as Apache's
 * command table does (`AP_INIT_*` with `RSRC_CONF` / `OR_FILEINFO`...), then compiled in
 * compile/mime.ts.
 */
import type { SourcePosition } from '../errors.js';
import type { ConfigContext } from './parse.js';

/** What modrewrite does with a directive of this table. */
export type MimeEffect = 'apply' | 'no-effect';

interface MimeSpec {
  /** The directive as Apache spells it. */
  readonly name: string;
  readonly min: number;
  /** Infinity: any number of arguments. */
  readonly max: number;
  /** RSRC_CONF (or ACCESS_CONF) in Apache: "not allowed here" in an `.htaccess`. */
  readonly serverOnly?: boolean;
  /** ACCESS_CONF as well: allowed in the server config's `<Directory>`/`<Location>` sections. */
  readonly inSections?: boolean;
  readonly effect: MimeEffect;
}

const spec = (
  name: string,
  min: number,
  max: number,
  effect: MimeEffect,
  serverOnly: boolean | 'sections' = false,
): MimeSpec => ({
  name,
  min,
  max,
  effect,
  serverOnly: serverOnly !== false,
  inSections: serverOnly === 'sections',
});

const ANY = Infinity;

/** Directive name (lower-case) → its spec. A Map: the names come from rule text. */
const MIME_SPECS = new Map<string, MimeSpec>(
  [
    // mod_mime (modules/http/mod_mime.c): OR_FILEINFO, TypesConfig RSRC_CONF
    spec('AddCharset', 2, ANY, 'apply'),
    spec('AddLanguage', 2, ANY, 'apply'),
    spec('AddHandler', 2, ANY, 'apply'),
    spec('RemoveType', 1, ANY, 'apply'),
    spec('RemoveHandler', 1, ANY, 'apply'),
    spec('RemoveCharset', 1, ANY, 'apply'),
    spec('RemoveEncoding', 1, ANY, 'apply'),
    spec('RemoveLanguage', 1, ANY, 'apply'),
    spec('DefaultLanguage', 1, 1, 'apply'),
    spec('TypesConfig', 1, 1, 'apply', true),
    spec('AddOutputFilter', 2, ANY, 'no-effect'),
    spec('AddInputFilter', 2, ANY, 'no-effect'),
    spec('RemoveOutputFilter', 1, ANY, 'no-effect'),
    spec('RemoveInputFilter', 1, ANY, 'no-effect'),
    spec('MultiviewsMatch', 1, 4, 'no-effect'),
    spec('ModMimeUsePathInfo', 1, 1, 'no-effect', true),
    // core (server/core.c)
    spec('SetHandler', 1, 1, 'apply'),
    spec('ForceType', 1, 1, 'apply'),
    spec('FileETag', 1, ANY, 'apply'),
    spec('AcceptPathInfo', 1, 1, 'apply'),
    spec('LimitRequestBody', 1, 1, 'apply'),
    spec('Define', 1, 2, 'apply', true),
    spec('UnDefine', 1, 1, 'apply', true),
    spec('SetOutputFilter', 1, 1, 'no-effect'),
    spec('SetInputFilter', 1, 1, 'no-effect'),
    // core settings that change nothing a client sees here (recorded: DefaultType is ignored by
    // Apache 2.4 itself, AH00117; sendfile/mmap are how a file is read; the rest are for CGI/DAV)
    spec('DefaultType', 1, 1, 'no-effect'),
    spec('EnableSendfile', 1, 1, 'no-effect'),
    spec('EnableMMAP', 1, 1, 'no-effect'),
    spec('LimitXMLRequestBody', 1, 1, 'no-effect'),
    spec('CGIPassAuth', 1, 1, 'no-effect'),
    // Content-MD5 (a field RFC 7231 dropped) is not computed: the file is served without it
    spec('ContentDigest', 1, 1, 'no-effect'),
    // core: RSRC_CONF|ACCESS_CONF, the byterange filter's limits (site/byterange.ts)
    spec('MaxRanges', 1, 1, 'apply', 'sections'),
    spec('MaxRangeOverlaps', 1, 1, 'apply', 'sections'),
    spec('MaxRangeReversals', 1, 1, 'apply', 'sections'),
    // mod_filter: OR_OPTIONS / OR_FILEINFO; FilterTrace is not allowed in .htaccess
    spec('AddOutputFilterByType', 2, ANY, 'no-effect'),
    spec('FilterDeclare', 1, 2, 'no-effect'),
    spec('FilterProvider', 3, 3, 'no-effect'),
    spec('FilterChain', 1, ANY, 'no-effect'),
    spec('FilterProtocol', 2, 3, 'no-effect'),
    spec('FilterTrace', 2, 2, 'no-effect', true),
    // mod_deflate: the compression settings are RSRC_CONF (recorded: "not allowed here" in
    // .htaccess)
    spec('DeflateCompressionLevel', 1, 1, 'no-effect', true),
    spec('DeflateWindowSize', 1, 1, 'no-effect', true),
    spec('DeflateMemLevel', 1, 1, 'no-effect', true),
    spec('DeflateBufferSize', 1, 1, 'no-effect', true),
    spec('DeflateFilterNote', 1, 2, 'no-effect', true),
    spec('DeflateAlterETag', 1, 1, 'no-effect', true),
    spec('DeflateInflateLimitRequestBody', 1, 1, 'no-effect'),
    spec('DeflateInflateRatioLimit', 1, 1, 'no-effect'),
    spec('DeflateInflateRatioBurst', 1, 1, 'no-effect'),
    // mod_negotiation: OR_FILEINFO; CacheNegotiatedDocs RSRC_CONF
    spec('LanguagePriority', 1, ANY, 'no-effect'),
    spec('ForceLanguagePriority', 1, 2, 'no-effect'),
    spec('CacheNegotiatedDocs', 0, 1, 'no-effect', true),
  ].map((s) => [s.name.toLowerCase(), s]),
);

/** The directive names of this table, by the Apache module that owns them (for modules.ts). */
export const MIME_MODULE_DIRECTIVES = {
  core: [
    'SetHandler',
    'ForceType',
    'FileETag',
    'AcceptPathInfo',
    'LimitRequestBody',
    'Define',
    'UnDefine',
    'SetOutputFilter',
    'SetInputFilter',
    'DefaultType',
    'EnableSendfile',
    'EnableMMAP',
    'LimitXMLRequestBody',
    'CGIPassAuth',
    'ContentDigest',
    'MaxRanges',
    'MaxRangeOverlaps',
    'MaxRangeReversals',
  ],
  mime: [
    'AddCharset',
    'AddLanguage',
    'AddHandler',
    'RemoveType',
    'RemoveHandler',
    'RemoveCharset',
    'RemoveEncoding',
    'RemoveLanguage',
    'DefaultLanguage',
    'TypesConfig',
    'AddOutputFilter',
    'AddInputFilter',
    'RemoveOutputFilter',
    'RemoveInputFilter',
    'MultiviewsMatch',
    'ModMimeUsePathInfo',
  ],
  filter: [
    'AddOutputFilterByType',
    'FilterDeclare',
    'FilterProvider',
    'FilterChain',
    'FilterProtocol',
    'FilterTrace',
  ],
  deflate: [
    'DeflateCompressionLevel',
    'DeflateWindowSize',
    'DeflateMemLevel',
    'DeflateBufferSize',
    'DeflateFilterNote',
    'DeflateAlterETag',
    'DeflateInflateLimitRequestBody',
    'DeflateInflateRatioLimit',
    'DeflateInflateRatioBurst',
  ],
  negotiation: ['LanguagePriority', 'ForceLanguagePriority', 'CacheNegotiatedDocs'],
} as const;

/** A directive of this table, parsed: its canonical name and its words. */
export interface ParsedMime {
  readonly name: string;
  readonly args: readonly string[];
  readonly effect: MimeEffect;
}

export type MimeParse =
  | { readonly type: 'parsed'; readonly directive: ParsedMime }
  | {
      readonly type: 'refused';
      readonly code: 'ERR_DIRECTIVE_ARGS' | 'ERR_CONTEXT';
      readonly message: string;
      readonly pos: SourcePosition;
    };

/**
 * Checks one directive of this table (`inSection`: in a server config's section, not an
 * `.htaccess`); undefined when `name` is not one of them (parseLine's other cases and its
 * unknown-directive error take over).
 */
export function parseMimeDirective(
  name: string,
  words: readonly { text: string; pos: SourcePosition }[],
  context: ConfigContext,
  pos: SourcePosition,
  inSection = false,
): MimeParse | undefined {
  const s = MIME_SPECS.get(name.toLowerCase());
  if (!s) return undefined;
  if (s.serverOnly && context === 'directory' && !(s.inSections && inSection))
    return { type: 'refused', code: 'ERR_CONTEXT', message: `${s.name} not allowed here`, pos };
  if (words.length < s.min || words.length > s.max) {
    const wanted =
      s.max === ANY
        ? `at least ${s.min} argument${s.min === 1 ? '' : 's'}`
        : s.min === s.max
          ? `${s.min} argument${s.min === 1 ? '' : 's'}`
          : `${s.min} to ${s.max} arguments`;
    return {
      type: 'refused',
      code: 'ERR_DIRECTIVE_ARGS',
      message: `${s.name} takes ${wanted}`,
      pos: words[s.max === ANY ? 0 : s.max]?.pos ?? pos,
    };
  }
  const args = words.map((w) => w.text);
  const problem = checkValues(s.name, args);
  if (problem) return { type: 'refused', code: 'ERR_DIRECTIVE_ARGS', message: problem, pos };
  return { type: 'parsed', directive: { name: s.name, args, effect: s.effect } };
}

/** Values Apache refuses at load time (its own messages where it has one). */
function checkValues(name: string, args: readonly string[]): string | undefined {
  switch (name) {
    case 'AcceptPathInfo': {
      const v = args[0]!.toLowerCase();
      return v === 'on' || v === 'off' || v === 'default'
        ? undefined
        : 'AcceptPathInfo must be set to on, off or default';
    }
    case 'LimitRequestBody':
      // core: apr_strtoff, a non-negative number of bytes (0 = unlimited), at most 2 GiB
      return /^\d+$/.test(args[0]!) && Number(args[0]) <= 2147483647
        ? undefined
        : 'LimitRequestBody argument is not parsable.';
    case 'FileETag':
      return checkFileETag(args);
    case 'MaxRanges':
    case 'MaxRangeOverlaps':
    case 'MaxRangeReversals':
      return checkRangeLimit(name, args[0]!);
    case 'ContentDigest':
      // an AP_INIT_FLAG: ap_set_flag's own message
      return /^o(n|ff)$/i.test(args[0]!) ? undefined : 'ContentDigest must be On or Off';
    default:
      return undefined;
  }
}

/**
 * C's atoi as glibc has it: leading white space, a sign, the digits up to the first other
 * character (none: 0); strtol's clamp to 64 bits, then the cast to a 32-bit int.
 */
export function atoi(s: string): number {
  const m = /^[\t\n\v\f\r ]*([+-]?)(\d*)/.exec(s);
  const digits = m?.[2] || '0';
  // more digits than 2^63 has: strtol clamps (the exact value is not needed)
  let v = digits.length > 20 ? 2n ** 64n : BigInt(digits);
  if (m?.[1] === '-') v = -v;
  const max = 2n ** 63n - 1n;
  if (v > max) v = max;
  if (v < -max - 1n) v = -max - 1n;
  return Number(BigInt.asIntN(32, v));
}

/**
 * core's set_max_ranges, set_max_overlaps, set_max_reversals: `none`, `default`, `unlimited`
 * (any case) or what atoi reads as a positive number (`3x` is 3; case 439).
 */
function checkRangeLimit(name: string, value: string): string | undefined {
  if (/^(none|default|unlimited)$/i.test(value) || atoi(value) > 0) return undefined;
  return `${name} requires 'none', 'default', 'unlimited' or a positive integer`;
}

const ETAG_KEYWORDS = new Set(['inode', 'mtime', 'size', 'all', 'none', 'digest']);

/** core's set_etag_bits: keywords, all with or all without +/-; All and None never with +/-. */
function checkFileETag(args: readonly string[]): string | undefined {
  const signed = args.filter((a) => a.startsWith('+') || a.startsWith('-')).length;
  if (signed && signed !== args.length)
    return 'FileETag: either all keywords must start with + or -, or none may';
  for (const a of args) {
    const k = a.replace(/^[+-]/, '').toLowerCase();
    if (!ETAG_KEYWORDS.has(k)) return `Unknown keyword '${a}' for FileETag directive`;
    if (/^[+-]/.test(a) && (k === 'all' || k === 'none'))
      return `Illegal FileETag keyword '${a}': All and None cannot be +/-`;
  }
  return undefined;
}

/** core's Options keywords (server/core.c set_options); RunScripts is MultiViews + ExecCGI. */
const OPTION_KEYWORDS = new Set([
  'indexes',
  'includes',
  'includesnoexec',
  'followsymlinks',
  'symlinksifownermatch',
  'execcgi',
  'multiviews',
  'runscripts',
]);

/**
 * `Options`: Apache's load-time checks, in set_options' order and with its messages (recorded: an
 * unknown keyword and a mix of signed and unsigned keywords are 500s in an `.htaccess`).
 * MultiViews is mod_negotiation's (site/negotiation.ts).
 */
export function checkOptions(values: readonly string[]): string | undefined {
  let first = true;
  let merge = false;
  let allNone = false;
  for (const value of values) {
    const signed = value.startsWith('+') || value.startsWith('-');
    const w = signed ? value.slice(1) : value;
    if (signed && !merge && !first && !allNone)
      return 'Either all Options must start with + or -, or no Option may.';
    if (!signed && !first && merge)
      return 'Either all Options must start with + or -, or no Option may.';
    if (signed) merge = true;
    const k = w.toLowerCase();
    if (k === 'none' || k === 'all') {
      const shown = k === 'none' ? 'None' : 'All';
      if (!first) return `'Options ${shown}' must be the first Option given.`;
      if (merge) return `You may not use 'Options +${shown}' or 'Options -${shown}'.`;
      allNone = true;
    } else if (!OPTION_KEYWORDS.has(k)) return `Illegal option ${w}`;
    first = false;
  }
  return undefined;
}

/**
 * Directives that may stand in a `<Files>`/`<FilesMatch>` section here (mod_mime's and core's
 * per-file settings: OR_FILEINFO, applied to the matching files after the directory's).
 */
const FILES_SCOPED = new Set(
  [
    'AddType',
    'AddEncoding',
    'AddCharset',
    'AddLanguage',
    'AddHandler',
    'RemoveType',
    'RemoveCharset',
    'RemoveLanguage',
    'RemoveHandler',
    'RemoveEncoding',
    'DefaultLanguage',
    'ForceType',
    'SetHandler',
    'FileETag',
    // core's AcceptPathInfo is OR_FILEINFO too: <FilesMatch "index\.php"> AcceptPathInfo On lets
    // index.php/extra through (SnappyMail's .htaccess); the file walk matches the file, not its
    // PATH_INFO, and core's type checker copies the merged value to r->used_path_info
    'AcceptPathInfo',
    'SetOutputFilter',
    'SetInputFilter',
    'AddOutputFilterByType',
    'AddOutputFilter',
  ].map((n) => n.toLowerCase()),
);

/** Whether `name` is read (not refused) inside a `<Files>` section. */
export function isFilesScoped(name: string): boolean {
  return FILES_SCOPED.has(name.toLowerCase());
}
