import { resolveVariable, type VariableRef } from './variable-ref.js';

/**
 * Pre-tokenised expansion strings (Apache's `do_expand`): literals, `\X` escapes, `$N`, `%N`,
 * `%{VAR}`, `${map:key|default}` (key and default are templates themselves). The tokenisation
 * happens once, at load time; expansion is one left-to-right pass whose results are never
 * re-scanned.
 */

export type TemplatePart =
  /** Literal text as written. */
  | { readonly type: 'lit'; readonly s: string }
  /**
   * Text that came from a `\X` escape or a lone `$`/`%`: literal, but neutral for the `?`
   * tracking.
   */
  | { readonly type: 'esc'; readonly s: string }
  /** `$N`: rule pattern back-reference. */
  | { readonly type: 'rr'; readonly n: number }
  /** `%N`: last matched condition back-reference. */
  | { readonly type: 'rc'; readonly n: number }
  /** `%{NAME}`: server variable. */
  | { readonly type: 'var'; readonly name: string; readonly ref: VariableRef }
  /** `${map:key|default}`. */
  | {
      readonly type: 'map';
      readonly map: string;
      readonly key: Template;
      readonly dflt?: Template;
    };

export interface Template {
  readonly parts: readonly TemplatePart[];
  /** True when the template is one literal (no expansion needed). */
  readonly constant: boolean;
  readonly text: string;
}

/**
 * How deeply `${map:...}` may nest inside a template (keys and defaults are templates). Apache has
 * no such limit but also no JS stack; 64 levels is far beyond any real rule and keeps parsing and
 * expansion off the stack limit (issue 9, item 21).
 */
export const MAX_TEMPLATE_NESTING = 64;

/**
 * A template that cannot be built (nesting beyond MAX_TEMPLATE_NESTING); `offset` is in the text.
 */
export class TemplateLimitError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/**
 * find_closing_curly and find_char_in_curlies for every `{` at once, in one pass with a stack, so
 * texts full of unclosed or colon-less `${` stay linear instead of one scan per `${` (issue 9,
 * item 20). For the `{` at i: closer[i] is the `}` where the nesting count from i returns to zero,
 * colon[i] the first `:` directly inside it (not inside a nested pair), bar[i] the first `|`
 * directly inside it after that colon; -1 when there is none.
 */
interface Curlies {
  readonly closer: Int32Array;
  readonly colon: Int32Array;
  readonly bar: Int32Array;
}

function matchCurlies(s: string): Curlies {
  const closer = new Int32Array(s.length).fill(-1);
  const colon = new Int32Array(s.length).fill(-1);
  const bar = new Int32Array(s.length).fill(-1);
  const open: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const top = open.length ? (open[open.length - 1] ?? -1) : -1;
    if (c === 0x7b) open.push(i);
    else if (c === 0x7d) {
      if (top >= 0) {
        closer[top] = i;
        open.pop();
      }
    } else if (c === 0x3a && top >= 0 && colon[top] === -1) colon[top] = i;
    else if (c === 0x7c && top >= 0 && colon[top] !== -1 && bar[top] === -1) bar[top] = i;
  }
  return { closer, colon, bar };
}

/** Tokenises a template; throws TemplateLimitError when `${map:` nests too deeply. */
export function parseTemplate(text: string): Template {
  return parseRange(text, matchCurlies(text), 0, text.length, 0);
}

/**
 * The template in text[from, to); a `{` closed only beyond `to` counts as unclosed, as in a
 * substring.
 */
function parseRange(
  text: string,
  curlies: Curlies,
  from: number,
  to: number,
  depth: number,
): Template {
  const parts: TemplatePart[] = [];
  let lit = '';
  let i = from;
  while (i < to) {
    const token = tokenAt(text, curlies, i, to, depth);
    if (!token) {
      lit += text[i] ?? '';
      i++;
      continue;
    }
    if (lit) parts.push({ type: 'lit', s: lit });
    lit = '';
    parts.push(token.part);
    i = token.end;
  }
  if (lit) parts.push({ type: 'lit', s: lit });
  const constant = parts.every((p) => p.type === 'lit' || p.type === 'esc');
  return { parts, constant, text: text.slice(from, to) };
}

/** A part of a template and the offset just after it. */
interface Token {
  readonly part: TemplatePart;
  readonly end: number;
}

/** The token at text[i] (i < to), or undefined for a plain literal character. */
function tokenAt(
  text: string,
  curlies: Curlies,
  i: number,
  to: number,
  depth: number,
): Token | undefined {
  const c = text[i] ?? '';
  const next = i + 1 < to ? (text[i + 1] ?? '') : '';
  if (c === '\\') {
    // a backslash that ends the range stands for itself
    if (i + 1 >= to) return { part: { type: 'esc', s: '\\' }, end: i + 1 };
    return { part: { type: 'esc', s: next }, end: i + 2 };
  }
  if (c !== '$' && c !== '%') return undefined;
  if (next === '{') return bracedAt(text, curlies, i, to, depth);
  if (next >= '0' && next <= '9' && next !== '') {
    const n = next.charCodeAt(0) - 48;
    return { part: c === '$' ? { type: 'rr', n } : { type: 'rc', n }, end: i + 2 };
  }
  return { part: { type: 'esc', s: c }, end: i + 1 };
}

/** `%{VAR}` or `${map:key|default}` at text[i]; unclosed (within `to`), `$` and `{` are literal. */
function bracedAt(text: string, curlies: Curlies, i: number, to: number, depth: number): Token {
  const c = text[i] ?? '';
  const close = curlies.closer[i + 1] ?? -1;
  const end = close >= 0 && close < to ? close : -1;
  if (end < 0) return { part: { type: 'esc', s: c + '{' }, end: i + 2 };
  if (c === '%') {
    const name = text.slice(i + 2, end);
    return { part: { type: 'var', name, ref: resolveVariable(name) }, end: end + 1 };
  }
  const colon = curlies.colon[i + 1] ?? -1;
  if (colon < 0) return { part: { type: 'esc', s: '${' }, end: i + 2 };
  if (depth >= MAX_TEMPLATE_NESTING)
    throw new TemplateLimitError(
      `\${map:...} nested more than ${MAX_TEMPLATE_NESTING} levels deep`,
      i,
    );
  const bar = curlies.bar[i + 1] ?? -1;
  const key = parseRange(text, curlies, colon + 1, bar < 0 ? end : bar, depth + 1);
  const dflt = bar < 0 ? undefined : parseRange(text, curlies, bar + 1, end, depth + 1);
  return { part: { type: 'map', map: text.slice(i + 2, colon), key, dflt }, end: end + 1 };
}

/** Names of every variable a template reads (for load-time checks and Vary bookkeeping). */
export function templateVariables(t: Template): string[] {
  const out: string[] = [];
  for (const p of t.parts) {
    if (p.type === 'var') out.push(p.name);
    else if (p.type === 'map') {
      out.push(...templateVariables(p.key));
      if (p.dflt) out.push(...templateVariables(p.dflt));
    }
  }
  return out;
}
