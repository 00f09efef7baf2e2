/**
 * Typed rule objects → the same RuleSet as Apache text. A rule may give an Express-style
 * `path: '/users/:id'` (path-to-regexp syntax) instead of a regex; its named parameters can then be
 * used in the substitution as `:id`.
 */
import { pathToRegexp } from 'path-to-regexp';
import { throwIfProblems, type SourcePosition } from '../errors.js';
import type { Arg } from '../syntax/ast.js';
import { ProblemSink } from '../syntax/parse.js';
import { utf8ToBytes } from '../engine/bytes.js';
import { compileCond, compileRule, type CompileOptions } from './compile.js';
import { compileText } from './compile.js';
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
  /** An Express-style path (`/users/:id`); its parameters are usable as `:name` in the substitution. */
  readonly path?: string;
  /** The substitution (`-` for none). */
  readonly substitution: string;
  /** `['R=301', 'L']` or `'[R=301,L]'`. */
  readonly flags?: string | readonly string[];
  readonly conditions?: readonly TypedCondition[];
}

const flagsText = (f: string | readonly string[] | undefined): string | undefined =>
  f === undefined ? undefined : typeof f === 'string' ? (f.startsWith('[') ? f : `[${f}]`) : f.length ? `[${f.join(',')}]` : undefined;

export function compileTyped(rules: readonly TypedRule[], options: CompileOptions = {}): RuleSet {
  const lines: string[] = [];
  const sink = new ProblemSink((pos) => lines[pos.line - 1] ?? '');
  const compiled: CompiledRule[] = [];
  rules.forEach((rule, index) => {
    const pos: SourcePosition = { file: options.file ?? '<typed rules>', line: index + 1, column: 1 };
    lines[index] = JSON.stringify(rule, (_k, v: unknown) => (v instanceof RegExp ? v.toString() : v));
    const arg = (text: string): Arg => ({ text, pos });
    const conds: CompiledCond[] = [];
    for (const c of rule.conditions ?? []) {
      const pattern = c.pattern instanceof RegExp ? c.pattern.source : c.pattern;
      const flags = flagsText(c.flags);
      const nc = c.pattern instanceof RegExp && c.pattern.ignoreCase;
      const cc = compileCond(arg(c.testString), arg(pattern), flags || nc ? arg(flagsText([...(flags ? flags.slice(1, -1).split(',') : []), ...(nc ? ['NC'] : [])])!) : undefined, pos, sink);
      if (cc) conds.push(cc);
    }
    let substitution = rule.substitution;
    let prebuilt: RegExp | undefined;
    let params: Map<string, number> | undefined;
    let patternText: string;
    if (rule.path !== undefined) {
      if (rule.pattern !== undefined) { sink.add('ERR_TYPED_RULE', 'a typed rule takes `pattern` or `path`, not both', pos); return; }
      try {
        const { regexp, keys } = pathToRegexp(rule.path);
        prebuilt = new RegExp(utf8ToBytes(regexp.source), 's' + regexp.flags.replace(/[gsuy]/g, ''));
        params = new Map(keys.map((k, i) => [String(k.name), i + 1]));
        // :name in the substitution → $N (only names the path declares)
        substitution = substitution.replace(/:([A-Za-z_$][\w$]*)/g, (m, name: string) => (params!.has(name) ? `$${params!.get(name)}` : m));
      } catch (err) {
        sink.add('ERR_TYPED_RULE', `invalid path '${rule.path}': ${(err as Error).message}`, pos);
        return;
      }
      patternText = rule.path;
    } else if (rule.pattern instanceof RegExp) {
      prebuilt = new RegExp(rule.pattern.source, 's' + (rule.pattern.ignoreCase ? 'i' : ''));
      patternText = rule.pattern.source;
    } else if (typeof rule.pattern === 'string') {
      patternText = rule.pattern;
    } else {
      sink.add('ERR_TYPED_RULE', 'a typed rule needs a `pattern` or a `path`', pos);
      return;
    }
    if (typeof rule.substitution !== 'string') { sink.add('ERR_TYPED_RULE', 'a typed rule needs a `substitution` string', pos); return; }
    const flags = flagsText(rule.flags);
    const r = compileRule(arg(patternText), arg(substitution), flags ? arg(flags) : undefined, pos, conds, sink, params, prebuilt);
    if (r) compiled.push(r);
  });
  throwIfProblems(sink.problems);
  const base = compileText('RewriteEngine On', { ...options, file: undefined });
  return { ...base, rules: compiled, file: options.file };
}
