/**
 * The access sections inside an `.htaccess` file: core's `<Limit>`/`<LimitExcept>` (server/core.c
 * `ap_limit_section`) and mod_authz_core's `<RequireAll>`/`<RequireAny>`/`<RequireNone>`
 * (`add_authz_section`). sections.ts reads their bodies; the lines inside come out tagged with
 * the innermost section of each kind, which compile/access.ts turns into method masks and the
 * authorization tree.
 */
import type { SourcePosition } from '../errors.js';

/**
 * The methods Apache knows without a module registering more (ap_method_number_of, compared
 * case-sensitively). `HEAD` is `GET` to Apache (method number M_GET).
 */
export const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'PUT',
  'POST',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  'PROPFIND',
  'PROPPATCH',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'UNLOCK',
  'VERSION-CONTROL',
  'CHECKOUT',
  'UNCHECKOUT',
  'CHECKIN',
  'UPDATE',
  'LABEL',
  'REPORT',
  'MKWORKSPACE',
  'MKACTIVITY',
  'BASELINE-CONTROL',
  'MERGE',
]);

/** A request method as Apache numbers it (`HEAD` → `GET`); undefined for one it does not know. */
export function methodNumberOf(method: string): string | undefined {
  if (method === 'HEAD') return 'GET';
  return KNOWN_METHODS.has(method) ? method : undefined;
}

/**
 * The methods a directive applies to: those in `methods`, or (`except`) all others. A request
 * method Apache does not know (M_INVALID) is in no `<Limit>` and in every `<LimitExcept>`.
 */
export interface MethodSet {
  readonly except: boolean;
  readonly methods: ReadonlySet<string>;
}

/** Whether `set` (undefined: every method) covers the request method `method`. */
export function methodIn(set: MethodSet | undefined, method: string): boolean {
  if (!set) return true;
  const number = methodNumberOf(method);
  const listed = number !== undefined && set.methods.has(number);
  return set.except ? !listed : listed;
}

/** cmd->limited &= limited: the methods both sets cover. */
function intersect(a: MethodSet | undefined, b: MethodSet): MethodSet {
  if (!a) return b;
  const both = (keep: (m: string) => boolean, from: ReadonlySet<string>): Set<string> =>
    new Set([...from].filter(keep));
  if (!a.except && !b.except)
    return { except: false, methods: both((m) => b.methods.has(m), a.methods) };
  if (!a.except) return { except: false, methods: both((m) => !b.methods.has(m), a.methods) };
  if (!b.except) return { except: false, methods: both((m) => !a.methods.has(m), b.methods) };
  return { except: true, methods: new Set([...a.methods, ...b.methods]) };
}

/**
 * One `<Limit>`/`<LimitExcept>` section: the methods in effect inside it (outer sections included).
 */
export interface LimitSection {
  readonly opener: '<Limit' | '<LimitExcept';
  readonly methods: MethodSet;
  readonly pos: SourcePosition;
}

/**
 * ap_limit_section: the section's methods (its argument split into words by the caller, the
 * closing `>` removed), intersected with the enclosing section's; or Apache's error.
 */
export function limitSection(
  opener: '<Limit' | '<LimitExcept',
  words: readonly string[],
  outer: LimitSection | undefined,
  pos: SourcePosition,
): LimitSection | { error: string } {
  if (!words.length) return { error: `${opener}> directive requires additional arguments` };
  const methods = new Set<string>();
  for (const word of words) {
    const number = methodNumberOf(word);
    if (number === 'TRACE' && opener === '<Limit')
      return { error: 'TRACE cannot be controlled by <Limit>, see TraceEnable' };
    if (number === undefined)
      return {
        error: `Could not register method '${word}' for ${opener}> because it is not possible to register methods in .htaccess`,
      };
    methods.add(number);
  }
  const own: MethodSet = { except: opener === '<LimitExcept', methods };
  const inside = intersect(outer?.methods, own);
  if (!inside.except && inside.methods.size === 0)
    return { error: `${opener}> directive excludes all methods` };
  return { opener, methods: inside, pos };
}

/** A `<RequireAll>`/`<RequireAny>`/`<RequireNone>` section, inside `parent` (if nested). */
export interface AuthzFrame {
  readonly opener: '<RequireAll' | '<RequireAny' | '<RequireNone';
  /** AUTHZ_LOGIC_AND (all) or AUTHZ_LOGIC_OR (any). */
  readonly op: 'and' | 'or';
  /** `<RequireNone>`: the negated `<RequireAny>`. */
  readonly negate: boolean;
  readonly parent?: AuthzFrame;
  readonly pos: SourcePosition;
}

const AUTHZ_SECTIONS = new Map<string, Pick<AuthzFrame, 'opener' | 'op' | 'negate'>>([
  ['<requireall', { opener: '<RequireAll', op: 'and', negate: false }],
  ['<requireany', { opener: '<RequireAny', op: 'or', negate: false }],
  ['<requirenone', { opener: '<RequireNone', op: 'or', negate: true }],
]);

/** add_authz_section: the frame for a lower-case opener (undefined: not one), or Apache's error. */
export function authzSection(
  lowerOpener: string,
  args: string,
  parent: AuthzFrame | undefined,
  pos: SourcePosition,
): AuthzFrame | { error: string } | undefined {
  const kind = AUTHZ_SECTIONS.get(lowerOpener);
  if (!kind) return undefined;
  const end = args.lastIndexOf('>');
  if (end < 0) return { error: `${kind.opener}> directive missing closing '>'` };
  if (args.slice(0, end) !== '')
    return { error: `${kind.opener}> directive doesn't take additional arguments` };
  return { ...kind, parent, pos };
}
