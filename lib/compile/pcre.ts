/**
 * PCRE (as Apache compiles it: DOTALL, DOLLAR_ENDONLY) → JavaScript RegExp source.
 * Subjects are byte strings (one char per byte, see engine/bytes.ts), so patterns are converted to
 * the same form and match byte-wise like PCRE without UTF mode.
 */

import { setFlagsFromString } from 'node:v8';

/**
 * ReDoS guard. Rules are written by users, URLs by attackers: a pattern like `^(a+)+$` backtracks
 * exponentially in V8's Irregexp (28 characters already take seconds), where Apache's PCRE stops at
 * its match limit. V8 can switch such a regexp to its linear-time engine once it has backtracked too
 * much; the matches are the same. The switch is process-wide and applies to regexps compiled after
 * it, so it is turned on here, before any rule is compiled. Opt out with MODREWRITE_REGEXP_FALLBACK=0.
 * (Patterns with back-references or lookaround cannot use the linear engine.)
 */
if (process.env.MODREWRITE_REGEXP_FALLBACK !== '0') {
  try {
    setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  } catch {
    // a runtime without the flag keeps plain backtracking
  }
}

export class PcreError extends Error {
  constructor(message: string, readonly offset: number, readonly unsupported: boolean) {
    super(message);
  }
}

const POSIX: Record<string, string> = {
  alpha: 'a-zA-Z', digit: '0-9', alnum: 'a-zA-Z0-9', upper: 'A-Z', lower: 'a-z', space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t', punct: '!-\\/:-@\\[-`{-~', xdigit: '0-9A-Fa-f', word: '\\w', cntrl: '\\x00-\\x1f\\x7f',
  print: ' -~', graph: '!-~', ascii: '\\x00-\\x7f',
};

export interface TranslatedRegex {
  readonly source: string;
  readonly ignoreCase: boolean;
}

/** Translates a PCRE pattern; throws PcreError naming the construct JS cannot express. */
export function translatePcre(pattern: string): TranslatedRegex {
  let ignoreCase = false;
  let i = 0;
  let out = '';
  // A leading (?i) (the only inline option we can express) becomes the i flag.
  const lead = /^\(\?([imsx]+)\)/.exec(pattern);
  if (lead) {
    for (const f of lead[1]) {
      if (f === 'i') ignoreCase = true;
      else if (f === 'x') throw new PcreError("inline option '(?x)' (extended mode) is not supported", 0, true);
      // s is always on; m would change ^/$, which Apache users do not rely on in URL paths
      else if (f === 'm') throw new PcreError("inline option '(?m)' is not supported", 0, true);
    }
    i = lead[0].length;
  }
  let inClass = false;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '\\') {
      const n = pattern[i + 1];
      if (n === undefined) throw new PcreError('\\ at end of pattern', i, false);
      if (n === 'A') { out += inClass ? 'A' : '^'; i += 2; continue; }
      if (n === 'z') { out += inClass ? 'z' : '$'; i += 2; continue; }
      if (n === 'Z') { out += inClass ? 'Z' : '(?=\\n?$)'; i += 2; continue; }
      if (n === 'h') { out += inClass ? ' \\t' : '[ \\t]'; i += 2; continue; }
      if (n === 'H') { out += '[^ \\t]'; i += 2; continue; }
      if (n === 'e') { out += '\\x1b'; i += 2; continue; }
      if (n === 'a') { out += '\\x07'; i += 2; continue; }
      if (n === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const lit = pattern.slice(i + 2, end < 0 ? undefined : end);
        out += lit.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
        i = end < 0 ? pattern.length : end + 2;
        continue;
      }
      if (n === 'E') { i += 2; continue; }
      if (n === 'x' && pattern[i + 2] === '{') {
        const end = pattern.indexOf('}', i + 3);
        const code = parseInt(pattern.slice(i + 3, end), 16);
        if (end < 0 || Number.isNaN(code) || code > 0xff) throw new PcreError('\\x{...} above \\xff needs UTF mode', i, true);
        out += '\\x' + code.toString(16).padStart(2, '0');
        i = end + 1;
        continue;
      }
      if ('GKRXCpPgN'.includes(n)) throw new PcreError(`escape '\\${n}' is not supported`, i, true);
      out += c + n;
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === '[' && pattern[i + 1] === ':') {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(pattern.slice(i));
        if (m && POSIX[m[2]] !== undefined) {
          if (m[1]) throw new PcreError(`negated POSIX class '[:^${m[2]}:]' is not supported`, i, true);
          out += POSIX[m[2]];
          i += m[0].length;
          continue;
        }
      }
      if (c === ']') inClass = false;
      if (c === '[') { out += '\\['; i++; continue; }
      out += c;
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      i++;
      if (pattern[i] === '^') { out += '^'; i++; }
      if (pattern[i] === ']') { out += '\\]'; i++; }
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2);
      if (rest.startsWith('P<')) { out += '(?<'; i += 4; continue; }
      if (rest.startsWith('P=')) {
        const end = pattern.indexOf(')', i);
        out += `\\k<${pattern.slice(i + 4, end)}>`;
        i = end + 1;
        continue;
      }
      if (rest.startsWith('>')) throw new PcreError("atomic group '(?>' is not supported", i, true);
      if (rest.startsWith('|')) throw new PcreError("branch reset '(?|' is not supported", i, true);
      if (/^(R|[0-9+-]|&|P>)/.test(rest)) throw new PcreError('recursion / subroutine calls are not supported', i, true);
      if (rest.startsWith('#')) {
        const end = pattern.indexOf(')', i);
        i = end < 0 ? pattern.length : end + 1;
        continue;
      }
      if (/^[imsxJU-]+[):]/.test(rest)) throw new PcreError(`inline option '(?${/^[imsxJU-]+/.exec(rest)![0]}' is only supported at the start of a pattern`, i, true);
      if (rest.startsWith('(')) throw new PcreError("conditional group '(?(' is not supported", i, true);
    }
    if ((c === '*' || c === '+' || c === '?' || c === '}') && pattern[i + 1] === '+' && out.length > 0) {
      out += c;
      throw new PcreError(`possessive quantifier '${c}+' is not supported`, i, true);
    }
    if (c === '/' ) { out += '\\/'; i++; continue; }
    out += c;
    i++;
  }
  return { source: out, ignoreCase };
}

/** Compiles a PCRE pattern the way Apache does (`s` always, `i` for [NC]). */
export function compilePcre(pattern: string, nocase: boolean): RegExp {
  const t = translatePcre(pattern);
  // PCRE refuses quantifier bounds above 65535 (CVE-2005-2491 class); JS would accept them.
  const big = /\{(\d+)(?:,(\d*))?\}/g;
  for (let m = big.exec(t.source); m; m = big.exec(t.source)) {
    if (Number(m[1]) > 65535 || (m[2] && Number(m[2]) > 65535)) throw new PcreError('number too big in {} quantifier', m.index, false);
  }
  try {
    return new RegExp(t.source, 's' + (nocase || t.ignoreCase ? 'i' : ''));
  } catch (e) {
    throw new PcreError((e as Error).message.replace(/^Invalid regular expression: /, ''), 0, false);
  }
}
