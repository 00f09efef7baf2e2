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
import { DEFAULT_FAULT_STATUS, type FaultKind } from '../../lib/index';
import { FUZZ_RUNS, fuzzParameters, jestTimeout } from './support/config';
import { HttpHarness, type Answer, type FuzzRequest, type Target } from './support/http-harness';
import { CANARY_HEADER, SECRET_MARKER } from './support/http-servers';
import { KNOWN_REQUEST_DEFECTS, KnownDefectTally, knownDefect, skippedKnownDefect } from './support/known-defects';
import { fuzzRequest, withCanaryPort } from './support/request-grammar';

/** Far above a real answer (about a millisecond); generous for a loaded 2-core CI machine. */
const REQUEST_BOUND_MS = 5000;

const harness = new HttpHarness(REQUEST_BOUND_MS);
const tolerated = new KnownDefectTally();

beforeAll(() => harness.start(), 60_000);
afterAll(async () => {
  tolerated.report('requests');
  await harness.stop();
});

/** '' when the answer satisfies the property, otherwise what is wrong with it. */
function violation(answer: Answer): string {
  if (answer.kind === 'timeout') {
    const seen = answer.collected;
    if (!seen) return `no answer within ${REQUEST_BOUND_MS} ms, and the server thread is blocked`;
    return `no answer within ${REQUEST_BOUND_MS} ms; the server thread had ${seen.crashes.join('\n') || 'no crash'}${seen.record?.error ? `; next(err): ${seen.record.error.message}` : ''}`;
  }
  if (answer.kind === 'unsendable') return '';
  const { record, crashes } = answer.collected;
  if (crashes.length > 0) return `the server thread had ${crashes.join('\n')}`;
  if (answer.kind === 'closed') return `the connection was closed without an answer (${answer.error})${record?.error ? `; next(err): ${record.error.message}` : ''}`;
  if (answer.headers[CANARY_HEADER] !== undefined) return 'SSRF: the answer came from the canary service, which no rule names';
  if (answer.body.includes(SECRET_MARKER)) return 'a file outside the document root was served';
  const status = answer.status;
  if (status < 500) return '';
  const fault = record?.fault;
  if (fault && fault.status === status && DEFAULT_FAULT_STATUS[fault.kind as FaultKind] === status) return '';
  if (status === 500 && record?.error?.ours) return '';
  if (status === 500 && !record?.error && record?.logs.some((l) => / 500 \w/.test(l))) return '';
  const why = record?.error ? `next(err) got ${record.error.message}` : fault ? `proxy fault ${JSON.stringify(fault)}` : `logs: ${JSON.stringify(record?.logs ?? [])}`;
  return `undocumented ${status}: ${why}`;
}

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
    const failure = violation(answer);
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
  test(`rewrite() under Express (${FUZZ_RUNS} requests)`, async () => {
    await fc.assert(requestProperty('express'), fuzzParameters());
  }, jestTimeout(5));

  test(`site() on node:http over a real document root (${FUZZ_RUNS} requests)`, async () => {
    await fc.assert(requestProperty('site'), fuzzParameters());
  }, jestTimeout(5));
});
