/** Rules from Apache text, typed objects, a file, or an already compiled RuleSet. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { compileText, type CompileOptions } from '../compile/compile.js';
import type { RuleSet } from '../compile/ruleset.js';
import { compileTyped, type TypedRule } from '../compile/typed.js';
import { ProgramMap } from '../engine/maps.js';
import { RewriteError } from '../errors.js';
import type { RewriteOptions, RulesInput } from './types.js';

export function loadRules(rules: RulesInput, options: Pick<RewriteOptions, 'context' | 'maps' | 'mapRoot' | 'ignoreUnknownDirectives'>): RuleSet {
  const co: CompileOptions = { context: options.context, maps: options.maps, mapRoot: options.mapRoot, ignoreUnknownDirectives: options.ignoreUnknownDirectives };
  if (typeof rules === 'string') return compileText(rules, co);
  if (Array.isArray(rules)) return compileTyped(rules as readonly TypedRule[], co);
  if ('file' in (rules as object) && typeof (rules as { file: unknown }).file === 'string') {
    const file = resolve((rules as { file: string }).file);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new RewriteError('ERR_FILE', `cannot read rules file ${file}: ${(err as Error).message}`);
    }
    return compileText(text, { ...co, file });
  }
  if ('rules' in (rules as object)) return rules as RuleSet;
  throw new RewriteError('ERR_OPTIONS', 'rules must be Apache text, an array of typed rules, { file }, or a compiled RuleSet');
}

/**
 * The `prg:` maps a middleware started itself, for its close(): not those of a RuleSet it was
 * given, nor map sources the user passed in `maps` (their owners close them).
 */
export function ownedPrograms(rules: RulesInput | undefined, ruleSet: RuleSet | undefined, userMaps: RewriteOptions['maps']): ProgramMap[] {
  if (!ruleSet || rules === undefined || (typeof rules === 'object' && 'rules' in (rules as object))) return [];
  const given = new Set<unknown>(Object.values(userMaps ?? {}));
  return [...ruleSet.maps.values()].filter((m): m is ProgramMap => m instanceof ProgramMap && !given.has(m));
}
