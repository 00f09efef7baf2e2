/**
 * `modrewrite test [--config FILE] [--root DIR] [-X METHOD] [-H 'Name: value']... URL...`: what the
 * rules do to each URL, and why (explain()'s trace as text, or `--json`), or a regression list
 * checked with `--expect FILE` (grammar in expect-file.ts). Exit codes: 0 every URL matched a rule
 * / every expectation held, 1 a URL matched nothing / an expectation failed, 2 usage, 3 the rules
 * (or a file named by a flag) do not load.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { RewriteError } from '../errors.js';
import { chooseContext } from '../compile/entry.js';
import { compileSource, type ExplainResult, type ExplainSource } from '../explain/core.js';
import { explain, siteSource, type ExplainSite } from '../explain/explain.js';
import type { TraceEvent } from '../engine/trace.js';
import { UsageError, type Parsed } from './args.js';
import { mismatch, parseExpectations, type Expectation } from './expect-file.js';

export interface TestIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** Colour on a terminal, unless NO_COLOR is set (https://no-color.org). */
export function useColor(): boolean {
  return !!process.stdout.isTTY && !process.env.NO_COLOR;
}

/** The rules or a file a flag names cannot be loaded: exit code 3. */
export const LOAD_ERROR = 3;

const text = (p: Parsed, name: string): string | undefined => p.values[name] as string | undefined;
const list = (p: Parsed, name: string): string[] => (p.values[name] as string[] | undefined) ?? [];

/** Runs `modrewrite test`; resolves the exit code. */
export async function testCommand(p: Parsed, io: TestIo, color: boolean): Promise<number> {
  const context = text(p, 'context');
  if (context !== undefined && context !== 'server' && context !== 'directory')
    throw new UsageError(`--context must be server or directory, got '${context}'`, 'test');
  if (!text(p, 'config') && !text(p, 'root'))
    throw new UsageError('test needs --config FILE or --root DIR (the rules to test)', 'test');
  const headers = requestHeaders(list(p, 'header'));
  let source: ExplainSource | ExplainSite;
  let expectations: Item[];
  try {
    source = sourceOf(p, context as ExplainSource['context']);
    // a single rules file is checked once, before any URL; .htaccess files found along each
    // URL's path load with it
    if ('rules' in source) compileSource(source);
    expectations = expectationsOf(p);
  } catch (err) {
    return loadError(err, io);
  }
  if (!expectations.length)
    throw new UsageError('test needs at least one URL (or --expect FILE)', 'test');
  const method = text(p, 'request');
  const runs: Run[] = [];
  for (const e of expectations) {
    const item = { ...e, method: e.method ?? method ?? 'GET' };
    let result: ExplainResult;
    try {
      result = await explain(source, {
        url: e.url,
        method: item.method,
        headers,
        remoteAddr: text(p, 'remote-addr'),
      });
    } catch (err) {
      return loadError(err, io);
    }
    const failure = e.expected ? mismatch(e.expected.expected, result.outcome) : undefined;
    runs.push({ e: item, result, failure });
  }
  if (p.values.json === true) io.out(JSON.stringify(jsonReport(runs), null, 2));
  else printText(runs, io, color);
  const failed = runs.some((r) => (r.e.expected ? r.failure !== undefined : !r.result.matched));
  return failed ? 1 : 0;
}

function loadError(err: unknown, io: TestIo): number {
  io.err(err instanceof RewriteError ? err.message : `modrewrite: ${(err as Error).message}`);
  return LOAD_ERROR;
}

interface Item {
  readonly url: string;
  readonly method?: string;
  readonly expected?: Expectation;
}
interface Run {
  readonly e: Item;
  readonly result: ExplainResult;
  readonly failure: string | undefined;
}

/** The URLs to test: the positionals, then the `--expect` file's lines. */
function expectationsOf(p: Parsed): Item[] {
  const items: Item[] = p.positionals.map((url) => ({ url }));
  const file = text(p, 'expect');
  if (file === undefined) return items;
  const parsed = parseExpectations(readFileSync(resolve(file), 'utf8'), file);
  if (!parsed.length) throw new Error(`${file}: no expectations (lines 'URL OUTCOME')`);
  for (const e of parsed) items.push({ url: e.url, method: e.method, expected: e });
  return items;
}

/** `-H 'Name: value'`, repeatable; a header given twice keeps both values. */
function requestHeaders(given: readonly string[]): Record<string, string[]> {
  const headers: Record<string, string[]> = Object.create(null);
  for (const h of given) {
    const colon = h.indexOf(':');
    if (colon <= 0) throw new UsageError(`-H takes 'Name: value', got '${h}'`, 'test');
    const name = h.slice(0, colon).trim().toLowerCase();
    (headers[name] ??= []).push(h.slice(colon + 1).trim());
  }
  return headers;
}

/**
 * The rules and their tree: `--root` alone reads the .htaccess files along each URL's path (as
 * `serve` does); an .htaccess `--config` without `--root` has its folder as the document root; an
 * .htaccess inside `--root` applies to its folder's URL-path; a server config without `--root`
 * sees no files.
 */
function sourceOf(p: Parsed, context: ExplainSource['context']): ExplainSource | ExplainSite {
  const root = text(p, 'root');
  const configFile = text(p, 'config');
  const config = configFile;
  const directory = text(p, 'directory');
  const choice = chooseContext(context, config ?? '.htaccess').context;
  const serverName = text(p, 'server-name');
  if (root !== undefined && config === undefined)
    return { root, serverName, ...(directory ? { directory } : {}) };
  if (root !== undefined) {
    const dir = directory ?? (config && choice === 'directory' ? urlPathOf(root, config) : '/');
    return siteSource({ root, config, context: choice, directory: dir, serverName });
  }
  if (choice === 'directory')
    return siteSource({ root: dirname(config!), config, context: choice, directory, serverName });
  return { rules: readFileSync(config!, 'utf8'), file: config, context: choice, serverName };
}

/**
 * The URL-path of an .htaccess's folder below the document root (`/blog` for root/blog/.htaccess).
 */
function urlPathOf(root: string, config: string): string {
  const rel = relative(resolve(root), dirname(resolve(config)));
  if (rel.startsWith('..')) return '/';
  return '/' + rel.split(sep).join('/');
}

function jsonReport(runs: readonly Run[]) {
  return {
    passed: runs.filter((r) => (r.e.expected ? !r.failure : r.result.matched)).length,
    failed: runs.filter((r) => (r.e.expected ? r.failure : !r.result.matched)).length,
    results: runs.map((r) => ({
      url: r.e.url,
      method: r.e.method,
      ...(r.e.expected
        ? { expected: r.e.expected.text, line: r.e.expected.line, ok: !r.failure }
        : {}),
      ...(r.failure ? { failure: r.failure } : {}),
      ...r.result,
    })),
  };
}

const ANSI = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, cyan: 36 } as const;
type Style = keyof typeof ANSI;

function paint(color: boolean, style: Style | undefined, s: string): string {
  return color && style ? `\x1b[${ANSI[style]}m${s}\x1b[0m` : s;
}

/** How a trace line is highlighted: matches green, misses dim, failed conditions yellow. */
function styleOf(e: TraceEvent): Style | undefined {
  switch (e.type) {
    case 'rule':
      return e.matched ? 'green' : 'dim';
    case 'cond':
      return e.matched ? undefined : 'yellow';
    case 'conditions-failed':
      return 'yellow';
    case 'stop':
    case 'internal-redirect':
      return 'cyan';
    case 'outcome':
      return 'bold';
    default:
      return undefined;
  }
}

function printText(runs: readonly Run[], io: TestIo, color: boolean): void {
  for (const { e, result, failure } of runs) {
    const head = `${e.method} ${e.url}`;
    if (e.expected) {
      const verdict = failure ? paint(color, 'red', 'FAIL') : paint(color, 'green', 'ok  ');
      io.out(
        `${verdict} ${head}  ${e.expected.text}${failure ? `: ${failure}, got ${result.summary}` : ''}`,
      );
      // a passing expectation needs no trace
      if (!failure) continue;
    } else {
      io.out(paint(color, 'bold', head));
    }
    result.trace.forEach((event, i) =>
      io.out('  ' + paint(color, styleOf(event), result.lines[i]!)),
    );
    for (const [k, v] of Object.entries(result.env)) io.out(`  env ${k}=${v}`);
    for (const [k, v] of result.headers) io.out(`  header ${k}: ${v}`);
    if (!result.matched && !e.expected) io.out(paint(color, 'yellow', '  no rule matched'));
    io.out('');
  }
  const expected = runs.filter((r) => r.e.expected);
  if (expected.length) {
    const failed = expected.filter((r) => r.failure).length;
    io.out(`${expected.length - failed} passed, ${failed} failed`);
  }
}
