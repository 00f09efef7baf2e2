/**
 * An index of a rule list by the literal prefix each rule's pattern requires (`^/old/(\d+)$`
 * needs `/old/`). For a subject, `candidates()` returns, in rule order, only the rules whose
 * prefix the subject starts with plus the rules without a usable prefix — so 10,000 redirect rules
 * cost a walk over the subject's characters, not 10,000 regex tests. Rule semantics (order, C, S,
 * N) are untouched: the engine only skips rules whose regex could not have matched.
 */
import { regexInfo } from './pcre.js';
import type { CompiledRule } from './ruleset.js';

interface TrieNode {
  next: Map<string, TrieNode>;
  rules: number[];
  /** Sorted union of the always-rules and every rule ending on the path to this node. */
  merged: number[];
}

const node = (): TrieNode => ({ next: new Map(), rules: [], merged: [] });

/**
 * Reads the literal characters after a leading `^`; returns them and where reading stopped.
 * Caseless regexps are read without their `[aA]` folding (the caller folds the prefix).
 */
export function scanLiteral(
  re: RegExp,
): { text: string; stop: number; source: string } | undefined {
  const src = regexInfo(re).plainSource;
  if (!src.startsWith('^') || alternatesBeforePrefixEnds(src)) return undefined;
  let i = 1;
  while (src.startsWith('(?:', i)) i += 3;
  return { ...readLiteral(src, i), source: src };
}

/**
 * The literal characters of translated source from `start`, and where reading stopped (-1: at a
 * `+`, whose character was taken: it occurs at least once). A character made optional by `?`, `*`
 * or `{` is not taken.
 */
export function readLiteral(src: string, start: number): { text: string; stop: number } {
  let i = start;
  let out = '';
  while (i < src.length) {
    const c = src[i]!;
    let lit: string | undefined;
    let width = 1;
    if (c === '\\') {
      const n = src[i + 1];
      if (n !== undefined && /[^A-Za-z0-9]/.test(n)) {
        lit = n;
        width = 2;
      }
    } else if (/[A-Za-z0-9/_\-~!@%&=:;,'"<> ]/.test(c)) {
      lit = c;
    }
    if (lit === undefined) break;
    const after = src[i + width];
    if (after === '?' || after === '*' || after === '{') break;
    if (after === '+') return { text: out + lit, stop: -1 };
    out += lit;
    i += width;
  }
  return { text: out, stop: i };
}

/**
 * Whether a `|` could make a match start with other text than the literal read after `^`: one at
 * the top level (`^/a|/b`), or any inside the leading `(?:` groups the reading enters
 * (`^(?:/a|/b)`). A `|` in a later group (`^/legal/(terms|privacy)$`) ends no prefix: reading
 * stops at that group's `(`.
 */
function alternatesBeforePrefixEnds(src: string): boolean {
  if (src.startsWith('^(?:')) return src.includes('|');
  return topLevelBar(src);
}

/** Whether translated source has a `|` outside every group (then `^` anchors one branch only). */
export function topLevelBar(src: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return true;
  }
  return false;
}

/** The literal text every match must start with, or '' when there is none we can prove. */
export function literalPrefix(re: RegExp): string {
  return scanLiteral(re)?.text ?? '';
}

/** For `^literal$` patterns (case-sensitive): the literal, so matching is a string comparison. */
export function fullLiteral(re: RegExp): string | undefined {
  if (regexInfo(re).nocase) return undefined;
  const s = scanLiteral(re);
  if (!s || s.stop < 0 || s.source.startsWith('^(?:')) return undefined;
  return s.stop === s.source.length - 1 && s.source[s.stop] === '$' ? s.text : undefined;
}

export interface RuleIndex {
  /** Rule indexes (ascending) that may match `subject`. */
  candidates(subject: string): number[];
}

const cache = new WeakMap<readonly CompiledRule[], RuleIndex | null>();

/** The index for a rule list, built once per list. */
export function ruleIndexFor(rules: readonly CompiledRule[]): RuleIndex | undefined {
  let idx = cache.get(rules);
  if (idx === undefined) {
    idx = buildRuleIndex(rules) ?? null;
    cache.set(rules, idx);
  }
  return idx ?? undefined;
}

export function buildRuleIndex(rules: readonly CompiledRule[]): RuleIndex | undefined {
  // Small lists are faster scanned; the index pays off from a few dozen rules on.
  if (rules.length < 16) return undefined;
  const exact = node();
  const folded = node();
  const always: number[] = [];
  rules.forEach((r, i) => {
    // members of a C chain always stay candidates: a failing chained rule must still skip the rest
    const chained = r.flags.chain || (i > 0 && rules[i - 1]!.flags.chain);
    const prefix = r.negate || chained ? '' : literalPrefix(r.re);
    if (!prefix) {
      always.push(i);
      return;
    }
    const nocase = regexInfo(r.re).nocase;
    let n = nocase ? folded : exact;
    for (const ch of nocase ? prefix.toLowerCase() : prefix) {
      let next = n.next.get(ch);
      if (!next) {
        next = node();
        n.next.set(ch, next);
      }
      n = next;
    }
    n.rules.push(i);
  });
  // Precompute, per node, the candidates of every subject whose walk ends there; a node without
  // rules of its own shares its parent's array.
  const fill = (n: TrieNode, inherited: number[]): void => {
    n.merged = n.rules.length ? mergeSorted(inherited, n.rules) : inherited;
    for (const child of n.next.values()) fill(child, n.merged);
  };
  fill(exact, always);
  fill(folded, []);
  const hasFolded = folded.next.size > 0;
  const exactRadix = compress(exact);
  const foldedRadix = compress(folded);
  const deepest = (root: RadixNode, s: string): number[] => {
    let n = root;
    let k = 0;
    for (;;) {
      const edge = n.edges.get(s.charCodeAt(k));
      if (!edge || !s.startsWith(edge.label, k)) return n.merged;
      k += edge.label.length;
      n = edge.node;
    }
  };
  return {
    candidates(subject: string): number[] {
      const a = deepest(exactRadix, subject);
      if (!hasFolded) return a;
      const b = deepest(foldedRadix, subject.toLowerCase());
      return b.length ? mergeSorted(a, b) : a;
    },
  };
}

function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    // the bounds checks come first: a[i] and b[j] are read only in range
    if (j >= b.length || (i < a.length && a[i]! < b[j]!)) out.push(a[i++]!);
    else if (i >= a.length || b[j]! < a[i]!) out.push(b[j++]!);
    else {
      out.push(a[i++]!);
      j++;
    }
  }
  return out;
}

/** A radix tree: chains of single-child nodes without rules of their own become one edge. */
interface RadixNode {
  edges: Map<number, { label: string; node: RadixNode }>;
  merged: number[];
}

function compress(n: TrieNode): RadixNode {
  const out: RadixNode = { edges: new Map(), merged: n.merged };
  for (const [ch, child] of n.next) {
    let label = ch;
    let c = child;
    while (c.rules.length === 0 && c.next.size === 1) {
      const [[nextCh, nextNode]] = [...c.next] as [[string, TrieNode]]; // size 1
      label += nextCh;
      c = nextNode;
    }
    out.edges.set(ch.charCodeAt(0), { label, node: compress(c) });
  }
  return out;
}
