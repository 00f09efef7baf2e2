/**
 * Apache works on bytes. modrewrite keeps every decoded path, header and rule string as a
 * "byte string": a JS string with one char (U+0000..U+00FF) per byte, so regexes, `.`, captures
 * and escaping behave exactly like PCRE without UTF mode. Node already gives headers this way.
 */

/** UTF-8 text (rule files) → byte string. */
export function utf8ToBytes(s: string): string {
  // Fast path: pure ASCII is already a byte string.

  if (/^[\x00-\x7f]*$/.test(s)) return s;
  if (typeof Buffer === 'undefined') return latin1Of(new TextEncoder().encode(s));
  return Buffer.from(s, 'utf8').toString('latin1');
}

/** Byte string → UTF-8 text (for users: req.rewrite.env values, logs). */
export function bytesToUtf8(s: string): string {
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  if (typeof Buffer === 'undefined') return new TextDecoder().decode(bytesOf(s));
  return Buffer.from(s, 'latin1').toString('utf8');
}

/*
 * Without Buffer (explain() in a browser) the same conversions through TextEncoder/TextDecoder:
 * both replace an invalid UTF-8 sequence by U+FFFD the WHATWG way, as Buffer does.
 */
function latin1Of(bytes: Uint8Array): string {
  let out = '';
  // in chunks: fromCharCode takes its arguments on the stack
  for (let i = 0; i < bytes.length; i += 8192)
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}

function bytesOf(s: string): Uint8Array {
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i) & 0xff;
  return bytes;
}

/** Byte string → a path node:fs reads as those bytes (a Buffer only when a byte is above 0x7f). */
export function fsPath(s: string): string | Buffer {
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  return Buffer.from(s, 'latin1');
}
