// `npm run fuzz`: the fuzz properties of __tests__/fuzz for a long run. FUZZ_RUNS inputs per
// property (default 1,000,000), FUZZ_SEED (default: a new random seed, printed first and again on
// failure so the run can be replayed), FUZZ_SKIP_KNOWN=1 to look past the defects listed in
// __tests__/fuzz/support/known-defects.ts. Extra arguments go to jest (e.g. `-t compile`).
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { createRequire } from 'node:module';

const runs = process.env.FUZZ_RUNS || '1000000';
const seed = process.env.FUZZ_SEED || String(randomInt(2 ** 31 - 1));
const jest = createRequire(import.meta.url).resolve('jest/bin/jest');

console.log(
  `fuzz: seed ${seed}, ${runs} inputs per property (replay: FUZZ_SEED=${seed} FUZZ_RUNS=${runs} npm run fuzz)`,
);
const started = Date.now();
const result = spawnSync(
  process.execPath,
  [jest, '--runInBand', '__tests__/fuzz', ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    env: { ...process.env, FUZZ_RUNS: runs, FUZZ_SEED: seed },
  },
);
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
if (result.status === 0) {
  console.log(`fuzz: passed, seed ${seed}, ${runs} inputs per property, ${minutes} min`);
} else {
  console.error(
    `fuzz: FAILED with seed ${seed} after ${minutes} min (replay: FUZZ_SEED=${seed} FUZZ_RUNS=${runs} npm run fuzz)`,
  );
}
process.exit(result.status ?? 1);
