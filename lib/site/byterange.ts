/**
 * The Range a response of known length answers, as Apache's byterange filter decides it
 * (modules/http/byterange_filter.c ap_set_byterange and the limits ap_byterange_filter checks):
 * for a file (site/static-file.ts) and for mod_deflate's gzip output (site/deflate.ts).
 */

/** One byte range, both ends included. */
export interface ByteSpan {
  readonly start: number;
  readonly end: number;
}

/**
 * What the Range field asks of a body of `length` bytes: nothing (no field, not `bytes=`, a
 * syntactically invalid spec: the whole body, 200), ranges (206; Apache merges overlapping and
 * adjacent ones as it goes) or none satisfiable (416).
 */
export type RangeAnswer =
  | { readonly type: 'whole' }
  | { readonly type: 'ranges'; readonly spans: readonly ByteSpan[] }
  | { readonly type: 'unsatisfiable' };

import { DEFAULT_RANGE_LIMITS } from '../compile/mime.js';

const WHOLE: RangeAnswer = { type: 'whole' };

/**
 * core's MaxRanges, MaxRangeOverlaps and MaxRangeReversals in effect (Infinity: `unlimited`, 0:
 * `none`). Over any of them the filter steps aside and the whole body goes out with 200.
 */
export interface RangeLimits {
  /** Ranges left after merging. */
  readonly maxRanges: number;
  /** Specs merged into the range before them. */
  readonly maxOverlaps: number;
  /** Merges that moved a range's start down (a spec before the one it joined). */
  readonly maxReversals: number;
}

/** The limits a directory's settings give (unset: the defaults). */
export function rangeLimits(settings: Partial<RangeLimits> | undefined): RangeLimits {
  if (!settings) return DEFAULT_RANGE_LIMITS;
  return {
    maxRanges: settings.maxRanges ?? DEFAULT_RANGE_LIMITS.maxRanges,
    maxOverlaps: settings.maxOverlaps ?? DEFAULT_RANGE_LIMITS.maxOverlaps,
    maxReversals: settings.maxReversals ?? DEFAULT_RANGE_LIMITS.maxReversals,
  };
}

/** apr_off_t's largest value: apr_strtoff fails (ERANGE) above it. */
const MAX_OFF_T = '9223372036854775807';

/**
 * ap_parse_strict_length: digits only, at least one, and no more than apr_off_t holds (a larger
 * number makes the spec invalid, so the whole field is ignored: case 433).
 */
function strictLength(s: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const digits = s.replace(/^0+(?=\d)/, '');
  if (digits.length > MAX_OFF_T.length) return undefined;
  if (digits.length === MAX_OFF_T.length && digits > MAX_OFF_T) return undefined;
  return Number(digits);
}

/** One byte-range-spec as the body's span (start not yet clamped), or undefined when invalid. */
function parseSpec(spec: string, length: number): ByteSpan | 'from-zero' | undefined {
  const dash = spec.indexOf('-');
  if (dash < 0) return undefined;
  if (dash === 0) {
    // "-5": the last 5 bytes
    const n = strictLength(spec.slice(1));
    if (n === undefined || n < 1) return undefined;
    return { start: length - n, end: length - 1 };
  }
  const start = strictLength(spec.slice(0, dash));
  if (start === undefined) return undefined;
  const last = spec.slice(dash + 1);
  if (last === '') return start === 0 ? 'from-zero' : { start, end: length - 1 };
  const end = strictLength(last);
  if (end === undefined || start > end) return undefined;
  return { start, end };
}

/**
 * The words ap_getword takes from the list, up to the first empty one (a leading or trailing
 * comma): it skips every comma after a word, so `0-4,,5-9` is two words.
 */
function words(list: string): string[] {
  const out: string[] = [];
  for (const word of list.split(/,+/)) {
    if (word === '') break;
    out.push(word);
  }
  return out;
}

/**
 * ap_set_byterange for a body of `length` bytes, then ap_byterange_filter's limits (If-Range is
 * the caller's: a request with one does not come here). Every spec is read before any is used:
 * one invalid spec ignores the field. An empty body is never ranged (the filter steps aside).
 */
export function byteRange(
  field: string | undefined,
  length: number,
  limits: RangeLimits = DEFAULT_RANGE_LIMITS,
): RangeAnswer {
  if (field === undefined || length <= 0) return WHOLE;
  if (field.slice(0, 6).toLowerCase() !== 'bytes=') return WHOLE;
  const spans: ByteSpan[] = [];
  let unsatisfiable = false;
  let fromZero = false;
  for (const spec of words(field.slice(6))) {
    const span = parseSpec(spec, length);
    if (span === undefined) return WHOLE;
    // "0-": the whole body as one range, whatever follows (Apache's special case); the merges
    // counted before it still count against the limits
    if (span === 'from-zero') {
      fromZero = true;
      break;
    }
    const start = Math.max(span.start, 0);
    if (start >= length) {
      unsatisfiable = true;
      continue;
    }
    spans.push({ start, end: Math.min(span.end, length - 1) });
  }
  if (spans.length === 0 && !fromZero) return unsatisfiable ? { type: 'unsatisfiable' } : WHOLE;
  const counted = mergeSpans(spans);
  const merged = fromZero ? [{ start: 0, end: length - 1 }] : counted.merged;
  const sum = merged.reduce((n, s) => n + s.end - s.start + 1, 0);
  // "Sum of ranges larger than file, ignoring."
  if (sum > length) return WHOLE;
  // a limit passed: the filter gets out of the way (cases 435-438)
  if (merged.length > limits.maxRanges) return WHOLE;
  if (counted.overlaps > limits.maxOverlaps || counted.reversals > limits.maxReversals)
    return WHOLE;
  return { type: 'ranges', spans: merged };
}

/** The merged spans, with the counts MaxRangeOverlaps and MaxRangeReversals limit. */
interface Merged {
  readonly merged: ByteSpan[];
  readonly overlaps: number;
  readonly reversals: number;
}

/**
 * ap_set_byterange's merge, in request order: a span that overlaps or touches the one being built
 * joins it (an overlap; a reversal too when it moves the start down), any other closes it and
 * starts the next (so only neighbours in the request merge).
 */
function mergeSpans(spans: readonly ByteSpan[]): Merged {
  const merged: ByteSpan[] = [];
  let overlaps = 0;
  let reversals = 0;
  let current = spans[0];
  if (!current) return { merged, overlaps, reversals };
  for (let i = 1; i < spans.length; i++) {
    const { start, end } = spans[i]!;
    const inside = start >= current.start && end <= current.end;
    const before = start < current.start && end >= current.start - 1;
    const after = end >= current.end && start <= current.end + 1;
    if (inside || before || after) {
      overlaps++;
      if (before) reversals++;
      current = {
        start: before ? start : current.start,
        end: after ? end : current.end,
      };
      continue;
    }
    merged.push(current);
    current = { start, end };
  }
  merged.push(current);
  return { merged, overlaps, reversals };
}
