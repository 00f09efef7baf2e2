/**
 * `lint(text, { context, file })`: the mistakes people make in mod_rewrite rules, as positioned
 * diagnostics with stable codes (rules.ts). A layer above compile/: it loads the text the way
 * site() loads an .htaccess (load errors become MR001) and then runs the checks on the parsed
 * directives. No node: import here, so the playground can run it in a browser (with its own
 * ReDoS analyser, or none).
 */
import { compilePcre } from '../compile/pcre.js';
import { compileText } from '../compile/compile.js';
import { chooseContext } from '../compile/entry.js';
import { RewriteError, type SourcePosition } from '../errors.js';
import { parse, ProblemSink, sourceLineLookup, type ConfigContext } from '../syntax/parse.js';
import {
  checkLoops,
  checkQsa,
  checkRedirectWithoutLast,
  checkRelativeRedirect,
} from './check-flow.js';
import { checkAnchors, checkBackrefs, checkChainLast, checkUnreachable } from './check-patterns.js';
import { checkEngine, checkFileTests, checkProxy, checkVariables } from './check-vars.js';
import { LintReport, type LintDiagnostic } from './diagnostic.js';
import { buildModel, type LintModel } from './model.js';
import { checkRedos, recheckAnalyser, type RedosAnalyser } from './redos.js';

export interface LintOptions {
  /**
   * `server` or `directory`;
   * @default directory for a `file` named .htaccess / *.htaccess, else server
   */
  readonly context?: ConfigContext;
  /** The file name in the diagnostics (and what the context is inferred from). */
  readonly file?: string;
  /** `<IfDefine>` names, as for site(). @default [] */
  readonly defines?: readonly string[];
}

export interface LintSyncOptions extends LintOptions {
  /** The ReDoS analyser (MR101); without one MR101 is not checked. */
  readonly redos?: RedosAnalyser;
}

export interface LintResult {
  readonly file?: string;
  readonly context: ConfigContext;
  /** Why that context: `given`, `file name` (an .htaccess), `default`. */
  readonly contextFrom: 'given' | 'file name' | 'default';
  /** RewriteRules read (sections that do not apply left out). */
  readonly rules: number;
  /** Sorted by line and column. */
  readonly diagnostics: readonly LintDiagnostic[];
}

type Check = (model: LintModel, report: LintReport) => void;

const CHECKS: readonly Check[] = [
  checkEngine,
  checkAnchors,
  checkUnreachable,
  checkChainLast,
  checkBackrefs,
  checkLoops,
  checkRedirectWithoutLast,
  checkRelativeRedirect,
  checkQsa,
  checkVariables,
  checkFileTests,
  checkProxy,
];

/** MR001 for every load problem, MR002 for every load warning. */
function loadFindings(
  text: string,
  options: LintOptions,
  context: ConfigContext,
  report: LintReport,
): void {
  try {
    // as site() and serve read an .htaccess: with its access and site-only directives
    const set = compileText(text, {
      context,
      file: options.file,
      defines: options.defines,
      accessControl: context === 'directory',
      siteDirectives: true,
    });
    for (const w of set.warnings ?? [])
      report.add('MR002', w, `${w.message} (${w.code})`, 'nothing to change if that is intended');
  } catch (err) {
    if (!(err instanceof RewriteError)) throw err;
    const problems = err.problems.length
      ? err.problems
      : [{ ...fallbackPos(err), code: err.code, message: err.message }];
    for (const p of problems)
      report.add(
        'MR001',
        p,
        `${p.message} (${p.code})`,
        'fix the directive: the file does not load as written',
      );
  }
}

function fallbackPos(err: RewriteError): SourcePosition {
  return { file: err.file, line: err.line ?? 1, column: err.column ?? 1 };
}

/**
 * Lints rule text without the ReDoS check unless `options.redos` brings an analyser: synchronous,
 * and what a browser can run.
 * @example
 * lintSync('RewriteRule ^/old$ /new [R]', { file: '.htaccess' }).diagnostics[0].code; // 'MR404'
 */
export function lintSync(text: string, options: LintSyncOptions = {}): LintResult {
  const choice = chooseContext(options.context, options.file);
  const report = new LintReport(options.file);
  loadFindings(text, options, choice.context, report);
  const sink = new ProblemSink(sourceLineLookup(text));
  const { directives } = parse(
    text,
    {
      context: choice.context,
      file: options.file,
      defines: options.defines,
      accessControl: choice.context === 'directory',
      siteDirectives: true,
      regex: (pattern) => compilePcre(pattern, false),
    },
    sink,
  );
  const model = buildModel(directives, choice.context, options.file);
  for (const check of CHECKS) check(model, report);
  if (options.redos) checkRedos(model, options.redos, report);
  const diagnostics = [...report.diagnostics].sort(
    (a, b) => a.line - b.line || a.column - b.column,
  );
  return {
    file: options.file,
    context: choice.context,
    contextFrom: choice.because,
    rules: model.rules.length,
    diagnostics,
  };
}

/**
 * Lints mod_rewrite rule text: every check, the ReDoS analysis (recheck, pure JavaScript) included.
 * @example
 * const { diagnostics } = await lint('RewriteRule ^(a+)+$ - [F]', { context: 'directory' });
 * // [{ code: 'MR404', … }, { code: 'MR101', severity: 'warning', message: "… attack string: …" }]
 */
export async function lint(text: string, options: LintOptions = {}): Promise<LintResult> {
  return lintSync(text, { ...options, redos: await recheckAnalyser() });
}
