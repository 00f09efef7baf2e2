/**
 * core's ap_meets_conditions (server/http_protocol.c) for GET/HEAD, as site/conditions.ts ports it
 * for the answers mod_deflate compresses. Rows follow conformance case 385 (recorded from Apache
 * 2.4.71) and the source for what a fresh recording cannot show (a matching ETag or date).
 */
import { etagInList, meetsConditions, type Validators } from '../../../lib/site/conditions';

const now = Date.parse('Tue, 01 Dec 2026 12:00:00 GMT');
const hourAgo = 'Tue, 01 Dec 2026 11:00:00 GMT';
const tenSecondsAgo = 'Tue, 01 Dec 2026 11:59:50 GMT';
const old: Validators = { eTag: '"1a4-abc"', lastModified: hourAgo, now };

describe('meetsConditions', () => {
  test.each<[string, Record<string, string>, Validators, ReturnType<typeof meetsConditions>]>([
    ['no condition', {}, old, 'ok'],
    ['a stale If-None-Match', { 'if-none-match': '"x"' }, old, 'ok'],
    ['If-None-Match *', { 'if-none-match': '*' }, old, 304],
    ['the ETag in If-None-Match', { 'if-none-match': '"x", "1a4-abc"' }, old, 304],
    ['its weak form in If-None-Match', { 'if-none-match': 'W/"1a4-abc"' }, old, 304],
    ['weak form with a Range', { 'if-none-match': 'W/"1a4-abc"', range: 'bytes=0-1' }, old, 'ok'],
    [
      'an older If-Modified-Since',
      { 'if-modified-since': 'Sat, 01 Jan 2000 00:00:00 GMT' },
      old,
      'ok',
    ],
    ['If-Modified-Since = Last-Modified', { 'if-modified-since': hourAgo }, old, 304],
    [
      'a later If-Modified-Since',
      { 'if-modified-since': 'Fri, 01 Jan 2100 00:00:00 GMT' },
      old,
      'ok',
    ],
    ['an invalid If-Modified-Since', { 'if-modified-since': 'garbage' }, old, 'ok'],
    [
      'a fresh file, If-Modified-Since and a Range',
      { 'if-modified-since': tenSecondsAgo, range: 'bytes=0-1' },
      { ...old, lastModified: tenSecondsAgo },
      'ok',
    ],
    [
      'a stale If-None-Match beside a matching date',
      { 'if-none-match': '"x"', 'if-modified-since': hourAgo },
      old,
      'ok',
    ],
    ['If-Match of another tag', { 'if-match': '"x"' }, old, 412],
    ['If-Match of the tag', { 'if-match': '"1a4-abc"' }, old, 'ok'],
    ['If-Match without an ETag', { 'if-match': '"x"' }, { ...old, eTag: undefined }, 412],
    [
      'an older If-Unmodified-Since',
      { 'if-unmodified-since': 'Sat, 01 Jan 2000 00:00:00 GMT' },
      old,
      412,
    ],
    [
      'a later If-Unmodified-Since',
      { 'if-unmodified-since': 'Fri, 01 Jan 2100 00:00:00 GMT' },
      old,
      'ok',
    ],
  ])('%s', (_name, headers, validators, expected) => {
    expect(meetsConditions(headers, validators)).toBe(expected);
  });
});

describe('etagInList (util.c find_list_item)', () => {
  test.each<[string, string, boolean, boolean]>([
    ['"a", "b"', '"b"', false, true],
    [' "a" ,, "b" ', '"b"', false, true],
    ['W/"b"', '"b"', false, false],
    ['W/"b"', '"b"', true, true],
    ['"a", W/"b"', 'W/"b"', true, true],
    ['x, "b"', '"b"', false, false],
  ])('%s has %s (weak: %s)', (list, tag, weak, expected) => {
    expect(etagInList(list, tag, weak)).toBe(expected);
  });
});
