/**
 * The rules of one file as the checks see them: each RewriteRule with its RewriteConds, its flags,
 * its pattern compiled the way Apache compiles it, and its substitution tokenised. Built from the
 * parser's directives, rule by rule, so one broken rule (reported as MR001 by lint.ts) does not
 * hide the findings of the others.
 */
import { utf8ToBytes } from '../common/bytes.js';
import {
  parseCondFlags,
  parseRuleFlags,
  splitFlags,
  type CondFlags,
  type RuleFlags,
} from '../compile/flags.js';
import { compilePcre, translatePcre } from '../compile/pcre.js';
import { parseTemplate, type Template } from '../compile/template.js';
import type { CondDirective, Directive, RuleDirective } from '../syntax/ast.js';
import type { ConfigContext } from '../syntax/parse.js';

/** A RewriteCond's test. */
export type LintTest =
  | { readonly type: 'regex'; readonly re: RegExp; readonly groups: number }
  | { readonly type: 'file'; readonly test: string }
  | { readonly type: 'other' };

export interface LintCond {
  readonly d: CondDirective;
  readonly negate: boolean;
  /** The pattern without its `!`. */
  readonly pattern: string;
  readonly test: LintTest;
  readonly flags: CondFlags;
  /** undefined when the test string does not tokenise (a load error). */
  readonly input?: Template;
  /** `expr` conditions. */
  readonly expr: boolean;
}

export interface LintRule {
  readonly d: RuleDirective;
  readonly index: number;
  readonly conds: readonly LintCond[];
  readonly negate: boolean;
  /** The pattern without its `!`. */
  readonly pattern: string;
  /**
   * undefined when Apache's PCRE would refuse it (a load error) or JavaScript cannot express it.
   */
  readonly re?: RegExp;
  /** Capturing groups of the pattern (0 when it does not compile). */
  readonly groups: number;
  readonly flags: RuleFlags;
  /** The substitution as written; `-` for none. */
  readonly substitution: string;
  readonly output?: Template;
  /** Inside `<If>`: it runs only when that expression holds. */
  readonly conditional: boolean;
}

export interface LintModel {
  readonly context: ConfigContext;
  readonly file?: string;
  readonly rules: readonly LintRule[];
  /** The last RewriteEngine line (Apache: the last one wins), if any. */
  readonly engine?: { readonly on: boolean; readonly d: Directive };
  readonly base?: string;
  readonly directives: readonly Directive[];
}

/** Capturing groups in JS regexp source: the length of the match of an empty alternative. */
function countGroups(source: string, flags: string): number {
  return new RegExp(`(?:${source})|`, flags).exec('')!.length - 1;
}

/** A pattern compiled as Apache does (DOTALL, caseless for NC), or undefined (a load error). */
function compileLoose(
  pattern: string,
  nocase: boolean,
): { re: RegExp; groups: number } | undefined {
  const bytes = utf8ToBytes(pattern);
  try {
    const re = compilePcre(bytes, nocase);
    const t = translatePcre(bytes, false);
    const hidden = t.hiddenGroups.length + (t.trailingNewlineGroup ? 1 : 0);
    const groups = countGroups(t.source, 's') - hidden;
    return { re, groups };
  } catch {
    return undefined;
  }
}

function templateOrUndefined(text: string): Template | undefined {
  try {
    return parseTemplate(utf8ToBytes(text));
  } catch {
    return undefined;
  }
}

const FILE_TESTS = /^-[fsdxhLlUF]$/;

function condTest(pattern: string, nocase: boolean, expr: boolean): LintTest {
  if (expr) return { type: 'other' };
  if (FILE_TESTS.test(pattern)) return { type: 'file', test: pattern.slice(1) };
  if (/^(?:-(?:lt|le|gt|ge|eq|ne)|[<>=])/.test(pattern)) return { type: 'other' };
  const compiled = compileLoose(pattern, nocase);
  return compiled ? { type: 'regex', ...compiled } : { type: 'other' };
}

function lintCond(d: CondDirective): LintCond {
  const flags = parseCondFlags(d.flags ? splitFlags(d.flags.text) : []).flags;
  const negate = d.pattern.text.startsWith('!');
  const pattern = negate ? d.pattern.text.slice(1) : d.pattern.text;
  const expr = d.testString.text.toLowerCase() === 'expr';
  return {
    d,
    negate,
    pattern,
    test: condTest(pattern, flags.nocase, expr),
    flags,
    input: expr ? undefined : templateOrUndefined(d.testString.text),
    expr,
  };
}

function lintRule(d: RuleDirective, index: number, conds: LintCond[]): LintRule {
  const flags = parseRuleFlags(d.flags ? splitFlags(d.flags.text) : []).flags;
  const negate = d.pattern.text.startsWith('!');
  const pattern = negate ? d.pattern.text.slice(1) : d.pattern.text;
  const compiled = compileLoose(pattern, flags.nocase);
  const substitution = d.substitution.text;
  return {
    d,
    index,
    conds,
    negate,
    pattern,
    re: compiled?.re,
    // a negated pattern sets no back-references (apply_rewrite_rule keeps no match data for it)
    groups: negate ? 0 : (compiled?.groups ?? 0),
    flags,
    substitution,
    output: substitution === '-' ? undefined : templateOrUndefined(substitution),
    conditional: d.when !== undefined,
  };
}

/** The model of parsed directives (RewriteConds attach to the next RewriteRule, as in Apache). */
export function buildModel(
  directives: readonly Directive[],
  context: ConfigContext,
  file?: string,
): LintModel {
  const rules: LintRule[] = [];
  let pending: LintCond[] = [];
  let engine: LintModel['engine'];
  let base: string | undefined;
  for (const d of directives) {
    if (d.type === 'RewriteCond') pending.push(lintCond(d));
    else if (d.type === 'RewriteRule') {
      rules.push(lintRule(d, rules.length, pending));
      pending = [];
    } else if (d.type === 'RewriteEngine') engine = { on: d.on, d };
    else if (d.type === 'RewriteBase') base = d.path;
  }
  return { context, file, rules, engine, base, directives };
}
