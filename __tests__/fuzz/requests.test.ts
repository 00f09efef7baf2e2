/**
 * Property-based fuzzing of requests through a rich rule set (issue 9, "Machinery that finds the
 * next one"), under Express with rewrite() and on node:http with site() over a real document root.
 *
 * Property, for every generated request (method, request-target, headers, body):
 * - an answer within REQUEST_BOUND_MS (the servers run in a worker thread: a blocked event loop
 *   is a timeout here, and the worker is restarted);
 * - no uncaught exception and no unhandled rejection in the server's thread;
 * - the connection is not closed without an answer;
 * - no 5xx except a proxy fault answered with its documented status (DEFAULT_FAULT_STATUS: 502
 *   refused/reset/bad response, 504 timeout, 500 unusable target) and 500 for a documented reason:
 *   a RewriteError passed to next(err) (the runtime limits), or a 500 the site logged with its reason;
 * - never the canary service's answer (a service on another loopback port no rule names: SSRF),
 *   never the content of a file outside the document root.
 *
 * Seed and size: support/config.ts (FUZZ_SEED, FUZZ_RUNS).
 */
import fc from 'fast-check';
import { FUZZ_RUNS, fuzzBudget, fuzzParameters } from './support/config';
import { HttpHarness, type FuzzRequest, type Target } from './support/http-harness';
import {
  KNOWN_REQUEST_DEFECTS,
  KnownDefectTally,
  knownDefect,
  skippedKnownDefect,
} from './support/known-defects';
import { violation } from './support/request-oracle';
import { fuzzRequest, withCanaryPort } from './support/request-grammar';

/** Time per input for the jest timeout (5 ms each, plus a minute). */
const BUDGET = fuzzBudget(5);

/** Far above a real answer (about a millisecond); generous for a loaded 2-core CI machine. */
const REQUEST_BOUND_MS = 5000;

const harness = new HttpHarness(REQUEST_BOUND_MS);
const tolerated = new KnownDefectTally();

beforeAll(() => harness.start(), 60_000);
afterAll(async () => {
  tolerated.report('requests');
  await harness.stop();
});

function requestProperty(target: Target) {
  return fc.asyncProperty(fuzzRequest, async (generated: FuzzRequest) => {
    const request = withCanaryPort(generated, harness.canaryPort);
    const skipped = skippedKnownDefect(KNOWN_REQUEST_DEFECTS, JSON.stringify(request));
    if (skipped) {
      tolerated.add(skipped);
      return;
    }
    const answer = await harness.send(target, request);
    fc.pre(answer.kind !== 'unsendable');
    const failure = violation(answer, REQUEST_BOUND_MS);
    if (failure === '') return;
    const known = knownDefect(KNOWN_REQUEST_DEFECTS, JSON.stringify(request), failure);
    if (known) {
      tolerated.add(known);
      return;
    }
    throw new Error(`${target}: ${failure}`);
  });
}

describe('requests: always an answer, no crash, no undocumented 5xx, no SSRF, nothing outside the root', () => {
  test(
    `rewrite() under Express (${FUZZ_RUNS} requests)`,
    async () => {
      await fc.assert(requestProperty('express'), fuzzParameters(BUDGET.fastCheckMs));
    },
    BUDGET.jestMs,
  );

  test(
    `site() on node:http over a real document root (${FUZZ_RUNS} requests)`,
    async () => {
      await fc.assert(requestProperty('site'), fuzzParameters(BUDGET.fastCheckMs));
    },
    BUDGET.jestMs,
  );
});
