/**
 * mod_autoindex's directives and core's Indexes option as compiled: `Options` leaves Indexes on,
 * off or alone (core.c set_options), IndexIgnore/IndexIgnoreReset/IndexOptions/IndexOrderDefault
 * fold and merge like merge_autoindex_configs, bad arguments are load errors with a position.
 */
import { compileText } from '../../../lib/compile/compile';
import { RewriteError } from '../../../lib/errors';
import {
  DEBIAN_AUTOINDEX,
  effectiveOptions,
  FANCY_INDEXING,
  FOLDERS_FIRST,
  indexesAfter,
  mergeAutoindex,
  TABLE_INDEXING,
  VERSION_SORT,
} from '../../../lib/compile/autoindex';
import { inheritRules } from '../../../lib/compile/inherit';

const htaccess = (text: string) =>
  compileText(text, { context: 'directory', siteDirectives: true });

test.each<[string, boolean | undefined]>([
  ['Indexes FollowSymLinks', true],
  ['FollowSymLinks', false], // a list without +/- replaces every option
  ['-Indexes', false],
  ['+Indexes', true],
  ['-MultiViews', undefined], // relative, Indexes untouched: inherited
  ['+FollowSymLinks -MultiViews', undefined],
  ['All -Indexes', false], // Slim's line
  ['All', true],
  ['None', false],
  ['-MultiViews -Indexes', false], // Laravel's line
])('Options %s: Indexes %s', (values, indexes) => {
  expect(indexesAfter(values.split(' '))).toBe(indexes);
  expect(htaccess(`Options ${values}`).indexes).toBe(indexes);
});

test('a later Options line that does not name Indexes keeps the earlier answer', () => {
  expect(htaccess('Options -Indexes\nOptions +FollowSymLinks').indexes).toBe(false);
  expect(htaccess('Options -Indexes\nOptions FollowSymLinks\nOptions +Indexes').indexes).toBe(true);
});

test('a child directory inherits Indexes unless it says otherwise', () => {
  const parent = htaccess('Options -Indexes');
  expect(inheritRules(parent, htaccess('Options -MultiViews')).indexes).toBe(false);
  expect(inheritRules(parent, htaccess('Options +Indexes')).indexes).toBe(true);
});

test('IndexIgnore adds to the inherited list; IndexIgnoreReset On drops it', () => {
  const child = htaccess('IndexIgnore *.bak other').autoindex;
  expect(mergeAutoindex(DEBIAN_AUTOINDEX, child)!.ignore).toEqual([
    '*.bak',
    'other',
    ...DEBIAN_AUTOINDEX.ignore,
  ]);
  const reset = htaccess('IndexIgnoreReset ON\nIndexIgnore *.txt').autoindex;
  expect(mergeAutoindex(DEBIAN_AUTOINDEX, reset)!.ignore).toEqual(['*.txt']);
});

test.each<[string, number]>([
  ['', FANCY_INDEXING | VERSION_SORT | TABLE_INDEXING], // Debian's autoindex.conf
  ['IndexOptions +FoldersFirst', FANCY_INDEXING | VERSION_SORT | TABLE_INDEXING | FOLDERS_FIRST],
  ['IndexOptions -HTMLTable', FANCY_INDEXING | VERSION_SORT],
  ['IndexOptions FancyIndexing', FANCY_INDEXING], // non-incremental: nothing inherited
  ['IndexOptions None', 0],
])('%j over Debian: options %d', (text, opts) => {
  const own = text ? htaccess(text).autoindex : undefined;
  expect(effectiveOptions(mergeAutoindex(DEBIAN_AUTOINDEX, own)!)).toBe(opts);
});

test('IndexOptions values and IndexOrderDefault are kept', () => {
  const c = htaccess(
    'IndexOptions NameWidth=30 DescriptionWidth=* Charset=ISO-8859-1 Type=text/plain\nIndexOrderDefault Descending Size\nHeaderName HEAD.txt\nReadmeName FOOT.html',
  ).autoindex!;
  expect(c).toMatchObject({
    nameWidth: 30,
    descWidth: '*',
    charset: 'ISO-8859-1',
    type: 'text/plain',
    orderKey: 'S',
    orderDirection: 'D',
    header: 'HEAD.txt',
    readme: 'FOOT.html',
  });
});

test('AddDescription: substring names, wildcard and path patterns, the deeper directory first', () => {
  const parent = htaccess('AddDescription "Parent" *.iso sub/x.txt').autoindex;
  const child = htaccess('AddDescription "<b>Child</b>" mars [ab]c').autoindex!;
  expect(child.descriptions).toEqual([
    { pattern: 'mars', fullPath: false, wildcards: false, description: '<b>Child</b>' },
    { pattern: '*[ab]c*', fullPath: false, wildcards: true, description: '<b>Child</b>' },
  ]);
  expect(mergeAutoindex(parent, child)!.descriptions!.map((d) => d.pattern)).toEqual([
    'mars',
    '*[ab]c*',
    '**.iso*',
    '*/sub/x.txt*',
  ]);
});

test('IconWidth / IconHeight: bare sizes 20 and 22, =n, and -IconWidth (0) inheriting', () => {
  expect(htaccess('IndexOptions IconWidth +IconHeight').autoindex).toMatchObject({
    iconWidth: 20,
    iconHeight: 22,
  });
  const parent = htaccess('IndexOptions IconWidth=30 IconHeight=7x').autoindex!;
  expect(parent).toMatchObject({ iconWidth: 30, iconHeight: 7 });
  const child = htaccess('IndexOptions -IconWidth').autoindex;
  expect(mergeAutoindex(parent, child)).toMatchObject({ iconWidth: 30 });
});

function problems(text: string): string[] {
  try {
    htaccess(text);
  } catch (err) {
    if (err instanceof RewriteError)
      return err.problems.map((p) => `${p.code} ${p.line}:${p.column} ${p.message}`);
    throw err;
  }
  return [];
}

test.each<[string, string]>([
  ['IndexOptions Bogus', 'ERR_DIRECTIVE_ARGS 1:14 Invalid directory indexing option'],
  [
    'IndexOptions ScanHTMLTitles',
    'ERR_DIRECTIVE_ARGS 1:14 IndexOptions: ScanHTMLTitles is not supported by modrewrite',
  ],
  ['IndexIgnore', 'ERR_DIRECTIVE_ARGS 1:1 IndexIgnore: requires at least one argument'],
  ['IndexIgnoreReset maybe', 'ERR_DIRECTIVE_ARGS 1:18 IndexIgnoreReset: must be On or Off'],
  [
    'IndexOrderDefault Up Name',
    "ERR_DIRECTIVE_ARGS 1:19 IndexOrderDefault: First keyword must be 'Ascending' or 'Descending'",
  ],
  [
    'IndexOrderDefault Ascending Colour',
    "ERR_DIRECTIVE_ARGS 1:29 IndexOrderDefault: Second keyword must be 'Name', 'Date', 'Size', or 'Description'",
  ],
  ['ReadmeName a b', 'ERR_DIRECTIVE_ARGS 1:12 ReadmeName: takes one argument'],
  ['AddDescription "x"', 'ERR_DIRECTIVE_ARGS 1:16 AddDescription: requires at least two arguments'],
  ['IndexOptions -IconWidth=5', "ERR_DIRECTIVE_ARGS 1:14 Cannot combine '-' with IconWidth=n"],
  [
    'IndexOptions NameWidth=4',
    'ERR_DIRECTIVE_ARGS 1:14 IndexOptions: the width must be greater than 5',
  ],
  [
    'IndexOptions DescriptionWidth=11',
    'ERR_DIRECTIVE_ARGS 1:14 IndexOptions: the width must be greater than 12',
  ],
])('%j is refused at load', (text, problem) => {
  expect(problems(text)).toEqual([problem]);
});

test.each<[string, boolean | undefined]>([
  ['TraceEnable Off', false],
  ['TraceEnable on', true],
  ['', undefined],
])('server config %j: traceEnable %s', (text, on) => {
  expect(compileText(text, { context: 'server', siteDirectives: true }).traceEnable).toBe(on);
});

test.each<[string, 'server' | 'directory', string]>([
  ['TraceEnable Off', 'directory', 'ERR_CONTEXT 1:1 TraceEnable not allowed here'],
  [
    'TraceEnable extended',
    'server',
    'ERR_DIRECTIVE_ARGS 1:13 TraceEnable extended is not supported by modrewrite (On or Off)',
  ],
  ['TraceEnable', 'server', 'ERR_DIRECTIVE_ARGS 1:1 TraceEnable must be On or Off'],
])('%j in %s context is refused', (text, context, problem) => {
  let got: string[] = [];
  try {
    compileText(text, { context, siteDirectives: true });
  } catch (err) {
    if (!(err instanceof RewriteError)) throw err;
    got = err.problems.map((p) => `${p.code} ${p.line}:${p.column} ${p.message}`);
  }
  expect(got).toEqual([problem]);
});

test('<IfModule mod_autoindex.c> is true: its IndexIgnore is read', () => {
  const c = htaccess('<IfModule mod_autoindex.c>\nIndexIgnore *.log\n</IfModule>').autoindex;
  expect(c?.ignore).toEqual(['*.log']);
});
