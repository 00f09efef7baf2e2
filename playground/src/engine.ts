/**
 * The one module between the page and the engine: runs the page's case through explainSync()
 * (lib/explain/core.ts, the same evaluation as rewrite(), with the structured trace) and turns its
 * result into what the page renders.
 */
import {
  formatPos,
  explainSync,
  renderTraceEvent,
  type TraceEvent,
} from '../../lib/explain/core.js';
import { utf8ToBytes } from '../../lib/common/bytes.js';
import { RewriteError } from '../../lib/errors.js';
import {
  DOCUMENT_ROOT,
  type PlaygroundResult,
  type PlaygroundState,
  type Problem,
  type TraceStep,
} from './model.js';
import { describeOutcome, loadFailure } from './outcome.js';
import { displayFields } from './text.js';
import { setVirtualFiles } from './vfs.js';

/** `Name: value` lines → header names and values (a repeated name keeps every value). */
export function parseHeaders(text: string): Record<string, string[]> {
  const headers = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!name) continue;
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return Object.fromEntries(headers);
}

/**
 * The tree as explain() takes it: names as the byte strings the engine's paths are (a typed
 * `menü.html` is the file `/men%C3%BC.html` asks for); a file is one byte long, so `-s` holds.
 */
function virtualFiles(paths: readonly string[]): Record<string, string> {
  return Object.fromEntries(paths.map((p) => [utf8ToBytes(p), p.endsWith('/') ? '' : '.']));
}

/** The event's text without its `file:line:col: ` (the page shows the line apart). */
function stepText(event: TraceEvent): string {
  const text = renderTraceEvent(event);
  const pos = 'pos' in event && event.pos ? `${formatPos(event.pos)}: ` : '';
  return pos && text.startsWith(pos) ? text.slice(pos.length) : text;
}

/** `$1='x' $2='y'` (or `%1…` for a condition): the groups a match captured. */
function capturesText(sign: string, captures: readonly (string | null)[] | undefined): string {
  if (!captures || captures.length < 2) return '';
  const groups = captures
    .slice(1)
    .map((c, i) => `${sign}${i + 1}=${c === null ? 'unset' : `'${c}'`}`);
  return `  [${groups.join(' ')}]`;
}

function step(raw: TraceEvent): TraceStep {
  const event = displayFields(raw);
  const line = 'pos' in event && event.pos ? event.pos.line : undefined;
  const ok =
    event.type === 'rule' || event.type === 'cond'
      ? event.matched
      : event.type === 'conditions-failed'
        ? false
        : undefined;
  const groups =
    event.type === 'rule' && event.matched && !event.negate
      ? capturesText('$', event.captures)
      : event.type === 'cond' && event.matched && !event.negate
        ? capturesText('%', event.captures)
        : '';
  return { kind: event.type, line, text: stepText(event) + groups, ok };
}

/**
 * The lines to highlight: a rule whose pattern and conditions held, with those conditions; and
 * the rule and condition lines that were tried but never held (in any round).
 */
function highlights(trace: readonly TraceEvent[]): { matched: number[]; failed: number[] } {
  const matched = new Set<number>();
  const failed = new Set<number>();
  let rule: { line: number; conds: number[] } | undefined;
  const settle = (): void => {
    if (rule) for (const line of [rule.line, ...rule.conds]) matched.add(line);
    rule = undefined;
  };
  for (const e of trace) {
    if (e.type === 'rule') {
      settle();
      if (e.matched) rule = { line: e.pos.line, conds: [] };
      else failed.add(e.pos.line);
    } else if (e.type === 'cond') {
      if (e.matched) rule?.conds.push(e.pos.line);
      else failed.add(e.pos.line);
    } else if (e.type === 'conditions-failed') {
      failed.add(e.pos.line);
      rule = undefined;
    }
  }
  settle();
  return { matched: [...matched], failed: [...failed].filter((line) => !matched.has(line)) };
}

/** Runs the page's case. Never throws: a load error or a request error is a result too. */
export function runCase(state: PlaygroundState): PlaygroundResult {
  // explain() stats through the FsView it builds from `files`; the node:fs shim answers from the
  // same tree for what still reads node:fs at load (`<IfFile>`)
  setVirtualFiles(DOCUMENT_ROOT, state.files);
  let result;
  try {
    result = explainSync(
      {
        rules: state.rules,
        context: state.context,
        directory: state.directory || '/',
        file: state.context === 'directory' ? '.htaccess' : 'rules.conf',
        documentRoot: DOCUMENT_ROOT,
      },
      {
        url: state.url,
        method: state.method,
        headers: parseHeaders(state.headers),
        files: virtualFiles(state.files),
      },
    );
  } catch (err) {
    if (err instanceof RewriteError && err.problems.length) return loadFailure(err);
    const message = String((err as Error).message ?? err);
    return {
      ...loadFailure(err),
      problems: [],
      outcome: { kind: 'error', summary: message, details: [] },
    };
  }
  const warnings: Problem[] = result.warnings.map((w) => ({
    line: w.line,
    column: w.column,
    message: `${w.code}: ${w.message}`,
  }));
  const lines = highlights(result.trace);
  return {
    problems: [],
    warnings,
    outcome: describeOutcome(result, state),
    steps: result.trace.filter((e) => e.type !== 'outcome').map(step),
    matchedLines: lines.matched,
    failedLines: lines.failed,
  };
}
