/**
 * explain()'s core (lib/explain/core.ts) must run in a browser: with every Node built-in it could
 * reach replaced by a module whose functions throw, and without `Buffer`, rules in both contexts,
 * `-f`/`-d`/`-s` on virtual files, an internal redirect and non-ASCII text still explain. (The
 * playground bundles core.ts with those built-ins stubbed out; this proves the stubs are never called.)
 */
function mockThrowing(name: string): unknown {
  return new Proxy(
    {},
    {
      get: (_target, key) =>
        key === '__esModule'
          ? false
          : () => {
              throw new Error(`${name}.${String(key)} called`);
            },
    },
  );
}
jest.mock('node:fs', () => mockThrowing('node:fs'));
jest.mock('node:path', () => mockThrowing('node:path'));
jest.mock('node:v8', () => mockThrowing('node:v8'));
jest.mock('node:net', () => mockThrowing('node:net'));
jest.mock('node:child_process', () => mockThrowing('node:child_process'));

import type { ExplainRequest, ExplainSource } from '../../../lib/explain/core';

const HTACCESS = [
  'RewriteEngine On',
  'RewriteBase /',
  'RewriteCond %{REQUEST_FILENAME} !-f',
  'RewriteCond %{REQUEST_FILENAME} !-d',
  'RewriteRule ^(.*)$ index.php?q=$1 [L,QSA]',
].join('\n');

const CASES: [string, ExplainSource, ExplainRequest, string][] = [
  [
    'directory: a missing file goes to the front controller',
    { rules: HTACCESS, context: 'directory', file: '.htaccess' },
    { url: '/blog/7?a=1', files: { 'index.php': '<?php' } },
    'rewritten to /index.php?q=blog/7&a=1',
  ],
  [
    'directory: an existing file is served as it is',
    { rules: HTACCESS, context: 'directory' },
    { url: '/style.css', files: { 'style.css': 'body{}', 'index.php': '<?php' } },
    'pass through (nothing rewritten)',
  ],
  [
    'directory: a directory is left alone',
    { rules: HTACCESS, context: 'directory' },
    { url: '/img/', files: { 'img/': '', 'index.php': '' } },
    'pass through (nothing rewritten)',
  ],
  [
    'server: a redirect with a non-ASCII path',
    { rules: 'RewriteRule ^/alt/(.*)$ /neu/$1 [R=301,L]' },
    { url: 'http://example.com/alt/%C3%A4', headers: { 'User-Agent': 'ä' } },
    'redirect 301 to http://example.com/neu/%c3%a4',
  ],
  [
    'server: -s on an empty file is false',
    { rules: 'RewriteCond %{DOCUMENT_ROOT}/empty -s\nRewriteRule ^ - [F]' },
    { url: '/x', files: { empty: '' } },
    'pass through (nothing rewritten)',
  ],
  [
    'typed rules',
    { rules: [{ path: '/users/:id', substitution: '/profile?id=:id', flags: ['L'] }] },
    { url: '/users/42' },
    'rewritten to /profile?id=42',
  ],
];

test('the built-ins are really replaced (so the table below proves something)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  expect(() => require('node:fs').statSync('/')).toThrow('node:fs.statSync called');
});

describe('explainSync without Node built-ins', () => {
  const savedBuffer = globalThis.Buffer;
  beforeAll(() => {
    (globalThis as { Buffer?: unknown }).Buffer = undefined;
  });
  afterAll(() => {
    globalThis.Buffer = savedBuffer;
  });

  test.each(CASES)('%s', async (_name, source, request, summary) => {
    // loaded after the mocks are in place and Buffer is gone
    const { explainSync } = await import('../../../lib/explain/core.js');
    expect(explainSync(source, request).summary).toBe(summary);
  });
});
