/**
 * apr_password_validate (apr-util crypto/apr_passwd.c) for the hashes `htpasswd` writes on Linux:
 * bcrypt (`$2y$`, `$2a$`, `$2b$`: bcryptjs), APR1-MD5 (`$apr1$`) and glibc's MD5-crypt (`$1$`),
 * and `{SHA}` (base64 SHA-1). Anything else (crypt(3)'s DES, `$5$`/`$6$`, plain text) is refused:
 * no password matches it (fail closed; Apache would ask crypt(3)). Digests are compared in
 * constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { compare, compareSync } from 'bcryptjs';
import { checkOnWorker } from './bcrypt-worker.js';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function to64(value: number, n: number): string {
  let out = '';
  for (let v = value; n-- > 0; v >>= 6) out += ITOA64[v & 0x3f];
  return out;
}

/** apr_md5_encode (and crypt(3)'s `$1$`): Poul-Henning Kamp's MD5-crypt with `magic`. */
export function md5Crypt(password: Buffer, setting: string, magic: '$apr1$' | '$1$'): string {
  let salt = setting.startsWith(magic) ? setting.slice(magic.length) : setting;
  const end = salt.indexOf('$');
  salt = (end >= 0 ? salt.slice(0, end) : salt).slice(0, 8);
  const saltBytes = Buffer.from(salt, 'latin1');
  const ctx = createHash('md5').update(password).update(magic).update(saltBytes);
  const alt = createHash('md5').update(password).update(saltBytes).update(password).digest();
  for (let left = password.length; left > 0; left -= 16)
    ctx.update(alt.subarray(0, Math.min(left, 16)));
  for (let i = password.length; i; i >>= 1)
    ctx.update(i & 1 ? Buffer.alloc(1) : password.subarray(0, 1));
  let f = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const c = createHash('md5');
    c.update(i & 1 ? password : f);
    if (i % 3) c.update(saltBytes);
    if (i % 7) c.update(password);
    c.update(i & 1 ? f : password);
    f = c.digest();
  }
  const b = (i: number): number => f[i] ?? 0;
  return (
    magic +
    salt +
    '$' +
    to64((b(0) << 16) | (b(6) << 8) | b(12), 4) +
    to64((b(1) << 16) | (b(7) << 8) | b(13), 4) +
    to64((b(2) << 16) | (b(8) << 8) | b(14), 4) +
    to64((b(3) << 16) | (b(9) << 8) | b(15), 4) +
    to64((b(4) << 16) | (b(10) << 8) | b(5), 4) +
    to64(b(11), 2)
  );
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'latin1');
  const y = Buffer.from(b, 'latin1');
  return x.length === y.length && timingSafeEqual(x, y);
}

const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

/**
 * The password as bcryptjs takes it, or undefined when no bcrypt hash can match it: bcryptjs
 * hashes a JavaScript string as UTF-8, so bytes that are not UTF-8 cannot be given, and htpasswd
 * accepts passwords under 256 bytes only.
 */
function bcryptText(password: Buffer): string | undefined {
  const text = password.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(password)) return undefined;
  return password.length < 256 ? text : undefined;
}

/** $2a$, $2b$ and $2y$ are one algorithm for the passwords htpasswd accepts. */
function asBcrypt2a(hash: string): string {
  return '$2a$' + hash.slice(4);
}

/** Whether `password` (the bytes the client sent) matches `hash` (a password file's field). */
export function passwordMatches(password: Buffer, hash: string): boolean {
  if (hash.startsWith('$apr1$')) return sameText(md5Crypt(password, hash, '$apr1$'), hash);
  if (hash.startsWith('$1$')) return sameText(md5Crypt(password, hash, '$1$'), hash);
  if (hash.startsWith('{SHA}')) {
    const digest = createHash('sha1').update(password).digest('base64');
    return sameText('{SHA}' + digest, hash);
  }
  if (BCRYPT.test(hash)) {
    const text = bcryptText(password);
    return text !== undefined && compareSync(text, asBcrypt2a(hash));
  }
  return false;
}

/**
 * bcrypt checks waiting or running. A check at cost 12 is about 250 ms of CPU (seconds at 17): run
 * on the event loop, a flood of wrong passwords would stall every other request of the process
 * (Apache spends that CPU too, but on one of its threads). So they run on a worker thread, one at
 * a time (site/bcrypt-worker.ts), and past this many waiting a check fails closed (401) instead of
 * queueing without end.
 */
export const MAX_WAITING_BCRYPT_CHECKS = 64;

let waitingBcryptChecks = 0;
let lastBcryptCheck: Promise<unknown> = Promise.resolve();

/** One bcrypt check after the ones already waiting. */
function queuedBcrypt(text: string, hash: string): Promise<boolean> {
  waitingBcryptChecks++;
  const check = lastBcryptCheck.then(() => bcryptOffLoop(text, hash));
  const settled = check.then(
    (matches) => matches,
    () => false,
  );
  lastBcryptCheck = settled.finally(() => {
    waitingBcryptChecks--;
  });
  return settled;
}

/**
 * The worker thread's check; where no worker can start, bcryptjs's asynchronous form (slices of
 * at most 100 ms on the loop, other requests served between them).
 */
function bcryptOffLoop(text: string, hash: string): Promise<boolean> {
  let onWorker: Promise<boolean>;
  try {
    onWorker = checkOnWorker(text, hash);
  } catch {
    return compare(text, hash);
  }
  return onWorker;
}

/**
 * passwordMatches for the request path: the same answer, but a bcrypt hash is checked off the
 * current turn of the event loop (a promise), one check at a time.
 */
export function passwordCheck(password: Buffer, hash: string): boolean | Promise<boolean> {
  if (!BCRYPT.test(hash)) return passwordMatches(password, hash);
  const text = bcryptText(password);
  if (text === undefined) return false;
  if (waitingBcryptChecks >= MAX_WAITING_BCRYPT_CHECKS) return false;
  return queuedBcrypt(text, asBcrypt2a(hash));
}
