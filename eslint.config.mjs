// ESLint flat config: typescript-eslint's recommended rules over the whole project. Formatting is
// Prettier's business (.prettierrc.json); `npm run lint` runs both checks and CI fails on either.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

/**
 * The layers of lib/, lowest first: a module imports only from its own layer or a lower one.
 * - errors.ts, debug-log.ts: the bottom;
 * - common/: helpers with no import of ours but the bottom, so every layer may use them (byte
 *   strings, Apache's escapers, the RewriteMap sources);
 * - syntax/ (text to directives) → compile/ (directives to rule sets, the expr parser, variable
 *   names resolved at load) → engine/ (one request's evaluation, pure of HTTP; lint/, the rule
 *   checker, sits beside it on compile/ and neither imports the other) → explain/ (one
 *   request explained: outcome and structured trace, browser-safe but explain.ts) → http/ (node:http:
 *   rewrite() and the adapter helpers site/ and proxy/ build on) → site/ | proxy/ (siblings, never
 *   importing each other, nor http/rewrite.ts) → index.ts (the public exports) → cli.
 */
const LAYERS = [
  ['lib/errors.ts', 'lib/debug-log.ts'],
  ['lib/common'],
  ['lib/syntax'],
  ['lib/compile'],
  ['lib/engine', 'lib/lint'],
  ['lib/explain'],
  ['lib/http'],
  ['lib/site', 'lib/proxy'],
  ['lib/index.ts'],
  ['lib/cli', 'lib/cli.ts'],
];

/** Folders of one layer that must not import each other. */
const SIBLINGS = [
  ['lib/site', 'lib/proxy'],
  ['lib/engine', 'lib/lint'],
];

/** no-restricted-paths zones: no import of a higher layer, nor of a sibling. */
function layerZones() {
  const zones = LAYERS.slice(0, -1).map((row, rank) => ({
    target: row.map((p) => `./${p}`),
    from: LAYERS.slice(rank + 1)
      .flat()
      .map((p) => `./${p}`),
    message: `${row.join(', ')}: import only from this layer or a lower one (LAYERS in eslint.config.mjs)`,
  }));
  for (const pair of SIBLINGS)
    for (const target of pair)
      for (const other of pair.filter((p) => p !== target))
        zones.push({
          target: `./${target}`,
          from: `./${other}`,
          message: `${target} and ${other} are siblings: neither imports the other`,
        });
  // site/ and proxy/ build on http/'s adapter helpers, never on the rewrite() middleware itself
  zones.push({
    target: ['./lib/site', './lib/proxy'],
    from: './lib/http/rewrite.ts',
    message: 'import the adapter helper from its own http/ module, not from the rewrite() factory',
  });
  return zones;
}

export default tseslint.config(
  { ignores: ['dist/**', 'playground/dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_next`: Express tells error handlers and middleware apart by arity, so unused trailing
      // parameters are part of the signature
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Apache's own checks are about control characters (AH02430, CVE-2023-25690): matching them
      // in a regexp is the point, not an accident
      'no-control-regex': 'off',
      // `l` asks V8 whether a pattern runs on its linear-time engine (issue 9, item 17)
      'no-invalid-regexp': ['error', { allowConstructorFlags: ['l'] }],
    },
  },
  {
    // The layers (LAYERS above) and no import cycle. Imports are written `./x.js` and resolve to the
    // `.ts` source (NodeNext), hence the extension alias.
    files: ['lib/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // no-cycle parses the imported modules too: with the TypeScript parser
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js'],
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.js'],
          extensionAlias: { '.js': ['.ts', '.js'] },
        }),
      ],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones: layerZones() }],
      // a function fits a screen (CONTRIBUTING; issue 8): a longer one needs a disable comment
      // for this rule that gives its reason
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    // CommonJS files: the bin entry, the conformance harness, the example app and its handlers
    files: ['**/*.cjs', 'example-app/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // the playground's page code and its shims of Node built-ins run in a browser: they use the
    // browser-safe layers of lib/ (explain/core.ts and below), never node:http's
    files: ['playground/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/lib/http/*',
                '**/lib/site/*',
                '**/lib/proxy/*',
                '**/lib/cli*',
                '**/lib/index*',
                '**/lib/explain/explain*',
              ],
              message:
                'the playground runs in a browser: import lib/explain/core.ts and the layers below it',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['__tests__/**/*.ts'],
    languageOptions: { globals: { ...globals.jest } },
  },
);
