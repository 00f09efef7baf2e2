/**
 * mod_negotiation's MultiViews (site/negotiation.ts). Its answers through real files are the
 * recorded conformance cases 480–484 (Apache 2.4.71); these pin `Options` and what stays refused
 * (a 500 with its reason): handlers' variants, type maps, a Negotiate header, negotiation tuning.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileText } from '../../../lib/compile/compile';
import { layeredSettings } from '../../../lib/site/mime';
import { negotiate, type NegotiationRequest } from '../../../lib/site/negotiation';
import { site } from '../../../lib/site/site';

test.each([
  ['Options +MultiViews', true],
  ['Options FollowSymlinks MultiViews', true],
  ['Options RunScripts', true],
  ['Options -MultiViews', false],
  ['Options All', false],
  ['Options None', false],
  ['Options FollowSymLinks', false],
  ['Options +FollowSymLinks', undefined],
])('%s: MultiViews %s', (line, on) => {
  expect(compileText(line, { context: 'directory', siteDirectives: true }).multiViews).toBe(on);
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'negotiation-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function request(
  files: Record<string, string>,
  htaccess: string,
  headers: Record<string, string> = {},
): NegotiationRequest {
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  const rules = compileText(htaccess, { context: 'directory', siteDirectives: true });
  return {
    filename: join(dir, 'page'),
    method: 'GET',
    pathInfo: '',
    headers,
    env: new Map(),
    settingsOf: () => layeredSettings(undefined, rules),
    refused: () => false,
  };
}

test('no page.* at all: declined (the request goes on to its 404 or its rules)', () => {
  expect(negotiate(request({ 'other.html': 'x' }, '')).type).toBe('declined');
});

test.each([
  [
    'a typed variant with a handler',
    { 'page.html': 'h', 'page.php': 'p' },
    'AddType application/x-httpd-php .php\nAddHandler application/x-httpd-php .php',
    {},
  ],
  ['a type map', { 'page.var': 'URI: page.html\n' }, 'AddType application/x-type-map var', {}],
  ['a Negotiate header', { 'page.html': 'h' }, '', { negotiate: 'trans' }],
  ['LanguagePriority', { 'page.html': 'h' }, 'LanguagePriority de en', {}],
  ['ForceLanguagePriority', { 'page.html': 'h' }, 'ForceLanguagePriority Fallback', {}],
  ['MultiviewsMatch Any', { 'page.html': 'h' }, 'MultiviewsMatch Any', {}],
])('%s is refused: 500 with the reason', (_what, files, htaccess, headers) => {
  const n = negotiate(request(files, htaccess, headers));
  expect(n.type).toBe('status');
  expect(n.type === 'status' && n.status).toBe(500);
  expect(n.type === 'status' && n.reason).toMatch(/not emulated/);
});

test("Lynx's bare `Negotiate: trans` is ignored, as parse_negotiate_header does", () => {
  const n = negotiate(
    request({ 'page.html': 'h' }, '', { negotiate: 'trans', 'user-agent': 'Lynx/2.8' }),
  );
  expect(n.type).toBe('choice');
});

// MultiviewsMatch NegotiatedOnly: an extension known only for its handler is not a variant's
test.each([
  ['a handler-only extension', { 'page.html': 'h', 'page.cgi': 'c' }, 'AddHandler cgi-script .cgi'],
  ['an untyped type map', { 'page.html': 'h', 'page.var': 'v' }, 'AddHandler type-map var'],
])('%s is not a variant', (_what, files, htaccess) => {
  const n = negotiate(request(files, htaccess));
  expect(n.type === 'choice' && n.fileName).toBe('page.html');
});

test('MultiviewsMatch NegotiatedOnly (the default) negotiates', () => {
  const n = negotiate(request({ 'page.html': 'h' }, 'MultiviewsMatch NegotiatedOnly'));
  expect(n.type === 'choice' && n.fileName).toBe('page.html');
});

test('a POST is not transparent: Vary without negotiate, no Content-Location or TCN', () => {
  const req = { ...request({ 'page.html': 'hh', 'page.txt': 't' }, ''), method: 'POST' };
  const n = negotiate(req);
  expect(n.type === 'choice' && n.headers).toEqual([['Vary', 'accept']]);
});

/** One GET through site() with `config` as its server configuration: status and Vary. */
async function served(
  files: Record<string, string>,
  options: { config: string; htaccess?: false },
): Promise<[number, string | undefined]> {
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  const handler = site({ root: dir, ...options });
  const server = createServer((req, res) =>
    handler(req, res, () => {
      res.statusCode = 404;
      res.end();
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const res = await fetch(`http://127.0.0.1:${port}/about`);
    await res.text();
    return [res.status, res.headers.get('vary') ?? undefined];
  } finally {
    server.close();
  }
}

// the server's own Options lie below the walked sections and .htaccess files, as Indexes does
test.each([
  ['the server config', {}, { config: 'Options +MultiViews' }, [200, 'negotiate']],
  [
    "an .htaccess's -MultiViews over it",
    { '.htaccess': 'Options -MultiViews\n' },
    { config: 'Options +MultiViews' },
    [404, undefined],
  ],
  [
    'the server config without a directory walk: refused',
    {},
    { config: 'Options +MultiViews', htaccess: false as const },
    [500, undefined],
  ],
])('Options +MultiViews in %s', async (_where, files, options, expected) => {
  expect(await served({ 'about.html': 'A\n', ...files }, options)).toEqual(expected);
});
