/**
 * Issue 9, item 4: `[R=503]` reached next(err) as ERR_URI_TOO_LONG ("rule limit exceeded"). Status
 * outcomes carry a typed cause; statusErrorCode (next to ERROR_CODES) is the one mapping. The
 * statuses as rewrite() answers them over HTTP: __tests__/e2e/status-codes.test.ts.
 */
import {
  ERROR_CODES,
  statusErrorCode,
  type RewriteErrorCode,
  type StatusCause,
} from '../../../lib/errors';

const causes: ReadonlyArray<readonly [StatusCause | undefined, RewriteErrorCode]> = [
  ['flag', 'ERR_STATUS_FLAG'],
  [undefined, 'ERR_STATUS_FLAG'],
  ['rounds', 'ERR_MAX_ROUNDS'],
  ['length', 'ERR_URI_TOO_LONG'],
  ['recursion', 'ERR_RECURSION'],
  ['unsafe', 'ERR_UNSAFE_RESULT'],
  ['bad-request', 'ERR_BAD_REQUEST'],
  ['config', 'ERR_FORBIDDEN_CONFIG'],
  ['header', 'ERR_RESPONSE_HEADER'],
];

test.each(causes)('cause %s → %s (a listed code)', (cause, code) => {
  expect(statusErrorCode(cause)).toBe(code);
  expect(Object.hasOwn(ERROR_CODES, code)).toBe(true);
});
