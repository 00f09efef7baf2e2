/**
 * Patterns and error positions with non-ASCII characters. Apache compares byte strings: a pattern
 * written in UTF-8 matches the UTF-8 bytes of the decoded URL-path, in a RewriteRule and in a
 * RewriteCond alike. Error columns count characters of the line as written, not bytes (found by the
 * fuzz compile property: a column past the end of its line).
 */
import { compileText } from '../../../lib/compile/compile';
import { evaluateServer } from '../../../lib/engine/evaluate';
import { RewriteError } from '../../../lib/errors';
import { type EvaluateInput } from '../../../lib/engine/context';

const server = { documentRoot: '/srv/www' };

function outcomeFor(rules: string, uri: string): unknown {
  const ruleSet = compileText(`RewriteEngine on\n${rules}`);
  const input: EvaluateInput = {
    uri: Buffer.from(uri, 'utf8').toString('latin1'),
    args: null,
    view: { method: 'GET', headers: {}, remoteAddress: '127.0.0.1' },
    server,
  } as unknown as EvaluateInput;
  return (evaluateServer(ruleSet, input) as { outcome: unknown }).outcome;
}

test.each([
  ['a RewriteRule pattern', 'RewriteRule ^/é$ /ok [L]'],
  ['a RewriteCond pattern', 'RewriteCond %{REQUEST_URI} ^/é$\nRewriteRule ^ /ok [L]'],
  [
    'a negated RewriteCond pattern',
    'RewriteCond %{REQUEST_URI} !^/x$\nRewriteCond %{REQUEST_URI} ^/.$\nRewriteRule ^ /no [L]\nRewriteCond %{REQUEST_URI} ^/é\nRewriteRule ^ /ok [L]',
  ],
])('%s in UTF-8 matches the decoded path /é', (_name, rules) => {
  expect(outcomeFor(rules, '/é')).toMatchObject({ type: 'rewrite', url: '/ok' });
});

function firstProblem(text: string): { line: number; column: number; message: string } {
  try {
    compileText(text);
  } catch (err) {
    expect(err).toBeInstanceOf(RewriteError);
    const p = (err as RewriteError).problems[0]!;
    return { line: p.line, column: p.column, message: p.message };
  }
  throw new Error('compiled');
}

test.each([
  // an unclosed group is reported at its `(`, counted in characters
  ['RewriteRule ^/€€€(x - [F]', 18],
  ['RewriteCond %{HTTP_HOST} !é(x\nRewriteRule ^ - [F]', 28],
])('%j: the error is at the ( of line 1, column %i', (text, column) => {
  expect(firstProblem(text)).toMatchObject({ line: 1, column });
});

test('an error in a pattern after a non-ASCII character stays inside its line', () => {
  const text = 'RewriteCond %{HTTP_HOST} "-f\u00a0[]"\nRewriteRule ^ - [F]';
  const p = firstProblem(text);
  expect(p.line).toBe(1);
  // the pattern starts after the opening quote (column 27); the line has 32 characters
  expect(p.column).toBeGreaterThanOrEqual(27);
  expect(p.column).toBeLessThanOrEqual(text.split('\n')[0]!.length);
});

test('the message quotes the pattern as written (UTF-8), not its bytes', () => {
  const p = firstProblem('RewriteRule ^/€€€(x - [F]');
  expect(p.message).toContain("'^/€€€(x'");
});

test('an error in a pattern continued over lines (trailing \\) is on the line it occurs in', () => {
  // fuzz counterexample: the quoted pattern runs on to line 2, where `\u` is refused
  const text =
    'RewriteCond %{HTTP_HOST} "! []\\\n  RewriteCond %{HTTP_HOST} !\\u0041 \nRewriteRule ^ - [F]';
  const p = firstProblem(text);
  expect(p.line).toBe(2);
  // `\u` starts at column 29 of line 2 ("  RewriteCond %{HTTP_HOST} !" is 28 characters)
  expect(p.column).toBe(29);
});

test.each([
  [
    'flags continued over lines',
    'RewriteCond "%{HTTP_HOST}" a []a]\\\n[NC,valueOf]\nRewriteRule ^ - [F]',
  ],
  [
    'a template continued over lines',
    'RewriteRule ^ /x\\\n' + '${m:'.repeat(70) + 'k' + '}'.repeat(70) + ' [L]',
  ],
])('%s: every problem is inside the line it names', (_name, text) => {
  let problems: readonly { line: number; column: number }[] = [];
  try {
    compileText(text);
  } catch (err) {
    problems = (err as RewriteError).problems;
  }
  expect(problems.length).toBeGreaterThan(0);
  const lines = text.split('\n');
  for (const p of problems) {
    expect(p.column).toBeGreaterThanOrEqual(1);
    expect(p.column).toBeLessThanOrEqual(lines[p.line - 1]!.length);
  }
});
