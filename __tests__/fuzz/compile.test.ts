/**
 * Property-based fuzzing of compile() (issue 9, "Machinery that finds the next one").
 *
 * Property: for any rule text, in server and in directory context, compile() returns a RuleSet or
 * throws a RewriteError with a documented code and a line/column inside the text, never another
 * exception, and answers within COMPILE_BOUND_MS (each input runs in a worker thread, so an
 * endless loop is a failed, shrinkable run instead of a stuck test).
 *
 * Also: prototype keys (`constructor`, `__proto__`…) in any name position compile exactly like a
 * neutral word; and every rule text that compiles evaluates a request (evaluateServer /
 * evaluateDirectory) to an Outcome or a RewriteError within the bound (catastrophic backtracking).
 *
 * Inputs: a grammar of directives (grammarRuleText), the conformance corpus mutated
 * (mutatedCorpusText) and arbitrary text. Seed and size: support/config.ts (FUZZ_SEED, FUZZ_RUNS).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { fuzzBudget, fuzzParameters } from './support/config';
import {
  arbitraryText,
  corpusRuleTexts,
  grammarRuleText,
  mutatedCorpusText,
  PROTO_KEYS,
} from './support/rule-grammar';
import {
  KNOWN_COMPILE_DEFECTS,
  KnownDefectTally,
  knownDefect,
  skippedKnownDefect,
} from './support/known-defects';
import { SyncWorker } from './support/sync-worker';

/** Time per input for the jest timeout (0.5 ms each, plus a minute). */
const BUDGET = fuzzBudget(0.5);

/** Decoded URL-paths for the evaluation property: the rule grammar's literals, long runs (backtracking), controls, unicode. */
const uriPath = fc
  .array(
    fc.constantFrom(
      '/',
      'a',
      'b',
      'Z',
      '0',
      '.',
      '..',
      '-',
      '%',
      '$1',
      '?',
      '&',
      '=',
      ' ',
      '\r\n',
      '\0',
      'é',
      '😀',
      'constructor',
      '__proto__',
      'a'.repeat(28),
      'aaaa!',
    ),
    { maxLength: 6 },
  )
  .map((pieces) => '/' + pieces.join(''));
const engineRequest = fc.record({
  method: fc.constantFrom('GET', 'POST', 'HEAD', 'PROPFIND'),
  uri: uriPath,
  args: fc.option(fc.constantFrom('', 'a=1', 'id=x&y', 'q=%0d%0a', '__proto__=1'), { nil: null }),
  headers: fc.record({
    host: fc.constantFrom('fuzz.example', 'www.fuzz.example:8080', '', 'a@b', 'constructor'),
    cookie: fc.constantFrom('a=b', 'constructor=1', ''),
  }),
});

/** Far above a real compile (well under 1 ms); generous for a loaded 2-core CI machine. */
const COMPILE_BOUND_MS = 2000;

const context = fc.constantFrom('server' as const, 'directory' as const);

let worker: SyncWorker;
let prototypeWorker: SyncWorker;
let engineWorker: SyncWorker;
let mapRoot: string;
const tolerated = new KnownDefectTally();

beforeAll(() => {
  // relative map files resolve here: txt:map.txt and rnd:map.txt exist, the rest are missing
  mapRoot = mkdtempSync(join(tmpdir(), 'modrewrite-fuzz-maps-'));
  writeFileSync(join(mapRoot, 'map.txt'), 'a b\nconstructor c\n__proto__ d\n');
  process.env.FUZZ_MAP_ROOT = mapRoot;
  worker = new SyncWorker(resolve(__dirname, 'support/compile-check.ts'), 'checkCompile');
  prototypeWorker = new SyncWorker(
    resolve(__dirname, 'support/compile-check.ts'),
    'checkPrototypeKeys',
  );
  engineWorker = new SyncWorker(resolve(__dirname, 'support/engine-check.ts'), 'checkEngine');
});

afterAll(async () => {
  tolerated.report('compile()');
  await Promise.all([worker.close(), prototypeWorker.close(), engineWorker.close()]);
  rmSync(mapRoot, { recursive: true, force: true });
});

/** Runs one check in `on` with the time bound; throws what went wrong unless it is a tolerated known defect. */
function runCheck(on: SyncWorker, what: string, text: string, payload: object): void {
  const skipped = skippedKnownDefect(KNOWN_COMPILE_DEFECTS, text);
  if (skipped) {
    tolerated.add(skipped);
    return;
  }
  const result = on.call(JSON.stringify(payload), COMPILE_BOUND_MS);
  const failure =
    'timedOut' in result ? `${what} did not finish within ${COMPILE_BOUND_MS} ms` : result.verdict;
  if (failure === '') return;
  const known = knownDefect(KNOWN_COMPILE_DEFECTS, text, failure);
  if (known) {
    tolerated.add(known);
    return;
  }
  throw new Error(failure);
}

function compilesOrFailsPositioned(text: string, ctx: 'server' | 'directory'): void {
  runCheck(worker, `compile() (${ctx} context)`, text, { text, context: ctx });
}

describe('compile(): a RuleSet or a positioned RewriteError, never another exception, never a hang', () => {
  test(
    'rule texts from the directive grammar',
    () => {
      fc.assert(
        fc.property(grammarRuleText, context, compilesOrFailsPositioned),
        fuzzParameters(BUDGET.fastCheckMs),
      );
    },
    BUDGET.jestMs,
  );

  test(
    'mutated conformance-corpus rule texts',
    () => {
      const corpus = corpusRuleTexts();
      expect(corpus.length).toBeGreaterThan(20);
      fc.assert(
        fc.property(mutatedCorpusText(corpus), context, compilesOrFailsPositioned),
        fuzzParameters(BUDGET.fastCheckMs),
      );
    },
    BUDGET.jestMs,
  );

  test(
    'arbitrary text',
    () => {
      fc.assert(
        fc.property(arbitraryText, context, compilesOrFailsPositioned),
        fuzzParameters(BUDGET.fastCheckMs),
      );
    },
    BUDGET.jestMs,
  );
});

describe('compile(): prototype keys are names like any other (issue 9 item 3)', () => {
  test(
    'a text with constructor/__proto__/toString… compiles exactly like the same text with a neutral word',
    () => {
      const withKeys = fc
        .tuple(grammarRuleText, fc.constantFrom(...PROTO_KEYS))
        .map(([text, key]) => text.replace(/(m|lc|uc|esc|name|bogus)\b/, key));
      fc.assert(
        fc.property(withKeys, context, (text, ctx) => {
          runCheck(prototypeWorker, `compile() (${ctx} context)`, text, { text, context: ctx });
        }),
        fuzzParameters(BUDGET.fastCheckMs),
      );
    },
    BUDGET.jestMs,
  );
});

describe('evaluation: a compiled rule set answers a request with an Outcome or a RewriteError, within the bound', () => {
  test(
    'grammar rule texts × requests, server and directory context',
    () => {
      const enabled = grammarRuleText.map((text) => `RewriteEngine on\n${text}`);
      fc.assert(
        fc.property(enabled, context, engineRequest, (text, ctx, request) => {
          runCheck(engineWorker, `evaluation (${ctx} context)`, text, {
            text,
            context: ctx,
            ...request,
          });
        }),
        fuzzParameters(BUDGET.fastCheckMs),
      );
    },
    BUDGET.jestMs,
  );
});
