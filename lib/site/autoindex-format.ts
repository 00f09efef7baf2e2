/**
 * The small formatting and matching routines mod_autoindex borrows from APR and httpd, byte for
 * byte: apr_strfsize (sizes), apr_strnatcmp (VersionSort), ap_strcmp_match (IndexIgnore and icon
 * patterns), apr_fnmatch (the client's `P=` pattern) and ap_os_escape_path (the links).
 */
import { escapeUri } from '../common/escape.js';

/** apr_strfsize: four characters, `  - ` for no size, `972 `, `1.0K`, ` 10K`, `1.5M`... */
export function strfsize(size: number): string {
  if (size < 0) return '  - ';
  if (size < 973) return `${String(size).padStart(3)} `;
  const units = 'KMGTPE';
  let unit = 0;
  for (;;) {
    let remain = size % 1024;
    size = Math.floor(size / 1024);
    if (size >= 973 && unit < units.length - 1) {
      unit++;
      continue;
    }
    if (size < 9 || (size === 9 && remain < 973)) {
      remain = Math.floor((remain * 5 + 256) / 512);
      if (remain >= 10) {
        size++;
        remain = 0;
      }
      return `${size}.${remain}${units[unit]}`;
    }
    if (remain >= 512) size++;
    return `${String(size).padStart(3)}${units[unit]}`;
  }
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);
/** A byte of a byte string as C's signed `char` compares it (x86: 0x80..0xff are negative). */
const signed = (c: number): number => (c > 0x7f ? c - 256 : c);
/** The byte at `i`, 0 past the end (C's terminating NUL). */
const at = (s: string, i: number): number => (i < s.length ? s.charCodeAt(i) : 0);

/**
 * strnatcmp's compare_right: right-aligned numbers, the longest run wins, then the first
 * difference.
 */
function compareRight(a: string, ai: number, b: string, bi: number): number {
  let bias = 0;
  for (; ; ai++, bi++) {
    const ca = at(a, ai);
    const cb = at(b, bi);
    if (!isDigit(ca) && !isDigit(cb)) return bias;
    if (!isDigit(ca)) return -1;
    if (!isDigit(cb)) return 1;
    if (ca < cb && !bias) bias = -1;
    else if (ca > cb && !bias) bias = 1;
  }
}

/** strnatcmp's compare_left: left-aligned (fractional, leading zero) numbers. */
function compareLeft(a: string, ai: number, b: string, bi: number): number {
  for (; ; ai++, bi++) {
    const ca = at(a, ai);
    const cb = at(b, bi);
    if (!isDigit(ca) && !isDigit(cb)) return 0;
    if (!isDigit(ca)) return -1;
    if (!isDigit(cb)) return 1;
    if (ca !== cb) return ca < cb ? -1 : 1;
  }
}

/** apr_strnatcmp / apr_strnatcasecmp on byte strings. */
export function strnatcmp(a: string, b: string, foldCase = false): number {
  let ai = 0;
  let bi = 0;
  for (;;) {
    while (isSpace(at(a, ai))) ai++;
    while (isSpace(at(b, bi))) bi++;
    let ca = at(a, ai);
    let cb = at(b, bi);
    if (isDigit(ca) && isDigit(cb)) {
      const fractional = ca === 0x30 || cb === 0x30;
      const r = fractional ? compareLeft(a, ai, b, bi) : compareRight(a, ai, b, bi);
      if (r) return r;
    }
    if (!ca && !cb) return 0;
    if (foldCase) {
      ca = ca >= 0x61 && ca <= 0x7a ? ca - 32 : ca;
      cb = cb >= 0x61 && cb <= 0x7a ? cb - 32 : cb;
    }
    if (signed(ca) !== signed(cb)) return signed(ca) < signed(cb) ? -1 : 1;
    ai++;
    bi++;
  }
}

/** strcmp (unsigned bytes), or strcasecmp with `foldCase`. */
export function strcmp(a: string, b: string, foldCase = false): number {
  const x = foldCase ? asciiLower(a) : a;
  const y = foldCase ? asciiLower(b) : b;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** C's tolower in the C locale: ASCII letters only (the strings are byte strings). */
function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** One pattern character: a literal, `?`, or a bracket expression (fnmatch only). */
type Atom = { any: true } | { chars: (c: string) => boolean } | { star: true };

function atoms(pattern: string, brackets: boolean, foldCase: boolean): Atom[] {
  const out: Atom[] = [];
  const fold = (c: string): string => (foldCase ? asciiLower(c) : c);
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') out.push({ star: true });
    else if (c === '?') out.push({ any: true });
    else if (c === '[' && brackets && pattern.indexOf(']', i + 2) > 0) {
      const end = pattern.indexOf(']', i + 2);
      const body = pattern.slice(i + 1, end);
      const negate = body[0] === '!' || body[0] === '^';
      const set = negate ? body.slice(1) : body;
      out.push({ chars: (x) => bracketHas(set, x) !== negate });
      i = end;
    } else {
      const want = fold(c);
      out.push({ chars: (x) => fold(x) === want });
    }
  }
  return out;
}

function bracketHas(set: string, c: string): boolean {
  for (let i = 0; i < set.length; i++) {
    if (set[i + 1] === '-' && i + 2 < set.length) {
      if (c >= set[i]! && c <= set[i + 2]!) return true;
      i += 2;
    } else if (set[i] === c) return true;
  }
  return false;
}

/**
 * Wildcard matching without backtracking blow-up (one remembered star, O(n·m)): `*` any run,
 * `?` one character, and with `brackets` fnmatch's `[...]`.
 */
function wildcard(str: string, pattern: Atom[]): boolean {
  let s = 0;
  let p = 0;
  let starP = -1;
  let starS = 0;
  while (s < str.length) {
    const a = pattern[p];
    if (a && 'star' in a) {
      starP = p++;
      starS = s;
    } else if (a && ('any' in a || a.chars(str[s]!))) {
      s++;
      p++;
    } else if (starP >= 0) {
      p = starP + 1;
      s = ++starS;
    } else return false;
  }
  while (p < pattern.length && 'star' in pattern[p]!) p++;
  return p === pattern.length;
}

const compiled = new Map<string, Atom[]>();

/**
 * ap_strcmp_match (`foldCase`: ap_strcasecmp_match): `*` and `?` only. Patterns come from
 * configuration.
 */
export function strcmpMatch(str: string, pattern: string, foldCase = false): boolean {
  const key = `${foldCase ? 'i' : 's'}${pattern}`;
  let a = compiled.get(key);
  if (!a) {
    a = atoms(pattern, false, foldCase);
    if (compiled.size < 1024) compiled.set(key, a);
  }
  return wildcard(str, a);
}

/** apr_fnmatch with APR_FNM_NOESCAPE | APR_FNM_PERIOD: a leading `.` only matches a literal `.`. */
export function fnmatchPeriod(pattern: string, name: string): boolean {
  if (name.startsWith('.') && !pattern.startsWith('.')) return false;
  return wildcard(name, atoms(pattern, true, false));
}

/** ap_os_escape_path(name, partial = 0): a `:` before any `/` gets `./` in front (not a scheme). */
export function osEscapePath(name: string): string {
  const colon = name.indexOf(':');
  const slash = name.indexOf('/');
  const prefix = colon >= 0 && (slash < 0 || colon < slash) ? './' : '';
  return prefix + escapeUri(name);
}

/** `%Y-%m-%d %H:%M` in local time, as apr_time_exp_lt + apr_strftime. */
export function listingTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}
