/**
 * Variable names resolved at load time (compile/template.ts); engine/variables.ts reads them per
 * request.
 */
/** Header variables by name. Maps: variable names are rule text. */
export const HTTP_VARS = new Map<string, string>([
  ['HTTP_ACCEPT', 'accept'],
  ['HTTP_COOKIE', 'cookie'],
  ['HTTP_FORWARDED', 'forwarded'],
  ['HTTP_HOST', 'host'],
  ['HTTP_PROXY_CONNECTION', 'proxy-connection'],
  ['HTTP_REFERER', 'referer'],
  ['HTTP_USER_AGENT', 'user-agent'],
]);

export const CANONICAL_HEADER = new Map<string, string>([
  ['accept', 'Accept'],
  ['cookie', 'Cookie'],
  ['forwarded', 'Forwarded'],
  ['host', 'Host'],
  ['proxy-connection', 'Proxy-Connection'],
  ['referer', 'Referer'],
  ['user-agent', 'User-Agent'],
]);

/**
 * A variable reference resolved at load time: header variables (the hot case: `%{HTTP_HOST}`,
 * `%{HTTP:X-Foo}`) skip the name parsing on every request.
 */
export type VariableRef =
  { readonly header: string; readonly vary: string } | { readonly name: string };

export function resolveVariable(rawName: string): VariableRef {
  const colon = rawName.indexOf(':');
  if (colon > 0 && rawName.slice(0, colon).toUpperCase() === 'HTTP') {
    const h = rawName.slice(colon + 1);
    return { header: h.toLowerCase(), vary: h };
  }
  const hv = colon < 0 ? HTTP_VARS.get(rawName.toUpperCase()) : undefined;
  if (hv) return { header: hv, vary: CANONICAL_HEADER.get(hv) ?? hv };
  return { name: rawName };
}
