/**
 * Property-based fuzzing of compile() (issue 9, "Machinery that finds the next one").
 *
 * Property: for any rule text, in server and in directory context, compile() returns a RuleSet or
 * throws a RewriteError with a documented code and a line/column inside the text, never another
 * exception, and answers within COMPILE_BOUND_MS (each input runs in a worker thread, so an
 * endless loop is a failed, shrinkable run instead of a stuck test).
 *
 * Inputs: a grammar of directives (grammarRuleText), the conformance corpus mutated
 * (mutatedCorpusText) and arbitrary text. Seed and size: support/config.ts (FUZZ_SEED, FUZZ_RUNS).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { fuzzParameters, jestTimeout } from './support/config';
import { arbitraryText, corpusRuleTexts, grammarRuleText, mutatedCorpusText } from './support/rule-grammar';
import { KNOWN_COMPILE_DEFECTS, KnownDefectTally, knownDefect, skippedKnownDefect } from './support/known-defects';
import { SyncWorker } from './support/sync-worker';

/** Far above a real compile (well under 1 ms); generous for a loaded 2-core CI machine. */
const COMPILE_BOUND_MS = 2000;

const context = fc.constantFrom('server' as const, 'directory' as const);

let worker: SyncWorker;
let mapRoot: string;
const tolerated = new KnownDefectTally();

beforeAll(() => {
  // relative map files resolve here: txt:map.txt and rnd:map.txt exist, the rest are missing
  mapRoot = mkdtempSync(join(tmpdir(), 'modrewrite-fuzz-maps-'));
  writeFileSync(join(mapRoot, 'map.txt'), 'a b\nconstructor c\n__proto__ d\n');
  process.env.FUZZ_MAP_ROOT = mapRoot;
  worker = new SyncWorker(resolve(__dirname, 'support/compile-check.ts'), 'checkCompile');
});

afterAll(async () => {
  tolerated.report('compile()');
  await worker.close();
  rmSync(mapRoot, { recursive: true, force: true });
});

function compilesOrFailsPositioned(text: string, ctx: 'server' | 'directory'): void {
  const skipped = skippedKnownDefect(KNOWN_COMPILE_DEFECTS, text);
  if (skipped) {
    tolerated.add(skipped);
    return;
  }
  const result = worker.call(JSON.stringify({ text, context: ctx }), COMPILE_BOUND_MS);
  const failure = 'timedOut' in result ? `compile() did not finish within ${COMPILE_BOUND_MS} ms` : result.verdict;
  if (failure === '') return;
  const known = knownDefect(KNOWN_COMPILE_DEFECTS, text, failure);
  if (known) {
    tolerated.add(known);
    return;
  }
  throw new Error(`${failure} (${ctx} context)`);
}

describe('compile(): a RuleSet or a positioned RewriteError, never another exception, never a hang', () => {
  test('rule texts from the directive grammar', () => {
    fc.assert(fc.property(grammarRuleText, context, compilesOrFailsPositioned), fuzzParameters());
  }, jestTimeout(0.5));

  test('mutated conformance-corpus rule texts', () => {
    const corpus = corpusRuleTexts();
    expect(corpus.length).toBeGreaterThan(20);
    fc.assert(fc.property(mutatedCorpusText(corpus), context, compilesOrFailsPositioned), fuzzParameters());
  }, jestTimeout(0.5));

  test('arbitrary text', () => {
    fc.assert(fc.property(arbitraryText, context, compilesOrFailsPositioned), fuzzParameters());
  }, jestTimeout(0.5));
});
