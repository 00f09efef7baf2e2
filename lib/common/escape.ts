/**
 * The three escapers Apache uses, on byte strings:
 * - escapeBackref: the [B] family (lowercase hex, `+` for space unless BNP),
 * - escapeUri: `ap_escape_uri` (redirects, int:escape; lowercase hex),
 * - proxyCanon: mod_proxy's canonicalisation of a [P] path (uppercase hex).
 */

const HEX_LOWER = '0123456789abcdef';
const HEX_UPPER = '0123456789ABCDEF';

/** Bytes kept as they are: 1. A byte array (256 bytes) is four cache lines; a JS array, 32. */
function table(keep: string): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) {
    const ch = String.fromCharCode(c);
    if (/[A-Za-z0-9]/.test(ch) || keep.includes(ch)) t[c] = 1;
  }
  return t;
}

/** ap_escape_uri / ap_os_escape_path(partial): alnum and `$-_.+!*'(),:;@&=/~` are kept. */
const URI_KEEP = table("$-_.+!*'(),:;@&=/~");
/** mod_proxy canonenc for paths: alnum and `~$-_.+!*'(),;:@&=` plus `/` are kept. */
const PROXY_KEEP = table("~$-_.+!*'(),;:@&=/");

function escapeWith(s: string, keep: Uint8Array, hex: string): string {
  let out = '';
  let plain = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) & 0xff;
    if (keep[c] === 1) continue;
    out += s.slice(plain, i) + '%' + hex[c >> 4] + hex[c & 15];
    plain = i + 1;
  }
  return plain === 0 ? s : out + s.slice(plain);
}

export function escapeUri(s: string): string {
  return escapeWith(s, URI_KEEP, HEX_LOWER);
}

/**
 * mod_proxy's canonicalisation (ap_proxy_canonenc_ex, reverse proxy, path part): an existing
 * `%XX` is re-encoded too (`%` → `%25`) because the path handed over is already decoded.
 */
export function proxyCanon(s: string): string {
  return escapeWith(s, PROXY_KEEP, HEX_UPPER);
}

/**
 * Visible characters and obs-text (what `ap_scan_vchar_obstext` accepts): 0x21..0x7e and
 * 0x80..0xff.
 */
export function isVcharObstext(c: number): boolean {
  return (c > 0x20 && c < 0x7f) || c >= 0x80;
}

/** True when the string contains a control character or a space (Apache's AH10410 check). */
export function hasCtlOrSpace(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isVcharObstext(s.charCodeAt(i))) return true;
  return false;
}

export interface BackrefEscapeFlags {
  /** B=chars: escape only these (alnum and `_` are never escaped). */
  readonly escapes?: string;
  /** BNE=chars: never escape these. */
  readonly noescapes?: string;
  /** BNP: space becomes %20 instead of +. */
  readonly noplus: boolean;
  /** BCTLS: escape only controls and space (plus B=chars). */
  readonly ctls: boolean;
}

/** mod_rewrite's escape_backref. */
export function escapeBackref(s: string, f: BackrefEscapeFlags): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const c = s.charCodeAt(i);
    const selected =
      (f.ctls ? !isVcharObstext(c) : !f.escapes) ||
      (f.escapes !== undefined && f.escapes.includes(ch));
    if (selected && !(f.noescapes !== undefined && f.noescapes.includes(ch))) {
      if (/[A-Za-z0-9_]/.test(ch)) out += ch;
      else if (ch === ' ' && !f.noplus) out += '+';
      else out += '%' + HEX_LOWER[c >> 4] + HEX_LOWER[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

const hexVal = (c: number): number =>
  c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;

/**
 * ap_unescape_url for int:unescape: decodes every valid %XX (including %2f); invalid escapes stay.
 */
export function unescapeLoose(s: string): string {
  if (!s.includes('%')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (
      s[i] === '%' &&
      i + 2 < s.length + 0 &&
      hexVal(s.charCodeAt(i + 1)) >= 0 &&
      hexVal(s.charCodeAt(i + 2)) >= 0
    ) {
      out += String.fromCharCode(hexVal(s.charCodeAt(i + 1)) * 16 + hexVal(s.charCodeAt(i + 2)));
      i += 2;
    } else out += s[i];
  }
  return out;
}

export type DecodeResult =
  { type: 'decoded'; value: string } | { type: 'refused'; status: 400 | 404 };

/**
 * ap_unescape_url for request paths: a malformed escape → 400, `%2F` (without AllowEncodedSlashes)
 * and `%00` → 404.
 */
export function unescapePath(s: string, allowEncodedSlashes = false): DecodeResult {
  if (!s.includes('%')) return { type: 'decoded', value: s };
  let out = '';
  let badEscape = false;
  let badPath = false;
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '%') {
      out += s[i];
      continue;
    }
    const h = hexVal(s.charCodeAt(i + 1));
    const l = hexVal(s.charCodeAt(i + 2));
    if (h < 0 || l < 0) {
      badEscape = true;
      out += '%';
      continue;
    }
    const c = h * 16 + l;
    if (c === 0 || (c === 0x2f && !allowEncodedSlashes)) {
      badPath = true;
      out += s.slice(i, i + 3);
      i += 2;
      continue;
    }
    out += String.fromCharCode(c);
    i += 2;
  }
  if (badEscape) return { type: 'refused', status: 400 };
  if (badPath) return { type: 'refused', status: 404 };
  return { type: 'decoded', value: out };
}

/**
 * r->args as the query of `req.url`. A `#` there (a back-reference of a decoded `%23`, as
 * `index.php?q=$1` for /a%23b) is part of Apache's query string (QUERY_STRING, $_GET), but
 * every URL parser, Express's included, reads it as a fragment and drops the rest: it goes as
 * `%23`, which query parsers decode back to the same value (rule sets 6713, 7325, 13054).
 */
export function queryForUrl(args: string): string {
  return args.includes('#') ? args.replaceAll('#', '%23') : args;
}

/** Escapes a decoded byte-string path for use as `req.url` (routing), keeping `/`. */
export function encodePathForUrl(s: string): string {
  return escapeWith(s, PROXY_KEEP, HEX_UPPER);
}
