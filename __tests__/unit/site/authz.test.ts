/**
 * Issue 12: `<Limit>`/`<LimitExcept>` (core's ap_limit_section) and mod_authz_core's Require tree
 * (apply_authz_sections, merge_authz_core_dir_config), applied by the access phase. Rows mirror
 * requests of conformance/cases/183–185 recorded from Apache 2.4.71, plus the fail-closed cases.
 */
import { compileText } from '../../../lib/compile/compile';
import { RewriteError } from '../../../lib/errors';
import type { AccessConfig } from '../../../lib/compile/access';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accessCheck, accessDenied } from '../../../lib/site/access';

const chainOf = (...files: string[]): AccessConfig[] =>
  files
    .map((text) => compileText(text, { context: 'directory', accessControl: true }).access)
    .filter((a): a is AccessConfig => a !== undefined);

function problemOf(text: string): string {
  try {
    compileText(text, { context: 'directory', accessControl: true });
  } catch (err) {
    if (err instanceof RewriteError) return `${err.problems[0].code}: ${err.problems[0].message}`;
    throw err;
  }
  return 'ok';
}

type Row = [
  text: string[],
  method: string,
  extra: {
    env?: Record<string, string>;
    headers?: Record<string, string>;
    query?: string;
    remoteAddr?: string;
  },
  denied: boolean,
];

describe('accessDenied with methods, providers and sections', () => {
  test.each<Row>([
    [['<Limit GET>\nRequire all denied\n</Limit>'], 'GET', {}, true],
    [['<Limit GET>\nRequire all denied\n</Limit>'], 'HEAD', {}, true],
    [['<Limit GET>\nRequire all denied\n</Limit>'], 'POST', {}, false],
    [['<LimitExcept GET>\nRequire all denied\n</LimitExcept>'], 'GET', {}, false],
    [['<LimitExcept GET>\nRequire all denied\n</LimitExcept>'], 'PUT', {}, true],
    // a method Apache does not know is in every <LimitExcept>
    [['<LimitExcept GET>\nRequire all denied\n</LimitExcept>'], 'BREW', {}, true],
    [['Require all granted\n<Limit POST>\nRequire all denied\n</Limit>'], 'POST', {}, false],
    [['<Limit POST>\nOrder deny,allow\nDeny from all\n</Limit>'], 'GET', {}, false],
    [['<Limit POST>\nOrder deny,allow\nDeny from all\n</Limit>'], 'POST', {}, true],
    [
      ['Order allow,deny\nAllow from all\n<Limit DELETE>\nDeny from all\n</Limit>'],
      'DELETE',
      {},
      true,
    ],
    [
      ['Order allow,deny\nAllow from all\n<Limit DELETE>\nDeny from all\n</Limit>'],
      'GET',
      {},
      false,
    ],
    [
      [
        '<RequireAll>\nRequire all granted\n<Limit POST>\nRequire all denied\n</Limit>\n</RequireAll>',
      ],
      'POST',
      {},
      true,
    ],
    [['<Limit GET POST>\n<Limit GET>\nRequire all denied\n</Limit>\n</Limit>'], 'POST', {}, false],
    [['<Limit GET POST>\n<Limit GET>\nRequire all denied\n</Limit>\n</Limit>'], 'GET', {}, true],
    [['Require method GET POST'], 'HEAD', {}, false],
    [['Require method GET POST'], 'PUT', {}, true],
    [['Require method HEAD'], 'GET', {}, false],
    [['Require env a b'], 'GET', { env: { B: '1' } }, false],
    [['Require env a b'], 'GET', {}, true],
    [['<RequireAll>\nRequire all granted\nRequire not env bad\n</RequireAll>'], 'GET', {}, false],
    [
      ['<RequireAll>\nRequire all granted\nRequire not env bad\n</RequireAll>'],
      'GET',
      { env: { bad: '' } },
      true,
    ],
    // only negative requirements can never grant
    [['<RequireAll>\nRequire not env nothing\n</RequireAll>'], 'GET', {}, true],
    [
      [
        '<RequireAll>\nRequire all granted\n<RequireNone>\nRequire ip 127.0.0.1\n</RequireNone>\n</RequireAll>',
      ],
      'GET',
      {},
      true,
    ],
    [["Require expr %{HTTP:X-Key} == 'k'"], 'GET', { headers: { 'x-key': 'k' } }, false],
    [["Require expr %{HTTP:X-Key} == 'k'"], 'GET', {}, true],
    [['Require expr "%{QUERY_STRING} =~ /^open$/"'], 'GET', { query: 'open' }, false],
    [["Require expr %{REQUEST_METHOD} == 'PUT'"], 'PUT', {}, false],
    // AuthMerging: Off (default) replaces, And/Or combine with the parent
    [['Require all denied', 'Require all granted'], 'GET', {}, false],
    [['Require all denied', 'AuthMerging And\nRequire all granted'], 'GET', {}, true],
    [['Require all denied', 'AuthMerging Or\nRequire all granted'], 'GET', {}, false],
    [['Require all denied', 'AuthMerging Or'], 'GET', {}, true],
    // host names need DNS for a client off loopback: granted only when every answer would grant
    [['Require host example.com'], 'GET', { remoteAddr: '192.0.2.7' }, true],
    [['Require host example.com\nRequire all granted'], 'GET', { remoteAddr: '192.0.2.7' }, false],
    [
      ['<RequireAll>\nRequire all granted\nRequire not host evil.example\n</RequireAll>'],
      'GET',
      { remoteAddr: '192.0.2.7' },
      true,
    ],
    // a loopback client's name is in the hosts file (127.0.0.1 localhost; case 405)
    [['Require host example.com'], 'GET', {}, true],
    [['Require host localhost'], 'GET', {}, false],
    [
      ['<RequireAll>\nRequire all granted\nRequire not host evil.example\n</RequireAll>'],
      'GET',
      {},
      false,
    ],
  ])('%j %s %j → denied %s', (files, method, extra, denied) => {
    const client = {
      remoteAddr: extra.remoteAddr ?? '127.0.0.1',
      localAddr: '127.0.0.1',
      method,
      headers: extra.headers ?? {},
    };
    const env = new Map(Object.entries(extra.env ?? {}));
    const request = { uri: '/w/f', args: extra.query ?? null };
    expect(accessDenied(chainOf(...files), '/w/f', env, client, request)).toBe(denied);
  });

  test('Require expr records the headers it reads for Vary, as ap_expr does', () => {
    const vary: string[] = [];
    const client = { remoteAddr: '127.0.0.1', localAddr: '127.0.0.1', headers: {} };
    const chain = chainOf("Require expr %{HTTP:X-Key} == 'k' || %{HTTP_USER_AGENT} == 'a'");
    accessDenied(chain, '/w/f', new Map(), client, { uri: '/w/f', args: null, vary });
    expect(vary).toEqual(['X-Key', 'User-Agent']);
  });
});

describe("Apache's load errors for the sections and providers (the .htaccess answers 500)", () => {
  test.each<[string, string]>([
    ['Require not ip 10.0.0.1', 'negative Require directive has no effect in <RequireAny>'],
    [
      '<RequireAny>\nRequire not env x\nRequire all granted\n</RequireAny>',
      'negative Require directive has no effect in <RequireAny>',
    ],
    [
      '<RequireNone>\nRequire env x\n</RequireNone>',
      '<RequireNone> directive has no effect in <RequireAny>',
    ],
    ['<RequireAll>\n</RequireAll>', '<RequireAll> directive contains no authorization directives'],
    ['<RequireAll x>\nRequire all granted\n</RequireAll>', "doesn't take additional arguments"],
    ['<RequireAll>\nOrder allow,deny\n</RequireAll>', 'Order not allowed here'],
    ['Require method FOO', "Invalid Method 'FOO'"],
    ['Require method get', "Invalid Method 'get'"],
    ['Require group admins', 'Require group is not supported'],
    ['Require user %{REMOTE_ADDR}', 'Require user with an expression is not supported'],
    ['AuthBasicProvider dbm', 'Unknown Authn provider: dbm'],
    ["Require expr %{REMOTE_HOST} == 'x'", "the variable 'REMOTE_HOST' is not supported"],
    ['Require expr (', 'Cannot parse expression'],
    ['<Limit>\nRequire all denied\n</Limit>', '<Limit> directive requires additional arguments'],
    ['<Limit TRACE>\nRequire all denied\n</Limit>', 'TRACE cannot be controlled by <Limit>'],
    ['<Limit get>\nRequire all denied\n</Limit>', "Could not register method 'get'"],
    ['<Limit GET>\n<Limit POST>\nRequire all denied\n</Limit>\n</Limit>', 'excludes all methods'],
    ['<Limit GET>\nRequire all denied\n', '<Limit> was not closed.'],
    ['<Limit GET>\n<Files x>\nRequire all denied\n</Files>\n</Limit>', '<Files> inside <Limit>'],
    ['AuthMerging Maybe', 'AuthMerging must be one of: Off | And | Or'],
  ])('%j → %s', (text, expected) => {
    expect(problemOf(text)).toContain(expected);
  });

  test('<LimitExcept TRACE> is allowed; other directives inside <Limit> apply to every method', () => {
    expect(problemOf('<LimitExcept TRACE>\nRequire all denied\n</LimitExcept>')).toBe('ok');
    const rs = compileText('<Limit GET>\nRewriteEngine On\nRewriteRule ^ - [F]\n</Limit>', {
      context: 'directory',
      accessControl: true,
    });
    expect(rs.rules).toHaveLength(1);
  });
});

describe('accessCheck with Basic authentication (mod_authz_core with and without r->user)', () => {
  // carol's {SHA} hash (htpasswd -s), in a file the AuthUserFile names
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'authz-'));
    writeFileSync(join(dir, 'passwd'), 'carol:{SHA}stOsjhQ+/Zr2RzmhAD8uggClG7Y=\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const auth = (body: string): string =>
    `AuthType Basic\nAuthName "R"\nAuthUserFile ${join(dir, 'passwd')}\n${body}`;
  const carol = `Basic ${Buffer.from('carol:carolpw').toString('base64')}`;
  test.each<[string, string | undefined, string]>([
    ['Require valid-user', undefined, 'unauthorized'],
    ['Require valid-user', carol, 'granted'],
    ['Require user bob', carol, 'unauthorized'],
    ['Require user bob carol', carol, 'granted'],
    // AND: a DENIED child decides before any user is asked for (case 496 /all/: 403)
    ['<RequireAll>\nRequire ip 10.0.0.1\nRequire valid-user\n</RequireAll>', carol, 'denied'],
    [
      '<RequireAll>\nRequire ip 127.0.0.1\nRequire valid-user\n</RequireAll>',
      undefined,
      'unauthorized',
    ],
    // OR: a GRANTED child needs no user (case 496 /any/)
    ['<RequireAny>\nRequire ip 127.0.0.1\nRequire valid-user\n</RequireAny>', undefined, 'granted'],
    [
      '<RequireAny>\nRequire ip 10.0.0.1\nRequire valid-user\n</RequireAny>',
      undefined,
      'unauthorized',
    ],
    // negated: DENIED_NO_USER becomes NEUTRAL, so the AND is decided by the other child
    [
      '<RequireAll>\nRequire all granted\nRequire not user carol\n</RequireAll>',
      undefined,
      'granted',
    ],
    // Satisfy Any: the host check alone lets it through
    ['Require valid-user\nOrder deny,allow\nSatisfy Any', undefined, 'granted'],
    ['Require valid-user\nOrder allow,deny\nSatisfy Any', undefined, 'unauthorized'],
  ])('%j with %s → %s', async (body, header, expected) => {
    const client = {
      remoteAddr: '127.0.0.1',
      localAddr: '127.0.0.1',
      method: 'GET',
      headers: header === undefined ? {} : { authorization: header },
    };
    expect((await accessCheck(chainOf(auth(body)), '/d/f.txt', new Map(), client)).type).toBe(
      expected,
    );
  });
});

describe('the identity the access phase leaves (REMOTE_USER, AUTH_TYPE: case 499)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'authz-id-'));
    writeFileSync(join(dir, 'passwd'), 'carol:{SHA}stOsjhQ+/Zr2RzmhAD8uggClG7Y=\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const basic = (credentials: string): string =>
    `Basic ${Buffer.from(credentials).toString('base64')}`;
  const check = async (body: string, header: string | undefined): Promise<unknown> => {
    const text = `AuthType basic\nAuthName "R"\nAuthUserFile ${join(dir, 'passwd')}\n${body}`;
    const client = {
      remoteAddr: '127.0.0.1',
      localAddr: '127.0.0.1',
      method: 'GET',
      headers: header === undefined ? {} : { authorization: header },
    };
    return accessCheck(chainOf(text), '/d/f.txt', new Map(), client);
  };
  test('a granted user, with the AuthType as written', async () => {
    expect(await check('Require valid-user', basic('carol:carolpw'))).toEqual({
      type: 'granted',
      identity: { user: 'carol', authType: 'basic' },
    });
  });
  test('a wrong password still names the user (get_basic_auth sets r->user first)', async () => {
    expect(await check('Require valid-user', basic('carol:nope'))).toEqual({
      type: 'unauthorized',
      realm: 'R',
      identity: { user: 'carol', authType: 'basic' },
    });
  });
  test('no credentials: the AuthType only', async () => {
    expect(await check('Require valid-user', undefined)).toEqual({
      type: 'unauthorized',
      realm: 'R',
      identity: { authType: 'basic' },
    });
  });
  test('granted without authentication: no identity', async () => {
    const any = '<RequireAny>\nRequire ip 127.0.0.1\nRequire valid-user\n</RequireAny>';
    expect(await check(any, basic('carol:carolpw'))).toEqual({ type: 'granted' });
  });
});
