// ESLint flat config: typescript-eslint's recommended rules over the whole project. Formatting is
// Prettier's business (.prettierrc.json); `npm run lint` runs both checks and CI fails on either.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
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
    // CommonJS files: the bin entry, the conformance harness, the example app and its handlers
    files: ['**/*.cjs', 'example-app/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['__tests__/**/*.ts'],
    languageOptions: { globals: { ...globals.jest } },
  },
);
