/**
 * MR101: ReDoS-prone patterns, analysed by recheck (npm `recheck`, the automaton/fuzzing checker
 * by TSUYUSATO Kitsune) on the pattern as Apache's PCRE reads it: the PCRE → JavaScript translation
 * of compile/pcre.ts (same syntax tree, DOTALL, caseless for [NC]), analysed as a backtracking
 * matcher — which is what PCRE is. modrewrite itself refuses some exponential shapes at load and
 * runs the rest on V8's linear-time engine, but the file is what gets deployed to Apache.
 *
 * recheck is loaded on first use with `import()` (2.9 MB of Scala.js: the middleware never pays
 * for it) and always runs its pure-JavaScript backend in this thread (`RECHECK_SYNC_BACKEND=pure`
 * for the duration of each call): no JVM, no native binary, no worker, so it runs wherever Node
 * runs. Each pattern is bounded by `timeout` milliseconds; an analysis that runs out says nothing.
 */
import { utf8ToBytes } from '../common/bytes.js';
import { translatePcre } from '../compile/pcre.js';
import type { SourcePosition } from '../errors.js';
import type { Arg, Directive } from '../syntax/ast.js';
import type { FilesSection } from '../syntax/sections.js';
import { argPos, type LintReport } from './diagnostic.js';
import type { LintModel } from './model.js';

/** What an analyser found in one pattern; undefined: safe, or not decided in time. */
export interface RedosFinding {
  readonly complexity: 'exponential' | 'polynomial';
  /** recheck's degree for polynomial patterns (2: quadratic). */
  readonly degree?: number;
  /** The attack string as recheck writes it (`'a' + 'a'.repeat(31) + '\x00'`). */
  readonly attack: string;
  /** Offset of the vulnerable part in the JavaScript source, if known. */
  readonly hotspot?: string;
}

/** Analyses JavaScript regexp source with flags; pluggable so the browser can bring its own. */
export type RedosAnalyser = (source: string, flags: string) => RedosFinding | undefined;

interface RecheckDiagnostics {
  readonly status: 'safe' | 'vulnerable' | 'unknown';
  readonly complexity?: { readonly type: string; readonly degree?: number };
  readonly attack?: { readonly pattern: string };
  readonly hotspot?: readonly { readonly start: number; readonly end: number }[];
}
type CheckSync = (source: string, flags: string, params?: object) => RecheckDiagnostics;

/** Milliseconds recheck may spend on one pattern. */
export const REDOS_TIMEOUT_MS = 2000;

/** recheck's checkSync on its pure-JavaScript backend; loaded once. */
export async function recheckAnalyser(timeout = REDOS_TIMEOUT_MS): Promise<RedosAnalyser> {
  // recheck is CommonJS: its exports are named under require() and under `default` via import()
  const mod = (await import('recheck')) as unknown as {
    checkSync?: CheckSync;
    default?: { checkSync: CheckSync };
  };
  const checkSync = mod.checkSync ?? mod.default!.checkSync;
  const cache = new Map<string, RedosFinding | undefined>();
  return (source, flags) => {
    const key = `${flags}/${source}`;
    if (cache.has(key)) return cache.get(key);
    const finding = runPure(checkSync, source, flags, timeout);
    cache.set(key, finding);
    return finding;
  };
}

function runPure(
  checkSync: CheckSync,
  source: string,
  flags: string,
  timeout: number,
): RedosFinding | undefined {
  const env = process.env;
  const before = env.RECHECK_SYNC_BACKEND;
  env.RECHECK_SYNC_BACKEND = 'pure';
  let d: RecheckDiagnostics;
  try {
    d = checkSync(source, flags, { timeout });
  } catch {
    return undefined;
  } finally {
    if (before === undefined) delete env.RECHECK_SYNC_BACKEND;
    else env.RECHECK_SYNC_BACKEND = before;
  }
  if (d.status !== 'vulnerable' || !d.attack) return undefined;
  const type = d.complexity?.type === 'exponential' ? 'exponential' : 'polynomial';
  const spot = d.hotspot?.[0];
  return {
    complexity: type,
    degree: d.complexity?.degree,
    attack: d.attack.pattern,
    hotspot: spot ? source.slice(spot.start, spot.end) : undefined,
  };
}

/** The pattern as PCRE runs it, in JavaScript syntax; undefined when it does not translate. */
function pcreAsJs(pattern: string, nocase: boolean): { source: string; flags: string } | undefined {
  try {
    const t = translatePcre(utf8ToBytes(pattern), false);
    return { source: t.source, flags: nocase ? 'si' : 's' };
  } catch {
    return undefined;
  }
}

/** A pattern Apache compiles with PCRE, and where it is written. */
interface PatternSite {
  readonly pos: SourcePosition;
  readonly pattern: string;
  readonly nocase: boolean;
  /** What it is, for the message (`RedirectMatch pattern`). */
  readonly what: string;
}

function checkOne(analyse: RedosAnalyser, site: PatternSite, report: LintReport): void {
  const js = pcreAsJs(site.pattern, site.nocase);
  const finding = js && analyse(js.source, js.flags);
  if (!finding) return;
  const exp = finding.complexity === 'exponential';
  const growth = exp ? 'exponential' : `polynomial (degree ${finding.degree ?? '≥2'})`;
  report.add(
    'MR101',
    site.pos,
    `${site.what} '${site.pattern}' can backtrack in ${growth} time in Apache's PCRE${finding.hotspot ? ` (at '${finding.hotspot}')` : ''}; attack string: ${finding.attack}`,
    exp
      ? 'remove the nested repetition (e.g. (a+)+ → a+), or make the alternatives exclusive'
      : 'make adjacent repetitions exclusive (e.g. [^/]+ instead of .+ before a /)',
    exp ? 'warning' : 'info',
  );
}

/** A pattern argument, after a leading `!` (negation is no part of the regex). */
function argSite(arg: Arg, what: string, nocase: boolean): PatternSite {
  const negated = arg.text.startsWith('!');
  return {
    pos: argPos(arg, negated ? 1 : 0),
    pattern: negated ? arg.text.slice(1) : arg.text,
    nocase,
    what,
  };
}

/** The regexes of other modules' directives (mod_alias, mod_setenvif, <FilesMatch>). */
function otherSites(directives: readonly Directive[]): PatternSite[] {
  const sites: PatternSite[] = [];
  const sections = new Set<FilesSection>();
  for (const d of directives) {
    if ((d.type === 'Redirect' || d.type === 'Alias') && d.regex && d.pattern)
      sites.push(
        argSite(d.pattern, `${d.type === 'Alias' ? 'AliasMatch' : d.name} pattern`, false),
      );
    else if (d.type === 'SetEnvIf')
      sites.push(argSite(d.pattern, `${d.directive} pattern`, d.nocase));
    const files = 'files' in d ? d.files : undefined;
    if (files?.regex && !sections.has(files)) {
      sections.add(files);
      sites.push({
        pos: files.pos,
        pattern: files.pattern,
        nocase: false,
        what: `${files.opener}> pattern`,
      });
    }
  }
  return sites;
}

/** MR101 over every rule pattern, every regex condition and the other modules' regexes. */
export function checkRedos(model: LintModel, analyse: RedosAnalyser, report: LintReport): void {
  for (const rule of model.rules) {
    for (const c of rule.conds)
      if (c.test.type === 'regex')
        checkOne(analyse, argSite(c.d.pattern, 'RewriteCond pattern', c.flags.nocase), report);
    checkOne(analyse, argSite(rule.d.pattern, 'pattern', rule.flags.nocase), report);
  }
  for (const site of otherSites(model.directives)) checkOne(analyse, site, report);
}
