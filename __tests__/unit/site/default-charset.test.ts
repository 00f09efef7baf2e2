/**
 * core's AddDefaultCharset, ServerSignature and ServerTokens as site() reads them. The behaviour through real
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
  ['ServerSignature Maybe', 'ERR_DIRECTIVE_ARGS'],
  ['ServerSignature On Off', 'ERR_DIRECTIVE_ARGS'],
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

// core.c set_signature_flag: On, Off and EMail in any case (recorded footer: case 440)
test.each([['ServerSignature Off'], ['ServerSignature On'], ['serversignature email']])(
  '%s is accepted',
  (line) => {
    expect(() => compileText(line, { context: 'directory', siteDirectives: true })).not.toThrow();
  },
);

// core.c set_banner: the banner each ServerTokens value gives the footer
test.each([
  ['ServerTokens Prod', 'Apache'],
  ['ServerTokens ProductOnly', 'Apache'],
  ['ServerTokens Major', 'Apache/2'],
  ['ServerTokens Minor', 'Apache/2.4'],
  ['ServerTokens Min', 'Apache/2.4.71'],
  ['ServerTokens OS', 'Apache/2.4.71 (Debian)'],
  ['servertokens full', 'Apache/2.4.71 (Debian)'],
])('%s → %s', (line, banner) => {
  expect(compileText(line, { context: 'server', siteDirectives: true }).serverBanner).toBe(banner);
});

// GLOBAL_ONLY (ap_check_cmd_context): not in a section, not in .htaccess; one of six values
test.each([
  ['ServerTokens Tiny', 'server'],
  ['<VirtualHost *>\nServerTokens OS\n</VirtualHost>', 'server'],
  ['<Directory /x>\nServerTokens OS\n</Directory>', 'server'],
  ['ServerTokens OS', 'directory'],
] as const)('%j is refused', (text, context) => {
  expect(() => compileText(text, { context, siteDirectives: true })).toThrow(RewriteError);
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
