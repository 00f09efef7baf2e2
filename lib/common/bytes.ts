/**
 * Apache works on bytes. modrewrite keeps every decoded path, header and rule string as a
 * "byte string": a JS string with one char (U+0000..U+00FF) per byte, so regexes, `.`, captures
 * and escaping behave exactly like PCRE without UTF mode. Node already gives headers this way.
 */

/** UTF-8 text (rule files) → byte string. */
export function utf8ToBytes(s: string): string {
  // Fast path: pure ASCII is already a byte string.

  if (/^[\x00-\x7f]*$/.test(s)) return s;
  return Buffer.from(s, 'utf8').toString('latin1');
}

/** Byte string → UTF-8 text (for users: req.rewrite.env values, logs). */
export function bytesToUtf8(s: string): string {
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  return Buffer.from(s, 'latin1').toString('utf8');
}

/** Byte string → a path node:fs reads as those bytes (a Buffer only when a byte is above 0x7f). */
export function fsPath(s: string): string | Buffer {
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  return Buffer.from(s, 'latin1');
}
