/**
 * apr_password_validate's hashes (site/password.ts) and mod_auth_basic's credentials
 * (site/authn.ts). Every hash was written by Debian's `htpasswd` (apache2-utils 2.4) or
 * `openssl passwd -1`; the passwords are the ones given to it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authenticate, basicCredentials } from '../../../lib/site/authn';
import {
  MAX_WAITING_BCRYPT_CHECKS,
  passwordCheck,
  passwordMatches,
} from '../../../lib/site/password';

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('passwordMatches: the hashes htpasswd writes', () => {
  test.each<[string, string, string, boolean]>([
    [
      'htpasswd -B (bcrypt $2y$, cost 5)',
      '$2y$05$uHfGRkmQ2SUSjK/ChgS8Cu2L.m7ektmoOcf23j7Do1Qs1sC.bUON2',
      'alice pw',
      true,
    ],
    [
      'bcrypt, wrong password',
      '$2y$05$uHfGRkmQ2SUSjK/ChgS8Cu2L.m7ektmoOcf23j7Do1Qs1sC.bUON2',
      'alice pw ',
      false,
    ],
    [
      'bcrypt as $2a$ (same algorithm)',
      '$2a$05$uHfGRkmQ2SUSjK/ChgS8Cu2L.m7ektmoOcf23j7Do1Qs1sC.bUON2',
      'alice pw',
      true,
    ],
    [
      'bcrypt as $2b$',
      '$2b$05$uHfGRkmQ2SUSjK/ChgS8Cu2L.m7ektmoOcf23j7Do1Qs1sC.bUON2',
      'alice pw',
      true,
    ],
    ['htpasswd -B -C 4', '$2y$04$qFyz5EX3X2ckYYgxWwcyxO80OC1pdo1CyN1zPWkQixtKbYXGmNcmu', 'x', true],
    [
      'bcrypt, UTF-8 password',
      '$2y$05$oR9KQNvJMTiYVfKdlE1jkePgp/A60v9tbhoJ8Yhe3hfXqQrVUYDPG',
      'dav€',
      true,
    ],
    ['htpasswd -m (APR1-MD5)', '$apr1$LdYAxBAO$Vo/7LYPTC0f6Vv1A9tzdp.', 'b0b:secret', true],
    ['APR1-MD5, wrong password', '$apr1$LdYAxBAO$Vo/7LYPTC0f6Vv1A9tzdp.', 'b0b:secreT', false],
    ['APR1-MD5 with a space', '$apr1$ldwCJdha$xjN0DiuMS/TbtNGDt.gPU1', 'p@ss word', true],
    ['APR1-MD5 of the empty password', '$apr1$tFJwx2Qi$o6OPnNrLEd6pTyu2ENWSt/', '', true],
    [
      'APR1-MD5 of the empty password, given one',
      '$apr1$tFJwx2Qi$o6OPnNrLEd6pTyu2ENWSt/',
      'a',
      false,
    ],
    ['openssl passwd -1 (crypt MD5 $1$)', '$1$abcdefgh$cHJi5PXp/ki/ktXzqlk6I1', 'secret', true],
    ['htpasswd -s ({SHA})', '{SHA}stOsjhQ+/Zr2RzmhAD8uggClG7Y=', 'carolpw', true],
    ['{SHA}, wrong password', '{SHA}stOsjhQ+/Zr2RzmhAD8uggClG7Y=', 'carolpW', false],
    ['{SHA} of a UTF-8 password', '{SHA}vxW+cXrBsIC08cRWaSgliR/1Bz0=', 'é', true],
    // crypt(3) in Apache; not implemented here: no password matches (fail closed)
    [
      'htpasswd -5 (SHA-256 crypt): refused',
      '$5$w6xKvgvbP0APofHx$um9f9e9wy8YxFGbOBRJwvZBffUrtg4QLMCHvZgAIcY9',
      'secret',
      false,
    ],
    [
      'openssl passwd -6 (SHA-512 crypt): refused',
      '$6$abc$IdWKNKTJEb8LxY7CGg8YBXlvtfZzFw7Mp/r6niK9YB2mdvgY..TKjv1T..8RadRt2qvUHYRLr/TsVArtr91iR1',
      'secret',
      false,
    ],
    ['htpasswd -d (DES crypt): refused', 'qDF4DuTgmMFHM', 'secret', false],
    ['plain text (crypt(3) on Linux never matches it)', 'secret', 'secret', false],
    ['an empty hash', '', '', false],
  ])('%s', (_name, hash, password, expected) => {
    expect(passwordMatches(utf8(password), hash)).toBe(expected);
  });
});

describe('passwordCheck: bcrypt off the event loop turn, one check at a time', () => {
  const ALICE = '$2y$05$uHfGRkmQ2SUSjK/ChgS8Cu2L.m7ektmoOcf23j7Do1Qs1sC.bUON2';
  test('other hashes answer at once; bcrypt answers with a promise of the same result', async () => {
    expect(passwordCheck(utf8('carolpw'), '{SHA}stOsjhQ+/Zr2RzmhAD8uggClG7Y=')).toBe(true);
    const right = passwordCheck(utf8('alice pw'), ALICE);
    const wrong = passwordCheck(utf8('alice'), ALICE);
    expect(right).toBeInstanceOf(Promise);
    expect(await right).toBe(true);
    expect(await wrong).toBe(false);
    // bytes that are not UTF-8 cannot match a bcrypt hash: refused without a check
    expect(passwordCheck(Buffer.from([0xff]), ALICE)).toBe(false);
  });
  test('the event loop turns before a bcrypt check answers (it is not run in the call)', async () => {
    const events: string[] = [];
    const check = passwordCheck(utf8('alice pw'), ALICE);
    setImmediate(() => events.push('loop turned'));
    expect(await check).toBe(true);
    events.push('checked');
    expect(events).toEqual(['loop turned', 'checked']);
  });
  test('past MAX_WAITING_BCRYPT_CHECKS waiting, a check fails closed; the line then frees', async () => {
    const checks = Array.from({ length: MAX_WAITING_BCRYPT_CHECKS + 2 }, () =>
      passwordCheck(utf8('alice pw'), ALICE),
    );
    const queued = checks.slice(0, MAX_WAITING_BCRYPT_CHECKS);
    expect(queued.every((c) => c instanceof Promise)).toBe(true);
    expect(checks.slice(MAX_WAITING_BCRYPT_CHECKS)).toEqual([false, false]);
    expect(await Promise.all(queued)).toEqual(queued.map(() => true));
    expect(await passwordCheck(utf8('alice pw'), ALICE)).toBe(true);
  });
});

describe('basicCredentials: get_basic_auth', () => {
  const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
  test.each<[string, string | undefined, { user: string; password: string } | undefined]>([
    ['no header', undefined, undefined],
    ['another scheme', 'Bearer abc', undefined],
    ['the scheme alone', 'Basic', { user: '', password: '' }],
    [
      'user and password',
      `Basic ${b64('alice:alice pw')}`,
      { user: 'alice', password: 'alice pw' },
    ],
    [
      'the scheme in lower case, tabs before',
      `basic \t${b64('a:b')}`,
      { user: 'a', password: 'b' },
    ],
    [
      'a colon in the password',
      `Basic ${b64('bob:b0b:secret')}`,
      { user: 'bob', password: 'b0b:secret' },
    ],
    ['no colon: the whole is the user', `Basic ${b64('bob')}`, { user: 'bob', password: '' }],
    ['decoding stops at a character that is not base64', 'Basic !!!', { user: '', password: '' }],
  ])('%s', (_name, header, expected) => {
    const got = basicCredentials(header);
    expect(got && { user: got.user, password: got.password.toString('utf8') }).toEqual(expected);
  });
});

describe('authenticate: check_user_id', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'authn-'));
    file = join(dir, 'passwd');
    writeFileSync(
      file,
      '# comment\n\ncarol:{SHA}stOsjhQ+/Zr2RzmhAD8uggClG7Y=:extra field\n  bob:$apr1$LdYAxBAO$Vo/7LYPTC0f6Vv1A9tzdp.\n',
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const basic = (s: string): string => `Basic ${Buffer.from(s).toString('base64')}`;
  test.each<[string, Record<string, string> | undefined, string | undefined, string]>([
    ['right password (a field after the hash)', { name: 'R' }, basic('carol:carolpw'), 'user'],
    ['leading blanks of a line are skipped', { name: 'R' }, basic('bob:b0b:secret'), 'user'],
    ['wrong password', { name: 'R' }, basic('carol:x'), 'unauthorized'],
    ['unknown user', { name: 'R' }, basic('dave:x'), 'unauthorized'],
    ['no credentials', { name: 'R' }, undefined, 'unauthorized'],
    ['no AuthName: 500 (AH01615)', {}, basic('carol:carolpw'), 'error'],
    [
      'no AuthUserFile: 500 (AH01619)',
      { name: 'R', userFile: '' },
      basic('carol:carolpw'),
      'error',
    ],
    [
      'an unreadable file: 500 (AH01620)',
      { name: 'R', userFile: '/nonexistent/x' },
      basic('a:b'),
      'error',
    ],
  ])('%s', async (_name, conf, header, expected) => {
    const userFile = conf && 'userFile' in conf ? conf.userFile || undefined : file;
    const auth = { type: 'Basic', name: conf?.name, userFile };
    expect((await authenticate(auth, header)).type).toBe(expected);
  });
  test('no AuthType, or AuthType None: no user, 500', async () => {
    expect((await authenticate(undefined, basic('carol:carolpw'))).type).toBe('error');
    const none = await authenticate({ type: 'None', name: 'R', userFile: file }, undefined);
    expect(none.type).toBe('error');
    const digest = await authenticate({ type: 'Digest', name: 'R', userFile: file }, undefined);
    expect(digest.type).toBe('error');
  });
});
