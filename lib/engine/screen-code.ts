/**
 * The screen of one rule set as one generated function (engine/screen.ts decides what the screen
 * answers; this only changes how it finds the first rule that matches).
 *
 * Why: on a live server the CPU's caches hold other code between two requests (Express, node:http,
 * the kernel, other processes), so what a request costs is mostly the code it fetches again, and
 * every builtin a step calls (Map lookups, string searches) is code of its own. The generic screen
 * walks a radix tree of Maps, then an array of rule objects through small functions. The
 * generated function holds the same decisions as straight-line code: a switch on the URL's second
 * character picks the rules whose literal prefix could match (compile/prefix-index.ts's prefixes),
 * and each rule's test is written out: its prefix compared character by character, its pattern's
 * shape, its header conditions, and a plain local rewrite's result.
 *
 * What it decides is the generic screen's: every rule whose prefix the URL-path starts with, and
 * every rule without one, is tested in rule order (a caseless prefix counts as none, which only
 * adds candidates, each still tested by its pattern), and each test is shapeMatches' and holds'
 * (engine/screen.ts).
 *
 * Safety: no text of a rule enters the generated source except as a JSON string literal or a
 * number; regexes, conditions and direct rules are handed to it as values. A rule set whose code
 * would be large (V8 optimizes no function past a bytecode size) or a process that refuses code
 * generation (`--disallow-code-generation-from-strings`) keeps the generic screen.
 */
import type { PatternShape } from '../compile/pattern-shape.js';

/** A leading header condition as the generator reads it (engine/screen.ts HeaderCond). */
export interface CodeCond {
  readonly header: string;
  /** The regex CondPattern's shape; undefined: a string comparison (tested by `holds`). */
  readonly shape: PatternShape | undefined;
  readonly negate: boolean;
}

/**
 * A direct local rewrite the generated code applies itself (engine/screen.ts DirectRule, not
 * [P]): the substitution's text and back-references, and how its query is split.
 */
export interface CodeLocal {
  readonly pieces: readonly (string | number)[];
  readonly qsnone: boolean;
  readonly qsappend: boolean;
  readonly qsdiscard: boolean;
  readonly qslast: boolean;
  /** What prefix_stat stats when the text decides it; null: nothing; undefined: per result. */
  readonly segment: string | null | undefined;
}

/** What the generator reads of one rule of the screen. */
export interface CodeRule {
  readonly pattern: PatternShape;
  readonly negate: boolean;
  /** The regex a direct rule runs for its captures; undefined: the rule is only screened. */
  readonly direct: RegExp | undefined;
  /** Set: the generated code answers this direct rule's rewritten URL itself. */
  readonly local: CodeLocal | undefined;
  readonly conds: readonly CodeCond[];
  /** The case-sensitive literal every match starts with; '' when there is none to index by. */
  readonly prefix: string;
}

/**
 * What the generated function calls back: `holds(i, j, value)` tests condition j of rule i
 * against a header value (the string comparisons), `direct(i, m, uri, args)` applies direct rule
 * i to its match, `folded(subject, lower)` compares caselessly.
 */
export interface CodeHelpers<T> {
  readonly holds: (i: number, j: number, value: string) => boolean;
  readonly direct: (i: number, m: RegExpExecArray, uri: string, args: string | null) => T;
  /** prefix_stat's cached answer: does this first segment exist under the document root? */
  readonly segmentExists: (segment: string) => boolean;
  /** firstSegmentOf (engine/results.ts) for a result the text alone does not decide. */
  readonly segmentOf: (path: string) => string | undefined;
  /** encodePathForUrl (common/escape.ts). */
  readonly encodePath: (path: string) => string;
  /** hasCtlOrSpace (common/escape.ts). */
  readonly hasCtlOrSpace: (s: string) => boolean;
  /** equalsFolded (compile/pattern-shape.ts). */
  readonly folded: (subject: string, lower: string) => boolean;
  /** A request header's value as the engine reads it (absent: '', a list joined). */
  readonly headerValue: (raw: unknown) => string;
  /** The longest filename a direct rule may leave (longer ones are the engine's). */
  readonly maxFilename: number;
}

/**
 * The screen's walk for a URL-path: the first candidate that matches is handed to `direct` (a
 * direct rule) or answered `undefined` (the engine's), none matching is `null`.
 */
export type ScreenCode<T> = (
  uri: string,
  args: string | null,
  headers: unknown,
) => T | null | undefined;

/**
 * Past this many rule tests the generic screen stays: the code would be large (V8 optimizes no
 * function past a bytecode size) and take long to compile.
 */
const MAX_TESTS = 800;

/**
 * Local helpers of the generated source (small: TurboFan inlines them, and the functions handed
 * in, where they are called).
 */
const PRELUDE = `
const { holds: HOLDS, direct: D, segmentExists: SEG, segmentOf: SEGOF, encodePath: ENC } = H;
const { folded, headerValue, hasCtlOrSpace } = H;
function startsWith(s, t) {
  if (s.length < t.length) return false;
  for (let i = 0; i < t.length; i++) if (s.charCodeAt(i) !== t.charCodeAt(i)) return false;
  return true;
}
function hasChar(s, c) {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === c) return true;
  return false;
}
function trimmedArgs(a) {
  if (a === null || a === '') return null;
  return a.charCodeAt(a.length - 1) === 38 ? a.slice(0, -1) : a;
}`;

/** The generated screen, or undefined when the generic one stays. */
export function generateScreen<T>(
  rules: readonly CodeRule[],
  helpers: CodeHelpers<T>,
): ScreenCode<T> | undefined {
  const { buckets, always } = bucketsOf(rules);
  const tests = (buckets.size + 1) * always.length + rules.length;
  if (tests > MAX_TESTS) return undefined;
  const regexes = rules.map((r) => r.direct ?? r.pattern.re);
  const condRegexes = rules.map((r) => r.conds.map((c) => c.shape?.re));
  const source = [
    "'use strict';",
    PRELUDE,
    ...regexes.map((_, i) => `const r${i} = R[${i}];`),
    ...condRegexes.flatMap((list, i) =>
      list.map((re, j) => (re ? `const r${i}_${j} = CR[${i}][${j}];` : '')),
    ),
    'return function generatedScreen(uri, args, headers) {',
    'let m = null;',
    'let v = "";',
    walkCode(rules, buckets, always, helpers),
    '};',
  ].join('\n');
  try {
    const factory = new Function('R', 'CR', 'H', source) as (...a: unknown[]) => ScreenCode<T>;
    return factory(regexes, condRegexes, helpers);
  } catch {
    return undefined;
  }
}

/**
 * The rules by their prefix's second character (a URL-path can only match a rule whose prefix
 * it starts with), and those tested for every URL: no prefix, or one of a single character.
 */
function bucketsOf(rules: readonly CodeRule[]): {
  buckets: Map<number, number[]>;
  always: number[];
} {
  const buckets = new Map<number, number[]>();
  const always: number[] = [];
  rules.forEach((rule, i) => {
    if (rule.prefix.length < 2) {
      always.push(i);
      return;
    }
    const c = rule.prefix.charCodeAt(1);
    const list = buckets.get(c) ?? [];
    list.push(i);
    buckets.set(c, list);
  });
  return { buckets, always };
}

/** A switch on the URL's second character; each case tests its rules and the others in order. */
function walkCode(
  rules: readonly CodeRule[],
  buckets: ReadonlyMap<number, readonly number[]>,
  always: readonly number[],
  helpers: CodeHelpers<unknown>,
): string {
  const tested = (list: readonly number[]): string =>
    [...list.map((i) => ruleCode(rules[i]!, i, helpers)), 'return null;'].join('\n');
  const out = ['switch (uri.charCodeAt(1)) {'];
  for (const [c, list] of buckets)
    out.push(`case ${c}: {\n${tested(mergeSorted(always, list))}\n}`);
  out.push('}');
  out.push(tested(always));
  return out.join('\n');
}

/** One candidate's test: the direct rule's answer, undefined (the engine's), or on to the next. */
function ruleCode(rule: CodeRule, i: number, helpers: CodeHelpers<unknown>): string {
  const conds = rule.conds.map((c, j) => condCode(c, i, j));
  if (rule.direct) {
    const reset = needsReset(rule.direct) ? `r${i}.lastIndex = 0;\n` : '';
    const all = ['m !== null', ...conds].join(' && ');
    const answer = rule.local ? localCode(rule.local, helpers) : `return D(${i}, m, uri, args);`;
    return `${reset}m = r${i}.exec(uri);\nif (${all}) {\n${answer}\n}`;
  }
  const matches = shapeCode(rule.pattern, `r${i}`, 'uri');
  const test = rule.negate ? `!(${matches})` : matches;
  return `if (${[test, ...conds].join(' && ')}) return undefined;`;
}

/**
 * directAnswer (engine/screen.ts) for a local rule, written out: the substitution with its `?`
 * split where the text puts it (a back-reference holding a `?` is the engine's), the query flags
 * as splitAfter applies them, the engine's limits, prefix_stat, and the URL req.url gets.
 */
function localCode(local: CodeLocal, helpers: CodeHelpers<unknown>): string {
  const out = ['if (uri.charCodeAt(0) !== 47) return undefined;'];
  const refs = new Set(local.pieces.filter((p): p is number => typeof p === 'number'));
  for (const n of refs) {
    out.push(`const c${n} = m[${n}] ?? '';`);
    out.push(`if (hasChar(c${n}, 63)) return undefined;`);
  }
  const { path, query } = splitPieces(local);
  out.push(`const f = ${concat(path)};`);
  out.push(`let a = ${local.qsdiscard || local.qsnone ? 'null' : 'args'};`);
  if (query !== undefined) out.push(queryCode(local, concat(query)));
  out.push(`if (f.length > ${helpers.maxFilename}) return undefined;`);
  out.push('if (a !== null && hasCtlOrSpace(a)) return undefined;');
  // a `#` in the query goes into req.url as %23: the engine's localOutcome writes it
  out.push('if (a !== null && hasChar(a, 35)) return undefined;');
  out.push('if (f.charCodeAt(1) === 47) return undefined;');
  const segment = local.segment !== undefined ? JSON.stringify(local.segment) : 'SEGOF(f) ?? null';
  if (local.segment !== null)
    out.push(`{ const s = ${segment}; if (s !== null && SEG(s)) return undefined; }`);
  const encoded = path.every((p) => typeof p === 'string')
    ? JSON.stringify(helpers.encodePath((path as string[]).join('')))
    : 'ENC(f)';
  out.push(`return a !== null ? ${encoded} + '?' + a : ${encoded};`);
  return out.join('\n');
}

/** The split of splitAfter, decided from the text (back-references hold no `?` here). */
function splitPieces(local: CodeLocal): {
  path: (string | number)[];
  query: (string | number)[] | undefined;
} {
  const pieces = local.pieces;
  if (local.qsnone) return { path: [...pieces], query: undefined };
  const at = local.qslast ? lastQuestion(pieces) : firstQuestion(pieces);
  if (at === undefined) return { path: [...pieces], query: undefined };
  const [p, o] = at;
  const text = pieces[p] as string;
  const path = [...pieces.slice(0, p), text.slice(0, o)];
  const query = [text.slice(o + 1), ...pieces.slice(p + 1)];
  return { path, query };
}

function firstQuestion(pieces: readonly (string | number)[]): [number, number] | undefined {
  for (let p = 0; p < pieces.length; p++) {
    const piece = pieces[p];
    if (typeof piece === 'string' && piece.includes('?')) return [p, piece.indexOf('?')];
  }
  return undefined;
}

function lastQuestion(pieces: readonly (string | number)[]): [number, number] | undefined {
  for (let p = pieces.length - 1; p >= 0; p--) {
    const piece = pieces[p];
    if (typeof piece === 'string' && piece.includes('?')) return [p, piece.lastIndexOf('?')];
  }
  return undefined;
}

/** splitAfter's query handling once the split is known: [QSA] and the empty or `&`-ended query. */
function queryCode(local: CodeLocal, query: string): string {
  const q = `const q = ${query};`;
  if (!local.qsappend) return `${q}\na = trimmedArgs(q);`;
  return `${q}\nif (q) a = trimmedArgs(a !== null ? q + '&' + a : q + '&');\nelse a = trimmedArgs(a);`;
}

function concat(pieces: readonly (string | number)[]): string {
  const parts = pieces
    .filter((p) => p !== '')
    .map((p) => (typeof p === 'number' ? `c${p}` : JSON.stringify(p)));
  return parts.length ? parts.join(' + ') : "''";
}

/** holds (engine/screen.ts) for condition j of rule i: the header read as the engine reads it. */
function condCode(cond: CodeCond, i: number, j: number): string {
  const read = `(v = headerValue(${headerRead(cond.header)}), true)`;
  const test = cond.shape ? shapeCode(cond.shape, `r${i}_${j}`, 'v') : `HOLDS(${i}, ${j}, v)`;
  return `${read} && ${cond.negate ? `!(${test})` : `(${test})`}`;
}

/** A header by its lower-case name, own properties only (a name Object.prototype also has). */
function headerRead(name: string): string {
  const key = JSON.stringify(name);
  return name in Object.prototype
    ? `(Object.hasOwn(headers, ${key}) ? headers[${key}] : undefined)`
    : `headers[${key}]`;
}

/** shapeMatches (compile/pattern-shape.ts) written out for one subject. */
function shapeCode(shape: PatternShape, re: string, subject: string): string {
  const regex = needsReset(shape.re)
    ? `(${re}.lastIndex = 0, ${re}.test(${subject}))`
    : `${re}.test(${subject})`;
  const text = shape.text;
  switch (shape.kind) {
    case 'prefix':
      return `startsWith(${subject}, ${JSON.stringify(text)})`;
    case 'exact':
      if (shape.caseless) return `folded(${subject}, ${JSON.stringify(text)})`;
      return `(${subject}.length === ${text.length} && startsWith(${subject}, ${JSON.stringify(text)}))`;
    case 'contains':
      return text.length === 1
        ? `(hasChar(${subject}, ${text.charCodeAt(0)}) && ${regex})`
        : `(${subject}.includes(${JSON.stringify(text)}) && ${regex})`;
    case 'regex':
      return regex;
  }
}

/**
 * lastIndex is read by exec/test only for a global or sticky RegExp, or one whose methods a
 * translation overrides (guards): those get shapeMatches' reset.
 */
function needsReset(re: RegExp): boolean {
  return Object.getPrototypeOf(re) !== RegExp.prototype || re.global || re.sticky;
}

function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  if (b.length === 0) return a as number[];
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}
