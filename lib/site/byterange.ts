/**
 * The Range a response of known length answers, as Apache's byterange filter decides it
 * (modules/http/byterange_filter.c ap_set_byterange): used where the bytes are the ones site()
 * produced itself (mod_deflate's gzip output: site/deflate.ts), not a file send reads.
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

const WHOLE: RangeAnswer = { type: 'whole' };

/** ap_parse_strict_length: digits only, at least one. */
function strictLength(s: string): number | undefined {
  return /^\d+$/.test(s) ? Number(s) : undefined;
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
 * ap_set_byterange for a body of `length` bytes (If-Range is the caller's: a request with one
 * does not come here). Every spec is read before any is used: one invalid spec ignores the field.
 */
export function byteRange(field: string | undefined, length: number): RangeAnswer {
  if (field === undefined || field.slice(0, 6).toLowerCase() !== 'bytes=') return WHOLE;
  const spans: ByteSpan[] = [];
  let unsatisfiable = false;
  for (const spec of words(field.slice(6))) {
    const span = parseSpec(spec, length);
    if (span === undefined) return WHOLE;
    // "0-": the whole body as one range, whatever else was asked (Apache's special case)
    if (span === 'from-zero') return { type: 'ranges', spans: [{ start: 0, end: length - 1 }] };
    const start = Math.max(span.start, 0);
    if (start >= length) {
      unsatisfiable = true;
      continue;
    }
    spans.push({ start, end: Math.min(span.end, length - 1) });
  }
  if (spans.length === 0) return unsatisfiable ? { type: 'unsatisfiable' } : WHOLE;
  const merged = mergeSpans(spans);
  const sum = merged.reduce((n, s) => n + s.end - s.start + 1, 0);
  // "Sum of ranges larger than file, ignoring."
  return sum > length ? WHOLE : { type: 'ranges', spans: merged };
}

/**
 * ap_set_byterange's merge, in request order: a span that overlaps or touches the one being built
 * joins it, any other closes it and starts the next (so only neighbours in the request merge).
 */
function mergeSpans(spans: readonly ByteSpan[]): ByteSpan[] {
  const out: ByteSpan[] = [];
  let current = spans[0]!;
  for (const { start, end } of spans.slice(1)) {
    const inside = start >= current.start && end <= current.end;
    const before = start < current.start && end >= current.start - 1;
    const after = end >= current.end && start <= current.end + 1;
    if (inside || before || after) {
      current = {
        start: before ? start : current.start,
        end: after ? end : current.end,
      };
      continue;
    }
    out.push(current);
    current = { start, end };
  }
  out.push(current);
  return out;
}
