/** apr_fnmatch as a RegExp: core's `<Files>`/`<Directory>` wildcards and Include's globs. */

/** Characters a RegExp (with the `u` flag) needs escaped, outside a class and inside one. */
const SPECIAL_OUTSIDE = /[\\^$.*+?()[\]{}|/]/g;
const SPECIAL_INSIDE = /[\\\]^[-]/g;

/**
 * apr_fnmatch (flags APR_FNM_PATHNAME, as core's file walk calls it, unless `pathname: false`;
 * APR_FNM_CASE_BLIND with `caseBlind`) as an anchored RegExp: `*` and `?` never match `/`, `[...]` (`[!...]`/`[^...]` negated, ranges) one character, `\\x` the
 * character x. Case-sensitive, a leading `.` is not special.
 */
export function fnmatchRegExp(
  pattern: string,
  flags: { readonly pathname?: boolean; readonly caseBlind?: boolean } = {},
): RegExp {
  // without APR_FNM_PATHNAME (ap_expr's -strmatch, -strcmatch) `*`, `?` and a class match `/` too
  const pathname = flags.pathname ?? true;
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === '*') out += pathname ? '[^/]*' : '.*';
    else if (c === '?') out += pathname ? '[^/]' : '.';
    else if (c === '\\' && i + 1 < pattern.length) out += escapeChar(pattern.charAt(++i));
    else if (c === '[') {
      const bracket = bracketClass(pattern, i, pathname);
      if (bracket) {
        out += bracket.source;
        i = bracket.end;
      } else out += escapeChar(c);
    } else out += escapeChar(c);
  }
  return new RegExp(`^(?:${out})$`, flags.caseBlind ? 'siu' : 'su');
}

const escapeChar = (c: string): string => c.replace(SPECIAL_OUTSIDE, '\\$&');
const escapeInClass = (c: string): string => c.replace(SPECIAL_INSIDE, '\\$&');

/**
 * A `[...]` class starting at `start`, or undefined when it is not closed (then `[` is literal).
 */
function bracketClass(
  pattern: string,
  start: number,
  pathname = true,
): { source: string; end: number } | undefined {
  let i = start + 1;
  const negate = pattern.charAt(i) === '!' || pattern.charAt(i) === '^';
  if (negate) i++;
  let body = '';
  let first = true;
  while (i < pattern.length) {
    let c = pattern.charAt(i);
    if (c === ']' && !first) {
      // a slash is never matched by a class under APR_FNM_PATHNAME
      if (!pathname) return { source: `[${negate ? '^' : ''}${body}]`, end: i };
      return { source: negate ? `[^/${body}]` : `(?!/)[${body}]`, end: i };
    }
    first = false;
    if (c === '\\' && i + 1 < pattern.length) c = pattern.charAt(++i);
    body += escapeInClass(c);
    if (pattern.charAt(i + 1) === '-' && i + 2 < pattern.length && pattern.charAt(i + 2) !== ']') {
      let hi = pattern.charAt(i + 2);
      i += 2;
      if (hi === '\\' && i + 1 < pattern.length) hi = pattern.charAt(++i);
      if (hi < c) return undefined;
      body += '-' + escapeInClass(hi);
    }
    i++;
  }
  return undefined;
}
