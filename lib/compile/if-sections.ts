/**
 * The directives of `<If>`/`<ElseIf>`/`<Else>` sections, grouped by section: ap_if_walk merges
 * each held section's configuration as a whole, so modules that keep per-section state (mod_alias's
 * redirects, mod_rewrite's config) compile a section at a time.
 */
import type { ProblemSink } from '../syntax/parse.js';
import type { IfCondition } from '../syntax/sections.js';
import { compileScope, type CompiledWhen } from './env.js';
import type { ExprNode } from './expr.js';

export interface IfSectionGroup<D> {
  readonly when: CompiledWhen;
  readonly directives: D[];
}

/**
 * Groups directives that stand in `<If>` sections by their section (the parser gives every line
 * of one section the same chain), in file order. A section whose chain does not compile is left
 * out (its problem is reported).
 */
export function ifSectionGroups<D extends { readonly when?: IfCondition }>(
  directives: readonly D[],
  sink: ProblemSink,
): IfSectionGroup<D>[] {
  const groups = new Map<IfCondition, IfSectionGroup<D> | undefined>();
  const exprs = new Map<string, ExprNode | undefined>();
  for (const d of directives) {
    const chain = d.when!;
    if (!groups.has(chain)) {
      const when = compileScope(undefined, chain, exprs, sink)?.when;
      groups.set(chain, when && { when, directives: [] });
    }
    groups.get(chain)?.directives.push(d);
  }
  return [...groups.values()].filter((g): g is IfSectionGroup<D> => g !== undefined);
}
