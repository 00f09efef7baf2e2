/** One finding of `lint()` and the helpers the checks share to make them. */
import type { SourcePosition } from '../errors.js';
import type { Arg } from '../syntax/ast.js';
import type { TemplatePart, Template } from '../compile/template.js';
import { lintRule, type LintCode, type LintSeverity } from './rules.js';

export interface LintDiagnostic {
  /** Stable code (`MR201`); see LINT_RULES. */
  readonly code: LintCode;
  /** The code's kebab-case name (`unreachable-rule`). */
  readonly name: string;
  readonly severity: LintSeverity;
  readonly message: string;
  /** One line: what to change. */
  readonly hint: string;
  readonly file?: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

/** Collects the findings of one file. */
export class LintReport {
  readonly diagnostics: LintDiagnostic[] = [];
  constructor(readonly file: string | undefined) {}

  add(
    code: LintCode,
    pos: SourcePosition,
    message: string,
    hint: string,
    severity: LintSeverity = lintRule(code).severity,
  ): void {
    this.diagnostics.push({
      code,
      name: lintRule(code).name,
      severity,
      message,
      hint,
      file: this.file ?? pos.file,
      line: pos.line,
      column: pos.column,
    });
  }
}

/** The position of offset `k` of an argument (continuation lines included). */
export function argPos(arg: Arg, k: number): SourcePosition {
  if (k <= 0) return arg.pos;
  return arg.at ? arg.at(k) : { ...arg.pos, column: arg.pos.column + k };
}

/** The offset of `needle` in an argument's text (0 when not found: the argument's start). */
export function offsetOf(arg: Arg, needle: string): number {
  const at = arg.text.indexOf(needle);
  return at < 0 ? 0 : at;
}

/** Every part of a template, map keys and defaults included (depth first). */
export function templateParts(t: Template | undefined): TemplatePart[] {
  if (!t) return [];
  const out: TemplatePart[] = [];
  for (const p of t.parts) {
    out.push(p);
    if (p.type === 'map') out.push(...templateParts(p.key), ...templateParts(p.dflt));
  }
  return out;
}

/** Optimal string alignment distance (Levenshtein plus transpositions). */
export function editDistance(a: string, b: string): number {
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, prev2[j - 2]! + 1);
      row.push(d);
    }
    prev2 = prev;
    prev = row;
  }
  return prev[b.length]!;
}
