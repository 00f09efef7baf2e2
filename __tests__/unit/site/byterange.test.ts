/**
 * Apache's byterange filter (modules/http/byterange_filter.c ap_set_byterange) over a body of known
 * length. Rows mirror conformance/cases/373 (a 159-byte gzip body), recorded from Apache 2.4.71.
 */
import { byteRange, type RangeAnswer } from '../../../lib/site/byterange';

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
