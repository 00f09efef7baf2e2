/**
 * Two groups (jest projects), both run by `npm test` and CI:
 * - `unit`: __tests__/unit, the typed tables of pure modules; imports lib/ directly (no build),
 *   no child process, no network (`npm run test:unit` runs them in two shards instead:
 *   jest.unit.config.js);
 * - `slow`: everything else: conformance replays, end-to-end (some use dist/: `npm run build`
 *   first), reliability, fuzz, security and the lint-rule checks (`npm run test:slow`).
 * @type {import('jest').Config}
 */
const shared = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
    ],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};

module.exports = {
  testTimeout: 20000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      roots: ['<rootDir>/__tests__/unit'],
      testMatch: ['**/*.test.ts'],
    },
    {
      ...shared,
      displayName: 'slow',
      roots: ['<rootDir>/__tests__'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: [
        '/node_modules/',
        '<rootDir>/__tests__/unit/',
        '<rootDir>/__tests__/unit-shards/',
      ],
    },
  ],
};
