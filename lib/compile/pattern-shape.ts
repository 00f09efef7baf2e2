/**
 * Cheaper forms of a regex test for the commonest shapes of rule and condition patterns, each
 * answering exactly what the compiled RegExp answers (engine/screen.ts tests with them):
 * - `^/(.*)$`, `^/blog/.*`: a subject that starts with the text (dotAll `.*` takes anything);
 * - `^example\.com$` (with [NC]: ASCII letters folded, as the translation folds them): the text;
 * - `\.(bak|old)$`: only a subject that contains the text can match; the regex decides the rest.
 * Only plain RegExps whose flags change none of this are shaped (a translation with guards or a
 * `\Z` group, or a multiline `$`, stays a regex).
 */
import { regexInfo } from './pcre.js';
import { readLiteral, scanLiteral, topLevelBar } from './prefix-index.js';

export interface PatternShape {
  readonly kind: 'prefix' | 'exact' | 'contains' | 'regex';
  /** The literal text ('exact' and caseless: lower-case). */
  readonly text: string;
  readonly caseless: boolean;
  readonly re: RegExp;
}

/** What may follow the prefix for any rest of the subject to match (with the `s` flag). */
const ANY_REST = new Set(['.*', '.*$', '(.*)', '(.*)$']);

export function patternShape(re: RegExp): PatternShape {
  const regex: PatternShape = { kind: 'regex', text: '', caseless: false, re };
  if (Object.getPrototypeOf(re) !== RegExp.prototype) return regex;
  if (re.flags !== 's' && re.flags !== '') return regex;
  const { nocase, plainSource } = regexInfo(re);
  if (plainSource.startsWith('^')) return anchoredShape(re, nocase) ?? regex;
  if (nocase || topLevelBar(plainSource)) return regex;
  // no `|` outside a group: every match contains the leading literal atoms
  const text = readLiteral(plainSource, 0).text;
  return text ? { kind: 'contains', text, caseless: false, re } : regex;
}

/** The shape of a pattern compiled to a literal comparison (CompiledRule.literal). */
export function exactShape(text: string, re: RegExp): PatternShape {
  return { kind: 'exact', text, caseless: false, re };
}

function anchoredShape(re: RegExp, nocase: boolean): PatternShape | undefined {
  const lit = scanLiteral(re);
  if (!lit || lit.stop < 0 || lit.source.startsWith('^(?:')) return undefined;
  const rest = lit.source.slice(lit.stop);
  if (rest === '$' && isAscii(lit.text))
    return {
      kind: 'exact',
      text: nocase ? lit.text.toLowerCase() : lit.text,
      caseless: nocase,
      re,
    };
  if (nocase) return undefined;
  // `.` takes every character only with dotAll
  if (rest === '' || (re.flags === 's' && ANY_REST.has(rest)))
    return { kind: 'prefix', text: lit.text, caseless: false, re };
  return undefined;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** The shaped test: what `re.test(subject)` answers. */
export function shapeMatches(shape: PatternShape, subject: string): boolean {
  switch (shape.kind) {
    case 'prefix':
      return subject.startsWith(shape.text);
    case 'exact':
      return shape.caseless ? equalsFolded(subject, shape.text) : subject === shape.text;
    case 'contains':
      if (!subject.includes(shape.text)) return false;
      break;
    case 'regex':
      break;
  }
  shape.re.lastIndex = 0;
  return shape.re.test(subject);
}

/**
 * `subject` against lower-case ASCII text with ASCII letters folded: the translation folds only
 * ASCII letters (`[eE]`), so no other character of the subject equals one of the text's.
 */
export function equalsFolded(subject: string, lower: string): boolean {
  if (subject.length !== lower.length) return false;
  for (let i = 0; i < subject.length; i++) {
    let c = subject.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}
