/** The engine's Evaluation (or load error) as the page's outcome box: a summary and detail rows. */
import { mapToFile } from '../../lib/engine/directory.js';
import {
  describeOutcome as describeExplained,
  renderTraceEvent,
  type ExplainResult,
} from '../../lib/explain/core.js';
import { displayBytes, displayFields } from './text.js';
import { RewriteError } from '../../lib/errors.js';
import { DOCUMENT_ROOT, type PlaygroundResult, type PlaygroundState } from './model.js';
import { virtualStat } from './vfs.js';

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  410: 'Gone',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The URL-path mapped under the DocumentRoot, and what the default handler would answer. */
function fileRows(path: string, args: string | null): [string, string][] {
  const mapped = mapToFile(DOCUMENT_ROOT, path, { stat: virtualStat, lstat: virtualStat });
  const st = virtualStat(mapped.filename);
  const serves = st?.isDirectory()
    ? 'a directory (mod_dir: DirectorySlash / DirectoryIndex)'
    : st?.isFile() && !mapped.pathInfo
      ? '200 (the file exists)'
      : st?.isFile()
        ? `the file, with PATH_INFO ${mapped.pathInfo} (404 for a static file)`
        : '404 (no such file in the tree)';
  return [
    ['filename', mapped.filename],
    ['query', args ?? ''],
    ['answer', serves],
  ];
}

function effectRows(result: ExplainResult): [string, string][] {
  const rows: [string, string][] = [];
  for (const [name, value] of Object.entries(result.env)) rows.push([`env ${name}`, value]);
  for (const [name, value] of result.headers) rows.push([name, displayBytes(value)]);
  if (result.contentType) rows.push(['Content-Type (T=)', result.contentType]);
  if (result.handler) rows.push(['handler (H=)', result.handler]);
  if (result.internalRedirects) rows.push(['internal redirects', String(result.internalRedirects)]);
  if (result.stop) rows.push(['why', stopText(result.stop)]);
  return rows;
}

/** Why the last pass stopped, in the trace's words, with the rule's line. */
function stopText(stop: NonNullable<ExplainResult['stop']>): string {
  const text = renderTraceEvent({ type: 'stop', reason: stop.reason });
  return stop.pos ? `${text} (line ${stop.pos.line})` : text;
}

/** The outcome box: explain()'s one-line summary, then what it means for the request. */
export function describeOutcome(
  result: ExplainResult,
  state: PlaygroundState,
): PlaygroundResult['outcome'] {
  const o = displayFields(result.outcome);
  const fx = effectRows(result);
  const summary = describeExplained(o);
  switch (o.type) {
    case 'pass': {
      const [path, query] = state.url.split('?');
      return {
        kind: 'pass',
        summary,
        details: [...fileRows(decodeURIComponentSafe(path ?? '/'), query ?? null), ...fx],
      };
    }
    case 'rewrite':
      return {
        kind: 'rewrite',
        summary,
        details: [['URL', o.url], ...fileRows(o.path, o.args), ...fx],
      };
    case 'file':
      return {
        kind: 'file',
        summary,
        details: [['filename', o.path], ['query', o.args ?? ''], ...fx],
      };
    case 'redirect':
      return {
        kind: 'redirect',
        summary,
        details: [['status', String(o.status)], ['Location', o.location], ...fx],
      };
    case 'status':
      return {
        kind: 'status',
        summary: `${summary}: ${STATUS_TEXT[o.status] ?? ''}`.replace(/: $/, ''),
        details: [['status', String(o.status)], ['cause', o.reason ?? o.cause], ...fx],
      };
    case 'proxy':
      return { kind: 'proxy', summary, details: [['target', o.target], ...fx] };
  }
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A load error: every problem with its line and column, and an `error` outcome. */
export function loadFailure(err: unknown): PlaygroundResult {
  const problems =
    err instanceof RewriteError && err.problems.length
      ? err.problems.map((p) => ({
          line: p.line,
          column: p.column,
          message: `${p.code}: ${p.message}`,
        }))
      : [{ line: 1, column: 1, message: String((err as Error).message ?? err) }];
  return {
    problems,
    warnings: [],
    outcome: {
      kind: 'error',
      summary: `the rules do not load (${problems.length} problem${problems.length > 1 ? 's' : ''})`,
      details: [],
    },
    steps: [],
    matchedLines: [],
    failedLines: [],
  };
}
