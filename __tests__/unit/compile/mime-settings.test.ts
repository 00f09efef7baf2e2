/**
 * compile/mime.ts: the settings folded from one file, their parent → child merge, and the load
 * warnings (one WARN_NO_EFFECT and one WARN_HANDLER per file at most, with a position).
 */
import { compileText } from '../../../lib/compile/compile';
import { inheritRules } from '../../../lib/compile/inherit';
import { eTagBits, ETAG_INODE, ETAG_MTIME, ETAG_NONE, ETAG_SIZE } from '../../../lib/compile/mime';

const dir = (text: string, file?: string) =>
  compileText(text, { context: 'directory', accessControl: true, file });

test('AddCharset, AddLanguage and AddHandler: extensions lower-case without the dot, values lower-case', () => {
  const m = dir('AddCharset UTF-8 .CSS js\nAddLanguage de-DE .de\nAddHandler PHP-Script .php').mime;
  expect([...(m?.charsets ?? [])]).toEqual([
    ['css', 'utf-8'],
    ['js', 'utf-8'],
  ]);
  expect(m?.languages?.get('de')).toBe('de-de');
  expect(m?.handlers?.get('php')).toBe('php-script');
});

test('RemoveType is AddType "" in order: a later AddType wins, an earlier one is hidden', () => {
  expect(dir('AddType text/x-a .a\nRemoveType .a').addTypes?.get('a')).toBe('');
  expect(dir('RemoveType .a\nAddType text/x-a .a').addTypes?.get('a')).toBe('text/x-a');
});

test('ForceType: the whole value lower-case, as core.c reads it (ap_set_string_slot_lower; case 490)', () => {
  expect(dir("ForceType 'text/css; charset=UTF-8'").mime?.forceType).toBe(
    'text/css; charset=utf-8',
  );
  expect(dir('ForceType NONE').mime?.forceType).toBe(false);
});

test('a child removes a parent mapping; ForceType None and SetHandler None are explicit values', () => {
  const parent = dir('AddCharset utf-8 .css\nForceType text/plain\nSetHandler x-handler');
  const child = dir('RemoveCharset .css\nForceType None\nSetHandler None');
  const merged = inheritRules(parent, child).mime;
  expect(merged?.charsets?.get('css')).toBe('');
  expect(merged?.forceType).toBe(false);
  expect(merged?.setHandler).toBe(false);
});

test.each([
  // [parent, child, bits] — core's merge: unsigned keywords replace, +/- change the inherited bits
  ['', '', ETAG_MTIME | ETAG_SIZE],
  ['FileETag None', '', ETAG_NONE],
  ['FileETag All', '', ETAG_INODE | ETAG_MTIME | ETAG_SIZE],
  ['FileETag INode', '', ETAG_INODE],
  // signed keywords over the unset default: only what they add (recorded: -MTime alone is MTime Size)
  ['FileETag -MTime', '', ETAG_MTIME | ETAG_SIZE],
  ['FileETag Size', 'FileETag +MTime', ETAG_SIZE | ETAG_MTIME],
  ['FileETag All', 'FileETag -INode', ETAG_MTIME | ETAG_SIZE],
  ['FileETag Size', 'FileETag INode', ETAG_INODE],
])('FileETag: parent %j, child %j', (parent, child, bits) => {
  const merged = inheritRules(dir(parent), dir(child));
  expect(eTagBits(merged.mime?.fileETag)).toBe(bits);
});

test('AcceptPathInfo and LimitRequestBody: the child value when it has one', () => {
  const merged = inheritRules(
    dir('AcceptPathInfo On\nLimitRequestBody 10'),
    dir('LimitRequestBody 0'),
  );
  expect(merged.mime?.acceptPathInfo).toBe('on');
  expect(merged.mime?.limitRequestBody).toBe(0);
});

test('one WARN_NO_EFFECT per file, at the first such directive, naming each directive once', () => {
  const rs = dir(
    [
      'RewriteEngine On',
      '<IfModule mod_deflate.c>',
      '  <IfModule mod_filter.c>',
      '    AddOutputFilterByType DEFLATE text/html',
      '    AddOutputFilterByType DEFLATE text/css',
      '  </IfModule>',
      '</IfModule>',
      'SetOutputFilter DEFLATE',
      '<IfModule mod_negotiation.c>',
      '  LanguagePriority en',
      '</IfModule>',
    ].join('\n'),
    'site/.htaccess',
  );
  expect(rs.warnings).toHaveLength(1);
  const [w] = rs.warnings!;
  expect(w).toMatchObject({ code: 'WARN_NO_EFFECT', file: 'site/.htaccess', line: 4, column: 5 });
  expect(w.message).toContain('AddOutputFilterByType, SetOutputFilter, LanguagePriority');
  expect(w.frame).toContain('AddOutputFilterByType DEFLATE text/html');
});

test('AddHandler / SetHandler of a named handler: one WARN_HANDLER; None and default-handler: none', () => {
  const rs = dir('AddHandler application/x-httpd-php .php\nSetHandler application/x-httpd-php');
  expect(rs.warnings?.map((w) => w.code)).toEqual(['WARN_HANDLER']);
  expect(rs.warnings?.[0].message).toContain('application/x-httpd-php');
  expect(dir('SetHandler None\nAddHandler default-handler .txt').warnings).toBeUndefined();
  expect(dir('AddType text/plain .txt').warnings).toBeUndefined();
});

test('<Files> sections keep their own settings, tested on the file name', () => {
  const rs = dir(
    'RemoveType .html\n<FilesMatch ".+\\.html?$">\n  AddType text/html .html\n  FileETag None\n</FilesMatch>',
  );
  expect(rs.addTypes?.get('html')).toBe('');
  expect(rs.filesMime).toHaveLength(1);
  const [section] = rs.filesMime!;
  expect(section.matches('a.html')).toBe(true);
  expect(section.matches('.html')).toBe(false);
  expect(section.addTypes?.get('html')).toBe('text/html');
  expect(eTagBits(section.mime?.fileETag)).toBe(ETAG_NONE);
});

describe('MaxRanges, MaxRangeOverlaps, MaxRangeReversals (core.c set_max_ranges; cases 436-438)', () => {
  const server = (text: string) =>
    compileText(text, { context: 'server', accessControl: true }).mime;
  test.each<[string, number]>([
    ['MaxRanges none', 0],
    ['MaxRanges default', 200],
    ['MaxRanges unlimited', Infinity],
    ['MaxRanges 2', 2],
    ['MaxRanges 3x', 3],
  ])('%s', (line, value) => {
    expect(server(line)?.maxRanges).toBe(value);
  });

  test('the overlaps and reversals limits have their own defaults (20)', () => {
    const m = server('MaxRangeOverlaps default\nMaxRangeReversals none');
    expect(m?.maxOverlaps).toBe(20);
    expect(m?.maxReversals).toBe(0);
  });

  test("a child's value, `default` included, wins over its parent's", () => {
    const parent = server('MaxRanges 1\nMaxRangeOverlaps 3');
    const child = server('MaxRanges default');
    const merged = inheritRules(
      compileText('MaxRanges 1\nMaxRangeOverlaps 3', { context: 'server', accessControl: true }),
      compileText('MaxRanges default', { context: 'server', accessControl: true }),
    ).mime;
    expect(parent?.maxRanges).toBe(1);
    expect(child?.maxRanges).toBe(200);
    expect(merged?.maxRanges).toBe(200);
    expect(merged?.maxOverlaps).toBe(3);
  });
});
