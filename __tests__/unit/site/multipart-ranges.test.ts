/**
 * The multipart/byteranges body of byterange_filter.c (site/multipart-ranges.ts): the layout and
 * lengths recorded from Apache 2.4.71 in conformance cases 433 and 435 (a 16-digit boundary).
 */
import {
  multipartBody,
  multipartBoundary,
  multipartLength,
  type MultipartPlan,
} from '../../../lib/site/multipart-ranges';

const body = Buffer.from('0123456789abcdefghij');
const B = '0123456789abcdef';
const plan = (spans: [number, number][], type: string | null = 'text/plain'): MultipartPlan => ({
  boundary: B,
  spans: spans.map(([start, end]) => ({ start, end })),
  length: body.length,
  type: type ?? undefined,
});

test('two parts: CRLF and --boundary before each, the type and range, the closing delimiter', () => {
  const p = plan([
    [0, 1],
    [5, 6],
  ]);
  expect(multipartBody(p, body).toString('latin1')).toBe(
    `\r\n--${B}\r\nContent-type: text/plain\r\nContent-range: bytes 0-1/20\r\n\r\n01` +
      `\r\n--${B}\r\nContent-type: text/plain\r\nContent-range: bytes 5-6/20\r\n\r\n56` +
      `\r\n--${B}--\r\n`,
  );
});

test.each<[string, [number, number][], string | null, number]>([
  [
    '0-1,5-6',
    [
      [0, 1],
      [5, 6],
    ],
    'text/plain',
    186,
  ],
  [
    '0-1,15-19',
    [
      [0, 1],
      [15, 19],
    ],
    'text/plain',
    191,
  ],
  [
    '0-1,5-6,1-2',
    [
      [0, 1],
      [5, 6],
      [1, 2],
    ],
    'text/plain',
    267,
  ],
  [
    'no type',
    [
      [0, 1],
      [5, 6],
    ],
    null,
    134,
  ],
  [
    'a charset',
    [
      [0, 1],
      [5, 6],
    ],
    'text/plain; charset=utf-8',
    216,
  ],
])('Content-Length as Apache sent it: %s', (_name, spans, type, length) => {
  const p = plan(spans, type);
  expect(multipartLength(p)).toBe(length);
  expect(multipartBody(p, body).length).toBe(length);
});

test('a part without a type has no Content-type line', () => {
  const text = multipartBody(
    plan(
      [
        [0, 1],
        [5, 6],
      ],
      null,
    ),
    body,
  ).toString('latin1');
  expect(text).not.toContain('Content-type');
  expect(text).toContain(`\r\n--${B}\r\nContent-range: bytes 0-1/20\r\n\r\n01`);
});

test('boundaries: 16 hex digits, a new one each time', () => {
  const a = multipartBoundary();
  expect(a).toMatch(/^[0-9a-f]{16}$/);
  expect(multipartBoundary()).not.toBe(a);
});
