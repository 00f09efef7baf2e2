/**
 * The `--expect FILE` grammar of `modrewrite test`: one request and what it must become per line,
 * so a site keeps a regression list for its .htaccess and runs it in CI.
 *
 *   # comments and blank lines are ignored
 *   /old                301 /new              redirect: status, and Location (a path compares
 *   http://a.example/x  301 https://b.example/x   with the Location's path; a URL with all of it)
 *   /r                  302                   redirect or status: only the status is checked
 *   /blog/7             -> /index.php?q=blog/7   internal rewrite to this URL (query included
 *   /x                  -> /index.php            when written; without `?` the query is not
 * checked)
 *   /.env               403                   a status (F, G, R=4xx…)
 *   /style.css          pass                  no rule changed the request
 *   /api/x              proxy http://127.0.0.1:3000/x   [P] to this URL
 *   POST /form          405                   an optional method first
 */
import type { Outcome } from '../engine/outcome.js';

/** What a request must become. */
export type Expected =
  | { readonly type: 'status'; readonly status: number; readonly location?: string }
  | { readonly type: 'rewrite'; readonly url: string }
  | { readonly type: 'pass' }
  | { readonly type: 'proxy'; readonly target: string };

export interface Expectation {
  /** 1-based line in the file. */
  readonly line: number;
  readonly method?: string;
  readonly url: string;
  readonly expected: Expected;
  /** The expectation as written (for reports). */
  readonly text: string;
}

/** Parses the file; a malformed line is an error naming `file:line`. */
export function parseExpectations(text: string, file: string): Expectation[] {
  const out: Expectation[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const words = line.split(/\s+/);
    const method = /^[A-Z]+$/.test(words[0]!) ? words.shift() : undefined;
    const url = words.shift();
    const expected = url === undefined ? undefined : parseExpected(words);
    if (!url || !expected)
      throw new Error(
        `${file}:${i + 1}: expected 'URL OUTCOME' (OUTCOME: pass, -> URL, NNN [LOCATION], proxy URL), got '${line}'`,
      );
    out.push({ line: i + 1, ...(method ? { method } : {}), url, expected, text: words.join(' ') });
  }
  return out;
}

function parseExpected(words: readonly string[]): Expected | undefined {
  const [first, second, ...rest] = words;
  if (rest.length) return undefined;
  if (first === 'pass' && second === undefined) return { type: 'pass' };
  if ((first === '->' || first === '=>') && second) return { type: 'rewrite', url: second };
  if (first === 'proxy' && second) return { type: 'proxy', target: second };
  if (first && /^[1-5]\d\d$/.test(first))
    return { type: 'status', status: Number(first), ...(second ? { location: second } : {}) };
  return undefined;
}

/** Why `outcome` does not meet `expected`, or undefined when it does. */
export function mismatch(expected: Expected, outcome: Outcome): string | undefined {
  switch (expected.type) {
    case 'pass':
      return outcome.type === 'pass' ? undefined : 'expected no rewrite';
    case 'rewrite': {
      if (outcome.type !== 'rewrite' && outcome.type !== 'file') return 'expected a rewrite';
      const got = expected.url.includes('?') ? outcome.url : outcome.url.replace(/\?.*$/, '');
      return got === expected.url ? undefined : `expected -> ${expected.url}`;
    }
    case 'proxy':
      return outcome.type === 'proxy' && outcome.target === expected.target
        ? undefined
        : `expected proxy ${expected.target}`;
    case 'status': {
      const status =
        outcome.type === 'redirect' || outcome.type === 'status' ? outcome.status : undefined;
      if (status !== expected.status) return `expected status ${expected.status}`;
      if (expected.location === undefined) return undefined;
      if (outcome.type !== 'redirect') return `expected a redirect to ${expected.location}`;
      return sameLocation(expected.location, outcome.location)
        ? undefined
        : `expected Location ${expected.location}`;
    }
  }
}

/** A path compares with the Location's path and query; a URL with the whole Location. */
function sameLocation(expected: string, location: string): boolean {
  if (!expected.startsWith('/')) return expected === location;
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(.*)$/i.exec(location);
  return (m ? m[1] || '/' : location) === expected;
}
