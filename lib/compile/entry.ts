/**
 * What the entry points (`rewrite()`, `site()`, `compile()`, `modrewrite lint`) decide the same
 * way: the option checks at the top of each factory, the context a rules file is read in, and
 * whether `RewriteEngine` is implied.
 *
 * The rule, stated once (README "Context and RewriteEngine"):
 * - Context: an explicit `context` wins; otherwise a file named `.htaccess` or `*.htaccess` is read
 *   in directory context (that is what an .htaccess is to Apache), anything else in server context.
 * - RewriteEngine: rules handed to modrewrite by the caller (text, typed rules, `{ file }`,
 *   `compile()`) run unless they say `RewriteEngine Off` — installing them is the opt-in. Only the
 *   `.htaccess` files `site()` finds on its own follow Apache's default (off until a
 *   `RewriteEngine On` in that file or a parent directory's).
 */
import { baseName as basename } from '../common/posix-path.js';
import { RewriteError } from '../errors.js';
import type { ConfigContext } from '../syntax/parse.js';
import type { RuleSet } from './ruleset.js';

/** How the context was chosen, for the trace and `lint`. */
export interface ContextChoice {
  readonly context: ConfigContext;
  /** Why: `given` (an explicit option), `file name` (an .htaccess), or `default`. */
  readonly because: 'given' | 'file name' | 'default';
}

/** An ERR_OPTIONS error naming the entry point: `rewrite(): rules must be ...`. */
export function optionsError(where: string, message: string): RewriteError {
  return new RewriteError('ERR_OPTIONS', `${where}: ${message}`);
}

/** How a value looks in an error message: `undefined`, `42`, `an array`, `an object`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `'${value.length > 40 ? value.slice(0, 40) + '…' : value}'`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  return `${typeof value} ${String(value)}`;
}

/** Throws unless `value` is undefined or a plain options object. */
export function checkOptionsObject(where: string, value: unknown): void {
  if (value === undefined) return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw optionsError(where, `options must be an object, got ${describeValue(value)}`);
  }
}

/** Throws unless `value` is undefined, 'server' or 'directory'. */
export function checkContext(where: string, value: unknown): void {
  if (value === undefined || value === 'server' || value === 'directory') return;
  throw optionsError(where, `context must be 'server' or 'directory', got ${describeValue(value)}`);
}

/** `.htaccess`, `site.htaccess`, `/a/b/.htaccess` → true. */
export function isHtaccessName(file: string): boolean {
  return basename(file).endsWith('.htaccess');
}

/**
 * The context rules are read in: the explicit one, else directory for an .htaccess file, else
 * server.
 */
export function chooseContext(
  given: ConfigContext | undefined,
  file: string | undefined,
): ContextChoice {
  if (given !== undefined) return { context: given, because: 'given' };
  if (file !== undefined && isHtaccessName(file))
    return { context: 'directory', because: 'file name' };
  return { context: 'server', because: 'default' };
}

/** Rules the caller handed over run unless they say `RewriteEngine Off` (see the file comment). */
export function withImpliedEngine(ruleSet: RuleSet): RuleSet {
  if (ruleSet.engine !== undefined) return ruleSet;
  return { ...ruleSet, engine: true };
}

/**
 * One trace line saying what was inferred, e.g. `rewrite() rules (/srv/site.htaccess): directory
 * context (inferred from the file name), RewriteEngine on (implied: the rules do not say
 * RewriteEngine)`; undefined when nothing was (the context was given and RewriteEngine written).
 */
export function inferenceNote(
  what: string,
  choice: ContextChoice,
  written: RuleSet,
): string | undefined {
  if (choice.because !== 'file name' && written.engine !== undefined) return undefined;
  const context =
    choice.because === 'file name'
      ? `${choice.context} context (inferred from the file name)`
      : `${choice.context} context`;
  const engine =
    written.engine === undefined
      ? 'RewriteEngine on (implied: the rules do not say RewriteEngine)'
      : `RewriteEngine ${written.engine ? 'on' : 'off'} (as written)`;
  return `${what}: ${context}, ${engine}`;
}
