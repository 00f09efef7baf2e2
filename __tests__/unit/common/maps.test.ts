/**
 * lib/common/maps.ts: RewriteMap sources. txt: file format and int: functions as
 * apache-semantics.md §1.7 (from mod_rewrite.c lookup_map_txtfile, rewrite_mapfunc_*) describes.
 */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileMap, functionMap, INTERNAL_MAPS, parseMapFile } from '../../../lib/common/maps';

describe('parseMapFile: key<ws>value, first token only, first line wins', () => {
  test.each<[string, string, [string, string][]]>([
    ['one pair', 'a b', [['a', 'b']]],
    ['value is the first token after the key', 'key val # comment', [['key', 'val']]],
    ['tabs and spaces between', 'k\t \tv', [['k', 'v']]],
    ['# starts a comment line', '#a b\nc d', [['c', 'd']]],
    ['a line starting with whitespace is ignored', ' a b\n\tc d\ne f', [['e', 'f']]],
    ['a key without a value is ignored', 'lonely\nk v', [['k', 'v']]],
    ['the first matching line wins', 'k first\nk second', [['k', 'first']]],
    [
      'keys are case-sensitive',
      'K upper\nk lower',
      [
        ['K', 'upper'],
        ['k', 'lower'],
      ],
    ],
    ['empty text', '', []],
    ['CRLF: the CR is whitespace after the value', 'k v\r\n', [['k', 'v']]],
  ])('%s', (_what, text, expected) => {
    expect([...parseMapFile(text)]).toEqual(expected);
  });

  test('a line is read up to 1024 bytes (the rest is cut off)', () => {
    const long = 'k ' + 'v'.repeat(2000);
    expect(parseMapFile(long).get('k')).toHaveLength(1022);
  });

  test.each(['constructor', '__proto__', 'toString'])('%s is an ordinary key', (key) => {
    const map = parseMapFile(`${key} yes`);
    expect(map.get(key)).toBe('yes');
    expect(parseMapFile('other x').get(key)).toBeUndefined();
  });
});

describe('INTERNAL_MAPS: int:toupper, int:tolower, int:escape, int:unescape', () => {
  test.each([
    ['toupper', 'aBc-é1', 'ABC-é1'], // ASCII letters only
    ['tolower', 'AbC-É1', 'abc-É1'],
    ['escape', 'a b&c=d+e/f?g#h', 'a%20b&c=d+e/f%3fg%23h'], // & = + / are kept (ap_escape_uri)
    ['unescape', 'a%20b%2Fc%zz', 'a b/c%zz'],
  ])('int:%s(%j) → %j', (name, key, expected) => {
    expect(INTERNAL_MAPS.get(name)?.(key)).toBe(expected);
  });
  test.each(['constructor', 'TOUPPER', 'escape2'])('int:%s does not exist', (name) => {
    expect(INTERNAL_MAPS.has(name)).toBe(false);
  });
});

describe('functionMap: null and empty answers are "not found", like an empty map value', () => {
  test.each<[string | null | undefined | number, string | undefined]>([
    ['v', 'v'],
    ['', undefined],
    [null, undefined],
    [undefined, undefined],
    [0, '0'],
  ])('answer %j → %j', (answer, expected) => {
    const source = functionMap(() => answer as string);
    expect(source.lookup('k')).toBe(expected);
  });
  test('a Promise answer resolves the same way', async () => {
    await expect(functionMap(async () => '').lookup('k')).resolves.toBeUndefined();
    await expect(functionMap(async () => null).lookup('k')).resolves.toBeUndefined();
    await expect(functionMap(async (k) => k.toUpperCase()).lookup('k')).resolves.toBe('K');
  });
});

describe('FileMap: txt: and rnd: files, reloaded when the file changes', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'modrewrite-maps-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('txt: a lookup after the file changed sees the new value', () => {
    const file = join(dir, 'm.txt');
    writeFileSync(file, 'a one\n');
    const map = new FileMap(file, false);
    expect(map.lookup('a')).toBe('one');
    expect(map.lookup('b')).toBeUndefined();
    writeFileSync(file, 'a two-changed\nb three\n');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(map.lookup('a')).toBe('two-changed');
    expect(map.lookup('b')).toBe('three');
  });

  test('rnd: one of the |-separated values, each of them in time', () => {
    const file = join(dir, 'r.txt');
    writeFileSync(file, 'h www1|www2|www3\n');
    const map = new FileMap(file, true);
    const seen = new Set<string | undefined>();
    for (let k = 0; k < 500 && seen.size < 3; k++) seen.add(map.lookup('h') as string);
    expect([...seen].sort()).toEqual(['www1', 'www2', 'www3']);
  });

  test('bytes above 0x7f are read as a byte string', () => {
    const file = join(dir, 'u.txt');
    writeFileSync(file, 'café thé\n');
    expect(new FileMap(file, false).lookup('caf\xc3\xa9')).toBe('th\xc3\xa9');
  });
});
