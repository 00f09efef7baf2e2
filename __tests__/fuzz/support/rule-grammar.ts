/**
 * Generators of Apache rule text for the compile() properties: a grammar of the directives
 * modrewrite reads (with ordinary, odd and hostile pieces: PCRE constructs, prototype keys as
 * names, unbalanced quotes and braces, continuation lines, CRLF), and mutations of the rule texts
 * of the conformance corpus (real, Apache-recorded configurations).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';

const pick = <T>(values: readonly T[]): fc.Arbitrary<T> => fc.constantFrom(...values);

/** Prototype keys and other names a plain-object lookup would resolve (issue 9 item 3). */
export const PROTO_KEYS = [
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'prototype',
  '__defineGetter__',
] as const;

const REGEX_PIECES = [
  'a',
  'b',
  'Z',
  '0',
  '9',
  '/',
  '-',
  '_',
  '~',
  '%',
  '.',
  ' ',
  '\\ ',
  '\t',
  'é',
  '\u00ff',
  '\u20ac',
  '😀',
  '^',
  '$',
  '.',
  '.*',
  '.+',
  '(',
  ')',
  '(.*)',
  '([^/]+)',
  '(?:',
  '|',
  '[',
  ']',
  '[^/]',
  '[a-z]',
  '[z-a]',
  '[]a]',
  '[^]]',
  '*',
  '+',
  '?',
  '*?',
  '+?',
  '??',
  '*+',
  '++',
  '?+',
  '{2}',
  '{2,}',
  '{2,5}',
  '{,3}',
  '{17}',
  '{3,1}',
  '{99999}',
  '{',
  '}',
  '(?P<n>',
  '(?P<name>',
  '(?P=n)',
  '(?P=name)',
  '(?P=n',
  '(?P=',
  '(?P>n)',
  '(?<n>',
  "(?'n'",
  '\\k<n>',
  '\\k{n}',
  '\\g{n}',
  '\\g1',
  '\\g{-1}',
  '(?i)',
  '(?-i)',
  '(?s)',
  '(?x)',
  '(?m)',
  '(?i:',
  '(?#c)',
  '(?#',
  '(?=',
  '(?!',
  '(?<=',
  '(?<!',
  '(?>',
  '(?|',
  '(?R)',
  '(?1)',
  '(?&n)',
  '(*UTF8)',
  '[[:alpha:]]',
  '[[:digit:]]',
  '[[:space:]]',
  '[[:^alpha:]]',
  '[[:bogus:]]',
  '[[:constructor:]]',
  '[[:__proto__:]]',
  '[[:alpha:]',
  '[[.a.]]',
  '[[=a=]]',
  '\\Q',
  '\\E',
  '\\Qa.b\\E',
  '\\Q(',
  '\\Z',
  '\\z',
  '\\A',
  '\\G',
  '\\b',
  '\\B',
  '\\d',
  '\\D',
  '\\w',
  '\\W',
  '\\s',
  '\\S',
  '\\h',
  '\\v',
  '\\R',
  '\\X',
  '\\C',
  '\\N',
  '\\1',
  '\\2',
  '\\9',
  '\\10',
  '\\0',
  '\\01',
  '\\x41',
  '\\x{41}',
  '\\x{110000}',
  '\\x',
  '\\u0041',
  '\\cA',
  '\\c',
  '\\e',
  '\\p{L}',
  '\\p{Lu}',
  '\\P{L}',
  '\\pL',
  '\\p{Bogus}',
  // dictionary: patterns known for catastrophic backtracking
  '(a+)+',
  '(a|a)*',
  '(a|aa)+',
  '(.*)*',
  '(\\w+)*',
  '([a-z]+)*',
  '(a*)*b',
  '(a{1,20}){1,20}',
  '(?:a+)+\\Z',
  '\\',
  '\\\\',
  '\\/',
  '\\.',
  '\\$',
  '\\^',
  '\\[',
  '\\]',
  '\\(',
  '\\)',
  '\\{',
  '\\}',
  '\\-',
  '\\#',
  '#',
  '"',
  "'",
  '!',
  '!^',
  '$1',
  '%1',
  '%{HTTP_HOST}',
] as const;

const SUBSTITUTION_PIECES = [
  '-',
  '/',
  '/x',
  '/a/b',
  'rel',
  'index.php',
  '$1',
  '$0',
  '$9',
  '%1',
  '%0',
  '$',
  '%',
  '\\$1',
  '\\%1',
  '$$',
  '%%',
  '?',
  '?a=1',
  '?$1',
  '&b=$2',
  '#frag',
  '#',
  '%20',
  '%2F',
  '%00',
  '%0d%0a',
  '%{HTTP_HOST}',
  '%{REQUEST_URI}',
  '%{QUERY_STRING}',
  '%{HTTP:X-A}',
  '%{ENV:e}',
  '%{SSL:x}',
  '%{LA-U:REQUEST_FILENAME}',
  '%{LA-F:REQUEST_URI}',
  '%{TIME}',
  '%{',
  '%{}',
  '%{HTTP_',
  '%{constructor}',
  '%{__proto__}',
  '${lc:$1}',
  '${lc:$1|def}',
  '${lc:${uc:$1}}',
  '${lc:${uc:${esc:$1|x}|y}|z}',
  '${nomap:$1}',
  '${lc:',
  '${lc',
  '${',
  '${constructor:x}',
  '${__proto__:x}',
  '${lc:|}',
  '${:x}',
  'http://$1/',
  'http://h.example/$1',
  'https://h.example:8443/x',
  'http://127.0.0.1:9/$1',
  'http://[::1]/x',
  'http://h\texample/',
  'unix:/tmp/s.sock|http://h/x',
  'ftp://h/x',
  'mailto:a@b',
  'http://',
  'http://$1:$2@h/',
  ' ',
  '\\ ',
  '"',
  "'",
  '\\',
] as const;

const RULE_FLAGS = [
  'L',
  'R',
  'R=301',
  'R=302',
  'R=303',
  'R=307',
  'R=308',
  'R=permanent',
  'R=temp',
  'R=seeother',
  'R=410',
  'R=503',
  'R=299',
  'R=999',
  'R=abc',
  'R=',
  'R=$1',
  'NC',
  'nocase',
  'QSA',
  'QSD',
  'QSL',
  'qsappend',
  'B',
  'B=#?',
  'B=',
  'BNP',
  'BCTLS',
  'BNE=ab',
  'NE',
  'noescape',
  'NS',
  'C',
  'chain',
  'N',
  'N=5',
  'N=0',
  'N=-1',
  'N=x',
  'END',
  'F',
  'G',
  'P',
  'proxy',
  'PT',
  'S=2',
  'S=-1',
  'S=x',
  'S=99999999999',
  'T=text/html',
  'T=$1',
  'T=',
  'H=$1',
  'H=constructor',
  'H=__proto__',
  'H=server-status',
  'E=x:y',
  'E=!x',
  'E=$1:v',
  'E=x',
  'E=:',
  'E=x:%{HTTP_HOST}',
  'CO=n:v:.example',
  'CO=lang:$1:.example:0:/',
  'CO=n:v:d:1:/:secure:httponly:samesite=lax',
  'CO=',
  'CO=:::',
  'UnsafeAllow3F',
  'UnsafePrefixStat',
  'UNC',
  'DPI',
  'discardpath',
  'type=text/plain',
  'env=a:b',
  'cookie=a:b:c',
  ...PROTO_KEYS,
  '',
  ' ',
  ',',
  '=',
  'X',
  'L=1',
  'F=1',
  'R=30',
  'R=3000000000000000000000',
] as const;

const COND_FLAGS = [
  'NC',
  'OR',
  'NV',
  'ornext',
  'novary',
  'nocase',
  'or',
  ...PROTO_KEYS,
  '',
  'X',
  'L',
  'NC=1',
] as const;

const TEST_STRINGS = [
  '%{HTTP_HOST}',
  '%{REQUEST_URI}',
  '%{QUERY_STRING}',
  '%{REQUEST_FILENAME}',
  '%{HTTP:Accept-Language}',
  '%{HTTP_COOKIE}',
  '%{ENV:redirect}',
  '%{HTTPS}',
  '%{REQUEST_METHOD}',
  '%{THE_REQUEST}',
  '%{REMOTE_ADDR}',
  '%{TIME_HOUR}',
  '%{API_VERSION}',
  '%{IS_SUBREQ}',
  '%{LA-U:REQUEST_URI}',
  '%{BOGUS}',
  '%{constructor}',
  '$1',
  '%1',
  '${lc:%{HTTP_HOST}}',
  '${lc:${uc:$1}}',
  'expr',
  'EXPR',
  'literal',
  '""',
  '%{',
  '${',
  '\\%{HTTP_HOST}',
] as const;

const COND_PATTERN_SPECIALS = [
  '-f',
  '-d',
  '-s',
  '-l',
  '-L',
  '-h',
  '-x',
  '-U',
  '-F',
  '!-f',
  '!-d',
  '-eq 3',
  '-eq3',
  '-ne 0',
  '-lt 10',
  '-gt -1',
  '-ge x',
  '-le',
  '-z',
  '-',
  '!',
  '!!',
  '<abc',
  '>abc',
  '<=m',
  '>=m',
  '=',
  '=""',
  '=abc',
  '!=abc',
  '<',
  '>',
] as const;

const EXPR_TEXTS = [
  '"%{REQUEST_URI} =~ m#^/a#"',
  '"%{HTTP_HOST} == \'h.example\'"',
  '"-f %{REQUEST_FILENAME}"',
  '"%{REQUEST_URI} =~ /(?P=n/"',
  '"true && false || !true"',
  '"%{QUERY_STRING} -strmatch \'a*\'"',
  '"%{REMOTE_ADDR} -ipmatch \'127.0.0.0/8\'"',
  "\"tolower(%{HTTP_HOST}) in {'a', 'b'}\"",
  '"%{TIME_HOUR} -lt 12"',
  '"%{REQUEST_URI} =~ /[[:bogus:]]/"',
  '"%{REQUEST_URI} !~ m{^/x}i"',
  '"constructor(%{HTTP_HOST})"',
  "\"req('Host') == 'x'\"",
  '"( ( ("',
  '"\'"',
  '"-"',
  '""',
  '"%{REQUEST_URI} =~ /(a+)+$/"',
  '"%{X} == $1"',
  '"v(\'__proto__\')"',
] as const;

const MAP_SOURCES = [
  'int:tolower',
  'int:toupper',
  'int:escape',
  'int:unescape',
  'int:constructor',
  'int:__proto__',
  'int:toString',
  'int:bogus',
  'int:',
  'INT:tolower',
  'txt:map.txt',
  'rnd:map.txt',
  'txt:missing.txt',
  'map.txt',
  'txt:',
  'prg:/nonexistent/prog',
  'prg:',
  'dbm:map.db',
  'dbm=sdbm:map.db',
  'dbd:SELECT 1',
  'fastdbd:SELECT 1',
  'foo:bar',
  ':x',
  'txt:../map.txt',
] as const;

const MAP_NAMES = [
  'lc',
  'uc',
  'esc',
  'm',
  'map-1',
  'a.b',
  'Ü',
  ...PROTO_KEYS,
  '',
  '${x}',
  'a:b',
] as const;

const OPTION_WORDS = [
  'Inherit',
  'InheritBefore',
  'InheritDown',
  'InheritDownBefore',
  'IgnoreInherit',
  'AllowNoSlash',
  'AllowAnyURI',
  'MergeBase',
  'IgnoreContextInfo',
  'LegacyPrefixDocRoot',
  'UnsafePrefixStat',
  'MaxRedirects=3',
  'maxredirects=x',
  'inherit',
  'Bogus',
  ...PROTO_KEYS,
  '',
] as const;

const CORE_OPTIONS = [
  'FollowSymLinks',
  '+FollowSymLinks',
  '-FollowSymLinks',
  'SymLinksIfOwnerMatch',
  'All',
  'None',
  '-Indexes',
  '+ExecCGI',
  'MultiViews',
  'Bogus',
  '+',
  '-',
  ...PROTO_KEYS,
] as const;

/** One regular-expression-like argument, built from PCRE pieces. */
export const regexText: fc.Arbitrary<string> = fc
  .array(pick(REGEX_PIECES), { minLength: 0, maxLength: 12 })
  .map((p) => p.join(''));

const substitutionText = fc
  .array(pick(SUBSTITUTION_PIECES), { minLength: 1, maxLength: 6 })
  .map((p) => p.join(''));

function flagList(flags: readonly string[]): fc.Arbitrary<string> {
  const inner = fc.array(pick(flags), { minLength: 0, maxLength: 4 }).map((f) => f.join(','));
  // mostly well delimited; sometimes the delimiters Apache rejects ("bad flag delimiters")
  return fc.oneof(
    { weight: 8, arbitrary: inner.map((s) => `[${s}]`) },
    { weight: 1, arbitrary: inner },
    { weight: 1, arbitrary: inner.map((s) => `[${s}`) },
    { weight: 1, arbitrary: inner.map((s) => `${s}]`) },
  );
}

/** An argument as written in the file: bare, double- or single-quoted, or with a stray quote. */
function written(arg: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(arg, fc.nat(12)).map(([a, how]) => {
    if (how === 0) return `"${a}"`;
    if (how === 1) return `'${a}'`;
    if (how === 2) return `"${a}`;
    if (how === 3) return a.replace(/ /g, '\\ ');
    return a;
  });
}

const space = fc.oneof(
  { weight: 10, arbitrary: fc.constant(' ') },
  { weight: 2, arbitrary: pick(['\t', '  ', ' \t ']) },
  { weight: 1, arbitrary: pick(['', '\\\n', ' \\\n  ', '\u00a0', '\v', '\f']) },
);

function directive(name: fc.Arbitrary<string>, args: fc.Arbitrary<string>[]): fc.Arbitrary<string> {
  return fc
    .tuple(
      name,
      fc.tuple(...args),
      fc.array(space, { minLength: args.length + 1, maxLength: args.length + 1 }),
      fc.nat(20),
    )
    .map(
      ([n, a, sp, lead]) =>
        (lead === 0 ? '  ' : lead === 1 ? '\t' : '') +
        n +
        a.map((x, i) => sp[i] + x).join('') +
        (lead === 2 ? sp[a.length] : ''),
    );
}

const names = (canonical: string): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(canonical) },
    { weight: 1, arbitrary: fc.constant(canonical.toLowerCase()) },
    { weight: 1, arbitrary: fc.constant(canonical.toUpperCase()) },
  );

const ruleLine = fc.oneof(
  {
    weight: 6,
    arbitrary: directive(names('RewriteRule'), [
      written(regexText),
      written(substitutionText),
      flagList(RULE_FLAGS),
    ]),
  },
  {
    weight: 1,
    arbitrary: directive(names('RewriteRule'), [written(regexText), written(substitutionText)]),
  },
  { weight: 1, arbitrary: directive(names('RewriteRule'), [written(regexText)]) },
  {
    weight: 1,
    arbitrary: directive(names('RewriteRule'), [
      written(regexText),
      written(substitutionText),
      flagList(RULE_FLAGS),
      pick(['extra', '[L]', '#c']),
    ]),
  },
);

const condPattern = fc.oneof(
  { weight: 5, arbitrary: regexText.map((r) => r) },
  { weight: 2, arbitrary: pick(COND_PATTERN_SPECIALS) },
  { weight: 1, arbitrary: regexText.map((r) => `!${r}`) },
);

const condLine = fc.oneof(
  {
    weight: 5,
    arbitrary: directive(names('RewriteCond'), [
      written(pick(TEST_STRINGS)),
      written(condPattern),
      flagList(COND_FLAGS),
    ]),
  },
  {
    weight: 3,
    arbitrary: directive(names('RewriteCond'), [written(pick(TEST_STRINGS)), written(condPattern)]),
  },
  {
    weight: 2,
    arbitrary: directive(names('RewriteCond'), [fc.constant('expr'), pick(EXPR_TEXTS)]),
  },
  { weight: 1, arbitrary: directive(names('RewriteCond'), [written(pick(TEST_STRINGS))]) },
);

const otherLine = fc.oneof(
  {
    weight: 3,
    arbitrary: directive(names('RewriteEngine'), [
      pick(['on', 'off', 'On', 'OFF', 'maybe', '', '1', 'constructor']),
    ]),
  },
  { weight: 2, arbitrary: directive(names('RewriteMap'), [pick(MAP_NAMES), pick(MAP_SOURCES)]) },
  { weight: 1, arbitrary: directive(names('RewriteMap'), [pick(MAP_NAMES)]) },
  {
    weight: 2,
    arbitrary: directive(names('RewriteBase'), [
      pick(['/', '/sub/', '/a b', 'rel', '', '"/q"', '/%00', '/$1', '//x']),
    ]),
  },
  {
    weight: 2,
    arbitrary: directive(names('RewriteOptions'), [
      fc.array(pick(OPTION_WORDS), { minLength: 0, maxLength: 3 }).map((o) => o.join(' ')),
    ]),
  },
  {
    weight: 1,
    arbitrary: directive(names('Options'), [
      fc.array(pick(CORE_OPTIONS), { minLength: 0, maxLength: 3 }).map((o) => o.join(' ')),
    ]),
  },
  {
    weight: 1,
    arbitrary: directive(pick(['DirectorySlash', 'DirectoryIndex']), [
      pick(['on', 'off', 'index.html', 'disabled', 'a b', '', 'constructor']),
    ]),
  },
  {
    weight: 1,
    arbitrary: pick([
      '',
      '#',
      '# comment',
      '  # RewriteRule (',
      '\\',
      'RewriteLock /x',
      'RewriteLog x',
      'Unknown x',
      'constructor',
      '__proto__ x',
      '<IfModule mod_rewrite.c>',
      '</IfModule>',
      'Header set X y',
      'ErrorDocument 404 /x',
    ]),
  },
);

const lineEnding = fc.oneof(
  { weight: 12, arbitrary: fc.constant('\n') },
  { weight: 1, arbitrary: pick(['\r\n', '\r', '\\\n', ' \\\n', '\\\r\n', '\n\n']) },
);

/** A whole rule file from the grammar: RewriteEngine first most of the time, then any mix. */
export const grammarRuleText: fc.Arbitrary<string> = fc
  .tuple(
    fc.boolean(),
    fc.array(
      fc.oneof(
        { weight: 4, arbitrary: ruleLine },
        { weight: 3, arbitrary: condLine },
        { weight: 2, arbitrary: otherLine },
      ),
      { minLength: 1, maxLength: 8 },
    ),
    fc.array(lineEnding, { minLength: 8, maxLength: 8 }),
  )
  .map(
    ([engine, lines, ends]) =>
      (engine ? 'RewriteEngine on\n' : '') + lines.map((l, i) => l + ends[i]).join(''),
  );

/** The `rules` of every conformance case (Apache-recorded configurations). */
export function corpusRuleTexts(): string[] {
  const dir = resolve(__dirname, '../../../conformance/cases');
  const texts: string[] = [];
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    const doc = JSON.parse(readFileSync(resolve(dir, name), 'utf8')) as {
      rules?: unknown;
      htaccess?: unknown;
      files?: Record<string, unknown>;
    };
    if (typeof doc.rules === 'string' && doc.rules.length > 0) texts.push(doc.rules);
    for (const [file, content] of Object.entries(doc.files ?? {})) {
      if (file.endsWith('.htaccess') && typeof content === 'string') texts.push(content);
    }
  }
  return texts;
}

type Mutation =
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number }
  | { kind: 'swapLines'; a: number; b: number }
  | { kind: 'replaceChar'; at: number; char: string };

const HOSTILE_CHARS = [
  '\\',
  '"',
  "'",
  '[',
  ']',
  '(',
  ')',
  '{',
  '}',
  '$',
  '%',
  ':',
  '|',
  ',',
  '=',
  '!',
  '?',
  '*',
  '+',
  '^',
  ' ',
  '\t',
  '\n',
  '\r',
  '\0',
  'é',
  '\u2028',
  '\ud800',
] as const;

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(
      pick(REGEX_PIECES),
      pick(SUBSTITUTION_PIECES),
      pick(RULE_FLAGS),
      pick(HOSTILE_CHARS),
    ),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({
    kind: fc.constant('duplicate' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 40 }),
  }),
  fc.record({ kind: fc.constant('swapLines' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('replaceChar' as const), at: fc.nat(), char: pick(HOSTILE_CHARS) }),
);

function applyMutation(text: string, m: Mutation): string {
  const at = 'at' in m ? m.at % (text.length + 1) : 0;
  switch (m.kind) {
    case 'insert':
      return text.slice(0, at) + m.text + text.slice(at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + m.length);
    case 'duplicate':
      return (
        text.slice(0, at + m.length) + text.slice(at, at + m.length) + text.slice(at + m.length)
      );
    case 'replaceChar':
      return text.slice(0, at) + m.char + text.slice(at + 1);
    case 'swapLines': {
      const lines = text.split('\n');
      const a = m.a % lines.length;
      const b = m.b % lines.length;
      [lines[a], lines[b]] = [lines[b], lines[a]];
      return lines.join('\n');
    }
  }
}

/** A corpus rule text with 1–6 mutations (insertions of grammar pieces, deletions, duplications, swaps). */
export function mutatedCorpusText(corpus: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(pick(corpus), fc.array(mutation, { minLength: 1, maxLength: 6 }))
    .map(([text, ms]) => ms.reduce(applyMutation, text));
}

/** Any text at all: printable and control characters, unicode, lone surrogates. */
export const arbitraryText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({
    unit: fc.constantFrom(...'RewriteRuleCondMapBase ^$()[]{}\\"\'%:|,=!-\n\t#*+?.'.split('')),
    maxLength: 200,
  }),
);
