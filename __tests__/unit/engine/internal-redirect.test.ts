/**
 * lib/engine/internal-redirect.ts: LimitInternalRecursion's default of 10 (server/core.c,
 * ap_is_recursion_limit_exceeded): the 10th internal redirect of a request is followed, the 11th
 * is a 500 (AH00124). The three loops that follow internal redirects ask exceedsRedirectLimit.
 */
import { MAX_INTERNAL_REDIRECTS } from '../../../lib/engine/directory';
import { exceedsRedirectLimit } from '../../../lib/engine/internal-redirect';

test("the limit is Apache's default of 10", () => {
  expect(MAX_INTERNAL_REDIRECTS).toBe(10);
});

test.each([
  [1, false],
  [9, false],
  [10, false],
  [11, true],
  [1000, true],
])('internal redirect number %i is over the limit: %p', (count, over) => {
  expect(exceedsRedirectLimit(count)).toBe(over);
});
