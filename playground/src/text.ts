/**
 * The engine keeps paths, headers and query strings as byte strings (one char per byte, as PCRE
 * sees them); the page shows them as the UTF-8 text they spell, when they spell valid UTF-8.
 */
const strict = new TextDecoder('utf-8', { fatal: true });

/** A byte string as text: decoded when it is valid UTF-8 with non-ASCII bytes, else unchanged. */
export function displayBytes(s: string): string {
  // ASCII needs nothing; a char above U+00FF means the string is text already
  if (!/[\x80-\xff]/.test(s) || /[^\x00-\xff]/.test(s)) return s;
  try {
    return strict.decode(Uint8Array.from(s, (c) => c.charCodeAt(0)));
  } catch {
    return s;
  }
}

/**
 * A copy of a trace event (or outcome) with its byte-string fields shown as text. `pattern` is
 * kept: it is the rule's text as written, not bytes.
 */
export function displayFields<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (key === 'pattern') out[key] = field;
    else if (typeof field === 'string') out[key] = displayBytes(field);
    else if (Array.isArray(field))
      out[key] = field.map((v: unknown) => (typeof v === 'string' ? displayBytes(v) : v));
    else if (field && typeof field === 'object' && key === 'outcome')
      out[key] = displayFields(field);
    else out[key] = field;
  }
  return out as T;
}
