/**
 * `npm run test:unit` runs the unit tables in two jest files (this folder's shards), one per
 * worker, instead of one jest file per table: jest gives every test file a fresh module registry,
 * so 60 files loaded lib/ 60 times, and that loading was most of the group's time (about 6 s of
 * CPU against 0.6 s of tests). Each table still is its own file under __tests__/unit/, mirroring
 * lib/, and `npm test` / CI still run each one as its own jest file (the `unit` project).
 *
 * A table that replaces modules (jest.mock) needs a registry of its own: it is named
 * `*.isolated.test.ts`, and the shards leave it to jest (jest.unit.config.js lists it directly).
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const UNIT_DIR = join(__dirname, '..', 'unit');

/** Every unit table that can share a registry, sorted so each shard's share is stable. */
export function sharedRegistryTables(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (isSharedTable(entry.name)) found.push(path);
    }
  };
  walk(UNIT_DIR);
  return found.sort();
}

function isSharedTable(name: string): boolean {
  return name.endsWith('.test.ts') && !name.endsWith('.isolated.test.ts');
}

/** Registers shard `index` of `count`: every count-th table, each under a describe of its path. */
export function runShard(index: number, count: number): void {
  const tables = sharedRegistryTables().filter((_, i) => i % count === index);
  for (const table of tables) {
    describe(relative(UNIT_DIR, table), () => {
      // a dynamic require: the table registers its describe/test blocks as it loads
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(table);
      // a table that left fake timers on must not change the next table's clock
      afterAll(() => {
        jest.useRealTimers();
      });
    });
  }
}
