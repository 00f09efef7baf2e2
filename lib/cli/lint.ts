/**
 * `modrewrite lint [--context server|directory] [--format text|json|sarif] [--max-warnings N]
 * FILE...`: lib/lint's checks over rule files. Exit code (EXIT_CODES in args.ts): 1 when a file
 * cannot be read, has an error-level finding, or has more warnings than --max-warnings allows;
 * info findings never fail.
 */
import { readFileSync } from 'node:fs';
import { lintSync, type LintResult } from '../lint/lint.js';
import { recheckAnalyser } from '../lint/redos.js';
import {
  countBySeverity,
  formatJson,
  formatSarif,
  formatText,
  LINT_FORMATS,
  type LintFormat,
} from '../lint/format.js';
import { UsageError, type Parsed } from './args.js';

interface Io {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

interface LintFlags {
  readonly context?: 'server' | 'directory';
  readonly format: LintFormat;
  readonly maxWarnings?: number;
}

function lintFlags(p: Parsed): LintFlags {
  const context = p.values.context as string | undefined;
  if (context !== undefined && context !== 'server' && context !== 'directory')
    throw new UsageError(`--context must be server or directory, got '${context}'`, 'lint');
  const format = (p.values.format as string | undefined) ?? 'text';
  if (!LINT_FORMATS.includes(format as LintFormat))
    throw new UsageError(`--format must be ${LINT_FORMATS.join(', ')}, got '${format}'`, 'lint');
  const max = p.values['max-warnings'] as string | undefined;
  if (max !== undefined && !/^\d+$/.test(max))
    throw new UsageError(`--max-warnings must be a number (0 or more), got '${max}'`, 'lint');
  if (!p.positionals.length) throw new UsageError('lint needs at least one FILE', 'lint');
  return {
    context,
    format: format as LintFormat,
    maxWarnings: max === undefined ? undefined : Number(max),
  };
}

/** The text report's per-file line for a file that loads (what `lint` always printed). */
function loadedLine(r: LintResult): string {
  const why =
    r.contextFrom === 'file name'
      ? ' (inferred from the file name)'
      : r.contextFrom === 'default'
        ? ''
        : ' (--context)';
  return `${r.file}: ok (${r.rules} rules, ${r.context} context)${why}`;
}

/** Runs the command; resolves the exit code. */
export async function lintCommand(p: Parsed, io: Io, version: string): Promise<number> {
  const flags = lintFlags(p);
  const redos = await recheckAnalyser().catch((err: Error) => {
    // a package manager that left the dependency out: the other checks still run
    io.err(`modrewrite: the ReDoS check (MR101) is skipped: recheck did not load (${err.message})`);
    return undefined;
  });
  const results: LintResult[] = [];
  let unreadable = 0;
  for (const file of p.positionals) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      unreadable++;
      io.err(
        `modrewrite: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
      continue;
    }
    const r = lintSync(text, { context: flags.context, file, redos });
    results.push(r);
    if (flags.format === 'text' && !r.diagnostics.some((d) => d.code === 'MR001'))
      io.out(loadedLine(r));
  }
  if (flags.format === 'text') io.out(formatText(results));
  else if (flags.format === 'json') io.out(formatJson(results));
  else io.out(formatSarif(results, version));
  const counts = countBySeverity(results);
  const tooManyWarnings = flags.maxWarnings !== undefined && counts.warning > flags.maxWarnings;
  return unreadable || counts.error || tooManyWarnings ? 1 : 0;
}
