/**
 * core's `Include` and `IncludeOptional` (core.c `include_config`, EXEC_ON_READ): the named files
 * are read where the directive stands, as if their lines were written there. The name is
 * ServerRoot-relative (`ap_server_root_relative`); a wildcard may stand in any path segment
 * (util.c `ap_dir_fnmatch`), a directory is read whole, recursively (`ap_dir_nofnmatch`), each
 * level in strcmp order. Each file is built on its own by `ap_build_config`, so the sections it
 * opens must close in it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fnmatchRegExp } from '../common/fnmatch.js';
import { logicalLines, type LogicalLine } from './lexer.js';

/** core.c AP_MAX_INCLUDE_DEPTH: Include lines nested in included files. */
export const MAX_INCLUDE_DEPTH = 128;
/** util.c AP_MAX_FNMATCH_DIR_DEPTH: directories nested in an included directory. */
const MAX_DIR_DEPTH = 128;
/** Files one configuration may include in all (a bound on what one load reads). */
const MAX_INCLUDED_FILES = 10000;

/** What an Include problem is, for the caller's error code. */
export interface IncludeError {
  readonly error: string;
  readonly kind: 'file' | 'nesting' | 'limit';
  /** The included line it is about (else: the Include line). */
  readonly line?: LogicalLine;
}

/** The reading of one configuration's includes: how deep each included line stands. */
export class IncludeReader {
  private readonly depthOf = new WeakMap<LogicalLine, number>();
  private files = 0;

  /**
   * @param serverRoot the folder relative names resolve against (Apache's ServerRoot)
   * @param onFile told each file read with its text (for code frames)
   */
  constructor(
    private readonly serverRoot: string,
    private readonly onFile: (file: string, text: string) => void = () => undefined,
  ) {}

  /** The lines an `Include`/`IncludeOptional name` line stands for, or why Apache stops. */
  lines(name: string, optional: boolean, at: LogicalLine): LogicalLine[] | IncludeError {
    const depth = (this.depthOf.get(at) ?? 0) + 1;
    if (depth > MAX_INCLUDE_DEPTH)
      return {
        kind: 'limit',
        error: `Exceeded maximum include depth of ${MAX_INCLUDE_DEPTH}, There appears to be a recursion.`,
      };
    const path = isAbsolute(name) ? resolve(name) : resolve(this.serverRoot, name);
    const walk = new Walk(optional);
    const problem = hasWildcard(path) ? walk.fnmatch('/', path.slice(1)) : walk.nofnmatch(path, 0);
    if (problem) return { kind: 'file', error: problem };
    const out: LogicalLine[] = [];
    for (const file of walk.found) {
      if (++this.files > MAX_INCLUDED_FILES)
        return { kind: 'limit', error: `more than ${MAX_INCLUDED_FILES} included files` };
      const read = this.fileLines(file);
      if ('error' in read) return read;
      for (const line of read) this.depthOf.set(line, depth);
      out.push(...read);
    }
    return out;
  }

  /** One file's lines, refused when a section it opens is not closed in it (ap_build_config). */
  private fileLines(file: string): LogicalLine[] | IncludeError {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      return { kind: 'file', error: `Could not open configuration file ${file}: ${why(err)}` };
    }
    this.onFile(file, text);
    const lines = logicalLines(text, file);
    const unbalanced = sectionsUnbalanced(lines, file);
    return unbalanced ? { kind: 'nesting', ...unbalanced } : lines;
  }
}

/** apr_fnmatch_test: whether a path holds a wildcard (`*`, `?`, or a closed `[...]`). */
function hasWildcard(path: string): boolean {
  let open = false;
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === '?' || c === '*') return true;
    if (c === '\\') i++;
    else if (c === '[') open = true;
    else if (c === ']' && open) return true;
  }
  return false;
}

/** strerror's words for the errors a configuration read meets (Apache prints `%pm`). */
function why(err: unknown): string {
  const code = (err as { code?: string }).code;
  const words: Record<string, string> = {
    ENOENT: 'No such file or directory',
    EACCES: 'Permission denied',
    ENOTDIR: 'Not a directory',
    EISDIR: 'Is a directory',
    ELOOP: 'Too many levels of symbolic links',
  };
  return (code && words[code]) ?? (err as Error).message;
}

const strcmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** One Include's walk over the filesystem (util.c `ap_dir_fnmatch`, `ap_dir_nofnmatch`). */
class Walk {
  readonly found: string[] = [];
  constructor(private readonly optional: boolean) {}

  /** A path without wildcards: a directory's entries recursively, else the file itself. */
  nofnmatch(path: string, depth: number): string | undefined {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat?.isDirectory()) return this.directory(path, depth + 1);
    if (!stat && this.optional) return undefined;
    this.found.push(path);
    return undefined;
  }

  private directory(path: string, depth: number): string | undefined {
    if (depth > MAX_DIR_DEPTH)
      return `Include/IncludeOptional: Directory '${path}' exceeds the maximum include directory nesting level of ${MAX_DIR_DEPTH}. You have probably a recursion somewhere.`;
    let names: string[];
    try {
      names = readdirSync(path);
    } catch (err) {
      return `Include/IncludeOptional: Could not open directory ${path}: ${why(err)}`;
    }
    for (const name of names.sort(strcmp)) {
      const problem = this.nofnmatch(join(path, name), depth);
      if (problem) return problem;
    }
    return undefined;
  }

  /** `rest` below `path`, one segment at a time; a wildcard segment lists the directory. */
  fnmatch(path: string, rest: string): string | undefined {
    const slash = rest.indexOf('/');
    const segment = slash < 0 ? rest : rest.slice(0, slash);
    const after = slash < 0 ? undefined : rest.slice(slash + 1);
    if (!hasWildcard(segment)) {
      const next = join(path, segment);
      return after === undefined ? this.nofnmatch(next, 0) : this.fnmatch(next, after);
    }
    let entries;
    try {
      entries = readdirSync(path, { withFileTypes: true });
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT' && this.optional) return undefined;
      return `Include/IncludeOptional: Could not open directory ${path}: ${why(err)}`;
    }
    const re = fnmatchRegExp(segment);
    // APR_FNM_PERIOD: a leading dot is matched only by a leading dot; inside the path only
    // directories
    const names = entries
      .filter((e) => (!e.name.startsWith('.') || segment.startsWith('.')) && re.test(e.name))
      .filter((e) => after === undefined || e.isDirectory())
      .map((e) => e.name)
      .sort(strcmp);
    if (!names.length && !this.optional)
      return `Include/IncludeOptional: No matches for the wildcard '${segment}' in '${path}', failing`;
    for (const name of names) {
      const full = join(path, name);
      const problem = after === undefined ? this.nofnmatch(full, 0) : this.fnmatch(full, after);
      if (problem) return problem;
    }
    return undefined;
  }
}

/**
 * ap_build_config's end-of-file and closer checks on one included file: every `<Section>` it
 * opens must close in it, with its own name.
 */
function sectionsUnbalanced(
  lines: readonly LogicalLine[],
  file: string,
): { error: string; line: LogicalLine } | undefined {
  const open: { name: string; line: LogicalLine }[] = [];
  for (const l of lines) {
    const word = /^<\/?[^\s>]+/.exec(l.text)?.[0];
    if (!word) continue;
    if (!word.startsWith('</')) {
      open.push({ name: word, line: l });
      continue;
    }
    const top = open.pop();
    const name = word.slice(2);
    if (!top) return { error: `</${name}> without matching <${name} section`, line: l };
    if (top.name.slice(1).toLowerCase() !== name.toLowerCase())
      return { error: `Expected </${top.name.slice(1)}> but saw </${name}>`, line: l };
  }
  const last = open[open.length - 1];
  return (
    last && { error: `${file}:${last.line.line}: ${last.name}> was not closed.`, line: last.line }
  );
}
