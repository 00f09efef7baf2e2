/**
 * Seed and size of every fuzz property. CI uses the fixed seed below; `FUZZ_SEED` replays or varies
 * it, `FUZZ_RUNS` sets the number of inputs per property (`npm run fuzz` sets both for a long run).
 * fast-check prints the seed and the shrunk counterexample when a property fails.
 */
import fc from 'fast-check';

export const DEFAULT_SEED = 0x5eed09;
export const DEFAULT_RUNS = 10_000;

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, got '${raw}'`);
  return value;
}

export const FUZZ_SEED = intFromEnv('FUZZ_SEED', DEFAULT_SEED);
export const FUZZ_RUNS = intFromEnv('FUZZ_RUNS', DEFAULT_RUNS);

/**
 * fast-check parameters for a property of `runs` inputs. `timeLimitMs` (the jest timeout less a
 * margin) stops a long shrink, e.g. of an input that hangs, so fast-check still reports the
 * counterexample it has instead of jest killing the test (whose property would then run on).
 */
export function fuzzParameters<T>(timeLimitMs: number, runs = FUZZ_RUNS): fc.Parameters<T> {
  return {
    seed: FUZZ_SEED,
    numRuns: runs,
    endOnFailure: false,
    interruptAfterTimeLimit: timeLimitMs,
    markInterruptAsFailure: true,
  };
}

/** A jest timeout for `perRunMs` per input, and the fast-check time limit 15 s inside it. */
export function fuzzBudget(
  perRunMs: number,
  runs = FUZZ_RUNS,
): { jestMs: number; fastCheckMs: number } {
  const jestMs = jestTimeout(perRunMs, 60_000, runs);
  return { jestMs, fastCheckMs: jestMs - 15_000 };
}

/** A jest timeout that grows with the number of runs (`perRunMs` each, plus `baseMs` and shrinking time). */
export function jestTimeout(perRunMs: number, baseMs = 60_000, runs = FUZZ_RUNS): number {
  return baseMs + Math.ceil(runs * perRunMs);
}
