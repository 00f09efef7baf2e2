/**
 * mod_headers under site() whatever form the handler gives writeHead its headers in: an object,
 * or Node's flat [name, value, …] array. The array form used to bypass the hook, so a
 * `Header unset X-Powered-By` let the backend's header through.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { site } from '../../lib/index';

const root = mkdtempSync(join(tmpdir(), 'modrewrite-writehead-'));
mkdirSync(join(root, 'api'));
writeFileSync(
  join(root, 'api/.htaccess'),
  [
    'Header unset X-Powered-By',
    'Header always set X-Frame-Options DENY',
    'Header append X-Multi three',
    'RewriteEngine On',
    'RewriteRule ^(.*)$ http://127.0.0.1:9/$1 [P]',
    '',
  ].join('\n'),
);
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Form = 'object' | 'flat array';
const answer = (form: Form) => (_req: IncomingMessage, res: ServerResponse) => {
  res.setHeader('X-Before', 'set earlier');
  if (form === 'object')
    res.writeHead(200, { 'Content-Type': 'text/plain', 'X-Powered-By': 'PHP', 'X-Multi': 'one' });
  else res.writeHead(200, ['Content-Type', 'text/plain', 'X-Powered-By', 'PHP', 'X-Multi', 'one']);
  res.end('ok');
};

describe.each<Form>(['object', 'flat array'])('writeHead(status, %s) under site()', (form) => {
  test('the .htaccess Header lines act on the handler headers', async () => {
    const res = await request(site({ root, proxy: answer(form) })).get('/api/x');
    expect(res.status).toBe(200);
    expect(res.text).toBe('ok');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-before']).toBe('set earlier');
    expect(res.headers['content-type']).toBe('text/plain');
    expect(res.headers['x-multi']).toBe('one, three');
  });
});
