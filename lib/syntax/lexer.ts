/**
 * Apache's config reading: logical lines (trailing `\` joins the next line), `#` comment lines,
 * case-insensitive directive names; arguments split either the way core does (`ap_getword_conf`)
 * or the way mod_rewrite's own `parseargline` does for RewriteRule/RewriteCond.
 */
import type { SourcePosition } from '../errors.js';
import type { Arg } from './ast.js';

/** Maximum size of rule text accepted (a named limit, like Apache's config reader). */
export const MAX_RULES_TEXT = 16 * 1024 * 1024;

export interface LogicalLine {
  readonly text: string;
  /** Physical line of the first character. */
  readonly line: number;
  /** Maps an offset in `text` to a source position (continuations keep their own lines). */
  at(offset: number): SourcePosition;
  /** The physical source line an offset is on, for code frames. */
  sourceLineAt(offset: number): string;
}

interface Segment {
  start: number;
  line: number;
  col: number;
  src: string;
}

export function logicalLines(source: string, file?: string): LogicalLine[] {
  const physical = source.replace(/^\uFEFF/, '').split(/\r?\n/);
  const out: LogicalLine[] = [];
  let segments: Segment[] = [];
  let text = '';
  for (let i = 0; i < physical.length; i++) {
    const raw = physical[i] ?? '';
    let lead = 0;
    if (segments.length === 0) {
      while (lead < raw.length && (raw[lead] === ' ' || raw[lead] === '\t')) lead++;
    }
    let body = raw.slice(lead);
    const continued = body.endsWith('\\');
    if (continued) body = body.slice(0, -1);
    segments.push({ start: text.length, line: i + 1, col: lead + 1, src: raw });
    text += body;
    if (continued && i + 1 < physical.length) continue;
    const segs = segments as [Segment, ...Segment[]];
    const trimmed = trimTrailingBlanks(text);
    if (trimmed.length > 0 && trimmed[0] !== '#') out.push(makeLine(trimmed, segs, file));
    segments = [];
    text = '';
  }
  return out;
}

/**
 * Drops trailing spaces and tabs. A loop, not `/[ \t]+$/`: that regex retries from every blank of a
 * long run followed by other text, which made a line with 200 KB of blanks take seconds (issue 9,
 * item 20).
 */
function trimTrailingBlanks(text: string): string {
  let end = text.length;
  while (end > 0 && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
  return end === text.length ? text : text.slice(0, end);
}

function makeLine(
  text: string,
  segs: readonly [Segment, ...Segment[]],
  file?: string,
): LogicalLine {
  // the last segment starting at or before `offset` (binary search: a logical line may join
  // thousands of continuation lines, and every argument asks for its position)
  const find = (offset: number): Segment => {
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((segs[mid]?.start ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return segs[lo] ?? segs[0];
  };
  return {
    text,
    line: segs[0].line,
    at(offset: number) {
      const s = find(offset);
      return { file, line: s.line, column: s.col + (offset - s.start) };
    },
    sourceLineAt(offset: number) {
      return find(offset).src;
    },
  };
}

const isSpace = (c: string | undefined): boolean =>
  c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\f' || c === '\v';

/**
 * mod_rewrite's `parseargline`, step by step: up to three arguments, each optionally quoted with
 * `"` or `'` (the closing quote ends the argument, so `"…"[P]` works); a backslash before
 * whitespace keeps that whitespace in the argument (and the backslash stays). Text after the third
 * argument is ignored, as in Apache. Returns an Apache-worded error for a bad line.
 */
export function parseRewriteArgs(
  line: LogicalLine,
  start: number,
): { args: Arg[]; a2End: number } | { error: string; pos: SourcePosition } {
  const s = line.text;
  let i = start;
  const skipSpace = (): void => {
    while (isSpace(s[i])) i++;
  };
  const word = (): Arg => {
    const quote = s[i] === '"' || s[i] === "'" ? s[i++] : '';
    const begin = i;
    for (; i < s.length; i++) {
      if ((isSpace(s[i]) && !quote) || (quote && s[i] === quote)) break;
      if (s[i] === '\\' && isSpace(s[i + 1])) i++;
    }
    return verbatimArg(line, begin, i);
  };
  skipSpace();
  const a1 = word();
  if (i >= s.length)
    return { error: 'bad argument line: at least two arguments required', pos: line.at(0) };
  i++;
  skipSpace();
  const a2 = word();
  const a2End = i;
  if (i >= s.length) return { args: [a1, a2], a2End };
  i++;
  skipSpace();
  if (i >= s.length) return { args: [a1, a2], a2End };
  const a3 = word();
  const t = a3.text;
  if (!t.startsWith('['))
    return {
      error: `bad flag delimiters: third argument must begin with '[' but found '${t[0] ?? ''}' - too many arguments or rogue whitespace?`,
      pos: a3.pos,
    };
  if (!t.endsWith(']'))
    return {
      error: `bad flag delimiters: third argument must end with ']' but found '${t[t.length - 1]}' - unintended whitespace within the flags definition?`,
      pos: a3.pos,
    };
  return { args: [a1, a2, a3], a2End };
}

/**
 * An argument that is a verbatim slice of the logical line: its offsets map back to the physical
 * lines it was continued over (an error inside it then points at the right line and column).
 */
function verbatimArg(line: LogicalLine, begin: number, end: number): Arg {
  const arg: Arg = { text: line.text.slice(begin, end), pos: line.at(begin) };
  Object.defineProperty(arg, 'at', { value: (k: number) => line.at(begin + k), enumerable: false });
  return arg;
}

/**
 * Core's `ap_getword_conf`: whitespace-separated words, `"`/`'` quoting with `\"` escapes inside.
 */
export function parseConfWords(line: LogicalLine, start: number): Arg[] {
  const s = line.text;
  const out: Arg[] = [];
  let i = start;
  while (i < s.length) {
    while (isSpace(s[i])) i++;
    if (i >= s.length) break;
    const begin = i;
    const quote = s[i] === '"' || s[i] === "'" ? s[i] : '';
    let word = '';
    if (quote) {
      i++;
      while (i < s.length && s[i] !== quote) {
        if (s[i] === '\\' && (s[i + 1] === quote || s[i + 1] === '\\')) i++;
        word += s[i++];
      }
      i++;
    } else {
      // ap_getword_conf's substring_conf: `\\` is one backslash in an unquoted word too
      while (i < s.length && !isSpace(s[i])) {
        if (s[i] === '\\' && s[i + 1] === '\\') i++;
        word += s[i++];
      }
    }
    out.push({ text: word, pos: line.at(begin) });
  }
  return out;
}
