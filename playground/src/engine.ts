/**
 * The one module between the page and the engine: runs the rules for the page's request and turns
 * the engine's answer into a PlaygroundResult. Stand-in until explain() lands: compileText() plus
 * evaluateServer()/evaluateDirectory() with the text trace, rule lines found by pattern order.
 */
import { compileText } from '../../lib/compile/compile.js';
import type { RuleSet } from '../../lib/compile/ruleset.js';
import { evaluateDirectory, evaluateServer } from '../../lib/engine/evaluate.js';
import type { Evaluation } from '../../lib/engine/outcome.js';
import { parseTarget, type RequestView } from '../../lib/engine/request.js';
import { RewriteError } from '../../lib/errors.js';
import {
  DOCUMENT_ROOT,
  type PlaygroundResult,
  type PlaygroundState,
  type Problem,
  type TraceStep,
} from './model.js';
import { setVirtualFiles, virtualStat } from './vfs.js';
import { describeOutcome, loadFailure } from './outcome.js';

/** `Name: value` lines → lower-case header names (repeated names joined like node:http). */
export function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (!name) continue;
    headers[name] = Object.hasOwn(headers, name) ? `${headers[name]}, ${value}` : value;
  }
  return headers;
}

function requestView(state: PlaygroundState): RequestView {
  return {
    method: state.method,
    target: state.url,
    protocol: 'HTTP/1.1',
    headers: parseHeaders(state.headers),
    remoteAddr: '127.0.0.1',
    remotePort: 50000,
    connRemoteAddr: '127.0.0.1',
    localAddr: '127.0.0.1',
    localPort: 80,
    secure: false,
  };
}

function compile(state: PlaygroundState): RuleSet {
  return compileText(state.rules, {
    context: state.context,
    file: state.context === 'directory' ? '.htaccess' : 'rules.conf',
  });
}

/** Runs the page's case. Never throws: a load error or a request error is a result too. */
export function runCase(state: PlaygroundState): PlaygroundResult {
  setVirtualFiles(DOCUMENT_ROOT, state.files);
  let ruleSet: RuleSet;
  try {
    ruleSet = compile(state);
  } catch (err) {
    return loadFailure(err);
  }
  const warnings: Problem[] = (ruleSet.warnings ?? []).map((w) => ({
    line: w.line,
    column: w.column,
    message: `${w.code}: ${w.message}`,
  }));
  const parsed = parseTarget(state.url);
  if (!parsed.ok)
    return {
      ...emptyResult(warnings),
      outcome: { kind: 'status', summary: `${parsed.status} (bad request-target)`, details: [] },
    };
  const lines: string[] = [];
  const input = {
    view: requestView(state),
    server: { documentRoot: DOCUMENT_ROOT, serverName: 'localhost' },
    uri: parsed.uri,
    args: parsed.args,
    fs: { stat: virtualStat, lstat: virtualStat },
    trace: (line: string) => lines.push(line),
    directory: state.directory,
  };
  let evaluation: Evaluation;
  try {
    const r =
      state.context === 'server'
        ? evaluateServer(ruleSet, input)
        : evaluateDirectory(ruleSet, input);
    if (r instanceof Promise) throw new Error('asynchronous maps cannot run in the playground');
    evaluation = r;
  } catch (err) {
    const message = err instanceof RewriteError ? err.message : String((err as Error).message);
    return { ...emptyResult(warnings), outcome: { kind: 'error', summary: message, details: [] } };
  }
  const steps = stepsFromText(ruleSet, lines);
  return {
    problems: [],
    warnings,
    outcome: describeOutcome(evaluation, state),
    steps: steps.steps,
    matchedLines: steps.matched,
    failedLines: steps.failed,
  };
}

function emptyResult(warnings: Problem[]): PlaygroundResult {
  return {
    problems: [],
    warnings,
    outcome: { kind: 'pass', summary: '', details: [] },
    steps: [],
    matchedLines: [],
    failedLines: [],
  };
}

/** The text trace as steps; a rule line is the next rule (in order, wrapping) with that pattern. */
function stepsFromText(ruleSet: RuleSet, lines: readonly string[]) {
  const steps: TraceStep[] = [];
  const matched = new Set<number>();
  const failed = new Set<number>();
  let cursor = 0;
  // the rule being applied: its conditions' lines, and whether all held so far
  let current: { line: number; conds: number[]; next: number; ok: boolean } | undefined;
  const settle = (): void => {
    if (current?.ok) matched.add(current.line);
    else if (current) failed.add(current.line);
    current = undefined;
  };
  for (const text of lines) {
    const rule = /^applying pattern '(.*)' to uri '.*'( \(no match\))?$/s.exec(text);
    if (rule) {
      settle();
      const n = ruleSet.rules.length;
      let index = -1;
      for (let k = 0; k < n && index < 0; k++)
        if (ruleSet.rules[(cursor + k) % n].pattern === rule[1]) index = (cursor + k) % n;
      const r = index >= 0 ? ruleSet.rules[index] : undefined;
      cursor = index + 1;
      const ok = !rule[2];
      if (r) current = { line: r.pos.line, conds: r.conds.map((c) => c.pos.line), next: 0, ok };
      steps.push({ kind: 'rule', line: r?.pos.line, text, ok });
      continue;
    }
    const cond = /^RewriteCond: .* => (matched|not-matched)$/s.exec(text);
    if (cond && current) {
      const line = current.conds[current.next++];
      const ok = cond[1] === 'matched';
      if (!ok) current.ok = false;
      if (!ok && line) failed.add(line);
      steps.push({ kind: 'cond', line, text, ok });
      continue;
    }
    steps.push({ kind: 'note', text });
  }
  settle();
  return { steps, matched: [...matched], failed: [...failed].filter((l) => !matched.has(l)) };
}
