/**
 * Apache's configuration-time conditional sections: `<IfModule>`, `<IfDefine>`, `<IfFile>`,
 * `<IfDirective>`, `<IfSection>` (server/core.c `start_cond_section`) and `<IfVersion>`
 * (modules/metadata/mod_version.c), evaluated while the lines are read, as Apache does (they are
 * EXEC_ON_READ): a true section's body is read like the lines around it, a false one's is skipped
 * without looking at its directives (config.c `ap_soak_end_container`: only the nesting of `<...>`
 * lines is followed). `<Files>` and `<FilesMatch>` (core.c `filesection`) are read too: their lines
 * come out tagged with the section, for the access directives that may stand in them. Every other
 * section (`<Limit>`, `<If>`, `<Directory>`...) is a directive modrewrite cannot apply: refused
 * (fail closed), and its body skipped.
 */
import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { SourcePosition } from '../errors.js';
import type { LogicalLine } from './lexer.js';
import { isDirectiveKnown, isModuleEmulated } from './modules.js';
import { authzSection, limitSection, type AuthzFrame, type LimitSection } from './limit.js';
import type { IncludeReader } from './include.js';
import { ConfigVariables } from './config-vars.js';

/**
 * The Apache release `<IfVersion>` compares against (what the conformance corpus is recorded from).
 */
export const APACHE_VERSION = { major: 2, minor: 4, patch: 71, add: '' } as const;

/** What the conditions look at. */
export interface SectionEnvironment {
  /**
   * Names defined with `-D` (`<IfDefine>`); nothing by default, as `apache2` started without `-D`.
   */
  readonly defines?: readonly string[];
  /**
   * The Define'd variables and the environment `${NAME}` is resolved from (syntax/config-vars.ts),
   * shared with the readers of the sections' bodies. @default `defines`, no values, no environment
   */
  readonly variables?: ConfigVariables;
  /** Folder relative `<IfFile>` paths resolve against (Apache's ServerRoot). @default cwd */
  readonly serverRoot?: string;
  /**
   * Compiles an `<IfVersion ~ regex>` (PCRE in Apache); throws when it does not compile.
   * @default RegExp
   */
  readonly regex?: (pattern: string) => RegExp;
  /**
   * Whether `<Files>`/`<FilesMatch>` are read (for a caller that applies access directives).
   * @default false: refused like any other section
   */
  readonly filesSections?: boolean;
  /**
   * Whether `<If>`/`<ElseIf>`/`<Else>` are read (for a caller that evaluates them per request).
   * @default false: refused
   */
  readonly ifSections?: boolean;
  /**
   * Opens `<Directory>`/`<Location>` (and Match) sections (syntax/directory-sections.ts): for a
   * container opener, its argument error or a `close` that receives the body lines, unread.
   * Without it (or for another opener: undefined) they are refused like any other section.
   */
  readonly containers?: (
    lowerOpener: string,
    args: string,
    pos: SourcePosition,
  ) => ContainerOpening | undefined;
  /**
   * Reads `Include`/`IncludeOptional` (server configuration: syntax/include.ts). Without it they
   * are core's `not allowed here` (an `.htaccess`: RSRC_CONF|ACCESS_CONF).
   */
  readonly includes?: IncludeReader;
}

/**
 * One test of an `<If>` chain: the ap_expr text (unquoted) and whether it must be false (the
 * `<If>`/`<ElseIf>` sections before an `<ElseIf>` or `<Else>`).
 */
export interface IfTest {
  readonly expr: string;
  readonly negate: boolean;
  readonly pos: SourcePosition;
}

/**
 * The tests that must all hold for a line inside `<If>`/`<ElseIf>`/`<Else>` sections (outermost
 * first).
 */
export type IfCondition = readonly IfTest[];

/** One problem found while reading sections (the caller adds its code frame). */
export interface SectionProblem {
  /** `undefined-variable`: AH00111, a warning (the line is read with the `${NAME}` as written). */
  readonly type:
    'args' | 'nesting' | 'unknown' | 'limit' | 'context' | 'file' | 'undefined-variable';
  readonly message: string;
  readonly pos: SourcePosition;
}

type Outcome = boolean | { readonly error: string };

/**
 * A `<Files name>` (apr_fnmatch wildcards), `<Files ~ "re">` or `<FilesMatch "re">` (PCRE) section.
 */
export interface FilesSection {
  /** The opener as written in Apache's spelling, for messages. */
  readonly opener: '<Files' | '<FilesMatch';
  /** true: `pattern` is a regular expression; false: a wildcard name. */
  readonly regex: boolean;
  readonly pattern: string;
  readonly pos: SourcePosition;
}

/** What `SectionEnvironment.containers` answers for a container opener. */
export type ContainerOpening =
  /** `skip`: a section not applied here (ERR_CONTEXT), its body skipped and reading goes on. */
  | { readonly error: string; readonly skip?: boolean; readonly opener?: string }
  | {
      readonly opener: string;
      /** The body's lines, with the section's own opening and closing lines. */
      readonly close: (body: readonly LogicalLine[], open: LogicalLine, end: LogicalLine) => void;
    };

/** A line whose directive applies, with the `<Files>` section it stands in (if any). */
export interface ScopedLine {
  readonly line: LogicalLine;
  readonly files?: FilesSection;
  /** The `<If>` chain it stands in (evaluated per request by the caller). */
  readonly when?: IfCondition;
  /** The innermost `<Limit>`/`<LimitExcept>` around it (limit.ts). */
  readonly limit?: LimitSection;
  /** The innermost `<RequireAll|Any|None>` around it (limit.ts). */
  readonly authz?: AuthzFrame;
}

const isSpace = (c: string | undefined): boolean =>
  c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\f' || c === '\v';

/**
 * Core's `ap_getword_conf`: one word (quotes removed, `\"` and `\\` unescaped), and where the next
 * starts.
 */
export function getWordConf(s: string, from: number): { word: string; next: number } {
  let i = from;
  while (isSpace(s[i])) i++;
  const quote = s[i] === '"' || s[i] === "'" ? s[i] : '';
  let word = '';
  if (quote) {
    i++;
    while (i < s.length && s[i] !== quote) {
      if (s[i] === '\\' && (s[i + 1] === quote || s[i + 1] === '\\')) i++;
      word += s[i++];
    }
    if (s[i] === quote) i++;
  } else {
    while (i < s.length && !isSpace(s[i])) {
      if (s[i] === '\\' && s[i + 1] === '\\') i++;
      word += s[i++];
    }
  }
  while (isSpace(s[i])) i++;
  return { word, next: i };
}

/** A section argument split as ap_getword_conf splits it (empty words dropped). */
function confWords(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const w = getWordConf(text, i);
    if (w.next === i) break;
    i = w.next;
    if (w.word !== '') out.push(w.word);
  }
  return out;
}

/** `start_cond_section`: `[!]word>`; the test sees the first word only (more words are ignored). */
function condSection(name: string, args: string, test: (word: string) => boolean): Outcome {
  const end = args.lastIndexOf('>');
  if (end < 0) return { error: `${name}> directive missing closing '>'` };
  const arg = args.slice(0, end);
  const not = arg[0] === '!';
  const { word } = getWordConf(arg, not ? 1 : 0);
  if (word === '') return { error: `${name}> directive requires additional arguments` };
  return test(word) !== not;
}

/** `<IfFile path>`: stat only, relative to the ServerRoot; never a network path (UNC). */
function fileExists(path: string, env: SectionEnvironment): boolean {
  if (path.startsWith('//') || path.startsWith('\\\\')) return false;
  const full = isAbsolute(path) ? path : resolve(env.serverRoot ?? process.cwd(), path);
  try {
    return statSync(full, { throwIfNoEntry: false }) !== undefined;
  } catch {
    // a NUL byte, a permission problem: not there, like a failed apr_stat
    return false;
  }
}

const VERSION_ERROR =
  'Version appears to be invalid. It must have the format major[.minor[.patch]] where major, minor and patch are numbers.';

/** mod_version's `compare_version`: -1, 0 or 1 against APACHE_VERSION, or an error. */
export function compareVersion(text: string): number | { error: string } {
  if (!/^[0-9]/.test(text)) return { error: VERSION_ERROR };
  const parts: number[] = [];
  let start = 0;
  let p = 0;
  while (p <= text.length && parts.length < 3) {
    if (p === text.length || text[p] === '.') {
      parts.push(Number.parseInt(text.slice(start, p), 10) || 0);
      start = ++p;
      continue;
    }
    if (!/[0-9]/.test(text[p])) break;
    p++;
  }
  if (p < text.length) return { error: VERSION_ERROR };
  const mine = [APACHE_VERSION.major, APACHE_VERSION.minor, APACHE_VERSION.patch];
  for (let i = 0; i < 3; i++) {
    const theirs = parts[i] ?? 0;
    if (mine[i] > theirs) return 1;
    if (mine[i] < theirs) return -1;
  }
  return 0;
}

function matchVersion(pattern: string, env: SectionEnvironment): Outcome {
  let re: RegExp;
  try {
    re = (env.regex ?? ((s: string) => new RegExp(s)))(pattern);
  } catch {
    return { error: 'Unable to compile regular expression' };
  }
  const v = APACHE_VERSION;
  return re.test(`${v.major}.${v.minor}.${v.patch}${v.add}`);
}

/** mod_version's `start_ifversion` (TAKE123 arguments split by `ap_getword_conf`). */
export function ifVersion(args: string, env: SectionEnvironment): Outcome {
  const words: string[] = [];
  let i = 0;
  while (i < args.length && words.length < 3) {
    const w = getWordConf(args, i);
    words.push(w.word);
    i = w.next;
  }
  if (!words[0] || i < args.length)
    return {
      error:
        '<IfVersion takes one, two or three arguments, a comparison operator, a version (and a delimiter)',
    };
  let [op, version, delimiter] = words as [string, string | undefined, string | undefined];
  // one argument is an equality test; a quoted version alone leaves `>` as the second argument
  if (version === undefined) [op, version] = ['=', op];
  if (delimiter === undefined && version === '>') [op, version, delimiter] = ['=', op, '>'];
  let end = version.length;
  if (end === 0 || (delimiter !== '>' && version[--end] !== '>'))
    return { error: "<IfVersion> directive missing closing '>'" };
  let o = op;
  const reverse = o[0] === '!';
  if (reverse && o.length > 1) o = o.slice(1);
  const outcome = versionTest(o, version.slice(0, end), env);
  if (outcome === undefined) return { error: `unrecognized operator '${op}'` };
  return typeof outcome === 'boolean' ? outcome !== reverse : outcome;
}

/** One `<IfVersion>` operator applied (undefined: not an operator Apache knows). */
function versionTest(op: string, version: string, env: SectionEnvironment): Outcome | undefined {
  const c = op[0];
  const tail = op.slice(1);
  if (!(tail === '' || (tail === '=' && c !== '~'))) return undefined;
  if (c === '~') return matchVersion(version, env);
  if (c === '=' && version.startsWith('/')) {
    if (version.length < 2 || !version.endsWith('/'))
      return { error: 'Missing delimiting / of regular expression.' };
    return matchVersion(version.slice(1, -1), env);
  }
  if (c !== '=' && c !== '<' && c !== '>') return undefined;
  const compare = compareVersion(version);
  if (typeof compare !== 'number') return compare;
  if (c === '=') return compare === 0;
  if (c === '<') return compare === -1 || (tail === '=' && compare === 0);
  return compare === 1 || (tail === '=' && compare === 0);
}

/** The conditional sections by lower-case opener, with Apache's spelling and their test. */
const CONDITIONALS = new Map<
  string,
  { readonly name: string; readonly test: (args: string, env: SectionEnvironment) => Outcome }
>([
  ['<ifmodule', { name: '<IfModule', test: (a) => condSection('<IfModule', a, isModuleEmulated) }],
  [
    '<ifdefine',
    {
      name: '<IfDefine',
      test: (a, env) => condSection('<IfDefine', a, (w) => (env.defines ?? []).includes(w)),
    },
  ],
  [
    '<iffile',
    { name: '<IfFile', test: (a, env) => condSection('<IfFile', a, (w) => fileExists(w, env)) },
  ],
  [
    '<ifdirective',
    { name: '<IfDirective', test: (a) => condSection('<IfDirective', a, isDirectiveKnown) },
  ],
  [
    '<ifsection',
    {
      name: '<IfSection',
      test: (a) => condSection('<IfSection', a, (w) => isDirectiveKnown('<' + w)),
    },
  ],
  ['<ifversion', { name: '<IfVersion', test: ifVersion }],
]);

/**
 * Evaluates one conditional opener (`<IfModule`, any case) on its raw arguments; undefined: not
 * conditional.
 */
export function evaluateSection(
  opener: string,
  args: string,
  env: SectionEnvironment = {},
): Outcome | undefined {
  return CONDITIONALS.get(opener.toLowerCase())?.test(args, env);
}

/** The per-request sections by lower-case opener, with Apache's spelling. */
const IF_OPENERS = new Map([
  ['<if', '<If'],
  ['<elseif', '<ElseIf'],
  ['<else', '<Else'],
]);

/**
 * Sections nested deeper than this are refused (Apache recurses without a bound; we keep the stack
 * safe).
 */
export const MAX_SECTION_DEPTH = 256;

/** Thrown to stop reading: Apache gives up on a file at its first nesting error. */
class StopReading extends Error {}

/** The first word of a line and the raw arguments after it (`>` when a `<Section>` has none). */
function splitOpener(text: string): { word: string; args: string } {
  const m = /^\S+/.exec(text);
  const word = m ? m[0] : '';
  let i = word.length;
  while (isSpace(text[i])) i++;
  return { word, args: text.slice(i) };
}

/**
 * Reads `lines` as Apache builds its configuration tree and returns the lines whose directives
 * apply (those outside every section and inside true conditional ones), positions untouched.
 */
export function activeLines(
  lines: readonly LogicalLine[],
  env: SectionEnvironment,
  report: (p: SectionProblem) => void,
): LogicalLine[] {
  return scopedLines(lines, env, report).map((s) => s.line);
}

/** core.c `filesection`: the section's argument (`name`, `~ regex` or, for FilesMatch, `regex`). */
function filesSection(
  opener: '<Files' | '<FilesMatch',
  args: string,
  pos: SourcePosition,
): FilesSection | { error: string } {
  const end = args.lastIndexOf('>');
  if (end < 0) return { error: `${opener}> directive missing closing '>'` };
  const arg = args.slice(0, end);
  // Apache refuses only an empty argument text: `<Files "">` is a (quoted) empty name
  if (arg === '') return { error: `${opener}> directive requires additional arguments` };
  const first = getWordConf(arg, 0);
  const tilde = opener === '<Files' && first.word === '~';
  const { word, next } = tilde ? getWordConf(arg, first.next) : first;
  // recorded from 2.4.71 (conformance case 141): a second word is refused
  if (next < arg.length) return { error: `Multiple ${opener}> arguments not (yet) supported.` };
  if (opener === '<FilesMatch' || tilde) return { opener, regex: true, pattern: word, pos };
  // Apache canonicalises the name (apr_filepath_merge); a name with a `/` never matches a file
  // name the way Apache would compare it: refused rather than guessed
  if (first.word.includes('/'))
    return { error: `<Files "${first.word}">: a name with '/' is not supported by modrewrite` };
  return { opener, regex: false, pattern: first.word, pos };
}

/** Like activeLines, each line with the `<Files>`/`<FilesMatch>` section it stands in. */
export function scopedLines(
  lines: readonly LogicalLine[],
  env: SectionEnvironment,
  report: (p: SectionProblem) => void,
): ScopedLine[] {
  return new SectionReader(lines, env, report).read();
}

/**
 * One reading of a configuration's lines (config.c `ap_build_config` and the section handlers of
 * core.c): walks the lines once, keeping the sections the current line stands in.
 */
class SectionReader {
  private readonly out: ScopedLine[] = [];
  /** The lines to read; an Include line is replaced by the lines it names. */
  private readonly lines: LogicalLine[];
  /**
   * core's Define/UnDefine (EXEC_ON_READ) change what the <IfDefine> sections and the `${NAME}`
   * of the lines after them see.
   */
  private readonly vars: ConfigVariables;
  private readonly env: SectionEnvironment;
  private files: FilesSection | undefined;
  private when: IfCondition | undefined;
  /**
   * The tests of the `<If>`/`<ElseIf>` chain just closed in the current body (for
   * `<ElseIf>`/`<Else>`).
   */
  private chain: IfTest[] | undefined;
  private limit: LimitSection | undefined;
  private authz: AuthzFrame | undefined;
  /** The next line to read. */
  private i = 0;
  private depth = 0;

  constructor(
    lines: readonly LogicalLine[],
    env: SectionEnvironment,
    private readonly report: (p: SectionProblem) => void,
  ) {
    this.lines = [...lines];
    this.vars = env.variables ?? new ConfigVariables({ names: env.defines });
    // the live list: an <IfDefine> sees the Defines read before it
    this.env = { ...env, defines: this.vars.names };
  }

  read(): ScopedLine[] {
    try {
      this.body(undefined);
    } catch (err) {
      if (!(err instanceof StopReading)) throw err;
    }
    return this.out;
  }

  /** Reports a problem that ends the reading (Apache gives up on the file). */
  private fail(type: SectionProblem['type'], message: string, line: LogicalLine): never {
    this.report({ type, message, pos: line.at(0) });
    throw new StopReading();
  }

  /** One level deeper; refused past MAX_SECTION_DEPTH. */
  private enter(line: LogicalLine): void {
    if (++this.depth <= MAX_SECTION_DEPTH) return;
    this.fail('limit', `sections nested deeper than ${MAX_SECTION_DEPTH} levels`, line);
  }

  /** `ap_soak_end_container`: skips to the matching closer, following only the nesting. */
  private soak(name: string, opened: LogicalLine, unclosed: string): void {
    while (this.i < this.lines.length) {
      const line = this.lines[this.i++];
      const { word, args } = splitOpener(line.text);
      if (word[0] !== '<') continue;
      if (word[1] === '/') {
        // Apache drops the last character (meant to be `>`) and compares case-insensitively
        const closer = word.slice(0, -1);
        if (closer.slice(2).toLowerCase() === name.slice(1).toLowerCase()) return;
        this.fail('nesting', `Expected </${name.slice(1)}> but saw ${closer}>`, line);
      }
      const inner = args === '' && word.endsWith('>') ? word.slice(0, -1) : word;
      this.enter(line);
      this.soak(inner, line, `Expected </${inner.slice(1)}> before end of configuration`);
      this.depth--;
    }
    this.fail('nesting', unclosed, opened);
  }

  /**
   * A body read as directives; `closer` is the exact line that ends it (`</ifmodule>`, lower
   * case). false: the lines ran out first (Apache's ap_build_cont_config ends a true section at
   * the end of the file without complaint; the callers that must not, say so).
   */
  private body(closer: string | undefined): boolean {
    while (this.i < this.lines.length) {
      const raw = this.lines[this.i++];
      // ap_build_cont_config looks for the closer before resolving the line
      if (closer !== undefined && raw.text.toLowerCase() === closer) return true;
      // a container's body was resolved (and its Defines run) when it was read: not again
      const fresh = !this.vars.read.has(raw);
      const line = fresh ? this.resolve(raw) : raw;
      const { word, args } = splitOpener(line.text);
      if (word.startsWith('</'))
        this.fail('nesting', `${word} without matching <${word.slice(2)} section`, line);
      if (word.startsWith('<')) this.opener(line, word, args);
      else this.directive(line, word, args, fresh);
    }
    return false;
  }

  /** ap_resolve_env on a line about to be read (AH00111 for an unknown name, as a warning). */
  private resolve(line: LogicalLine): LogicalLine {
    return this.vars.resolve(line, (name, pos) =>
      this.report({
        type: 'undefined-variable',
        message: `Config variable \${${name}} is not defined`,
        pos,
      }),
    );
  }

  /**
   * A container's body (`<Directory>`, `<VirtualHost>`...), compiled later: read now as Apache
   * builds its tree, each line resolved and its Define run in reading order, the conditional
   * sections in it decided (a false one's lines skipped unread).
   */
  private readAhead(name: string, opened: LogicalLine, unclosed: string): void {
    while (this.i < this.lines.length) {
      const line = this.resolve(this.lines[this.i]!);
      this.lines[this.i++] = line;
      this.vars.read.add(line);
      const { word, args } = splitOpener(line.text);
      if (word[0] !== '<') {
        this.define(word, args, line);
        continue;
      }
      if (word[1] === '/') {
        const closer = word.slice(0, -1);
        if (closer.slice(2).toLowerCase() === name.slice(1).toLowerCase()) return;
        this.fail('nesting', `Expected </${name.slice(1)}> but saw ${closer}>`, line);
      }
      const inner = args === '' && word.endsWith('>') ? word.slice(0, -1) : word;
      const conditional = CONDITIONALS.get(inner.toLowerCase());
      const outcome = conditional?.test(args === '' ? '>' : args, this.env);
      if (typeof outcome === 'boolean') this.vars.decided.set(line, outcome);
      const closing = `Expected </${inner.slice(1)}> before end of configuration`;
      this.enter(line);
      if (!conditional || outcome === true) this.readAhead(inner, line, closing);
      else this.soak(inner, line, closing);
      this.depth--;
    }
    this.fail('nesting', unclosed, opened);
  }

  /** core's set_define/unset_define (EXEC_ON_READ): the names and values from here on. */
  private define(word: string, args: string, line: LogicalLine): void {
    const directive = word.toLowerCase();
    if (directive !== 'define' && directive !== 'undefine') return;
    const words = confWords(args);
    // a wrong count is the directive's own error (syntax/mime.ts): nothing runs
    if (words.length < 1 || words.length > (directive === 'define' ? 2 : 1)) return;
    const name = words[0]!;
    if (name.includes(':')) {
      // server configuration only: in an .htaccess, Define is "not allowed here" first
      if (this.env.includes)
        this.report({
          type: 'args',
          message: "Variable name must not contain ':'",
          pos: line.at(0),
        });
      return;
    }
    if (directive === 'define') this.vars.define(name, words[1]);
    else this.vars.undefine(name);
  }

  /** A directive line: tagged with the sections it stands in. */
  private directive(line: LogicalLine, word: string, args: string, fresh: boolean): void {
    const lower = word.toLowerCase();
    if (lower === 'include' || lower === 'includeoptional')
      return this.include(line, word, lower === 'includeoptional', args);
    const { files, when, limit, authz } = this;
    this.chain = undefined;
    if (fresh) this.define(word, args, line);
    this.out.push({
      line,
      ...(files && { files }),
      ...(when && { when }),
      ...(limit && { limit }),
      ...(authz && { authz }),
    });
  }

  /**
   * core.c `include_config` (EXEC_ON_READ): the named files' lines are read next, in place of
   * this one, inside the sections it stands in (a container's body is read later, by the same
   * IncludeReader, which keeps the nesting depth).
   */
  private include(line: LogicalLine, word: string, optional: boolean, args: string): void {
    if (!this.env.includes) this.fail('context', `${word} not allowed here`, line);
    const words = confWords(args);
    if (words.length !== 1) this.fail('args', `${word} takes one argument`, line);
    const read = this.env.includes.lines(words[0]!, optional, line);
    if ('error' in read) {
      const type = read.kind === 'file' ? 'file' : read.kind;
      this.fail(type, read.error, read.line ?? line);
    }
    this.lines.splice(this.i, 0, ...read);
  }

  /** A section opener inside a body: `<If>` chains keep their place, others end a chain. */
  private opener(line: LogicalLine, word: string, args: string): void {
    this.enter(line);
    const lower = word.replace(/>$/, '').toLowerCase();
    if (this.env.ifSections && IF_OPENERS.has(lower)) this.readIf(line, lower, args);
    else {
      this.chain = undefined;
      this.section(line, word, args);
      this.chain = undefined;
    }
    this.depth--;
  }

  /** Any other section: `<Files>`, `<Limit>`, a container, `<RequireAll>`, a conditional. */
  private section(line: LogicalLine, word: string, rawArgs: string): void {
    const opener = word.endsWith('>') ? word.slice(0, -1) : word;
    const args = rawArgs === '' ? '>' : rawArgs;
    const lower = opener.toLowerCase();
    const { env } = this;
    if (env.filesSections && (lower === '<files' || lower === '<filesmatch'))
      return this.readFiles(line, lower === '<files' ? '<Files' : '<FilesMatch', args);
    if (env.filesSections && (lower === '<limit' || lower === '<limitexcept'))
      return this.readLimit(line, lower === '<limit' ? '<Limit' : '<LimitExcept', args);
    const container = env.containers?.(lower, args, line.at(0));
    if (container) return this.readContainer(line, container);
    const frame = env.filesSections ? authzSection(lower, args, this.authz, line.at(0)) : undefined;
    if (frame) return this.readAuthz(line, frame);
    this.readConditional(line, opener, lower, args);
  }

  /**
   * `<IfModule>` & co.: a true one's body is read, a false one's skipped; anything else is unknown.
   */
  private readConditional(line: LogicalLine, opener: string, lower: string, args: string): void {
    const conditional = CONDITIONALS.get(lower);
    if (!conditional) {
      this.report({
        type: 'unknown',
        message: `Invalid command '${opener}', perhaps misspelled or defined by a module not included in the server configuration`,
        pos: line.at(0),
      });
      this.soak(opener, line, `${opener}> was not closed.`);
      return;
    }
    // decided already when it stands in a container's body (readAhead)
    const outcome = this.vars.decided.get(line) ?? conditional.test(args, this.env);
    if (typeof outcome !== 'boolean') this.fail('args', outcome.error, line);
    const name = conditional.name;
    if (outcome) this.body(`</${name.slice(1).toLowerCase()}>`);
    else this.soak(name, line, `Expected </${name.slice(1)}> before end of configuration`);
  }

  /**
   * core.c `ifsection`: `<If expr>`, `<ElseIf expr>` (after an `<If>`/`<ElseIf>` in the same
   * body), `<Else>`. The body's lines are tagged with the chain of tests that must hold.
   */
  private readIf(line: LogicalLine, lower: string, rawArgs: string): void {
    const name = IF_OPENERS.get(lower)!;
    const { before, own } = this.ifTests(line, name, rawArgs === '' ? '>' : rawArgs);
    const outer = this.when;
    this.when = [...(outer ?? []), ...before, ...own];
    this.chain = undefined;
    const closed = this.body(`</${name.slice(1).toLowerCase()}>`);
    this.when = outer;
    if (!closed) this.fail('args', `${name}> was not closed.`, line);
    this.chain =
      name === '<Else' ? undefined : [...before.map((t) => ({ ...t, negate: false })), ...own];
  }

  /** An `<If>` section's tests: the earlier ones of its chain (negated), and its own. */
  private ifTests(
    line: LogicalLine,
    name: string,
    args: string,
  ): { before: IfTest[]; own: IfTest[] } {
    const end = args.lastIndexOf('>');
    if (end < 0) this.fail('args', `${name}> directive missing closing '>'`, line);
    const raw = args.slice(0, end).trim();
    if (name === '<Else' && raw !== '') this.fail('args', '<Else> does not take an argument', line);
    if (name !== '<Else' && raw === '') this.fail('args', `${name}> requires an expression`, line);
    if (name !== '<If' && this.chain === undefined)
      this.fail(
        'args',
        `${name}> section without previous <If> or <ElseIf> section in same scope`,
        line,
      );
    const before = name === '<If' ? [] : this.chain!.map((t) => ({ ...t, negate: true }));
    if (name === '<Else') return { before, own: [] };
    const expr = /^["']/.test(raw) ? getWordConf(raw, 0).word : raw;
    return { before, own: [{ expr, negate: false, pos: line.at(0) }] };
  }

  /**
   * The sections a `<Files>` or a container may not stand in (Apache refuses, or merges otherwise).
   */
  private outerSection(): string | undefined {
    return this.files?.opener ?? this.limit?.opener ?? this.authz?.opener;
  }

  /**
   * Reads a body that must be closed (`<Files>`, `<Limit>`, `<RequireAll>`: recorded, case 141).
   */
  private closedBody(line: LogicalLine, opener: string): void {
    if (!this.body(`</${opener.slice(1).toLowerCase()}>`))
      this.fail('nesting', `${opener}> was not closed.`, line);
  }

  /** A `<Files>` body: read as directives, each tagged with the section. */
  private readFiles(line: LogicalLine, opener: '<Files' | '<FilesMatch', args: string): void {
    const parsed = filesSection(opener, args, line.at(0));
    if ('error' in parsed) this.fail('args', parsed.error, line);
    const outer = this.outerSection();
    // Apache merges a nested <Files> in a way modrewrite does not model, and refuses <Files>
    // inside <Limit> or <RequireAll>: refused (fail closed)
    if (outer)
      this.fail('nesting', `${opener}> inside ${outer}> is not supported by modrewrite`, line);
    this.files = parsed;
    try {
      this.closedBody(line, opener);
    } finally {
      this.files = undefined;
    }
  }

  /**
   * core.c `dirsection`/`urlsection`: the body is handed over unread, for the caller to compile.
   */
  private readContainer(line: LogicalLine, opening: ContainerOpening): void {
    if ('error' in opening && opening.skip) {
      this.report({ type: 'context', message: opening.error, pos: line.at(0) });
      this.soak(opening.opener!, line, `${opening.opener}> was not closed.`);
      return;
    }
    if ('error' in opening) this.fail('args', opening.error, line);
    const outer = this.outerSection() ?? (this.when && '<If');
    if (outer) this.fail('nesting', `${opening.opener} not allowed in ${outer}> context`, line);
    const start = this.i;
    this.readAhead(opening.opener, line, `${opening.opener}> was not closed.`);
    opening.close(this.lines.slice(start, this.i - 1), line, this.lines[this.i - 1]);
  }

  /** A `<Limit>`/`<LimitExcept>` body: its lines tagged with the methods they are limited to. */
  private readLimit(line: LogicalLine, opener: '<Limit' | '<LimitExcept', args: string): void {
    const end = args.lastIndexOf('>');
    const parsed =
      end < 0
        ? { error: `${opener}> directive missing closing '>'` }
        : limitSection(opener, confWords(args.slice(0, end)), this.limit, line.at(0));
    if ('error' in parsed) this.fail('args', parsed.error, line);
    const outer = this.limit;
    this.limit = parsed;
    try {
      this.closedBody(line, opener);
    } finally {
      this.limit = outer;
    }
  }

  /** A `<RequireAll|Any|None>` body; Apache refuses one without any directive in it. */
  private readAuthz(line: LogicalLine, frame: AuthzFrame | { error: string }): void {
    if ('error' in frame) this.fail('args', frame.error, line);
    const before = this.out.length;
    this.authz = frame;
    try {
      this.closedBody(line, frame.opener);
    } finally {
      this.authz = frame.parent;
    }
    if (this.out.length === before)
      this.fail('args', `${frame.opener}> directive contains no authorization directives`, line);
  }
}
