/**
 * Failures the fuzz properties find that are already reported (issue 9 items, and NEW ones this
 * fuzzing found, listed in the closing note). Off by default: the properties fail on them, as they
 * should until the fix is merged. `FUZZ_SKIP_KNOWN=1` tolerates exactly these signatures (and
 * nothing else), so a long run can look past them for the next defect; remove an entry when its
 * fix is merged.
 */
export const SKIP_KNOWN = process.env.FUZZ_SKIP_KNOWN === '1';

export interface KnownDefect {
  readonly id: string;
  /** True when this failure (input text and what went wrong) is this defect. */
  readonly matches: (input: string, failure: string) => boolean;
  /** Inputs not even run with SKIP_KNOWN (a hang costs the whole time bound plus a new worker). */
  readonly skipBeforeRun?: (input: string) => boolean;
}

export const KNOWN_COMPILE_DEFECTS: readonly KnownDefect[] = [
  {
    id: 'issue 9 item 14: (?P=name without ) loops forever in the PCRE translator',
    matches: (input, failure) => failure.includes('did not finish') && input.includes('(?P='),
    skipBeforeRun: (input) => /\(\?P=(?![A-Za-z0-9_]+\))/.test(input),
  },
  {
    // three causes, each reproduced by hand: offsets in UTF-8 bytes (`^/€€€(?i:x` → 1:24 for 1:18),
    // offsets in the translated pattern (`[[:alpha:]]{99999}` points at the `{` of `[a-zA-Z]{`),
    // and an argument continued with a trailing `\` counted on its first physical line
    id: 'NEW: regex error columns are not the character column in the source line',
    matches: (_input, failure) =>
      failure.includes('column outside its line') || failure.includes('line outside the text'),
  },
  {
    id: 'issue 9 item 3: prototype keys accepted where a neutral unknown word is an error (flags, maps, options, classes)',
    matches: (_input, failure) => failure.includes('prototype keys change the result'),
  },
  {
    id: 'NEW: [F,R=abc] / [G,R=abc] (a status flag, then R= with a non-numeric value) evaluates to status 0',
    matches: (_input, failure) => failure.includes('"status":0'),
  },
];

/** The known defect an input will run into, when SKIP_KNOWN is on and the defect says to skip it. */
export function skippedKnownDefect(
  list: readonly KnownDefect[],
  input: string,
): string | undefined {
  if (!SKIP_KNOWN) return undefined;
  return list.find((d) => d.skipBeforeRun?.(input))?.id;
}

/** The known defect this failure is, when SKIP_KNOWN is on; undefined otherwise. */
export function knownDefect(
  list: readonly KnownDefect[],
  input: string,
  failure: string,
): string | undefined {
  if (!SKIP_KNOWN) return undefined;
  return list.find((d) => d.matches(input, failure))?.id;
}

/** Counts of tolerated failures per defect, printed after a run with SKIP_KNOWN. */
export class KnownDefectTally {
  private readonly counts = new Map<string, number>();
  add(id: string): void {
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
  }
  report(what: string): void {
    if (this.counts.size === 0) return;
    const lines = [...this.counts].map(([id, n]) => `  ${n} × ${id}`);
    console.warn(`${what}: known defects tolerated (FUZZ_SKIP_KNOWN=1):\n${lines.join('\n')}`);
  }
}

export const KNOWN_REQUEST_DEFECTS: readonly KnownDefect[] = [
  {
    id: 'issue 9 item 13: a decoded CR/LF (or other control character) from the request reaches a response header',
    matches: (_input, failure) =>
      failure.includes('ERR_INVALID_CHAR') || failure.includes('Invalid character in header'),
    // in site() the request then hangs: each costs the whole time bound and a new server thread
    skipBeforeRun: (input) => /"path":"[^"]*%(0[0-9a-f]|1[0-9a-f]|7f)/i.test(input),
  },
  {
    id: "issue 9 item 16: a path-only [P] target is qualified with the request's Host (SSRF to another local port)",
    matches: (input, failure) => failure.includes('SSRF') && input.includes('/pself/'),
  },
  {
    id: 'issue 9 item 4: [R=5xx] reaches next(err) as ERR_URI_TOO_LONG ("rule limit exceeded")',
    matches: (input, failure) => failure.includes('rule limit exceeded') && /R=5\d\d/.test(input),
  },
  {
    id: 'issue 9 item 17: ^/nc/(a+)+$ [NC] backtracks exponentially (the linear engine does not take [NC])',
    matches: (input, failure) =>
      failure.includes('no answer') && /"path":"\/nc\/a{20}/i.test(input),
    skipBeforeRun: (input) => /"path":"\/nc\/a{20}/i.test(input),
  },
  {
    id: 'issue 9 item 3: [H=$1] with a prototype key calls Object.prototype members as the handler (hang, or a TypeError)',
    matches: (input, failure) =>
      /"path":"\/h\/(constructor|__proto__|toString|valueOf|hasOwnProperty)/.test(input) &&
      /no answer|undocumented 500/.test(failure),
    skipBeforeRun: (input) =>
      /"path":"\/h\/(constructor|toString|valueOf|hasOwnProperty)/.test(input),
  },
];
