/** One left-to-right expansion pass (do_expand); results are never re-scanned. */
import type { CompiledRule } from '../compile/ruleset.js';
import type { Template, TemplatePart } from '../compile/template.js';
import { escapeBackref } from '../common/escape.js';
import { NeedAsync, type Captures, type EvalContext } from './state.js';
import { readVariable } from './variables.js';

function backref(c: Captures | null, n: number): string {
  const v = c?.m?.[n];
  return v ?? '';
}

/** Expands a template. With `qmark`, tracks whether the deciding `?` came from an expansion. */
export function expand(
  t: Template,
  ctx: EvalContext,
  rule: CompiledRule | null,
  qmark?: { unsafe: number; tracking: boolean },
): string {
  if (t.constant && !qmark)
    return t.parts.length === 1
      ? (t.parts[0] as { s: string }).s
      : t.parts.map((p) => (p as { s: string }).s).join('');
  let out = '';
  const qslast = !!rule?.flags.qslast;
  for (const p of t.parts) {
    let piece: string;
    let expanded = false;
    switch (p.type) {
      case 'lit':
        if (qmark?.tracking && p.s.includes('?')) {
          qmark.unsafe = 0;
          if (!qslast) qmark.tracking = false;
        }
        out += p.s;
        continue;
      case 'esc':
        out += p.s;
        continue;
      case 'rr':
      case 'rc': {
        const v = backref(p.type === 'rr' ? ctx.rr : ctx.rc, p.n);
        piece = v && rule?.flags.escapeBackrefs ? escapedBackref(v, rule) : v;
        expanded = v !== '';
        break;
      }
      case 'var':
        piece = readVariable(p.ref, ctx);
        expanded = true;
        break;
      case 'map':
        piece = mapPiece(p, ctx, rule);
        expanded = true;
        break;
    }
    if (qmark?.tracking && expanded && piece.includes('?')) {
      qmark.unsafe = 1;
      if (!qslast) qmark.tracking = false;
    }
    out += piece;
  }
  return out;
}

/** [B]/[BNP]/[BCTLS]: a back-reference escaped as escape_backref does, with the rule's sets. */
function escapedBackref(v: string, rule: CompiledRule): string {
  return escapeBackref(v, {
    escapes: rule.flags.escapes,
    noescapes: rule.flags.noescapes,
    noplus: rule.flags.noplus,
    ctls: rule.flags.ctls,
  });
}

/** `${map:key|default}`: the default (expanded) only when the key is not found and it is not "". */
function mapPiece(
  p: Extract<TemplatePart, { type: 'map' }>,
  ctx: EvalContext,
  rule: CompiledRule | null,
): string {
  const key = expand(p.key, ctx, rule);
  const v = lookupMap(p.map, key, ctx);
  if (v !== undefined || !p.dflt) return v ?? '';
  return expand(p.dflt, ctx, rule);
}

/**
 * Map lookup with the per-request cache; an async answer suspends the evaluation (see NeedAsync).
 */
export function lookupMap(name: string, key: string, ctx: EvalContext): string | undefined {
  const map = ctx.maps.get(name);
  if (!map) return undefined;
  const cacheKey = name + '\0' + key;
  if (ctx.mapCache.has(cacheKey)) {
    const cached = ctx.mapCache.get(cacheKey);
    // an answer cached earlier in the request (an asynchronous one lands here on the re-run)
    ctx.trace?.({
      type: 'map',
      map: name,
      key,
      ...(cached === undefined ? {} : { value: cached }),
    });
    return cached;
  }
  let v;
  try {
    v = map.lookup(key);
  } catch (err) {
    ctx.trace?.({ type: 'map', map: name, key, error: (err as Error).message });
    v = undefined;
  }
  if (v && typeof (v as Promise<unknown>).then === 'function') {
    const promise = (v as Promise<string | undefined>).then(
      (x) => {
        ctx.mapCache.set(cacheKey, x === '' ? undefined : x);
      },
      (err: Error) => {
        ctx.trace?.({ type: 'map', map: name, key, error: err.message });
        ctx.mapCache.set(cacheKey, undefined);
      },
    );
    throw new NeedAsync(promise, name);
  }
  const value = v === '' ? undefined : (v as string | undefined);
  ctx.mapCache.set(cacheKey, value);
  ctx.trace?.({ type: 'map', map: name, key, ...(value === undefined ? {} : { value }) });
  return value;
}
