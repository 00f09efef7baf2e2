/**
 * PCRE (as Apache compiles it: DOTALL, DOLLAR_ENDONLY) → JavaScript RegExp source.
 * Subjects are byte strings (one char per byte, see common/bytes.ts), so patterns are converted to
 * the same form and match byte-wise like PCRE without UTF mode.
 *
 * The translator is one left-to-right pass in which every step consumes at least one character, so
 * it ends on every input; malformed constructs throw a positioned PcreError (offsets are in the
 * pattern as given).
 */

import { setFlagsFromString } from 'node:v8';

/**
 * ReDoS guard. Rules are written by users, URLs by attackers: a pattern like `^(a+)+$` backtracks
 * exponentially in V8's Irregexp (28 characters already take seconds), where Apache's PCRE stops at
 * its match limit. V8 can switch such a regexp to its linear-time engine once it has backtracked
 * too much; the matches are the same. The switch is process-wide and applies to regexps compiled
 * after it, so it is turned on here, before any rule is compiled. Opt out with
 * MODREWRITE_REGEXP_FALLBACK=0.
 *
 * The linear engine takes only some regexps: no `i` flag, no back-references, no lookaround, no
 * bounded quantifier above 16. So the translation avoids what it can ([NC] becomes `[aA]` classes,
 * a final `\Z` becomes `(\n?)$`), asks V8 whether the result can run linearly (the `l` flag of
 * `--enable-experimental-regexp-engine` refuses what it cannot run), and refuses at load a pattern
 * that cannot AND has the shape of exponential backtracking (a repeated group that contains a
 * quantifier or an alternation). See `compilePcre`.
 */
// (no `process` in a browser: explain() there keeps the engine's default)
if (globalThis.process?.env?.MODREWRITE_REGEXP_FALLBACK !== '0') {
  try {
    setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  } catch {
    // a runtime without the flag keeps plain backtracking
  }
}
try {
  // only makes the `l` flag known, used below to ask V8 whether a regexp can run in linear time
  setFlagsFromString('--enable-experimental-regexp-engine');
} catch {
  // no probe: linearLimit() then reports nothing
}

const LINEAR_PROBE_AVAILABLE = ((): boolean => {
  try {
    return new RegExp('a', 'l').flags.includes('l');
  } catch {
    return false;
  }
})();

export class PcreError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly unsupported: boolean,
  ) {
    super(message);
  }
}

/** POSIX classes PCRE knows, as code ranges (inclusive). A Map: class names are rule text. */
type Range = readonly [number, number];

const POSIX = new Map<string, readonly Range[]>([
  [
    'alpha',
    [
      [0x41, 0x5a],
      [0x61, 0x7a],
    ],
  ],
  ['digit', [[0x30, 0x39]]],
  [
    'alnum',
    [
      [0x30, 0x39],
      [0x41, 0x5a],
      [0x61, 0x7a],
    ],
  ],
  ['upper', [[0x41, 0x5a]]],
  ['lower', [[0x61, 0x7a]]],
  [
    'space',
    [
      [0x09, 0x0d],
      [0x20, 0x20],
    ],
  ],
  [
    'blank',
    [
      [0x09, 0x09],
      [0x20, 0x20],
    ],
  ],
  [
    'punct',
    [
      [0x21, 0x2f],
      [0x3a, 0x40],
      [0x5b, 0x60],
      [0x7b, 0x7e],
    ],
  ],
  [
    'xdigit',
    [
      [0x30, 0x39],
      [0x41, 0x46],
      [0x61, 0x66],
    ],
  ],
  [
    'word',
    [
      [0x30, 0x39],
      [0x41, 0x5a],
      [0x5f, 0x5f],
      [0x61, 0x7a],
    ],
  ],
  [
    'cntrl',
    [
      [0x00, 0x1f],
      [0x7f, 0x7f],
    ],
  ],
  ['print', [[0x20, 0x7e]]],
  ['graph', [[0x21, 0x7e]]],
  ['ascii', [[0x00, 0x7f]]],
]);

/** What a translation found out about the pattern. */
export interface TranslatedRegex {
  readonly source: string;
  /** The `i` flag is needed ([NC] with back-references, which must compare caselessly). */
  readonly ignoreCase: boolean;
  /** ASCII letters were folded into `[aA]` classes ([NC] or a leading `(?i)`). */
  readonly folded: boolean;
  /** A final `\Z` became the extra last group `(\n?)$`, to be removed from match results. */
  readonly trailingNewlineGroup: boolean;
  /**
   * The JavaScript group numbers of the groups added for atomic groups and possessive quantifiers
   * (`(?=(X))\N`), ascending: removed from match results, so the captures keep PCRE's numbers.
   */
  readonly hiddenGroups: readonly number[];
  /** Uses constructs V8's linear engine cannot run (for the error message). */
  readonly nonLinearConstructs: readonly string[];
  /**
   * Offset of a repeated group whose body holds a quantifier or `|` (exponential backtracking
   * shape).
   */
  readonly nestedQuantifierAt?: number;
}

const isLetter = (code: number): boolean =>
  (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
const otherCase = (code: number): number => code ^ 0x20;
const hex = (code: number): string =>
  code <= 0xff
    ? '\\x' + code.toString(16).padStart(2, '0')
    : '\\u' + code.toString(16).padStart(4, '0');
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,31}$/;
const QUANTIFIER = /\{(\d+)(?:(,)(\d*))?\}/y;
const POSIX_ITEM = /\[([:.=])(\^?)([^\]]*?)\1\]/y;

/** Characters that need a backslash to be literal outside a class in a JS regexp. */
const SYNTAX_CHARS = new Set([
  '\\',
  '^',
  '$',
  '.',
  '*',
  '+',
  '?',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '|',
  '/',
]);

/**
 * An open group; `risky` once its body holds a quantifier or `|`. Lookarounds are atomic in JS:
 * their body's risk stays inside.
 */
interface GroupFrame {
  readonly start: number;
  readonly lookaround: boolean;
  risky: boolean;
  /** Where the group starts in the output, and how many capturing groups were opened before it. */
  readonly outStart: number;
  readonly capturesBefore: number;
  /** Caseless matching in force where the group opened: restored when it closes (`(?i:`). */
  readonly foldBefore: boolean;
  /** An atomic group `(?>`: the JavaScript number of the group its emulation captures into. */
  readonly atomic?: number;
}

/** The last thing emitted, for a quantifier that follows it. */
interface Atom {
  readonly start: number;
  readonly replicable: boolean;
}

/** A single-character atom in translated source (char, escape, class, dot): safe to write twice. */
const SIMPLE_ATOM =
  /^(?:[^\\[\](){}|^$*+?]|\\(?:x[0-9a-f]{2}|u[0-9a-f]{4}|[dDwWsStnrfv]|[^A-Za-z0-9])|\[(?:[^\]\\]|\\.)*\]|\.)$/;

/**
 * Largest bound expanded into chunks of 16 (bigger bounds stay as written, off the linear engine).
 */
const MAX_EXPANDED_BOUND = 1024;

/** Whether the backtracking engine falls back to the linear one (the expansion relies on it). */
const FALLBACK_ENABLED = process.env.MODREWRITE_REGEXP_FALLBACK !== '0';

/**
 * PCRE escapes that are a fixed JavaScript text. PCRE's `\v` is vertical whitespace, not
 * JavaScript's vertical tab (checked with grep -P).
 */
const ESCAPE_TEXT: ReadonlyMap<string, string> = new Map([
  ['A', '^'],
  ['z', '$'],
  ['h', '[ \\t]'],
  ['H', '[^ \\t]'],
  ['v', '[\\n\\x0b\\f\\r\\x85]'],
  ['V', '[^\\n\\x0b\\f\\r\\x85]'],
]);

/**
 * `atom{min,max}` as chunks of at most 16, which V8's linear engine accepts (it refuses any bound
 * above 16): `x{1,40}` → `x{1}x{0,16}x{0,16}x{0,7}`. Same language, and the same first match: a
 * backtracking engine reaches the greatest (lazy: smallest) total count first either way, and the
 * atom holds no capture.
 */
function chunkedQuantifier(atom: string, min: number, max: number, lazy: string): string {
  let out = '';
  for (let need = min; need > 0; need -= 16) out += `${atom}{${Math.min(16, need)}}`;
  if (max === Infinity) return out + `${atom}*${lazy}`;
  for (let optional = max - min; optional > 0; optional -= 16)
    out += `${atom}{0,${Math.min(16, optional)}}${lazy}`;
  return out;
}

/**
 * One translation pass. `fold` turns ASCII letters into `[aA]` classes (caseless matching on
 * bytes).
 */
class Translator {
  private i = 0;
  private out = '';
  private readonly groups: GroupFrame[] = [];
  private lastClosed: GroupFrame | undefined;
  private lastAtom: Atom | undefined;
  private captures = 0;
  /** JavaScript group number of each PCRE group (index: PCRE's number), hidden groups counted. */
  private readonly jsGroup: number[] = [0];
  readonly hiddenGroups: number[] = [];
  private forwardRef = false;
  readonly nonLinear = new Set<string>();
  hasBackref = false;
  trailingNewlineGroup = false;
  nestedQuantifierAt: number | undefined;

  constructor(
    private readonly p: string,
    private fold: boolean,
  ) {}

  run(start: number): string {
    this.i = start;
    while (this.i < this.p.length) {
      const before = this.i;
      this.step();
      // every step consumes input: the loop cannot spin (issue 9, item 14)
      if (this.i <= before)
        throw new PcreError('internal error: translator made no progress', before, false);
    }
    if (this.forwardRef && this.hiddenGroups.length)
      throw new PcreError(
        'a forward back-reference with an atomic group or possessive quantifier is not supported',
        start,
        true,
      );
    const unclosed = this.groups[this.groups.length - 1];
    // positioned at the group left open (PCRE reports the end of the pattern; the `(` is more
    // useful)
    if (unclosed) throw new PcreError('missing closing parenthesis', unclosed.start, false);
    return this.out;
  }

  private step(): void {
    const c = this.p[this.i] ?? '';
    const closed = this.lastClosed;
    const atom = this.lastAtom;
    this.lastClosed = undefined;
    this.lastAtom = undefined;
    if (c === '*' || c === '+' || c === '?' || c === '{') return this.quantifier(c, closed, atom);
    const start = this.out.length;
    this.atomStep(c);
    // atomStep may have closed a group (TS cannot see the field change)
    const g = this.lastClosed as GroupFrame | undefined;
    if (g) {
      this.lastAtom = {
        start: g.outStart,
        replicable: !g.lookaround && g.capturesBefore === this.captures,
      };
    } else if (this.out.length > start) {
      this.lastAtom = { start, replicable: SIMPLE_ATOM.test(this.out.slice(start)) };
    }
  }

  private atomStep(c: string): void {
    if (c === '\\') return this.escape();
    if (c === '[') return this.charClass();
    if (c === '(') return this.openGroup();
    if (c === ')') return this.closeGroup();
    if (c === '|') {
      this.markRisky();
      this.out += c;
      this.i++;
      return;
    }
    // anchors and the dot keep their meaning (DOTALL is the `s` flag, DOLLAR_ENDONLY is JS's `$`)
    if (c === '^' || c === '$' || c === '.') {
      this.out += c;
      this.i++;
      return;
    }
    this.emitChar(c.charCodeAt(0));
    this.i++;
  }

  /** A literal character: folded when caseless, escaped when JS would read it as syntax. */
  private emitChar(code: number): void {
    const ch = String.fromCharCode(code);
    if (this.fold && isLetter(code)) this.out += `[${ch}${String.fromCharCode(otherCase(code))}]`;
    else if (SYNTAX_CHARS.has(ch)) this.out += '\\' + ch;
    else this.out += code >= 0x20 && code < 0x7f ? ch : hex(code);
  }

  private markRisky(): void {
    const top = this.groups[this.groups.length - 1];
    if (top) top.risky = true;
  }

  private quantifier(c: string, closed: GroupFrame | undefined, atom: Atom | undefined): void {
    let text = c;
    let chunked: { min: number; max: number } | undefined;
    if (c === '{') {
      QUANTIFIER.lastIndex = this.i;
      const m = QUANTIFIER.exec(this.p);
      if (!m) {
        this.out += '\\{';
        this.i++;
        return;
      } // not a quantifier: a literal { in PCRE
      text = m[0];
      const min = Number(m[1] ?? '');
      const max = m[2] ? (m[3] ? Number(m[3]) : Infinity) : min;
      // PCRE refuses bounds above 65535 (CVE-2005-2491 class); JS would accept them
      if (min > 65535 || (max !== Infinity && max > 65535))
        throw new PcreError('number too big in {} quantifier', this.i, false);
      if (min > 16 || (max !== Infinity && max > 16)) {
        const expandable =
          FALLBACK_ENABLED &&
          atom?.replicable &&
          (max === Infinity ? min : max) <= MAX_EXPANDED_BOUND;
        if (expandable) chunked = { min, max };
        else this.nonLinear.add('a bounded quantifier above 16');
      }
      if (closed?.risky && closed.atomic === undefined && max > 1) this.noteNested(closed.start);
    } else if (closed?.risky && closed.atomic === undefined && c !== '?') {
      // (an atomic group's body is never backtracked into: repeating it is not the shape)
      this.noteNested(closed.start);
    }
    this.i += text.length;
    if (this.p[this.i] === '+') return this.possessive(text, atom, chunked);
    this.markRisky();
    const lazy = this.p[this.i] === '?' ? '?' : '';
    this.i += lazy.length;
    if (chunked && atom) {
      const atomText = this.out.slice(atom.start);
      this.out =
        this.out.slice(0, atom.start) + chunkedQuantifier(atomText, chunked.min, chunked.max, lazy);
      return;
    }
    this.out += text + lazy;
  }

  /**
   * `X*+` (PCRE's possessive quantifier, Mezzio's `[^:]*+`) is the atomic group `(?>X*)`: it is
   * emulated as `(?=(X*))\N`, the lookahead's capture matched again (what a lookahead matched is
   * never backtracked into). Its risk stays inside. Only for an atom without a capturing group:
   * the added group would come before those inside it and renumber them.
   */
  private possessive(
    text: string,
    atom: Atom | undefined,
    chunked: { min: number; max: number } | undefined,
  ): void {
    const at = this.i - text.length;
    const inner = atom ? this.out.slice(atom.start) : '';
    if (!atom || /\((?!\?)|\(\?<(?![=!])/.test(inner.replace(/\\./g, '')))
      throw new PcreError(`possessive quantifier '${text}+' is not supported here`, at, true);
    this.i++;
    const quantified = chunked
      ? chunkedQuantifier(inner, chunked.min, chunked.max, '')
      : inner + text;
    const n = this.hideGroup();
    this.out = this.out.slice(0, atom.start) + `(?=(${quantified}))\\${n}`;
  }

  /** A group added by the translation: its JavaScript number (PCRE's groups after it shift). */
  private hideGroup(): number {
    const n = this.captures + this.hiddenGroups.length + 1;
    this.hiddenGroups.push(n);
    this.nonLinear.add('an atomic group or possessive quantifier');
    return n;
  }

  private noteNested(at: number): void {
    if (this.nestedQuantifierAt === undefined) this.nestedQuantifierAt = at;
  }

  private openGroup(): void {
    const start = this.i;
    this.groups.push({
      start,
      lookaround: false,
      risky: false,
      outStart: this.out.length,
      capturesBefore: this.captures,
      foldBefore: this.fold,
    });
    if (this.p[this.i + 1] !== '?') {
      this.openCapture();
      this.out += '(';
      this.i++;
      return;
    }
    const rest = this.p.slice(this.i + 2, this.i + 8);
    if (this.groupConstruct(rest)) return;
    this.groups.pop();
    if (this.inlineOptions()) return;
    if (rest.startsWith('P=')) return this.namedBackref();
    if (rest.startsWith('#')) return this.comment();
    throw unsupportedGroup(rest, start);
  }

  private openCapture(): void {
    this.captures++;
    this.jsGroup[this.captures] = this.captures + this.hiddenGroups.length;
  }

  /** `(?:`, a lookaround or a named group, from `rest` (what follows `(?`); false: none of them. */
  private groupConstruct(rest: string): boolean {
    const two = rest.slice(0, 2);
    if (rest.startsWith(':')) {
      this.out += '(?:';
      this.i += 3;
    } else if (rest.startsWith('=') || rest.startsWith('!')) this.lookaround(3);
    else if (two === '<=' || two === '<!') this.lookaround(4);
    else if (rest.startsWith('>')) this.atomicGroup();
    else if (rest.startsWith('P<')) this.namedGroup(this.i + 4, '>');
    else if (rest.startsWith('<')) this.namedGroup(this.i + 3, '>');
    else if (rest.startsWith("'")) this.namedGroup(this.i + 3, "'");
    else return false;
    return true;
  }

  /**
   * PCRE's inline options inside a pattern (TYPO3's `(?i:^\.|...)`, Shopware's `\.(?i:svg)$`):
   * `(?i:...)` / `(?-i:...)` is a non-capturing group with caseless matching switched on or off
   * inside it; `(?i)` / `(?-i)` switches it for the rest of the enclosing group. `s` is always on
   * (Apache compiles with DOTALL), so only `s` and `i` are accepted; false: not an option group.
   */
  private inlineOptions(): boolean {
    const m = /^\(\?(i|s|is|si|-i|s-i)?(:|\))/.exec(this.p.slice(this.i));
    if (!m?.[1]) return false;
    const fold = m[1].includes('-i') ? false : m[1].includes('i') ? true : this.fold;
    if (m[2] === ')') {
      this.fold = fold;
      this.i += m[0].length;
      return true;
    }
    this.groups.push({
      start: this.i,
      lookaround: false,
      risky: false,
      outStart: this.out.length,
      capturesBefore: this.captures,
      foldBefore: this.fold,
    });
    this.fold = fold;
    this.out += '(?:';
    this.i += m[0].length;
    return true;
  }

  /** `(?>X)`: emulated as `(?=(X))\N` (see possessive); its risk stays inside. */
  private atomicGroup(): void {
    const frame = this.groups.pop();
    const atomic = this.hideGroup();
    this.groups.push({ ...(frame as GroupFrame), lookaround: true, atomic });
    // in a group of its own: a quantifier after it repeats the whole emulation
    this.out += '(?:(?=(';
    this.i += 3;
  }

  private lookaround(width: number): void {
    this.groups.pop();
    this.groups.push({
      start: this.i,
      lookaround: true,
      risky: false,
      outStart: this.out.length,
      capturesBefore: this.captures,
      foldBefore: this.fold,
    });
    this.nonLinear.add('lookaround');
    this.out += this.p.slice(this.i, this.i + width);
    this.i += width;
  }

  /** `(?<name>`, `(?P<name>`, `(?'name'`: the name is copied as written (never case-folded). */
  private namedGroup(nameStart: number, close: string): void {
    const end = this.p.indexOf(close, nameStart);
    const name = end < 0 ? '' : this.p.slice(nameStart, end);
    if (!NAME.test(name))
      throw new PcreError(
        'syntax error in subpattern name (missing terminator?)',
        nameStart,
        false,
      );
    this.openCapture();
    this.out += `(?<${name}>`;
    this.i = end + 1;
  }

  /** `(?P=name)`: a named back-reference. A missing `)` is an error (it used to loop forever). */
  private namedBackref(): void {
    const nameStart = this.i + 4;
    const end = this.p.indexOf(')', nameStart);
    const name = end < 0 ? '' : this.p.slice(nameStart, end);
    if (!NAME.test(name))
      throw new PcreError(
        'syntax error in subpattern name (missing terminator?)',
        nameStart,
        false,
      );
    this.backref(`\\k<${name}>`);
    this.i = end + 1;
  }

  private backref(js: string): void {
    this.hasBackref = true;
    this.nonLinear.add('a back-reference');
    this.out += js;
  }

  private comment(): void {
    const end = this.p.indexOf(')', this.i);
    if (end < 0) throw new PcreError('missing ) after (?# comment', this.i, false);
    this.i = end + 1;
  }

  private closeGroup(): void {
    const frame = this.groups.pop();
    if (!frame) throw new PcreError('unmatched closing parenthesis', this.i, false);
    this.fold = frame.foldBefore;
    // what makes a group risky makes its parent risky too
    if (frame.risky && !frame.lookaround) this.markRisky();
    this.lastClosed = frame;
    this.out += frame.atomic === undefined ? ')' : `))\\${frame.atomic})`;
    this.i++;
  }

  private escape(): void {
    const at = this.i;
    const n = this.p[at + 1];
    if (n === undefined) throw new PcreError('\\ at end of pattern', at, false);
    this.i += 2;
    const fixed = ESCAPE_TEXT.get(n);
    if (fixed !== undefined) {
      this.out += fixed;
      return;
    }
    if (this.escapeSequence(n, at)) return;
    if ('GKRXCpPgN'.includes(n)) throw new PcreError(`escape '\\${n}' is not supported`, at, true);
    if ('FLlUu'.includes(n))
      throw new PcreError(
        'PCRE2 does not support \\F, \\L, \\l, \\N{name}, \\U, or \\u',
        at,
        false,
      );
    if (n >= '1' && n <= '9') {
      const k = Number(n);
      // a reference to a group not yet opened cannot know how many added groups precede it
      if (k > this.captures) this.forwardRef = true;
      this.backref('\\' + (this.jsGroup[k] ?? k));
      return;
    }
    if (isLetter(n.charCodeAt(0)) || n === '0') {
      this.out += '\\' + n;
      return;
    }
    this.emitChar(n.charCodeAt(0));
  }

  /** `\Z \c \e \a \E \Q \x \k` (`at` is the backslash): false when `n` is none of them. */
  private escapeSequence(n: string, at: number): boolean {
    switch (n) {
      case 'Z':
        this.endOfSubject();
        return true;
      case 'c':
        this.emitChar(this.controlEscape(at));
        return true;
      case 'e':
        this.emitChar(0x1b);
        return true;
      case 'a':
        this.emitChar(0x07);
        return true;
      case 'E':
        return true;
      case 'Q':
        this.quoted(false);
        return true;
      case 'x':
        this.emitChar(this.hexEscape(at));
        return true;
      case 'k':
        this.namedBackrefEscape(at);
        return true;
      default:
        return false;
    }
  }

  /**
   * `\Z`: end of subject or before a final newline. As the pattern's last token outside any group
   * it becomes `(\n?)$` (linear; the extra last group is removed from results, so `$0` keeps PCRE's
   * value); elsewhere it needs the lookahead `(?=\n?$)`.
   */
  private endOfSubject(): void {
    if (this.i === this.p.length && this.groups.length === 0) {
      this.out += '(\\n?)$';
      this.trailingNewlineGroup = true;
      return;
    }
    this.nonLinear.add('lookaround (\\Z not at the end)');
    this.out += '(?=\\n?$)';
  }

  /** `\Q...\E` (or to the end): every character literal. */
  private quoted(inClass: boolean): string {
    const end = this.p.indexOf('\\E', this.i);
    const stop = end < 0 ? this.p.length : end;
    const text = this.p.slice(this.i, stop);
    this.i = end < 0 ? this.p.length : end + 2;
    if (inClass) return text;
    for (let k = 0; k < text.length; k++) this.emitChar(text.charCodeAt(k));
    return '';
  }

  /** `\xHH` (0–2 hex digits) or `\x{HH}`; returns the code. `at` is the backslash. */
  private hexEscape(at: number): number {
    if (this.p[this.i] === '{') {
      const end = this.p.indexOf('}', this.i);
      const digits = end < 0 ? '' : this.p.slice(this.i + 1, end);
      const code = /^[0-9A-Fa-f]+$/.test(digits) ? parseInt(digits, 16) : NaN;
      if (Number.isNaN(code) || code > 0xff)
        throw new PcreError('\\x{...} above \\xff or malformed needs UTF mode', at, true);
      this.i = end + 1;
      return code;
    }
    const m = /^[0-9A-Fa-f]{0,2}/.exec(this.p.slice(this.i, this.i + 2));
    const digits = m?.[0] ?? '';
    this.i += digits.length;
    return digits ? parseInt(digits, 16) : 0;
  }

  /** `\cX`: the control character of X (PCRE upper-cases X first). `at` is the backslash. */
  private controlEscape(at: number): number {
    const x = this.p[this.i];
    if (x === undefined) throw new PcreError('\\c at end of pattern', at, false);
    this.i++;
    return x.toUpperCase().charCodeAt(0) ^ 0x40;
  }

  /** `\k<name>`, `\k'name'`, `\k{name}`. */
  private namedBackrefEscape(at: number): void {
    const open = this.p[this.i];
    const close = open === '<' ? '>' : open === "'" ? "'" : open === '{' ? '}' : undefined;
    if (!close)
      throw new PcreError(
        '\\k is not followed by a braced, angle-bracketed, or quoted name',
        at,
        false,
      );
    const end = this.p.indexOf(close, this.i + 1);
    const name = end < 0 ? '' : this.p.slice(this.i + 1, end);
    if (!NAME.test(name))
      throw new PcreError(
        'syntax error in subpattern name (missing terminator?)',
        this.i + 1,
        false,
      );
    this.backref(`\\k<${name}>`);
    this.i = end + 1;
  }

  /**
   * A character class: parsed into items, letters folded when caseless, written with \x escapes.
   */
  private charClass(): void {
    const start = this.i;
    this.i++;
    let negate = '';
    if (this.p[this.i] === '^') {
      negate = '^';
      this.i++;
    }
    const ranges: Range[] = [];
    const sets: string[] = [];
    let first = true;
    for (;;) {
      const c = this.p[this.i];
      if (c === undefined)
        throw new PcreError('missing terminating ] for character class', start, false);
      if (c === ']' && !first) {
        this.i++;
        break;
      }
      first = false;
      const lo = this.classAtom(ranges, sets);
      if (lo === undefined) continue;
      const dash = this.i;
      if (this.p[dash] !== '-' || this.p[dash + 1] === ']' || this.p[dash + 1] === undefined) {
        ranges.push([lo, lo]);
        continue;
      }
      this.i++;
      const hi = this.classAtom(ranges, sets, true);
      if (hi === undefined) throw new PcreError('invalid range in character class', dash, false);
      if (hi < lo) throw new PcreError('range out of order in character class', dash, false);
      ranges.push([lo, hi]);
    }
    if (this.fold) ranges.push(...foldedRanges(ranges));
    const body =
      ranges.map(([a, b]) => (a === b ? hex(a) : `${hex(a)}-${hex(b)}`)).join('') + sets.join('');
    this.out += `[${negate}${body}]`;
  }

  /**
   * One class item: a character code, or undefined for a set (`\d`, `[:alpha:]`, `\Q..\E`, ...),
   * which is added to `ranges` or `sets`. As a range's end (`asRangeEnd`) a set is an error.
   */
  private classAtom(ranges: Range[], sets: string[], asRangeEnd = false): number | undefined {
    const at = this.i;
    const c = this.p[at] ?? '';
    if (c === '[') {
      POSIX_ITEM.lastIndex = at;
      const posix = POSIX_ITEM.exec(this.p);
      if (posix) {
        if (asRangeEnd) return undefined;
        ranges.push(...this.posixClass(posix));
        return undefined;
      }
    }
    if (c !== '\\') {
      this.i++;
      return c.charCodeAt(0);
    }
    const n = this.p[at + 1] ?? '';
    this.i += 2;
    if (n === '') throw new PcreError('\\ at end of pattern', at, false);
    if ('dDwWsShvQE'.includes(n)) {
      if (asRangeEnd) return undefined;
      this.classSet(n, ranges, sets);
      return undefined;
    }
    if ('GKRXCpPgNHVk'.includes(n))
      throw new PcreError(`escape '\\${n}' is not supported in a character class`, at, true);
    if ('FLlUu'.includes(n))
      throw new PcreError(
        'PCRE2 does not support \\F, \\L, \\l, \\N{name}, \\U, or \\u',
        at,
        false,
      );
    if (n === 'x') return this.hexEscape(at);
    if (n === 'c') return this.controlEscape(at);
    return CLASS_ESCAPES.get(n) ?? n.charCodeAt(0);
  }

  /** A set escape inside a class (its letter consumed). */
  private classSet(n: string, ranges: Range[], sets: string[]): void {
    if (n === 'h') ranges.push([0x09, 0x09], [0x20, 0x20]);
    else if (n === 'v') ranges.push([0x0a, 0x0d], [0x85, 0x85]);
    else if (n === 'Q')
      for (const ch of this.quoted(true)) ranges.push([ch.charCodeAt(0), ch.charCodeAt(0)]);
    else if (n !== 'E') sets.push('\\' + n);
  }

  /** `[:name:]` (or the collating forms PCRE refuses): the class's ranges. */
  private posixClass(m: RegExpExecArray): readonly Range[] {
    const at = this.i;
    const [whole, kind, negated, name] = m;
    if (kind !== ':') throw new PcreError('POSIX collating elements are not supported', at, false);
    // a Map lookup: `[[:constructor:]]` is an unknown class, as in PCRE (issue 9, item 3)
    const ranges = POSIX.get(name ?? '');
    if (!ranges) throw new PcreError('unknown POSIX class name', at, false);
    if (negated)
      throw new PcreError(`negated POSIX class '[:^${name ?? ''}:]' is not supported`, at, true);
    this.i += whole.length;
    // folded with the rest of the class: PCRE caseless [:upper:] matches both cases (grep -P)
    return ranges;
  }
}

/** Class escapes that stand for one character. */
const CLASS_ESCAPES = new Map<string, number>([
  ['n', 0x0a],
  ['r', 0x0d],
  ['t', 0x09],
  ['f', 0x0c],
  ['a', 0x07],
  ['e', 0x1b],
  ['b', 0x08],
  ['0', 0x00],
]);

/** The error for a `(?` construct PCRE has and the translation does not (`rest` follows `(?`). */
function unsupportedGroup(rest: string, start: number): PcreError {
  if (rest.startsWith('|'))
    return new PcreError("branch reset '(?|' is not supported", start, true);
  if (/^(R|[0-9+-]|&|P>)/.test(rest))
    return new PcreError('recursion / subroutine calls are not supported', start, true);
  const opt = /^[imsxJUn^-]+/.exec(rest);
  if (opt)
    return new PcreError(
      `inline option '(?${opt[0]}' is not supported (only i, -i and s are)`,
      start,
      true,
    );
  if (rest.startsWith('('))
    return new PcreError("conditional group '(?(' is not supported", start, true);
  return new PcreError('unrecognized character after (? or (?-', start, false);
}

/** The other-case counterparts of the ASCII letters inside the given ranges. */
function foldedRanges(ranges: readonly Range[]): Range[] {
  const out: Range[] = [];
  for (const [a, b] of ranges) {
    for (const [lo, hi] of [
      [0x41, 0x5a],
      [0x61, 0x7a],
    ] as const) {
      const from = Math.max(a, lo);
      const to = Math.min(b, hi);
      if (from <= to) out.push([otherCase(from), otherCase(to)]);
    }
  }
  return out;
}

function leadingOptions(pattern: string): { caseless: boolean; length: number } {
  const lead = /^\(\?([imsx]+)\)/.exec(pattern);
  if (!lead) return { caseless: false, length: 0 };
  let caseless = false;
  for (const f of lead[1] ?? '') {
    if (f === 'i') caseless = true;
    else if (f === 'x')
      throw new PcreError("inline option '(?x)' (extended mode) is not supported", 0, true);
    // s is always on; m would change ^/$, which Apache users do not rely on in URL paths
    else if (f === 'm') throw new PcreError("inline option '(?m)' is not supported", 0, true);
  }
  return { caseless, length: lead[0].length };
}

/**
 * Translates a PCRE pattern; throws PcreError naming the construct JS cannot express.
 * `nocase` ([NC], or a leading `(?i)`) folds ASCII letters into classes, which is PCRE's caseless
 * matching without UTF mode (C-locale tables: `é` and `É` stay distinct) and keeps the regexp
 * runnable by the linear engine; with a back-reference the `i` flag is used instead.
 */
export function translatePcre(pattern: string, nocase = false): TranslatedRegex {
  const lead = leadingOptions(pattern);
  const caseless = nocase || lead.caseless;
  let t = new Translator(pattern, caseless);
  let source = t.run(lead.length);
  let ignoreCase = false;
  if (caseless && t.hasBackref) {
    t = new Translator(pattern, false);
    source = t.run(lead.length);
    ignoreCase = true;
    t.nonLinear.add('[NC] with a back-reference');
  }
  return {
    source,
    ignoreCase,
    folded: caseless && !ignoreCase,
    trailingNewlineGroup: t.trailingNewlineGroup,
    hiddenGroups: [...t.hiddenGroups],
    nonLinearConstructs: [...t.nonLinear],
    nestedQuantifierAt: t.nestedQuantifierAt,
  };
}

/** How a compiled regexp was made (for the prefix index and diagnostics). */
export interface RegexInfo {
  /** Matches ASCII letters caselessly (folded classes or the `i` flag). */
  readonly nocase: boolean;
  /** The translation without case folding (the prefix index reads literals from it). */
  readonly plainSource: string;
}

const INFO = new WeakMap<RegExp, RegexInfo>();

export function regexInfo(re: RegExp): RegexInfo {
  return INFO.get(re) ?? { nocase: re.flags.includes('i'), plainSource: re.source };
}

/** A leading `^(?!X)` / `^(?=X)` run as a regexp of its own before the rest. */
interface Guard {
  readonly re: RegExp;
  readonly negative: boolean;
}

/**
 * A translated PCRE pattern whose results need more than RegExp.exec:
 * - guards: leading lookaheads split off (see splitLeadingLookaheads), tested first;
 * - a final `\Z` compiled as `(\n?)$`: the extra last group is dropped from every result and a
 *   newline it took is given back, so `$0` and the captures are PCRE's.
 */
class PcreRegExp extends RegExp {
  // derived regexps (split, matchAll) are plain RegExps of the main source
  static override get [Symbol.species](): RegExpConstructor {
    return RegExp;
  }

  constructor(
    source: string,
    flags: string,
    private readonly guards: readonly Guard[] = [],
    private readonly trailingNewlineGroup = false,
    private readonly hiddenGroups: readonly number[] = [],
  ) {
    super(source, flags);
  }

  override exec(subject: string): RegExpExecArray | null {
    for (const g of this.guards ?? []) if (g.re.test(subject) === g.negative) return null;
    const m = super.exec(subject);
    if (!m) return m;
    if (this.trailingNewlineGroup) {
      const newline = m.pop();
      if (newline === '\n' && m[0] !== undefined) m[0] = m[0].slice(0, -1);
    }
    // (derived regexps of the base class call exec before the constructor set the field)
    const hidden = this.hiddenGroups ?? [];
    for (let k = hidden.length - 1; k >= 0; k--) m.splice(hidden[k] ?? 0, 1);
    return m;
  }
}

/** Index of the `)` closing the group opened at `open` in translated (JS) source, or -1. */
function groupEnd(src: string, open: number): number {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') i++;
    else if (c === '[') i = classEnd(src, i);
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

/**
 * Index of the `]` closing the class opened at `open` (the translator escapes every `]` inside).
 */
function classEnd(src: string, open: number): number {
  for (let i = open + 1; i < src.length; i++) {
    if (src[i] === '\\') i++;
    else if (src[i] === ']') return i;
  }
  return src.length;
}

/** Whether translated source has a capturing group, or a `|` outside every group. */
function scanGroups(src: string): { captures: boolean; topLevelBar: boolean } {
  let depth = 0;
  let captures = false;
  let topLevelBar = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') i++;
    else if (c === '[') i = classEnd(src, i);
    else if (c === '|' && depth === 0) topLevelBar = true;
    else if (c === ')') depth--;
    else if (c === '(') {
      depth++;
      const named =
        src.startsWith('(?<', i) && !src.startsWith('(?<=', i) && !src.startsWith('(?<!', i);
      if (src[i + 1] !== '?' || named) captures = true;
    }
  }
  return { captures, topLevelBar };
}

/**
 * `^(?!X)REST` matches only at 0, so it is `!/^(?:X)/.test(s) && /^REST/.exec(s)` when X has no
 * capturing group (group numbers stay) and REST no top-level `|` (every branch stays anchored).
 * The two parts are usually linear where the whole is not: lookaheads like `^(?!/api)` are the
 * common non-linear construct in .htaccess files.
 */
function splitLeadingLookaheads(source: string): {
  rest: string;
  guards: { source: string; negative: boolean }[];
} {
  const guards: { source: string; negative: boolean }[] = [];
  let rest = source;
  while (rest.startsWith('^(?!') || rest.startsWith('^(?=')) {
    const end = groupEnd(rest, 1);
    if (end < 0) break;
    const body = rest.slice(4, end);
    const remainder = '^' + rest.slice(end + 1);
    if (scanGroups(body).captures || scanGroups(remainder).topLevelBar) break;
    guards.push({ source: `^(?:${body})`, negative: rest[3] === '!' });
    rest = remainder;
  }
  return { rest, guards };
}

/** Whether V8 can run `source` with `flags` on its linear-time engine. */
function runsLinearly(source: string, flags: string): boolean {
  try {
    new RegExp(source, flags + 'l');
    return true;
  } catch {
    return false;
  }
}

/** Compiles a PCRE pattern the way Apache does (`s` always, caseless for [NC]). */
export function compilePcre(pattern: string, nocase: boolean): RegExp {
  const t = translatePcre(pattern, nocase);
  const flags = 's' + (t.ignoreCase ? 'i' : '');
  const { rest, guards } = splitLeadingLookaheads(t.source);
  let re: RegExp;
  try {
    const guardRes = guards.map((g) => ({ re: new RegExp(g.source, flags), negative: g.negative }));
    const special = guardRes.length > 0 || t.trailingNewlineGroup || t.hiddenGroups.length > 0;
    re = special
      ? new PcreRegExp(rest, flags, guardRes, t.trailingNewlineGroup, t.hiddenGroups)
      : new RegExp(t.source, flags);
  } catch (e) {
    throw new PcreError(
      (e as Error).message.replace(/^Invalid regular expression: /, ''),
      0,
      false,
    );
  }
  // only a pattern with the exponential shape needs the probe (it compiles every part once more)
  const linear = (): boolean =>
    [rest, ...guards.map((g) => g.source)].every((src) => runsLinearly(src, flags));
  if (LINEAR_PROBE_AVAILABLE && t.nestedQuantifierAt !== undefined && !linear()) {
    const why = t.nonLinearConstructs.length
      ? t.nonLinearConstructs.join(', ')
      : 'a construct the linear engine lacks';
    throw new PcreError(
      "a repeated group containing a quantifier or '|' can backtrack exponentially, and this " +
        `pattern cannot run on the linear-time engine (it uses ${why})`,
      t.nestedQuantifierAt,
      true,
    );
  }
  INFO.set(re, {
    nocase: nocase || t.folded || t.ignoreCase,
    plainSource: t.folded ? translatePcre(pattern, false).source : t.source,
  });
  return re;
}
