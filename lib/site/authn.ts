/**
 * Basic authentication as Debian's Apache does it with mod_auth_basic (`authenticate_basic_user`,
 * `get_basic_auth`) and mod_authn_file (`check_password`): the `Authorization: Basic` credentials
 * checked against an `AuthUserFile` (`user:hash` lines, read on every request as Apache does).
 * `AuthBasicProvider` is `file`, the only provider loaded. The password is never logged.
 */
import { readFileSync } from 'node:fs';
import type { AuthConfig } from '../compile/access.js';
import { passwordMatches } from './password.js';

/** How a password is checked against a hash: passwordMatches, or passwordCheck's queued form. */
export type PasswordCheck = (password: Buffer, hash: string) => boolean | Promise<boolean>;

/**
 * r->user and r->ap_auth_type as mod_auth_basic leaves them (REMOTE_USER and AUTH_TYPE):
 * authenticate_basic_user sets the AuthType as written before it reads the credentials, and
 * get_basic_auth sets the user they name before the password is checked, so a 401 for a wrong
 * password has both (recorded, case 499).
 */
export interface AuthIdentity {
  readonly user?: string;
  readonly authType: string;
}

/** r->user, a 401 (the client is asked again) or a 500 (the configuration cannot be used). */
export type AuthnResult =
  | { readonly type: 'user'; readonly user: string; readonly identity: AuthIdentity }
  | { readonly type: 'unauthorized'; readonly identity?: AuthIdentity }
  | { readonly type: 'error'; readonly reason: string };

function userOrRefused(matches: boolean, identity: AuthIdentity & { user: string }): AuthnResult {
  return matches
    ? { type: 'user', user: identity.user, identity }
    : { type: 'unauthorized', identity };
}

/** The `Authorization` value's user and password (bytes), or undefined without Basic. */
export function basicCredentials(
  header: string | undefined,
): { user: string; password: Buffer } | undefined {
  if (header === undefined) return undefined;
  const space = header.indexOf(' ');
  const scheme = space < 0 ? header : header.slice(0, space);
  if (scheme.toLowerCase() !== 'basic') return undefined;
  // ap_pbase64decode stops at the first character that is not base64
  const rest = space < 0 ? '' : header.slice(space + 1).replace(/^[ \t]+/, '');
  const encoded = /^[A-Za-z0-9+/]*/.exec(rest)?.[0];
  let decoded = Buffer.from(encoded ?? '', 'base64');
  const nul = decoded.indexOf(0);
  if (nul >= 0) decoded = decoded.subarray(0, nul);
  const colon = decoded.indexOf(0x3a);
  if (colon < 0) return { user: decoded.toString('latin1'), password: Buffer.alloc(0) };
  return {
    user: decoded.subarray(0, colon).toString('latin1'),
    password: decoded.subarray(colon + 1),
  };
}

/** mod_authn_file's lookup: the user's hash, undefined when absent; throws when unreadable. */
export function userHash(file: string, user: string): string | undefined {
  const text = readFileSync(file, 'latin1');
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    if (name !== user) continue;
    const rest = colon < 0 ? '' : line.slice(colon + 1);
    const end = rest.indexOf(':');
    return end < 0 ? rest : rest.slice(0, end);
  }
  return undefined;
}

/**
 * check_user_id for a request whose authorization needs a user: `AuthType Basic` is mod_auth_basic's;
 * no AuthType (or `None`) or another type leaves r->user unset, which Apache answers with 500.
 */
export function authenticate(
  auth: AuthConfig | undefined,
  header: string | undefined,
  check: PasswordCheck = passwordMatches,
): AuthnResult | Promise<AuthnResult> {
  const type = auth?.type?.toLowerCase();
  if (type === undefined || type === 'none')
    return { type: 'error', reason: 'AH00027: no authentication done (AuthType not set)' };
  if (type !== 'basic')
    return { type: 'error', reason: `AH01796: AuthType ${auth?.type} configured without module` };
  if (auth?.name === undefined) return { type: 'error', reason: 'AH01615: need AuthName' };
  const authType = auth.type!;
  const credentials = basicCredentials(header);
  if (!credentials) return { type: 'unauthorized', identity: { authType } };
  const identity = { user: credentials.user, authType };
  if (auth.userFile === undefined)
    return { type: 'error', reason: 'AH01619: AuthUserFile not specified in the configuration' };
  let hash: string | undefined;
  try {
    hash = userHash(auth.userFile, credentials.user);
  } catch {
    return { type: 'error', reason: `AH01620: Could not open password file: ${auth.userFile}` };
  }
  if (hash === undefined) return { type: 'unauthorized', identity };
  const matches = check(credentials.password, hash);
  if (typeof matches === 'boolean') return userOrRefused(matches, identity);
  return matches.then(
    (ok) => userOrRefused(ok, identity),
    () => ({ type: 'unauthorized', identity }),
  );
}
