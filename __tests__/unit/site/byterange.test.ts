/**
 * Apache's byterange filter (modules/http/byterange_filter.c ap_set_byterange) over a body of known
 * length. Rows mirror conformance/cases/373 (a 159-byte gzip body), recorded from Apache 2.4.71.
 */
import {
  byteRange,
  rangeLimits,
  type RangeAnswer,
  type RangeLimits,
} from '../../../lib/site/byterange';

const whole: RangeAnswer = { type: 'whole' };
const span = (start: number, end: number): RangeAnswer => ({
  type: 'ranges',
  spans: [{ start, end }],
});

describe('byteRange', () => {
  test.each<[string | undefined, RangeAnswer]>([
    [undefined, whole],
    ['bytes=0-9', span(0, 9)],
    ['bytes=-8', span(151, 158)],
    ['bytes=100-', span(100, 158)],
    ['bytes=0-99999', span(0, 158)],
    ['bytes=5000-', { type: 'unsatisfiable' }],
    ['bytes=5000-,6000-', { type: 'unsatisfiable' }],
    ['bytes=abc', whole],
    ['bytes=0-4,5-9', span(0, 9)],
    ['bytes=5-9,0-4', span(0, 9)],
    ['bytes=0-2,1-5,4-8', span(0, 8)],
    ['bytes=0-,50-60', span(0, 158)],
    ['bytes=0-4,,5-9', span(0, 9)],
    ['bytes=,0-4', whole],
    ['bytes=0-4,', span(0, 4)],
    ['bytes=x-1,0-4', whole],
    ['bytes=0-4,5000-', span(0, 4)],
    ['BYTES=0-3', span(0, 3)],
    ['bytes= 0-3', whole],
    ['bytes=-0', whole],
    ['bytes=3-1', whole],
    ['items=0-3', whole],
  ])('%s', (field, expected) => {
    expect(byteRange(field, 159)).toEqual(expected);
  });

  test('ranges that neither overlap nor touch stay apart (Apache sends them as multipart)', () => {
    expect(byteRange('bytes=0-1,5-6', 159)).toEqual({
      type: 'ranges',
      spans: [
        { start: 0, end: 1 },
        { start: 5, end: 6 },
      ],
    });
  });
});

// a 46-byte gzip body: rows mirror conformance case 382
describe('byteRange over 46 bytes', () => {
  test.each<[string, RangeAnswer]>([
    ['bytes=0-3', span(0, 3)],
    ['bytes=-4', span(42, 45)],
    ['bytes=5-', span(5, 45)],
    ['bytes=0-', span(0, 45)],
    ['bytes=0-99999', span(0, 45)],
    ['Bytes=1-2', span(1, 2)],
    ['bytes=99999-', { type: 'unsatisfiable' }],
    ['bytes=3-1', whole],
    ['bytes=-0', whole],
    ['bytes=', whole],
    ['bytes= 1-2', whole],
    ['bytes=abc', whole],
    ['items=0-1', whole],
  ])('%s', (field, expected) => {
    expect(byteRange(field, 46)).toEqual(expected);
  });
});

// a 20-byte body: rows mirror conformance cases 433-438, recorded from Apache 2.4.71
describe('byteRange over 20 bytes (several ranges)', () => {
  const spans = (...pairs: [number, number][]): RangeAnswer => ({
    type: 'ranges',
    spans: pairs.map(([start, end]) => ({ start, end })),
  });
  test.each<[string, RangeAnswer]>([
    ['bytes=0-1,5-6', spans([0, 1], [5, 6])],
    ['bytes=5-6,0-1', spans([5, 6], [0, 1])],
    ['bytes=0-3,2-5', span(0, 5)],
    ['bytes=0-3,4-5', span(0, 5)],
    ['bytes=0-1,-5', spans([0, 1], [15, 19])],
    ['bytes=0-1,50-60,5-6', spans([0, 1], [5, 6])],
    // only neighbours merge: 1-2 overlaps 0-1, but 5-6 is between them
    ['bytes=0-1,5-6,1-2', spans([0, 1], [5, 6], [1, 2])],
    // 11 + 2 + 11 bytes: more than the body, ignored
    ['bytes=0-10,15-16,5-15', whole],
    ['bytes=0-1,0-', span(0, 19)],
    ['bytes=0-15,5-19,2-3', span(0, 19)],
    ['bytes=0-1,x', whole],
    ['bytes=0-1, 5-6', whole],
    ['bytes=,0-1,5-6', whole],
    ['bytes=0-1,5-6,', spans([0, 1], [5, 6])],
    // apr_strtoff: over 2^63-1 is invalid
    ['bytes=0-99999999999999999999', whole],
    ['bytes=0-1,5-99999999999999999999', whole],
    ['bytes=-99999999999999999999', whole],
    ['bytes=0-1,5-9223372036854775807', spans([0, 1], [5, 19])],
    ['bytes=0-1,5-09223372036854775807', spans([0, 1], [5, 19])],
    ['bytes=0-1,5-9223372036854775808', whole],
    ['bytes=18-,0-0,10-10', spans([18, 19], [0, 0], [10, 10])],
    ['bytes=20-20,0-1', span(0, 1)],
    ['bytes=50-60,70-', { type: 'unsatisfiable' }],
  ])('%s', (field, expected) => {
    expect(byteRange(field, 20)).toEqual(expected);
  });

  test.each(['bytes=0-1,5-6', 'bytes=0-', 'bytes=-5', 'bytes=5-9'])(
    'an empty body is never ranged: %s',
    (field) => {
      expect(byteRange(field, 0)).toEqual(whole);
    },
  );
});

describe('byteRange limits (ap_byterange_filter; cases 435-438)', () => {
  const parts = (n: number, step = 2) =>
    'bytes=' + Array.from({ length: n }, (_, i) => `${i * step}-${i * step}`).join(',');
  const copies = (n: number) => 'bytes=' + Array(n).fill('0-5').join(',');
  const reversed = (n: number) =>
    'bytes=' + Array.from({ length: n }, (_, i) => `${40 - i}-${40 - i}`).join(',');
  const limits = (maxRanges: number, maxOverlaps = 20, maxReversals = 20) => ({
    maxRanges,
    maxOverlaps,
    maxReversals,
  });
  const kind = (a: RangeAnswer) => (a.type === 'ranges' ? a.spans.length : a.type);

  test.each<[string, string, RangeLimits | undefined, number | string]>([
    ['200 ranges', parts(200, 3), undefined, 200],
    ['201 ranges', parts(201, 3), undefined, 'whole'],
    ['20 merges', copies(21), undefined, 1],
    ['21 merges', copies(22), undefined, 'whole'],
    ['20 reversals', reversed(21), undefined, 1],
    ['21 reversals', reversed(22), undefined, 'whole'],
    ['MaxRanges 1, two ranges', 'bytes=0-1,5-6', limits(1), 'whole'],
    ['MaxRanges 1, merged to one', 'bytes=0-3,2-5', limits(1), 1],
    ['MaxRanges none, one range', 'bytes=0-1', limits(0), 'whole'],
    ['MaxRanges none, nothing satisfiable', 'bytes=5000-', limits(0), 'unsatisfiable'],
    ['MaxRanges unlimited', parts(201, 3), limits(Infinity), 201],
    ['MaxRangeOverlaps none', 'bytes=0-3,2-5', limits(200, 0), 'whole'],
    ['MaxRangeReversals 2, two', 'bytes=9-9,8-8,7-7', limits(200, 20, 2), 1],
    ['MaxRangeReversals 2, three', 'bytes=9-9,8-8,7-7,6-6', limits(200, 20, 2), 'whole'],
    // the merges before "0-" still count
    ['merges before 0-', `${copies(22)},0-`, undefined, 'whole'],
    ['MaxRanges none and 0-', 'bytes=0-', limits(0), 'whole'],
  ])('%s', (_name, field, given, expected) => {
    expect(kind(byteRange(field, 1000, given))).toBe(expected);
  });

  test('rangeLimits: unset fields are the defaults', () => {
    expect(rangeLimits(undefined)).toEqual({ maxRanges: 200, maxOverlaps: 20, maxReversals: 20 });
    expect(rangeLimits({ maxRanges: 0 })).toEqual({
      maxRanges: 0,
      maxOverlaps: 20,
      maxReversals: 20,
    });
  });

  test('thousands of specs, huge numbers and garbage answer at once', () => {
    const many = 'bytes=' + Array.from({ length: 20000 }, (_, i) => `${i}-${i}`).join(',');
    const started = Date.now();
    expect(kind(byteRange(many, 1e6))).toBe('whole');
    expect(kind(byteRange(many, 1e6, limits(Infinity, Infinity, Infinity)))).toBe(1);
    expect(kind(byteRange('bytes=' + ','.repeat(50000), 10))).toBe('whole');
    expect(kind(byteRange('bytes=' + '9'.repeat(5000) + '-', 10))).toBe('whole');
    expect(kind(byteRange('bytes=' + '-'.repeat(5000), 10))).toBe('whole');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
