/**
 * The fuzz properties' oracle itself (support/request-oracle.ts): which 5xx answers it accepts.
 * A 5xx the rules ask for (`[R=503]`) is documented both when answered directly and when
 * rewrite() hands it to next(err) as ERR_STATUS_FLAG (README, Errors); found by
 * `npm run fuzz`, seed 420123972: `RewriteRule "" "-" [R=503]` under Express.
 */
import type { Answer } from './support/http-harness';
import type { RequestRecord } from './support/http-servers';
import { violation } from './support/request-oracle';

function answer(status: number, record: RequestRecord): Answer {
  return { kind: 'response', status, headers: {}, body: '', collected: { record, crashes: [] } };
}

const statusFlag = (status: number): RequestRecord['error'] => ({
  name: 'RewriteRuntimeError',
  code: 'ERR_STATUS_FLAG',
  status,
  message: `modrewrite: /: ${status} (flag)`,
  ours: true,
});

describe('request oracle: 5xx the rules ask for', () => {
  const requested = new Set([503]);

  test.each<[string, number, RequestRecord, boolean]>([
    ['answered directly', 503, { logs: [] }, true],
    ['handed to next(err) as ERR_STATUS_FLAG', 503, { logs: [], error: statusFlag(503) }, true],
    ['ERR_STATUS_FLAG with another status', 503, { logs: [], error: statusFlag(502) }, false],
    [
      'another error of ours',
      503,
      { logs: [], error: { ...statusFlag(503)!, code: 'ERR_MAX_ROUNDS' } },
      false,
    ],
    ['not ours', 503, { logs: [], error: { ...statusFlag(503)!, ours: false } }, false],
    ['a status no rule asked for', 502, { logs: [], error: statusFlag(502) }, false],
  ])('%s', (_name, status, record, accepted) => {
    const failure = violation(answer(status, record), 1000, { requested });
    expect(failure === '').toBe(accepted);
  });
});
