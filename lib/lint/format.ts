/**
 * Lint results as text (`file:line:col severity code message` and an indented hint), JSON, and
 * SARIF 2.1.0 (what GitHub code scanning uploads: one run, the tool's rules with ids and help,
 * results with a physicalLocation region).
 */
import type { LintResult } from './lint.js';
import { LINT_RULES, type LintSeverity } from './rules.js';

export type LintFormat = 'text' | 'json' | 'sarif';

export const LINT_FORMATS: readonly LintFormat[] = ['text', 'json', 'sarif'];

/** Counts per severity over results. */
export function countBySeverity(results: readonly LintResult[]): Record<LintSeverity, number> {
  const counts: Record<LintSeverity, number> = { error: 0, warning: 0, info: 0 };
  for (const r of results) for (const d of r.diagnostics) counts[d.severity]++;
  return counts;
}

/** The text report: one line per finding, its hint below, and a summary line. */
export function formatText(results: readonly LintResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    for (const d of r.diagnostics) {
      lines.push(
        `${d.file ?? '<rules>'}:${d.line}:${d.column} ${d.severity} ${d.code} ${d.message} [${d.name}]`,
      );
      lines.push(`  hint: ${d.hint}`);
    }
  }
  const c = countBySeverity(results);
  const files = results.length === 1 ? '1 file' : `${results.length} files`;
  lines.push(`${files}: ${c.error} error(s), ${c.warning} warning(s), ${c.info} info`);
  return lines.join('\n');
}

/** The JSON report: the results as they are, plus the counts. */
export function formatJson(results: readonly LintResult[]): string {
  return JSON.stringify({ results, counts: countBySeverity(results) }, null, 2);
}

const SARIF_LEVEL: Record<LintSeverity, 'error' | 'warning' | 'note'> = {
  error: 'error',
  warning: 'warning',
  info: 'note',
};

/** A file name as a SARIF artifact URI (relative paths stay relative, for code scanning). */
function artifactUri(file: string | undefined): string {
  const f = (file ?? 'rules').replace(/\\/g, '/');
  return encodeURI(f.startsWith('/') ? `file://${f}` : f);
}

/** SARIF 2.1.0 log of the results. */
export function formatSarif(results: readonly LintResult[], version: string): string {
  const rules = LINT_RULES.map((r) => ({
    id: r.code,
    name: r.name,
    shortDescription: { text: r.summary },
    fullDescription: { text: r.help },
    help: { text: r.help },
    defaultConfiguration: { level: SARIF_LEVEL[r.severity] },
  }));
  const index = new Map(LINT_RULES.map((r, i) => [r.code, i]));
  const sarifResults = results.flatMap((r) =>
    r.diagnostics.map((d) => ({
      ruleId: d.code,
      ruleIndex: index.get(d.code),
      level: SARIF_LEVEL[d.severity],
      message: { text: `${d.message} (hint: ${d.hint})` },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: artifactUri(d.file ?? r.file) },
            region: { startLine: d.line, startColumn: d.column },
          },
        },
      ],
    })),
  );
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'modrewrite lint',
            version,
            informationUri: 'https://www.npmjs.com/package/modrewrite',
            rules,
          },
        },
        results: sarifResults,
      },
    ],
  };
  return JSON.stringify(log, null, 2);
}
