/**
 * Issue 9, item 8: "errors that are not ours". A caller's mistake at a factory (a missing argument,
 * a wrong type, a missing document root, a malformed typed rule) is one coded RewriteError naming
 * the factory and the option (or the rule's index), never a TypeError from deep inside.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile } from '../../../lib/compile/compile';
import { compileTyped } from '../../../lib/compile/typed';
import { rewrite } from '../../../lib/http/rewrite';
import { RewriteError, type RewriteErrorCode } from '../../../lib/errors';
import { site } from '../../../lib/site/site';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'modrewrite-opts-'));
  writeFileSync(join(tmp, 'a-file.txt'), 'x');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ok = { pattern: '^/a$', substitution: '/b' };
// values a JavaScript caller can pass whatever the types say
const loose = (v: unknown): never => v as never;

interface Case {
  readonly name: string;
  readonly call: () => unknown;
  readonly code: RewriteErrorCode;
  readonly message: RegExp;
  /** For typed rules: the rule's index + 1 (the error's `line`). */
  readonly line?: number;
}

const cases: Case[] = [
  {
    name: 'rewrite(undefined)',
    call: () => rewrite(loose(undefined)),
    code: 'ERR_OPTIONS',
    message: /^rewrite\(\): rules must be Apache text, .* got undefined$/,
  },
  {
    name: 'rewrite(42)',
    call: () => rewrite(loose(42)),
    code: 'ERR_OPTIONS',
    message: /^rewrite\(\): rules must be .* got number 42$/,
  },
  {
    name: 'rewrite(null)',
    call: () => rewrite(loose(null)),
    code: 'ERR_OPTIONS',
    message: /got null$/,
  },
  {
    name: 'rewrite({}) (neither file nor RuleSet)',
    call: () => rewrite(loose({})),
    code: 'ERR_OPTIONS',
    message: /^rewrite\(\): rules must be .*none of these$/,
  },
  {
    name: 'rewrite({ file: 42 })',
    call: () => rewrite(loose({ file: 42 })),
    code: 'ERR_OPTIONS',
    message: /\{ file \} must name a rules file, got number 42/,
  },
  {
    name: 'rewrite(text, "x") (options not an object)',
    call: () => rewrite('RewriteRule ^/a$ /b', loose('x')),
    code: 'ERR_OPTIONS',
    message: /^rewrite\(\): options must be an object, got 'x'$/,
  },
  {
    name: 'rewrite(text, { context: "dir" })',
    call: () => rewrite('RewriteRule ^/a$ /b', loose({ context: 'dir' })),
    code: 'ERR_OPTIONS',
    message: /context must be 'server' or 'directory', got 'dir'/,
  },
  {
    name: 'rewrite(text, { proxy: "http://x" })',
    call: () => rewrite('RewriteRule ^/a$ /b', loose({ proxy: 'http://x' })),
    code: 'ERR_OPTIONS',
    message: /option `proxy` must be a function/,
  },
  {
    name: 'rewrite(text, { parent: 42 })',
    call: () => rewrite('RewriteRule ^/a$ /b', loose({ parent: 42 })),
    code: 'ERR_OPTIONS',
    message: /^rewrite\(\) parent: rules must be/,
  },
  {
    name: "site({ root, symlinks: 'yes' })",
    call: () => site({ root: tmp, symlinks: loose('yes') }),
    code: 'ERR_OPTIONS',
    message: /option `symlinks` must be 'inside', 'follow' or 'deny', got 'yes'/,
  },
  {
    name: 'site() without options',
    call: () => site(loose(undefined)),
    code: 'ERR_OPTIONS',
    message: /^site\(\): takes an options object/,
  },
  {
    name: 'site({}) (no root)',
    call: () => site(loose({})),
    code: 'ERR_OPTIONS',
    message:
      /^site\(\): option `root` \(the document root folder\) is required, or a `config` with a DocumentRoot$/,
  },
  {
    // core.c set_document_root: the main server's DocumentRoot stands for root (case 416)
    name: "site({ config }) whose config has no main server's DocumentRoot",
    call: () => site({ config: 'RewriteEngine On' }),
    code: 'ERR_OPTIONS',
    message: /the config has no DocumentRoot outside <VirtualHost>$/,
  },
  {
    name: 'site({ root: 42 })',
    call: () => site(loose({ root: 42 })),
    code: 'ERR_OPTIONS',
    message: /option `root` must be a string, got number 42/,
  },
  {
    name: "site({ root: 'missing' })",
    call: () => site({ root: join(tmp, 'missing') }),
    code: 'ERR_OPTIONS',
    message: /^site\(\): document root folder not found: .*missing$/,
  },
  {
    name: 'site({ root: a file })',
    call: () => site({ root: join(tmp, 'a-file.txt') }),
    code: 'ERR_OPTIONS',
    message: /document root is not a folder/,
  },
  {
    name: 'site({ root, config: 42 })',
    call: () => site({ root: tmp, config: loose(42) }),
    code: 'ERR_OPTIONS',
    message: /^site\(\) config: rules must be/,
  },
  {
    name: 'compile(undefined)',
    call: () => compile(loose(undefined)),
    code: 'ERR_OPTIONS',
    message: /^compile\(\): rules must be Apache text \(a string\), got undefined$/,
  },
  {
    name: 'compile(text, { context: "vhost" })',
    call: () => compile('RewriteEngine on', loose({ context: 'vhost' })),
    code: 'ERR_OPTIONS',
    message: /context must be 'server' or 'directory'/,
  },
  {
    name: 'compileTyped("text")',
    call: () => compileTyped(loose('RewriteRule ^/a$ /b')),
    code: 'ERR_OPTIONS',
    message: /^compileTyped\(\): rules must be an array/,
  },
  {
    name: 'typed rule without a substitution',
    call: () => compileTyped([ok, loose({ pattern: '^/x$' })]),
    code: 'ERR_TYPED_RULE',
    message:
      /^rules\[1\]: a typed rule needs a `substitution` string \('-' for none\), got undefined/,
    line: 2,
  },
  {
    name: 'typed path rule without a substitution',
    call: () => rewrite([loose({ path: '/users/:id' })]),
    code: 'ERR_TYPED_RULE',
    message: /^rules\[0\]: a typed rule needs a `substitution`/,
    line: 1,
  },
  {
    name: 'typed condition without a pattern',
    call: () =>
      compileTyped([ok, ok, { ...ok, conditions: [loose({ testString: '%{HTTP_HOST}' })] }]),
    code: 'ERR_TYPED_RULE',
    message: /^rules\[2\]\.conditions\[0\]: needs a `pattern` .*got undefined/,
    line: 3,
  },
  {
    name: 'typed condition without a testString',
    call: () => compileTyped([{ ...ok, conditions: [loose({ pattern: '^x' })] }]),
    code: 'ERR_TYPED_RULE',
    message: /^rules\[0\]\.conditions\[0\]: needs a `testString`/,
    line: 1,
  },
  {
    name: 'typed rule that is null',
    call: () => rewrite([ok, loose(null)]),
    code: 'ERR_TYPED_RULE',
    message: /^rules\[1\]: a typed rule must be an object/,
    line: 2,
  },
  {
    name: 'typed rule with conditions not an array',
    call: () => compileTyped([{ ...ok, conditions: loose({}) }]),
    code: 'ERR_TYPED_RULE',
    message: /^rules\[0\]: `conditions` must be an array/,
    line: 1,
  },
];

test.each(cases)('errors that are not ours: $name → $code', ({ call, code, message, line }) => {
  let thrown: unknown;
  try {
    call();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(RewriteError);
  const err = thrown as RewriteError;
  expect(err.code).toBe(code);
  expect(err.message).toMatch(message);
  if (line !== undefined) expect(err.line).toBe(line);
});

test('errors that are not ours: well-formed calls still load', () => {
  expect(
    typeof rewrite([
      ok,
      {
        path: '/u/:id',
        substitution: '/user?id=:id',
        conditions: [{ testString: '%{HTTP_HOST}', pattern: /^a/i }],
      },
    ]),
  ).toBe('function');
  expect(typeof site({ root: tmp })).toBe('function');
  expect(compile('RewriteRule ^/a$ /b').rules).toHaveLength(1);
});
