/** Rules from Apache text, typed objects, a file, or an already compiled RuleSet. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { compileText, type CompileOptions } from '../compile/compile.js';
import { chooseContext, describeValue, optionsError } from '../compile/entry.js';
import type { RuleSet } from '../compile/ruleset.js';
import { compileTyped, type TypedRule } from '../compile/typed.js';
import { ProgramMap } from '../common/maps.js';
import { RewriteError } from '../errors.js';
import type { RewriteOptions, RulesInput } from './types.js';

const RULES_INPUT = 'Apache text, an array of typed rules, { file }, or a compiled RuleSet';

/**
 * The file named by `{ file }` rules, if that is what they are (decides the context: see
 * compile/entry.ts).
 */
export function rulesFile(rules: unknown): string | undefined {
  if (rules === null || typeof rules !== 'object' || Array.isArray(rules)) return undefined;
  const file = (rules as { file?: unknown }).file;
  return typeof file === 'string' ? file : undefined;
}

const isRuleSet = (rules: object): rules is RuleSet =>
  Array.isArray((rules as { rules?: unknown }).rules) &&
  (rules as { maps?: unknown }).maps instanceof Map;

/** Throws ERR_OPTIONS (naming the entry point) unless `rules` is one of the accepted shapes. */
export function checkRulesInput(where: string, rules: unknown): void {
  if (typeof rules === 'string' || Array.isArray(rules)) return;
  if (rules === null || typeof rules !== 'object')
    throw optionsError(where, `rules must be ${RULES_INPUT}; got ${describeValue(rules)}`);
  // a compiled RuleSet carries a `file` field of its own (possibly undefined)
  if (isRuleSet(rules)) return;
  if ('file' in rules) {
    if (typeof rules.file !== 'string' || rules.file === '')
      throw optionsError(
        where,
        `{ file } must name a rules file, got ${describeValue(rules.file)}`,
      );
    return;
  }
  if (!isRuleSet(rules))
    throw optionsError(where, `rules must be ${RULES_INPUT}; got an object that is none of these`);
}

/**
 * Compiles rules as written: `engine` stays undefined when they never say RewriteEngine (the
 * factories then imply it, after merging with a parent). Without `options.context`, a file named
 * `.htaccess`/`*.htaccess` is read in directory context.
 * @example
 * const rules = loadRules({ file: '/srv/www/.htaccess' }); // directory context, engine as written
 */
export function loadRules(
  rules: RulesInput,
  options: Pick<
    RewriteOptions,
    'context' | 'maps' | 'mapRoot' | 'ignoreUnknownDirectives' | 'defines' | 'environment'
  > &
    Pick<CompileOptions, 'siteDirectives'> = {},
): RuleSet {
  checkRulesInput('loadRules()', rules);
  const context = chooseContext(options.context, rulesFile(rules)).context;
  const co: CompileOptions = {
    context,
    maps: options.maps,
    mapRoot: options.mapRoot,
    ignoreUnknownDirectives: options.ignoreUnknownDirectives,
    defines: options.defines,
    environment: options.environment,
    siteDirectives: options.siteDirectives,
  };
  if (typeof rules === 'string') return compileText(rules, co);
  if (Array.isArray(rules)) return compileTyped(rules as readonly TypedRule[], co);
  // a compiled RuleSet keeps the name of the file it came from: it is used as it is, not re-read
  if (isRuleSet(rules)) return rules;
  const file = rulesFile(rules);
  if (file === undefined) return rules as RuleSet;
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RewriteError('ERR_FILE', `cannot read rules file ${path}: ${(err as Error).message}`);
  }
  return compileText(text, { ...co, file: path });
}

/**
 * The `prg:` maps a middleware started itself, for its close(): not those of a RuleSet it was
 * given, nor map sources the user passed in `maps` (their owners close them).
 */
export function ownedPrograms(
  rules: RulesInput | undefined,
  ruleSet: RuleSet | undefined,
  userMaps: RewriteOptions['maps'],
): ProgramMap[] {
  if (
    !ruleSet ||
    rules === undefined ||
    (typeof rules === 'object' && 'rules' in (rules as object))
  )
    return [];
  const given = new Set<unknown>(Object.values(userMaps ?? {}));
  return [...ruleSet.maps.values()].filter(
    (m): m is ProgramMap => m instanceof ProgramMap && !given.has(m),
  );
}
