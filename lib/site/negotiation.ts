/**
 * mod_negotiation's MultiViews (modules/mappers/mod_negotiation.c handle_multi): a request for a
 * file that does not exist, in a directory with `Options MultiViews`, is answered by the best of
 * the files `name.*` beside it (read_types_multi), chosen by Apache's own algorithm
 * (is_variant_better: media type, language, level, charset, encoding, then the smallest), with
 * `Vary`, `TCN: choice` and `Content-Location` (recorded, cases 480–483). No variant acceptable:
 * 406 with the variant list. What is not emulated is refused (a 500 with its reason), never
 * answered otherwise: type maps, variants run by a handler, a client's `Negotiate` header
 * (transparent negotiation's 300 and Alternates), and MultiviewsMatch / LanguagePriority /
 * ForceLanguagePriority lines other than Debian's stock negotiation.conf.
 */
import { readdirSync, statSync, type Dirent, type Stats } from 'node:fs';
import { fileHeaders, handlerFor, knownExtension, type FileSettings } from './mime.js';

/** One entry of an Accept* header (accept_rec): name lower-case, quality, level, charset. */
interface AcceptRec {
  readonly name: string;
  readonly quality: number;
  readonly level: number;
  readonly charset: string;
}

/** A variant (var_rec) and the qualities best_match gives it. */
interface Variant {
  readonly fileName: string;
  readonly filename: string;
  readonly stat: Stats;
  readonly mimeType: string;
  readonly level: number;
  readonly charset: string;
  readonly languages: readonly string[];
  readonly encoding: string | undefined;
  readonly isPseudoHtml: boolean;
  mimeQuality: number;
  langQuality: number;
  charsetQuality: number;
  encodingQuality: number;
  langIndex: number;
  levelMatched: number;
  mimeStars: number;
}

/** What negotiation decided for the request. */
export type Negotiated =
  | { readonly type: 'declined' }
  | { readonly type: 'status'; readonly status: number; readonly reason: string }
  | {
      readonly type: 'choice';
      readonly filename: string;
      readonly fileName: string;
      readonly stat: Stats;
      readonly headers: readonly (readonly [string, string])[];
    }
  | {
      readonly type: 'list';
      readonly headers: readonly (readonly [string, string])[];
      readonly variantList: string;
    };

/** The request as mod_negotiation reads it. */
export interface NegotiationRequest {
  /** r->filename: the missing file. */
  readonly filename: string;
  readonly method: string;
  readonly pathInfo: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly env: ReadonlyMap<string, string>;
  /** The settings of a candidate file (its directory's, its `<Files>` sections'). */
  readonly settingsOf: (filename: string) => FileSettings;
  /** Whether the candidate's sub-request would be refused (the access checks, a broken config). */
  readonly refused: (filename: string) => boolean;
}

/** Debian's mods-available/negotiation.conf, in force wherever mod_negotiation is enabled. */
const LANGUAGE_PRIORITY = [
  ...'en ca cs da de el eo es et fr he hr it ja ko ltz nl nn no pl pt pt-BR ru sv tr'.split(' '),
  'zh-CN',
  'zh-TW',
];

const MAP_FILE_MAGIC_TYPE = 'application/x-type-map';

/** handle_multi: declined unless a variant exists; else the choice, a 406 list, or a refusal. */
export function negotiate(req: NegotiationRequest): Negotiated {
  const found = readTypesMulti(req);
  if (found.type !== 'variants') return found;
  const variants = found.variants;
  if (!variants.length) return { type: 'declined' };
  // do_negotiation: transparent for GET (and HEAD) without PATH_INFO
  const transparent = (req.method === 'GET' || req.method === 'HEAD') && !req.pathInfo;
  if (transparent && negotiateHeader(req.headers)) {
    const reason = 'MultiViews: transparent negotiation (a Negotiate header) is not emulated';
    return { type: 'status', status: 500, reason };
  }
  const best = bestMatch(variants, req);
  const vary = varyOf(variants, transparent);
  if (!best) {
    const headers: [string, string][] = [['Alternates', alternatesOf(variants)]];
    if (vary) headers.push(['Vary', vary]);
    if (transparent) headers.push(['TCN', 'list']);
    return { type: 'list', headers, variantList: variantListOf(variants) };
  }
  const headers: [string, string][] = [];
  if (transparent) headers.push(['Content-Location', escapePathSegment(best.fileName)]);
  if (vary) headers.push(['Vary', vary]);
  if (transparent) headers.push(['TCN', 'choice']);
  const { filename, fileName, stat } = best;
  return { type: 'choice', filename, fileName, stat, headers };
}

/** parse_negotiate_header: any Negotiate header but Lynx's bare "trans" asks for TCN. */
function negotiateHeader(headers: NegotiationRequest['headers']): boolean {
  const value = first(headers['negotiate']);
  if (value === undefined) return false;
  return !(value === 'trans' && (first(headers['user-agent']) ?? '').startsWith('Lynx'));
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

type Found =
  | { readonly type: 'variants'; readonly variants: Variant[] }
  | Extract<Negotiated, { type: 'status' }>;

/**
 * read_types_multi: the entries `name.*` of the directory (not directories), each a variant when
 * mod_mime recognises every extension past the requested name and gives it a type; some matched
 * but none usable: 404 (AH00687). Sorted by name (variantsortf).
 */
function readTypesMulti(req: NegotiationRequest): Found {
  const slash = req.filename.lastIndexOf('/');
  const dir = req.filename.slice(0, slash);
  const name = req.filename.slice(slash + 1);
  let entries: Dirent[];
  try {
    entries = readdirSync(dir || '/', { withFileTypes: true });
  } catch {
    return { type: 'status', status: 403, reason: `cannot read directory for multi: ${dir}` };
  }
  const variants: Variant[] = [];
  let anyMatch = false;
  for (const entry of entries) {
    if (!entry.name.startsWith(name + '.') || entry.isDirectory()) continue;
    anyMatch = true;
    const filename = `${dir}/${entry.name}`;
    const v = variantOf(req, filename, entry.name, name);
    if (v === undefined) continue;
    if (typeof v === 'string') return { type: 'status', status: 500, reason: v };
    variants.push(v);
  }
  if (anyMatch && !variants.length) {
    const reason = `Negotiation: discovered file(s) matching request: ${req.filename} (None could be negotiated).`;
    return { type: 'status', status: 404, reason };
  }
  variants.sort((a, b) => Buffer.compare(Buffer.from(a.fileName), Buffer.from(b.fileName)));
  return { type: 'variants', variants };
}

/**
 * One candidate: undefined when it is not a variant (not a regular file, an extension mod_mime
 * does not know, no type, its sub-request refused); a string: why it cannot be emulated.
 */
function variantOf(
  req: NegotiationRequest,
  filename: string,
  fileName: string,
  requested: string,
): Variant | string | undefined {
  let stat: Stats;
  try {
    stat = statSync(filename);
  } catch {
    return undefined;
  }
  if (!stat.isFile()) return undefined;
  const settings = req.settingsOf(filename);
  const tuning = settings.mime?.negotiationTuning;
  if (tuning) return `MultiViews: \`${tuning}\` is not emulated (Debian's negotiation.conf is)`;
  if (!knownExtensions(fileName, requested, settings)) return undefined;
  if (req.refused(filename)) return undefined;
  const headers = fileHeaders(filename, settings);
  const handler = handlerFor(filename, settings.mime);
  if (handler === 'type-map' || headers.type?.toLowerCase().startsWith(MAP_FILE_MAGIC_TYPE))
    return `MultiViews: the type map ${filename} is not emulated`;
  if (handler)
    return `MultiViews: the variant ${filename} has a handler (${handler}): not emulated`;
  if (!headers.type) return undefined;
  const mime = parseEntry(headers.type, 0).rec;
  return {
    fileName,
    filename,
    stat,
    mimeType: mime.name,
    level: mime.level,
    charset: mime.charset,
    languages: headers.language ? headers.language.toLowerCase().split(',') : [],
    encoding: headers.encoding,
    isPseudoHtml: mime.name === 'text/html',
    mimeQuality: 1,
    langQuality: 1,
    charsetQuality: 1,
    encodingQuality: 1,
    langIndex: -1,
    levelMatched: 0,
    mimeStars: 0,
  };
}

/**
 * mod_mime's "ap-mime-exceptions-list" (find_ct): the base name and every extension it has no
 * type, charset, language or encoding for (MultiviewsMatch NegotiatedOnly: a handler alone does not
 * count); each must match the requested name's segments in order (read_types_multi): `/app`
 * is not answered by `app.min.js` (recorded, case 482).
 */
function knownExtensions(fileName: string, requested: string, s: FileSettings): boolean {
  const [base = '', ...exts] = fileName.split('.');
  const exceptions = [base];
  for (const ext of exts) if (ext && !knownExtension(ext.toLowerCase(), s)) exceptions.push(ext);
  let left = exceptions.length;
  let i = 0;
  for (const segment of requested.split('.')) {
    if (!left) break;
    if (segment === exceptions[i]) {
      left--;
      i++;
    }
  }
  return left === 0;
}

/** get_entry: one `name; param=value` item of an Accept* header (or a Content-Type). */
function parseEntry(line: string, at: number): { rec: AcceptRec; next: number } {
  let i = skipSpaces(line, at);
  const start = i;
  while (i < line.length && !/[\s;,]/.test(line[i]!)) i++;
  const name = line.slice(start, i).toLowerCase();
  i = skipSpaces(line, i);
  // KLUDGE (get_entry): HTML is level 2 unless the entry says otherwise
  let level = name === 'text/html' ? 2 : 0;
  let quality = 1;
  let charset = '';
  while (line[i] === ';') {
    const param = parseParam(line, i + 1);
    i = param.next;
    if (param.name === 'q' || param.name === 'qs') quality = atoq(param.value);
    else if (param.name === 'level') level = Number.parseInt(param.value, 10) || 0;
    else if (param.name === 'charset') charset = param.value;
  }
  if (line[i] === ',') i++;
  return { rec: { name, quality, level, charset }, next: i };
}

function skipSpaces(line: string, i: number): number {
  while (i < line.length && /\s/.test(line[i]!)) i++;
  return i;
}

/** One `;name=value` parameter (get_entry's loop): names and values lower-case. */
function parseParam(line: string, at: number): { name: string; value: string; next: number } {
  let i = skipSpaces(line, at);
  const start = i;
  while (i < line.length && !/[;,]/.test(line[i]!)) i++;
  const parm = line.slice(start, i).trim();
  const next = skipSpaces(line, i);
  const eq = parm.search(/[\s=]/);
  if (eq < 0) return { name: '', value: '', next };
  const name = parm.slice(0, eq).toLowerCase();
  let value = parm.slice(eq).replace(/^[\s=]+/, '');
  value = value.startsWith('"') ? value.slice(1).split(/["\r\n]/)[0]! : value.split(/\s/)[0]!;
  return { name, value: value.toLowerCase(), next };
}

/** atoq: RFC 2616 qvalues, three decimals at most; anything else not starting 0 or . is 1. */
function atoq(s: string): number {
  const t = s.trimStart();
  if (!t) return 1;
  let i = 0;
  if (t[0] !== '.' && t[i++] !== '0') return 1;
  if (t[i] !== '.') return 0;
  const digits = t.slice(i + 1, i + 4);
  let n = 0;
  if (/^\d/.test(digits)) n += Number(digits[0]) * 100;
  if (/^\d\d/.test(digits)) n += Number(digits[1]) * 10;
  if (/^\d\d[1-9]/.test(digits)) n += Number(digits[2]);
  return Math.fround(n / 1000);
}

/** do_header_line: every entry of the header; undefined when the header is absent. */
function headerLine(value: string | string[] | undefined): AcceptRec[] | undefined {
  const line = first(value);
  if (line === undefined) return undefined;
  const recs: AcceptRec[] = [];
  let i = 0;
  while (i < line.length) {
    const { rec, next } = parseEntry(line, i);
    recs.push(rec);
    if (next <= i) break;
    i = next;
  }
  return recs;
}

/** The client's Accept* headers (parse_accept_headers, maybe_add_default_accepts). */
interface Accepts {
  readonly types: readonly AcceptRec[];
  /** accept_q: some Accept entry has a quality below 1 (no wildcard fiddles then). */
  readonly explicitQ: boolean;
  readonly languages: readonly AcceptRec[] | undefined;
  readonly charsets: readonly AcceptRec[] | undefined;
  readonly encodings: readonly AcceptRec[] | undefined;
}

function acceptsOf(headers: NegotiationRequest['headers']): Accepts {
  const given = headerLine(headers['accept']);
  const types = given ?? [{ name: '*/*', quality: 1, level: 0, charset: '' }];
  return {
    types,
    explicitQ: !!given?.some((a) => a.quality < 1),
    languages: headerLine(headers['accept-language']),
    charsets: headerLine(headers['accept-charset']),
    encodings: headerLine(headers['accept-encoding']),
  };
}

/**
 * best_match with is_variant_better (Apache's algorithm, not RVSA): undefined when no variant is
 * acceptable (bestq 0). mod_deflate's no-gzip / gzip-only-text/html and prefer-language are read
 * from the environment as mod_negotiation does.
 */
function bestMatch(variants: Variant[], req: NegotiationRequest): Variant | undefined {
  const accepts = acceptsOf(req.headers);
  const defaultLangQ = variants.some((v) => v.languages.length) ? 0.0001 : 1;
  const discard = discardMode(req.env);
  let preferred = req.env.get('prefer-language');
  for (;;) {
    let best: Variant | undefined;
    let bestq = 0;
    for (const v of variants) {
      if (discard && discardedByEnv(v, discard)) continue;
      if (preferred !== undefined && !v.languages.includes(preferred)) continue;
      setQualities(v, accepts, defaultLangQ, preferred !== undefined);
      const q = isVariantBetter(v, best, bestq);
      if (q !== undefined) {
        best = v;
        bestq = q;
      }
    }
    const chosen = bestq > 0 ? best : undefined;
    if (preferred !== undefined && !chosen) {
      preferred = undefined;
      continue;
    }
    return chosen;
  }
}

function discardMode(env: ReadonlyMap<string, string>): number {
  if (env.has('no-gzip')) return 1;
  return env.get('gzip-only-text/html') === '1' ? 2 : 0;
}

/** discard_variant_by_env: encoded variants under no-gzip (1), non-HTML ones under 2. */
function discardedByEnv(v: Variant, mode: number): boolean {
  const enc = v.encoding;
  if (!enc || isIdentity(enc) || enc === 'identity') return false;
  return mode === 1 || !v.mimeType.startsWith('text/html');
}

function isIdentity(enc: string | undefined): boolean {
  return !enc || enc === '7bit' || enc === '8bit' || enc === 'binary';
}

function setQualities(v: Variant, a: Accepts, defaultLangQ: number, preferred: boolean): void {
  v.mimeStars = 0;
  v.levelMatched = 0;
  v.langIndex = -1;
  v.mimeQuality = acceptQuality(v, a);
  if (preferred) v.langQuality = 1;
  else setLanguageQuality(v, a.languages, defaultLangQ);
  v.encodingQuality = encodingQuality(v.encoding, a.encodings);
  v.charsetQuality = charsetQuality(v, a.charsets);
}

/** set_accept_quality with mime_match: the best (fewest stars) match's q, wildcards fiddled. */
function acceptQuality(v: Variant, a: Accepts): number {
  let q = 0;
  for (const type of a.types) {
    const before = v.mimeStars;
    if (!mimeMatch(type, v) || before === v.mimeStars) continue;
    if (!a.explicitQ && v.mimeStars === 1) q = Math.fround(0.01);
    else if (!a.explicitQ && v.mimeStars === 2) q = Math.fround(0.02);
    else q = type.quality;
  }
  return q;
}

function mimeMatch(accept: AcceptRec, v: Variant): boolean {
  const t = accept.name;
  if (t.startsWith('*')) {
    v.mimeStars = Math.max(v.mimeStars, 1);
    return true;
  }
  if (t.endsWith('*') && v.mimeType.startsWith(t.slice(0, -2))) {
    v.mimeStars = Math.max(v.mimeStars, 2);
    return true;
  }
  if (t === v.mimeType && accept.level >= v.level) {
    v.levelMatched = v.level;
    v.mimeStars = 3;
    return true;
  }
  return false;
}

/**
 * set_language_quality: the q of the longest Accept-Language range matching each of the
 * variant's languages (a prefix up to `-`), `*`, the en-US → en fiddle (0.001); variants without a
 * language get 0.0001 when others have one. Then ForceLanguagePriority Prefer Fallback with
 * Debian's LanguagePriority list (its negotiation.conf).
 */
function setLanguageQuality(
  v: Variant,
  langs: readonly AcceptRec[] | undefined,
  defaultLangQ: number,
): void {
  if (!v.languages.length) {
    v.langQuality = defaultLangQ;
    return;
  }
  v.langQuality = langs ? matchedLanguageQuality(v.languages, langs) : 1;
  const needed = v.langIndex < 0 || !v.langQuality;
  if (!needed) return;
  let bestIdx = -1;
  for (const lang of v.languages) {
    const idx = LANGUAGE_PRIORITY.findIndex((p) => lang.startsWith(p));
    if (idx >= 0 && (bestIdx === -1 || idx < bestIdx)) bestIdx = idx;
  }
  if (bestIdx < 0) return;
  v.langIndex = bestIdx;
  if (!v.langQuality) v.langQuality = Math.fround(0.0001);
}

function matchedLanguageQuality(languages: readonly string[], langs: readonly AcceptRec[]): number {
  let best: AcceptRec | undefined;
  let star: AcceptRec | undefined;
  let fiddle = 0;
  let anyStar = false;
  for (const lang of languages) {
    let bestThisTag: AcceptRec | undefined;
    let longest = 0;
    for (const a of langs) {
      if (a.name === '*') {
        star ??= a;
        continue;
      }
      const n = a.name.length;
      const matches = lang.startsWith(a.name) && (lang.length === n || lang[n] === '-');
      if (matches && n > longest) {
        longest = n;
        bestThisTag = a;
      }
      const dash = a.name.indexOf('-');
      if (!bestThisTag && dash >= 0 && lang.startsWith(a.name.slice(0, dash)))
        fiddle = Math.fround(0.001);
    }
    if (!best || (bestThisTag && bestThisTag.quality > best.quality)) best = bestThisTag;
    if (!bestThisTag && star) anyStar = true;
  }
  if (anyStar && star && (!best || star.quality > best.quality)) best = star;
  return best ? best.quality : fiddle;
}

/** set_encoding_quality: no Accept-Encoding: identity 1, encoded 0.5; else as listed. */
function encodingQuality(
  enc: string | undefined,
  accepts: readonly AcceptRec[] | undefined,
): number {
  if (!accepts) return isIdentity(enc) ? 1 : 0.5;
  let name = enc && !isIdentity(enc) ? enc : 'identity';
  const ifNotFound = name === 'identity' ? Math.fround(0.0001) : 0;
  if (name.startsWith('x-')) name = name.slice(2);
  let star: AcceptRec | undefined;
  for (const a of accepts) {
    const n = a.name.startsWith('x-') ? a.name.slice(2) : a.name;
    if (n === name) return a.quality;
    if (n === '*') star = a;
  }
  return star ? star.quality : ifNotFound;
}

/** set_charset_quality: text without a charset counts as iso-8859-1. */
function charsetQuality(v: Variant, accepts: readonly AcceptRec[] | undefined): number {
  if (!accepts) return 1;
  let charset = v.charset;
  if (!charset) {
    if (!v.mimeType.startsWith('text/')) return 1;
    charset = 'iso-8859-1';
  }
  let star: AcceptRec | undefined;
  for (const a of accepts) {
    if (a.name === charset) return a.quality;
    if (a.name === '*') star = a;
  }
  if (star) return star.quality;
  return charset === 'iso-8859-1' ? 1 : 0;
}

/** is_variant_better: the new best q, or undefined when `v` is not better than `best`. */
function isVariantBetter(v: Variant, best: Variant | undefined, bestq: number): number | undefined {
  const qs = [v.encodingQuality, v.langQuality, v.charsetQuality, v.mimeQuality];
  if (qs.some((q) => q === 0)) return undefined;
  const q = v.mimeQuality;
  if (q === 0 || q < bestq) return undefined;
  if (q > bestq || !best) return q;
  const steps = [
    compare(v.langQuality, best.langQuality),
    compareLangIndex(v, best),
    levelCmp(v, best),
    charsetCmp(v, best),
    compare(v.encodingQuality, best.encodingQuality),
  ];
  for (const s of steps) {
    if (s < 0) return undefined;
    if (s > 0) return q;
  }
  return v.stat.size < best.stat.size ? q : undefined;
}

function compare(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** LanguagePriority's index, when the language qualities tie. */
function compareLangIndex(v: Variant, best: Variant): number {
  if (best.langIndex !== -1 && (v.langIndex === -1 || v.langIndex > best.langIndex)) return -1;
  if (v.langIndex !== -1 && (best.langIndex === -1 || v.langIndex < best.langIndex)) return 1;
  return 0;
}

/** level_cmp: between variants of one media type (or HTML), the matched level, else the lowest. */
function levelCmp(v: Variant, best: Variant): number {
  if (v.isPseudoHtml && !best.isPseudoHtml) return 0;
  if (!v.isPseudoHtml && v.mimeType !== best.mimeType) return 0;
  if (v.levelMatched !== best.levelMatched) return v.levelMatched > best.levelMatched ? 1 : -1;
  if (v.level !== best.level) return v.level < best.level ? 1 : -1;
  return 0;
}

/** The charset step: a better quality, or a charset other than iso-8859-1 over one that is. */
function charsetCmp(v: Variant, best: Variant): number {
  if (v.charsetQuality < best.charsetQuality) return -1;
  const own = v.charset !== '' && v.charset !== 'iso-8859-1';
  const bestPlain = best.charset === '' || best.charset === 'iso-8859-1';
  return v.charsetQuality > best.charsetQuality || (own && bestPlain) ? 1 : 0;
}

/** set_neg_headers' Vary: negotiate (transparent), then each dimension the variants differ in. */
function varyOf(variants: readonly Variant[], transparent: boolean): string | undefined {
  const [a] = variants;
  const differ = (f: (v: Variant) => string): boolean => variants.some((v) => f(v) !== f(a!));
  const parts: string[] = [];
  if (transparent) parts.push('negotiate');
  if (differ((v) => v.mimeType)) parts.push('accept');
  if (differ((v) => v.languages.join(','))) parts.push('accept-language');
  if (differ((v) => v.charset)) parts.push('accept-charset');
  if (differ((v) => v.encoding ?? '')) parts.push('accept-encoding');
  return parts.length ? parts.join(', ') : undefined;
}

/** set_neg_headers' Alternates (sent with a list response): source quality 1 for MultiViews. */
function alternatesOf(variants: readonly Variant[]): string {
  return variants
    .map((v) => {
      let s = `{"${escapePathSegment(v.fileName)}" 1`;
      if (v.mimeType) s += ` {type ${v.mimeType}}`;
      if (v.charset) s += ` {charset ${v.charset}}`;
      if (v.languages.length) s += ` {language ${v.languages.join(',')}}`;
      if (v.encoding) s += ` {encoding ${v.encoding}}`;
      return `${s} {length ${v.stat.size}}}`;
    })
    .join(', ');
}

/** make_variant_list: the 406 page's list (file names as they are, like Apache's). */
function variantListOf(variants: readonly Variant[]): string {
  const items = variants.map((v) => {
    let s = `<li><a href="${v.fileName}">${v.fileName}</a> `;
    if (v.mimeType) s += `, type ${v.mimeType}`;
    if (v.languages.length) s += `, language ${v.languages.join(',')}`;
    if (v.charset) s += `, charset ${v.charset}`;
    if (v.encoding) s += `, encoding ${v.encoding}`;
    return s + '</li>\n';
  });
  return `Available variants:\n<ul>\n${items.join('')}</ul>\n`;
}

/** ap_escape_path_segment: what is not a path segment character, %-escaped. */
function escapePathSegment(s: string): string {
  return Array.from(Buffer.from(s, 'utf8'))
    .map((b) => {
      const c = String.fromCharCode(b);
      return /[A-Za-z0-9$\-_.+!*'(),:@&=~]/.test(c) ? c : '%' + b.toString(16).padStart(2, '0');
    })
    .join('');
}
