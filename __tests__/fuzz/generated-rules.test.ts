/**
 * Property-based fuzzing of generated rule sets at the HTTP layer (issue 9, "Machinery that finds
 * the next one"): a rule text from the directive grammar is installed as rewrite()'s rules under
 * Express (server context) and as the `.htaccess` of a fresh folder served by site() (directory
 * context), then a generated request is sent through it.
 *
 * The same property as requests.test.ts (an answer within the bound, no crash, no undocumented
 * 5xx, no SSRF, nothing outside the root), with the 5xx a rule text may ask for: a status its
 * flags name (`[R=503]`), and the 500 of a broken .htaccess (logged "invalid configuration", as
 * Apache answers 500 for it). rewrite() must also take or refuse the text with a RewriteError.
 * [P] targets that name a host are never looked up (proxy `lookup: loopbackOnlyLookup`).
 */
import { resolve } from 'node:path';
import fc from 'fast-check';
import { FUZZ_RUNS, fuzzBudget, fuzzParameters } from './support/config';
import { HttpHarness, type FuzzRequest } from './support/http-harness';
import {
  KNOWN_COMPILE_DEFECTS,
  KNOWN_REQUEST_DEFECTS,
  KnownDefectTally,
  knownDefect,
  skippedKnownDefect,
} from './support/known-defects';
import { violation } from './support/request-oracle';
import { fuzzRequest, withCanaryPort } from './support/request-grammar';
import { grammarRuleText } from './support/rule-grammar';
import { SyncWorker } from './support/sync-worker';

/** Time per input for the jest timeout (5 ms each, plus a minute). */
const BUDGET = fuzzBudget(5);

const REQUEST_BOUND_MS = 5000;

const COMPILE_BOUND_MS = 2000;

const harness = new HttpHarness(REQUEST_BOUND_MS);
/** Compiles each text first where a hang costs only this worker (the servers' worker would take a restart). */
let compileWorker: SyncWorker;
const tolerated = new KnownDefectTally();

beforeAll(async () => {
  compileWorker = new SyncWorker(resolve(__dirname, 'support/compile-check.ts'), 'checkCompile');
  await harness.start();
}, 60_000);
afterAll(async () => {
  tolerated.report('generated rules');
  await Promise.all([harness.stop(), compileWorker.close()]);
});

const brokenHtaccess = (logs: readonly string[]): boolean =>
  logs.some((l) => l.includes('.htaccess: invalid configuration'));

/** The request moved under the generated folder (`/gen/<n>/…`) for site(). */
function inFolder(request: FuzzRequest, folder: string): FuzzRequest {
  const path = request.path.startsWith('/') ? request.path : `/${request.path}`;
  return { ...request, path: `/${folder}${path}` };
}

function generatedProperty(target: 'gen-express' | 'gen-site') {
  return fc.asyncProperty(grammarRuleText, fuzzRequest, async (body, generated) => {
    const text = `RewriteEngine on\n${body}`;
    const skippedText = skippedKnownDefect(KNOWN_COMPILE_DEFECTS, text);
    if (skippedText) {
      tolerated.add(skippedText);
      return;
    }
    const compiled = compileWorker.call(
      JSON.stringify({ text, context: 'server' }),
      COMPILE_BOUND_MS,
    );
    if ('timedOut' in compiled) {
      const failure = `compile() did not finish within ${COMPILE_BOUND_MS} ms`;
      const known = knownDefect(KNOWN_COMPILE_DEFECTS, text, failure);
      if (known) {
        tolerated.add(known);
        return;
      }
      throw new Error(failure);
    }
    const installed = await harness.setGenerated(text);
    if ('timedOut' in installed)
      throw new Error(`rewrite() did not compile the rules within ${REQUEST_BOUND_MS} ms`);
    if (installed.error)
      throw new Error(`rewrite() threw something other than a RewriteError: ${installed.error}`);
    if (target === 'gen-express' && !installed.compiled) return;
    const withPort = withCanaryPort(generated, harness.canaryPort);
    const request = target === 'gen-site' ? inFolder(withPort, installed.folder) : withPort;
    const input = JSON.stringify({ text, request });
    const skipped = skippedKnownDefect(KNOWN_REQUEST_DEFECTS, input);
    if (skipped) {
      tolerated.add(skipped);
      return;
    }
    const answer = await harness.send(target, request);
    fc.pre(answer.kind !== 'unsendable');
    const requested = new Set([...text.matchAll(/R=(\d{3})/g)].map((m) => Number(m[1])));
    const failure = violation(answer, REQUEST_BOUND_MS, { allowed500: brokenHtaccess, requested });
    if (failure === '') return;
    const known = knownDefect(KNOWN_REQUEST_DEFECTS, input, failure);
    if (known) {
      tolerated.add(known);
      return;
    }
    throw new Error(`${target}: ${failure}`);
  });
}

describe('generated rules × requests: always an answer, no crash, no undocumented 5xx', () => {
  test(
    `rewrite() under Express with generated server-context rules (${FUZZ_RUNS} requests)`,
    async () => {
      await fc.assert(generatedProperty('gen-express'), fuzzParameters(BUDGET.fastCheckMs));
    },
    BUDGET.jestMs,
  );

  test(
    `site() with a generated .htaccess (${FUZZ_RUNS} requests)`,
    async () => {
      await fc.assert(generatedProperty('gen-site'), fuzzParameters(BUDGET.fastCheckMs));
    },
    BUDGET.jestMs,
  );
});
