/**
 * LimitInternalRecursion: Apache's core counts the internal redirects of a request
 * (`ap_is_recursion_limit_exceeded`, server/core.c) and answers 500 once they pass the limit (10 by
 * default, AH00124 "Request exceeded the limit of 10 internal redirects"). The three places that
 * follow internal redirects ask this one function: evaluateDirectory (engine/evaluate.ts),
 * site()'s pipeline (`ap_internal_redirect`, site/pipeline.ts) and rewrite()'s re-dispatch
 * through the Express app (http/rewrite.ts).
 */
import { MAX_INTERNAL_REDIRECTS } from './directory.js';

/** Whether a request's `count`-th internal redirect (counted from 1) is over the limit. */
export function exceedsRedirectLimit(count: number): boolean {
  return count > MAX_INTERNAL_REDIRECTS;
}
