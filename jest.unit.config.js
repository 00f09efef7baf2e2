/**
 * `npm run test:unit`: the unit tables in two shards, one per worker (__tests__/unit-shards/shard.ts
 * says why), plus the tables that need a module registry of their own (`*.isolated.test.ts`).
 * `npm test` and CI run the same tables one jest file each, through jest.config.js.
 * @type {import('jest').Config}
 */
// a jest config is CommonJS: it shares the unit project's transform and settings
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { projects, testTimeout } = require('./jest.config.js');

const unit = projects.find((project) => project.displayName === 'unit');

module.exports = {
  ...unit,
  displayName: 'unit',
  roots: ['<rootDir>/__tests__/unit-shards', '<rootDir>/__tests__/unit'],
  testMatch: ['**/unit-shards/shard-*.test.ts', '**/*.isolated.test.ts'],
  maxWorkers: 2,
  testTimeout,
};
