/**
 * Property-based fuzzing of the byterange filter's decision (site/byterange.ts byteRange) and the
 * multipart body built from it (site/multipart-ranges.ts), for Range fields made of the pieces a
 * field has (digits, huge numbers, `-`, `,`, spaces, other bytes) and bodies of any length.
 *
 * Property, for every field, length and set of limits:
 * - no exception;
 * - ranges lie inside the body (0 <= start <= end < length), no more than MaxRanges of them, and
 *   together no longer than the body (ap_set_byterange's sum rule);
 * - an empty body is never ranged;
 * - the multipart body is as long as its announced Content-Length.
 *
 * Seed and size: support/config.ts (FUZZ_SEED, FUZZ_RUNS).
 */
import fc from 'fast-check';
import { byteRange, type RangeLimits } from '../../lib/site/byterange';
import { multipartBody, multipartLength } from '../../lib/site/multipart-ranges';
import { fuzzBudget, fuzzParameters } from './support/config';

const BUDGET = fuzzBudget(1);

const number = fc.oneof(
  fc.nat({ max: 80 }).map(String),
  fc.nat().map(String),
  fc.constantFrom('9223372036854775807', '9223372036854775808', '99999999999999999999', '007'),
);
const spec = fc.oneof(
  fc.tuple(number, number).map(([a, b]) => `${a}-${b}`),
  number.map((a) => `${a}-`),
  number.map((b) => `-${b}`),
  fc.constantFrom('', ' ', '-', '0-', 'x', '1-2 ', '--1', '1--2'),
  fc.string({ maxLength: 4 }),
);
const field = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('bytes=', 'BYTES=', 'bytes =', 'items='),
      fc.array(spec, { maxLength: 40 }),
    )
    .map(([unit, specs]) => unit + specs.join(',')),
  fc.string({ maxLength: 60 }),
);
const limit = fc.oneof(fc.constant(Infinity), fc.nat({ max: 30 }), fc.constant(200));
const limits = fc.record<RangeLimits>({
  maxRanges: limit,
  maxOverlaps: limit,
  maxReversals: limit,
});

test(
  'byteRange: inside the body, within the limits, never longer than it; multipart lengths agree',
  () => {
    fc.assert(
      fc.property(field, fc.nat({ max: 100 }), limits, (f, length, l) => {
        const answer = byteRange(f, length, l);
        if (length === 0) expect(answer.type).toBe('whole');
        if (answer.type !== 'ranges') return;
        expect(answer.spans.length).toBeGreaterThan(0);
        expect(answer.spans.length).toBeLessThanOrEqual(l.maxRanges);
        let sum = 0;
        for (const { start, end } of answer.spans) {
          expect(Number.isInteger(start) && Number.isInteger(end)).toBe(true);
          expect(0 <= start && start <= end && end < length).toBe(true);
          sum += end - start + 1;
        }
        expect(sum).toBeLessThanOrEqual(length);
        const plan = {
          boundary: '0123456789abcdef',
          spans: answer.spans,
          length,
          type: 'text/plain',
        };
        expect(multipartBody(plan, Buffer.alloc(length, 97)).length).toBe(multipartLength(plan));
      }),
      fuzzParameters(BUDGET.fastCheckMs),
    );
  },
  BUDGET.jestMs,
);
