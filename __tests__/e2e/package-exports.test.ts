/** The built package loads both as ES module and as CommonJS, with type declarations. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '../..');

beforeAll(() => {
  if (
    !existsSync(join(root, 'dist/cjs/index.js')) ||
    !existsSync(join(root, 'dist/esm/index.js'))
  ) {
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], {
      cwd: root,
      stdio: 'ignore',
    });
  }
}, 180000);

const run = (args: string[]): string =>
  execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();

test('require("modrewrite") gives the CommonJS build', () => {
  const out = run([
    '-e',
    "const m = require('modrewrite'); const mw = m.rewrite('RewriteRule ^/a$ /b'); console.log(typeof mw, mw.name, typeof m.compile, Object.keys(m.ERROR_CODES).length > 10)",
  ]);
  expect(out).toBe('function rewriteMiddleware function true');
});

test('import "modrewrite" gives the ES module build', () => {
  const out = run([
    '--input-type=module',
    '-e',
    "import { rewrite, RewriteError } from 'modrewrite'; try { rewrite('RewriteRule ^/a$ /b [QSX]') } catch (e) { console.log(e instanceof RewriteError, e.code) }",
  ]);
  expect(out).toBe('true ERR_UNKNOWN_FLAG');
});

test('type declarations are shipped', () => {
  expect(existsSync(join(root, 'dist/types/index.d.ts'))).toBe(true);
});
