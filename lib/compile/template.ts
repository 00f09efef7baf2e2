import { resolveVariable, type VariableRef } from '../engine/variables.js';

/**
 * Pre-tokenised expansion strings (Apache's `do_expand`): literals, `\X` escapes, `$N`, `%N`,
 * `%{VAR}`, `${map:key|default}` (key and default are templates themselves). The tokenisation
 * happens once, at load time; expansion is one left-to-right pass whose results are never re-scanned.
 */

export type TemplatePart =
  /** Literal text as written. */
  | { readonly k: 'lit'; readonly s: string }
  /** Text that came from a `\X` escape or a lone `$`/`%`: literal, but neutral for the `?` tracking. */
  | { readonly k: 'esc'; readonly s: string }
  /** `$N`: rule pattern back-reference. */
  | { readonly k: 'rr'; readonly n: number }
  /** `%N`: last matched condition back-reference. */
  | { readonly k: 'rc'; readonly n: number }
  /** `%{NAME}`: server variable. */
  | { readonly k: 'var'; readonly name: string; readonly ref: VariableRef }
  /** `${map:key|default}`. */
  | { readonly k: 'map'; readonly map: string; readonly key: Template; readonly dflt?: Template };

export interface Template {
  readonly parts: readonly TemplatePart[];
  /** True when the template is one literal (no expansion needed). */
  readonly constant: boolean;
  readonly text: string;
}

/** find_closing_curly: the `}` that closes the `{` before `start`, honouring nesting. */
function closingCurly(s: string, start: number): number {
  let depth = 1;
  for (let i = start; i < s.length; i++) {
    if (s[i] === '}') { if (--depth === 0) return i; }
    else if (s[i] === '{') depth++;
  }
  return -1;
}

/** find_char_in_curlies: `c` at nesting depth 0 within [start, end). */
function charInCurlies(s: string, start: number, end: number, c: string): number {
  let depth = 0;
  for (let i = start; i < end; i++) {
    if (s[i] === c && depth === 0) return i;
    if (s[i] === '{') depth++;
    else if (s[i] === '}') depth--;
  }
  return -1;
}

export function parseTemplate(text: string): Template {
  const parts: TemplatePart[] = [];
  let lit = '';
  const flush = (): void => {
    if (lit) parts.push({ k: 'lit', s: lit });
    lit = '';
  };
  const push = (p: TemplatePart): void => {
    flush();
    parts.push(p);
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') {
      if (i + 1 >= text.length) { push({ k: 'esc', s: '\\' }); break; }
      push({ k: 'esc', s: text[i + 1] });
      i += 2;
      continue;
    }
    if ((c === '$' || c === '%') && text[i + 1] === '{') {
      const end = closingCurly(text, i + 2);
      if (end < 0) { push({ k: 'esc', s: c + '{' }); i += 2; continue; }
      if (c === '%') {
        const name = text.slice(i + 2, end);
        push({ k: 'var', name, ref: resolveVariable(name) });
        i = end + 1;
        continue;
      }
      const colon = charInCurlies(text, i + 2, end, ':');
      if (colon < 0) { push({ k: 'esc', s: '${' }); i += 2; continue; }
      const bar = charInCurlies(text, colon + 1, end, '|');
      const key = parseTemplate(text.slice(colon + 1, bar < 0 ? end : bar));
      const dflt = bar < 0 ? undefined : parseTemplate(text.slice(bar + 1, end));
      push({ k: 'map', map: text.slice(i + 2, colon), key, dflt });
      i = end + 1;
      continue;
    }
    if ((c === '$' || c === '%') && text[i + 1] >= '0' && text[i + 1] <= '9') {
      const n = text.charCodeAt(i + 1) - 48;
      push(c === '$' ? { k: 'rr', n } : { k: 'rc', n });
      i += 2;
      continue;
    }
    if (c === '$' || c === '%') { push({ k: 'esc', s: c }); i++; continue; }
    lit += c;
    i++;
  }
  flush();
  const constant = parts.every((p) => p.k === 'lit' || p.k === 'esc');
  return { parts, constant, text };
}

/** Names of every variable a template reads (for load-time checks and Vary bookkeeping). */
export function templateVariables(t: Template): string[] {
  const out: string[] = [];
  for (const p of t.parts) {
    if (p.k === 'var') out.push(p.name);
    else if (p.k === 'map') {
      out.push(...templateVariables(p.key));
      if (p.dflt) out.push(...templateVariables(p.dflt));
    }
  }
  return out;
}
