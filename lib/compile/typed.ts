/**
 * Typed rule objects → the same RuleSet as Apache text. A rule may give an Express-style
 * `path: '/users/:id'` (path-to-regexp syntax) instead of a regex; its named parameters can then be
 * used in the substitution as `:id`.
 */
import { pathToRegexp } from 'path-to-regexp';
import { throwIfProblems, type SourcePosition } from '../errors.js';
import type { Arg } from '../syntax/ast.js';
import { ProblemSink } from '../syntax/parse.js';
import { utf8ToBytes } from '../common/bytes.js';
import { compileCond, compileRule, type CompileOptions } from './compile.js';
import { compileText } from './compile.js';
import { checkOptionsObject, describeValue, optionsError } from './entry.js';
import type { CompiledCond, CompiledRule, RuleSet } from './ruleset.js';

export interface TypedCondition {
  /** e.g. `%{HTTP_HOST}` */
  readonly testString: string;
  /** CondPattern as in Apache (`!^www\.`, `-f`, `=foo`, ...). A RegExp is taken as is. */
  readonly pattern: string | RegExp;
  /** `['NC', 'OR']` or `'[NC,OR]'`. */
  readonly flags?: string | readonly string[];
}

export interface TypedRule {
  /** The regex (PCRE syntax as in Apache, or a RegExp). Give this or `path`. */
  readonly pattern?: string | RegExp;
  /** An Express-style path (`/users/:id`); its parameters are `:name` in the substitution. */
  readonly path?: string;
  /** The substitution (`-` for none). */
  readonly substitution: string;
  /** `['R=301', 'L']` or `'[R=301,L]'`. */
  readonly flags?: string | readonly string[];
  readonly conditions?: readonly TypedCondition[];
}

const flagsText = (f: string | readonly string[] | undefined): string | undefined =>
  f === undefined
    ? undefined
    : typeof f === 'string'
      ? f.startsWith('[')
        ? f
        : `[${f}]`
      : f.length
        ? `[${f.join(',')}]`
        : undefined;

const isFlags = (f: unknown): boolean =>
  f === undefined ||
  typeof f === 'string' ||
  (Array.isArray(f) && f.every((x) => typeof x === 'string'));

const isPattern = (p: unknown): boolean => typeof p === 'string' || p instanceof RegExp;

/**
 * What is wrong with one typed condition (values from JavaScript callers are not trusted to match
 * the types).
 */
function conditionProblem(cond: unknown): string | undefined {
  if (cond === null || typeof cond !== 'object' || Array.isArray(cond))
    return `must be an object { testString, pattern, flags? }, got ${describeValue(cond)}`;
  const c = cond as Record<string, unknown>;
  if (typeof c.testString !== 'string')
    return (
      "needs a `testString` string (e.g. '%{HTTP_HOST}'), " + `got ${describeValue(c.testString)}`
    );
  if (!isPattern(c.pattern))
    return (
      'needs a `pattern` (a CondPattern string or a RegExp), ' + `got ${describeValue(c.pattern)}`
    );
  if (!isFlags(c.flags)) return '`flags` must be a string or an array of strings';
  return undefined;
}

/**
 * What is wrong with one typed rule, `rules[i]: ...` or `rules[i].conditions[j]: ...`; undefined
 * when nothing.
 */
function ruleProblem(rule: unknown, index: number): string | undefined {
  const at = `rules[${index}]`;
  if (rule === null || typeof rule !== 'object' || Array.isArray(rule))
    return (
      `${at}: a typed rule must be an object ` +
      `{ pattern | path, substitution, flags?, conditions? }, got ${describeValue(rule)}`
    );
  const r = rule as Record<string, unknown>;
  if (r.pattern !== undefined && r.path !== undefined)
    return `${at}: a typed rule takes \`pattern\` or \`path\`, not both`;
  if (r.pattern === undefined && r.path === undefined)
    return `${at}: a typed rule needs a \`pattern\` or a \`path\``;
  if (r.pattern !== undefined && !isPattern(r.pattern))
    return `${at}: \`pattern\` must be a string or a RegExp, got ${describeValue(r.pattern)}`;
  if (r.path !== undefined && typeof r.path !== 'string')
    return `${at}: \`path\` must be a string, got ${describeValue(r.path)}`;
  if (typeof r.substitution !== 'string')
    return (
      `${at}: a typed rule needs a \`substitution\` string ('-' for none), ` +
      `got ${describeValue(r.substitution)}`
    );
  if (!isFlags(r.flags)) return `${at}: \`flags\` must be a string or an array of strings`;
  if (r.conditions === undefined) return undefined;
  if (!Array.isArray(r.conditions))
    return `${at}: \`conditions\` must be an array, got ${describeValue(r.conditions)}`;
  for (const [j, c] of r.conditions.entries()) {
    const problem = conditionProblem(c);
    if (problem) return `${at}.conditions[${j}]: ${problem}`;
  }
  return undefined;
}

/**
 * Typed rules → a RuleSet (RewriteEngine on). Malformed rules fail with ERR_TYPED_RULE naming
 * `rules[i]`, at line i + 1.
 * @example
 * const ruleSet = compileTyped([
 *   { path: '/users/:id', substitution: '/profile.php?id=:id', flags: ['L'] },
 *   { pattern: '^/old$', substitution: '/new', flags: '[R=301,L]' },
 * ]);
 * app.use(rewrite(ruleSet));
 */
export function compileTyped(rules: readonly TypedRule[], options: CompileOptions = {}): RuleSet {
  if (!Array.isArray(rules))
    throw optionsError(
      'compileTyped()',
      `rules must be an array of typed rules, got ${describeValue(rules)}`,
    );
  checkOptionsObject('compileTyped()', options);
  const lines: string[] = [];
  const sink = new ProblemSink((pos) => lines[pos.line - 1] ?? '');
  const compiled: CompiledRule[] = [];
  rules.forEach((rule, index) => {
    const pos: SourcePosition = {
      file: options.file ?? '<typed rules>',
      line: index + 1,
      column: 1,
    };
    lines[index] =
      JSON.stringify(rule, (_k, v: unknown) => (v instanceof RegExp ? v.toString() : v)) ??
      String(rule);
    const problem = ruleProblem(rule, index);
    if (problem) {
      sink.add('ERR_TYPED_RULE', problem, pos);
      return;
    }
    const r = compileTypedRule(rule, index, pos, sink);
    if (r) compiled.push(r);
  });
  throwIfProblems(sink.problems);
  const base = compileText('RewriteEngine On', { ...options, file: undefined });
  return { ...base, rules: compiled, file: options.file };
}

/** One well-formed typed rule, compiled as its RewriteCond and RewriteRule lines would be. */
function compileTypedRule(
  rule: TypedRule,
  index: number,
  pos: SourcePosition,
  sink: ProblemSink,
): CompiledRule | undefined {
  const arg = (text: string): Arg => ({ text, pos });
  const conds = typedConditions(rule.conditions ?? [], arg, pos, sink);
  const pattern = typedPattern(rule, index, pos, sink);
  if (!pattern) return undefined;
  const flags = flagsText(rule.flags);
  return compileRule(
    arg(pattern.text),
    arg(pattern.substitution),
    flags ? arg(flags) : undefined,
    pos,
    conds,
    sink,
    pattern.params,
    pattern.prebuilt,
  );
}

function typedConditions(
  conditions: readonly TypedCondition[],
  arg: (text: string) => Arg,
  pos: SourcePosition,
  sink: ProblemSink,
): CompiledCond[] {
  const conds: CompiledCond[] = [];
  for (const c of conditions) {
    const pattern = c.pattern instanceof RegExp ? c.pattern.source : c.pattern;
    const flags = flagsText(c.flags);
    // a RegExp's `i` is the NC flag
    const nc = c.pattern instanceof RegExp && c.pattern.ignoreCase;
    const all = [...(flags ? flags.slice(1, -1).split(',') : []), ...(nc ? ['NC'] : [])];
    const flagArg = flags || nc ? arg(flagsText(all)!) : undefined;
    const cc = compileCond(arg(c.testString), arg(pattern), flagArg, pos, sink);
    if (cc) conds.push(cc);
  }
  return conds;
}

/** A typed rule's pattern: its text, a prebuilt RegExp, and for a `path` its parameters. */
interface TypedPattern {
  readonly text: string;
  /** The substitution, with a path's `:name` turned into `$N`. */
  readonly substitution: string;
  readonly prebuilt?: RegExp;
  readonly params?: Map<string, number>;
}

function typedPattern(
  rule: TypedRule,
  index: number,
  pos: SourcePosition,
  sink: ProblemSink,
): TypedPattern | undefined {
  const substitution = rule.substitution;
  if (rule.path !== undefined) return pathPattern(rule.path, substitution, index, pos, sink);
  if (rule.pattern instanceof RegExp) {
    const prebuilt = new RegExp(rule.pattern.source, 's' + (rule.pattern.ignoreCase ? 'i' : ''));
    return { text: rule.pattern.source, substitution, prebuilt };
  }
  return { text: rule.pattern as string, substitution };
}

/** An Express-style `path` through path-to-regexp; ERR_TYPED_RULE when it does not parse. */
function pathPattern(
  path: string,
  substitution: string,
  index: number,
  pos: SourcePosition,
  sink: ProblemSink,
): TypedPattern | undefined {
  try {
    const { regexp, keys } = pathToRegexp(path);
    const prebuilt = new RegExp(
      utf8ToBytes(regexp.source),
      's' + regexp.flags.replace(/[gsuy]/g, ''),
    );
    const params = new Map(keys.map((k, i) => [String(k.name), i + 1]));
    // :name in the substitution → $N (only names the path declares)
    const replaced = substitution.replace(/:([A-Za-z_$][\w$]*)/g, (m: string, name: string) =>
      params.has(name) ? `$${params.get(name)}` : m,
    );
    return { text: path, substitution: replaced, prebuilt, params };
  } catch (err) {
    sink.add(
      'ERR_TYPED_RULE',
      `rules[${index}]: invalid path '${path}': ${(err as Error).message}`,
      pos,
    );
    return undefined;
  }
}
