/**
 * `node:v8` in the browser bundle: a browser cannot switch V8's linear-time regexp engine on, so
 * the flags are refused the way an older runtime refuses them (pcre.ts then keeps backtracking).
 */
export function setFlagsFromString(_flags: string): void {
  throw new Error('V8 flags cannot be set in a browser');
}

export default { setFlagsFromString };
