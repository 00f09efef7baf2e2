/**
 * The public shape of lib/index.ts (issue 8): helpers that exist for tests are not exported (tests
 * import them from their module), and every exported function carries JSDoc with an `@example`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as lib from '../../lib/index';

const LIB = join(__dirname, '../../lib');

describe('test-only helpers are not public', () => {
  test.each([
    ['requestView', 'lib/http/request-view.ts'],
    ['parseTarget', 'lib/engine/request.ts'],
    ['mapToFile', 'lib/engine/directory.ts'],
    ['MAX_INTERNAL_REDIRECTS', 'lib/engine/directory.ts'],
    ['HtaccessStore', 'lib/site/htaccess-store.ts'],
    ['siteCacheSizes', 'lib/site/site.ts'],
    ['escapeUri', 'lib/common/escape.ts'],
    ['escapeBackref', 'lib/common/escape.ts'],
    ['proxyCanon', 'lib/common/escape.ts'],
  ])('%s is not exported (import it from %s)', (name) => {
    expect(Object.hasOwn(lib, name)).toBe(false);
  });

  test.each([
    'rewrite',
    'site',
    'htaccess',
    'proxy',
    'directorySlash',
    'staticFirst',
    'scriptAlias',
    'moduleHandler',
    'answerClientErrors',
    'autostart',
    'compile',
    'compileText',
    'parse',
    'evaluateServer',
    'evaluateDirectory',
  ])('%s stays public', (name) => {
    expect(typeof (lib as Record<string, unknown>)[name]).toBe('function');
  });
});

/** `export { a, b as c } from './x.js'` lines of lib/index.ts → exported name → module file. */
function valueExports(): Map<string, string> {
  const index = readFileSync(join(LIB, 'index.ts'), 'utf8');
  const out = new Map<string, string>();
  for (const m of index.matchAll(/^export \{([^}]*)\} from '\.\/([^']+)\.js';/gm)) {
    const names = m[1] ?? '';
    const file = join(LIB, `${m[2]}.ts`);
    for (const part of names.split(',')) {
      const name = part
        .trim()
        .split(/\s+as\s+/)
        .pop();
      if (name) out.set(name, file);
    }
  }
  return out;
}

/** The JSDoc block right above `export function name` / `export const name` in `file`. */
function docOf(name: string, file: string): string | undefined {
  const text = readFileSync(file, 'utf8');
  const declaration = new RegExp(`^export (?:async )?(?:function|const) ${name}\\b`, 'm');
  const at = text.search(declaration);
  if (at < 0) return undefined;
  const before = text.slice(0, at).trimEnd();
  if (!before.endsWith('*/')) return undefined;
  return before.slice(before.lastIndexOf('/**'));
}

const functions = [...valueExports()].filter(([name]) => {
  const value = (lib as Record<string, unknown>)[name];
  return typeof value === 'function' && !/^class\b/.test(String(value));
});

test('the public functions are found (the table below is not empty)', () => {
  expect(functions.length).toBeGreaterThanOrEqual(20);
});

test.each(functions)('%s has JSDoc with an @example', (name, file) => {
  const doc = docOf(name, file);
  expect(doc).toBeDefined();
  expect(doc).toMatch(/^\s*\* @example$/m);
});
