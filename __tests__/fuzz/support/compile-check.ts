/**
 * The compile() property, evaluated inside the fuzz worker: rule text in a context either compiles
 * to a RuleSet or throws a RewriteError whose code is a documented one and whose every problem
 * points at a real place in the text (line within the text, column within that line). Anything
 * else (a TypeError, a RangeError, a plain Error, a position outside the text) is a violation.
 */
import { compile, ERROR_CODES, RewriteError } from '../../../lib/index';
import type { ConfigContext } from '../../../lib/index';

export interface CompileInput {
  readonly text: string;
  readonly context: ConfigContext;
}

/** Returns '' when the property holds, otherwise what went wrong. */
export function checkCompile(json: string): string {
  const input = JSON.parse(json) as CompileInput;
  let result: unknown;
  try {
    result = compile(input.text, { context: input.context, mapRoot: process.env.FUZZ_MAP_ROOT });
  } catch (err) {
    return checkError(err, input.text);
  }
  const set = result as { rules?: unknown; maps?: unknown };
  if (!Array.isArray(set.rules) || !(set.maps instanceof Map))
    return `compile() returned something that is not a RuleSet: ${describe(result)}`;
  return '';
}

function checkError(err: unknown, text: string): string {
  if (!(err instanceof RewriteError))
    return `compile() threw something other than a RewriteError: ${describe(err)}`;
  if (!Object.hasOwn(ERROR_CODES, err.code))
    return `RewriteError with an undocumented code ${String(err.code)}`;
  const problems = err.problems.length > 0 ? err.problems : [err];
  // the lexer's physical lines (a lone CR is not a line break, as in Apache's config reader)
  const lines = text.split(/\r?\n/);
  for (const p of problems) {
    const where = `${p.code} at ${String(p.line)}:${String(p.column)} (${p.message.split('\n')[0]})`;
    if (!Number.isInteger(p.line) || !Number.isInteger(p.column))
      return `problem without a line and column: ${where}`;
    if (p.line! < 1 || p.line! > lines.length)
      return `problem on a line outside the text (${lines.length} lines): ${where}`;
    const lineLength = lines[p.line! - 1].length;
    if (p.column! < 1 || p.column! > lineLength + 1)
      return `problem at a column outside its line (${lineLength} characters): ${where}`;
  }
  return '';
}

function describe(value: unknown): string {
  if (value instanceof Error)
    return `${value.name}: ${value.message}\n${value.stack ?? ''}`.slice(0, 2000);
  try {
    return JSON.stringify(value).slice(0, 500);
  } catch {
    return String(value);
  }
}

/** Names a plain-object lookup table would find on Object.prototype. */
const PROTOTYPE_KEYS = [
  '__defineGetter__',
  'hasOwnProperty',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
];

/** What compile() made of a text: 'ok' or the sorted error codes. */
function compileVerdict(text: string, context: ConfigContext): string {
  try {
    compile(text, { context, mapRoot: process.env.FUZZ_MAP_ROOT });
    return 'ok';
  } catch (err) {
    if (!(err instanceof RewriteError)) return `threw ${describe(err)}`;
    const problems = err.problems.length > 0 ? err.problems : [err];
    return problems
      .map((p) => p.code)
      .sort()
      .join(',');
  }
}

/**
 * Prototype keys are names like any other (issue 9 item 3): a text that uses `constructor`,
 * `__proto__`, `toString`… as a flag, map name, map function, option, variable or handler
 * compiles exactly like the same text with a neutral unknown word in their place.
 */
export function checkPrototypeKeys(json: string): string {
  const input = JSON.parse(json) as CompileInput;
  let neutral = input.text;
  PROTOTYPE_KEYS.forEach((key, i) => {
    neutral = neutral.split(key).join(`zzkey${i}`);
  });
  if (neutral === input.text) return '';
  const withKeys = compileVerdict(input.text, input.context);
  const withNeutral = compileVerdict(neutral, input.context);
  if (withKeys === withNeutral) return '';
  return `prototype keys change the result: ${withKeys} with them, ${withNeutral} with a neutral word`;
}
