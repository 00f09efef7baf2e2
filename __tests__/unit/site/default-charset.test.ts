/**
 * core's AddDefaultCharset and ServerSignature as site() reads them. The behaviour through real
 * files is the recorded conformance case 145 (Apache 2.4.71); these tables pin the pieces.
 */
import { compileText } from '../../../lib/compile/compile';
import { RewriteError } from '../../../lib/errors';
import { withDefaultCharset } from '../../../lib/site/static-file';

test.each([
  ['AddDefaultCharset UTF-8', 'UTF-8'],
  ['AddDefaultCharset On', 'iso-8859-1'],
  ['adddefaultcharset off', false],
  ['AddDefaultCharset utf-8', 'utf-8'],
])('%s → %s', (line, charset) => {
  expect(compileText(line, { context: 'directory', siteDirectives: true }).defaultCharset).toBe(
    charset,
  );
});

test.each([
  ['AddDefaultCharset', 'ERR_DIRECTIVE_ARGS'],
  ['AddDefaultCharset a b', 'ERR_DIRECTIVE_ARGS'],
  ['ServerSignature On', 'ERR_DIRECTIVE_ARGS'],
  ['ServerSignature EMail', 'ERR_DIRECTIVE_ARGS'],
])('%s is refused with %s', (line, code) => {
  expect(() => compileText(line, { context: 'directory', siteDirectives: true })).toThrow(
    RewriteError,
  );
  try {
    compileText(line, { context: 'directory', siteDirectives: true });
  } catch (err) {
    expect((err as RewriteError).code).toBe(code);
  }
});

test('ServerSignature Off is accepted (Apache default: no footer on error pages)', () => {
  expect(() =>
    compileText('ServerSignature Off', { context: 'directory', siteDirectives: true }),
  ).not.toThrow();
});

test.each([
  ['text/html', 'UTF-8', 'text/html; charset=UTF-8'],
  ['text/plain', 'UTF-8', 'text/plain; charset=UTF-8'],
  ['TEXT/HTML', 'x', 'TEXT/HTML; charset=x'],
  ['text/html; charset=iso-8859-1', 'UTF-8', 'text/html; charset=iso-8859-1'],
  ['text/css', 'UTF-8', 'text/css'],
  ['text/javascript', 'UTF-8', 'text/javascript'],
  ['text/html', false, 'text/html'],
  ['text/html', undefined, 'text/html'],
  [undefined, 'UTF-8', undefined],
] as const)('%s with %s → %s', (type, charset, expected) => {
  expect(withDefaultCharset(type, charset)).toBe(expected);
});
